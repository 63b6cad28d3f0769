// A small pool of threads that run WebAssembly kernels on shared memories, synchronously: the caller posts one
// job (a kernel id and a few int32 parameters) per worker through a shared control block, does its own
// share, then blocks with Atomics.wait until every worker has stored its completion (Atomics.notify). Idle
// workers block in Atomics.wait too.
//
// Kernels are loaded at any time: `load` posts the compiled WebAssembly.Module, its (shared) memory and the
// source of a driver function to every worker and returns an id; a worker instantiates a kernel on its
// first job, pulling the pending messages synchronously with receiveMessageOnPort. No message port is ever
// listened to (a 'message' listener on a worker that is blocked keeps the process from exiting even when
// unref()'d): readiness is a flag in the control block, polled by a timer for `whenReady`, only while the
// workers start. Workers are Node worker_threads evaluated from source (no file to resolve, so the same
// code runs under tsx, vitest and the built package), unref()'d so they never keep a process alive.
//
// Browsers: a page that is cross-origin isolated (COOP/COEP headers, hence SharedArrayBuffer and shared
// WebAssembly.Memory) gets a pool of Web Workers started from a Blob URL of the same loop. There is no
// receiveMessageOnPort: a worker whose job needs a kernel it has not received leaves the job untaken and
// returns to its event loop for the module's message (the caller takes the job back meanwhile). The window's
// thread may not block in Atomics.wait, so it spins on the completion flag; it only ever does so for a worker
// that has started its job (a job not started is taken back), so the spin lasts as long as that worker's
// share. Drivers come from drivers.ts written into the worker's script, since such pages forbid eval.
// Workers start asynchronously: until they report ready, everything runs single-threaded.

import { DRIVERS } from "./drivers.js";

export interface ThreadPool {
  /** Worker threads (the calling thread works too). */
  readonly workers: number;
  /** Whether every worker has started. */
  ready(): boolean;
  /** Resolves when ready (true) or when the pool failed to start (false). */
  readonly whenReady: Promise<boolean>;
  /**
   * Makes a kernel available to the workers: `module` instantiated on `memory` (with Math functions `math`
   * importable as `math.<name>`), run per job by `driver`, the source of a self-contained plain JavaScript
   * `(exports, params: Int32Array) => void` function. Returns the kernel's id.
   */
  load(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    driver: string,
    math?: readonly string[],
  ): number;
  /**
   * Runs `kernel` on worker w with `params[w]`, and `own()` on this thread meanwhile; returns after every
   * worker is done. With `steal`, a job no worker has started by the time `own()` returns is taken back and
   * run here by `steal(w)` instead (a worker descheduled on a busy machine then costs nothing). Returns false
   * when a worker failed (its share is then not computed; the pool is unusable afterwards). In browsers, pass
   * `steal`: a worker there takes a job for a kernel it has not received yet only after the call returns.
   */
  run(
    kernel: number,
    params: readonly (readonly number[])[],
    own: () => void,
    steal?: (worker: number) => void,
  ): boolean;
}

/** Control block per worker (int32 slots). */
const GEN = 0; // job generation, bumped by the caller (never 0)
const DONE = 1; // last generation finished by the worker
const STATE = 2; // 0 starting, 1 ready, -1 failed
const JOB = 3; // the generation of a job nobody has taken yet, else 0: whoever swaps it to 0 runs the job
const KERNEL = 4; // the job's kernel id, followed by its parameters
const SLOTS = 64;

/** Parameters per job at most. */
export const MAX_PARAMS = SLOTS - KERNEL - 1;

/** Instantiates kernel messages in the worker; drivers are looked up in DRIVERS before compiling them. */
const instantiate = `
const kernels = [];
function instantiate({ module, memory, driver, math }) {
  const imports = { env: { memory }, math: {} };
  for (const name of math) imports.math[name] = Math[name];
  const exports = new WebAssembly.Instance(module, imports).exports;
  kernels.push({ exports, run: DRIVERS.get(driver) ?? new Function("return (" + driver + ");")() });
}
`;

