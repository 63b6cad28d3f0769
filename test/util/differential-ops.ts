// Random programs for the differential test: representation, meaning as nabla calls, printing, evaluation.
import * as nb from "nabla";
import * as lax from "../../src/primitives/lax.js";

export type FloatDType = "float32" | "float64";

/** An input: its shape and the seed of its values (standard normal). */
export interface Input {
  shape: number[];
  seed: number;
}

/** Everything an operation node may be parameterized by (each op reads its own fields). */
export interface Params {
  fn?: string;
  axes?: number[];
  axis?: number;
  keepdims?: boolean;
  perm?: number[];
  shape?: number[];
  begin?: number[];
  size?: number[];
  widths?: [number, number][];
  value?: number;
  c?: number;
  src?: number;
  dst?: number;
  reps?: number[];
  idx?: number[];
  idxShape?: number[];
  uAxis?: number;
  axesA?: number[];
  axesB?: number[];
  spec?: string;
  reverse?: boolean;
  dims?: { lhsContract: number[]; rhsContract: number[]; lhsBatch: number[]; rhsBatch: number[] };
  wrapper?: "checkpoint" | "customJvp" | "customVjp";
  inner?: { op: string; p: Params };
}

/** One operation: value ids of its arguments (inputs first, then nodes), parameters, result shape. */
export interface Node {
  op: string;
  args: number[];
  p: Params;
  shape: number[];
}

export interface Program {
  dtype: FloatDType;
  inputs: Input[];
  nodes: Node[];
  /** The value id of the result. */
  out: number;
}

export const shapeOfValue = (prog: Program, v: number): number[] =>
  v < prog.inputs.length ? prog.inputs[v]!.shape : prog.nodes[v - prog.inputs.length]!.shape;

export const sizeOfShape = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

// ---- input values ------------------------------------------------------------------------------------------

/** A small seeded generator (sfc32): uniform floats in [0, 1) and integers. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** An element of `xs` drawn with the given weights. */
  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    const total = xs.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [x, w] of xs) {
      r -= w;
      if (r < 0) return x;
    }
    return xs[xs.length - 1]![0];
  }
  shuffle<T>(xs: readonly T[]): T[] {
    const r = xs.slice();
    for (let i = r.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [r[i], r[j]] = [r[j]!, r[i]!];
    }
    return r;
  }
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}

/** The values of an input of `shape` drawn from `seed` (standard normal, as float64 numbers). */
export function inputValues(shape: readonly number[], seed: number): Float64Array {
  const r = new Rng(seed);
  const out = new Float64Array(sizeOfShape(shape));
  for (let i = 0; i < out.length; i++) out[i] = r.normal();
  return out;
}

/** An input as a tensor of `dtype`. */
export function input(shape: readonly number[], seed: number, dtype: FloatDType = "float64"): nb.Tensor {
  const v = inputValues(shape, seed);
  return nb.reshape(nb.array(dtype === "float64" ? v : Float32Array.from(v)), shape);
}

export const programInputs = (prog: Program): nb.Tensor[] =>
  prog.inputs.map((i) => input(i.shape, i.seed, prog.dtype));

// ---- functions with custom rules ---------------------------------------------------------------------------

const t1 = (x: unknown) => x as nb.Tensor;

/** x·tanh(x) with a hand-written JVP rule. */
export const xTanh: (x: nb.Tensor) => nb.Tensor = nb.customJvp(
  (x: nb.Tensor) => nb.mul(x, nb.tanh(x)),
  ([x], [dx]) => {
    const t = nb.tanh(t1(x));
    return [xTanh(t1(x)), nb.mul(t1(dx), nb.add(t, nb.mul(t1(x), nb.sub(1, nb.square(t)))))];
  },
);

