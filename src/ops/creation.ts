// Creating tensors: from JS data, filled, ranges, identity. Every shape is checked (non-negative integer
// dimensions, within nb.config.maxTensorBytes) before anything is allocated.
// biome-ignore-all lint/complexity/noArguments: each op compares its argument count with the most it takes, reading no copy of the arguments
import { checkTensorSize } from "../core/config.js";
import { checkFits, getDefaultFloat, type TensorLike, toTensor } from "../core/convert.js";
import { allocate, castArray, type DType } from "../core/dtype.js";
import { ValueError } from "../core/errors.js";
import type { Shape } from "../core/shape.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import {
  asTensor,
  checkTensorLike,
  describeValue,
  dtypeArg,
  extraArgument,
  FIRST,
  intArg,
  numberArg,
  optionsArg,
  shapeArg,
} from "./util.js";

export interface DTypeOption {
  /** The element type; float32 unless said otherwise (see setDefaultFloat). */
  dtype?: DType;
}

const DTYPE_KEYS = ["dtype"] as const;

/** The dtype in the options object of `op` (its `position`-th argument), checked. */
function dtypeOption(op: string, options: DTypeOption | undefined, usage: string, position: string) {
  const o = optionsArg(op, options, DTYPE_KEYS, usage, position);
  return dtypeArg(op, o.dtype);
}

/**
 * A tensor from numbers, nested arrays or a typed array. JS data becomes float32 by default. Values that
 * an int32 or bool tensor cannot hold (NaN, ±Infinity, beyond ±2³¹ for int32) are refused with a
 * `ValueError`; fractional values are truncated toward zero, as NumPy and JAX cast them.
 * @example
 * ```ts
 * nb.array([[1, 2], [3, 4]]).shape;            // [2, 2]
 * nb.array([1, 2], { dtype: "float64" }).dtype; // "float64"
 * ```
 */
export function array(data: TensorLike, options?: DTypeOption): Tensor {
  if (arguments.length > 2) extraArgument("array", "data, options?", arguments[2], arguments.length);
  const dtype = dtypeOption("array", options, 'nb.array(data, { dtype: "float64" })', "second");
  checkTensorLike("array", data, "the first argument");
  if (data instanceof Tensor)
    return dtype !== undefined && dtype !== data.aval.dtype ? lax.convert(data, dtype) : data;
  if (typeof data === "number" && dtype === undefined) return toTensor(data, getDefaultFloat(), "array");
  return toTensor(data, dtype, "array");
}

/** A tensor of `shape` filled with `value`, the work of full, zeros, ones and eye (named `op`). */
function fill(op: string, shape: Shape | number, value: unknown, dtype: DType): ConcreteTensor {
  if (typeof value !== "number" && typeof value !== "boolean")
    throw new ValueError(`${op}: the fill value must be a number or a boolean, got ${describeValue(value)}`);
  const v = Number(value);
  checkFits(op, [v], dtype);
  const s = shapeArg(op, shape, dtype);
  const data = allocate(
    dtype,
    s.reduce((n, d) => n * d, 1),
  );
  if (v !== 0) data.fill(dtype === "bool" ? (v ? 1 : 0) : v);
  return new ConcreteTensor(data, { shape: s, dtype, weak: false });
}

/**
 * A tensor of `shape` filled with `value`.
 * @example
 * ```ts
 * nb.full([2, 3], 7).toArray(); // [[7, 7, 7], [7, 7, 7]]
 * ```
 */
export function full(shape: Shape | number, value: number, options?: DTypeOption): Tensor {
  if (arguments.length > 3) extraArgument("full", "shape, value, options?", arguments[3], arguments.length);
  const dtype = dtypeOption("full", options, 'nb.full(shape, value, { dtype: "int32" })', "third");
  return fill("full", shape, value, dtype ?? getDefaultFloat());
}

/**
 * A tensor of zeros.
 * @example
 * ```ts
 * nb.zeros([2, 2]).toArray(); // [[0, 0], [0, 0]]
 * ```
 */
export function zeros(shape: Shape | number, options?: DTypeOption): Tensor {
  if (arguments.length > 2) extraArgument("zeros", "shape, options?", arguments[2], arguments.length);
  const dtype = dtypeOption("zeros", options, 'nb.zeros(shape, { dtype: "float64" })', "second");
  return fill("zeros", shape, 0, dtype ?? getDefaultFloat());
}

/**
 * A tensor of ones.
 * @example
 * ```ts
 * nb.ones([3]).toArray(); // [1, 1, 1]
 * ```
 */
export function ones(shape: Shape | number, options?: DTypeOption): Tensor {
  if (arguments.length > 2) extraArgument("ones", "shape, options?", arguments[2], arguments.length);
  const dtype = dtypeOption("ones", options, 'nb.ones(shape, { dtype: "float64" })', "second");
  return fill("ones", shape, 1, dtype ?? getDefaultFloat());
}

/**
 * Zeros with the shape and dtype of `x`.
 * @example
 * ```ts
 * nb.zerosLike(nb.array([1, 2])).toArray(); // [0, 0]
 * ```
 */