const nodeWorkerSource = `
"use strict";
const { workerData, parentPort, receiveMessageOnPort } = require("node:worker_threads");
const DRIVERS = new Map();
${instantiate}
const ctrl = new Int32Array(workerData.ctrl);
// Kernels arrive in id order, each posted before the first job that uses it.
function kernel(id) {
  while (kernels.length <= id) {
    const m = receiveMessageOnPort(parentPort);
    if (m === undefined) throw new Error("kernel " + id + " was not sent");
    instantiate(m.message);
  }
  return kernels[id];
}
Atomics.store(ctrl, ${STATE}, 1);
const params = ctrl.subarray(${KERNEL + 1});
let gen = 0;
for (;;) {
  Atomics.wait(ctrl, ${GEN}, gen);
  gen = Atomics.load(ctrl, ${GEN});
  // The caller may have run the job itself meanwhile (then its parameters may already be the next job's).
  if (Atomics.compareExchange(ctrl, ${JOB}, gen, 0) !== gen) continue;
  try {
    const k = kernel(ctrl[${KERNEL}]);
    k.run(k.exports, params);
  } catch (e) {
    Atomics.store(ctrl, ${STATE}, -1);
  }
  Atomics.store(ctrl, ${DONE}, gen);
  Atomics.notify(ctrl, ${DONE});
}
`;

const browserWorkerSource = () => `
"use strict";
const DRIVERS = new Map([${DRIVERS.map((d) => `[${JSON.stringify(d)}, (${d})]`).join(", ")}]);
${instantiate}
let ctrl, params;
let gen = 0;
// Runs jobs until one needs a kernel whose message is still queued: then returns to the event loop, leaving
// the job untaken (and gen unchanged, so the next call looks at it again).
function loop() {
  for (;;) {
    Atomics.wait(ctrl, ${GEN}, gen);
    const g = Atomics.load(ctrl, ${GEN});
    if (Atomics.load(ctrl, ${JOB}) === g && ctrl[${KERNEL}] >= kernels.length) return;
    gen = g;
    if (Atomics.compareExchange(ctrl, ${JOB}, g, 0) !== g) continue;
    try {
      const k = kernels[ctrl[${KERNEL}]];
      k.run(k.exports, params);
    } catch (e) {
      Atomics.store(ctrl, ${STATE}, -1);
    }
    Atomics.store(ctrl, ${DONE}, g);
    Atomics.notify(ctrl, ${DONE});
  }
}
self.onmessage = (e) => {
  if (e.data.ctrl) {
    ctrl = new Int32Array(e.data.ctrl);
    params = ctrl.subarray(${KERNEL + 1});
    Atomics.store(ctrl, ${STATE}, 1);
  } else {
    try {
      instantiate(e.data);
    } catch (err) {
      Atomics.store(ctrl, ${STATE}, -1);
      return;
    }
  }
  loop();
};
`;

interface WorkerLike {
  unref(): void;
  on(event: string, f: (v: unknown) => void): void;
  postMessage(message: unknown): void;
}
interface WorkerThreads {
  Worker: new (src: string, opts: { eval: boolean; workerData: unknown }) => WorkerLike;
}

interface NodeProcess {
  env: Record<string, string | undefined>;
  getBuiltinModule(id: string): unknown;
  cpuUsage(): { user: number; system: number };
}

function nodeProcess(): NodeProcess | null {
  const p = (globalThis as { process?: unknown }).process as
    | (Partial<NodeProcess> & { versions?: { node?: string } })
    | undefined;
  if (!p?.versions?.node || typeof p.getBuiltinModule !== "function" || typeof p.cpuUsage !== "function")
    return null;
  return { env: p.env ?? {}, getBuiltinModule: p.getBuiltinModule.bind(p), cpuUsage: p.cpuUsage.bind(p) };
}

