// A chart of a scalar function and its Taylor polynomials around a point (standalone SVG via lineChart).
import { ValueError } from "../core/errors.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { vmap } from "../transforms/api.js";
import { lineChart, type Series } from "../viz/index.js";
import { taylorPolynomial } from "./taylor.js";

/**
 * Options of {@link taylorChart}.
 * @example
 * ```ts
 * const options: nb.analysis.TaylorChartOptions = { points: 301, title: "sin and its Taylor polynomials" };
 * ```
 */
export interface TaylorChartOptions {
  /** Samples across the interval (default 241). */
  points?: number;
  title?: string;
  /** The y range (default: f's range plus a margin, so diverging polynomials leave the frame). */
  yDomain?: [number, number];
  width?: number;
  height?: number;
}

/**
 * f and its Taylor polynomials of the given degrees around x0 on one chart, over [from, to], as a standalone
 * SVG string ({@link lineChart}).
 * @throws {ValueError} for an empty interval, x0 outside it, or no degrees.
 * @example
 * ```ts
 * const svg = nb.analysis.taylorChart(nb.sin, 0, [1, 3, 5, 7], [-2 * Math.PI, 2 * Math.PI]);
 * svg.startsWith("<svg"); // true
 * ```
 */
export function taylorChart(
  f: (x: Tensor) => Tensor,
  x0: number,
  degrees: readonly number[],
  [from, to]: readonly [number, number],
  options: TaylorChartOptions = {},
): string {
  if (!(Number.isFinite(from) && Number.isFinite(to) && from < to))
    throw new ValueError(`taylorChart: the interval [${from}, ${to}] must be finite and increasing`);
  if (!(x0 >= from && x0 <= to))
    throw new ValueError(`taylorChart: x0 = ${x0} lies outside [${from}, ${to}]`);
  if (degrees.length === 0) throw new ValueError("taylorChart: give at least one degree");
  const points = options.points ?? 241;
  const xs = Float64Array.from({ length: points }, (_, i) => from + ((to - from) * i) / (points - 1));
  const xt = new ConcreteTensor(xs, { shape: [points], dtype: "float64", weak: false });
  const ys = Array.from((vmap(f)(xt) as Tensor).dataSync());
  const finite = ys.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const margin = Math.max(0.3 * (hi - lo), 1e-6 * Math.max(1, Math.abs(hi)), 0.5);
  const x = Array.from(xs);
  const series: Series[] = [{ label: "f(x)", x, y: ys }];
  for (const d of [...degrees].sort((a, b) => a - b)) {
    const t = taylorPolynomial(f, x0, d);
    series.push({ label: `degree ${d}`, x, y: x.map(t.p) });
  }
  return lineChart(series, {
    title: options.title ?? `Taylor polynomials around x₀ = ${Number(x0.toPrecision(6))}`,
    xLabel: "x",
    yLabel: "y",
    yDomain: options.yDomain ?? [lo - margin, hi + margin],
    zeroLine: true,
    width: options.width,
    height: options.height,
  });
}
