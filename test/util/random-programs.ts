// Seeded generator of random nabla programs (small ones, and ones sized to cross every kernel threshold).
import {
  BINARY,
  type FloatDType,
  type Input,
  type Node,
  type Params,
  type Program,
  Rng,
  sizeOfShape,
  UNARY,
} from "./differential-ops.js";

export { Rng };

type Value = { input: Input } | { node: Node };

const DIMS: [number, number][] = [
  [1, 3],
  [2, 4],
  [3, 4],
  [4, 3],
  [5, 3],
  [6, 2],
  [7, 2],
  [8, 2],
  [9, 1],
  [11, 1],
  [12, 1],
  [13, 1],
  [16, 1],
  [17, 1],
];

const range = (n: number) => [...Array(n).keys()];
const LETTERS = "abcdefghijklmnopqrstuvwxyz";

/** Broadcast of two shapes (right-aligned), or null when they do not broadcast. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Splits n into `parts` factors (in random order). */
function factor(rng: Rng, n: number, parts: number): number[] {
  const out: number[] = [];
  let rest = n;
  for (let i = 0; i < parts - 1; i++) {
    const divs: number[] = [];
    for (let d = 2; d * d <= rest; d++) if (rest % d === 0) divs.push(d, rest / d);
    const d = divs.length > 0 ? rng.pick(divs) : 1;
    out.push(d);
    rest /= d;
  }
  out.push(rest);
  return rng.shuffle(out);
}

export interface GenOptions {
  /** Largest number of elements of any tensor. */
  maxElems: number;
  /** Probability of a zero-size dimension in a fresh shape. */
  zeroDims?: number;
  /** Elementwise functions to draw from (default: all of UNARY and BINARY). */
  unary?: readonly string[];
  binary?: readonly string[];
  /** Operands of elementwise functions have the current value's shape (no broadcasting). */
  sameShapes?: boolean;
}

/** Functions made only of primitives the WebAssembly fused loops run (so long loops reach their threads). */
export const SIMD_UNARY: readonly string[] = [
  "neg",
  "tanh",
  "sin",
  "cos",
  "sigmoid",
  "square",
  "abs",
  "relu",
  "elu",
  "leakyRelu",
  "clip",
  "softplus",
  "expTanh",
  "expm1Tanh",
  "log1pSquare",
  "logSigmoid",
  "sqrt1p",
  "recip",
  "xTanh",
  "smoothAbs",
];
export const SIMD_BINARY: readonly string[] = [
  "add",
  "sub",
  "mul",
  "maximum",
  "minimum",
  "divSafe",
  "hypot1",
  "mulVjp",
];

/** Builds one program: a pool of values (inputs and nodes, in creation order) and the current value. */
export class ProgramBuilder {
  readonly values: Value[] = [];
  constructor(
    readonly rng: Rng,
    readonly dtype: FloatDType,
    readonly opts: GenOptions,
  ) {}

  shape(v: number): number[] {
    const x = this.values[v]!;
    return "input" in x ? x.input.shape : x.node.shape;
  }
  isInput(v: number): boolean {
    return "input" in this.values[v]!;
  }
  fresh(shape: readonly number[]): number {
    this.values.push({ input: { shape: shape.slice(), seed: this.rng.int(1, 2 ** 31 - 1) } });
    return this.values.length - 1;
  }
  node(op: string, args: number[], p: Params, shape: readonly number[]): number {
    this.values.push({ node: { op, args, p, shape: shape.slice() } });
    return this.values.length - 1;
  }
  /** A random elementwise function: unary (continuous ones unless `discrete`) or binary. */
  unaryFn(discrete = false): string {
    const names = this.opts.unary ?? Object.keys(UNARY);
    return this.rng.pick(names.filter((k) => discrete || !UNARY[k]!.discrete));
  }
  binaryFn(): string {
    return this.rng.pick(this.opts.binary ?? Object.keys(BINARY));
  }
  fits(shape: readonly number[]): boolean {
    return sizeOfShape(shape) <= this.opts.maxElems;
  }

  dim(): number {
    if (this.opts.zeroDims && this.rng.chance(this.opts.zeroDims)) return 0;
    return this.rng.weighted(DIMS);
  }
  randomShape(maxRank = 4): number[] {
    for (;;) {
      const s = range(this.rng.int(0, maxRank)).map(() => this.dim());
      if (this.fits(s)) return s;
    }
  }