interface BrowserGlobals {
  crossOriginIsolated?: boolean;
  NABLA_THREADS?: unknown;
  Worker?: new (url: string) => BrowserWorker;
  Blob?: new (parts: string[], opts: { type: string }) => unknown;
  URL?: { createObjectURL?(blob: unknown): string; revokeObjectURL?(url: string): void };
  navigator?: { hardwareConcurrency?: number };
}
interface BrowserWorker {
  postMessage(message: unknown): void;
  onerror: ((e: unknown) => void) | null;
}

/** The globals a pool of Web Workers needs, or null (not a cross-origin isolated browser context). */
function browser(): BrowserGlobals | null {
  const g = globalThis as BrowserGlobals;
  if (g.crossOriginIsolated !== true || typeof g.Worker !== "function" || typeof g.Blob !== "function")
    return null;
  return typeof g.URL?.createObjectURL === "function" ? g : null;
}

/**
 * Threads to use in total (the calling thread included): NABLA_THREADS when set (in browsers, the global
 * `NABLA_THREADS` before first use), else the available parallelism, at most 8; 1 when shared memory,
 * Atomics or workers (worker_threads, or Web Workers in a cross-origin isolated page) are missing.
 */
export function threadCount(): number {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return 1;
  const p = nodeProcess();
  const b = p === null ? browser() : null;
  if (p === null && b === null) return 1;
  const env = Number.parseInt(String(p ? p.env.NABLA_THREADS : b?.NABLA_THREADS), 10);
  if (Number.isFinite(env)) return Math.max(1, Math.min(env, 64));
  if (parallelism === undefined) {
    const os = p?.getBuiltinModule("node:os") as
      | { availableParallelism?(): number; cpus(): unknown[] }
      | undefined;
    parallelism = os
      ? (os.availableParallelism?.() ?? os.cpus().length)
      : (b?.navigator?.hardwareConcurrency ?? 1);
  }
  return Math.max(1, Math.min(parallelism, 8));
}
/** The available parallelism, asked once (every kernel call asks for the thread count). */
let parallelism: number | undefined;

interface CpuTimes {
  times: { idle: number };
}
let sample: { wall: number; idle: number; own: number } | undefined;
let cores = Number.POSITIVE_INFINITY;

/**
 * Cores this process could use now: the idle ones plus those it keeps busy itself, from the system's CPU
 * times over the last quarter second or more (Infinity where unknown, and on the first call). Threads pay
 * only when the workers find a free core: on a machine busy with other work, a woken worker waits for a
 * core or takes one from this thread, and a split call gets slower than one thread.
 */
export function availableCores(): number {
  const p = nodeProcess();
  const os = p?.getBuiltinModule("node:os") as { cpus(): CpuTimes[] } | undefined;
  if (!p || !os) return Number.POSITIVE_INFINITY;
  const wall = performance.now();
  if (sample !== undefined && wall - sample.wall < 250) return cores;
  let idle = 0;
  for (const c of os.cpus()) idle += c.times.idle;
  const u = p.cpuUsage();
  const own = (u.user + u.system) / 1000;
  if (sample !== undefined) cores = (idle - sample.idle + own - sample.own) / (wall - sample.wall);
  sample = { wall, idle, own };
  return cores;
}

/** Starts `workers` Node workers. Returns null when worker_threads are unavailable. */
export function createNodePool(workers: number): ThreadPool | null {
  const p = nodeProcess();
  const wt = p?.getBuiltinModule("node:worker_threads") as WorkerThreads | undefined;
  if (!wt || workers < 1) return null;
  const ctrls: Int32Array[] = [];
  const threads: WorkerLike[] = [];
  try {
    for (let w = 0; w < workers; w++) {
      const ctrl = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
      const worker = new wt.Worker(nodeWorkerSource, { eval: true, workerData: { ctrl: ctrl.buffer } });
      worker.unref();
      worker.on("error", () => Atomics.store(ctrl, STATE, -1));
      worker.on("exit", () => Atomics.store(ctrl, STATE, -1));
      ctrls.push(ctrl);
      threads.push(worker);
    }
  } catch {
    return null;
  }
  return makePool(ctrls, threads, true);
}

