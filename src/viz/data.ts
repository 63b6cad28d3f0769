// Turns user series into plottable arrays: validation, gaps for non-finite values, robust axis domains.
import { ValueError } from "../core/errors.js";

/**
 * One named curve: `y[i]` is the value at `x[i]`. Non-finite values (NaN, ±Infinity) leave a gap.
 * @example
 * ```ts
 * const s: Series = { label: "sin", x: [0, 1, 2], y: [0, Math.sin(1), Math.sin(2)] };
 * ```
 */
export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

/** A series after cleaning: plain arrays where NaN marks a break in the line. */
export interface CleanSeries {
  label: string;
  x: number[];
  y: number[];
}

/** Checks the series the way every chart needs them and names the offending one. */
export function validateSeries(op: string, series: readonly Series[]): void {
  if (series.length === 0) throw new ValueError(`${op}: no series to plot; pass at least one {label, x, y}`);
  series.forEach((s, i) => {
    const name = `series ${i} ("${s.label}")`;
    if (s.x.length !== s.y.length) {
      throw new ValueError(
        `${op}: ${name} has ${s.x.length} x values but ${s.y.length} y values; x and y must have the same length`,
      );
    }
    if (s.x.length === 0) throw new ValueError(`${op}: ${name} is empty; give it at least one point`);
  });
}

/** Replaces values a log axis cannot show (≤ 0) and non-finite values with NaN, which Plot draws as a gap. */
export function cleanSeries(s: Series, logX: boolean, logY: boolean): CleanSeries {
  const ok = (v: number, log: boolean) => Number.isFinite(v) && (!log || v > 0);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < s.x.length; i++) {
    const xi = Number(s.x[i]);
    const yi = Number(s.y[i]);
    const keep = ok(xi, logX) && ok(yi, logY);
    x.push(keep ? xi : Number.NaN);
    y.push(keep ? yi : Number.NaN);
  }
  return { label: s.label, x, y };
}

/** Finite values of one coordinate across all series. */
export function finiteValues(series: readonly CleanSeries[], key: "x" | "y"): number[] {
  const out: number[] = [];
  for (const s of series) for (const v of s[key]) if (Number.isFinite(v)) out.push(v);
  return out;
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.round(q * (sorted.length - 1))];

/**
 * The y range worth showing. The 2nd–98th percentiles give the bulk of the data; an end is
 * clipped only when the tail beyond it stretches more than half that bulk again (a pole,
 * a derivative blowing up), so ordinary curves keep their full extent. Works in log10 space
 * for log axes.
 */
export function robustDomain(values: readonly number[], log: boolean): [number, number] {
  const t = log ? values.map(Math.log10) : [...values];
  if (t.length === 0) return log ? [1, 10] : [0, 1];
  t.sort((a, b) => a - b);
  const min = t[0];
  const max = t[t.length - 1];
  const from = (lo: number, hi: number): [number, number] => (log ? [10 ** lo, 10 ** hi] : [lo, hi]);
  if (max - min === 0) {
    const pad = log ? 0.5 : Math.max(Math.abs(min) * 0.1, 1);
    return from(min - pad, max + pad);
  }
  const lo = quantile(t, 0.02);
  const hi = quantile(t, 0.98);
  const bulk = hi - lo > 0 ? hi - lo : max - min;
  const bottom = lo - min > 0.5 * bulk ? lo - 0.1 * bulk : min;
  const top = max - hi > 0.5 * bulk ? hi + 0.1 * bulk : max;
  return from(bottom, top);
}

/** The full x extent, widened when it is a single value. */
export function extentDomain(values: readonly number[], log: boolean): [number, number] {
  if (values.length === 0) return log ? [1, 10] : [0, 1];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo < hi) return [lo, hi];
  return log ? [lo / 10, hi * 10] : [lo - 1, hi + 1];
}

/**
 * True where samples i−1 and i straddle a pole: the sign flips, |y| grows into the gap from both sides,
 * and the leap is bigger than the steps on either side. A sampled zero crossing shrinks towards the gap
 * instead, so smooth curves are never cut.
 */
function straddlesPole(y: readonly number[], i: number): boolean {
  const [a, b, c, d] = [y[i - 2], y[i - 1], y[i], y[i + 1]];
  if (!(b * c < 0) || !(Math.abs(b) > Math.abs(a)) || !(Math.abs(c) > Math.abs(d))) return false;
  const leap = Math.abs(c - b);
  return leap > Math.abs(b - a) && leap > Math.abs(d - c);
}

/**
 * Breaks a line where a pole falls between two samples, or where it leaps from above the domain to
 * below it: without the break Plot would draw a vertical stroke through the whole chart.
 */
export function breakAtJumps(s: CleanSeries, [bottom, top]: readonly [number, number]): CleanSeries {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < s.y.length; i++) {
    const prev = s.y[i - 1];
    const cur = s.y[i];
    const leapsOut = (prev > top && cur < bottom) || (prev < bottom && cur > top);
    if (i > 0 && (leapsOut || straddlesPole(s.y, i))) {
      x.push(Number.NaN);
      y.push(Number.NaN);
    }
    x.push(s.x[i]);
    y.push(cur);
  }
  return { label: s.label, x, y };
}

/** Checks a caller's domain: finite, increasing, and positive on a log axis. */
export function checkDomain(op: string, name: string, d: readonly [number, number], log: boolean): void {
  const [lo, hi] = d;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi) || (log && lo <= 0)) {
    throw new ValueError(
      `${op}: ${name} [${lo}, ${hi}] must be two finite numbers in increasing order` +
        (log ? " and positive, since the axis is logarithmic" : ""),
    );
  }
}
