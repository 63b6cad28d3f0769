// The movement primitives (reshape, broadcast_in_dim, transpose, slice, pad, concatenate, rev, gather,
// scatter_add) and every rule of theirs: shape, JVP, batching, Taylor series and transpose. Kernels live in
// the backends.
import { DTypeError, fmtShape, ShapeError, ValueError } from "../core/errors.js";
import { invertPerm, range, sizeOf } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import * as lax from "./lax.js";
import { allWeak, type FamilyRules, linear, loop, phys, sameDtype, toFront } from "./rule-helpers.js";
import { full } from "./series.js";
import { isScalar, type JetRule, linearFull, termwise } from "./series-rules.js";
import { isLin, shapeOf } from "./unbroadcast.js";

export type MovementPrim =
  | "reshape"
  | "broadcast_in_dim"
  | "transpose"
  | "slice"
  | "pad"
  | "concatenate"
  | "rev"
  | "gather"
  | "scatter_add";

/**
 * Primitives that move or copy elements, applied to each term. A 0-d term stands for a constant array, which
 * these map to the same constant, so it passes through unchanged.
 */
const structural =
  <P extends "reshape" | "broadcast_in_dim" | "transpose" | "slice" | "rev">(p: P): JetRule<P> =>
  ([x], [u], params, order) => {
    const out = bind(p, [x!], params);
    return [
      out,
      termwise(order, out, [u!], ([t]) => (isScalar(t!) ? t : bind(p, [full(t!, x!.aval)], params))),
    ];
  };

export const MOVEMENT: FamilyRules<MovementPrim, MovementPrim> = {
  shape: {
    reshape: ([x], { shape }) => {
      if (sizeOf(shape) !== sizeOf(x!.shape))
        throw new ShapeError(
          `reshape: cannot reshape ${fmtShape(x!.shape)} (${sizeOf(x!.shape)} elements) to ${fmtShape(shape)} (${sizeOf(shape)} elements)`,
        );
      return { ...x!, shape };
    },
    broadcast_in_dim: ([x], { shape, broadcastDims }) => {
      x!.shape.forEach((d, i) => {
        if (d !== 1 && d !== shape[broadcastDims[i]!])
          throw new ShapeError(`broadcastTo: cannot broadcast ${fmtShape(x!.shape)} to ${fmtShape(shape)}`);
      });
      return { ...x!, shape };
    },
    transpose: ([x], { perm }) => ({ ...x!, shape: perm.map((p) => x!.shape[p]!) }),
    slice: ([x], { start, limit }) => {
      x!.shape.forEach((d, i) => {
        if (start[i]! < 0 || limit[i]! > d || start[i]! > limit[i]!)
          throw new ShapeError(
            `slice: range [${start.join(",")}]..[${limit.join(",")}] does not fit shape ${fmtShape(x!.shape)}`,
          );
      });
      return { ...x!, shape: start.map((s, i) => limit[i]! - s) };
    },
    pad: ([x], { lo, hi }) => ({ ...x!, shape: x!.shape.map((d, i) => d + lo[i]! + hi[i]!) }),
    concatenate: (xs, { axis }) => {
      sameDtype("concatenate", xs);
      const first = xs[0]!.shape;
      for (const a of xs)
        if (a.shape.length !== first.length || a.shape.some((d, i) => i !== axis && d !== first[i]))
          throw new ShapeError(
            `concatenate: shapes ${xs.map((a) => fmtShape(a.shape)).join(", ")} differ outside axis ${axis}`,
          );
      const shape = first.slice();
      shape[axis] = xs.reduce((n, a) => n + a.shape[axis]!, 0);
      return { shape, dtype: xs[0]!.dtype, weak: allWeak(xs) };
    },
    rev: ([x]) => x!,
    gather: ([x, idx], { axis }) => {
      if (idx!.dtype !== "int32") throw new DTypeError(`take: indices must be int32, got ${idx!.dtype}`);
      return { ...x!, shape: [...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)] };
    },
    scatter_add: ([u, idx], { axis, size }) => {
      if (idx!.dtype !== "int32")
        throw new DTypeError(`scatter_add: indices must be int32, got ${idx!.dtype}`);
      const n = idx!.shape.length;
      if (n === 0 && axis > u!.shape.length) throw new ValueError("scatter_add: bad axis");
      return { ...u!, shape: [...u!.shape.slice(0, axis), size, ...u!.shape.slice(axis + n)] };
    },
  },
  jvp: {
    reshape: linear("reshape"),
    broadcast_in_dim: linear("broadcast_in_dim"),
    transpose: linear("transpose"),
    slice: linear("slice"),
    pad: linear("pad"),
    concatenate: linear("concatenate"),
    rev: linear("rev"),
    gather: ([x, idx], [dx], params) => [
      lax.gather(x!, idx!, params.axis, params.oob),
      dx && lax.gather(dx, idx!, params.axis, params.oob),
    ],
    scatter_add: ([u, idx], [du], params) => [
      lax.scatterAdd(u!, idx!, params.axis, params.size),
      du && lax.scatterAdd(du, idx!, params.axis, params.size),
    ],
  },
  vmap: {
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
    scatter_add: (xs, dims, params, size) => {
      const [u, idx] = xs;
      const [du, di] = dims;
      if (di === null && du !== null) {
        const uf = lax.moveAxis(u!, du, 0);
        return [lax.scatterAdd(uf, idx!, params.axis + 1, params.size), 0];
      }
      return loop("scatter_add")(xs, dims, params, size);
    },
  },
  jet: {
    reshape: structural("reshape"),
    broadcast_in_dim: structural("broadcast_in_dim"),
    transpose: structural("transpose"),
    slice: structural("slice"),
    pad: linearFull("pad"),
    concatenate: (xs, ss, params, order) => {
      const out = bind("concatenate", xs, params);
      return [
        out,
        termwise(order, out, ss, (ts) =>
          lax.concatenate(
            ts.map((t, i) => (t === null ? lax.zerosLike(xs[i]!) : full(t, xs[i]!.aval))),
            params.axis,
          ),
        ),
      ];
    },
    rev: structural("rev"),
    gather: ([x, idx], [u], params, order) => {
      const out = lax.gather(x!, idx!, params.axis, params.oob);
      return [
        out,
        termwise(order, out, [u!], ([t]) =>
          isScalar(t!) ? t : lax.gather(full(t!, x!.aval), idx!, params.axis, params.oob),
        ),
      ];
    },
    scatter_add: linearFull("scatter_add"),
  },
  transpose: {
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
  },
};
