// Data types, their storage and the promotion lattice (JAX-style weak types for bare JS numbers).
import { ValueError } from "./errors.js";

export type DType = "float32" | "float64" | "int32" | "bool";

export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** The members of a typed array that write to it (and subarray, a writable view of the same memory). */
type Writing = "set" | "fill" | "copyWithin" | "sort" | "reverse" | "subarray" | number;
type ReadonlyOf<A> = Omit<A, Writing> & { readonly [index: number]: number };
/**
 * A typed array that TypeScript will not let you write: a tensor's own elements, shared without a copy
 * (Tensor.readonlyData). Reading, iterating, `slice` (a copy) and `Array.from` work as on any typed array.
 */
export type ReadonlyTypedArray =
  | ReadonlyOf<Float32Array>
  | ReadonlyOf<Float64Array>
  | ReadonlyOf<Int32Array>
  | ReadonlyOf<Uint8Array>;

export const isFloat = (d: DType): boolean => d === "float32" || d === "float64";

/** Allocates zeroed storage for `size` elements of `dtype`. */
export function allocate(dtype: DType, size: number): TypedArray {
  try {
    return allocateRaw(dtype, size);
  } catch (e) {
    throw allocationError(e, dtype, size);
  }
}

/**
 * What to throw when allocating `size` elements of `dtype` failed with `e`: a refusal of the memory (a
 * RangeError) becomes the library's own error saying what was asked for; anything else is thrown as it is.
 */
export function allocationError(e: unknown, dtype: DType, size: number): unknown {
  if (!(e instanceof RangeError)) return e;
  return new ValueError(
    `could not allocate ${size} elements of ${dtype} (${e.message}); use smaller tensors, or lower nb.config.maxTensorBytes so such sizes are refused up front`,
  );
}

function allocateRaw(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(size);
    case "float64":
      return new Float64Array(size);
    case "int32":
      return new Int32Array(size);
    case "bool":
      return new Uint8Array(size);
  }
}

/** Copies `data` into fresh storage of `dtype`, rounding as the dtype requires. */
export function castArray(data: ArrayLike<number>, dtype: DType): TypedArray {
  const out = allocate(dtype, data.length);
  if (dtype === "bool") for (let i = 0; i < data.length; i++) out[i] = data[i] ? 1 : 0;
  else if (dtype === "int32") for (let i = 0; i < data.length; i++) out[i] = Math.trunc(data[i]!);
  else out.set(data);
  return out;
}

const category = (d: DType): number => (d === "bool" ? 0 : d === "int32" ? 1 : 2);
const rank = (d: DType): number => (d === "bool" ? 0 : d === "int32" ? 1 : d === "float32" ? 2 : 3);
const defaultOfCategory = (c: number): DType => (c === 0 ? "bool" : c === 1 ? "int32" : "float32");

/**
 * The result dtype of combining two values. A weak value (a bare JS number) adopts the other value's
 * dtype when it fits its kind: `float32 tensor + 2.5` stays float32, `int32 tensor + 2.5` becomes float32.
 */
export function promote(a: DType, aWeak: boolean, b: DType, bWeak: boolean): { dtype: DType; weak: boolean } {
  if (aWeak === bWeak) return { dtype: rank(a) >= rank(b) ? a : b, weak: aWeak };
  const [strong, weak] = aWeak ? [b, a] : [a, b];
  if (category(weak) <= category(strong)) return { dtype: strong, weak: false };
  return { dtype: defaultOfCategory(category(weak)), weak: false };
}

/** Short names used when printing programs: `f32[3,4]`. */
export const shortName: Record<DType, string> = {
  float32: "f32",
  float64: "f64",
  int32: "i32",
  bool: "bool",
};
