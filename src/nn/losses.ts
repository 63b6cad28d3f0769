// Losses and penalties, numerically stable for large logits: mse, mae, huber, crossEntropy, binaryCrossEntropy, logLoss, hinge, l1/l2.
import { describeValue } from "../core/convert.js";
import { fmtShape, ShapeError, ValueError } from "../core/errors.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { arange } from "../ops/creation.js";
import {
  abs,
  add,
  astype,
  clip,
  equal,
  log,
  minimum,
  mul,
  neg,
  notEqual,
  relu,
  softplus,
  square,
  sub,
  where,
} from "../ops/elementwise.js";
import { logSoftmax } from "../ops/nn.js";
import { mean, sum } from "../ops/reduce.js";
import { expandDims } from "../ops/shape.js";
import { asTensor, floatArg, functionArg, optionsArg, type TensorLike } from "../ops/util.js";
import type { LeafFilter } from "../optim/transform.js";
import { leafPaths, leavesOf } from "../optim/tree.js";
import { checkedIndices, checkOnData } from "./checked.js";

export interface LossOptions {
  /** "mean" (default) over all elements, "sum", or "none" for the elementwise losses. */
  reduction?: "mean" | "sum" | "none";
}

/** A loss's options object, checked (the third argument; unknown keys and non-objects are refused). */
function lossOptions<T extends LossOptions>(
  op: string,
  options: T | undefined,
  extra: readonly string[] = [],
): Partial<T> {
  const o = optionsArg(
    op,
    options,
    ["reduction", ...extra],
    `nb.nn.${op}(a, b, { reduction: "sum" })`,
    "third",
  );
  const r = o.reduction;
  if (r !== undefined && r !== "mean" && r !== "sum" && r !== "none")
    throw new ValueError(`${op}: reduction must be "mean", "sum" or "none", got ${describeValue(r)}`);
  return o;
}

function reduce(l: Tensor, options: LossOptions): Tensor {
  const r = options.reduction ?? "mean";
  if (r === "none") return l;
  if (r === "sum") return sum(l);
  return mean(l);
}

/** Predictions and targets of one shape (a scalar target broadcasts); a silent broadcast of [N,1] with [N] is refused. */
function pairOf(op: string, predictions: TensorLike, targets: TensorLike): [Tensor, Tensor] {
  const p = floatArg(op, predictions);
  const t = astype(asTensor(targets, op), p.dtype);
  if (t.ndim !== 0 && fmtShape(p.shape) !== fmtShape(t.shape))
    throw new ShapeError(
      `${op}: predictions ${fmtShape(p.shape)} and targets ${fmtShape(t.shape)} must have the same shape ` +
        "(reshape one of them; broadcasting here usually hides a bug, e.g. [N,1] against [N] gives [N,N])",
    );
  return [p, t];
}

/**
 * Mean squared error: mean((predictions − targets)²).
 * @example
 * ```ts
 * nb.nn.mse([1, 2, 3], [1, 2, 5]).item(); // 4/3
 * ```
 */
export function mse(predictions: TensorLike, targets: TensorLike, options?: LossOptions): Tensor {
  const opts = lossOptions("mse", options);
  const [p, t] = pairOf("mse", predictions, targets);
  return reduce(square(sub(p, t)), opts);
}

/**
 * Mean absolute error: mean(|predictions − targets|).
 * @example
 * ```ts
 * nb.nn.mae([1, 2, 3], [1, 2, 5]).item(); // 2/3
 * ```
 */
export function mae(predictions: TensorLike, targets: TensorLike, options?: LossOptions): Tensor {
  const opts = lossOptions("mae", options);
  const [p, t] = pairOf("mae", predictions, targets);
  return reduce(abs(sub(p, t)), opts);
}

/**
 * Huber loss: ½r² for |r| ≤ δ, δ(|r| − ½δ) beyond (quadratic near 0, linear for outliers); δ = 1 by default.
 * @example
 * ```ts
 * nb.nn.huber([0, 0], [0.5, 3]).item(); // (0.125 + 2.5) / 2
 * ```
 */
export function huber(
  predictions: TensorLike,
  targets: TensorLike,
  options: LossOptions & { delta?: number } = {},
): Tensor {
  const opts = lossOptions("huber", options, ["delta"]);
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new ValueError(`huber: delta must be positive, got ${delta}`);
  const [p, t] = pairOf("huber", predictions, targets);
  const a = abs(sub(p, t));
  const q = minimum(a, delta);
  // ½q² + δ(|r| − q): both pieces at once, smooth at |r| = δ.
  return reduce(add(mul(square(q), 0.5), mul(sub(a, q), delta)), opts);
}

