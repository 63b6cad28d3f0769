// nb.profile: time spent per primitive (eager), per compiled step and per compiled call (jit), as a table
// sorted by total time and as Chrome trace events (chrome://tracing, Perfetto). While nothing is being
// profiled the hooks cost one boolean check (`profiler.active`).
import { ValueError } from "../core/errors.js";

/** What an event measured. */
export type ProfileCategory =
  | "primitive"
  | "fused"
  | "matmul"
  | "kernel"
  | "copy"
  | "call"
  | "jit"
  | "compile";

/** One timed interval, in the form of the Chrome trace-event format's complete events (`ph: "X"`). */
export interface TraceEvent {
  readonly name: string;
  readonly cat: ProfileCategory;
  readonly ph: "X";
  /** Start, in microseconds from the start of the profile. */
  readonly ts: number;
  /** Duration in microseconds. */
  readonly dur: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: Readonly<Record<string, string | number>>;
}

/** One row of a profile: every event of one name and category, added up. */
export interface ProfileRow {
  readonly name: string;
  readonly category: ProfileCategory;
  readonly count: number;
  /** Milliseconds in these events, nested events included. */
  readonly totalMs: number;
  /** Milliseconds in these events minus the events nested in them (a compiled call minus its steps). */
  readonly selfMs: number;
  readonly meanMs: number;
}

interface RawEvent {
  name: string;
  cat: ProfileCategory;
  t0: number;
  t1: number;
  args: Record<string, string | number> | (() => Record<string, string | number>) | undefined;
}

interface Recorder {
  events: RawEvent[];
}

/** Read by the hooks in eval and jit: true only while `profile` runs. */
export const profiler = { active: false };
const recorders: Recorder[] = [];

const clock: { now(): number } =
  typeof performance !== "undefined" && typeof performance.now === "function" ? performance : Date;

/** Milliseconds on a monotonic clock. */
export const now = (): number => clock.now();

/**
 * Records an interval that started at `t0` (from {@link now}) and ends now. `args` may be a function, called
 * only when the trace is written.
 */
export function record(
  name: string,
  cat: ProfileCategory,
  t0: number,
  args?: RawEvent["args"],
  t1: number = now(),
): void {
  const e: RawEvent = { name, cat, t0, t1, args };
  for (const r of recorders) r.events.push(e);
}

/**
 * The result of {@link profile}: `result` is what the callback returned; `rows` add the time up per
 * primitive, fused loop, matrix product and compiled call, largest total first; `traceEvents` and
 * `writeTrace` give the timeline in Chrome's trace-event format.
 * @example
 * ```ts
 * const report: nb.ProfileReport<nb.Tensor> = nb.profile(() => nb.tanh(nb.ones([100])));
 * report.result;                 // the tensor the callback returned
 * report.rows.map((r) => r.name); // ["broadcast_in_dim", "tanh"] (largest total first)
 * report.traceEvents[0]!.ph;     // "X"
 * ```
 */
export class ProfileReport<R = unknown> {
  /** Wall-clock milliseconds of the whole callback. */
  readonly totalMs: number;
  readonly rows: readonly ProfileRow[];
  private readonly events: readonly RawEvent[];
  private readonly start: number;

  constructor(
    readonly result: R,
    events: readonly RawEvent[],
    start: number,
    end: number,
  ) {
    this.events = events;
    this.start = start;
    this.totalMs = end - start;
    this.rows = aggregate(events);
  }

  /** The events as Chrome trace events, in start order. */
  get traceEvents(): TraceEvent[] {
    const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 1;
    return this.events.map((e) => ({
      name: e.name,
      cat: e.cat,
      ph: "X",
      ts: round3((e.t0 - this.start) * 1000),
      dur: round3((e.t1 - e.t0) * 1000),
      pid,
      tid: 1,
      args: typeof e.args === "function" ? e.args() : (e.args ?? {}),
    }));
  }

  /** `{ traceEvents }`: the JSON object chrome://tracing and Perfetto open. */
  toJSON(): { traceEvents: TraceEvent[]; displayTimeUnit: "ms" } {
    return { traceEvents: this.traceEvents, displayTimeUnit: "ms" };
  }

  /**
   * Writes the trace as JSON to `path` (Node only; open it in chrome://tracing or ui.perfetto.dev).
   * @example
   * ```ts
   * const report = nb.profile(() => nb.sum(nb.exp(nb.ones([1000]))));
   * await report.writeTrace("/tmp/nabla-trace.json");
   * ```
   */
  async writeTrace(path: string): Promise<void> {
    const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
    if (proc?.versions?.node === undefined)
      throw new ValueError(
        "ProfileReport.writeTrace writes files with node:fs and runs in Node only; in a browser, save JSON.stringify(report) instead",
      );
    const fs = await import("node:fs/promises");
    await fs.writeFile(path, JSON.stringify(this));
  }