/**
 * Starts `workers` Web Workers (a cross-origin isolated page, or a worker of one). Returns null when they
 * are unavailable; a worker that fails to start (e.g. refused by the page's worker-src policy) makes
 * `whenReady` false and leaves everything single-threaded.
 */
export function createBrowserPool(workers: number): ThreadPool | null {
  const b = browser();
  if (!b || workers < 1) return null;
  const ctrls: Int32Array[] = [];
  const threads: BrowserWorker[] = [];
  let url: string | undefined;
  try {
    url = b.URL!.createObjectURL!(new b.Blob!([browserWorkerSource()], { type: "text/javascript" }));
    for (let w = 0; w < workers; w++) {
      const ctrl = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
      const worker = new b.Worker!(url);
      worker.onerror = () => Atomics.store(ctrl, STATE, -1);
      worker.postMessage({ ctrl: ctrl.buffer });
      ctrls.push(ctrl);
      threads.push(worker);
    }
  } catch {
    return null;
  }
  const pool = makePool(ctrls, threads, false);
  // The script is fetched when each worker starts; the URL is no longer needed once they all have.
  void pool.whenReady.then(() => b.URL!.revokeObjectURL?.(url!));
  return pool;
}

/**
 * The pool over started workers with control blocks `ctrls`. `block`: whether this thread may wait with
 * Atomics.wait (not a window's thread, which spins instead).
 */
function makePool(
  ctrls: Int32Array[],
  threads: { postMessage(message: unknown): void }[],
  block: boolean,
): ThreadPool {
  const workers = ctrls.length;
  let gen = 0;
  let loaded = 0;
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
    load(module, memory, driver, math = []) {
      for (const t of threads) t.postMessage({ module, memory, driver, math });
      return loaded++;
    },
    run(kernel, params, own, steal) {
      if (broken) return false;
      gen = (gen + 1) | 0 || 1;
      for (let w = 0; w < workers; w++) {
        const c = ctrls[w]!;
        const ps = params[w]!;
        c[KERNEL] = kernel;
        for (let i = 0; i < ps.length; i++) c[KERNEL + 1 + i] = ps[i]!;
        Atomics.store(c, JOB, gen);
        Atomics.store(c, GEN, gen);
        Atomics.notify(c, GEN);
      }
      own();
      ctrls.forEach((c, w) => {
        if (steal && Atomics.compareExchange(c, JOB, gen, 0) === gen) {
          steal(w);
          return;
        }
        const t0 = performance.now();
        for (;;) {
          const done = Atomics.load(c, DONE);
          if (done === gen || Atomics.load(c, STATE) === -1) break;
          if (block) Atomics.wait(c, DONE, done, 1000);
          // A worker's errors are events this spinning thread cannot see: give up on it after a while.
          else if (performance.now() - t0 > 10_000) Atomics.store(c, STATE, -1);
        }
      });
      if (ctrls.some((c) => Atomics.load(c, STATE) === -1)) broken = true;
      return !broken;
    },
  };
}

/** undefined: not tried yet; null: threads unavailable or disabled. */
let shared: ThreadPool | null | undefined;

/**
 * The process's pool (threadCount() − 1 workers), started on first call; null with a single thread
 * (NABLA_THREADS=1, one core, no SharedArrayBuffer, or neither worker_threads nor an isolated page).
 */
export function sharedPool(): ThreadPool | null {
  if (shared === undefined) {
    const threads = threadCount();
    shared =
      threads < 2 ? null : nodeProcess() ? createNodePool(threads - 1) : createBrowserPool(threads - 1);
  }
  return shared;
}
