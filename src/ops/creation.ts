// Creating tensors: from JS data, filled, ranges, identity.
import { getDefaultFloat, type TensorLike, toTensor } from "../core/convert.js";
import { allocate, type DType } from "../core/dtype.js";
import { ValueError } from "../core/errors.js";
import { type Shape, sizeOf } from "../core/shape.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import * as lax from "./lax.js";
import { asTensor } from "./util.js";

export interface DTypeOption {
  /** The element type; float32 unless said otherwise (see setDefaultFloat). */
  dtype?: DType;
}

function checkShape(op: string, shape: Shape): number[] {
  const s = typeof shape === "number" ? [shape] : [...shape];
  for (const d of s)
    if (!Number.isInteger(d) || d < 0)
      throw new ValueError(`${op}: shape [${s.join(",")}] must hold non-negative integers`);
  return s;
}

/**
 * A tensor from numbers, nested arrays or a typed array. JS data becomes float32 by default.
 * @example
 * ```ts
 * nb.array([[1, 2], [3, 4]]).shape;            // [2, 2]
 * nb.array([1, 2], { dtype: "float64" }).dtype; // "float64"
 * ```
 */
export function array(data: TensorLike, options: DTypeOption = {}): Tensor {
  if (data instanceof Tensor)
    return options.dtype !== undefined && options.dtype !== data.aval.dtype
      ? lax.convert(data, options.dtype)
      : data;
  if (typeof data === "number" && options.dtype === undefined) return toTensor(data, getDefaultFloat());
  return toTensor(data, options.dtype);
}

/**
 * A tensor of `shape` filled with `value`.
 * @example
 * ```ts
 * nb.full([2, 3], 7).toArray(); // [[7, 7, 7], [7, 7, 7]]
 * ```
 */
export function full(shape: Shape | number, value: number, options: DTypeOption = {}): Tensor {
  const s = checkShape("full", typeof shape === "number" ? [shape] : shape);
  const dtype = options.dtype ?? getDefaultFloat();
  const data = allocate(dtype, sizeOf(s));
  if (value !== 0) data.fill(dtype === "bool" ? (value ? 1 : 0) : value);
  return new ConcreteTensor(data, { shape: s, dtype, weak: false });
}

/**
 * A tensor of zeros.
 * @example
 * ```ts
 * nb.zeros([2, 2]).toArray(); // [[0, 0], [0, 0]]
 * ```
 */
export const zeros = (shape: Shape | number, options: DTypeOption = {}): Tensor => full(shape, 0, options);

/**
 * A tensor of ones.
 * @example
 * ```ts
 * nb.ones([3]).toArray(); // [1, 1, 1]
 * ```
 */
export const ones = (shape: Shape | number, options: DTypeOption = {}): Tensor => full(shape, 1, options);

/**
 * Zeros with the shape and dtype of `x`.
 * @example
 * ```ts
 * nb.zerosLike(nb.array([1, 2])).toArray(); // [0, 0]
 * ```
 */
export function zerosLike(x: TensorLike): Tensor {
  const t = asTensor(x);
  return full(t.aval.shape, 0, { dtype: t.aval.dtype });
}

/**
 * Ones with the shape and dtype of `x`.
 * @example
 * ```ts
 * nb.onesLike(nb.array([1, 2])).toArray(); // [1, 1]
 * ```
 */
export function onesLike(x: TensorLike): Tensor {
  const t = asTensor(x);
  return full(t.aval.shape, 1, { dtype: t.aval.dtype });
}

/**
 * Evenly spaced values in [start, stop) with `step`, like NumPy. Integer arguments give int32.
 * @example
 * ```ts
 * nb.arange(4).toArray();         // [0, 1, 2, 3]
 * nb.arange(0, 1, 0.25).toArray(); // [0, 0.25, 0.5, 0.75]
 * ```
 */
export function arange(start: number, stop?: number, step = 1, options: DTypeOption = {}): Tensor {
  const [a, b] = stop === undefined ? [0, start] : [start, stop];
  if (step === 0 || !Number.isFinite(step))
    throw new ValueError(`arange: step must be a finite non-zero number, got ${step}`);
  const n = Math.max(0, Math.ceil((b - a) / step));
  const dtype = options.dtype ?? ([a, b, step].every(Number.isInteger) ? "int32" : getDefaultFloat());
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) data[i] = a + i * step;
  return new ConcreteTensor(data, { shape: [n], dtype, weak: false });
}

/**
 * `num` evenly spaced values from start to stop, both included.
 * @example
 * ```ts
 * nb.linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, stop: number, num = 50, options: DTypeOption = {}): Tensor {
  if (!Number.isInteger(num) || num < 0)
    throw new ValueError(`linspace: num must be a non-negative integer, got ${num}`);
  const dtype = options.dtype ?? getDefaultFloat();
  const data = allocate(dtype, num);
  for (let i = 0; i < num; i++) data[i] = num === 1 ? start : start + ((stop - start) * i) / (num - 1);
  return new ConcreteTensor(data, { shape: [num], dtype, weak: false });
}

/**
 * The identity matrix (n × m, ones on the diagonal).
 * @example
 * ```ts
 * nb.eye(2).toArray(); // [[1, 0], [0, 1]]
 * ```
 */
export function eye(n: number, m = n, options: DTypeOption = {}): Tensor {
  const t = full([n, m], 0, options) as ConcreteTensor;
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}
