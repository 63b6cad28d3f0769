// Basic layers: Linear, Embedding, Flatten and Dropout.

import { fmtShape, ValueError } from "../core/errors.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { add, div, where } from "../ops/elementwise.js";
import { matmul } from "../ops/linalg.js";
import { bernoulli, split } from "../ops/random.js";
import { reshape, take } from "../ops/shape.js";
import { floatArg } from "../ops/util.js";
import { checkedIndices } from "./checked.js";
import { glorotUniform, type Initializer, normal, zeros } from "./init.js";
import { checkParam, floatOption, type Layer, makeLayer, positiveInt, shapeError } from "./layer.js";

export interface LinearOptions {
  /** Add a learned bias. Default true. */
  bias?: boolean;
  /** Default Glorot uniform (fans inFeatures, outFeatures). */
  weightInit?: Initializer;
  /** Default zeros. */
  biasInit?: Initializer;
  /** Parameter dtype. Default the default float. */
  dtype?: "float32" | "float64";
}

/** Parameters of {@link Linear}: `weight` of shape [in, out] and `bias` of shape [out]. */
export type LinearParams = { weight: Tensor; bias?: Tensor };

/**
 * A fully connected layer y = x · weight + bias on the last axis, with `weight` of shape [in, out] (JAX's
 * layout: no transpose). Any leading dimensions are batch dimensions.
 * @example
 * ```ts
 * const layer = nb.nn.Linear(2, 3);
 * const { params } = layer.init(0);
 * nb.nn.countParams(params);                  // 9
 * layer.apply(params, nb.ones([4, 2])).shape; // [4, 3]
 * ```
 */
export function Linear(
  inFeatures: number,
  outFeatures: number,
  options: LinearOptions = {},
): Layer<LinearParams> {
  positiveInt("Linear", "inFeatures", inFeatures);
  positiveInt("Linear", "outFeatures", outFeatures);
  const { bias = true, weightInit = glorotUniform, biasInit = zeros } = options;
  const dtype = floatOption("Linear", options.dtype);
  const name = `Linear(${inFeatures}→${outFeatures})`;
  const check = (s: readonly number[]) => {
    if (s.length === 0 || s[s.length - 1] !== inFeatures)
      throw shapeError(name, `expected input with last dimension ${inFeatures}, got ${fmtShape(s)}`);
  };
  return makeLayer<LinearParams>({
    name,
    stochastic: false,
    init: (key) => {
      const [kw, kb] = split(key);
      const fan = { dtype, fanIn: inFeatures, fanOut: outFeatures };
      const params: LinearParams = { weight: weightInit(kw!, [inFeatures, outFeatures], fan) };
      if (bias) params.bias = biasInit(kb!, [outFeatures], fan);
      return { params, state: {} };
    },
    forward: (p, state, x) => {
      check(x.shape);
      checkParam(name, "weight", p.weight, [inFeatures, outFeatures]);
      if (p.bias !== undefined) checkParam(name, "bias", p.bias, [outFeatures]);
      const y = matmul(floatArg(name, x), p.weight);
      return [p.bias ? add(y, p.bias) : y, state];
    },
    outputShape: (s) => {
      check(s);
      return [...s.slice(0, -1), outFeatures];
    },
  });
}

/**
 * A lookup table: integer ids of any shape → vectors, output shape ids.shape ++ [dim]. Weights start
 * N(0, 1) (PyTorch's default). Ids out of range are an error naming the layer.
 * @example
 * ```ts
 * const emb = nb.nn.Embedding(10, 4);
 * const { params } = emb.init(0);
 * emb.apply(params, nb.array([[1, 2, 3]], { dtype: "int32" })).shape; // [1, 3, 4]
 * ```
 */
export function Embedding(
  numEmbeddings: number,
  dim: number,
  options: { init?: Initializer; dtype?: "float32" | "float64" } = {},
): Layer<{ weight: Tensor }> {
  positiveInt("Embedding", "numEmbeddings", numEmbeddings);
  positiveInt("Embedding", "dim", dim);
  const name = `Embedding(${numEmbeddings}, ${dim})`;
  const dtype = floatOption("Embedding", options.dtype);
  return makeLayer<{ weight: Tensor }>({
    name,
    stochastic: false,
    init: (key) => ({
      params: { weight: (options.init ?? normal(1))(key, [numEmbeddings, dim], { dtype }) },
      state: {},
    }),
    forward: (p, state, ids) => {
      if (ids instanceof ConcreteTensor) {
        const bad = ids.data.find((v) => !Number.isInteger(v) || v < 0 || v >= numEmbeddings);
        if (bad !== undefined)
          throw new ValueError(
            `${name}: id ${bad} is not an integer in [0, ${numEmbeddings}) (ids of shape ${fmtShape(ids.shape)})`,
          );
      }
      const idx = checkedIndices(name, ids, numEmbeddings, "an id is not an integer");
      return [take(p.weight, idx, 0), state];
    },
    outputShape: (s) => [...s, dim],
  });
}

/**
 * Flattens all dimensions from `startDim` (default 1, keeping the batch) into one.
 * @example
 * ```ts
 * nb.nn.Flatten().apply({}, nb.zeros([8, 16, 7, 7])).shape; // [8, 784]
 * ```
 */
export function Flatten(startDim = 1): Layer {
  const name = startDim === 1 ? "Flatten()" : `Flatten(${startDim})`;
  const out = (s: readonly number[]) => {
    if (startDim > s.length)
      throw shapeError(name, `input ${fmtShape(s)} has fewer than ${startDim} dimensions`);
    return [...s.slice(0, startDim), s.slice(startDim).reduce((a, b) => a * b, 1)];
  };
  return makeLayer({
    name,
    stochastic: false,
    init: () => ({ params: {}, state: {} }),
    forward: (_p, state, x) => [reshape(x, out(x.shape)), state],
    outputShape: out,
  });
}

/**
 * Inverted dropout: in training mode zeroes each element with probability `rate` and scales the rest by
 * 1 / (1 − rate); the identity in evaluation mode. Training needs `options.key`; the same key gives the
 * same mask. The key may be traced (under jit, as in nn.fit's compiled step, or vmap).
 * @example
 * ```ts
 * const drop = nb.nn.Dropout(0.5);
 * const y = drop.apply({}, nb.ones([4, 4]), { train: true, key: nb.random.key(1) }); // 0s and 2s
 * drop.apply({}, nb.ones([2])).toArray(); // [1, 1] (evaluation)
 * ```
 */
export function Dropout(rate: number): Layer {
  if (!(rate >= 0 && rate <= 1)) throw new ValueError(`Dropout: rate must be in [0, 1], got ${rate}`);
  const name = `Dropout(${rate})`;
  return makeLayer({
    name,
    init: () => ({ params: {}, state: {} }),
    forward: (_p, state, x, { train, key }) => {
      if (!train || rate === 0) return [x, state];
      if (key === undefined)
        throw new ValueError(
          `${name}: training mode needs randomness: pass { train: true, key: nb.random.key(seed) } (a new key each step)`,
        );
      const keep = bernoulli(key, 1 - rate, x.shape);
      return [where(keep, rate === 1 ? x : div(x, 1 - rate), 0), state];
    },
    outputShape: (s) => [...s],
  });
}