  /** A value of `shape`: an existing one, a fresh input, or a fresh input read through a movement. */
  operand(shape: readonly number[], depth = 0): number {
    const r = this.rng;
    const s = shape.slice();
    const nd = s.length;
    const existing = this.values.map((_, v) => v).filter((v) => this.shape(v).join() === s.join());
    // Plain elementwise loops read their operands as stored: fresh, existing or mapped values only.
    const plain = this.opts.sameShapes ? 0 : 1;
    const kind = r.weighted<string>([
      ["existing", existing.length > 0 ? 3 : 0],
      ["fresh", 4],
      ["transposed", plain * (nd >= 2 ? 2 : 0)],
      ["sliced", plain * (nd >= 1 ? 1 : 0)],
      ["reshaped", plain * (sizeOfShape(s) > 1 ? 1 : 0)],
      ["broadcast", plain * (s.some((d) => d > 1) ? 1 : 0)],
      ["padded", plain * (s.some((d) => d >= 2) ? 0.7 : 0)],
      ["flipped", plain * (nd >= 1 ? 0.5 : 0)],
      ["concatenated", plain * (s.some((d) => d >= 2) ? 0.5 : 0)],
      ["mapped", depth < 2 ? 1 : 0],
      ["stepped", plain * 0.3],
    ]);
    switch (kind) {
      case "existing":
        return r.pick(existing);
      case "transposed": {
        const perm = r.shuffle(range(nd));
        // x has dims s[perm[i]]; transposing by the inverse permutation gives s.
        const x = this.operand(
          perm.map((p) => s[p]!),
          depth + 1,
        );
        const inv = range(nd).map((i) => perm.indexOf(i));
        return this.node("transpose", [x], { perm: inv }, s);
      }
      case "sliced": {
        const big = s.map((d) => d + (r.chance(0.6) ? r.int(0, 3) : 0));
        if (!this.fits(big)) return this.fresh(s);
        const begin = big.map((d, i) => r.int(0, d - s[i]!));
        return this.node("slice", [this.fresh(big)], { begin, size: s }, s);
      }
      case "reshaped": {
        const n = sizeOfShape(s);
        const t = factor(r, n, r.int(1, 3));
        return this.node("reshape", [this.operand(t, depth + 1)], { shape: s }, s);
      }
      case "broadcast": {
        const lead = r.int(0, nd);
        const small = s.slice(lead).map((d) => (r.chance(0.5) ? 1 : d));
        return this.node("broadcastTo", [this.fresh(small)], { shape: s }, s);
      }
      case "padded": {
        const widths = s.map((d): [number, number] => {
          if (d < 2 || r.chance(0.4)) return [0, 0];
          const lo = r.int(0, Math.min(2, d - 1));
          return [lo, r.int(0, Math.min(2, d - 1 - lo))];
        });
        const inner = s.map((d, i) => d - widths[i]![0] - widths[i]![1]);
        const value = r.chance(0.7) ? 0 : 0.5;
        return this.node("pad", [this.operand(inner, depth + 1)], { widths, value }, s);
      }
      case "flipped": {
        const axes = range(nd).filter(() => r.chance(0.5));
        if (axes.length === 0) axes.push(r.int(0, nd - 1));
        return this.node("flip", [this.operand(s, depth + 1)], { axes }, s);
      }
      case "concatenated": {
        const axis = r.pick(range(nd).filter((i) => s[i]! >= 2));
        const cut = r.int(1, s[axis]! - 1);
        const a = this.operand(
          s.map((d, i) => (i === axis ? cut : d)),
          depth + 1,
        );
        const b = this.fresh(s.map((d, i) => (i === axis ? d - cut : d)));
        return this.node("concatenate", [a, b], { axis }, s);
      }
      case "stepped": {
        // floor, round or sign of an input: exact on every engine, so its steps never flip.
        const fn = r.pick(Object.keys(UNARY).filter((k) => UNARY[k]!.discrete));
        return this.node("unary", [this.fresh(s)], { fn }, s);
      }
      case "mapped":
        return this.node("unary", [this.operand(s, depth + 1)], { fn: this.unaryFn() }, s);
      default:
        return this.fresh(s);
    }
  }

  /** The finished program with result `out`: inputs first, then nodes, renumbered. */
  build(out: number): Program {
    const ids = new Map<number, number>();
    const inputs: Input[] = [];
    this.values.forEach((v, i) => {
      if ("input" in v) {
        ids.set(i, inputs.length);
        inputs.push(v.input);
      }
    });
    const nodes: Node[] = [];
    this.values.forEach((v, i) => {
      if ("node" in v) {
        ids.set(i, inputs.length + nodes.length);
        nodes.push({ ...v.node, args: v.node.args.map((a) => ids.get(a)!) });
      }
    });
    return { dtype: this.dtype, inputs, nodes, out: ids.get(out)! };
  }
}

// ---- one operation applied to the current value --------------------------------------------------------------

type Step = (g: ProgramBuilder, cur: number) => number | null;

const negAxis = (r: Rng, a: number, nd: number) => (r.chance(0.25) ? a - nd : a);

