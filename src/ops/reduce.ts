// Reductions over axes (sum, mean, max, variance, logSumExp, norms, ...), built from primitives.
import { fmtShape, ValueError } from "../core/errors.js";
import { normalizeAxes, normalizeAxis } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "./lax.js";
import { asTensor, floatArg, type TensorLike } from "./util.js";

export interface ReduceOptions {
  /** Axis or axes to reduce (negative counts from the end); all axes when left out. */
  axis?: number | readonly number[] | null;
  /** Keep reduced axes as size-1 dimensions. */
  keepdims?: boolean;
}

/** Reshapes a reduction result so reduced axes come back as size 1. */
function keep(
  r: Tensor,
  shape: readonly number[],
  axes: readonly number[],
  keepdims: boolean | undefined,
): Tensor {
  return keepdims
    ? lax.reshape(
        r,
        shape.map((d, i) => (axes.includes(i) ? 1 : d)),
      )
    : r;
}

const counted = (shape: readonly number[], axes: readonly number[]) =>
  axes.reduce((n, a) => n * shape[a]!, 1);

/** Sum over axes (bool and int32 sum to int32). @example `nb.sum([[1, 2], [3, 4]], { axis: 0 }).toArray(); // [4, 6]` */
export function sum(x: TensorLike, options: ReduceOptions = {}): Tensor {
  let t = asTensor(x, "sum");
  if (t.aval.dtype === "bool") t = lax.convert(t, "int32");
  const axes = normalizeAxes("sum", options.axis, t.aval.shape.length);
  return keep(lax.reduceSum(t, axes), t.aval.shape, axes, options.keepdims);
}

/** Mean over axes. @example `nb.mean([1, 2, 3, 4]).item(); // 2.5` */
export function mean(x: TensorLike, options: ReduceOptions = {}): Tensor {
  const t = floatArg("mean", x);
  const axes = normalizeAxes("mean", options.axis, t.aval.shape.length);
  const n = counted(t.aval.shape, axes);
  return lax.div(sum(t, options), lax.scalarLike(t, n));
}

/** Product over axes. @example `nb.prod([1, 2, 3, 4]).item(); // 24` */
export function prod(x: TensorLike, options: ReduceOptions = {}): Tensor {
  const t = asTensor(x, "prod");
  const axes = normalizeAxes("prod", options.axis, t.aval.shape.length);
  return keep(lax.reduceProd(t, axes), t.aval.shape, axes, options.keepdims);
}

function extremum(op: "max" | "min", x: TensorLike, options: ReduceOptions): Tensor {
  const t = asTensor(x, op);
  const axes = normalizeAxes(op, options.axis, t.aval.shape.length);
  if (axes.some((a) => t.aval.shape[a] === 0))
    throw new ValueError(
      `${op}: cannot reduce an empty axis of shape ${fmtShape(t.aval.shape)} (no identity for ${op})`,
    );
  const r = op === "max" ? lax.reduceMax(t, axes) : lax.reduceMin(t, axes);
  return keep(r, t.aval.shape, axes, options.keepdims);
}

/** Maximum over axes (derivative shared equally among ties). @example `nb.max([[1, 5], [3, 2]], { axis: 1 }).toArray(); // [5, 3]` */
export const max = (x: TensorLike, options: ReduceOptions = {}): Tensor => extremum("max", x, options);
/** Minimum over axes. @example `nb.min([3, 1, 2]).item(); // 1` */
export const min = (x: TensorLike, options: ReduceOptions = {}): Tensor => extremum("min", x, options);

export interface ArgOptions {
  /** The axis to search; the flattened tensor when left out. */
  axis?: number;
  keepdims?: boolean;
}

function argExtremum(op: "argmax" | "argmin", x: TensorLike, options: ArgOptions): Tensor {
  let t = asTensor(x, op);
  if (options.axis === undefined) t = lax.reshape(t, [t.size]);
  const axis = normalizeAxis(op, options.axis ?? 0, t.aval.shape.length);
  if (t.aval.shape[axis] === 0)
    throw new ValueError(`${op}: axis ${axis} of shape ${fmtShape(t.aval.shape)} is empty`);
  const r = op === "argmax" ? lax.argmax(t, axis) : lax.argmin(t, axis);
  return options.keepdims && options.axis !== undefined ? keep(r, t.aval.shape, [axis], true) : r;
}

