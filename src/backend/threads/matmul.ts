// Multithreaded matrix product: the WebAssembly SIMD kernel of ../wasm/matmul.ts, built against a shared
// memory, run by a pool of worker threads (threads/pool.ts) and the calling thread on disjoint row tiles of
// the output. Every thread packs its own rows of A and (redundantly) the whole of B per k block, so the
// threads never synchronize within a product, and each output element is summed over k in exactly the
// order of the single-threaded kernel: results are bit-identical to it for float32 and float64.
//
// Used for products of at least THREAD_MIN_WORK multiply-adds per batch; smaller ones (and everything when
// NABLA_THREADS=1, without SharedArrayBuffer or workers, or before the workers have started) return
// false and run single-threaded. Workers are started by the first large product, which itself runs
// single-threaded rather than wait for them.
import type { MatmulKernel } from "../wasm/matmul.js";
import {
  align,
  buildMatmulModule,
  type DT,
  GEOM,
  matmulDtype,
  stageOperands,
  tiling,
} from "../wasm/matmul.js";
import { simdSupported } from "../wasm/runtime.js";
import { matmulDriver } from "./drivers.js";
import { MAX_PARAMS, sharedPool, type ThreadPool } from "./pool.js";

/**
 * Smallest M·K·N (per batch) run on several threads: below, the hand-off (~0.1 ms) outweighs the gain (on 2
 * cores, a float32 128³ product broke even and 256³ ran 1.5-1.8× faster; float64 gains from 128³).
 */
export const THREAD_MIN_WORK: Record<DT, number> = { f32: 2 ** 22, f64: 2 ** 21 };
/** Largest shared memory, in 64 KiB pages (2 GiB, the i32 address space). */
const MAX_PAGES = 32768;

interface State {
  pool: ThreadPool;
  /** The kernel's id in the pool. */
  kernel: number;
  memory: WebAssembly.Memory;
  exports: WebAssembly.Exports;
}

/** undefined: not tried yet; null: threads unavailable. */
let state: State | null | undefined;

function start(): State | null {
  if (state !== undefined) return state;
  state = null;
  if (!simdSupported()) return null;
  const pool = sharedPool();
  if (pool === null) return null;
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const module = new WebAssembly.Module(buildMatmulModule(MAX_PAGES) as BufferSource);
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
    state = { pool, kernel: pool.load(module, memory, matmulDriver.toString()), memory, exports };
  } catch {
    state = null;
  }
  return state;
}

/**
 * Starts the worker pool now (it otherwise starts on the first large product) and resolves once it can take
 * work: true when products will be threaded, false when threads are unavailable or disabled.
 */
export function threadsReady(): Promise<boolean> {
  const s = start();
  return s === null ? Promise.resolve(false) : s.pool.whenReady;
}

/** Whether a product of this size would run on the pool (once started). */
export function threadedWorthIt(dt: DT, M: number, K: number, N: number): boolean {
  return M * K * N >= THREAD_MIN_WORK[dt] && Math.ceil(M / GEOM[dt].mr) >= 2;
}

/**
 * Like wasmMatmul, on several threads. Returns false (and does nothing) when the product is small, the data
 * is not float32/float64, threads are unavailable, or the workers are not ready yet.
 */
export const threadedMatmul: MatmulKernel = (a, tA, b, tB, c, B, M, K, N) => {
  const dt = matmulDtype(c);
  if (dt === null || K === 0 || !threadedWorthIt(dt, M, K, N)) return false;
  const s = start();
  if (s === null || !s.pool.ready()) return false;
  const { eb, mr, mtiles, npanels, Mp, Np, KC, kcMax, ldc } = tiling(dt, M, K, N);
  const T = Math.min(s.pool.workers + 1, mtiles);
  // Layout: A, B, then packed A and B blocks per thread, then C (as in wasmMatmul).
  const offB = align(Mp * K * eb);
  const apBytes = align(Math.ceil(mtiles / T) * mr * kcMax * eb);
  const bpBytes = align(Np * kcMax * eb);
  const offPack = offB + align(Np * K * eb);
  const offC = offPack + T * (apBytes + bpBytes);
  const total = offC + align(Mp * ldc * eb);
  if (total > MAX_PAGES * 65536 - 65536) return false;
  const have = s.memory.buffer.byteLength;
  if (have < total) s.memory.grow(Math.ceil((total - have) / 65536));
  const lda = (tA ? Mp : K) * eb;
  const ldb = (tB ? K : Np) * eb;
  // Row tiles split as evenly as possible; thread 0 is this one.
  const jobs: number[][] = [];
  for (let t = 0; t < T; t++) {
    const it0 = Math.floor((mtiles * t) / T);
    const it1 = Math.floor((mtiles * (t + 1)) / T);
    const offAp = offPack + t * (apBytes + bpBytes);
    jobs.push([dt === "f64" ? 1 : 0, tA ? 1 : 0, tB ? 1 : 0, K, KC, npanels, lda, ldb, ldc * eb, 0, offB]);
    jobs[t]!.push(offAp, offAp + apBytes, offC, it0, it1);
  }
  if (jobs[0]!.length > MAX_PARAMS) return false;
  // Idle workers (fewer row tiles than threads) get an empty range.
  const workerJobs = Array.from({ length: s.pool.workers }, (_, w) => {
    const j = jobs[w + 1];
    if (j) return j;
    const e = [...jobs[0]!];
    e[14] = 0;
    e[15] = 0;
    return e;
  });
  const Arr = dt === "f32" ? Float32Array : Float64Array;
  for (let bi = 0; bi < B; bi++) {
    const view = new Arr(s.memory.buffer);
    stageOperands(view, a, tA, b, tB, bi, M, K, N, Mp, Np, offB / eb);
    const ok = s.pool.run(
      s.kernel,
      workerJobs,
      () => matmulDriver(s.exports, jobs[0]!),
      (w) => matmulDriver(s.exports, workerJobs[w]!),
    );
    if (!ok) return false;
    const out = new Arr(s.memory.buffer, offC, Mp * ldc);
    const C0 = bi * M * N;
    if (ldc === N) c.set(out.subarray(0, M * N), C0);
    else for (let i = 0; i < M; i++) c.set(out.subarray(i * ldc, i * ldc + N), C0 + i * N);
  }
  return true;
};