const unary: Step = (g, cur) => g.node("unary", [cur], { fn: g.unaryFn(g.isInput(cur)) }, g.shape(cur));

/** A shape that broadcasts against `s`: a suffix with some dims set to 1, or `s` widened where it is 1. */
function partnerShape(g: ProgramBuilder, s: readonly number[]): number[] {
  const r = g.rng;
  if (g.opts.sameShapes) return s.slice();
  const mode = r.weighted<string>([
    ["same", 3],
    ["smaller", 2],
    ["wider", 1],
  ]);
  if (mode === "same") return s.slice();
  if (mode === "smaller") return s.slice(r.int(0, s.length)).map((d) => (r.chance(0.4) ? 1 : d));
  const lead = r.chance(0.4) ? [g.dim()] : [];
  const wide = [...lead, ...s.map((d) => (d === 1 && r.chance(0.7) ? g.dim() : r.chance(0.2) ? 1 : d))];
  return g.fits(wide) && broadcastShape(wide, s) !== null ? wide : s.slice();
}

const binary: Step = (g, cur) => {
  const s = g.shape(cur);
  const t = partnerShape(g, s);
  const out = broadcastShape(s, t)!;
  if (!g.fits(out)) return null;
  const other = g.operand(t);
  const args = g.rng.chance(0.5) ? [cur, other] : [other, cur];
  return g.node("binary", args, { fn: g.binaryFn() }, out);
};

const where: Step = (g, cur) => {
  const s = g.shape(cur);
  const cs = partnerShape(g, s);
  const os = partnerShape(g, s);
  const out = broadcastShape(broadcastShape(s, cs) ?? s, os);
  if (out === null || broadcastShape(s, cs) === null || !g.fits(out)) return null;
  const c = g.fresh(cs);
  const other = g.operand(os);
  const [a, b] = g.rng.chance(0.5) ? [cur, other] : [other, cur];
  return g.node("where", [c, a, b], { value: g.rng.pick([-0.5, 0, 0.3]) }, out);
};

const reduce: Step = (g, cur) => {
  const r = g.rng;
  const s = g.shape(cur);
  const nd = s.length;
  const all = nd === 0 || r.chance(0.25);
  const axes = all ? range(nd) : range(nd).filter(() => r.chance(0.5));
  if (axes.length === 0 && nd > 0) axes.push(r.int(0, nd - 1));
  const count = sizeOfShape(axes.map((a) => s[a]!));
  const empty = axes.some((a) => s[a] === 0);
  const fn = r.weighted<string>([
    ["sum", 4],
    ["mean", 2],
    ["max", empty ? 0 : 1.5],
    ["min", empty ? 0 : 1],
    ["prod", count <= 6 ? 1 : 0],
    ["logSumExp", empty ? 0 : 1.5],
    ["variance", count >= 2 ? 1 : 0],
  ]);
  const keepdims = r.chance(0.3);
  const shape = s.flatMap((d, i) => (!axes.includes(i) ? [d] : keepdims ? [1] : []));
  const p: Params = { fn, keepdims };
  if (!all || r.chance(0.5)) p.axes = axes.map((a) => negAxis(r, a, nd));
  const v = g.node("reduce", [cur], p, shape);
  return fn === "sum" && count > 1 ? g.node("scale", [v], { c: 1 / Math.sqrt(count) }, shape) : v;
};

const axisOp: Step = (g, cur) => {
  const s = g.shape(cur);
  if (s.length === 0) return null;
  const r = g.rng;
  const axis = r.int(0, s.length - 1);
  // softmax over an empty axis is an error (a maximum without identity): cumsum there.
  const op = s[axis] === 0 ? "cumsum" : r.pick(["softmax", "logSoftmax", "cumsum"]);
  if (op !== "cumsum") return g.node(op, [cur], { axis: negAxis(r, axis, s.length) }, s);
  const v = g.node("cumsum", [cur], { axis, reverse: r.chance(0.5) }, s);
  return s[axis]! > 1 ? g.node("scale", [v], { c: 1 / Math.sqrt(s[axis]!) }, s) : v;
};

