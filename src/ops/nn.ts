// Normalised exponentials: softmax and logSoftmax, stable for large inputs.
import { normalizeAxes } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "./lax.js";
import { logSumExp, max, sum } from "./reduce.js";
import { floatArg, type TensorLike } from "./util.js";

/**
 * exp(x) / Σ exp(x) along `axis` (the last by default), computed with the maximum subtracted.
 * @example `nb.softmax([1, 1]).toArray(); // [0.5, 0.5]`
 */
export function softmax(x: TensorLike, axis: number | readonly number[] = -1): Tensor {
  const t = floatArg("softmax", x);
  const axes = normalizeAxes("softmax", axis, t.aval.shape.length);
  const e = lax.exp(lax.sub(t, lax.stopGradient(max(t, { axis: axes, keepdims: true }))));
  return lax.div(e, sum(e, { axis: axes, keepdims: true }));
}

/**
 * x − logSumExp(x) along `axis` (the last by default).
 * @example `nb.logSoftmax([0, 0]).toArray(); // [-0.693, -0.693]`
 */
export function logSoftmax(x: TensorLike, axis: number | readonly number[] = -1): Tensor {
  const t = floatArg("logSoftmax", x);
  const axes = normalizeAxes("logSoftmax", axis, t.aval.shape.length);
  return lax.sub(t, logSumExp(t, { axis: axes, keepdims: true }));
}
