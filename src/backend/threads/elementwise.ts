// Fused elementwise kernels on several threads: a module of wasm/elementwise.ts built for a shared memory,
// run by the calling thread and the pool's workers (threads/pool.ts) on disjoint ranges of the loop. Each
// element is computed by the same instructions wherever it runs, so results are bit-identical to one thread.
//
// The copies in and out stay on this thread (workers cannot reach the caller's arrays), but overlap the
// workers' computing: the workers' share of the inputs is copied in first, so they start while this thread
// copies its own share. (Letting a worker allocate the new output arrays and transfer them back, to split
// their page faults, measured no faster on 2 cores.)
//
// Used for loops of at least THREAD_MIN_WORK while the machine has a core to spare for each worker; smaller
// ones (and everything when NABLA_THREADS=1, without SharedArrayBuffer or workers, or before the
// workers have started) run on the calling thread.
// Modules are cached by their bytes, so the workers hold one instance per distinct kernel structure.
import { simdSupported } from "../wasm/runtime.js";
import { loopDriver } from "./drivers.js";
import { availableCores, MAX_PARAMS, sharedPool, type ThreadPool } from "./pool.js";

/**
 * Smallest estimated work split across threads, in units of one vector operation per element (≈ 0.1 ns per
 * element on one core; wasm/elementwise.ts estimates a loop's): about 150 µs of computing. Measured on 2
 * cores, a loop of sin(x)·y gains from 2^16 elements (241 → 161 µs) and exp(x)·y from 2^17 (276 → 243 µs),
 * while a lone addition never does: its copies, which stay on this thread, dominate.
 */
export const THREAD_MIN_WORK = 1.5e6;
/** Largest shared memory, in 64 KiB pages (2 GiB, the i32 address space). */
export const SHARED_MAX_PAGES = 32768;
/** Split points are multiples of this many elements (the loop's step, two vectors of four). */
const STEP = 8;

/** The copies around one call of a kernel, by ranges of the loop's elements. */
export interface Stage {
  /** Elements in the loop. */
  readonly n: number;
  /** Copies into memory what the loop's elements [e0, e1) read. */
  copyIn(e0: number, e1: number): void;
  /** Copies elements [e0, e1) of output j from memory into `dst`. */
  copyOut(j: number, dst: Float32Array, e0: number, e1: number): void;
  /** The caller's array for each output, or undefined where a new one is wanted. */
  readonly dsts: readonly (Float32Array | undefined)[];
}

/** Where a fused kernel runs: its memory, and one call over byte offsets [0, bytes) with its copies. */
export interface Target {
  memoryOf(bytes: number): WebAssembly.Memory;
  run(bytes: number, pointers: readonly number[], stage: Stage): Float32Array[];
}

let memory: WebAssembly.Memory | null | undefined;
/** The shared memory of threaded fused kernels, or null when threads are unavailable. */
function sharedMemory(): WebAssembly.Memory | null {
  if (memory === undefined) {
    memory = null;
    if (simdSupported() && sharedPool() !== null)
      try {
        memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
      } catch {
        memory = null;
      }
  }
  return memory;
}

interface Loaded {
  id: number;
  k: (...a: number[]) => void;
}
const loaded = new Map<string, Loaded>();

/** A string with one character per byte (a map key). */
function bytesKey(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192)
    s += String.fromCharCode(...bytes.subarray(i, Math.min(i + 8192, bytes.length)));
  return s;
}

/**
 * `bytes` (a module assembled for a shared memory of SHARED_MAX_PAGES pages, exporting
 * `k(start, end, in…, out…)`, importing `math.<name>` for each key of `math`) as a target split across
 * threads; null when threads are unavailable or the module cannot be compiled here.
 */
export function splitTarget(
  bytes: Uint8Array,
  nIn: number,
  nOut: number,
  math: Record<string, (x: number) => number>,
): Target | null {
  const mem = sharedMemory();
  const pool = sharedPool();
  if (mem === null || pool === null || 2 + nIn + nOut > MAX_PARAMS) return null;
  const key = bytesKey(bytes);
  let l = loaded.get(key);
  if (l === undefined) {
    try {
      const module = new WebAssembly.Module(bytes as BufferSource);
      const exports = new WebAssembly.Instance(module, { env: { memory: mem }, math }).exports;
      const id = pool.load(module, mem, loopDriver.toString(), Object.keys(math));
      l = { id, k: exports.k as (...a: number[]) => void };
    } catch {
      return null;
    }
    loaded.set(key, l);
  }
  const { id, k } = l;
  return {
    memoryOf(bytes) {
      const have = mem.buffer.byteLength;
      if (have < bytes) mem.grow(Math.ceil((bytes - have) / 65536));
      return mem;
    },
    run(bytes, pointers, stage) {
      const spare = splitPolicy.always || availableCores() >= pool.workers + 0.5;
      if (!spare || !pool.ready()) return runHere(k, bytes, pointers, stage);
      return runSplit(pool, id, k, bytes, pointers, stage);
    },
  };
}

/** One call on this thread alone. */
export function runHere(
  k: (...a: number[]) => void,
  bytes: number,
  pointers: readonly number[],
  stage: Stage,
): Float32Array[] {
  stage.copyIn(0, stage.n);
  k(0, bytes, ...pointers);
  return stage.dsts.map((d, j) => {
    const out = d ?? new Float32Array(stage.n);
    stage.copyOut(j, out, 0, stage.n);
    return out;
  });
}

/** Calls split across threads so far, and workers' jobs this thread took back (for tests). */
export const splitStats = { calls: 0, stolen: 0 };

/** Whether to skip the check of spare cores (tests split every large call on any machine). */
export const splitPolicy = { always: false };

/**
 * One call split across the pool: thread t computes elements [cut(t), cut(t + 1)), this thread the first
 * range; a worker that has not started by the time this thread is done has its range computed here too.
 */
function runSplit(
  pool: ThreadPool,
  id: number,
  k: (...a: number[]) => void,
  bytes: number,
  pointers: readonly number[],
  stage: Stage,
): Float32Array[] {
  const { n, dsts } = stage;
  const T = pool.workers + 1;
  const padded = bytes / 4;
  const cut = (t: number) => Math.floor((padded / STEP) * (t / T)) * STEP;
  const c1 = cut(1);
  splitStats.calls++;
  const jobs = Array.from({ length: T - 1 }, (_, w) => [cut(w + 1) * 4, cut(w + 2) * 4, ...pointers]);
  const outs = dsts.map((d) => d ?? new Float32Array(n));
  stage.copyIn(c1, n);
  const ok = pool.run(
    id,
    jobs,
    () => {
      stage.copyIn(0, c1);
      k(0, c1 * 4, ...pointers);
      outs.forEach((out, j) => stage.copyOut(j, out, 0, c1));
    },
    (w) => {
      splitStats.stolen++;
      k(jobs[w]![0]!, jobs[w]![1]!, ...pointers);
    },
  );
  // A failed worker's range is computed here.
  if (!ok) k(c1 * 4, bytes, ...pointers);
  outs.forEach((out, j) => stage.copyOut(j, out, c1, n));
  return outs;
}