const movement: Step = (g, cur) => {
  const r = g.rng;
  const s = g.shape(cur);
  const nd = s.length;
  const kind = r.weighted<string>([
    ["transpose", nd >= 2 ? 3 : 0],
    ["reshape", 2],
    ["slice", nd >= 1 ? 2 : 0],
    ["flip", nd >= 1 ? 1 : 0],
    ["pad", nd >= 1 ? 1.5 : 0],
    ["concatenate", nd >= 1 ? 1.5 : 0],
    ["stack", 0.5],
    ["broadcastTo", 1],
    ["expandDims", 0.7],
    ["squeeze", s.includes(1) ? 0.7 : 0],
    ["moveaxis", nd >= 2 ? 0.7 : 0],
    ["tile", 0.7],
    ["take", 3],
    ["takeArgmax", nd >= 1 && s.every((d) => d > 0) ? 1 : 0],
  ]);
  switch (kind) {
    case "transpose": {
      const perm = r.shuffle(range(nd));
      return g.node(
        "transpose",
        [cur],
        { perm },
        perm.map((p) => s[p]!),
      );
    }
    case "reshape": {
      const n = sizeOfShape(s);
      const t = n === 0 ? [0, r.int(1, 3)] : factor(r, n, r.int(1, 4));
      const p = r.chance(0.2) && t.length > 0 && n > 0 ? t.map((d, i) => (i === 0 ? -1 : d)) : t;
      return g.node("reshape", [cur], { shape: p }, t);
    }
    case "slice": {
      const size = s.map((d) => (d <= 1 || r.chance(0.3) ? d : r.int(1, d)));
      const begin = s.map((d, i) => r.int(0, d - size[i]!));
      return g.node("slice", [cur], { begin, size }, size);
    }
    case "flip": {
      const axes = range(nd).filter(() => r.chance(0.5));
      return g.node("flip", [cur], { axes: axes.length ? axes : [0] }, s);
    }
    case "pad": {
      const widths = s.map((): [number, number] => (r.chance(0.5) ? [r.int(0, 3), r.int(0, 3)] : [0, 0]));
      const shape = s.map((d, i) => d + widths[i]![0] + widths[i]![1]);
      if (!g.fits(shape)) return null;
      return g.node("pad", [cur], { widths, value: r.chance(0.7) ? 0 : -0.25 }, shape);
    }
    case "concatenate": {
      const axis = r.int(0, nd - 1);
      const n = r.int(1, 2);
      const others = range(n).map(() => g.operand(s.map((d, i) => (i === axis ? r.int(1, 5) : d))));
      const args = r.shuffle([cur, ...others]);
      const shape = s.map((d, i) => (i === axis ? args.reduce((t, a) => t + g.shape(a)[axis]!, 0) : d));
      if (!g.fits(shape)) return null;
      return g.node("concatenate", args, { axis: negAxis(r, axis, nd) }, shape);
    }
    case "stack": {
      const other = g.operand(s);
      const axis = r.int(0, nd);
      const shape = [...s.slice(0, axis), 2, ...s.slice(axis)];
      if (!g.fits(shape)) return null;
      return g.node("stack", r.chance(0.5) ? [cur, other] : [other, cur], { axis }, shape);
    }
    case "broadcastTo": {
      const shape = [...(r.chance(0.5) ? [g.dim()] : []), ...s.map((d) => (d === 1 ? g.dim() : d))];
      if (!g.fits(shape)) return null;
      return g.node("broadcastTo", [cur], { shape }, shape);
    }
    case "expandDims": {
      const axis = r.int(0, nd);
      return g.node("expandDims", [cur], { axis }, [...s.slice(0, axis), 1, ...s.slice(axis)]);
    }
    case "squeeze": {
      const axes = range(nd).filter((i) => s[i] === 1 && r.chance(0.7));
      if (axes.length === 0) return null;
      return g.node(
        "squeeze",
        [cur],
        { axes },
        s.filter((_, i) => !axes.includes(i)),
      );
    }
    case "moveaxis": {
      const src = r.int(0, nd - 1);
      const dst = r.int(0, nd - 1);
      const order = range(nd).filter((i) => i !== src);
      order.splice(dst, 0, src);
      return g.node(
        "moveaxis",
        [cur],
        { src, dst: negAxis(r, dst, nd) },
        order.map((i) => s[i]!),
      );
    }
    case "tile": {
      const reps = range(r.int(1, Math.max(1, nd))).map(() => r.int(1, 3));
      const rank = Math.max(reps.length, nd);
      const ss = [...Array(rank - nd).fill(1), ...s];
      const rr = [...Array(rank - reps.length).fill(1), ...reps];
      const shape = ss.map((d, i) => d * rr[i]!);
      if (!g.fits(shape)) return null;
      return g.node("tile", [cur], { reps }, shape);
    }
    case "take": {
      const flat = nd === 0 || r.chance(0.2);
      const axis = flat ? undefined : r.int(0, nd - 1);
      const n = flat ? sizeOfShape(s) : s[axis!]!;
      if (n === 0) return null;
      const idxShape = range(r.int(0, 2)).map(() => r.int(1, 5));
      const idx = range(sizeOfShape(idxShape)).map(() => r.int(-n, n - 1));
      const rest = flat ? [] : s;
      const shape = flat ? idxShape : [...rest.slice(0, axis), ...idxShape, ...rest.slice(axis! + 1)];
      if (!g.fits(shape)) return null;
      const p: Params = { idx, idxShape };
      if (!flat) p.axis = negAxis(r, axis!, nd);
      return g.node("take", [cur], p, shape);
    }
    case "takeArgmax": {
      const axis = r.int(0, nd - 1);
      // Indices along `axis` from the argmax of a fresh input over a dimension of that size.
      const lead = range(r.int(0, 2)).map(() => r.int(1, 4));
      const uAxis = r.int(0, lead.length);
      const us = [...lead.slice(0, uAxis), s[axis]!, ...lead.slice(uAxis)];
      const shape = [...s.slice(0, axis), ...lead, ...s.slice(axis + 1)];
      if (!g.fits(shape)) return null;
      return g.node("takeArgmax", [cur, g.fresh(us)], { axis, uAxis }, shape);
    }
  }
  return null;
};

