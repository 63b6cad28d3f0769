// Parameter initializers: zeros, ones, constant, normal, uniform, Glorot/Xavier, He/Kaiming, LeCun — from a key.
import { getDefaultFloat } from "../core/convert.js";
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { full } from "../ops/creation.js";
import { add, mul } from "../ops/elementwise.js";
import { type Key, normal as randomNormal, uniform as randomUniform } from "../ops/random.js";
import { shapeArg } from "../ops/util.js";
import { toKey } from "./layer.js";

export interface InitOptions {
  /** Default: the default float (nb.getDefaultFloat()). */
  dtype?: "float32" | "float64";
  /** Inputs feeding each output unit. Default from the shape (see {@link fansOf}). */
  fanIn?: number;
  /** Output units each input feeds. Default from the shape. */
  fanOut?: number;
  /** Multiplies the standard deviation (Glorot, He, LeCun). Default 1. */
  gain?: number;
}

/** Makes a tensor of `shape` from a key (or an integer seed). Layers pass the right fans explicitly. */
export type Initializer = (key: Key | number, shape: readonly number[], options?: InitOptions) => Tensor;

/**
 * The fans of a weight shape when not given: [in, out] for matrices (Linear's layout), and PyTorch's
 * [out, in, ...kernel] for higher ranks (Conv2d's layout), where each fan is multiplied by the kernel size.
 * @example
 * ```ts
 * nb.nn.init.fansOf([784, 256]);       // { fanIn: 784, fanOut: 256 }
 * nb.nn.init.fansOf([16, 8, 3, 3]);    // { fanIn: 72, fanOut: 144 }
 * ```
 */
