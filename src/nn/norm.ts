// Normalization layers: BatchNorm (batch statistics in training, running statistics in evaluation) and LayerNorm.
import { fmtShape, ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { add, astype, div, mul, sqrt, square, sub } from "../ops/elementwise.js";
import { mean } from "../ops/reduce.js";
import { reshape } from "../ops/shape.js";
import { floatArg } from "../ops/util.js";
import { stopGradient } from "../transforms/api.js";
import { ones, zeros } from "./init.js";
import { floatOption, type Layer, makeLayer, type Params, positiveInt, shapeError } from "./layer.js";

export interface BatchNormOptions {
  /** Weight of the new batch in the running averages: running ← (1 − m)·running + m·batch (PyTorch). Default 0.1. */
  momentum?: number;
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /** Learn a per-feature scale (`weight`) and shift (`bias`). Default true. */
  affine?: boolean;
  dtype?: "float32" | "float64";
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/**
 * Batch normalization over axis 1 of inputs [N, C] or [N, C, …] (BatchNorm1d and BatchNorm2d in one).
 * Training mode normalizes with the batch's mean and (biased) variance and returns updated running
 * statistics (unbiased variance, as PyTorch) through `applyWithState`; evaluation mode uses the running
 * statistics, which `apply` reads from `options.state`. State: `{ mean, var }`; params: `{ weight, bias }`.
 * @example
 * ```ts
 * const bn = nb.nn.BatchNorm(3);
 * const { params, state } = bn.init(0);
 * const x = nb.random.normal(nb.random.key(1), [16, 3]);
 * const [y, newState] = bn.applyWithState(params, state, x, { train: true }); // y: mean 0, variance 1 per feature
 * bn.apply(params, x, { state: newState }).shape; // [16, 3] (evaluation: running statistics)
 * ```
 */
export function BatchNorm(numFeatures: number, options: BatchNormOptions = {}): Layer {
  positiveInt("BatchNorm", "numFeatures", numFeatures);
  const { momentum = 0.1, eps = 1e-5, affine = true } = options;
  if (!(momentum >= 0 && momentum <= 1))
    throw new ValueError(`BatchNorm: momentum must be in [0, 1], got ${momentum}`);
  const dtype = floatOption("BatchNorm", options.dtype);
  const name = `BatchNorm(${numFeatures})`;
  const check = (s: readonly number[]) => {
    if (s.length < 2 || s[1] !== numFeatures)
      throw shapeError(
        name,
        `expected input [N, ${numFeatures}] or [N, ${numFeatures}, …], got ${fmtShape(s)}`,
      );
  };
  return makeLayer({
    name,
    stochastic: false,
    stateful: true,
    init: () => ({
      params: (affine
        ? { weight: ones(0, [numFeatures], { dtype }), bias: zeros(0, [numFeatures], { dtype }) }
        : {}) as Params,
      state: { mean: zeros(0, [numFeatures], { dtype }), var: ones(0, [numFeatures], { dtype }) },
    }),
    forward: (p, state, x0, { train }) => {
      const x = floatArg(name, x0);
      check(x.shape);
      const axes = [0, ...range(2, x.ndim)];
      const bshape = x.shape.map((d, i) => (i === 1 ? d : 1));
      const b = (t: Tensor) => reshape(t, bshape);
      let mu: Tensor;
      let v: Tensor;
      let next = state;
      if (train) {
        const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
        if (count < 2)
          throw shapeError(
            name,
            `training mode needs more than one value per feature, got input ${fmtShape(x.shape)}`,
          );
        mu = mean(x, { axis: axes });
        v = mean(square(sub(x, b(mu))), { axis: axes });
        if (state.mean !== undefined) {
          const rm = state.mean as Tensor;
          const rv = state.var as Tensor;
          const blend = (old: Tensor, batch: Tensor) =>
            astype(add(mul(old, 1 - momentum), mul(stopGradient(batch), momentum)), old.dtype);
          next = { mean: blend(rm, mu), var: blend(rv, mul(v, count / (count - 1))) };
        }
      } else {
        if (state.mean === undefined || state.var === undefined)
          throw new ValueError(
            `${name}: evaluation mode uses the running statistics: pass { state } from init (or applyWithState), or { train: true }`,
          );
        mu = state.mean as Tensor;
        v = state.var as Tensor;
      }
      let y = div(sub(x, b(mu)), sqrt(add(b(v), eps)));
      if (affine && p.weight !== undefined) y = add(mul(y, b(p.weight as Tensor)), b(p.bias as Tensor));
      return [y, next];
    },
    outputShape: (s) => {
      check(s);
      return [...s];
    },
  });
}

/**
 * Layer normalization over the last dimensions (`normalizedShape`, e.g. the feature size), with a learned
 * per-element `weight` and `bias`. Same computation in training and evaluation.
 * @example
 * ```ts
 * const ln = nb.nn.LayerNorm(4);
 * const { params } = ln.init(0);
 * ln.apply(params, nb.array([[1, 2, 3, 4]])).toArray(); // ≈ [[-1.34, -0.45, 0.45, 1.34]]
 * ```
 */
export function LayerNorm(
  normalizedShape: number | readonly number[],
  options: { eps?: number; affine?: boolean; dtype?: "float32" | "float64" } = {},
): Layer {
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
  shape.forEach((d) => positiveInt("LayerNorm", "normalizedShape", d));
  const { eps = 1e-5, affine = true } = options;
  const dtype = floatOption("LayerNorm", options.dtype);
  const name = `LayerNorm(${shape.join("×")})`;
  const check = (s: readonly number[]) => {
    const tail = s.slice(s.length - shape.length);
    if (s.length < shape.length || tail.some((d, i) => d !== shape[i]))
      throw shapeError(name, `expected input ending in ${fmtShape(shape)}, got ${fmtShape(s)}`);
  };
  return makeLayer({
    name,
    stochastic: false,
    init: () => ({
      params: (affine
        ? { weight: ones(0, shape, { dtype }), bias: zeros(0, shape, { dtype }) }
        : {}) as Params,
      state: {},
    }),
    forward: (p, state, x0) => {
      const x = floatArg(name, x0);
      check(x.shape);
      const axes = range(x.ndim - shape.length, x.ndim);
      const mu = mean(x, { axis: axes, keepdims: true });
      const v = mean(square(sub(x, mu)), { axis: axes, keepdims: true });
      let y = div(sub(x, mu), sqrt(add(v, eps)));
      if (affine && p.weight !== undefined) y = add(mul(y, p.weight as Tensor), p.bias as Tensor);
      return [y, state];
    },
    outputShape: (s) => {
      check(s);
      return [...s];
    },
  });
}
