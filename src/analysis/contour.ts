// Contour plots of a function of two variables with optimizer paths drawn on top, as standalone SVG.
import type { Markish } from "@observablehq/plot";
import { ValueError } from "../core/errors.js";
import { checkDomain } from "../viz/data.js";
import { serializeSvg, svgDocument, svgElement } from "../viz/dom.js";
import { drawHeader, layoutHeader, seriesColor } from "../viz/legend.js";
import { plotLibrary } from "../viz/libs.js";

/**
 * A labelled sequence of points (each `[x, y]`, or any array-like whose first two entries are x and y, such
 * as a `minimize` history entry's `x`).
 * @example
 * ```ts
 * const result = nb.optim.minimize((p: nb.Tensor) => nb.sum(nb.square(p)), nb.array([1, 2]), { method: "gd" });
 * const path: nb.analysis.ContourPath = { label: "gd", points: result.history.map((h) => h.x!) };
 * ```
 */
export interface ContourPath {
  label: string;
  points: readonly ArrayLike<number>[];
}

/**
 * Options of {@link contourChart}.
 * @example
 * ```ts
 * const options: nb.analysis.ContourChartOptions = { xRange: [-2, 2], yRange: [-1, 3], levels: 25, marker: [1, 1] };
 * ```
 */
export interface ContourChartOptions {
  xRange: [number, number];
  yRange: [number, number];
  paths?: readonly ContourPath[];
  /** The number of contour levels (default 20) or their values. */
  levels?: number | readonly number[];
  /** Levels evenly spaced in log10(f − min f) (default: when f spans more than two decades over the range). */
  logLevels?: boolean;
  /** A point to mark with a star (the known minimum, say). */
  marker?: readonly [number, number];
  /** The marker's legend entry (default "minimum (x, y)"). */
  markerLabel?: string;
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Default 720. */
  width?: number;
  /** Default 560. */
  height?: number;
}

const FONT_SIZE = 12;
const MAX_DOTS = 150;
const MARKER_COLOR = "#222222";
const FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, 'DejaVu Sans', sans-serif";

/** Values of f on a coarse grid, to choose levels from. */
function sample(f: (x: number, y: number) => number, [x0, x1]: [number, number], [y0, y1]: [number, number]) {
  const m = 80;
  const out: number[] = [];
  for (let i = 0; i <= m; i++)
    for (let j = 0; j <= m; j++) {
      const v = f(x0 + ((x1 - x0) * i) / m, y0 + ((y1 - y0) * j) / m);
      if (Number.isFinite(v)) out.push(v);
    }
  return out.sort((a, b) => a - b);
}

const quantile = (sorted: readonly number[], q: number) => sorted[Math.round(q * (sorted.length - 1))];