// ---- contractions ------------------------------------------------------------------------------------------

type Role = "batch" | "contract" | "free" | "summed";

/**
 * An order of the groups' items biased to the layouts the matrix kernels treat specially or that look like
 * them: grouped in order, the last two groups swapped (a stored transpose), the whole rotated at any point
 * (a transpose only when the rotation falls on a group boundary), or shuffled.
 */
function layoutOrder<T>(r: Rng, groups: readonly T[][]): T[] {
  const flat = groups.flat();
  const kind = r.weighted<string>([
    ["grouped", 1],
    ["swapped", 2],
    ["rotated", 5],
    ["shuffled", 2],
  ]);
  if (kind === "grouped" || flat.length < 2) return flat;
  if (kind === "swapped")
    return [...groups.slice(0, -2).flat(), ...(groups.at(-1) ?? []), ...(groups.at(-2) ?? [])];
  if (kind === "shuffled") return r.shuffle(flat);
  const k = r.int(1, flat.length - 1);
  return [...flat.slice(k), ...flat.slice(0, k)];
}

/**
 * The order in which a's contracted dims pair with b's: a's storage order, the cyclic order that starts
 * after a's last free dim (so that [free…, contracted…] is a rotation of a's storage), or shuffled.
 */
function pairingOrder(r: Rng, contract: number[], free: number[], nd: number): number[] {
  const kind = r.weighted<string>([
    ["storage", 2],
    ["cyclic", 6],
    ["shuffled", 2],
  ]);
  if (kind === "storage") return contract;
  if (kind === "shuffled") return r.shuffle(contract);
  const start = free.length > 0 ? Math.max(...free) + 1 : r.int(0, nd);
  return contract.slice().sort((x, y) => ((x - start + nd) % nd) - ((y - start + nd) % nd));
}

/**
 * A contraction of `a` (dims with roles) with a second operand built from the roles: shared batch and
 * contracted dims in a random order interleaved with fresh free dims. Written as tensordot, einsum,
 * dot_general or (for two plain matrices) matmul, and scaled by 1/√K.
 */