export function zerosLike(x: TensorLike): Tensor {
  if (arguments.length > 1) extraArgument("zerosLike", "x", arguments[1], arguments.length);
  const t = asTensor(x, "zerosLike", FIRST);
  return fill("zerosLike", t.aval.shape, 0, t.aval.dtype);
}

/**
 * Ones with the shape and dtype of `x`.
 * @example
 * ```ts
 * nb.onesLike(nb.array([1, 2])).toArray(); // [1, 1]
 * ```
 */
export function onesLike(x: TensorLike): Tensor {
  if (arguments.length > 1) extraArgument("onesLike", "x", arguments[1], arguments.length);
  const t = asTensor(x, "onesLike", FIRST);
  return fill("onesLike", t.aval.shape, 1, t.aval.dtype);
}

/**
 * Evenly spaced values in [start, stop) with `step`, like NumPy. Integer arguments give int32. The options
 * (the dtype) may follow any number of the numbers, as in `nb.arange(5, { dtype: "float32" })`.
 * @example
 * ```ts
 * nb.arange(4).toArray();         // [0, 1, 2, 3]
 * nb.arange(0, 1, 0.25).toArray(); // [0, 0.25, 0.5, 0.75]
 * nb.arange(3, { dtype: "float64" }).dtype; // "float64"
 * ```
 */
export function arange(stop: number, options?: DTypeOption): Tensor;
export function arange(start: number, stop: number, options?: DTypeOption): Tensor;
export function arange(start: number, stop?: number, step?: number, options?: DTypeOption): Tensor;
export function arange(
  start: number,
  stopOrOptions?: number | DTypeOption,
  stepOrOptions?: number | DTypeOption,
  lastOptions?: DTypeOption,
): Tensor {
  if (arguments.length > 4)
    extraArgument("arange", "start, stop?, step?, options?", arguments[4], arguments.length);
  const isOptions = (v: unknown): v is DTypeOption => typeof v === "object" && v !== null;
  let stop: number | undefined;
  let step = 1;
  let options = lastOptions;
  let where: "second" | "third" | "fourth" = "fourth";
  if (isOptions(stopOrOptions) && arguments.length === 2) [options, where] = [stopOrOptions, "second"];
  else {
    stop = stopOrOptions as number | undefined;
    if (isOptions(stepOrOptions) && arguments.length === 3) [options, where] = [stepOrOptions, "third"];
    else if (stepOrOptions !== undefined) step = stepOrOptions as number;
  }
  const op = "arange";
  numberArg(op, stop === undefined ? "stop" : "start", start);
  if (stop !== undefined) numberArg(op, "stop", stop);
  if (typeof step !== "number" || step === 0 || !Number.isFinite(step))
    throw new ValueError(`${op}: step must be a finite non-zero number, got ${describeValue(step)}`);
  const given = dtypeOption(op, options, 'nb.arange(0, 5, 1, { dtype: "float32" })', where);
  const [a, b] = stop === undefined ? [0, start] : [start, stop];
  const n = Math.max(0, Math.ceil((b - a) / step));
  const dtype = given ?? ([a, b, step].every(Number.isInteger) ? "int32" : getDefaultFloat());
  checkTensorSize(op, [n], dtype);
  if (n > 0) checkFits(op, [a, a + (n - 1) * step], dtype);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a + i * step;
  return new ConcreteTensor(castArray(values, dtype), { shape: [n], dtype, weak: false });
}

/**
 * `num` evenly spaced values from start to stop, both included.
 * @example
 * ```ts
 * nb.linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, stop: number, num = 50, options?: DTypeOption): Tensor {
  if (arguments.length > 4)
    extraArgument("linspace", "start, stop, num?, options?", arguments[4], arguments.length);
  const op = "linspace";
  numberArg(op, "start", start);
  numberArg(op, "stop", stop);
  intArg(op, "num", num);
  const dtype =
    dtypeOption(op, options, 'nb.linspace(0, 1, 5, { dtype: "float64" })', "fourth") ?? getDefaultFloat();
  checkTensorSize(op, [num], dtype);
  checkFits(op, [start, stop], dtype);
  const values = new Float64Array(num);
  for (let i = 0; i < num; i++) values[i] = num === 1 ? start : start + ((stop - start) * i) / (num - 1);
  return new ConcreteTensor(castArray(values, dtype), { shape: [num], dtype, weak: false });
}

/**
 * The identity matrix (n × m, ones on the diagonal).
 * @example
 * ```ts
 * nb.eye(2).toArray(); // [[1, 0], [0, 1]]
 * ```
 */
export function eye(n: number, m = n, options?: DTypeOption): Tensor {
  if (arguments.length > 3) extraArgument("eye", "n, m?, options?", arguments[3], arguments.length);
  const dtype = dtypeOption("eye", options, 'nb.eye(n, m, { dtype: "float64" })', "third");
  intArg("eye", "n", n);
  intArg("eye", "m", m);
  const t = fill("eye", [n, m], 0, dtype ?? getDefaultFloat());
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}
