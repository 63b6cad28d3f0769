// Normalised exponentials: softmax and logSoftmax, stable for large inputs.
// biome-ignore-all lint/complexity/noArguments: each op compares its argument count with the most it takes, reading no copy of the arguments
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import { extremumOver, logSumExpOver, sumOver } from "./reduce.js";
import { axesArg, extraArgument, FIRST, floatArg, type TensorLike } from "./util.js";

/**
 * exp(x) / Σ exp(x) along `axis` (the last by default), computed with the maximum subtracted.
 * @example `nb.softmax([1, 1]).toArray(); // [0.5, 0.5]`
 */
export function softmax(x: TensorLike, axis: number | readonly number[] = -1): Tensor {
  if (arguments.length > 2) extraArgument("softmax", "x, axis?", arguments[2], arguments.length);
  const t = floatArg("softmax", x, FIRST);
  const axes = axesArg("softmax", axis, t.aval.shape.length, (a) => `nb.softmax(x, ${a})`);
  const m = extremumOver("softmax", "max", { t, axes, keepdims: true });
  const e = lax.exp(lax.sub(t, lax.stopGradient(m)));
  return lax.div(e, sumOver({ t: e, axes, keepdims: true }));
}

/**
 * x − logSumExp(x) along `axis` (the last by default).
 * @example `nb.logSoftmax([0, 0]).toArray(); // [-0.693, -0.693]`
 */
export function logSoftmax(x: TensorLike, axis: number | readonly number[] = -1): Tensor {
  if (arguments.length > 2) extraArgument("logSoftmax", "x, axis?", arguments[2], arguments.length);
  const t = floatArg("logSoftmax", x, FIRST);
  const axes = axesArg("logSoftmax", axis, t.aval.shape.length, (a) => `nb.logSoftmax(x, ${a})`);
  return lax.sub(t, logSumExpOver("logSoftmax", { t, axes, keepdims: true }));
}