/** Checks class indices (when concrete) against the number of classes. */
function checkIndices(op: string, labels: Tensor, classes: number): void {
  if (!(labels instanceof ConcreteTensor)) return;
  const bad = labels.data.find((v) => !Number.isInteger(v) || v < 0 || v >= classes);
  if (bad !== undefined)
    throw new ValueError(
      `${op}: label ${bad} is not a class index in [0, ${classes}) (labels ${fmtShape(labels.shape)})`,
    );
}

/**
 * Cross-entropy of softmax(logits) along the last axis against either integer class labels (shape of
 * logits without the class axis) or probabilities / one-hot rows (shape of logits). Computed from
 * logSoftmax, so logits of ±1e4 give finite, exact values. `labelSmoothing` mixes the targets with the
 * uniform distribution (PyTorch's definition).
 * @example
 * ```ts
 * const logits = nb.array([[2, 0, 0], [0, 0, 1e4]]);
 * nb.nn.crossEntropy(logits, nb.array([0, 2], { dtype: "int32" })).item(); // ≈ 0.120
 * nb.nn.crossEntropy(logits, [[1, 0, 0], [0, 0, 1]]).item();                // the same, one-hot
 * ```
 */
export function crossEntropy(
  logits: TensorLike,
  labels: TensorLike,
  options: LossOptions & { labelSmoothing?: number } = {},
): Tensor {
  const opts = lossOptions("crossEntropy", options, ["labelSmoothing"]);
  const op = "crossEntropy";
  const z = floatArg(op, logits);
  const y = asTensor(labels, op);
  if (z.ndim === 0) throw new ShapeError(`${op}: logits need a class axis (last), got a scalar`);
  const classes = z.shape[z.ndim - 1]!;
  if (classes === 0)
    throw new ShapeError(`${op}: logits ${fmtShape(z.shape)} have no classes (the last axis is empty)`);
  const s = opts.labelSmoothing ?? 0;
  if (!(s >= 0 && s < 1)) throw new ValueError(`${op}: labelSmoothing must be in [0, 1), got ${s}`);
  const logp = logSoftmax(z);
  let nll: Tensor;
  if (y.ndim === z.ndim - 1 && fmtShape(y.shape) === fmtShape(z.shape.slice(0, -1))) {
    checkIndices(op, y, classes);
    const yi = checkedIndices(op, y, classes, "a label is not a class index");
    const onehot = equal(expandDims(yi, -1), arange(0, classes, 1, { dtype: "int32" }));
    // where, not a product: a −∞ logit (a mask) of another class must not turn 0·(−∞) into NaN.
    nll = neg(sum(where(onehot, logp, 0), { axis: -1 }));
  } else if (fmtShape(y.shape) === fmtShape(z.shape)) {
    const py = astype(y, z.dtype);
    nll = neg(sum(where(equal(py, 0), 0, mul(py, logp)), { axis: -1 }));
  } else
    throw new ShapeError(
      `${op}: logits ${fmtShape(z.shape)} need labels of shape ${fmtShape(z.shape.slice(0, -1))} (class indices) ` +
        `or ${fmtShape(z.shape)} (probabilities, one-hot), got ${fmtShape(y.shape)}`,
    );
  return reduce(s === 0 ? nll : add(mul(nll, 1 - s), mul(neg(mean(logp, { axis: -1 })), s)), opts);
}

/**
 * Binary cross-entropy from logits (sigmoid applied inside): softplus(z) − y·z, stable for any z (PyTorch's
 * BCEWithLogitsLoss, optax's sigmoid_binary_cross_entropy). Labels in [0, 1], same shape as the logits.
 * @example
 * ```ts
 * nb.nn.binaryCrossEntropy([0, 1e4, -1e4], [1, 1, 0]).item(); // (log 2 + 0 + 0) / 3
 * ```
 */
export function binaryCrossEntropy(logits: TensorLike, labels: TensorLike, options?: LossOptions): Tensor {
  const opts = lossOptions("binaryCrossEntropy", options);
  const [z, y] = pairOf("binaryCrossEntropy", logits, labels);
  return reduce(sub(softplus(z), mul(y, z)), opts);
}

