// Conversion of JS data (numbers, booleans, nested arrays, typed arrays) into tensors.
import { castArray, DTYPES, type DType, type TypedArray } from "./dtype.js";
import { DTypeError, ShapeError, TraceError, ValueError } from "./errors.js";
import { ConcreteTensor, Tensor } from "./tensor.js";

/** Anything an operation accepts where a tensor is expected. */
export type TensorLike = Tensor | number | boolean | TypedArray | readonly TensorLike[];

let defaultFloat: DType = "float32";
/**
 * The dtype of arrays made from JS data when none is given: float32 unless set to float64.
 * @example
 * ```ts
 * nb.getDefaultFloat(); // "float32"
 * ```
 */
export const getDefaultFloat = (): DType => defaultFloat;
/**
 * Sets the dtype of arrays made from JS data (float32 by default, the ML convention).
 * @example
 * ```ts
 * nb.setDefaultFloat("float64");
 * nb.array([1, 2]).dtype; // "float64"
 * nb.setDefaultFloat("float32");
 * ```
 */
export function setDefaultFloat(dtype: "float32" | "float64"): void {
  if (dtype !== "float32" && dtype !== "float64")
    throw new DTypeError(`setDefaultFloat: expected "float32" or "float64", got ${describeValue(dtype)}`);
  defaultFloat = dtype;
}

const isTypedArray = (x: unknown): x is TypedArray =>
  x instanceof Float32Array ||
  x instanceof Float64Array ||
  x instanceof Int32Array ||
  x instanceof Uint8Array;

const dtypeOfTyped = (a: TypedArray): DType =>
  a instanceof Float32Array
    ? "float32"
    : a instanceof Float64Array
      ? "float64"
      : a instanceof Int32Array
        ? "int32"
        : "bool";

/**
 * A JS value as error messages show it: `the number 1`, `the string "0"`, `null`, `an array [1, 2]`,
 * `a function`, `an object {axis: 1}`, `a Date`. Long descriptions are cut short.
 */
export function describeValue(v: unknown): string {
  const cut = (s: string) => (s.length > 40 ? `${s.slice(0, 37)}...` : s);
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (v instanceof Tensor) return `a tensor ${v.aval.dtype}[${v.aval.shape.join(",")}]`;
  switch (typeof v) {
    case "number":
      return `the number ${v}`;
    case "string":
      return `the string ${cut(JSON.stringify(v))}`;
    case "boolean":
      return `the boolean ${v}`;
    case "bigint":
      return `the bigint ${v}n`;
    case "symbol":
      return `a symbol`;
    case "function":
      return "a function";
  }
  if (Array.isArray(v)) return `an array ${cut(brief(v))}`;
  if (ArrayBuffer.isView(v))
    return `a ${v.constructor.name} of length ${(v as unknown as ArrayLike<unknown>).length}`;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return `a ${(v as object).constructor?.name ?? "object"}`;
  return `an object ${cut(brief(v))}`;
}

/** A compact rendering of nested data for messages: `[1, "a", [2]]`, `{axis: 1}`, `f32[2,3]` for a tensor. */
function brief(v: unknown, depth = 0): string {
  if (v instanceof Tensor) return `${v.aval.dtype}[${v.aval.shape.join(",")}]`;
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return "function";
  if (typeof v !== "object" || v === null) return String(v);
  if (depth > 2) return "…";
  if (Array.isArray(v))
    return `[${v
      .slice(0, 8)
      .map((c) => brief(c, depth + 1))
      .join(", ")}${v.length > 8 ? ", …" : ""}]`;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return (v as object).constructor?.name ?? "object";
  const keys = Object.keys(v);
  return `{${keys
    .slice(0, 6)
    .map((k) => `${k}: ${brief((v as Record<string, unknown>)[k], depth + 1)}`)
    .join(", ")}${keys.length > 6 ? ", …" : ""}}`;
}

/**
 * Throws a `DTypeError` naming `op` unless `d` is one of nabla's dtypes (float32, float64, int32, bool).
 */
