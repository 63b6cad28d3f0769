// The compute worker: every nabla computation of the playground runs here, off the page's main thread.
import * as nb from "nabla";
import {
  errorCurve,
  formula,
  MAX_SAMPLES,
  pointValues,
  programPicture,
  sampleCurves,
} from "./derivatives.js";
import { MAX_ITERATIONS, Objective, PathRunner } from "./optimize.js";
import type { FromWorker, JobKind, Jobs, ProgressOf, ResultOf, ToWorker, TrainProgress } from "./protocol.js";
import { Trainer, type TrainSnapshot } from "./training.js";

interface Scope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as Scope;

const cancelled = new Set<number>();
/** Lets queued messages (cancellations, settings) in between chunks of a long job. */
const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

type Ctx<K extends JobKind> = {
  id: number;
  progress: (value: ProgressOf<K>, transfer?: Transferable[]) => void;
};
type Handler<K extends JobKind> = (job: Jobs[K]["job"], ctx: Ctx<K>) => ResultOf<K> | Promise<ResultOf<K>>;

let trainer: Trainer | null = null;

const handlers: { [K in JobKind]: Handler<K> } = {
  curves({ spec, from, to, n, i0, i1, orders, shared }) {
    if (!(n >= 2 && n <= 2 * MAX_SAMPLES + 1))
      throw new nb.ValueError(`curves: ${n} samples is outside 2 … ${2 * MAX_SAMPLES + 1}`);
    if (shared) {
      const rows = Array.from({ length: orders + 1 }, (_, k) => new Float64Array(shared, k * n * 8, n));
      sampleCurves(spec, { from, to, n, i0, i1 }, orders, rows);
      return { ys: null };
    }
    const rows = Array.from({ length: orders + 1 }, () => new Float64Array(n));
    sampleCurves(spec, { from, to, n, i0, i1 }, orders, rows);
    return { ys: rows };
  },
  point: ({ spec, x0, maxOrder }) => pointValues(spec, x0, maxOrder),
  formula: ({ spec, order }) => formula(spec, order),
  errorCurve: ({ spec, x0, order }) => errorCurve(spec, x0, order),
  program: ({ spec, order, x0 }) => programPicture(spec, order, x0),
  surface({ text, xd, yd, nx, ny }) {
    if (!(nx >= 2 && ny >= 2 && nx * ny <= 400 * 400))
      throw new nb.ValueError(`surface: a ${nx}×${ny} grid is too fine (at most 400×400)`);
    const o = new Objective(text);
    return { z: o.grid(xd, yd, nx, ny), vars: o.vars };
  },
  async optimize({ text, methods, starts, maxIter }, ctx) {
    const o = new Objective(text);
    const cap = Math.min(MAX_ITERATIONS, Math.max(1, Math.round(maxIter)));
    const runners: PathRunner[] = [];
    starts.forEach((s, i) => {
      for (const m of methods) runners.push(new PathRunner(o, m, s, i));
    });
    let last = performance.now();
    while (runners.some((r) => r.path.status === "running")) {
      for (const r of runners) r.advance(5, cap);
      if (performance.now() - last > 40) {
        ctx.progress(runners.map((r) => r.path));
        await tick();
        if (cancelled.has(ctx.id)) throw new Cancelled();
        last = performance.now();
      }
    }
    return runners.map((r) => r.path);
  },
  trainReset({ config, res, extent }) {
    trainer = new Trainer(config);
    const { X, y } = trainer.data;
    return { data: { X: X.slice(), y: y.slice() }, boundary: trainer.boundary(res, extent) };
  },
  async train({ steps, res, extent }, ctx) {
    const t = trainer;
    if (!t) throw new nb.ValueError("train: no network yet; reset first");
    let batch: TrainSnapshot[] = [];
    let lastPost = performance.now();
    let lastBoundary = 0;
    const report = (final: boolean): TrainProgress => {
      const now = performance.now();
      const withBoundary = final || now - lastBoundary > 250;
      if (withBoundary) lastBoundary = now;
      const out = {
        snapshots: batch,
        accuracy: t.accuracy(),
        boundary: withBoundary ? t.boundary(res, extent) : null,
        step: t.stepCount,
      };
      batch = [];
      return out;
    };
    for (let i = 0; i < steps; i++) {
      batch.push(t.step());
      if (performance.now() - lastPost > 90 && i < steps - 1) {
        const p = report(false);
        ctx.progress(p, p.boundary ? [p.boundary.buffer] : []);
        await tick();
        if (cancelled.has(ctx.id) || trainer !== t) break;
        lastPost = performance.now();
      }
    }
    return report(true);
  },
  trainSet({ lr, optimizer }) {
    if (trainer) trainer.config = { ...trainer.config, lr, optimizer };
    return null;
  },
};

class Cancelled extends Error {
  override name = "Cancelled";
}

/** Typed-array buffers in a result, handed over instead of copied. */
function transfers(value: unknown): Transferable[] {
  const out: Transferable[] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown) => {
    if (v instanceof Float64Array || v instanceof Int32Array) {
      if (!(v.buffer instanceof ArrayBuffer) || seen.has(v.buffer)) return;
      seen.add(v.buffer);
      out.push(v.buffer);
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v).forEach(walk);
  };
  walk(value);
  return out;
}

function errorOf(e: unknown): { name: string; message: string; column?: number } {
  if (e instanceof nb.ParseError) return { name: e.name, message: e.message, column: e.column };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: "Error", message: String(e) };
}

scope.onmessage = async (ev) => {
  const msg = ev.data;
  if ("cancel" in msg) {
    cancelled.add(msg.id);
    return;
  }
  const { id, kind, job } = msg;
  const ctx = {
    id,
    progress: (value: unknown, transfer: Transferable[] = []) =>
      scope.postMessage({ id, type: "progress", value }, transfer),
  };
  try {
    const handler = handlers[kind] as Handler<JobKind>;
    const value = await handler(job as never, ctx as Ctx<JobKind>);
    scope.postMessage({ id, type: "result", value }, transfers(value));
  } catch (e) {
    scope.postMessage({ id, type: "error", error: errorOf(e) });
  } finally {
    cancelled.delete(id);
  }
};
