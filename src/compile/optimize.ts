// Program optimization for jit: a program becomes a flat graph of values in topological order, then one
// forward pass does algebraic simplification, constant folding and common-subexpression elimination
// (hash-consing), and a backward pass removes dead code. Every rewrite is exact in value (up to the sign
// of a zero), so jitted results agree with eager ones.
import type { Backend } from "../backend/backend.js";
import { isElementwise } from "../backend/fusion.js";
import { allocate, type TypedArray } from "../core/dtype.js";
import {
  isMulti,
  type MultiPrim,
  type MultiPrimParams,
  type Prim,
  type PrimParams,
} from "../core/primitives.js";
import type { Eqn, Program, Var } from "../core/program.js";
import { shapesEqual, sizeOf } from "../core/shape.js";
import { type Aval, ConcreteTensor } from "../core/tensor.js";

export type Def =
  | { readonly kind: "input"; readonly index: number }
  | { readonly kind: "const"; readonly value: ConcreteTensor }
  | {
      readonly kind: "eqn";
      readonly prim: Prim;
      readonly params: PrimParams[Prim];
      readonly inputs: readonly number[];
    }
  /**
   * A multi-output primitive (cond): it has no array of its own (its aval is a placeholder); its outputs
   * are the `part` values that follow it.
   */
  | {
      readonly kind: "multi";
      readonly prim: MultiPrim;
      readonly params: MultiPrimParams[MultiPrim];
      readonly inputs: readonly number[];
    }
  /** Output `index` of the multi-output value `of`. */
  | { readonly kind: "part"; readonly of: number; readonly index: number };

/** The abstract value standing for a multi-output value, which stores nothing itself. */
export const MULTI_AVAL: Aval = { shape: [0], dtype: "float32", weak: false };

/** The values a definition reads. */
export function readsOf(d: Def): readonly number[] {
  return d.kind === "eqn" || d.kind === "multi" ? d.inputs : d.kind === "part" ? [d.of] : [];
}