/**
 * Log loss on probabilities (scikit-learn's log_loss, Keras' binary cross-entropy on probabilities):
 * −(y·log p + (1 − y)·log(1 − p)) with p clipped to [eps, 1 − eps] (eps 1e-7) so 0 and 1 stay finite.
 * Prefer {@link binaryCrossEntropy} on logits when you have them.
 * @example
 * ```ts
 * nb.nn.logLoss([0.9, 0.2], [1, 0]).item(); // (−log 0.9 − log 0.8) / 2
 * ```
 */
export function logLoss(
  probabilities: TensorLike,
  labels: TensorLike,
  options: LossOptions & { eps?: number } = {},
): Tensor {
  const opts = lossOptions("logLoss", options, ["eps"]);
  const eps = opts.eps ?? 1e-7;
  const [p0, y] = pairOf("logLoss", probabilities, labels);
  const p = clip(p0, eps, 1 - eps);
  return reduce(neg(add(mul(y, log(p)), mul(sub(1, y), log(sub(1, p))))), opts);
}

/**
 * Hinge loss max(0, 1 − y·score) for labels in {−1, +1} (labels in {0, 1} are mapped to −1, +1).
 * @example
 * ```ts
 * nb.nn.hinge([2, 0.5, -1], [1, 1, 1]).item(); // (0 + 0.5 + 2) / 3
 * ```
 */
export function hinge(scores: TensorLike, labels: TensorLike, options?: LossOptions): Tensor {
  const opts = lossOptions("hinge", options);
  const [s, y0] = pairOf("hinge", scores, labels);
  let y = y0;
  if (y0 instanceof ConcreteTensor) {
    const vals = Array.from(y0.data);
    if (vals.some((v) => v !== 0 && v !== 1 && v !== -1))
      throw new ValueError("hinge: labels must be −1 or +1 (or 0 and 1)");
  } else {
    const bad = mul(notEqual(abs(y0), 1), notEqual(y0, 0));
    const check = checkOnData(
      equal(bad, false),
      "hinge: labels must be −1 or +1 (or 0 and 1) (checked when the traced program ran)",
    );
    y = add(y0, astype(check, y0.dtype));
  }
  // 0 means −1, traced or not (so jit and vmap agree with eager).
  y = where(equal(y, 0), -1, y);
  return reduce(relu(sub(1, mul(y, s))), opts);
}

/** Options of the penalties: which leaves to include (all by default). */
export interface PenaltyOptions {
  /** `(path, leaf) => boolean`, e.g. `(_, w) => w.ndim > 1` to skip biases and normalization scales. */
  filter?: LeafFilter;
}

function penalty(op: string, params: unknown, f: (w: Tensor) => Tensor, options: PenaltyOptions): Tensor {
  const o = optionsArg(op, options, ["filter"], `nb.nn.${op}(params, { filter: (path, w) => w.ndim > 1 })`);
  if (o.filter !== undefined) functionArg(op, "filter", o.filter);
  const [leaves] = leavesOf(params, op);
  const paths = leafPaths(params);
  const keep = o.filter;
  const chosen = leaves.filter((w, i) => keep === undefined || keep(paths[i]!, w));
  if (chosen.length === 0) return asTensor(0);
  return chosen.map((w) => sum(f(w))).reduce((a, b) => add(a, b));
}

/**
 * The L1 penalty Σ|w| over every parameter (or those `filter` keeps); multiply by λ and add to the loss.
 * @example
 * ```ts
 * nb.nn.l1Penalty({ w: nb.array([1, -2]), b: nb.array([3]) }).item(); // 6
 * ```
 */
export function l1Penalty(params: unknown, options: PenaltyOptions = {}): Tensor {
  return penalty("l1Penalty", params, abs, options);
}

/**
 * The L2 penalty Σw² over every parameter (or those `filter` keeps); multiply by λ and add to the loss
 * (λ·Σw² matches weight decay 2λ in SGD).
 * @example
 * ```ts
 * nb.nn.l2Penalty({ w: nb.array([1, -2]), b: nb.array([3]) }, { filter: (path) => path !== "b" }).item(); // 5
 * ```
 */
export function l2Penalty(params: unknown, options: PenaltyOptions = {}): Tensor {
  return penalty("l2Penalty", params, square, options);
}