/** √(x² + 1) with a hand-written VJP rule (residuals: x and the result). */
export const smoothAbs: (x: nb.Tensor) => nb.Tensor = nb.customVjp(
  (x: nb.Tensor) => nb.sqrt(nb.add(nb.square(x), 1)),
  (x) => {
    const y = nb.sqrt(nb.add(nb.square(t1(x)), 1));
    return [y, [x, y]];
  },
  (res, ct) => {
    const [x, y] = res as nb.Tensor[];
    return [nb.mul(ct, nb.div(x!, y!))];
  },
);

/** √(x² + y² + 1) (broadcasting) with a hand-written JVP rule. */
export const hypot1: (x: nb.Tensor, y: nb.Tensor) => nb.Tensor = nb.customJvp(
  (x: nb.Tensor, y: nb.Tensor) => nb.sqrt(nb.add(nb.add(nb.square(x), nb.square(y)), 1)),
  ([x, y], [dx, dy]) => {
    const h = hypot1(t1(x), t1(y));
    return [h, nb.div(nb.add(nb.mul(t1(dx), t1(x)), nb.mul(t1(dy), t1(y))), h)];
  },
);

/** Sums `x` down to `shape` (the adjoint of broadcasting `shape` to x's shape). */
export function sumTo(x: nb.Tensor, shape: readonly number[]): nb.Tensor {
  const lead = x.shape.length - shape.length;
  let r = lead > 0 ? nb.sum(x, { axis: [...Array(lead).keys()] }) : x;
  const ones = shape.flatMap((d, i) => (d === 1 && r.shape[i] !== 1 ? [i] : []));
  if (ones.length > 0) r = nb.sum(r, { axis: ones, keepdims: true });
  return r;
}

/** a·b (broadcasting) with a hand-written VJP rule that sums cotangents back to each shape. */
export const mulVjp: (a: nb.Tensor, b: nb.Tensor) => nb.Tensor = nb.customVjp(
  (a: nb.Tensor, b: nb.Tensor) => nb.mul(a, b),
  (a, b) => [nb.mul(t1(a), t1(b)), [a, b]],
  (res, ct) => {
    const [a, b] = res as nb.Tensor[];
    return [sumTo(nb.mul(ct, b!), a!.shape), sumTo(nb.mul(ct, a!), b!.shape)];
  },
);

/** `f` with a custom JVP rule that is f's own JVP. */
export const viaCustomJvp = (f: (...a: nb.Tensor[]) => nb.Tensor) =>
  nb.customJvp(f, (ps, ts) => nb.jvp(f, ps as nb.Tensor[], ts as nb.Tensor[]) as [unknown, unknown]);

/** `f` with a custom VJP rule that is f's own VJP (the arguments are the residuals). */
export const viaCustomVjp = (f: (...a: nb.Tensor[]) => nb.Tensor) =>
  nb.customVjp(
    f,
    (...xs) => [f(...(xs as nb.Tensor[])), xs],
    (xs, ct) => nb.vjp(f, ...(xs as nb.Tensor[]))[1](ct) as unknown[],
  );

// ---- the operations ----------------------------------------------------------------------------------------

interface Fn1 {
  f: (x: nb.Tensor) => nb.Tensor;
  /** The call as code, `$` standing for the argument. */
  code: string;
  /** Only applied to inputs (its value changes in steps, so inexact operands would flip it). */
  discrete?: boolean;
  /** Has a custom VJP rule (no forward mode). */
  vjpOnly?: boolean;
}

