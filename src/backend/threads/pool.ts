// A small pool of threads that run WebAssembly kernels on a shared memory, synchronously: the caller posts one
// job (a few int32 parameters) per worker through a shared control block, does its own share, then blocks
// with Atomics.wait until every worker has stored its completion (Atomics.notify). Idle workers block in
// Atomics.wait too. No message port is ever listened to (a 'message' listener on a worker that is blocked
// keeps the process from exiting even when unref()'d): readiness is a flag in the control block, polled by
// a timer for `whenReady`, only while the workers start. Workers are Node
// worker_threads evaluated from source (no file to resolve, so the same code runs under tsx, vitest and the
// built package), unref()'d so they never keep a process alive. A browser implementation would need
// cross-origin isolation and a main thread that may not block, so for now only Node gets one.

/** One job per worker: the parameters its `run(exports, params)` receives. */
export interface ThreadPool {
  /** Worker threads (the calling thread works too). */
  readonly workers: number;
  /** Whether every worker has started and instantiated the module. */
  ready(): boolean;
  /** Resolves when ready (true) or when the pool failed to start (false). */
  readonly whenReady: Promise<boolean>;
  /**
   * Runs worker w on `params[w]`, and `own()` on this thread meanwhile; returns after every worker is done.
   * Returns false when a worker failed (its share is then not computed; the pool is unusable afterwards).
   */
  run(params: readonly (readonly number[])[], own: () => void): boolean;
}

/** Control block per worker (int32 slots). */
const GEN = 0; // job generation, bumped by the caller
const DONE = 1; // last generation finished by the worker
const STATE = 2; // 0 starting, 1 ready, -1 failed
const PARAMS = 4;
const SLOTS = 64;

/** Parameters per job at most. */
export const MAX_PARAMS = SLOTS - PARAMS;

const workerSource = (driver: string) => `
"use strict";
const { workerData } = require("node:worker_threads");
const ctrl = new Int32Array(workerData.ctrl);
let exports_;
try {
  exports_ = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
} catch (e) {
  Atomics.store(ctrl, ${STATE}, -1);
  Atomics.notify(ctrl, ${DONE});
  throw e;
}
const run = (${driver});
Atomics.store(ctrl, ${STATE}, 1);
const params = ctrl.subarray(${PARAMS});
let gen = 0;
for (;;) {
  Atomics.wait(ctrl, ${GEN}, gen);
  gen = Atomics.load(ctrl, ${GEN});
  try {
    run(exports_, params);
  } catch (e) {
    Atomics.store(ctrl, ${STATE}, -1);
  }
  Atomics.store(ctrl, ${DONE}, gen);
  Atomics.notify(ctrl, ${DONE});
}
`;

interface WorkerLike {
  unref(): void;
  on(event: string, f: (v: unknown) => void): void;
}
interface WorkerThreads {
  Worker: new (
    src: string,
    opts: { eval: boolean; workerData: unknown; stdout?: boolean; stderr?: boolean },
  ) => WorkerLike;
}

function nodeProcess(): {
  env: Record<string, string | undefined>;
  getBuiltinModule?(id: string): unknown;
} | null {
  const p = (globalThis as { process?: unknown }).process as
    | {
        env?: Record<string, string | undefined>;
        getBuiltinModule?(id: string): unknown;
        versions?: { node?: string };
      }
    | undefined;
  if (!p?.versions?.node || typeof p.getBuiltinModule !== "function") return null;
  return { env: p.env ?? {}, getBuiltinModule: p.getBuiltinModule.bind(p) };
}

/**
 * Threads to use in total (the calling thread included): NABLA_THREADS when set, else the available
 * parallelism, at most 8; 1 when shared memory, Atomics or worker_threads are missing.
 */
export function threadCount(): number {
  const p = nodeProcess();
  if (p === null || typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return 1;
  const env = Number.parseInt(p.env.NABLA_THREADS ?? "", 10);
  if (Number.isFinite(env)) return Math.max(1, Math.min(env, 64));
  const os = p.getBuiltinModule?.("node:os") as
    | { availableParallelism?(): number; cpus(): unknown[] }
    | undefined;
  const n = os?.availableParallelism?.() ?? os?.cpus().length ?? 1;
  return Math.max(1, Math.min(n, 8));
}

/**
 * Starts `workers` Node workers, each instantiating `module` against `memory` and running
 * `driver` (the source of a self-contained `(exports, params: Int32Array) => void` function) per job.
 * Returns null when worker_threads are unavailable.
 */
export function createNodePool(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  workers: number,
  driver: string,
): ThreadPool | null {
  const p = nodeProcess();
  const wt = p?.getBuiltinModule?.("node:worker_threads") as WorkerThreads | undefined;
  if (!wt || workers < 1) return null;
  const ctrls: Int32Array[] = [];
  const src = workerSource(driver);
  try {
    for (let w = 0; w < workers; w++) {
      const ctrl = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
      const worker = new wt.Worker(src, { eval: true, workerData: { ctrl: ctrl.buffer, module, memory } });
      worker.unref();
      worker.on("error", () => Atomics.store(ctrl, STATE, -1));
      worker.on("exit", () => Atomics.store(ctrl, STATE, -1));
      ctrls.push(ctrl);
    }
  } catch {
    return null;
  }
  let gen = 0;
  let broken = false;
  let whenReady: Promise<boolean> | undefined;
  return {
    workers,
    // Created on first use: its polling timer keeps the process alive while the workers start (10 s at most).
    get whenReady() {
      whenReady ??= new Promise<boolean>((resolve) => {
        const t0 = Date.now();
        const poll = () => {
          const states = ctrls.map((c) => Atomics.load(c, STATE));
          if (states.includes(-1) || Date.now() - t0 > 10_000) resolve(false);
          else if (states.every((v) => v === 1)) resolve(true);
          else setTimeout(poll, 2);
        };
        poll();
      });
      return whenReady;
    },
    ready: () => !broken && ctrls.every((c) => Atomics.load(c, STATE) === 1),
    run(params, own) {
      if (broken) return false;
      gen = (gen + 1) | 0;
      for (let w = 0; w < workers; w++) {
        const c = ctrls[w]!;
        const ps = params[w]!;
        for (let i = 0; i < ps.length; i++) c[PARAMS + i] = ps[i]!;
        Atomics.store(c, GEN, gen);
        Atomics.notify(c, GEN);
      }
      own();
      for (const c of ctrls)
        while (Atomics.load(c, DONE) !== gen) {
          if (Atomics.load(c, STATE) === -1) break;
          Atomics.wait(c, DONE, (gen - 1) | 0, 1000);
        }
      if (ctrls.some((c) => Atomics.load(c, STATE) !== 1)) broken = true;
      return !broken;
    },
  };
}
