// The safetensors dtype table: element sizes, the order Python's writer sorts by, and little-endian bytes.
import type { DType, TypedArray } from "../core/dtype.js";
import { SafetensorsError } from "./errors.js";

/** The dtype names a safetensors header may carry that nabla reads. */
export type StDType =
  | "BOOL"
  | "U8"
  | "I8"
  | "I16"
  | "U16"
  | "F16"
  | "BF16"
  | "I32"
  | "U32"
  | "F32"
  | "F64"
  | "I64"
  | "U64";

/** Bytes per element of every dtype nabla reads. */
export const ITEMSIZE: Readonly<Record<StDType, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/** What each stored dtype becomes in nabla; the widening ones (F16, BF16, small integers) are exact. */
export const NABLA_DTYPE: Readonly<Record<StDType, DType>> = {
  BOOL: "bool",
  U8: "int32",
  I8: "int32",
  I16: "int32",
  U16: "int32",
  F16: "float32",
  BF16: "float32",
  I32: "int32",
  U32: "int32",
  F32: "float32",
  F64: "float64",
  I64: "int32",
  U64: "int32",
};

/** Bytes per element of each nabla dtype, as decoded tensors store them. */
export const DECODED_ITEMSIZE: Readonly<Record<DType, number>> = {
  bool: 1,
  int32: 4,
  float32: 4,
  float64: 8,
};

export const ST_DTYPE: Readonly<Record<DType, StDType>> = {
  bool: "BOOL",
  int32: "I32",
  float32: "F32",
  float64: "F64",
};

/**
 * The position of a dtype in safetensors' `Dtype` enum, which lists dtypes by increasing alignment; the
 * writer sorts tensors by this rank, largest first, then by name, and we do the same so files match.
 */
export const ST_RANK: Readonly<Record<DType, number>> = { bool: 0, int32: 9, float32: 11, float64: 12 };

export const isStDType = (s: string): s is StDType => Object.hasOwn(ITEMSIZE, s);

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// IEEE half: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits; exponent 0 is subnormal, 31 inf/NaN.
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Reads `n` little-endian elements of stored dtype `st` from `bytes` (exactly their bytes) into fresh
 * nabla storage. 64-bit and unsigned 32-bit integers must fit in int32; anything else is an error.
 */
export function readElements(st: StDType, bytes: Uint8Array, n: number, where: string): TypedArray {
  if (LITTLE_ENDIAN_HOST && (st === "F32" || st === "F64" || st === "I32")) {
    // A copy (Buffer#slice would not copy): aligned, and owned by the tensor rather than by the file.
    const buf = new Uint8Array(bytes).buffer;
    return st === "F32" ? new Float32Array(buf) : st === "F64" ? new Float64Array(buf) : new Int32Array(buf);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Plain loops into preallocated arrays: TypedArray.from(source, fn) first gathers every value in an
  // ordinary JavaScript array, which for a large tensor exhausts the heap and aborts the process.
  switch (st) {
    case "BOOL": {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i] === 0 ? 0 : 1;
      return out;
    }
    case "U8": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = bytes[i]!;
      return out;
    }
    case "I8": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      return out;
    }
    case "I16":
    case "U16": {
      const out = new Int32Array(n);
      if (st === "I16") for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      else for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true);
      return out;
    }
    case "F16": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToNumber(view.getUint16(2 * i, true));
      return out;
    }
    case "BF16": {
      // bfloat16 is the top half of a float32
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return new Float32Array(bits.buffer);
    }
    case "F32": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case "F64": {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case "I32": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case "U32":
    case "I64":
    case "U64": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v =
          st === "U32"
            ? view.getUint32(4 * i, true)
            : Number(st === "I64" ? view.getBigInt64(8 * i, true) : view.getBigUint64(8 * i, true));
        if (v > 2147483647 || v < -2147483648)
          throw new SafetensorsError(
            `${where} holds ${st} value ${v} at index ${i}, outside int32 (nabla's integer dtype); ` +
              `convert the tensor to float64 or to smaller integers before saving it`,
          );
        out[i] = v;
      }
      return out;
    }
  }
}

/** The little-endian bytes of `data` (a view, without copying, on little-endian hosts). */
export function elementBytes(data: TypedArray): Uint8Array {
  if (LITTLE_ENDIAN_HOST || data instanceof Uint8Array)
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(4 * i, data[i]!, true);
    else if (data instanceof Float64Array) view.setFloat64(8 * i, data[i]!, true);
    else view.setInt32(4 * i, data[i]!, true);
  }
  return out;
}
