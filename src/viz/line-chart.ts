// Line charts of one or more curves (a function and its derivatives, an error curve) as standalone SVG.
import type { Markish } from "@observablehq/plot";
import { ValueError } from "../core/errors.js";
import {
  breakAtJumps,
  checkDomain,
  cleanSeries,
  extentDomain,
  finiteValues,
  robustDomain,
  type Series,
  validateSeries,
} from "./data.js";
import { serializeSvg, svgDocument } from "./dom.js";
import { drawHeader, layoutHeader, seriesColor, textWidth } from "./legend.js";
import { plotLibrary } from "./libs.js";
import { axisTicks, type Ticks } from "./ticks.js";

/**
 * How {@link lineChart} draws its axes and frame. Sizes are in SVG pixels.
 * @example
 * ```ts
 * const opts: LineChartOptions = { title: "Error", xLabel: "h", yLabel: "|error|", logX: true, logY: true };
 * ```
 */
export interface LineChartOptions {
  /** Drawn bold above the legend. */
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic x axis; points with x ≤ 0 are dropped (the line breaks there). */
  logX?: boolean;
  /** Logarithmic y axis; points with y ≤ 0 (an exact zero error, say) are dropped. */
  logY?: boolean;
  /** Default 720. */
  width?: number;
  /** Default 440. */
  height?: number;
  /** The y range to show. Without it the range fits the data, clipping spikes (poles) robustly. */
  yDomain?: [number, number];
  /** A horizontal rule at y = 0 (linear y axes only). */
  zeroLine?: boolean;
}

const FONT_SIZE = 12;
const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, 'DejaVu Sans', sans-serif";
const TICK_GAP = 9; // Plot's default: tick length 6 plus padding 3

/** Pixel position of `v` on an axis of `length` px showing `domain`. */
const position = (v: number, [lo, hi]: readonly [number, number], log: boolean, length: number): number =>
  log
    ? ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * length
    : ((v - lo) / (hi - lo)) * length;

/** The most x ticks (at most `count`) whose labels do not collide along an axis `length` px long. */
function xTicks(domain: [number, number], log: boolean, length: number, fs: number): Ticks {
  for (let count = Math.max(2, Math.round(length / (log ? 60 : 80))); ; count--) {
    const ticks = axisTicks(domain, log, count, false);
    const px = ticks.values.map((v) => position(v, ticks.domain, log, length));
    const widest = Math.max(...ticks.labels.map((l) => textWidth(l, fs)));
    const fits = px.every((p, i) => i === 0 || p - px[i - 1] >= widest + fs);
    if (fits || count <= 2) return ticks;
  }
}

const labelOf = (ticks: Ticks) => {
  const labels = new Map(ticks.values.map((v, i) => [v, ticks.labels[i]]));
  return (v: number) => labels.get(v) ?? "";
};

/**
 * Draws curves on one labelled chart and returns a standalone SVG document (namespaces, white
 * background, title and legend inside the SVG), ready to save as `.svg` or pass to {@link svgToPng}.
 *
 * NaN and ±Infinity break a line instead of breaking the chart; on log axes non-positive values do the
 * same. Without `yDomain`, the y range follows the 2nd–98th percentiles when a curve shoots off (a pole,
 * a derivative blowing up) and the full data otherwise. Draws with the optional packages
 * `@observablehq/plot` and, in Node, `linkedom` (`npm install @observablehq/plot linkedom`); in a browser,
 * after `await nb.viz.load(await import("@observablehq/plot"))`.
 * @throws {ValueError} when there are no series, a series is empty or its x and y lengths differ;
 * {MissingPackageError} when a chart package is not installed.
 * @example
 * ```ts
 * const x = Array.from({ length: 101 }, (_, i) => -2 + (6 * i) / 100);
 * const svg = lineChart(
 *   [
 *     { label: "f(x) = x³", x, y: x.map((t) => t ** 3) },
 *     { label: "f′(x) = 3x²", x, y: x.map((t) => 3 * t ** 2) },
 *   ],
 *   { title: "A function and its derivative", xLabel: "x", yLabel: "y", zeroLine: true },
 * );
 * svg.startsWith("<svg"); // true
 * ```
 */
