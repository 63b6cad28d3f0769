// Conversion of JS data (numbers, booleans, nested arrays, typed arrays) into tensors.
import { castArray, type DType, type TypedArray } from "./dtype.js";
import { DTypeError, ShapeError, ValueError } from "./errors.js";
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
    throw new DTypeError(`setDefaultFloat: expected "float32" or "float64", got ${String(dtype)}`);
  defaultFloat = dtype;
}

const dtypeOfTyped = (a: TypedArray): DType =>
  a instanceof Float32Array
    ? "float32"
    : a instanceof Float64Array
      ? "float64"
      : a instanceof Int32Array
        ? "int32"
        : "bool";

/** Converts JS data to a concrete tensor. Bare numbers become weakly typed float64 scalars. */
export function toTensor(x: TensorLike, dtype?: DType, op = "array"): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === "number") {
    const d = dtype ?? "float64";
    return new ConcreteTensor(castArray([x], d), { shape: [], dtype: d, weak: dtype === undefined });
  }
  if (typeof x === "boolean")
    return new ConcreteTensor(castArray([x ? 1 : 0], dtype ?? "bool"), {
      shape: [],
      dtype: dtype ?? "bool",
      weak: false,
    });
  if (ArrayBuffer.isView(x)) {
    const d = dtype ?? dtypeOfTyped(x as TypedArray);
    return new ConcreteTensor(castArray(x as TypedArray, d), {
      shape: [(x as TypedArray).length],
      dtype: d,
      weak: false,
    });
  }
  if (!Array.isArray(x))
    throw new ValueError(
      `${op}: cannot make a tensor from ${typeof x === "object" ? ((x as object).constructor?.name ?? "object") : typeof x}`,
    );
  const shape: number[] = [];
  let probe: unknown = x;
  while (Array.isArray(probe) || ArrayBuffer.isView(probe)) {
    const len = (probe as ArrayLike<unknown>).length;
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
        sawTensor = true;
        flat.push(v.item());
      } else
        throw new ShapeError(
          `${op}: ragged or non-numeric nested array: element ${path} is ${Array.isArray(v) ? "an array" : String(v)}, expected a number`,
        );
      return;
    }
    const arr = v as ArrayLike<unknown>;
    if (!(Array.isArray(arr) || ArrayBuffer.isView(arr)) || arr.length !== shape[dim])
      throw new ShapeError(
        `${op}: ragged nested array: element ${path} should have length ${shape[dim]} (shape [${shape.join(",")}])`,
      );
    for (let i = 0; i < arr.length; i++) rec(arr[i], dim + 1, `${path}[${i}]`);
  };
  rec(x, 0, "");
  void sawTensor;
  const d = dtype ?? (sawBool && flat.length > 0 ? "bool" : defaultFloat);
  return new ConcreteTensor(castArray(flat, d), { shape, dtype: d, weak: false });
}
