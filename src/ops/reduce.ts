// Reductions over axes (sum, mean, max, variance, logSumExp, norms, ...), built from primitives. Each public
// function checks its options once, naming itself; the shared work below takes resolved axes, so an error
// from a composite (std, logSumExp, norm, softmax) names the function the user called.
// biome-ignore-all lint/complexity/noArguments: each op compares its argument count with the most it takes, reading no copy of the arguments
import { fmtShape, ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import {
  asTensor,
  axesArg,
  axisArg,
  boolArg,
  describeValue,
  extraArgument,
  FIRST,
  floatArg,
  numberArg,
  optionsArg,
  type TensorLike,
} from "./util.js";

export interface ReduceOptions {
  /** Axis or axes to reduce (negative counts from the end); all axes when left out. */
  axis?: number | readonly number[] | null;
  /** Keep reduced axes as size-1 dimensions. */
  keepdims?: boolean;
}

/** Resolved reduction arguments: the operand, sorted distinct axes and keepdims. */
export interface Reduction {
  t: Tensor;
  axes: number[];
  keepdims: boolean;
}

const REDUCE_KEYS = ["axis", "keepdims"] as const;

/** Checks the options of reduction `op` (extra keys allowed by `keys`) and resolves its axes. */
function reduction(
  op: string,
  t: Tensor,
  options: ReduceOptions | undefined,
  keys: readonly string[] = REDUCE_KEYS,
): Reduction & { o: Record<string, unknown> } {
  const o = optionsArg(op, options, keys, `nb.${op}(x, { axis: ${usageAxis(options)} })`) as Record<
    string,
    unknown
  >;
  return {
    t,
    axes: axesArg(op, o.axis, t.aval.shape.length),
    keepdims: boolArg(op, "keepdims", o.keepdims),
    o,
  };
}

/** The axis a positional argument probably meant, for the suggested call. */
const usageAxis = (v: unknown): string =>
  typeof v === "number" && Number.isInteger(v)
    ? String(v)
    : Array.isArray(v) && v.every((a) => Number.isInteger(a))
      ? `[${v.join(", ")}]`
      : "1";

/** Reshapes a reduction result so reduced axes come back as size 1. */
function keep(r: Tensor, shape: readonly number[], axes: readonly number[], keepdims: boolean): Tensor {
  return keepdims
    ? lax.reshape(
        r,
        shape.map((d, i) => (axes.includes(i) ? 1 : d)),
      )
    : r;
}

const counted = (shape: readonly number[], axes: readonly number[]) =>
  axes.reduce((n, a) => n * shape[a]!, 1);

/** Σ over resolved axes (bool sums to int32). */
export function sumOver({ t, axes, keepdims }: Reduction): Tensor {
  const x = t.aval.dtype === "bool" ? lax.convert(t, "int32") : t;
  return keep(lax.reduceSum(x, axes), x.aval.shape, axes, keepdims);
}

/** The maximum or minimum over resolved axes; an empty axis is an error naming `op`. */
export function extremumOver(op: string, which: "max" | "min", { t, axes, keepdims }: Reduction): Tensor {
  if (axes.some((a) => t.aval.shape[a] === 0))
    throw new ValueError(
      `${op}: cannot reduce an empty axis of shape ${fmtShape(t.aval.shape)} (no identity for ${which})`,
    );
  const r = which === "max" ? lax.reduceMax(t, axes) : lax.reduceMin(t, axes);
  return keep(r, t.aval.shape, axes, keepdims);
}

/** The mean over resolved axes of a float tensor. */
function meanOver(r: Reduction): Tensor {
  return lax.div(sumOver(r), lax.scalarLike(r.t, counted(r.t.aval.shape, r.axes)));
}

/** Sum over axes (bool and int32 sum to int32). @example `nb.sum([[1, 2], [3, 4]], { axis: 0 }).toArray(); // [4, 6]` */
export function sum(x: TensorLike, options?: ReduceOptions): Tensor {
  if (arguments.length > 2) extraArgument("sum", "x, options?", arguments[2], arguments.length);
  return sumOver(reduction("sum", asTensor(x, "sum", FIRST), options));
}

/** Mean over axes. @example `nb.mean([1, 2, 3, 4]).item(); // 2.5` */
export function mean(x: TensorLike, options?: ReduceOptions): Tensor {
  if (arguments.length > 2) extraArgument("mean", "x, options?", arguments[2], arguments.length);
  return meanOver(reduction("mean", floatArg("mean", x, FIRST), options));
}

/** Product over axes. @example `nb.prod([1, 2, 3, 4]).item(); // 24` */
export function prod(x: TensorLike, options?: ReduceOptions): Tensor {
  if (arguments.length > 2) extraArgument("prod", "x, options?", arguments[2], arguments.length);
  const { t, axes, keepdims } = reduction("prod", asTensor(x, "prod", FIRST), options);
  return keep(lax.reduceProd(t, axes), t.aval.shape, axes, keepdims);
}

/** Maximum over axes (derivative shared equally among ties). @example `nb.max([[1, 5], [3, 2]], { axis: 1 }).toArray(); // [5, 3]` */
export function max(x: TensorLike, options?: ReduceOptions): Tensor {
  if (arguments.length > 2) extraArgument("max", "x, options?", arguments[2], arguments.length);
  return extremumOver("max", "max", reduction("max", asTensor(x, "max", FIRST), options));
}
/** Minimum over axes. @example `nb.min([3, 1, 2]).item(); // 1` */
export function min(x: TensorLike, options?: ReduceOptions): Tensor {
  if (arguments.length > 2) extraArgument("min", "x, options?", arguments[2], arguments.length);
  return extremumOver("min", "min", reduction("min", asTensor(x, "min", FIRST), options));
}

export interface ArgOptions {
  /** The axis to search; the flattened tensor when left out (or null). */
  axis?: number | null;
  keepdims?: boolean;
}

function argExtremum(op: "argmax" | "argmin", x: TensorLike, options: ArgOptions | undefined): Tensor {
  let t = asTensor(x, op, FIRST);
  const o = optionsArg(op, options, REDUCE_KEYS, `nb.${op}(x, { axis: ${usageAxis(options)} })`);
  const keepdims = boolArg(op, "keepdims", o.keepdims);
  const flat = o.axis === undefined || o.axis === null;
  if (flat) t = lax.reshape(t, [t.size]);
  const axis = axisArg(op, o.axis ?? 0, t.aval.shape.length);
  if (t.aval.shape[axis] === 0)
    throw new ValueError(`${op}: axis ${axis} of shape ${fmtShape(t.aval.shape)} is empty`);
  const r = op === "argmax" ? lax.argmax(t, axis) : lax.argmin(t, axis);
  return keepdims && !flat ? keep(r, t.aval.shape, [axis], true) : r;
}

/** Index of the maximum (first one on ties), as int32. @example `nb.argmax([1, 5, 3]).item(); // 1` */
export function argmax(x: TensorLike, options?: ArgOptions): Tensor {
  if (arguments.length > 2) extraArgument("argmax", "x, options?", arguments[2], arguments.length);
  return argExtremum("argmax", x, options);
}
/** Index of the minimum, as int32. @example `nb.argmin([4, 1, 3]).item(); // 1` */
export function argmin(x: TensorLike, options?: ArgOptions): Tensor {
  if (arguments.length > 2) extraArgument("argmin", "x, options?", arguments[2], arguments.length);
  return argExtremum("argmin", x, options);
}

export interface VarianceOptions extends ReduceOptions {
  /** Delta degrees of freedom: divide by n − ddof (default 0, as NumPy). */
  ddof?: number;
}

const VARIANCE_KEYS = ["axis", "keepdims", "ddof"] as const;

/** The variance over resolved axes, named `op` for its checks. */
function varianceOf(op: string, x: TensorLike, options: VarianceOptions | undefined): Tensor {
  const r = reduction(op, floatArg(op, x, FIRST), options, VARIANCE_KEYS);
  const ddof = r.o.ddof === undefined ? 0 : numberArg(op, "ddof", r.o.ddof);
  const { t, axes } = r;
  const centered = lax.sub(t, meanOver({ t, axes, keepdims: true }));
  const ss = sumOver({ t: lax.mul(centered, centered), axes, keepdims: r.keepdims });
  return lax.div(ss, lax.scalarLike(t, counted(t.aval.shape, axes) - ddof));
}

/** Variance over axes (ddof 0 by default). @example `nb.variance([1, 2, 3, 4]).item(); // 1.25` */
export function variance(x: TensorLike, options?: VarianceOptions): Tensor {
  if (arguments.length > 2) extraArgument("variance", "x, options?", arguments[2], arguments.length);
  return varianceOf("variance", x, options);
}

/** Standard deviation over axes (ddof 0 by default). @example `nb.std([1, 3]).item(); // 1` */
export function std(x: TensorLike, options?: VarianceOptions): Tensor {
  if (arguments.length > 2) extraArgument("std", "x, options?", arguments[2], arguments.length);
  return lax.sqrt(varianceOf("std", x, options));
}

/** log Σ exp over resolved axes of a float tensor, with the maximum taken out first; errors name `op`. */
export function logSumExpOver(op: string, r: Reduction): Tensor {
  const { t, axes } = r;
  const m0 = lax.stopGradient(extremumOver(op, "max", { t, axes, keepdims: true }));
  // A shift of ±inf would give inf − inf; any finite shift gives the same value and derivatives.
  const m = lax.select(
    lax.eq(lax.abs(m0), lax.scalarLike(m0, Number.POSITIVE_INFINITY)),
    lax.zerosLike(m0),
    m0,
  );
  const s = lax.log(sumOver({ t: lax.exp(lax.sub(t, m)), axes, keepdims: true }));
  const out = lax.add(s, m);
  return r.keepdims
    ? out
    : lax.reshape(
        out,
        t.aval.shape.filter((_, i) => !axes.includes(i)),
      );
}

/**
 * log Σ exp(x) over axes, stable for large x: the maximum is taken out first (without affecting derivatives).
 * @example `nb.logSumExp([1000, 1000]).item(); // 1000 + log 2`
 */
export function logSumExp(x: TensorLike, options?: ReduceOptions): Tensor {
  if (arguments.length > 2) extraArgument("logSumExp", "x, options?", arguments[2], arguments.length);
  return logSumExpOver("logSumExp", reduction("logSumExp", floatArg("logSumExp", x, FIRST), options));
}

/** Cumulative sum along `axis` (the flattened tensor when left out). @example `nb.cumsum([1, 2, 3]).toArray(); // [1, 3, 6]` */
export function cumsum(x: TensorLike, options?: { axis?: number | null; reverse?: boolean }): Tensor {
  if (arguments.length > 2) extraArgument("cumsum", "x, options?", arguments[2], arguments.length);
  let t = asTensor(x, "cumsum", FIRST);
  const o = optionsArg(
    "cumsum",
    options,
    ["axis", "reverse"],
    `nb.cumsum(x, { axis: ${usageAxis(options)} })`,
  );
  const reverse = boolArg("cumsum", "reverse", o.reverse);
  if (t.aval.dtype === "bool") t = lax.convert(t, "int32");
  if (o.axis === undefined || o.axis === null) t = lax.reshape(t, [t.size]);
  const axis = axisArg("cumsum", o.axis ?? 0, t.aval.shape.length);
  return lax.cumsum(t, axis, reverse);
}

export interface NormOptions extends ReduceOptions {
  /** 2 (default; Frobenius for matrices), 1, Infinity, -Infinity, any p > 0, or "fro". */
  ord?: number | "fro";
}

/**
 * Vector p-norm over the given axes (all axes by default, i.e. the Frobenius norm of a matrix).
 * @example `nb.norm([3, 4]).item(); // 5`
 */
export function norm(x: TensorLike, options?: NormOptions): Tensor {
  if (arguments.length > 2) extraArgument("norm", "x, options?", arguments[2], arguments.length);
  const r = reduction("norm", floatArg("norm", x, FIRST), options, ["axis", "keepdims", "ord"]);
  const ord = r.o.ord ?? 2;
  const t = r.t;
  const a = lax.abs(t);
  const over = (v: Tensor): Reduction => ({ t: v, axes: r.axes, keepdims: r.keepdims });
  if (ord === 2 || ord === "fro") return lax.sqrt(sumOver(over(lax.mul(t, t))));
  if (ord === 1) return sumOver(over(a));
  if (ord === Number.POSITIVE_INFINITY) return extremumOver("norm", "max", over(a));
  if (ord === Number.NEGATIVE_INFINITY) return extremumOver("norm", "min", over(a));
  if (typeof ord !== "number" || !(ord > 0))
    throw new ValueError(`norm: ord must be a positive number, Infinity or "fro", got ${describeValue(ord)}`);
  const p = lax.scalarLike(t, ord);
  return lax.pow(sumOver(over(lax.pow(a, p))), lax.scalarLike(t, 1 / ord));
}