export function fansOf(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

const dtypeOf = (o: InitOptions | undefined) => o?.dtype ?? (getDefaultFloat() as "float32" | "float64");

function fans(where: string, shape: readonly number[], o: InitOptions | undefined) {
  const d = fansOf(shape);
  const fanIn = o?.fanIn ?? d.fanIn;
  const fanOut = o?.fanOut ?? d.fanOut;
  if (!(fanIn > 0 && fanOut > 0))
    throw new ValueError(
      `${where}: fans must be positive, got fanIn ${fanIn}, fanOut ${fanOut} for shape [${shape}]`,
    );
  return { fanIn, fanOut, gain: o?.gain ?? 1 };
}

const normalStd = (
  where: string,
  key: Key | number,
  shape: readonly number[],
  std: number,
  o?: InitOptions,
) => mul(randomNormal(toKey(where, key), shape, { dtype: dtypeOf(o) }), std);

const uniformBound = (
  where: string,
  key: Key | number,
  shape: readonly number[],
  b: number,
  o?: InitOptions,
) => randomUniform(toKey(where, key), shape, { dtype: dtypeOf(o), minval: -b, maxval: b });

/** A tensor of `shape` filled with `value`, its shape checked under the initializer's own name. */
function filled(op: string, shape: readonly number[], value: number, o?: InitOptions): Tensor {
  const dtype = dtypeOf(o);
  return full(shapeArg(op, shape, dtype), value, { dtype });
}

/**
 * All zeros (the default for biases).
 * @example
 * ```ts
 * nb.nn.init.zeros(0, [3]).toArray(); // [0, 0, 0]
 * ```
 */
export const zeros: Initializer = (_key, shape, o) => filled("init.zeros", shape, 0, o);

/**
 * All ones (the default for normalization scales).
 * @example
 * ```ts
 * nb.nn.init.ones(0, [2]).toArray(); // [1, 1]
 * ```
 */
export const ones: Initializer = (_key, shape, o) => filled("init.ones", shape, 1, o);

/**
 * An initializer filling with `value`.
 * @example
 * ```ts
 * nb.nn.init.constant(0.1)(0, [2]).toArray(); // [0.1, 0.1]
 * ```
 */
export const constant =
  (value: number): Initializer =>
  (_key, shape, o) =>
    filled("init.constant", shape, value, o);

/**
 * An initializer drawing from N(mean, stddev²).
 * @example
 * ```ts
 * nb.nn.init.normal(0.02)(nb.random.key(0), [256, 256]).shape; // [256, 256]
 * ```
 */
export const normal =
  (stddev = 1, mean = 0): Initializer =>
  (key, shape, o) => {
    const z = normalStd("init.normal", key, shape, stddev, o);
    return mean === 0 ? z : add(z, mean);
  };

/**
 * An initializer drawing uniformly from [low, high).
 * @example
 * ```ts
 * nb.nn.init.uniform(-0.1, 0.1)(0, [3]).shape; // [3]
 * ```
 */
export const uniform =
  (low = 0, high = 1): Initializer =>
  (key, shape, o) =>
    randomUniform(toKey("init.uniform", key), shape, { dtype: dtypeOf(o), minval: low, maxval: high });

/**
 * Glorot (Xavier) uniform: U(−b, b) with b = gain·√(6 / (fanIn + fanOut)). Keeps the variance of activations
 * and gradients alike for tanh/sigmoid networks. The default for Linear and Conv2d weights.
 * @example
 * ```ts
 * nb.nn.init.glorotUniform(nb.random.key(0), [784, 256]).shape; // [784, 256]
 * ```
 */
export const glorotUniform: Initializer = (key, shape, o) => {
  const { fanIn, fanOut, gain } = fans("glorotUniform", shape, o);
  return uniformBound("glorotUniform", key, shape, gain * Math.sqrt(6 / (fanIn + fanOut)), o);
};

/**
 * Glorot (Xavier) normal: N(0, σ²) with σ = gain·√(2 / (fanIn + fanOut)).
 * @example
 * ```ts
 * nb.nn.init.glorotNormal(nb.random.key(0), [64, 32]).shape; // [64, 32]
 * ```
 */
export const glorotNormal: Initializer = (key, shape, o) => {
  const { fanIn, fanOut, gain } = fans("glorotNormal", shape, o);
  return normalStd("glorotNormal", key, shape, gain * Math.sqrt(2 / (fanIn + fanOut)), o);
};

/**
 * He (Kaiming) uniform for ReLU networks: U(−b, b) with b = gain·√(6 / fanIn).
 * @example
 * ```ts
 * nb.nn.init.heUniform(nb.random.key(0), [128, 64]).shape; // [128, 64]
 * ```
 */
export const heUniform: Initializer = (key, shape, o) => {
  const { fanIn, gain } = fans("heUniform", shape, o);
  return uniformBound("heUniform", key, shape, gain * Math.sqrt(6 / fanIn), o);
};

/**
 * He (Kaiming) normal for ReLU networks: N(0, σ²) with σ = gain·√(2 / fanIn).
 * @example
 * ```ts
 * nb.nn.init.heNormal(nb.random.key(0), [16, 8, 3, 3]).shape; // [16, 8, 3, 3]
 * ```
 */
export const heNormal: Initializer = (key, shape, o) => {
  const { fanIn, gain } = fans("heNormal", shape, o);
  return normalStd("heNormal", key, shape, gain * Math.sqrt(2 / fanIn), o);
};

/**
 * LeCun normal (for SELU/linear networks; flax's Dense default): N(0, σ²) with σ = gain·√(1 / fanIn).
 * @example
 * ```ts
 * nb.nn.init.lecunNormal(nb.random.key(0), [10, 10]).shape; // [10, 10]
 * ```
 */
export const lecunNormal: Initializer = (key, shape, o) => {
  const { fanIn, gain } = fans("lecunNormal", shape, o);
  return normalStd("lecunNormal", key, shape, gain * Math.sqrt(1 / fanIn), o);
};

/**
 * LeCun uniform: U(−b, b) with b = gain·√(3 / fanIn) (PyTorch's default Linear weight scale).
 * @example
 * ```ts
 * nb.nn.init.lecunUniform(nb.random.key(0), [10, 10]).shape; // [10, 10]
 * ```
 */
export const lecunUniform: Initializer = (key, shape, o) => {
  const { fanIn, gain } = fans("lecunUniform", shape, o);
  return uniformBound("lecunUniform", key, shape, gain * Math.sqrt(3 / fanIn), o);
};

/** Xavier uniform: another name for {@link glorotUniform}. @example `nb.nn.init.xavierUniform(0, [4, 4]).shape; // [4, 4]` */
export const xavierUniform: Initializer = glorotUniform;
/** Xavier normal: another name for {@link glorotNormal}. @example `nb.nn.init.xavierNormal(0, [4, 4]).shape; // [4, 4]` */
export const xavierNormal: Initializer = glorotNormal;
/** Kaiming uniform: another name for {@link heUniform}. @example `nb.nn.init.kaimingUniform(0, [4, 4]).shape; // [4, 4]` */
export const kaimingUniform: Initializer = heUniform;
/** Kaiming normal: another name for {@link heNormal}. @example `nb.nn.init.kaimingNormal(0, [4, 4]).shape; // [4, 4]` */
export const kaimingNormal: Initializer = heNormal;
