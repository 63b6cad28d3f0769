// Transpose rules: for each primitive that can be linear in an argument, the cotangents of its linear
// arguments from the output's cotangent (arguments it is linear in are given by their abstract values).
import { NablaError } from "../core/errors.js";
import type { PrimParams } from "../core/primitives.js";
import { invertPerm, range } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { LINEAR_BINARY_PRIMS, linearBinaryTable } from "./binary.js";
import * as lax from "./lax.js";
import { type Arg, avalOf, isLin, shapeOf, unbroadcast } from "./unbroadcast.js";

export { type Arg, isLin };
export type Ct = Tensor | null;

export const LINEAR_PRIMS = [
  "neg",
  ...LINEAR_BINARY_PRIMS,
  "select_n",
  "convert_element_type",
  "reduce_sum",
  "cumsum",
  "dot_general",
  "reshape",
  "broadcast_in_dim",
  "transpose",
  "slice",
  "pad",
  "concatenate",
  "rev",
  "gather",
  "scatter_add",
  "custom_linear",
] as const;
export type LinearPrim = (typeof LINEAR_PRIMS)[number];

export type TransposeRule<P extends LinearPrim> = (ct: Tensor, args: Arg[], params: PrimParams[P]) => Ct[];

/** The cotangent of one side of a dot_general: contract ct with the other operand, then restore the layout. */
function dotTransposeSide(
  ct: Tensor,
  other: Tensor,
  p: PrimParams["dot_general"],
  side: "lhs" | "rhs",
  nd: number,
): Tensor {
  const nb = p.lhsBatch.length;
  const [myContract, otherContract, otherBatch, myBatch] =
    side === "lhs"
      ? [p.lhsContract, p.rhsContract, p.rhsBatch, p.lhsBatch]
      : [p.rhsContract, p.lhsContract, p.lhsBatch, p.rhsBatch];
  const otherNd = other.aval.shape.length;
  const myFree = range(nd).filter((i) => !myContract.includes(i) && !myBatch.includes(i));
  const otherFree = range(otherNd).filter((i) => !otherContract.includes(i) && !otherBatch.includes(i));
  const nlf = side === "lhs" ? myFree.length : otherFree.length;
  // ct dims: [batch, lhs free, rhs free]; the other operand's free dims sit in ct at these positions.
  const otherFreeInCt = side === "lhs" ? range(otherFree.length, nb + nlf) : range(otherFree.length, nb);
  const r = lax.dotGeneral(ct, other, {
    lhsContract: otherFreeInCt,
    rhsContract: otherFree,
    lhsBatch: range(nb),
    rhsBatch: otherBatch,
  });
  // r dims: [batch, my free, other's contracting dims ascending] — map each to my dim and undo.
  const sortedOtherContract = [...otherContract].sort((a, b) => a - b);
  const src = [
    ...myBatch,
    ...myFree,
    ...sortedOtherContract.map((o) => myContract[otherContract.indexOf(o)]!),
  ];
  return lax.transpose(r, invertPerm(src));
}

export const transposeRules: { readonly [P in LinearPrim]: TransposeRule<P> } = {
  neg: (ct) => [lax.neg(ct)],
  ...linearBinaryTable((_p, row) => row.transpose),
  select_n: (ct, [p, f, t]) => {
    const z = lax.zerosLike(ct);
    return [
      null,
      isLin(f) ? unbroadcast(lax.select(p as Tensor, z, ct), shapeOf(f)) : null,
      isLin(t) ? unbroadcast(lax.select(p as Tensor, ct, z), shapeOf(t)) : null,
    ];
  },
  convert_element_type: (ct, [x]) => [lax.convert(ct, avalOf(x!).dtype, avalOf(x!).weak)],
  reduce_sum: (ct, [x], { axes }) => {
    const kept = range(shapeOf(x!).length).filter((i) => !axes.includes(i));
    return [lax.broadcastInDim(ct, shapeOf(x!), kept)];
  },
  cumsum: (ct, _args, { axis, reverse }) => [lax.cumsum(ct, axis, !reverse)],
  dot_general: (ct, [x, y], p) => [
    isLin(x) ? dotTransposeSide(ct, y as Tensor, p, "lhs", shapeOf(x).length) : null,
    isLin(y) ? dotTransposeSide(ct, x as Tensor, p, "rhs", shapeOf(y).length) : null,
  ],
  reshape: (ct, [x]) => [lax.reshape(ct, shapeOf(x!))],
  broadcast_in_dim: (ct, [x], { shape, broadcastDims }) => {
    const xs = shapeOf(x!);
    const added = range(shape.length).filter((d) => !broadcastDims.includes(d));
    const stretched = broadcastDims.filter((d, i) => xs[i] === 1 && shape[d] !== 1);
    const summed = lax.reduceSum(
      ct,
      [...added, ...stretched].sort((a, b) => a - b),
    );
    return [lax.reshape(summed, xs)];
  },
  transpose: (ct, _args, { perm }) => [lax.transpose(ct, invertPerm(perm))],
  slice: (ct, [x], { start, limit }) => [
    lax.pad(
      ct,
      start,
      limit.map((l, i) => shapeOf(x!)[i]! - l),
    ),
  ],
  pad: (ct, [x], { lo }) => [
    lax.slice(
      ct,
      lo,
      lo.map((l, i) => l + shapeOf(x!)[i]!),
    ),
  ],
  concatenate: (ct, args, { axis }) => {
    let off = 0;
    return args.map((a) => {
      const s = shapeOf(a);
      const start = s.map((_, i) => (i === axis ? off : 0));
      const limit = s.map((d, i) => (i === axis ? off + d : d));
      off += s[axis]!;
      return isLin(a) ? lax.slice(ct, start, limit) : null;
    });
  },
  rev: (ct, _args, { axes }) => [lax.rev(ct, axes)],
  gather: (ct, [x, idx], { axis }) => [lax.scatterAdd(ct, idx as Tensor, axis, shapeOf(x!)[axis]!), null],
  scatter_add: (ct, [, idx], { axis }) => [lax.gather(ct, idx as Tensor, axis), null],
  custom_linear: (ct, args, { name, nres, transpose }) => {
    const res = args.slice(0, nres);
    if (res.some(isLin)) throw new NablaError(`transpose: ${name} residuals must be known values`);
    return [...res.map(() => null), ...transpose(res as Tensor[], ct)];
  },
};
