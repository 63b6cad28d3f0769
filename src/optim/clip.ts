// Gradient clipping transformations: by value and by global norm.
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { clip, div, maximum, mul } from "../ops/elementwise.js";
import { describeValue } from "../ops/util.js";
import { type GradientTransformation, transformation } from "./transform.js";
import { globalNormOf, type Tree, zipMap } from "./tree.js";

/**
 * The global L2 norm of a pytree: √(Σ over every leaf of Σ g²), the quantity {@link clipByGlobalNorm} limits.
 * @example
 * ```ts
 * nb.optim.globalNorm({ a: nb.array([3]), b: nb.array([4]) }).item(); // 5
 * ```
 */
export function globalNorm(tree: Tree): Tensor {
  return globalNormOf(tree, "globalNorm");
}

/**
 * Clips every gradient element to [−maxDelta, maxDelta] (optax's clip, PyTorch's clip_grad_value_).
 * @example
 * ```ts
 * nb.optim.clipByValue(1).update({ w: nb.array([-3, 0.5, 2]) }, null)[0].w.toArray(); // [-1, 0.5, 1]
 * ```
 */
export function clipByValue(maxDelta: number): GradientTransformation {
  if (!(typeof maxDelta === "number" && maxDelta > 0))
    throw new ValueError(`clipByValue: maxDelta must be a positive number, got ${describeValue(maxDelta)}`);
  return transformation(
    () => null,
    (grads, state) => [zipMap("clipByValue", ["grads"], [grads], (g) => clip(g, -maxDelta, maxDelta)), state],
  );
}

/**
 * Rescales all gradients together so their global norm is at most `maxNorm` (direction kept); gradients
 * already within the limit pass unchanged (optax's clip_by_global_norm, PyTorch's clip_grad_norm_).
 * @example
 * ```ts
 * const [u] = nb.optim.clipByGlobalNorm(1).update({ a: nb.array([3]), b: nb.array([4]) }, null);
 * [u.a.item(), u.b.item()]; // [0.6, 0.8]
 * ```
 */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation {
  if (!(typeof maxNorm === "number" && maxNorm > 0))
    throw new ValueError(
      `clipByGlobalNorm: maxNorm must be a positive number, got ${describeValue(maxNorm)}`,
    );
  return transformation(
    () => null,
    (grads, state) => {
      const norm = globalNormOf(grads, "clipByGlobalNorm");
      // g · maxNorm / max(norm, maxNorm): unchanged below the limit, NaN norms propagate.
      const factor = div(maxNorm, maximum(norm, maxNorm));
      return [zipMap("clipByGlobalNorm", ["grads"], [grads], (g) => mul(g, factor)), state];
    },
  );
}