export function checkDType(op: string, d: unknown, name = "dtype"): asserts d is DType {
  if (!DTYPES.includes(d as DType))
    throw new DTypeError(`${op}: ${name} must be one of ${DTYPES.join(", ")}, got ${describeValue(d)}`);
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * Throws a `ValueError` naming `op` when a value of `values` has no faithful `dtype` counterpart: NaN,
 * ±Infinity or a number outside [−2³¹, 2³¹ − 1] for int32, NaN for bool. Fractional values in range are
 * truncated toward zero, as NumPy and JAX cast them.
 */
export function checkFits(op: string, values: ArrayLike<number>, dtype: DType): void {
  if (dtype === "int32") {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(v >= INT32_MIN && v < INT32_MAX + 1))
        throw new ValueError(
          `${op}: ${v} cannot be stored as int32 (${Number.isNaN(v) || !Number.isFinite(v) ? "not a finite number" : "outside [-2147483648, 2147483647]"})${values.length > 1 ? ` at flat index ${i}` : ""}; use a float dtype`,
        );
    }
  } else if (dtype === "bool") {
    for (let i = 0; i < values.length; i++)
      if (Number.isNaN(values[i]!))
        throw new ValueError(`${op}: NaN has no bool value${values.length > 1 ? ` (flat index ${i})` : ""}`);
  }
}

/** The most dimensions a nested array may have (deeper nesting is almost surely an array that contains itself). */
const MAX_NESTING = 64;

/** Converts JS data to a concrete tensor. Bare numbers become weakly typed float64 scalars. */
export function toTensor(x: TensorLike, dtype?: DType, op = "array"): Tensor {
  if (x instanceof Tensor) return x;
  if (dtype !== undefined && dtype !== "float32" && dtype !== "float64") checkDType(op, dtype);
  if (typeof x === "number") {
    const d = dtype ?? "float64";
    if (d === "int32" || d === "bool") checkFits(op, [x], d);
    return new ConcreteTensor(castArray([x], d), { shape: [], dtype: d, weak: dtype === undefined });
  }
  if (typeof x === "boolean")
    return new ConcreteTensor(castArray([x ? 1 : 0], dtype ?? "bool"), {
      shape: [],
      dtype: dtype ?? "bool",
      weak: false,
    });
  if (ArrayBuffer.isView(x)) {
    if (!isTypedArray(x))
      throw new ValueError(
        `${op}: cannot make a tensor from ${describeValue(x)}; typed arrays must be Float32Array, Float64Array, Int32Array or Uint8Array`,
      );
    const d = dtype ?? dtypeOfTyped(x as TypedArray);
    if ((d === "int32" && !(x instanceof Int32Array)) || d === "bool") checkFits(op, x as TypedArray, d);
    return new ConcreteTensor(castArray(x as TypedArray, d), {
      shape: [(x as TypedArray).length],
      dtype: d,
      weak: false,
    });
  }
  if (!Array.isArray(x))
    throw new ValueError(
      `${op}: cannot make a tensor from ${describeValue(x)}; pass a number, a boolean, a nested array of numbers, a typed array or a tensor`,
    );
  const shape: number[] = [];
  let probe: unknown = x;
  while (Array.isArray(probe) || isTypedArray(probe)) {
    const len = (probe as ArrayLike<unknown>).length;
    if (shape.length === MAX_NESTING)
      throw new ValueError(
        `${op}: the nested array is more than ${MAX_NESTING} levels deep (an array that contains itself?)`,
      );
    shape.push(len);
    if (len === 0) break;
    probe = (probe as ArrayLike<unknown>)[0];
  }
  const flat: number[] = [];
  let sawBool = false;
  let sawTensor = false;
  const rec = (v: unknown, dim: number, path: string): void => {
    if (dim === shape.length) {
      if (typeof v === "number") flat.push(v);
      else if (typeof v === "boolean") {
        sawBool = true;
        flat.push(v ? 1 : 0);
      } else if (v instanceof Tensor && v.aval.shape.length === 0) {
        if (!(v instanceof ConcreteTensor))
          throw new TraceError(
            `${op}: element ${path} of the nested array is a traced value (inside a transformation), and a nested ` +
              "array is read as data; build the tensor with nabla operations instead, e.g. nb.stack([a, b])",
          );
        sawTensor = true;
        flat.push(v.data[0]!);
      } else
        throw new ShapeError(
          `${op}: ragged or non-numeric nested array: element ${path} is ${describeValue(v)}, expected a number`,
        );
      return;
    }
    const arr = v as ArrayLike<unknown>;
    if (!(Array.isArray(arr) || isTypedArray(arr)) || arr.length !== shape[dim])
      throw new ShapeError(
        `${op}: ragged nested array: element ${path} should have length ${shape[dim]} (shape [${shape.join(",")}])`,
      );
    for (let i = 0; i < arr.length; i++) rec(arr[i], dim + 1, `${path}[${i}]`);
  };
  rec(x, 0, "");
  void sawTensor;
  const d = dtype ?? (sawBool && flat.length > 0 ? "bool" : defaultFloat);
  checkFits(op, flat, d);
  return new ConcreteTensor(castArray(flat, d), { shape, dtype: d, weak: false });
}