function contraction(
  g: ProgramBuilder,
  a: number,
  roles: Role[],
  freeB: number[],
  pre?: number,
): number | null {
  const r = g.rng;
  const sa = g.shape(a);
  const dimsOf = (role: Role) => roles.flatMap((ro, i) => (ro === role ? [i] : []));
  const batch = dimsOf("batch");
  const contract = pairingOrder(r, dimsOf("contract"), dimsOf("free"), sa.length);
  const summed = dimsOf("summed");
  const hasSummed = summed.length > 0;
  // b's dims: batch (dims of a), contracted (dims of a), free (new sizes), in a layout of layoutOrder.
  type BDim = { of: number } | { size: number };
  const bDims = layoutOrder<BDim>(r, [
    batch.map((i) => ({ of: i })),
    contract.map((i) => ({ of: i })),
    freeB.map((size) => ({ size })),
  ]);
  const sb = bDims.map((d) => ("of" in d ? sa[d.of]! : d.size));
  const freeA = dimsOf("free");
  const outShape = [...batch, ...freeA].map((i) => sa[i]!).concat(freeB);
  if (!g.fits(sb) || !g.fits(outShape)) return null;
  const b = pre ?? g.operand(sb);
  const aFirst = r.chance(0.6);
  const K = sizeOfShape([...contract, ...summed].map((i) => sa[i]!));
  const bIndex = (i: number) => bDims.findIndex((d) => "of" in d && d.of === i);
  const api = r.weighted<string>([
    ["tensordot", batch.length === 0 && !hasSummed ? 3 : 0],
    ["einsum", 3],
    ["dotGeneral", hasSummed ? 0 : 2],
  ]);
  let v: number;
  let shape: number[];
  if (api === "tensordot") {
    const axesA = contract.map((i) => negAxis(r, i, sa.length));
    const axesB = contract.map((i) => bIndex(i));
    const fb = bDims.flatMap((d) => ("size" in d ? [d.size] : []));
    const fa = freeA.map((i) => sa[i]!);
    shape = aFirst ? [...fa, ...fb] : [...fb, ...fa];
    v = aFirst
      ? g.node("tensordot", [a, b], { axesA, axesB }, shape)
      : g.node("tensordot", [b, a], { axesA: axesB, axesB: axesA }, shape);
  } else if (api === "dotGeneral") {
    const lhs = {
      contract: contract,
      batch,
      free: freeA,
    };
    const rhs = {
      contract: contract.map(bIndex),
      batch: batch.map(bIndex),
      free: bDims.flatMap((d, j) => ("size" in d ? [j] : [])),
    };
    const [x, y] = aFirst ? [lhs, rhs] : [rhs, lhs];
    const xs = aFirst ? sa : sb;
    const ys = aFirst ? sb : sa;
    shape = [...x.batch.map((i) => xs[i]!), ...x.free.map((i) => xs[i]!), ...y.free.map((i) => ys[i]!)];
    const dims = { lhsContract: x.contract, rhsContract: y.contract, lhsBatch: x.batch, rhsBatch: y.batch };
    v = g.node("dotGeneral", aFirst ? [a, b] : [b, a], { dims }, shape);
  } else {
    const letters = r.shuffle([...LETTERS]);
    const la = sa.map((_, i) => letters[i]!);
    let next = sa.length;
    const lb = bDims.map((d) => ("of" in d ? la[d.of]! : letters[next++]!));
    const outLetters = r.shuffle([
      ...batch.map((i) => la[i]!),
      ...freeA.map((i) => la[i]!),
      ...lb.filter((l) => !la.includes(l)),
    ]);
    const spec = aFirst
      ? `${la.join("")},${lb.join("")}->${outLetters.join("")}`
      : `${lb.join("")},${la.join("")}->${outLetters.join("")}`;
    const size = new Map<string, number>();
    la.forEach((l, i) => size.set(l, sa[i]!));
    lb.forEach((l, i) => size.set(l, sb[i]!));
    shape = outLetters.map((l) => size.get(l)!);
    v = g.node("einsum", aFirst ? [a, b] : [b, a], { spec }, shape);
  }
  return K > 1 ? g.node("scale", [v], { c: 1 / Math.sqrt(K) }, shape) : v;
}

const contract: Step = (g, cur) => {
  const r = g.rng;
  const s = g.shape(cur);
  if (s.length === 0) return null;
  const roles = s.map(
    (): Role =>
      r.weighted<Role>([
        ["contract", 4],
        ["free", 3],
        ["batch", 2],
        ["summed", 0.5],
      ]),
  );
  const freeB = range(r.int(0, 2)).map(() => g.dim());
  return contraction(g, cur, roles, freeB);
};

const matmul: Step = (g, cur) => {
  const r = g.rng;
  const s = g.shape(cur);
  if (s.length === 0) return null;
  const left = r.chance(0.5);
  const k = left ? s[s.length - 1]! : s[Math.max(0, s.length - 2)]!;
  const n = g.dim();
  const batch =
    s.length > 2
      ? s
          .slice(0, -2)
          .slice(r.int(0, s.length - 2))
          .map((d) => (r.chance(0.3) ? 1 : d))
      : [];
  if (s.length === 1 && r.chance(0.3)) {
    const other = g.operand(s);
    const op = r.pick(["dot", "outer"]);
    const shape = op === "dot" ? [] : [s[0]!, s[0]!];
    if (!g.fits(shape)) return null;
    const v = g.node(op, left ? [cur, other] : [other, cur], {}, shape);
    return op === "dot" && k > 1 ? g.node("scale", [v], { c: 1 / Math.sqrt(k) }, shape) : v;
  }
  const otherShape = r.chance(0.2) ? [k] : left ? [...batch, k, n] : [...batch, n, k];
  const other = g.operand(otherShape);
  const [x, y] = left ? [s, otherShape] : [otherShape, s];
  const xm = x.length === 1 ? [1, x[0]!] : x;
  const ym = y.length === 1 ? [y[0]!, 1] : y;
  const bs = broadcastShape(xm.slice(0, -2), ym.slice(0, -2));
  if (bs === null) return null;
  let shape = [...bs, xm[xm.length - 2]!, ym[ym.length - 1]!];
  if (x.length === 1) shape.splice(shape.length - 2, 1);
  if (y.length === 1) shape = shape.slice(0, -1);
  if (!g.fits(shape)) return null;
  const v = g.node("matmul", left ? [cur, other] : [other, cur], {}, shape);
  return k > 1 ? g.node("scale", [v], { c: 1 / Math.sqrt(k) }, shape) : v;
};