/** Drops points closer than `tol` (in data units per axis, scaled) to the last kept one; keeps both ends. */
function thin(points: readonly ArrayLike<number>[], sx: number, sy: number): [number[], number[]] {
  const xs: number[] = [];
  const ys: number[] = [];
  points.forEach((p, i) => {
    const x = Number(p[0]);
    const y = Number(p[1]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    const k = xs.length - 1;
    const far = k < 0 || Math.hypot((x - xs[k]) / sx, (y - ys[k]) / sy) >= 0.75;
    if (far || i === points.length - 1) {
      xs.push(x);
      ys.push(y);
    }
  });
  return [xs, ys];
}

/**
 * Draws the level sets of f(x, y) over a rectangle, filled light to dark with increasing f, and optimizer
 * paths on top (a line per path, a ring at its start, a dot at its end, and a dot at every iterate of paths
 * of at most 150 points), with the title and legend inside
 * the SVG. Paths are thinned to points at least ¾ px apart, so 20 000-step histories stay small. When f spans
 * many decades (Rosenbrock), levels are spaced evenly in log10(f − min f). Runs in Node and browsers.
 * @throws {ValueError} for an empty or reversed range, too few levels, or a path with no finite points.
 * @example
 * ```ts
 * const rosenbrock = (x: number, y: number) => (1 - x) ** 2 + 100 * (y - x * x) ** 2;
 * const svg = nb.analysis.contourChart(rosenbrock, {
 *   xRange: [-2, 2],
 *   yRange: [-1, 3],
 *   paths: [{ label: "a path", points: [[-1.2, 1], [0, 0], [1, 1]] }],
 *   marker: [1, 1],
 * });
 * svg.startsWith("<svg"); // true
 * ```
 */
export function contourChart(f: (x: number, y: number) => number, options: ContourChartOptions): string {
  const op = "contourChart";
  if (typeof f !== "function") throw new ValueError(`${op}: f must be a function (x, y) => number`);
  const { xRange, yRange, paths = [], title, marker, width = 720, height = 560 } = options;
  checkDomain(op, "xRange", xRange ?? [Number.NaN, Number.NaN], false);
  checkDomain(op, "yRange", yRange ?? [Number.NaN, Number.NaN], false);
  const values = sample(f, xRange, yRange);
  if (values.length < 4) throw new ValueError(`${op}: f is not finite anywhere on the range`);
  const vmin = values[0];
  const spread = (quantile(values, 0.95) - vmin) / Math.max(quantile(values, 0.05) - vmin, 1e-300);
  const log = options.logLevels ?? spread > 100;
  // log10(f − min + ε) with ε below every level of interest: the valley floor keeps a few levels.
  const eps = Math.max(quantile(values, 0.002) - vmin, 1e-12 * (values[values.length - 1] - vmin), 1e-300);
  const g = log ? (x: number, y: number) => Math.log10(f(x, y) - vmin + eps) : f;
  const levelSpec = options.levels ?? 20;
  let thresholds: number[];
  if (typeof levelSpec === "number") {
    if (!Number.isInteger(levelSpec) || levelSpec < 2)
      throw new ValueError(`${op}: levels must be an integer ≥ 2 or a list of values, got ${levelSpec}`);
    const tv = log ? values.map((v) => Math.log10(v - vmin + eps)) : values;
    const lo = tv[0];
    const hi = quantile(tv, log ? 0.97 : 0.95);
    thresholds = Array.from({ length: levelSpec }, (_, i) => lo + ((hi - lo) * i) / (levelSpec - 1));
  } else {
    thresholds = levelSpec.map((v) => (log ? Math.log10(v - vmin + eps) : v)).filter(Number.isFinite);
    if (thresholds.length === 0)
      throw new ValueError(`${op}: no usable levels in ${JSON.stringify(levelSpec)}`);
  }
  const fs = FONT_SIZE;
  const pad = Math.round(fs * 0.9);
  const labels = paths.map((p) => p.label);
  if (marker) labels.push(options.markerLabel ?? `minimum (${marker[0]}, ${marker[1]})`);
  const header = layoutHeader(title, labels, width - 2 * pad, fs);
  const marginTop = Math.round(header.height + fs * 0.8);
  const marginLeft = 52;
  const marginRight = 20;
  const marginBottom = 44;
  const sx = (xRange[1] - xRange[0]) / (width - marginLeft - marginRight);
  const sy = (yRange[1] - yRange[0]) / (height - marginTop - marginBottom);

  const Plot = plotLibrary(op);
  const marks: Markish[] = [
    Plot.contour({
      x1: xRange[0],
      x2: xRange[1],
      y1: yRange[0],
      y2: yRange[1],
      value: g,
      fill: "value",
      stroke: "#4a6a8a",
      strokeOpacity: 0.35,
      strokeWidth: 0.7,
      thresholds,
      pixelSize: 2,
    }),
    Plot.frame({ strokeOpacity: 0.3 }),
  ];
  paths.forEach((p, i) => {
    const [x, y] = thin(p.points, sx, sy);
    if (x.length === 0) throw new ValueError(`${op}: path ${i} ("${p.label}") has no finite points`);
    const color = seriesColor(i);
    const line = { x, y, clip: true, strokeLinejoin: "round" } as const;
    marks.push(
      Plot.line({ length: x.length }, { ...line, stroke: "white", strokeWidth: 3.6, strokeOpacity: 0.7 }),
      Plot.line({ length: x.length }, { ...line, stroke: color, strokeWidth: 1.8 }),
      Plot.dot([0], {
        x: [x[0]],
        y: [y[0]],
        r: 4,
        stroke: color,
        strokeWidth: 1.5,
        fill: "white",
        clip: true,
      }),
      Plot.dot([0], { x: [x[x.length - 1]], y: [y[y.length - 1]], r: 3.5, fill: color, clip: true }),
    );
    // Short paths (second-order methods) show every iterate: the number of steps is the point of the picture.
    if (p.points.length <= MAX_DOTS)
      marks.push(
        Plot.dot(
          { length: x.length },
          { x, y, r: 2.2, fill: color, stroke: "white", strokeWidth: 0.6, clip: true },
        ),
      );
  });
  if (marker) {
    const m = { x: [marker[0]], y: [marker[1]], symbol: "star", r: 7, clip: true } as const;
    marks.push(Plot.dot([0], { ...m, fill: MARKER_COLOR, stroke: "white", strokeWidth: 0.8 }));
  }
  marks.push(
    Plot.text([log ? "contours: log-spaced levels of f" : "contours: evenly spaced levels of f"], {
      frameAnchor: "bottom-right",
      dx: -6,
      dy: -6,
      fill: "#3a4a5a",
      fontSize: 11,
    }),
  );
  const axis = { labelAnchor: "center", labelArrow: "none" } as const;
  const svg = Plot.plot({
    document: svgDocument(op),
    width,
    height,
    marginTop,
    marginLeft,
    marginRight,
    marginBottom,
    ariaLabel: title,
    x: { ...axis, domain: xRange, label: options.xLabel ?? "x", labelOffset: 36 },
    y: { ...axis, domain: yRange, label: options.yLabel ?? "y", labelOffset: 44 },
    color: { type: "linear", range: ["#ffffff", "#a9c4e2"], interpolate: "rgb" },
    marks,
  }) as unknown as SVGSVGElement;
  svg.setAttribute("font-size", String(fs));
  svg.setAttribute("font-family", FONT_FAMILY);
  drawHeader(svg, header, title, { left: marginLeft, right: width - marginRight, width, height, pad });
  if (marker) starSwatch(svg, paths.length);
  for (const path of svg.querySelectorAll('g[aria-label="contour"] path')) {
    const d = path.getAttribute("d");
    if (d) path.setAttribute("d", simplifyPath(d));
  }
  return serializeSvg(svg);
}

/**
 * Drops polygon vertices that lie on the straight line through their neighbours (within 0.05 px) and rounds
 * to 0.1 px: marching squares emits a vertex per grid cell even along the frame, which triples the file size.
 */
function simplifyPath(d: string): string {
  return d
    .split(/(?=M)/)
    .map((ring) => {
      const closed = /Z\s*$/.test(ring);
      const pts = [...ring.matchAll(/(-?[\d.]+(?:e-?\d+)?),(-?[\d.]+(?:e-?\d+)?)/g)].map((m) => [
        Number(m[1]),
        Number(m[2]),
      ]);
      const kept: number[][] = [];
      for (let i = 0; i < pts.length; i++) {
        const [a, b, c] = [kept[kept.length - 1], pts[i], pts[i + 1]];
        if (a && c) {
          const cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
          if (Math.abs(cross) <= 0.05 * Math.hypot(c[0] - a[0], c[1] - a[1])) continue;
        }
        kept.push(b);
      }
      const body = kept
        .map(([x, y], i) => `${i === 0 ? "M" : "L"}${+x.toFixed(1)},${+y.toFixed(1)}`)
        .join("");
      return closed ? `${body}Z` : body;
    })
    .join("");
}

/** Five-pointed star polygon points around (cx, cy) with outer radius r. */
const starPoints = (cx: number, cy: number, r: number): string =>
  Array.from({ length: 10 }, (_, k) => {
    const radius = k % 2 === 0 ? r : r * 0.42;
    const a = (Math.PI * k) / 5 - Math.PI / 2;
    return `${(cx + radius * Math.cos(a)).toFixed(2)},${(cy + radius * Math.sin(a)).toFixed(2)}`;
  }).join(" ");

/** The legend draws every entry as a line; the marker's entry gets a star instead. */
function starSwatch(svg: SVGSVGElement, index: number): void {
  const line = svg.querySelector('g[aria-label="legend"]')?.querySelectorAll("line")[index];
  if (!line?.parentNode) return;
  const cx = Number(line.getAttribute("x1")) + 11;
  const cy = Number(line.getAttribute("y1"));
  const star = svgElement(svg.ownerDocument, "polygon", {
    points: starPoints(cx, cy, 7),
    fill: MARKER_COLOR,
    stroke: "white",
    "stroke-width": 0.8,
  });
  line.parentNode.replaceChild(star, line);
}