/** Index of the maximum (first one on ties), as int32. @example `nb.argmax([1, 5, 3]).item(); // 1` */
export const argmax = (x: TensorLike, options: ArgOptions = {}): Tensor => argExtremum("argmax", x, options);
/** Index of the minimum, as int32. @example `nb.argmin([4, 1, 3]).item(); // 1` */
export const argmin = (x: TensorLike, options: ArgOptions = {}): Tensor => argExtremum("argmin", x, options);

export interface VarianceOptions extends ReduceOptions {
  /** Delta degrees of freedom: divide by n − ddof (default 0, as NumPy). */
  ddof?: number;
}

/** Variance over axes (ddof 0 by default). @example `nb.variance([1, 2, 3, 4]).item(); // 1.25` */
export function variance(x: TensorLike, options: VarianceOptions = {}): Tensor {
  const t = floatArg("variance", x);
  const axes = normalizeAxes("variance", options.axis, t.aval.shape.length);
  const n = counted(t.aval.shape, axes);
  const centered = lax.sub(t, mean(t, { axis: axes, keepdims: true }));
  const ss = sum(lax.mul(centered, centered), { axis: axes, keepdims: options.keepdims });
  return lax.div(ss, lax.scalarLike(t, n - (options.ddof ?? 0)));
}

/** Standard deviation over axes (ddof 0 by default). @example `nb.std([1, 3]).item(); // 1` */
export const std = (x: TensorLike, options: VarianceOptions = {}): Tensor => lax.sqrt(variance(x, options));

/**
 * log Σ exp(x) over axes, stable for large x: the maximum is taken out first (without affecting derivatives).
 * @example `nb.logSumExp([1000, 1000]).item(); // 1000 + log 2`
 */
export function logSumExp(x: TensorLike, options: ReduceOptions = {}): Tensor {
  const t = floatArg("logSumExp", x);
  const axes = normalizeAxes("logSumExp", options.axis, t.aval.shape.length);
  const m0 = lax.stopGradient(max(t, { axis: axes, keepdims: true }));
  // A shift of ±inf would give inf − inf; any finite shift gives the same value and derivatives.
  const m = lax.select(
    lax.eq(lax.abs(m0), lax.scalarLike(m0, Number.POSITIVE_INFINITY)),
    lax.zerosLike(m0),
    m0,
  );
  const s = lax.log(sum(lax.exp(lax.sub(t, m)), { axis: axes, keepdims: true }));
  const r = lax.add(s, m);
  return options.keepdims
    ? r
    : lax.reshape(
        r,
        t.aval.shape.filter((_, i) => !axes.includes(i)),
      );
}

/** Cumulative sum along `axis` (the flattened tensor when left out). @example `nb.cumsum([1, 2, 3]).toArray(); // [1, 3, 6]` */
export function cumsum(x: TensorLike, options: { axis?: number; reverse?: boolean } = {}): Tensor {
  let t = asTensor(x, "cumsum");
  if (t.aval.dtype === "bool") t = lax.convert(t, "int32");
  if (options.axis === undefined) t = lax.reshape(t, [t.size]);
  const axis = normalizeAxis("cumsum", options.axis ?? 0, t.aval.shape.length);
  return lax.cumsum(t, axis, options.reverse ?? false);
}

export interface NormOptions extends ReduceOptions {
  /** 2 (default; Frobenius for matrices), 1, Infinity, -Infinity, any p > 0, or "fro". */
  ord?: number | "fro";
}

/**
 * Vector p-norm over the given axes (all axes by default, i.e. the Frobenius norm of a matrix).
 * @example `nb.norm([3, 4]).item(); // 5`
 */
export function norm(x: TensorLike, options: NormOptions = {}): Tensor {
  const t = floatArg("norm", x);
  const ord = options.ord ?? 2;
  const o = { axis: options.axis, keepdims: options.keepdims };
  const a = lax.abs(t);
  if (ord === 2 || ord === "fro") return lax.sqrt(sum(lax.mul(t, t), o));
  if (ord === 1) return sum(a, o);
  if (ord === Number.POSITIVE_INFINITY) return max(a, o);
  if (ord === Number.NEGATIVE_INFINITY) return min(a, o);
  if (typeof ord !== "number" || !(ord > 0))
    throw new ValueError(`norm: ord must be a positive number, Infinity or "fro", got ${String(ord)}`);
  const p = lax.scalarLike(t, ord);
  return lax.pow(sum(lax.pow(a, p), o), lax.scalarLike(t, 1 / ord));
}
