// Matrix products through the native addon (./load.ts): float32 and float64, either operand stored
// transposed, batched — the signature of wasmMatmul and threadedMatmul, so dotGeneralData tries it first.

import type { TypedArray } from "../../core/dtype.js";
import { engineEnabled } from "../engines.js";
import { threadCount } from "../threads/pool.js";
import type { MatmulKernel } from "../wasm/matmul.js";
import { nativeAddon } from "./load.js";

/**
 * Smallest M·K·N (per batch) worth a native call rather than the JavaScript kernel: on a 2-core AVX-512
 * machine the JavaScript kernel was as fast at 8³ and the addon twice as fast at 12³.
 */
export const NATIVE_MIN_WORK = 2048;

/**
 * Smallest total multiply-adds (B·M·K·N) split across threads. `cold`: when the pool's workers are asleep,
 * waking one costs ~50 µs on a virtual machine, so only products of ~100 µs and more gain. `warm`: workers
 * spin for a while after each product, and a product handed to a spinning worker gained from 48³-64³ on.
 * (Measured on a 2-core AVX-512 machine: float32 runs at ~150 GFLOP/s per core, float64 at ~40.)
 */
export const NATIVE_THREAD_MIN_WORK = {
  f32: { cold: 2 ** 23, warm: 2 ** 17 },
  f64: { cold: 2 ** 21, warm: 2 ** 16 },
} as const;

/** Whether native matrix products are available in this process. */
export const nativeMatmulReady = (): boolean => nativeAddon() !== null;

/** How many threads a product of `work` multiply-adds should use, given the pool's state. */
export function nativeThreads(f64: boolean, work: number, workersAwake: () => number): number {
  const threads = threadCount();
  if (threads < 2) return 1;
  const min = NATIVE_THREAD_MIN_WORK[f64 ? "f64" : "f32"];
  if (work >= min.cold) return threads;
  return work >= min.warm && workersAwake() >= threads - 1 ? threads : 1;
}

const sameFloatType = (a: TypedArray, b: TypedArray, c: TypedArray): boolean =>
  (c instanceof Float32Array || c instanceof Float64Array) &&
  a.constructor === c.constructor &&
  b.constructor === c.constructor;

/**
 * c[b] = op(a[b])·op(b[b]) like wasmMatmul (a stored [K,M] when tA, b [N,K] when tB). Returns false (and
 * does nothing) when the addon is unavailable or the data is not float32/float64 of one type.
 */
export const nativeMatmul: MatmulKernel = (a, tA, b, tB, c, B, M, K, N) => {
  const addon = nativeAddon();
  if (addon === null || !sameFloatType(a, b, c)) return false;
  const threads = engineEnabled("threads")
    ? nativeThreads(c instanceof Float64Array, B * M * K * N, addon.workersAwake)
    : 1;
  return addon.matmul(a, tA, b, tB, c, B, M, K, N, threads);
};