export function lineChart(series: readonly Series[], options: LineChartOptions = {}): string {
  const op = "lineChart";
  validateSeries(op, series);
  const { title, xLabel, yLabel, logX = false, logY = false, zeroLine = false } = options;
  const { width = 720, height = 440, yDomain } = options;
  for (const [name, v] of [["width", width] as const, ["height", height] as const]) {
    if (!Number.isFinite(v) || v < 120)
      throw new ValueError(`${op}: ${name} ${v} is too small; use 120 or more`);
  }
  if (yDomain) checkDomain(op, "yDomain", yDomain, logY);
  const fs = FONT_SIZE;
  const pad = Math.round(fs * 0.9);
  let clean = series.map((s) => cleanSeries(s, logX, logY));

  // The header (title + legend rows) sets the top margin; the tick labels set the left one.
  const header = layoutHeader(
    title,
    clean.map((s) => s.label),
    width - 2 * pad,
    fs,
  );
  const marginTop = Math.round(header.height + fs * 0.8);
  const marginBottom = Math.round(TICK_GAP + fs * 1.2 + (xLabel ? fs * 0.6 + fs * 1.2 : 0) + pad * 0.5);
  const plotHeight = height - marginTop - marginBottom;
  const fitted = yDomain ?? robustDomain(finiteValues(clean, "y"), logY);
  const y = axisTicks(fitted, logY, Math.max(2, Math.round(plotHeight / 45)), !yDomain);
  const tickWidth = Math.max(...y.labels.map((l) => textWidth(l, fs)));
  const marginLeft = Math.round(3 + (yLabel ? fs * 1.2 + fs * 0.6 : 0) + tickWidth + TICK_GAP);
  const xDomain = extentDomain(finiteValues(clean, "x"), logX);
  const x = xTicks(xDomain, logX, width - marginLeft - 2 * fs, fs);
  const lastX = x.values[x.values.length - 1];
  const hangs = Math.abs(position(lastX, x.domain, logX, 1) - 1) < 1e-9;
  const marginRight = Math.round(
    Math.max(1.5 * fs, hangs ? textWidth(x.labels[x.labels.length - 1], fs) / 2 + 4 : 0),
  );
  clean = clean.map((s) => breakAtJumps(s, y.domain));

  const Plot = plotLibrary(op);
  const marks: Markish[] = [Plot.frame({ strokeOpacity: 0.25 })];
  if (zeroLine && !logY && y.domain[0] <= 0 && y.domain[1] >= 0) {
    marks.push(Plot.ruleY([0], { stroke: "currentColor", strokeOpacity: 0.6 }));
  }
  clean.forEach((s, i) => {
    const channels = { x: s.x, y: s.y, stroke: seriesColor(i), strokeWidth: 2 };
    marks.push(
      Plot.line({ length: s.x.length }, { ...channels, clip: true, className: `nabla-series-${i}` }),
    );
  });
  const axis = { labelAnchor: "center", labelArrow: "none", grid: true } as const;
  const svg = Plot.plot({
    document: svgDocument(op),
    width,
    height,
    marginTop,
    marginRight,
    marginBottom,
    marginLeft,
    ariaLabel: title,
    x: {
      ...axis,
      type: logX ? "log" : "linear",
      domain: x.domain,
      ticks: x.values,
      tickFormat: labelOf(x),
      label: xLabel ?? null,
      labelOffset: marginBottom - pad * 0.5 - fs * 0.25,
    },
    y: {
      ...axis,
      type: logY ? "log" : "linear",
      domain: y.domain,
      ticks: y.values,
      tickFormat: labelOf(y),
      label: yLabel ?? null,
      labelOffset: marginLeft - 3,
    },
    marks,
  }) as unknown as SVGSVGElement;
  svg.setAttribute("font-size", String(fs));
  svg.setAttribute("font-family", FONT_FAMILY);
  drawHeader(svg, header, title, { left: marginLeft, right: width - marginRight, width, height, pad });
  return serializeSvg(svg);
}
