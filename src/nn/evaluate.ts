// Evaluation in batches: loss and metrics of a model on a dataset, and batched predictions.
import { ValueError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { concatenate, slice } from "../ops/shape.js";
import { asTensor, type TensorLike } from "../ops/util.js";
import type { Dataset } from "./data.js";
import type { ApplyOptions, Layer, Params, State } from "./layer.js";
import { accuracy } from "./metrics.js";

/** A model: a layer, or a plain function `(params, x, options) → outputs` for hand-written models. */
export type Model = Layer | ((params: Params, x: Tensor, options: ApplyOptions) => Tensor);

/** A metric: a number (or scalar tensor) from a batch's outputs and targets; averaged over examples. */
export type Metric = (outputs: Tensor, targets: Tensor) => number | Tensor;

/** Metrics by name, or the names of built-in ones ("accuracy"). */
export type Metrics = readonly "accuracy"[] | Readonly<Record<string, Metric>>;

/** The model as `(params, state, x, options) → [outputs, state]`. */
export function forwardOf(
  model: Model,
  op = "fit",
): (p: Params, s: State, x: Tensor, o: ApplyOptions) => [Tensor, State] {
  if (typeof model === "function") return (p, s, x, o) => [model(p, x, o), s];
  if (model && typeof model.applyWithState === "function")
    return (p, s, x, o) => model.applyWithState(p, s, x, o);
  throw new ValueError(
    `${op}: model must be a layer (e.g. nn.Sequential([...])) or a function (params, x, options) → outputs`,
  );
}

/** Resolves metric names to functions. */
export function metricsOf(metrics: Metrics | undefined): [string, Metric][] {
  if (metrics === undefined) return [];
  if (Array.isArray(metrics))
    return metrics.map((m) => {
      if (m !== "accuracy")
        throw new ValueError(`metrics: unknown metric "${m}"; built in: "accuracy", or pass { name: fn }`);
      return ["accuracy", (o: Tensor, y: Tensor) => accuracy(o, y)];
    });
  return Object.entries(metrics as Record<string, Metric>);
}

const num = (v: number | Tensor) => (v instanceof Tensor ? v.item() : v);

export interface EvaluateOptions {
  loss?: (outputs: Tensor, targets: Tensor) => Tensor;
  metrics?: Metrics;
  /** Examples per forward pass. Default 256. */
  batchSize?: number;
  /** State of stateful layers (BatchNorm's running statistics). */
  state?: State;
}

/**
 * The loss and metrics of a model on a dataset in evaluation mode, computed in batches and averaged over
 * examples.
 * @example
 * ```ts
 * const model = nb.nn.Linear(2, 3);
 * const { params } = model.init(0);
 * const data = { x: nb.ones([10, 2]), y: nb.zeros([10], { dtype: "int32" }) };
 * nb.nn.evaluate(model, params, data, { loss: nb.nn.crossEntropy, metrics: ["accuracy"] });
 * // { loss: 0.46, metrics: { accuracy: 1 } }
 * ```
 */
export function evaluate(
  model: Model,
  params: Params,
  data: Dataset,
  options: EvaluateOptions = {},
): { loss: number; metrics: Record<string, number> } {
  const fwd = forwardOf(model, "evaluate");
  if (data === null || typeof data !== "object")
    throw new ValueError(`evaluate: data must be { x, y }, got ${data === null ? "null" : typeof data}`);
  const x = asTensor(data.x, "evaluate");
  const y = asTensor(data.y, "evaluate");
  const n = x.shape[0] ?? 0;
  if (n === 0 || y.shape[0] !== n)
    throw new ValueError(
      `evaluate: x and y need the same non-zero number of examples, got ${x.shape[0]} and ${y.shape[0]}`,
    );
  const size = options.batchSize ?? 256;
  const ms = metricsOf(options.metrics);
  let lossSum = 0;
  const sums: Record<string, number> = Object.fromEntries(ms.map(([k]) => [k, 0]));
  for (let start = 0; start < n; start += size) {
    const m = Math.min(size, n - start);
    const xb = slice(x, [start], [m]);
    const yb = slice(y, [start], [m]);
    const [out] = fwd(params, options.state ?? {}, xb, { train: false });
    if (options.loss) lossSum += options.loss(out, yb).item() * m;
    for (const [k, f] of ms) sums[k]! += num(f(out, yb)) * m;
  }
  return {
    loss: options.loss ? lossSum / n : Number.NaN,
    metrics: Object.fromEntries(ms.map(([k]) => [k, sums[k]! / n])),
  };
}

/**
 * The model's outputs on `x` in evaluation mode, computed in batches (default 256) and joined.
 * @example
 * ```ts
 * const model = nb.nn.Linear(2, 1);
 * const { params } = model.init(0);
 * nb.nn.predict(model, params, nb.ones([1000, 2])).shape; // [1000, 1]
 * ```
 */
export function predict(
  model: Model,
  params: Params,
  x: TensorLike,
  options: { batchSize?: number; state?: State } = {},
): Tensor {
  const fwd = forwardOf(model, "predict");
  const t = asTensor(x, "predict");
  const n = t.shape[0] ?? 0;
  const size = options.batchSize ?? 256;
  const parts: Tensor[] = [];
  for (let start = 0; start < n; start += size)
    parts.push(
      fwd(params, options.state ?? {}, slice(t, [start], [Math.min(size, n - start)]), { train: false })[0],
    );
  if (parts.length === 0) throw new ValueError("predict: x has no examples");
  return parts.length === 1 ? parts[0]! : concatenate(parts, 0);
}
