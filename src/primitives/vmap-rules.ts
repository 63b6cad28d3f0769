import type { Prim, PrimParams } from "../core/primitives.js";
import { range } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { binaryTable, compareTable } from "./binary.js";
import * as lax from "./lax.js";
import { unaryTable } from "./unary.js";

type T = Tensor;
type Dim = number | null;

export type VmapRuleOf<Params> = (vals: T[], dims: Dim[], params: Params, size: number) => [T, Dim];
export type VmapRule<P extends Prim> = VmapRuleOf<PrimParams[P]>;

/** Moves the batch dimension to the front, materialising it (by broadcasting) when there is none. */
export function toFront(x: T, d: Dim, size: number): T {
  if (d !== null) return lax.moveAxis(x, d, 0);
  return lax.broadcastInDim(x, [size, ...x.aval.shape], range(x.aval.shape.length, 1));
}

const unary =
  <P extends Prim>(p: P): VmapRule<P> =>
  ([x], [d], params) => [bind(p, [x!], params), d!];

/** Broadcasting elementwise primitives: batch dims to the front, batched operands padded to a common rank. */
const elementwise =
  <P extends Prim>(p: P): VmapRule<P> =>
  (xs, dims, params) => {
    const rank = Math.max(...xs.map((x, i) => x.aval.shape.length - (dims[i] === null ? 0 : 1)));
    const args = xs.map((x, i) => {
      const d = dims[i]!;
      if (d === null) return x;
      const front = lax.moveAxis(x, d, 0);
      const s = front.aval.shape;
      const pad = rank - (s.length - 1);
      return pad === 0
        ? front
        : lax.reshape(front, [s[0]!, ...new Array<number>(pad).fill(1), ...s.slice(1)]);
    });
    return [bind(p, args, params), 0];
  };

/** Position of logical axis `a` in a value whose batch dimension is at `d`. */
const phys = (a: number, d: number) => (a < d ? a : a + 1);

const reduce =
  (p: "reduce_sum" | "reduce_max" | "reduce_min" | "reduce_prod"): VmapRuleOf<{ axes: number[] }> =>
  ([x], [d], { axes }) => {
    const pa = axes.map((a) => phys(a, d!));
    return [bind(p, [x!], { axes: pa }), d! - pa.filter((a) => a < d!).length];
  };

const argReduce =
  (p: "argmax" | "argmin"): VmapRuleOf<{ axis: number }> =>
  ([x], [d], { axis }) => {
    const pa = phys(axis, d!);
    return [bind(p, [x!], { axis: pa }), pa < d! ? d! - 1 : d!];
  };

/** Any primitive, one batch member at a time: correct for everything, used where no faster rule exists. */
const loop =
  <P extends Prim>(p: P): VmapRule<P> =>
  (xs, dims, params, size) => {
    const outs: T[] = [];
    for (let b = 0; b < size; b++) {
      const args = xs.map((x, i) => {
        const d = dims[i]!;
        if (d === null) return x;
        const s = x.aval.shape;
        const start = s.map((_, j) => (j === d ? b : 0));
        const limit = s.map((n, j) => (j === d ? b + 1 : n));
        return lax.reshape(
          lax.slice(x, start, limit),
          s.filter((_, j) => j !== d),
        );
      });
      const o = bind(p, args, params);
      outs.push(lax.reshape(o, [1, ...o.aval.shape]));
    }
    return [lax.concatenate(outs, 0), 0];
  };