/** A program as values 0..n-1 in topological order; each value has a definition and an abstract value. */
export interface Graph {
  readonly defs: readonly Def[];
  readonly avals: readonly Aval[];
  /** The value of each program input, in order. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

/** The graph of `program`, or null when a constant is not concrete (it closes over an outer tracer). */
export function toGraph(program: Program): Graph | null {
  const defs: Def[] = [];
  const avals: Aval[] = [];
  const id = new Map<Var, number>();
  const add = (v: Var, d: Def) => {
    id.set(v, defs.length);
    defs.push(d);
    avals.push(v.aval);
  };
  for (let i = 0; i < program.constVars.length; i++) {
    const c = program.constValues[i]!;
    if (!(c instanceof ConcreteTensor)) return null;
    add(program.constVars[i]!, { kind: "const", value: c });
  }
  program.inVars.forEach((v, index) => add(v, { kind: "input", index }));
  // The equations of `eqns` as values; a jit_call's program is inlined (its values renumbered into this
  // graph) so that it fuses with the code around it. False when a called program's constant is not concrete.
  const emit = (eqns: readonly Eqn[], ids: Map<Var, number>): boolean => {
    const put = (v: Var, d: Def) => {
      ids.set(v, defs.length);
      defs.push(d);
      avals.push(v.aval);
    };
    for (const e of eqns) {
      const prim = e.prim;
      const inputs = e.inputs.map((v) => ids.get(v)!);
      // A rematerialized call (nb.checkpoint) stays one step, so the backward pass's recomputation is not
      // merged with the forward pass's values, which would keep them alive.
      if (prim === "jit_call" && !(e.params as MultiPrimParams["jit_call"]).remat) {
        const p = (e.params as MultiPrimParams["jit_call"]).program;
        const local = new Map<Var, number>();
        for (let i = 0; i < p.constVars.length; i++) {
          const c = p.constValues[i]!;
          if (!(c instanceof ConcreteTensor)) return false;
          local.set(p.constVars[i]!, defs.length);
          defs.push({ kind: "const", value: c });
          avals.push(p.constVars[i]!.aval);
        }
        p.inVars.forEach((v, i) => local.set(v, inputs[i]!));
        if (!emit(p.eqns, local)) return false;
        e.outs.forEach((v, i) => ids.set(v, local.get(p.outs[i]!)!));
      } else if (isMulti(prim)) {
        const of = defs.length;
        defs.push({ kind: "multi", prim, params: e.params as MultiPrimParams[MultiPrim], inputs });
        avals.push(MULTI_AVAL);
        e.outs.forEach((v, index) => put(v, { kind: "part", of, index }));
      } else put(e.outs[0]!, { kind: "eqn", prim, params: e.params as PrimParams[Prim], inputs });
    }
    return true;
  };
  if (!emit(program.eqns, id)) return null;
  return {
    defs,
    avals,
    inputs: program.inVars.map((v) => id.get(v)!),
    outputs: program.outs.map((v) => id.get(v)!),
  };
}

/** Largest constant (in elements) that folding may create when it is bigger than every operand. */
const FOLD_LIMIT = 4096;

/** Simplifies, folds constants, merges equal subexpressions and drops dead code. */
export function optimize(g: Graph, backend: Backend): Graph {
  const defs: Def[] = [];
  const avals: Aval[] = [];
  const remap = new Array<number>(g.defs.length);
  const seen = new Map<string, number>();
  const constKey = (c: ConcreteTensor) =>
    c.data.length === 1
      ? `c|${c.aval.dtype}|${c.aval.shape.join(",")}|${Object.is(c.data[0], -0) ? "-0" : c.data[0]}`
      : null;

  const push = (d: Def, aval: Aval): number => {
    let key: string | null = null;
    if (d.kind === "const") key = constKey(d.value);
    else if (d.kind === "eqn")
      key = `${d.prim}|${JSON.stringify(d.params)}|${d.inputs.join(",")}|${aval.dtype}`;
    if (key !== null) {
      const hit = seen.get(key);
      if (hit !== undefined) return hit;
    }
    defs.push(d);
    avals.push(aval);
    if (key !== null) seen.set(key, defs.length - 1);
    return defs.length - 1;
  };
  /** The value of a one-element constant, or of a broadcast of one. */
  const scalarConst = (v: number): number | null => {
    let d = defs[v]!;
    if (d.kind === "eqn" && d.prim === "broadcast_in_dim") d = defs[d.inputs[0]!]!;
    return d.kind === "const" && d.value.data.length === 1 ? d.value.data[0]! : null;
  };
  /** A constant whose elements are all equal becomes a broadcast scalar (read with stride 0, no memory). */
  const pushConst = (c: ConcreteTensor, aval: Aval): number => {
    const data = c.data;
    const first = data[0]!;
    let uniform = data.length > 1;
    for (let i = 1; uniform && i < data.length; i++) uniform = data[i] === first;
    if (!uniform) return push({ kind: "const", value: c }, aval);
    const scalarAval: Aval = { shape: [], dtype: aval.dtype, weak: aval.weak };
    const scalar = new ConcreteTensor(data.slice(0, 1), scalarAval);
    const s = push({ kind: "const", value: scalar }, scalarAval);
    const params = { shape: aval.shape.slice(), broadcastDims: [] as number[] };
    return push({ kind: "eqn", prim: "broadcast_in_dim", params, inputs: [s] }, aval);
  };
  const eqnOf = (v: number) => {
    const d = defs[v]!;
    return d.kind === "eqn" ? d : null;
  };

  /** A simpler existing value equal to prim(inputs), or null. */
  const simplify = (prim: Prim, params: PrimParams[Prim], ins: number[], out: Aval): number | null => {
    const same = (v: number) => shapesEqual(avals[v]!.shape, out.shape) && avals[v]!.dtype === out.dtype;
    const [x, y] = ins;
    switch (prim) {
      case "add":
        if (scalarConst(y!) === 0 && same(x!)) return x!;
        if (scalarConst(x!) === 0 && same(y!)) return y!;
        return null;
      case "sub":
        return scalarConst(y!) === 0 && same(x!) ? x! : null;
      case "mul":
        if (scalarConst(y!) === 1 && same(x!)) return x!;
        if (scalarConst(x!) === 1 && same(y!)) return y!;
        return null;
      case "div":
        return scalarConst(y!) === 1 && same(x!) ? x! : null;
      case "neg": {
        const e = eqnOf(x!);
        return e?.prim === "neg" && same(e.inputs[0]!) ? e.inputs[0]! : null;
      }
      case "stop_gradient":
        return x!;
      case "convert_element_type":
        return avals[x!]!.dtype === out.dtype ? x! : null;
      case "reshape":
      case "broadcast_in_dim":
        return same(x!) ? x! : null;
      case "transpose":
        return (params as PrimParams["transpose"]).perm.every((p, i) => p === i) ? x! : null;
      case "select_n":
        return ins[1] === ins[2] && same(ins[1]!) ? ins[1]! : null;
      default:
        return null;
    }
  };

  /** An equivalent equation in a cheaper form (a new def), or null. */
  const rewrite = (prim: Prim, params: PrimParams[Prim], ins: number[]): Def | null => {
    const [x, y] = ins;
    switch (prim) {
      case "mul":
        return scalarConst(y!) === -1 && avals[y!]!.shape.length === 0
          ? { kind: "eqn", prim: "neg", params: {}, inputs: [x!] }
          : null;
      case "pow":
        // Math.pow(x, 2) is exactly x·x.
        return scalarConst(y!) === 2 && avals[y!]!.shape.length === 0
          ? { kind: "eqn", prim: "mul", params: {}, inputs: [x!, x!] }
          : null;
      case "reshape": {
        const e = eqnOf(x!);
        return e?.prim === "reshape" ? { kind: "eqn", prim, params, inputs: [e.inputs[0]!] } : null;
      }
      case "transpose": {
        const e = eqnOf(x!);
        if (e?.prim !== "transpose") return null;
        const p1 = (e.params as PrimParams["transpose"]).perm;
        const p2 = (params as PrimParams["transpose"]).perm;
        return { kind: "eqn", prim, params: { perm: p2.map((i) => p1[i]!) }, inputs: [e.inputs[0]!] };
      }
      default:
        return null;
    }
  };

  const fold = (prim: Prim, params: PrimParams[Prim], ins: number[], out: Aval): number | null => {
    if (isElementwise(prim) && out.shape.length > 0) {
      // Every operand one value (a scalar or a broadcast one): the result is one value, broadcast.
      const scalars = ins.map(scalarConst);
      if (scalars.every((c) => c !== null)) {
        const one = (v: number, c: number) => {
          const data = allocate(avals[v]!.dtype, 1);
          data[0] = c;
          return new ConcreteTensor(data, { ...avals[v]!, shape: [] });
        };
        const kernel = backend.kernels[prim] as (i: ConcreteTensor[], p: unknown, o: Aval) => TypedArray;
        const outScalar: Aval = { ...out, shape: [] };
        const value = new ConcreteTensor(
          kernel(
            ins.map((v, k) => one(v, scalars[k]!)),
            params,
            outScalar,
          ),
          outScalar,
        );
        const params1 = { shape: [...out.shape], broadcastDims: [] as number[] };
        return push(
          { kind: "eqn", prim: "broadcast_in_dim", params: params1, inputs: [pushConst(value, outScalar)] },
          out,
        );
      }
    }
    if (!ins.every((v) => defs[v]!.kind === "const")) return null;
    const n = sizeOf(out.shape);
    if (n > FOLD_LIMIT && ins.every((v) => sizeOf(avals[v]!.shape) < n)) return null;
    const vals = ins.map((v) => (defs[v] as { value: ConcreteTensor }).value);
    const kernel = backend.kernels[prim] as (
      i: ConcreteTensor[],
      p: unknown,
      o: Aval,
    ) => ConcreteTensor["data"];
    return pushConst(new ConcreteTensor(kernel(vals, params, out), out), out);
  };

  // How often each original value is read, so a rewrite can tell when it is the only consumer.
  const uses = new Uint32Array(g.defs.length);
  for (const d of g.defs) for (const v of readsOf(d)) uses[v]!++;
  for (const v of g.outputs) uses[v]!++;

  g.defs.forEach((d, i) => {
    const aval = g.avals[i]!;
    // transpose(dot_general(a, b)) that only swaps the free dims of the two operands is dot_general(b, a):
    // the product is written in the layout its consumers read (a gradient's weight update, typically). The
    // transpose may be reached through reshapes and transposes that only add, drop or move dims of size 1
    // (a Jacobian's or a vmap's unit dims); then the swapped product is reshaped.
    if (d.kind === "eqn" && d.prim === "transpose") {
      const found = swappedProduct(g, uses, i);
      if (found) {
        const [a, b] = found.dot.inputs.map((v) => remap[v]!);
        const prodAval = { ...g.avals[found.dotValue]!, shape: found.shape };
        const prod = push(
          { kind: "eqn", prim: "dot_general", params: found.params, inputs: [b!, a!] },
          prodAval,
        );
        remap[i] = shapesEqual(found.shape, aval.shape)
          ? prod
          : push({ kind: "eqn", prim: "reshape", params: { shape: [...aval.shape] }, inputs: [prod] }, aval);
        return;
      }
    }
    if (d.kind === "multi") {
      // Never merged with another (its branches are programs); its outputs follow it as parts.
      remap[i] = push({ ...d, inputs: d.inputs.map((v) => remap[v]!) }, aval);
      return;
    }
    if (d.kind === "part") {
      remap[i] = push({ ...d, of: remap[d.of]! }, aval);
      return;
    }
    if (d.kind !== "eqn") {
      remap[i] = d.kind === "const" ? pushConst(d.value, aval) : push(d, aval);
      return;
    }
    let prim = d.prim;
    let params = d.params;
    let ins = d.inputs.map((v) => remap[v]!);
    // Rewrite to a fixed point (each rule strictly simplifies).
    for (let guard = 0; guard < 8; guard++) {
      const s = simplify(prim, params, ins, aval);
      if (s !== null) {
        remap[i] = s;
        return;
      }
      const r = rewrite(prim, params, ins);
      if (r === null || r.kind !== "eqn") break;
      prim = r.prim;
      params = r.params;
      ins = r.inputs.slice();
    }
    remap[i] = fold(prim, params, ins, aval) ?? push({ kind: "eqn", prim, params, inputs: ins }, aval);
  });
  return prune({
    defs,
    avals,
    inputs: g.inputs.map((v) => remap[v]!),
    outputs: g.outputs.map((v) => remap[v]!),
  });
}

/**
 * For a transpose `v` reached from a single-use dot_general through single-use reshapes and transposes that
 * only add, drop or move dims of size 1 (apart from the transposes' reordering), and whose result orders the
 * product's dims longer than 1 as (batch, rhs free, lhs free): the swapped product's dimension numbers and
 * shape. Null otherwise.
 */
function swappedProduct(
  g: Graph,
  uses: Uint32Array,
  v: number,
): {
  dot: Extract<Def, { kind: "eqn" }>;
  dotValue: number;
  params: PrimParams["dot_general"];
  shape: number[];
} | null {
  // Walk back to the product, collecting the movement chain (last first).
  const chain: number[] = [];
  let x = v;
  for (;;) {
    const d = g.defs[x]!;
    if (d.kind !== "eqn") return null;
    if (d.prim === "dot_general") break;
    if (d.prim !== "transpose" && d.prim !== "reshape") return null;
    chain.push(x);
    x = d.inputs[0]!;
    if (uses[x] !== 1) return null;
  }
  const dot = g.defs[x] as Extract<Def, { kind: "eqn" }>;
  const p = dot.params as PrimParams["dot_general"];
  const [lhs, rhs] = dot.inputs.map((u) => g.avals[u]!.shape);
  const outShape = g.avals[x]!.shape;
  // Label the product's dims longer than 1; follow the labels through the chain. A reshape must keep the
  // sequence of those dims (it only adds or drops dims of size 1).
  let labels: (number | null)[] = outShape.map((n, k) => (n > 1 ? k : null));
  for (let c = chain.length - 1; c >= 0; c--) {
    const d = g.defs[chain[c]!] as Extract<Def, { kind: "eqn" }>;
    const shape = g.avals[chain[c]!]!.shape;
    if (d.prim === "transpose") labels = (d.params as PrimParams["transpose"]).perm.map((q) => labels[q]!);
    else {
      const kept = labels.filter((l) => l !== null);
      const long = shape.filter((n) => n > 1);
      if (long.length !== kept.length || kept.some((l, j) => outShape[l] !== long[j])) return null;
      let k = 0;
      labels = shape.map((n) => (n > 1 ? kept[k++]! : null));
    }
  }
  const nb = p.lhsBatch.length;
  const nl = lhs!.length - nb - p.lhsContract.length;
  const nr = rhs!.length - nb - p.rhsContract.length;
  const range = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k);
  const long = (ks: number[]) => ks.filter((k) => outShape[k]! > 1);
  const want = [...long(range(0, nb)), ...long(range(nb + nl, nr)), ...long(range(nb, nl))];
  const got = labels.filter((l) => l !== null);
  if (got.length !== want.length || got.some((l, k) => l !== want[k])) return null;
  // Only worth it when the order of the long dims changes (else the chain is a reshape).
  if (want.every((l, k) => k === 0 || l > want[k - 1]!)) return null;
  const shape = [...range(0, nb), ...range(nb + nl, nr), ...range(nb, nl)].map((k) => outShape[k]!);
  return {
    dot,
    dotValue: x,
    params: {
      lhsContract: p.rhsContract,
      rhsContract: p.lhsContract,
      lhsBatch: p.rhsBatch,
      rhsBatch: p.lhsBatch,
    },
    shape,
  };
}