export const UNARY: Record<string, Fn1> = {
  neg: { f: nb.neg, code: "nb.neg($)" },
  tanh: { f: nb.tanh, code: "nb.tanh($)" },
  sin: { f: nb.sin, code: "nb.sin($)" },
  cos: { f: nb.cos, code: "nb.cos($)" },
  atan: { f: nb.atan, code: "nb.atan($)" },
  sigmoid: { f: nb.sigmoid, code: "nb.sigmoid($)" },
  erf: { f: nb.erf, code: "nb.erf($)" },
  square: { f: nb.square, code: "nb.square($)" },
  abs: { f: nb.abs, code: "nb.abs($)" },
  relu: { f: nb.relu, code: "nb.relu($)" },
  gelu: { f: (x) => nb.gelu(x), code: "nb.gelu($)" },
  geluTanh: { f: (x) => nb.gelu(x, { approximate: true }), code: "nb.gelu($, { approximate: true })" },
  elu: { f: (x) => nb.elu(x), code: "nb.elu($)" },
  leakyRelu: { f: (x) => nb.leakyRelu(x, 0.1), code: "nb.leakyRelu($, 0.1)" },
  clip: { f: (x) => nb.clip(x, -0.5, 0.7), code: "nb.clip($, -0.5, 0.7)" },
  softplus: { f: nb.softplus, code: "nb.softplus($)" },
  expTanh: { f: (x) => nb.exp(nb.tanh(x)), code: "nb.exp(nb.tanh($))" },
  expm1Tanh: { f: (x) => nb.expm1(nb.tanh(x)), code: "nb.expm1(nb.tanh($))" },
  log1pSquare: { f: (x) => nb.log1p(nb.square(x)), code: "nb.log1p(nb.square($))" },
  logSigmoid: { f: (x) => nb.log(nb.sigmoid(x)), code: "nb.log(nb.sigmoid($))" },
  sqrt1p: { f: (x) => nb.sqrt(nb.add(nb.square(x), 1)), code: "nb.sqrt(nb.add(nb.square($), 1))" },
  asinTanh: { f: (x) => nb.asin(nb.mul(nb.tanh(x), 0.9)), code: "nb.asin(nb.mul(nb.tanh($), 0.9))" },
  acosTanh: { f: (x) => nb.acos(nb.mul(nb.tanh(x), 0.9)), code: "nb.acos(nb.mul(nb.tanh($), 0.9))" },
  tanTanh: { f: (x) => nb.tan(nb.tanh(x)), code: "nb.tan(nb.tanh($))" },
  sinhTanh: { f: (x) => nb.sinh(nb.tanh(x)), code: "nb.sinh(nb.tanh($))" },
  coshTanh: { f: (x) => nb.cosh(nb.tanh(x)), code: "nb.cosh(nb.tanh($))" },
  cube: { f: (x) => nb.pow(x, 3), code: "nb.pow($, 3)" },
  powPos: { f: (x) => nb.pow(nb.add(nb.tanh(x), 1.5), 1.3), code: "nb.pow(nb.add(nb.tanh($), 1.5), 1.3)" },
  recip: { f: (x) => nb.div(1, nb.add(nb.square(x), 1)), code: "nb.div(1, nb.add(nb.square($), 1))" },
  xTanh: { f: xTanh, code: "xTanh($)" },
  smoothAbs: { f: smoothAbs, code: "smoothAbs($)", vjpOnly: true },
  floor: { f: nb.floor, code: "nb.floor($)", discrete: true },
  round: { f: nb.round, code: "nb.round($)", discrete: true },
  sign: { f: nb.sign, code: "nb.sign($)", discrete: true },
};

interface Fn2 {
  f: (x: nb.Tensor, y: nb.Tensor) => nb.Tensor;
  code: string;
  vjpOnly?: boolean;
}

