// k-th derivative tensors from their distinct entries. The k-th derivative tensor of f at x ∈ Rⁿ is
// symmetric in its k input axes, so of its n^k entries per output element only C(n+k−1, k) differ. Rows
// R[t] = ∂_{t₁}⋯∂_{t_d} J(x) of the Jacobian J (reverse mode, one axis of length n) for the sorted index
// tuples t₁ ≤ … ≤ t_d, d = k − 1, come from d nested JVPs along one-hot directions, batched over the
// C(n+d−1, d) tuples with vmap; one gather then fills the whole tensor. Nested Jacobians instead batch
// every level over all n directions but share the lower levels between them, so which is cheaper depends
// on n, k and f: `chooseDerivative` stages both and compares their arithmetic.
import { toTensor } from "../core/convert.js";
import type { Program } from "../core/program.js";
import { flatten, type Pytree, type TreeDef, unflatten } from "../core/pytree.js";
import { sizeOf } from "../core/shape.js";
import type { Aval, Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";

// biome-ignore lint/suspicious/noExplicitAny: transformations accept functions of any pytree signature
type AnyFn = (...args: any[]) => any;

/** The transformations this module builds on (passed in, so this module does not import the API). */
export interface Transforms {
  jacrev(f: AnyFn, options: { argnums: number }): AnyFn;
  jvp(f: AnyFn, primals: readonly unknown[], tangents: readonly unknown[]): [unknown, unknown];
  vmap(f: AnyFn): AnyFn;
  makeProgram(f: AnyFn): (...args: unknown[]) => Program;
}

/** The sorted tuples 0 ≤ t₁ ≤ … ≤ t_d < n in lexicographic order, row-major ([count, d]). */
export function sortedTuples(n: number, d: number): Int32Array[] {
  const rows: Int32Array[] = [];
  const t = new Int32Array(d);
  const visit = (level: number, from: number) => {
    if (level === d) {
      rows.push(t.slice());
      return;
    }
    for (let i = from; i < n; i++) {
      t[level] = i;
      visit(level + 1, i);
    }
  };
  visit(0, 0);
  return rows;
}

/**
 * For every tuple (i₁, …, i_d) ∈ [0, n)^d in row-major order, the position of its sorted version among
 * `sortedTuples(n, d)`.
 */
export function symmetricIndex(n: number, d: number): Int32Array {
  const total = n ** d;
  const rank = new Int32Array(total).fill(-1);
  const flat = (t: ArrayLike<number>) => {
    let f = 0;
    for (let l = 0; l < d; l++) f = f * n + t[l]!;
    return f;
  };
  sortedTuples(n, d).forEach((t, p) => {
    rank[flat(t)] = p;
  });
  const digits = new Array<number>(d);
  for (let f = 0; f < total; f++) {
    if (rank[f]! >= 0) continue;
    let r = f;
    for (let l = d - 1; l >= 0; l--) {
      digits[l] = r % n;
      r = Math.floor(r / n);
    }
    rank[f] = rank[flat(digits.sort((a, b) => a - b))]!;
  }
  return rank;
}

/** One-hot directions [count, n] whose row p is the unit vector of tuples[p][level]. */
function directions(tuples: readonly Int32Array[], level: number, n: number, like: Aval): Tensor {
  const e = lax.fullAval({ shape: [tuples.length, n], dtype: like.dtype, weak: like.weak }, 0);
  tuples.forEach((t, p) => {
    e.data[p * n + t[level]!] = 1;
  });
  return e;
}

/**
 * For every index tuple (i₁, …, i_k) ∈ [0, n)^k in row-major order, where its entry is read from rows
 * [count, n] (flattened): sorted s₁ ≤ … ≤ s_k, the row of (s₁, …, s_{k−1}) and the column s_k. Every
 * permutation reads the same element, so the filled tensor is exactly symmetric.
 */
export function fillIndex(n: number, k: number): Int32Array {
  const d = k - 1;
  const rowOf = symmetricIndex(n, d);
  const total = n ** k;
  const index = new Int32Array(total);
  const digits = new Array<number>(k);
  for (let f = 0; f < total; f++) {
    let r = f;
    for (let l = k - 1; l >= 0; l--) {
      digits[l] = r % n;
      r = Math.floor(r / n);
    }
    digits.sort((a, b) => a - b);
    let row = 0;
    for (let l = 0; l < d; l++) row = row * n + digits[l]!;
    index[f] = rowOf[row]! * n + digits[d]!;
  }
  return index;
}

/** The directions and the fill index for n variables at order k (kept for the last few layouts). */
const layouts = new Map<string, { count: number; dirs: Tensor[]; index: Tensor }>();
function layout(n: number, k: number, like: Aval) {
  const key = `${n},${k},${like.dtype},${like.weak}`;
  let hit = layouts.get(key);
  if (hit === undefined) {
    const tuples = sortedTuples(n, k - 1);
    const index = lax.fullAval({ shape: [n ** k], dtype: "int32", weak: false }, 0);
    index.data.set(fillIndex(n, k));
    const dirs = Array.from({ length: k - 1 }, (_, l) => directions(tuples, l, n, like));
    hit = { count: tuples.length, dirs, index };
    if (layouts.size >= 8) layouts.delete(layouts.keys().next().value!);
    layouts.set(key, hit);
  }
  return hit;
}

/**
 * The k-th derivative of `f` with respect to the tensor argument `argnum`, computed from the distinct
 * entries of the symmetric tensor: shape out ++ x.shape × k for every output leaf.
 */
export function symmetricDerivative(f: AnyFn, k: number, argnum: number, t: Transforms): AnyFn {
  const d = k - 1;
  const J = t.jacrev(f, { argnums: argnum });
  if (d === 0) return J;
  return (...args: unknown[]) => {
    const x = toTensor(flatten(args[argnum] as Pytree, "derivative")[0][0]!);
    const shape = x.aval.shape;
    const n = sizeOf(shape);
    const { count, dirs, index } = layout(n, k, x.aval);
    let outDef: TreeDef | undefined;
    const jacobianAt = (v: Tensor): Tensor[] => {
      const full = args.slice();
      full[argnum] = lax.reshape(v, shape);
      const [leaves, def] = flatten(J(...full) as Pytree, "derivative output");
      outDef = def;
      return (leaves as Tensor[]).map((l) => lax.reshape(l, [...l.aval.shape.slice(0, -shape.length), n]));
    };
    // Level l differentiates level l − 1 along its own direction e_l.
    let level: (v: Tensor, es: Tensor[]) => Tensor[] = (v) => jacobianAt(v);
    for (let l = 0; l < d; l++) {
      const inner = level;
      level = (v, es) => t.jvp((u: Tensor) => inner(u, es.slice(0, l)), [v], [es[l]!])[1] as Tensor[];
    }
    const flatX = lax.reshape(x, [n]);
    const rows = t.vmap((...es: Tensor[]) => level(flatX, es))(...dirs) as Tensor[];
    const filled = rows.map((r) => {
      // [count, ...out, n] → [out, count · n] → gather → [...out, x.shape × k]
      const outShape = r.aval.shape.slice(1, -1);
      const o = sizeOf(outShape);
      const flatRows = lax.reshape(lax.moveAxis(lax.reshape(r, [count, o, n]), 1, 0), [o, count * n]);
      const g = lax.gather(flatRows, index, 1);
      return lax.reshape(g, [...outShape, ...Array.from({ length: k }, () => shape).flat()]);
    });
    return unflatten(outDef!, filled);
  };
}

/** Arithmetic of a staged program: multiply–adds of products, one per element for everything else. */
export function programCost(p: Program): number {
  let cost = 0;
  for (const e of p.eqns) {
    const out = e.outs.reduce((n, v) => n + sizeOf(v.aval.shape), 0);
    if (e.prim === "dot_general") {
      const params = e.params as { lhsContract: readonly number[] };
      const lhs = e.inputs[0]!.aval.shape;
      cost += 2 * out * params.lhsContract.reduce((a, ax) => a * lhs[ax]!, 1);
    } else cost += Math.max(out, ...e.inputs.map((v) => sizeOf(v.aval.shape)));
  }
  return cost;
}

/** The shapes and dtypes of a call's tensor leaves: candidates are chosen once per signature. */
function signature(args: readonly unknown[]): string | null {
  try {
    const [leaves] = flatten(args as Pytree, "derivative");
    return leaves
      .map((l) => {
        const a = (l as { aval?: Aval }).aval;
        return a === undefined ? JSON.stringify(l) : `${a.dtype}${a.weak ? "w" : ""}[${a.shape.join(",")}]`;
      })
      .join(";");
  } catch {
    return null;
  }
}

/**
 * Of several functions computing the same derivative, the one whose staged program does the least
 * arithmetic at these arguments (each candidate is traced once per argument signature; a candidate that
 * cannot be traced, e.g. forward mode through a custom VJP, drops out). The first candidate wins ties
 * and is returned when none can be traced, so its error reaches the caller.
 */
export function cheapest(
  candidates: readonly AnyFn[],
  makeProgram: Transforms["makeProgram"],
): (args: readonly unknown[]) => AnyFn {
  const cache = new Map<string, AnyFn>();
  return (args) => {
    if (candidates.length === 1) return candidates[0]!;
    const key = signature(args);
    const hit = key === null ? undefined : cache.get(key);
    if (hit !== undefined) return hit;
    let best = candidates[0]!;
    let bestCost = Infinity;
    for (const c of candidates) {
      let cost: number;
      try {
        cost = programCost(makeProgram(c)(...args));
      } catch {
        continue;
      }
      if (cost < bestCost) [best, bestCost] = [c, cost];
    }
    if (key !== null) cache.set(key, best);
    return best;
  };
}