/** One of the other steps, its last node wrapped in nb.checkpoint, a custom JVP or a custom VJP rule. */
const wrapped: Step = (g, cur) => {
  const step = g.rng.pick([unary, binary, reduce, axisOp, movement, contract, matmul]);
  const v = step(g, cur);
  if (v === null) return null;
  let x = g.values[v]!;
  // A scaled result wraps the operation under the scaling.
  if ("node" in x && x.node.op === "scale") x = g.values[x.node.args[0]!]!;
  if (!("node" in x)) return v;
  const n = x.node;
  n.p = {
    wrapper: g.rng.pick(["checkpoint", "customJvp", "customVjp"] as const),
    inner: { op: n.op, p: n.p },
  };
  n.op = "wrap";
  return v;
};

const STEPS: [Step, number][] = [
  [unary, 4],
  [binary, 4],
  [where, 1],
  [reduce, 3],
  [axisOp, 1],
  [movement, 4],
  [contract, 3],
  [matmul, 1.5],
  [wrapped, 1.5],
];

/** Applies `n` random steps to `cur`. */
export function randomSteps(g: ProgramBuilder, cur: number, n: number, steps = STEPS): number {
  for (let i = 0; i < n; i++) {
    for (let tries = 0; tries < 10; tries++) {
      const v = g.rng.weighted(steps)(g, cur);
      if (v !== null) {
        cur = v;
        break;
      }
    }
  }
  return cur;
}