export const BINARY: Record<string, Fn2> = {
  add: { f: nb.add, code: "nb.add($, $)" },
  sub: { f: nb.sub, code: "nb.sub($, $)" },
  mul: { f: nb.mul, code: "nb.mul($, $)" },
  maximum: { f: nb.maximum, code: "nb.maximum($, $)" },
  minimum: { f: nb.minimum, code: "nb.minimum($, $)" },
  divSafe: { f: (x, y) => nb.div(x, nb.add(nb.square(y), 1)), code: "nb.div($, nb.add(nb.square($), 1))" },
  atan2Safe: {
    f: (x, y) => nb.atan2(x, nb.add(nb.tanh(y), 1.5)),
    code: "nb.atan2($, nb.add(nb.tanh($), 1.5))",
  },
  powSafe: {
    f: (x, y) => nb.pow(nb.add(nb.tanh(x), 1.5), nb.tanh(y)),
    code: "nb.pow(nb.add(nb.tanh($), 1.5), nb.tanh($))",
  },
  hypot1: { f: hypot1, code: "hypot1($, $)" },
  mulVjp: { f: mulVjp, code: "mulVjp($, $)", vjpOnly: true },
};

const fill = (code: string, args: readonly string[]): string => {
  let i = 0;
  return code.replace(/\$/g, () => args[i++]!);
};

const list = (xs: readonly number[]) => `[${xs.join(", ")}]`;

type Apply = (a: nb.Tensor[], p: Params) => nb.Tensor;
type Show = (a: string[], p: Params) => string;
interface OpDef {
  apply: Apply;
  show: Show;
}

const reduceOpts = (p: Params): string =>
  p.axes === undefined && !p.keepdims
    ? ""
    : `, { ${[p.axes === undefined ? "" : `axis: ${list(p.axes)}`, p.keepdims ? "keepdims: true" : ""]
        .filter((s) => s !== "")
        .join(", ")} }`;

const REDUCE: Record<string, (x: nb.Tensor, o: nb.ReduceOptions) => nb.Tensor> = {
  sum: nb.sum,
  mean: nb.mean,
  max: nb.max,
  min: nb.min,
  prod: nb.prod,
  logSumExp: nb.logSumExp,
  variance: nb.variance,
};

const indices = (p: Params) => nb.reshape(nb.array(p.idx!, { dtype: "int32" }), p.idxShape!);
const showIndices = (p: Params) =>
  `nb.reshape(nb.array(${list(p.idx!)}, { dtype: "int32" }), ${list(p.idxShape!)})`;

