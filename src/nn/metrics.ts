// Metrics for reporting (plain numbers, not differentiated): accuracy.
import { fmtShape, ShapeError } from "../core/errors.js";
import { astype, equal, greater } from "../ops/elementwise.js";
import { argmax, mean } from "../ops/reduce.js";
import { reshape } from "../ops/shape.js";
import { asTensor, type TensorLike } from "../ops/util.js";

/**
 * The fraction of correct predictions. With outputs [N, C] (C > 1) the prediction is the argmax, and labels
 * are class indices [N] or one-hot rows [N, C]. With one output per example ([N] or [N, 1]) it is
 * `output > threshold` (0 for logits; pass 0.5 for probabilities) against labels 0/1.
 * @example
 * ```ts
 * nb.nn.accuracy([[2, 1], [0, 3], [1, 0]], [0, 1, 1]); // 2/3
 * nb.nn.accuracy([3, -1], [1, 1]);                      // 0.5 (logits: > 0 means class 1)
 * ```
 */
export function accuracy(
  outputs: TensorLike,
  labels: TensorLike,
  options: { threshold?: number } = {},
): number {
  const out = asTensor(outputs, "accuracy");
  const y = asTensor(labels, "accuracy");
  const n = out.shape[0] ?? 1;
  const classes = out.ndim >= 2 ? out.shape[out.ndim - 1]! : 1;
  if (classes > 1) {
    const predicted = argmax(out, { axis: -1 });
    let truth = y;
    if (fmtShape(y.shape) === fmtShape(out.shape)) truth = argmax(y, { axis: -1 });
    else if (fmtShape(y.shape) !== fmtShape(predicted.shape))
      throw new ShapeError(
        `accuracy: outputs ${fmtShape(out.shape)} need labels ${fmtShape(predicted.shape)} (class indices) or ${fmtShape(out.shape)} (one-hot), got ${fmtShape(y.shape)}`,
      );
    return mean(astype(equal(predicted, astype(truth, "int32")), "float64")).item();
  }
  const flatOut = reshape(out, [out.size]);
  if (y.size !== out.size)
    throw new ShapeError(
      `accuracy: outputs ${fmtShape(out.shape)} and labels ${fmtShape(y.shape)} hold different counts`,
    );
  const predicted = greater(flatOut, options.threshold ?? 0);
  const truth = greater(reshape(astype(y, "float64"), [y.size]), 0.5);
  return n === 0 ? Number.NaN : mean(astype(equal(predicted, truth), "float64")).item();
}
