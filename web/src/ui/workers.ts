// The page's side of the compute workers: typed calls with timeouts, and lanes that run only the latest job.
import type {
  FromWorker,
  JobKind,
  JobOf,
  ProgressOf,
  ResultOf,
  ToWorker,
  WorkerError,
} from "../compute/protocol.js";

/** A job's failure as reported by the worker (a ParseError keeps its column). */
export class JobError extends Error {
  readonly column?: number;
  constructor(e: WorkerError) {
    super(e.message);
    this.name = e.name;
    this.column = e.column;
  }
}

/** The job ran past its time budget; its worker was stopped and replaced so the page stays responsive. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** A newer job of the same lane replaced this one before it started, or the worker was restarted. */
export class Superseded extends Error {
  override name = "Superseded";
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (v: unknown) => void;
  timer?: ReturnType<typeof setTimeout>;
}

export interface CallOptions<K extends JobKind> {
  timeoutMs?: number;
  onProgress?: (v: ProgressOf<K>) => void;
  transfer?: Transferable[];
}

let nextId = 1;

/** One dedicated worker running src/compute/worker.ts. */
export class ComputeWorker {
  private worker: Worker;
  private readonly pending = new Map<number, Pending>();
  /** Called after the worker was replaced (its state, e.g. a network being trained, is gone). */
  onRestart: (() => void) | null = null;

  constructor(readonly name: string) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(new URL("../compute/worker.ts", import.meta.url), {
      type: "module",
      name: this.name,
    });
    w.onmessage = (ev: MessageEvent<FromWorker>) => {
      const msg = ev.data;
      const p = this.pending.get(msg.id);
      if (!p) return;
      if (msg.type === "progress") {
        p.onProgress?.(msg.value);
        return;
      }
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.type === "result") p.resolve(msg.value);
      else p.reject(new JobError(msg.error));
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      this.restart(new Error(`worker ${this.name} failed: ${ev.message}`));
    };
    return w;
  }

  call<K extends JobKind>(
    kind: K,
    job: JobOf<K>,
    options: CallOptions<K> = {},
  ): { id: number; done: Promise<ResultOf<K>> } {
    const id = nextId++;
    const done = new Promise<ResultOf<K>>((resolve, reject) => {
      const p: Pending = {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: options.onProgress as (v: unknown) => void,
      };
      if (options.timeoutMs !== undefined)
        p.timer = setTimeout(() => {
          this.restart(
            new TimeoutError(
              `${kind} took longer than ${(options.timeoutMs! / 1000).toFixed(0)} s and was stopped`,
            ),
            id,
          );
        }, options.timeoutMs);
      this.pending.set(id, p);
    });
    const msg: ToWorker = { id, kind, job };
    this.worker.postMessage(msg, options.transfer ?? []);
    return { id, done };
  }

  cancel(id: number): void {
    const msg: ToWorker = { id, cancel: true };
    this.worker.postMessage(msg);
  }

  /** Stops the worker (whatever it is doing) and starts a fresh one; pending calls fail. */
  restart(reason: Error = new Superseded("worker restarted"), culprit?: number): void {
    this.worker.terminate();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(id === culprit || culprit === undefined ? reason : new Superseded("worker restarted"));
    }
    this.pending.clear();
    this.worker = this.spawn();
    this.onRestart?.();
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }
}

/**
 * Runs one job at a time on a worker and keeps only the newest waiting job: while the user drags or
 * types, intermediate requests are dropped (their promises reject with Superseded) instead of queueing.
 */
export class Lane<K extends JobKind> {
  private running: string | null = null;
  private waiting: { job: JobOf<K>; resolve: (v: ResultOf<K>) => void; reject: (e: Error) => void } | null =
    null;

  /**
   * With `keyOf`, a job whose key differs from the running one's (another formula, say) stops the worker
   * at once instead of waiting for stale work to finish.
   */
  constructor(
    readonly worker: ComputeWorker,
    readonly kind: K,
    readonly timeoutMs: number,
    private readonly keyOf?: (job: JobOf<K>) => string,
  ) {}