export const OPS: Record<string, OpDef> = {
  unary: { apply: ([x], p) => UNARY[p.fn!]!.f(x!), show: (a, p) => fill(UNARY[p.fn!]!.code, a) },
  binary: { apply: ([x, y], p) => BINARY[p.fn!]!.f(x!, y!), show: (a, p) => fill(BINARY[p.fn!]!.code, a) },
  where: {
    apply: ([c, x, y], p) => nb.where(nb.greater(c!, p.value!), x!, y!),
    show: ([c, x, y], p) => `nb.where(nb.greater(${c}, ${p.value}), ${x}, ${y})`,
  },
  scale: { apply: ([x], p) => nb.mul(x!, p.c!), show: ([x], p) => `nb.mul(${x}, ${p.c})` },
  reduce: {
    apply: ([x], p) => REDUCE[p.fn!]!(x!, { axis: p.axes, keepdims: p.keepdims }),
    show: ([x], p) => `nb.${p.fn}(${x}${reduceOpts(p)})`,
  },
  softmax: { apply: ([x], p) => nb.softmax(x!, p.axis), show: ([x], p) => `nb.softmax(${x}, ${p.axis})` },
  logSoftmax: {
    apply: ([x], p) => nb.logSoftmax(x!, p.axis),
    show: ([x], p) => `nb.logSoftmax(${x}, ${p.axis})`,
  },
  cumsum: {
    apply: ([x], p) => nb.cumsum(x!, { axis: p.axis, reverse: p.reverse }),
    show: ([x], p) => `nb.cumsum(${x}, { axis: ${p.axis}, reverse: ${p.reverse} })`,
  },
  transpose: {
    apply: ([x], p) => nb.transpose(x!, p.perm),
    show: ([x], p) => `nb.transpose(${x}, ${list(p.perm!)})`,
  },
  reshape: {
    apply: ([x], p) => nb.reshape(x!, p.shape!),
    show: ([x], p) => `nb.reshape(${x}, ${list(p.shape!)})`,
  },
  slice: {
    apply: ([x], p) => nb.slice(x!, p.begin!, p.size!),
    show: ([x], p) => `nb.slice(${x}, ${list(p.begin!)}, ${list(p.size!)})`,
  },
  flip: { apply: ([x], p) => nb.flip(x!, p.axes), show: ([x], p) => `nb.flip(${x}, ${list(p.axes!)})` },
  pad: {
    apply: ([x], p) => nb.pad(x!, p.widths!, p.value),
    show: ([x], p) => `nb.pad(${x}, ${JSON.stringify(p.widths)}, ${p.value})`,
  },
  concatenate: {
    apply: (a, p) => nb.concatenate(a, p.axis),
    show: (a, p) => `nb.concatenate([${a.join(", ")}], ${p.axis})`,
  },
  stack: { apply: (a, p) => nb.stack(a, p.axis), show: (a, p) => `nb.stack([${a.join(", ")}], ${p.axis})` },
  broadcastTo: {
    apply: ([x], p) => nb.broadcastTo(x!, p.shape!),
    show: ([x], p) => `nb.broadcastTo(${x}, ${list(p.shape!)})`,
  },
  expandDims: {
    apply: ([x], p) => nb.expandDims(x!, p.axis!),
    show: ([x], p) => `nb.expandDims(${x}, ${p.axis})`,
  },
  squeeze: {
    apply: ([x], p) => nb.squeeze(x!, p.axes),
    show: ([x], p) => `nb.squeeze(${x}, ${list(p.axes!)})`,
  },
  moveaxis: {
    apply: ([x], p) => nb.moveaxis(x!, p.src!, p.dst!),
    show: ([x], p) => `nb.moveaxis(${x}, ${p.src}, ${p.dst})`,
  },
  tile: { apply: ([x], p) => nb.tile(x!, p.reps!), show: ([x], p) => `nb.tile(${x}, ${list(p.reps!)})` },
  take: {
    apply: ([x], p) => nb.take(x!, indices(p), p.axis),
    show: ([x], p) => `nb.take(${x}, ${showIndices(p)}${p.axis === undefined ? "" : `, ${p.axis}`})`,
  },
  takeArgmax: {
    apply: ([x, u], p) => nb.take(x!, nb.argmax(u!, { axis: p.uAxis }), p.axis),
    show: ([x, u], p) => `nb.take(${x}, nb.argmax(${u}, { axis: ${p.uAxis} }), ${p.axis})`,
  },
  tensordot: {
    apply: ([x, y], p) => nb.tensordot(x!, y!, [p.axesA!, p.axesB!]),
    show: ([x, y], p) => `nb.tensordot(${x}, ${y}, [${list(p.axesA!)}, ${list(p.axesB!)}])`,
  },
  einsum: {
    apply: (a, p) => nb.einsum(p.spec!, ...a),
    show: (a, p) => `nb.einsum("${p.spec}", ${a.join(", ")})`,
  },
  matmul: { apply: ([x, y]) => nb.matmul(x!, y!), show: ([x, y]) => `nb.matmul(${x}, ${y})` },
  dot: { apply: ([x, y]) => nb.dot(x!, y!), show: ([x, y]) => `nb.dot(${x}, ${y})` },
  outer: { apply: ([x, y]) => nb.outer(x!, y!), show: ([x, y]) => `nb.outer(${x}, ${y})` },
  dotGeneral: {
    apply: ([x, y], p) => lax.dotGeneral(x!, y!, p.dims!),
    show: ([x, y], p) => `lax.dotGeneral(${x}, ${y}, ${JSON.stringify(p.dims)})`,
  },
  wrap: {
    apply: (a, p) => {
      const inner = p.inner!;
      const f = (...xs: nb.Tensor[]) => OPS[inner.op]!.apply(xs, inner.p);
      const g =
        p.wrapper === "checkpoint"
          ? nb.checkpoint(f)
          : p.wrapper === "customJvp"
            ? viaCustomJvp(f)
            : viaCustomVjp(f);
      return g(...a);
    },
    show: (a, p) => {
      const names = a.map((_, i) => `a${i}`);
      const body = OPS[p.inner!.op]!.show(names, p.inner!.p);
      const w =
        p.wrapper === "checkpoint"
          ? "nb.checkpoint"
          : p.wrapper === "customJvp"
            ? "viaCustomJvp"
            : "viaCustomVjp";
      return `${w}((${names.join(", ")}) => ${body})(${a.join(", ")})`;
    },
  },
};

