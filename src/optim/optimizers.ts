// The common optimizers as gradient transformations: sgd (momentum, Nesterov), adam, adamw, rmsprop, adagrad.
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { full, zerosLike } from "../ops/creation.js";
import { add, astype, div, expm1, mul, neg, sqrt, square, sub } from "../ops/elementwise.js";
import { boolArg, describeValue, functionArg, numberArg, optionsArg } from "../ops/util.js";
import { type LearningRate, learningRateArg, resolveRate } from "./schedules.js";
import {
  counter,
  type GradientTransformation,
  type LeafFilter,
  negated,
  nextCount,
  readCount,
  transformation,
} from "./transform.js";
import { leafPaths, type Tree, zipMap, zipMapN } from "./tree.js";

const zerosOf = (where: string, params: Tree): Tree =>
  zipMap(where, ["params"], [params], (p) => zerosLike(p));

function inUnit(where: string, name: string, v: unknown): void {
  if (!(typeof v === "number" && v >= 0 && v < 1))
    throw new ValueError(`${where}: ${name} must be a number in [0, 1), got ${describeValue(v)}`);
}

/**
 * The options object of optimizer `where`, checked: an object with a learningRate and only the known
 * `keys`, whose numeric entries among `numbers` are finite.
 */
function optimizerOptions<T extends { learningRate: LearningRate }>(
  where: string,
  options: T,
  keys: readonly string[],
  numbers: readonly string[],
): T {
  const usage = `nb.optim.${where}({ learningRate: 0.01 })`;
  if (options === undefined) throw new ValueError(`${where}: expects an options object; write ${usage}`);
  const o = optionsArg(where, options, ["learningRate", ...keys], usage, "first") as Record<string, unknown>;
  learningRateArg(where, o.learningRate);
  for (const k of numbers) if (o[k] !== undefined) numberArg(where, k, o[k]);
  return options;
}

function needParams(where: string, params: Tree | undefined): asserts params is Tree {
  if (params === undefined)
    throw new ValueError(`${where}: weight decay needs the params: call update(grads, state, params)`);
}

/** The mask of a weight-decay filter, leaf by leaf in flatten order. */
const maskOf = (params: Tree, mask: LeafFilter | undefined): ((i: number, p: Tensor) => boolean) => {
  const paths = leafPaths(params);
  return (i, p) => mask === undefined || mask(paths[i]!, p);
};