/** The generator's seed for a program: float32 and float64 programs of one seed differ, as do classes. */
function programSeed(seed: number, dtype: FloatDType, kind: string): number {
  let h = (seed * 0x9e3779b1) ^ (dtype === "float32" ? 0x85ebca6b : 0);
  for (const ch of kind) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/** A small random program (tensors up to `maxElems` elements) of 2 to 9 steps. */
export function smallProgram(seed: number, dtype: FloatDType, maxElems = 1500): Program {
  const rng = new Rng(programSeed(seed, dtype, "small"));
  const g = new ProgramBuilder(rng, dtype, { maxElems, zeroDims: 0.02 });
  const start = g.operand(g.randomShape());
  return g.build(randomSteps(g, start, rng.int(2, 9)));
}

/** A longer program (6 to 16 steps, tensors up to 6000 elements): more values shared between fused loops. */
export function mediumProgram(seed: number, dtype: FloatDType): Program {
  const rng = new Rng(programSeed(seed, dtype, "medium"));
  const g = new ProgramBuilder(rng, dtype, { maxElems: 6000, zeroDims: 0.02 });
  const start = g.operand(g.randomShape(5));
  return g.build(randomSteps(g, start, rng.int(6, 16)));
}

/**
 * A one- or two-step program on tiny tensors whose first step reads an input directly, so that a vmap
 * axis, a tangent or a cotangent meets each operation's own rule.
 */
export function tinyProgram(seed: number, dtype: FloatDType): Program {
  const rng = new Rng(programSeed(seed, dtype, "tiny"));
  const g = new ProgramBuilder(rng, dtype, { maxElems: 240, zeroDims: 0.02 });
  const start = g.fresh(g.randomShape());
  // A third of them first call a function with custom rules on the input (often unmapped under vmap), then
  // combine it with a fresh input: nb.vmap((a, b) => nb.add(nb.softplus(a), b), { inAxes: [null, 0] }).
  if (rng.chance(1 / 3)) {
    const custom = rng.chance(0.5) ? wrapped(g, start) : customCall(g, start);
    return g.build(binary(g, custom ?? start) ?? start);
  }
  return g.build(randomSteps(g, start, rng.int(1, 2)));
}

/** A function with custom rules applied to `cur`: softplus, logSumExp, or one made with customJvp/customVjp. */
const customCall: Step = (g, cur) => {
  const s = g.shape(cur);
  const kind = g.rng.pick(["softplus", "xTanh", "smoothAbs", "logSumExp"]);
  if (kind !== "logSumExp") return g.node("unary", [cur], { fn: kind }, s);
  const axis = s.length > 0 && s.every((d) => d > 0) ? g.rng.int(0, s.length - 1) : null;
  if (axis === null) return null;
  return g.node(
    "reduce",
    [cur],
    { fn: "logSumExp", axes: [axis], keepdims: true },
    s.map((d, i) => (i === axis ? 1 : d)),
  );
};

// ---- programs sized for the kernels' thresholds --------------------------------------------------------------

/** Size classes of a matrix product (M·K·N per batch) and of a fused loop. */
export type SizeClass = "thin" | "native" | "wasm" | "mid" | "threads" | "loop";
export const SIZE_CLASSES: readonly SizeClass[] = ["thin", "native", "wasm", "mid", "threads", "loop"];

/** M, K, N (and a batch count) for a product of the class. */
function productSizes(r: Rng, cls: SizeClass, dtype: FloatDType): [number, number, number, number] {
  const near = (target: number, m: number, n: number) =>
    Math.max(1, Math.round(target / (m * n)) + r.int(-1, 1));
  const batch = r.chance(0.25) ? r.int(2, 3) : 1;
  switch (cls) {
    case "thin": {
      // M or N of 1-3: products from below the native threshold to well above WebAssembly's.
      const m = r.int(1, 3);
      const n = r.int(1, 150);
      const k = r.int(1, 500);
      return r.chance(0.5) ? [batch, m, k, n] : [batch, n, k, m];
    }
    case "native": {
      // M·K·N near 2048 (the native addon's threshold), dims off the tile sizes.
      const m = r.int(5, 17);
      const n = r.int(5, 17);
      return [batch, m, near(2048, m, n), n];
    }
    case "wasm": {
      // Near 24³ = 13,824 (WebAssembly's threshold).
      const m = r.int(13, 35);
      const n = r.int(13, 35);
      return [batch, m, near(13824, m, n), n];
    }
    case "mid": {
      const m = r.int(30, 90);
      const n = r.int(30, 90);
      return [batch, m, near(r.int(60000, 400000), m, n), n];
    }
    case "threads": {
      // Past the threaded products' thresholds (2^21 float64, 2^22-2^23 float32), rows ≥ 2 tiles.
      const target = (dtype === "float64" ? 2 ** 21 : 2 ** 23) * (1 + r.next() * 0.3);
      const m = r.int(97, 260);
      const n = r.int(97, 260);
      return [1, m, near(target, m, n), n];
    }
    default:
      return [1, 1, 1, 1];
  }
}

/**
 * A product of the size class with random layouts, then a few more random steps; or a long fused loop, of
 * 2·10^5 to 1.2·10^6 elements when `large` (else at most 3·10^5), past the thresholds that split fused
 * loops across threads.
 */
export function sizedProgram(seed: number, dtype: FloatDType, cls: SizeClass, large = false): Program {
  const r = new Rng(programSeed(seed, dtype, cls));
  if (cls === "loop") {
    // The short run's loops (not `large`) are elementwise chains over contiguous inputs of one shape, which
    // the WebAssembly loops run (and split across threads); long runs mix in everything else.
    const simd = !large || r.chance(0.5);
    const opts = simd ? { unary: SIMD_UNARY, binary: SIMD_BINARY, sameShapes: !large } : {};
    const g = new ProgramBuilder(r, dtype, { maxElems: large ? 1.3e6 : 3.2e5, ...opts });
    const n = large ? r.int(200_000, 1_200_000) : r.int(200_000, 300_000);
    const shape = factor(r, n - (n % 8) + r.int(0, 7), r.int(1, 3));
    const start = !large || r.chance(0.5) ? g.fresh(shape) : g.operand(shape);
    const loopSteps: [Step, number][] = large
      ? [
          [unary, 5],
          [binary, 4],
          [where, 1],
          [reduce, 1.5],
          [movement, 1],
          [wrapped, 0.5],
        ]
      : [
          [unary, 5],
          [binary, 4],
          [where, 1],
        ];
    return g.build(randomSteps(g, start, r.int(2, 5), loopSteps));
  }
  const [B, M, K, N] = productSizes(r, cls, dtype);
  const g = new ProgramBuilder(r, dtype, { maxElems: 4e6 });
  // a's dims: batch, free (M) and contracted (K), each split in up to 2 (K up to 3) dims, in a random order.
  const split = (n: number, most: number) => (n === 1 && r.chance(0.5) ? [] : factor(r, n, r.int(1, most)));
  const groups: [Role, number[]][] = [
    ["batch", B > 1 ? [B] : []],
    ["free", split(M, 2)],
    [
      "contract",
      factor(
        r,
        K,
        r.weighted([
          [1, 1],
          [2, 3],
          [3, 2],
        ]),
      ),
    ],
  ];
  const order = layoutOrder(
    r,
    groups.map(([role, sizes]) => sizes.map((size) => ({ role, size }))),
  );
  const a = g.operand(order.map((d) => d.size));
  const roles = order.map((d) => d.role);
  const v = contraction(g, a, roles, split(N, 2));
  if (v === null) throw new Error(`sizedProgram: a product of class ${cls} did not fit`);
  const after: [Step, number][] = [
    [unary, 3],
    [binary, 2],
    [reduce, 2],
    [movement, 1],
  ];
  return g.build(randomSteps(g, v, r.int(0, 2), after));
}
