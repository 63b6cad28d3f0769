// Activations for nb.nn: plain functions of a tensor, usable directly as layers in Sequential.
import type { Tensor } from "../core/tensor.js";
import { elu, gelu, leakyRelu, mul, relu, sigmoid, softplus, tanh } from "../ops/elementwise.js";
import { logSoftmax, softmax } from "../ops/nn.js";
import { floatArg, type TensorLike } from "../ops/util.js";

export { elu, gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, softplus, tanh };

/**
 * SiLU (swish): x · sigmoid(x).
 * @example `nb.nn.silu([0, 1]).toArray(); // [0, 0.731]`
 */
export function silu(x: TensorLike): Tensor {
  const t = floatArg("silu", x);
  return mul(t, sigmoid(t));
}

/** Readable names of the activations, for messages and reports (their function objects are anonymous). */
export const activationNames: ReadonlyMap<unknown, string> = new Map<unknown, string>([
  [relu, "relu"],
  [leakyRelu, "leakyRelu"],
  [sigmoid, "sigmoid"],
  [tanh, "tanh"],
  [softmax, "softmax"],
  [logSoftmax, "logSoftmax"],
  [gelu, "gelu"],
  [elu, "elu"],
  [softplus, "softplus"],
  [silu, "silu"],
]);