/** Whether forward mode (jvp) applies: no function with only a custom VJP rule on the way. */
export function hasForwardMode(prog: Program): boolean {
  const vjpOnly = (op: string, p: Params): boolean =>
    (op === "unary" && UNARY[p.fn!]!.vjpOnly === true) ||
    (op === "binary" && BINARY[p.fn!]!.vjpOnly === true) ||
    (op === "wrap" && (p.wrapper === "customVjp" || vjpOnly(p.inner!.op, p.inner!.p)));
  return !prog.nodes.some((n) => vjpOnly(n.op, n.p));
}

// ---- evaluation and printing -------------------------------------------------------------------------------

/** Runs the program on `xs` (one tensor per input) with nabla operations; traceable by every transformation. */
export function runProgram(prog: Program, xs: readonly nb.Tensor[]): nb.Tensor {
  const vals: nb.Tensor[] = xs.slice();
  for (const n of prog.nodes)
    vals.push(
      OPS[n.op]!.apply(
        n.args.map((a) => vals[a]!),
        n.p,
      ),
    );
  return vals[prog.out]!;
}

const valueName = (prog: Program, v: number) => (v < prog.inputs.length ? `x${v}` : `v${v}`);

/** The program as TypeScript (helpers: `input` and the custom functions of test/util/differential-ops.ts). */
export function showProgram(prog: Program): string {
  const lines = [`// ${prog.dtype}`];
  prog.inputs.forEach((i, k) => {
    lines.push(`const x${k} = input(${list(i.shape)}, ${i.seed}, "${prog.dtype}");`);
  });
  prog.nodes.forEach((n, k) => {
    const id = prog.inputs.length + k;
    const code = OPS[n.op]!.show(
      n.args.map((a) => valueName(prog, a)),
      n.p,
    );
    lines.push(`const v${id} = ${code}; // [${n.shape.join(",")}]`);
  });
  lines.push(`// result: ${valueName(prog, prog.out)}`);
  return lines.join("\n");
}

/** Drops nodes the result does not depend on and inputs nothing reads, renumbering values. */
export function pruneProgram(prog: Program): Program {
  const nIn = prog.inputs.length;
  const live = new Set<number>([prog.out]);
  for (let k = prog.nodes.length - 1; k >= 0; k--)
    if (live.has(nIn + k)) for (const a of prog.nodes[k]!.args) live.add(a);
  const renum = new Map<number, number>();
  const inputs: Input[] = [];
  prog.inputs.forEach((inp, v) => {
    if (live.has(v)) {
      renum.set(v, inputs.length);
      inputs.push(inp);
    }
  });
  // A program with no live input keeps its first one (transformations need an argument).
  if (inputs.length === 0) {
    inputs.push(prog.inputs[0]!);
    renum.set(0, 0);
  }
  const nodes: Node[] = [];
  prog.nodes.forEach((n, k) => {
    if (!live.has(nIn + k)) return;
    renum.set(nIn + k, inputs.length + nodes.length);
    nodes.push({ ...n, args: n.args.map((a) => renum.get(a)!) });
  });
  return { dtype: prog.dtype, inputs, nodes, out: renum.get(prog.out)! };
}