/** Drops values no output depends on (inputs are kept) and renumbers. */
export function prune(g: Graph): Graph {
  const live = new Uint8Array(g.defs.length);
  for (const v of g.outputs) live[v] = 1;
  for (const v of g.inputs) live[v] = 1;
  for (let i = g.defs.length - 1; i >= 0; i--) {
    const d = g.defs[i]!;
    if (live[i]) for (const v of readsOf(d)) live[v] = 1;
  }
  const id = new Array<number>(g.defs.length).fill(-1);
  const defs: Def[] = [];
  const avals: Aval[] = [];
  g.defs.forEach((d, i) => {
    if (!live[i]) return;
    id[i] = defs.length;
    defs.push(
      d.kind === "eqn" || d.kind === "multi"
        ? { ...d, inputs: d.inputs.map((v) => id[v]!) }
        : d.kind === "part"
          ? { ...d, of: id[d.of]! }
          : d,
    );
    avals.push(g.avals[i]!);
  });
  return { defs, avals, inputs: g.inputs.map((v) => id[v]!), outputs: g.outputs.map((v) => id[v]!) };
}

/** A readable listing of a graph (for debugging and tests). */
export function graphString(g: Graph): string {
  return g.defs
    .map((d, i) => {
      const a = `${g.avals[i]!.dtype}[${g.avals[i]!.shape.join(",")}]`;
      if (d.kind === "input") return `%${i}: ${a} = input ${d.index}`;
      if (d.kind === "const")
        return `%${i}: ${a} = const ${d.value.data.length === 1 ? d.value.data[0] : `<${d.value.data.length}>`}`;
      if (d.kind === "part") return `%${i}: ${a} = output ${d.index} of %${d.of}`;
      if (d.kind === "multi") return `%${i} = ${d.prim} ${d.inputs.map((v) => `%${v}`).join(" ")}`;
      return `%${i}: ${a} = ${d.prim} ${JSON.stringify(d.params)} ${d.inputs.map((v) => `%${v}`).join(" ")}`;
    })
    .join("\n");
}