  /** The rows as an aligned text table (largest total first), `limit` rows at most (default 30). */
  table(limit = 30): string {
    const rows = this.rows.slice(0, limit);
    const head = ["total ms", "self ms", "count", "mean ms", "category", "name"];
    const body = rows.map((r) => [
      fmtMs(r.totalMs),
      fmtMs(r.selfMs),
      String(r.count),
      fmtMs(r.meanMs),
      r.category,
      r.name,
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i >= 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
        .join("  ")
        .trimEnd();
    const more = this.rows.length > rows.length ? [`… ${this.rows.length - rows.length} more rows`] : [];
    return [line(head), ...body.map(line), ...more].join("\n");
  }

  /** A summary line and the table. */
  toString(): string {
    return `profile: ${fmtMs(this.totalMs)} ms in total, ${this.events.length} events\n${this.table()}`;
  }
}

/**
 * Runs `f` and reports where the time went: per primitive run eagerly, per fused loop, matrix product and
 * kernel of a jit-compiled program (with the engine that ran it), per compiled call and per compilation.
 * Returns a {@link ProfileReport} (`report.table()`, `report.traceEvents`, `report.writeTrace(path)`);
 * for an async `f`, a promise of one (operations of other code running meanwhile are counted too).
 * @example
 * ```ts
 * const f = nb.jit((x: nb.Tensor) => nb.sum(nb.tanh(nb.mul(x, x))));
 * const report = nb.profile(() => {
 *   f(nb.ones([1000]));
 *   return nb.exp(nb.ones([10]));
 * });
 * console.log(report.table()); // total ms, self ms, count, mean ms, category, name
 * report.rows[0]!.name;        // the row with the largest total, e.g. "compile <anonymous>"
 * JSON.stringify(report);      // { "traceEvents": [{ "name": "exp", "ph": "X", ... }], ... }
 * ```
 */
export function profile<R>(f: () => Promise<R>): Promise<ProfileReport<R>>;
export function profile<R>(f: () => R): ProfileReport<R>;
export function profile<R>(f: () => R | Promise<R>): ProfileReport<R> | Promise<ProfileReport<R>> {
  if (typeof f !== "function") throw new ValueError(`profile: expected a function, got ${typeof f}`);
  const rec: Recorder = { events: [] };
  recorders.push(rec);
  profiler.active = true;
  const start = now();
  const stop = () => {
    const i = recorders.lastIndexOf(rec);
    if (i >= 0) recorders.splice(i, 1);
    profiler.active = recorders.length > 0;
    return now();
  };
  let result: R | Promise<R>;
  try {
    result = f();
  } catch (e) {
    stop();
    throw e;
  }
  if (result instanceof Promise)
    return result.then(
      (r) => new ProfileReport(r, rec.events, start, stop()),
      (e: unknown) => {
        stop();
        throw e;
      },
    );
  return new ProfileReport(result, rec.events, start, stop());
}

/** Rows per (category, name), with self time from the nesting of events. */
function aggregate(events: readonly RawEvent[]): ProfileRow[] {
  // Events are recorded when they end, so a parent comes after its children: order by start, then longest.
  const sorted = events.slice().sort((a, b) => a.t0 - b.t0 || b.t1 - a.t1);
  const self = new Map<RawEvent, number>();
  const open: RawEvent[] = [];
  for (const e of sorted) {
    while (open.length > 0 && open[open.length - 1]!.t1 <= e.t0) open.pop();
    const parent = open[open.length - 1];
    if (parent !== undefined && e.t1 <= parent.t1) self.set(parent, self.get(parent)! - (e.t1 - e.t0));
    self.set(e, e.t1 - e.t0);
    open.push(e);
  }
  const rows = new Map<
    string,
    { name: string; category: ProfileCategory; count: number; total: number; self: number }
  >();
  for (const e of events) {
    const key = `${e.cat}|${e.name}`;
    let r = rows.get(key);
    if (r === undefined) {
      r = { name: e.name, category: e.cat, count: 0, total: 0, self: 0 };
      rows.set(key, r);
    }
    r.count++;
    r.total += e.t1 - e.t0;
    r.self += Math.max(0, self.get(e)!);
  }
  return [...rows.values()]
    .map((r) => ({
      name: r.name,
      category: r.category,
      count: r.count,
      totalMs: r.total,
      selfMs: r.self,
      meanMs: r.total / r.count,
    }))
    .sort((a, b) => b.totalMs - a.totalMs);
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const fmtMs = (ms: number) => (ms >= 100 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));