  run(job: JobOf<K>): Promise<ResultOf<K>> {
    return new Promise<ResultOf<K>>((resolve, reject) => {
      this.waiting?.reject(new Superseded("replaced by a newer request"));
      this.waiting = { job, resolve, reject };
      if (this.running !== null && this.keyOf && this.keyOf(job) !== this.running) this.worker.restart();
      this.pump();
    });
  }

  private pump(): void {
    if (this.running !== null || !this.waiting) return;
    const { job, resolve, reject } = this.waiting;
    this.waiting = null;
    this.running = this.keyOf ? this.keyOf(job) : "";
    this.worker
      .call(this.kind, job, { timeoutMs: this.timeoutMs })
      .done.then(resolve, reject)
      .finally(() => {
        this.running = null;
        this.pump();
      });
  }
}

/** Threads to spread curve sampling over: only with cross-origin isolation can they share one buffer. */
export function samplerCount(): number {
  const isolated =
    typeof crossOriginIsolated !== "undefined" &&
    crossOriginIsolated &&
    typeof SharedArrayBuffer !== "undefined";
  if (!isolated) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 2));
}

/** f and its derivatives on a grid, rows k = 0 … orders. */
export interface Samples {
  from: number;
  to: number;
  n: number;
  xs: Float64Array;
  ys: Float64Array[];
  threads: number;
  ms: number;
}

/**
 * Samples curves on one or more workers. With cross-origin isolation the grid is split across threads
 * that write into one SharedArrayBuffer; otherwise one worker computes it and hands the buffers over.
 * Only the newest request is kept while one is running.
 */
export class Sampler {
  readonly workers: ComputeWorker[];
  private running = false;
  private waiting: { args: SampleArgs; resolve: (s: Samples) => void; reject: (e: Error) => void } | null =
    null;

  constructor(
    threads: number,
    private readonly timeoutMs: number,
  ) {
    this.workers = Array.from({ length: threads }, (_, i) => new ComputeWorker(`sampler-${i}`));
  }

  sample(args: SampleArgs): Promise<Samples> {
    return new Promise((resolve, reject) => {
      this.waiting?.reject(new Superseded("replaced by a newer request"));
      this.waiting = { args, resolve, reject };
      // Another formula: stop sampling the old one now rather than after it finishes.
      if (this.running && this.runningKey !== JSON.stringify(args.spec))
        for (const w of this.workers) if (w.busy) w.restart();
      this.pump();
    });
  }

  private runningKey = "";

  private pump(): void {
    if (this.running || !this.waiting) return;
    const { args, resolve, reject } = this.waiting;
    this.waiting = null;
    this.running = true;
    this.runningKey = JSON.stringify(args.spec);
    this.run(args)
      .then(resolve, reject)
      .finally(() => {
        this.running = false;
        this.pump();
      });
  }

  private async run({ spec, from, to, n, orders }: SampleArgs): Promise<Samples> {
    const t0 = performance.now();
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = i === n - 1 ? to : from + ((to - from) * i) / (n - 1);
    const T = this.workers.length;
    const job = { spec, from, to, n, orders, i0: 0, i1: n };
    if (T === 1) {
      const r = await this.workers[0]!.call("curves", job, { timeoutMs: this.timeoutMs }).done;
      return { from, to, n, xs, ys: r.ys!, threads: 1, ms: performance.now() - t0 };
    }
    const shared = new SharedArrayBuffer((orders + 1) * n * 8);
    const chunk = Math.ceil(n / T);
    const calls = this.workers.map(
      (w, t) =>
        w.call(
          "curves",
          { ...job, i0: t * chunk, i1: Math.min(n, (t + 1) * chunk), shared },
          { timeoutMs: this.timeoutMs },
        ).done,
    );
    try {
      await Promise.all(calls);
    } catch (e) {
      // One thread failed or timed out: stop the others too.
      for (const w of this.workers) if (w.busy) w.restart();
      throw e;
    }
    const ys = Array.from({ length: orders + 1 }, (_, k) => new Float64Array(shared, k * n * 8, n));
    return { from, to, n, xs, ys, threads: T, ms: performance.now() - t0 };
  }
}

export interface SampleArgs {
  spec: import("../compute/fn.js").FnSpec;
  from: number;
  to: number;
  n: number;
  orders: number;
}