const dotRule: VmapRule<"dot_general"> = ([x, y], [dx, dy], p) => {
  const shift = (ax: number[], d: number) => ax.map((a) => phys(a, d));
  if (dx !== null && dy !== null) {
    const xf = lax.moveAxis(x!, dx, 0);
    const yf = lax.moveAxis(y!, dy, 0);
    const inc = (ax: number[]) => ax.map((a) => a + 1);
    const params = {
      lhsContract: inc(p.lhsContract),
      rhsContract: inc(p.rhsContract),
      lhsBatch: [0, ...inc(p.lhsBatch)],
      rhsBatch: [0, ...inc(p.rhsBatch)],
    };
    return [lax.dotGeneral(xf, yf, params), 0];
  }
  if (dx !== null) {
    const params = { ...p, lhsContract: shift(p.lhsContract, dx), lhsBatch: shift(p.lhsBatch, dx) };
    const nd = x!.aval.shape.length;
    const free = range(nd).filter((i) => !params.lhsContract.includes(i) && !params.lhsBatch.includes(i));
    return [lax.dotGeneral(x!, y!, params), p.lhsBatch.length + free.indexOf(dx)];
  }
  if (dy !== null) {
    const params = { ...p, rhsContract: shift(p.rhsContract, dy), rhsBatch: shift(p.rhsBatch, dy) };
    const nd = y!.aval.shape.length;
    const free = range(nd).filter((i) => !params.rhsContract.includes(i) && !params.rhsBatch.includes(i));
    const lhsFree = x!.aval.shape.length - p.lhsContract.length - p.lhsBatch.length;
    return [lax.dotGeneral(x!, y!, params), p.lhsBatch.length + lhsFree + free.indexOf(dy)];
  }
  return [lax.dotGeneral(x!, y!, p), null];
};

export const vmapRules: { readonly [P in Prim]: VmapRule<P> } = {
  ...unaryTable((p) => unary(p)),
  convert_element_type: unary("convert_element_type"),
  ...binaryTable((p) => elementwise(p)),
  ...compareTable((p) => elementwise(p)),
  select_n: elementwise("select_n"),
  reduce_sum: reduce("reduce_sum"),
  reduce_max: reduce("reduce_max"),
  reduce_min: reduce("reduce_min"),
  reduce_prod: reduce("reduce_prod"),
  argmax: argReduce("argmax"),
  argmin: argReduce("argmin"),
  cumsum: ([x], [d], { axis, reverse }) => [lax.cumsum(x!, phys(axis, d!), reverse), d!],
  dot_general: dotRule,
  reshape: ([x], [d], { shape }, size) => [lax.reshape(toFront(x!, d!, size), [size, ...shape]), 0],
  broadcast_in_dim: ([x], [d], { shape, broadcastDims }, size) => [
    lax.broadcastInDim(toFront(x!, d!, size), [size, ...shape], [0, ...broadcastDims.map((b) => b + 1)]),
    0,
  ],
  transpose: ([x], [d], { perm }, size) => [
    lax.transpose(toFront(x!, d!, size), [0, ...perm.map((p) => p + 1)]),
    0,
  ],
  slice: ([x], [d], { start, limit }, size) => [
    lax.slice(toFront(x!, d!, size), [0, ...start], [size, ...limit]),
    0,
  ],
  pad: ([x], [d], { lo, hi }, size) => [lax.pad(toFront(x!, d!, size), [0, ...lo], [0, ...hi]), 0],
  concatenate: (xs, dims, { axis }, size) => [
    lax.concatenate(
      xs.map((x, i) => toFront(x, dims[i]!, size)),
      axis + 1,
    ),
    0,
  ],
  rev: ([x], [d], { axes }) => [
    lax.rev(
      x!,
      axes.map((a) => phys(a, d!)),
    ),
    d!,
  ],
  gather: (xs, dims, params, size) => {
    const [x, idx] = xs;
    const [dx, di] = dims;
    if (di === null)
      return [
        lax.gather(x!, idx!, phys(params.axis, dx!), params.oob),
        phys(params.axis, dx!) <= dx! ? dx! + idx!.aval.shape.length - 1 : dx!,
      ];
    if (dx === null) return [lax.gather(x!, idx!, params.axis, params.oob), params.axis + di!];
    return loop("gather")(xs, dims, params, size);
  },
  custom_linear: (xs, dims, params, size) => loop("custom_linear")(xs, dims, params, size),
  scatter_add: (xs, dims, params, size) => {
    const [u, idx] = xs;
    const [du, di] = dims;
    if (di === null && du !== null) {
      const uf = lax.moveAxis(u!, du, 0);
      return [lax.scatterAdd(uf, idx!, params.axis + 1, params.size), 0];
    }
    return loop("scatter_add")(xs, dims, params, size);
  },
  // Elementwise over the axes before the word pair: a batch of keys is one more broadcast axis, so per-example
  // keys give per-example streams in one kernel call.
  threefry2x32: elementwise("threefry2x32"),
};