export interface SgdOptions {
  learningRate: LearningRate;
  /** Momentum coefficient μ (0 = plain SGD). Default 0. */
  momentum?: number;
  /** Nesterov momentum. Default false. */
  nesterov?: boolean;
  /** L2 weight decay added to the gradient before momentum (PyTorch's weight_decay). Default 0. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent, with PyTorch's (and optax's) momentum: v ← μ·v + g, update −lr·v; with
 * Nesterov, update −lr·(g + μ·v). State: `{ count, trace }`.
 * @example
 * ```ts
 * const opt = nb.optim.sgd({ learningRate: 0.1, momentum: 0.9, nesterov: true });
 * let params = { w: nb.array([1, -2]) };
 * let state = opt.init(params);
 * const grads = nb.grad((p: typeof params) => nb.sum(nb.square(p.w)))(params);
 * const [updates, next] = opt.update(grads, state, params);
 * params = nb.optim.applyUpdates(params, updates);
 * ```
 */
export function sgd(options: SgdOptions): GradientTransformation {
  const where = "sgd";
  optimizerOptions(where, options, ["momentum", "nesterov", "weightDecay"], ["weightDecay"]);
  const { learningRate, momentum = 0, weightDecay = 0 } = options;
  const nesterov = boolArg(where, "nesterov", options.nesterov);
  inUnit(where, "momentum", momentum);
  if (nesterov && momentum === 0) throw new ValueError("sgd: Nesterov momentum needs momentum > 0");
  return transformation(
    (params) => ({ count: counter(0), trace: momentum > 0 ? zerosOf(`${where}.init`, params) : null }),
    (grads, state, params) => {
      const n = readCount(`${where}.update`, state);
      const step = negated(resolveRate(where, learningRate, n));
      if (weightDecay !== 0) needParams(`${where}.update`, params);
      const trees = weightDecay !== 0 ? [grads, params] : [grads];
      const names = weightDecay !== 0 ? ["grads", "params"] : ["grads"];
      if (momentum === 0) {
        const u = zipMap(`${where}.update`, names, trees, (g, p) =>
          mul(p ? add(g, mul(p, weightDecay)) : g, step),
        );
        return [u, { count: nextCount(n), trace: null }];
      }
      const trace = (state as { trace: Tree }).trace;
      const [u, t] = zipMapN(`${where}.update`, [...names, "state.trace"], [...trees, trace], 2, (...l) => {
        const g = weightDecay !== 0 ? add(l[0]!, mul(l[1]!, weightDecay)) : l[0]!;
        const v = add(mul(l[l.length - 1]!, momentum), g);
        const d = nesterov ? add(g, mul(v, momentum)) : v;
        return [mul(d, step), v];
      });
      return [u!, { count: nextCount(n), trace: t! }];
    },
  );
}

export interface AdamOptions {
  learningRate: LearningRate;
  /** Decay of the first-moment average. Default 0.9. */
  b1?: number;
  /** Decay of the second-moment average. Default 0.999. */
  b2?: number;
  /** Added to √v̂ in the denominator. Default 1e-8. */
  eps?: number;
}

/**
 * 1 − bᵗ for the bias correction at step t; with a traced step, as −expm1(t·ln b), which keeps float32's
 * relative accuracy where 1 − bᵗ would cancel (b = 0.999, t = 1).
 */
const correction = (b: number, t: number | Tensor): number | Tensor =>
  typeof t === "number" ? 1 - b ** t : neg(expm1(mul(astype(t, "float32"), Math.log(b))));

/** One Adam direction per leaf: new moments and the bias-corrected step m̂ / (√v̂ + ε). */
function adamLeaf(
  g: Tensor,
  m: Tensor,
  v: Tensor,
  b1: number,
  b2: number,
  eps: number,
  t: number | Tensor,
): Tensor[] {
  const m1 = add(mul(m, b1), mul(g, 1 - b1));
  const v1 = add(mul(v, b2), mul(square(g), 1 - b2));
  const mHat = div(m1, correction(b1, t));
  const vHat = div(v1, correction(b2, t));
  return [div(mHat, add(sqrt(vHat), eps)), m1, v1];
}

function adamFamily(where: string, options: AdamOptions, decay: number, mask?: LeafFilter) {
  const { learningRate, b1 = 0.9, b2 = 0.999, eps = 1e-8 } = options;
  numberArg(where, "weightDecay", decay);
  if (mask !== undefined) functionArg(where, "mask", mask);
  inUnit(where, "b1", b1);
  inUnit(where, "b2", b2);
  return transformation(
    (params) => ({
      count: counter(0),
      mu: zerosOf(`${where}.init`, params),
      nu: zerosOf(`${where}.init`, params),
    }),
    (grads, state, params) => {
      const n = readCount(`${where}.update`, state);
      const step = negated(resolveRate(where, learningRate, n));
      const { mu, nu } = state as { mu: Tree; nu: Tree };
      if (decay !== 0) needParams(`${where}.update`, params);
      const on = decay !== 0 ? maskOf(params!, mask) : () => false;
      let i = 0;
      const trees = decay !== 0 ? [grads, mu, nu, params] : [grads, mu, nu];
      const names = ["grads", "state.mu", "state.nu", "params"].slice(0, trees.length);
      const [u, m, v] = zipMapN(`${where}.update`, names, trees, 3, (g, m0, v0, p) => {
        const [d, m1, v1] = adamLeaf(g!, m0!, v0!, b1, b2, eps, typeof n === "number" ? n + 1 : add(n, 1));
        const dir = p && on(i, p) ? add(d!, mul(p, decay)) : d!;
        i++;
        return [mul(dir, step), m1!, v1!];
      });
      return [u!, { count: nextCount(n), mu: m!, nu: v! }];
    },
  );
}

/**
 * Adam (Kingma & Ba): m ← b1·m + (1−b1)·g, v ← b2·v + (1−b2)·g², update −lr · m̂ / (√v̂ + ε) with
 * m̂ = m / (1 − b1ᵗ), v̂ = v / (1 − b2ᵗ), as PyTorch and optax define it. State: `{ count, mu, nu }`.
 * @example
 * ```ts
 * const opt = nb.optim.adam({ learningRate: 1e-3 });
 * const params = { w: nb.zeros([3]) };
 * const state = opt.init(params);
 * const [updates] = opt.update({ w: nb.array([1, -1, 0]) }, state, params);
 * updates.w.toArray(); // ≈ [-0.001, 0.001, 0]
 * ```
 */
export function adam(options: AdamOptions): GradientTransformation {
  optimizerOptions("adam", options, ["b1", "b2", "eps"], ["eps"]);
  return adamFamily("adam", options, 0);
}

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay λ: the update adds −lr·λ·params. Default 0.01 (PyTorch's default). */
  weightDecay?: number;
  /** The leaves to decay (all by default), e.g. `(path, w) => w.ndim > 1` to skip biases and norms. */
  mask?: LeafFilter;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter): update −lr · (m̂ / (√v̂ + ε) + λ·params).
 * @example
 * ```ts
 * const opt = nb.optim.adamw({ learningRate: 1e-3, weightDecay: 0.01, mask: (_path, w) => w.ndim > 1 });
 * ```
 */
export function adamw(options: AdamWOptions): GradientTransformation {
  optimizerOptions("adamw", options, ["b1", "b2", "eps", "weightDecay", "mask"], ["eps", "weightDecay"]);
  return adamFamily("adamw", options, options.weightDecay ?? 0.01, options.mask);
}

export interface RmspropOptions {
  learningRate: LearningRate;
  /** Decay of the average of squared gradients (ρ, PyTorch's alpha). Default 0.9. */
  decay?: number;
  /** Added to the root-mean-square (outside the square root, as PyTorch and Keras). Default 1e-8. */
  eps?: number;
  /** Momentum on the scaled gradient. Default 0. */
  momentum?: number;
  /** Divide by the centred second moment v − (mean g)². Default false. */
  centered?: boolean;
}

/**
 * RMSprop: v ← ρ·v + (1−ρ)·g², update −lr · g / (√v + ε); optionally centred and with momentum
 * (PyTorch's formulas). State: `{ count, nu, mu, trace }`.
 * @example
 * ```ts
 * const opt = nb.optim.rmsprop({ learningRate: 0.01 });
 * const [u] = opt.update({ w: nb.array([2]) }, opt.init({ w: nb.zeros([1]) }));
 * u.w.toArray(); // ≈ [-0.0316]: −0.01 · 2 / √(0.1 · 4)
 * ```
 */
export function rmsprop(options: RmspropOptions): GradientTransformation {
  const where = "rmsprop";
  optimizerOptions(where, options, ["decay", "eps", "momentum", "centered"], ["eps"]);
  const { learningRate, decay = 0.9, eps = 1e-8, momentum = 0 } = options;
  const centered = boolArg(where, "centered", options.centered);
  inUnit(where, "decay", decay);
  inUnit(where, "momentum", momentum);
  return transformation(
    (params) => ({
      count: counter(0),
      nu: zerosOf(`${where}.init`, params),
      mu: centered ? zerosOf(`${where}.init`, params) : null,
      trace: momentum > 0 ? zerosOf(`${where}.init`, params) : null,
    }),
    (grads, state, _params) => {
      const n = readCount(`${where}.update`, state);
      const step = negated(resolveRate(where, learningRate, n));
      const s = state as { nu: Tree; mu: Tree; trace: Tree };
      // Absent parts (no centring, no momentum) are read from the gradients and dropped again.
      const trees = [grads, s.nu, centered ? s.mu : grads, momentum > 0 ? s.trace : grads];
      const [u, nu, mu, trace] = zipMapN(
        `${where}.update`,
        ["grads", "state.nu", "state.mu", "state.trace"],
        trees,
        4,
        (g, v0, m0, b0) => {
          const v = add(mul(v0!, decay), mul(square(g!), 1 - decay));
          const m = centered ? add(mul(m0!, decay), mul(g!, 1 - decay)) : g!;
          const denom = add(sqrt(centered ? sub(v, square(m)) : v), eps);
          let d = div(g!, denom);
          if (momentum > 0) d = add(mul(b0!, momentum), d);
          return [mul(d, step), v, m, d];
        },
      );
      return [
        u!,
        { count: nextCount(n), nu: nu!, mu: centered ? mu! : null, trace: momentum > 0 ? trace! : null },
      ];
    },
  );
}

export interface AdagradOptions {
  learningRate: LearningRate;
  /** Starting value of the sum of squared gradients. Default 0 (PyTorch). */
  initialAccumulatorValue?: number;
  /** Added to √(Σ g²). Default 1e-10 (PyTorch). */
  eps?: number;
}

/**
 * Adagrad: s ← s + g², update −lr · g / (√s + ε). State: `{ count, sumOfSquares }`.
 * @example
 * ```ts
 * const opt = nb.optim.adagrad({ learningRate: 0.5 });
 * const [u] = opt.update({ w: nb.array([3]) }, opt.init({ w: nb.zeros([1]) }));
 * u.w.toArray(); // [-0.5]
 * ```
 */
export function adagrad(options: AdagradOptions): GradientTransformation {
  const where = "adagrad";
  optimizerOptions(where, options, ["initialAccumulatorValue", "eps"], ["initialAccumulatorValue", "eps"]);
  const { learningRate, initialAccumulatorValue = 0, eps = 1e-10 } = options;
  if (!(initialAccumulatorValue >= 0))
    throw new ValueError(`${where}: initialAccumulatorValue must be ≥ 0, got ${initialAccumulatorValue}`);
  return transformation(
    (params) => ({
      count: counter(0),
      sumOfSquares: zipMap(`${where}.init`, ["params"], [params], (p) =>
        full(p.shape, initialAccumulatorValue, { dtype: p.dtype }),
      ),
    }),
    (grads, state) => {
      const n = readCount(`${where}.update`, state);
      const step = negated(resolveRate(where, learningRate, n));
      const [u, s] = zipMapN(
        `${where}.update`,
        ["grads", "state.sumOfSquares"],
        [grads, (state as { sumOfSquares: Tree }).sumOfSquares],
        2,
        (g, s0) => {
          const s1 = add(s0!, square(g!));
          return [mul(div(g!, add(sqrt(s1), eps)), step), s1];
        },
      );
      return [u!, { count: nextCount(n), sumOfSquares: s! }];
    },
  );
}
