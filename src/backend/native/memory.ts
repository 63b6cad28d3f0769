// Output arrays from the native memory pool (native/src/memory.cc, built as nabla_memory.node beside the
// kernel addon): blocks that were touched before, handed back when the engine collects their ArrayBuffer,
// and not zero-filled. Only for arrays a kernel writes in full, and only large ones: below POOL_MIN_BYTES a
// fresh allocation is as cheap. Without the module (a browser, another Node version than the build's,
// NABLA_NATIVE=0) arrays are allocated as usual.
import { allocate, allocationError, type DType, type TypedArray } from "../../core/dtype.js";
import { requireNative } from "./load.js";

/** What nabla_memory.node exports (native/src/memory_addon.cc). */
export interface MemoryAddon {
  /** An ArrayBuffer of `bytes` bytes over a pooled block; its contents are unspecified. */
  pooledArray(bytes: number): ArrayBuffer;
  /** [requests served from the pool, requests that allocated, bytes pooled now, most bytes pooled]. */
  memoryStats(): [number, number, number, number];
  /** Sets the most bytes the pool keeps; 0 frees them all and turns pooling off. */
  setPoolLimit(bytes: number): void;
  readonly version: number;
}

/** The interface version this code expects (memory_addon.cc's kVersion). */
export const MEMORY_VERSION = 1;
export const MEMORY_ADDON_PATH = "../../../native/build/Release/nabla_memory.node";
/** Smallest array taken from the pool. */
export const POOL_MIN_BYTES = 1 << 16;

const isMemoryAddon = (m: unknown): m is MemoryAddon =>
  typeof m === "object" &&
  m !== null &&
  (m as MemoryAddon).version === MEMORY_VERSION &&
  typeof (m as MemoryAddon).pooledArray === "function" &&
  typeof (m as MemoryAddon).memoryStats === "function";

/** undefined: not tried yet. */
let cached: MemoryAddon | null | undefined;

/** The memory module of this process, loaded on first use (null when unavailable). */
export function memoryAddon(): MemoryAddon | null {
  if (cached === undefined) {
    const loaded = requireNative(MEMORY_ADDON_PATH);
    cached = isMemoryAddon(loaded) ? loaded : null;
  }
  return cached;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/**
 * NABLA_POISON_POOL=1 fills every pooled array with 0xFF bytes (NaN in floats) before handing it out, so a
 * kernel that leaves an element unwritten shows up in any test run with it set.
 */
const poison = (): boolean =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.NABLA_POISON_POOL === "1";
let poisoning: boolean | undefined;

/**
 * An array of `size` elements of `dtype` whose every element the caller is about to write: from the pool
 * when large enough and the module is present, else a fresh (zeroed) allocation.
 */
export function outputArray(dtype: DType, size: number): TypedArray {
  const bytes = size * BYTES[dtype];
  const pool = bytes >= POOL_MIN_BYTES ? memoryAddon() : null;
  if (pool === null) return allocate(dtype, size);
  let buffer: ArrayBuffer;
  try {
    buffer = pool.pooledArray(bytes);
  } catch (e) {
    throw allocationError(e, dtype, size);
  }
  if ((poisoning ??= poison())) new Uint8Array(buffer).fill(0xff);
  switch (dtype) {
    case "float32":
      return new Float32Array(buffer, 0, size);
    case "float64":
      return new Float64Array(buffer, 0, size);
    case "int32":
      return new Int32Array(buffer, 0, size);
    case "bool":
      return new Uint8Array(buffer, 0, size);
  }
}
