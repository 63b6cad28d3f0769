// An interactive SVG line chart of our own: linear or log axes, curves with gaps, overlays, hover readouts.
import { robustDomain } from "../../../src/viz/data.js";
import { axisTicks } from "../../../src/viz/ticks.js";
import { esc, fmt } from "./dom.js";

export interface Curve {
  id: string;
  label: string;
  color: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  width?: number;
  dash?: string;
  /** Whether the automatic y range follows this curve (default true). */
  fit?: boolean;
  /** Dots at the data points. */
  markers?: boolean;
  /** Left out of hover readouts. */
  quiet?: boolean;
}

export interface ChartOptions {
  height: number;
  ariaLabel: string;
  logX?: boolean;
  logY?: boolean;
  xLabel?: string;
  yLabel?: string;
  zeroLine?: boolean;
  /** A fixed y range instead of fitting the curves. */
  yDomain?: [number, number];
  /** Keep this many px of headroom for an HTML legend or title over the plot. */
  marginTop?: number;
  /** Fit the y range robustly, clipping spikes (default); false shows the full extent. */
  robust?: boolean;
}

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

const CHAR_W = 6.9;
const BIG = 1e5;

/** Sample index nearest to `x` in an increasing array (NaN entries are skipped over by callers). */
export function nearestIndex(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  if (hi < 0) return -1;
  const up = xs[hi]! >= xs[0]!;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x === up) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[lo]! - x) <= Math.abs(xs[hi]! - x) ? lo : hi;
}

export class Chart {
  readonly root: HTMLDivElement;
  readonly svg: SVGSVGElement;
  readonly options: ChartOptions;
  width = 640;
  height: number;
  margin: Margin = { top: 10, right: 14, bottom: 30, left: 48 };
  xDomain: [number, number] = [0, 1];
  yDomain: [number, number] = [0, 1];
  curves: Curve[] = [];
  /** Extra SVG markup drawn inside the plot's clip region (tangent, markers, paths…). */
  overlay: ((c: Chart) => string) | null = null;
  /** Markup drawn on top without clipping (draggable handles). */
  handles: ((c: Chart) => string) | null = null;
  hoverX: number | null = null;
  /** At least this left margin (px), so stacked charts can share one x axis position. */
  minLeft = 0;
  /** Called after each render (e.g. to place HTML next to the chart). */
  onRender: ((c: Chart) => void) | null = null;
  private readonly hoverLayer: SVGGElement;
  private readonly staticLayer: SVGGElement;
  private readonly clipId: string;
  private static count = 0;

  constructor(parent: HTMLElement, options: ChartOptions) {
    this.options = options;
    this.height = options.height;
    this.root = document.createElement("div");
    this.root.className = "chart";
    this.root.style.height = `${options.height}px`;
    this.svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    this.svg.setAttribute("role", "img");
    this.svg.setAttribute("aria-label", options.ariaLabel);
    this.staticLayer = document.createElementNS("http://www.w3.org/2000/svg", "g");
    this.hoverLayer = document.createElementNS("http://www.w3.org/2000/svg", "g");
    this.hoverLayer.setAttribute("class", "hover-layer");
    this.svg.append(this.staticLayer, this.hoverLayer);
    this.root.append(this.svg);
    parent.append(this.root);
    this.clipId = `clip-${Chart.count++}`;
    const measure = () => {
      const w = Math.floor(this.root.clientWidth);
      if (w > 0 && w !== this.width) {
        this.width = w;
        this.render();
      }
    };
    new ResizeObserver(measure).observe(this.root);
    this.width = Math.max(200, Math.floor(parent.clientWidth) || 640);
  }

  get plotWidth(): number {
    return Math.max(10, this.width - this.margin.left - this.margin.right);
  }
  get plotHeight(): number {
    return Math.max(10, this.height - this.margin.top - this.margin.bottom);
  }

  private t(v: number, [a, b]: [number, number], log: boolean): number {
    return log ? (Math.log10(v) - Math.log10(a)) / (Math.log10(b) - Math.log10(a)) : (v - a) / (b - a);
  }
  private u(t: number, [a, b]: [number, number], log: boolean): number {
    return log ? 10 ** (Math.log10(a) + t * (Math.log10(b) - Math.log10(a))) : a + t * (b - a);
  }
  /** Data x → pixel. */
  px(v: number): number {
    return this.margin.left + this.t(v, this.xDomain, !!this.options.logX) * this.plotWidth;
  }
  /** Data y → pixel. */
  py(v: number): number {
    return this.margin.top + (1 - this.t(v, this.yDomain, !!this.options.logY)) * this.plotHeight;
  }
  invX(px: number): number {
    return this.u((px - this.margin.left) / this.plotWidth, this.xDomain, !!this.options.logX);
  }
  invY(py: number): number {
    return this.u(1 - (py - this.margin.top) / this.plotHeight, this.yDomain, !!this.options.logY);
  }

  /** The y range: fixed, or fitted to the visible part of the curves (robust to poles). */
  fitY(): void {
    if (this.options.yDomain) {
      this.yDomain = this.options.yDomain;
      return;
    }
    const log = !!this.options.logY;
    const [a, b] = this.xDomain;
    const vals: number[] = [];
    for (const c of this.curves) {
      if (c.fit === false) continue;
      for (let i = 0; i < c.x.length; i++) {
        const x = c.x[i]!;
        const y = c.y[i]!;
        if (x >= a && x <= b && Number.isFinite(y) && (!log || y > 0)) vals.push(y);
      }
    }
    let lo: number;
    let hi: number;
    if (this.options.robust === false && vals.length > 0) {
      lo = Math.min(...vals);
      hi = Math.max(...vals);
      if (lo === hi) [lo, hi] = log ? [lo / 2, hi * 2] : [lo - 1, hi + 1];
    } else [lo, hi] = robustDomain(vals, log);
    if (log) {
      const pad = (Math.log10(hi) - Math.log10(lo)) * 0.06;
      [lo, hi] = [lo / 10 ** pad, hi * 10 ** pad];
    } else {
      if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) [lo, hi] = [lo - 1, hi + 1];
      const pad = (hi - lo) * 0.08;
      [lo, hi] = [lo - pad, hi + pad];
    }
    this.yDomain = [lo, hi];
  }

  /** The curve's polyline with gaps at non-finite values and at jumps across the plot (poles). */
  private path(c: Curve): string {
    const parts: string[] = [];
    let pen = false;
    let prevY = Number.NaN;
    const top = this.margin.top;
    const bottom = this.margin.top + this.plotHeight;
    const logX = !!this.options.logX;
    const logY = !!this.options.logY;
    for (let i = 0; i < c.x.length; i++) {
      const x = c.x[i]!;
      const y = c.y[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y) || (logX && x <= 0) || (logY && y <= 0)) {
        pen = false;
        continue;
      }
      const X = this.px(x);
      const Y = Math.max(-BIG, Math.min(BIG, this.py(y)));
      if (pen && ((prevY < top && Y > bottom) || (prevY > bottom && Y < top))) pen = false;
      parts.push(`${pen ? "L" : "M"}${X.toFixed(1)},${Y.toFixed(1)}`);
      pen = true;
      prevY = Y;
    }
    return parts.join("");
  }

  private yTicks() {
    return axisTicks(this.yDomain, !!this.options.logY, Math.max(3, Math.round(this.height / 40)), false);
  }

  /** The left margin the y tick labels need (after fitting y to the current curves). */
  neededLeft(): number {
    this.fitY();
    const widest = this.yTicks().labels.reduce((m, l) => Math.max(m, [...l].length), 1);
    return Math.round(widest * CHAR_W + 16 + (this.options.yLabel ? 16 : 0));
  }

  render(): void {
    const o = this.options;
    const left = Math.max(this.minLeft, this.neededLeft());
    const logX = !!o.logX;
    const logY = !!o.logY;
    const yTicks = this.yTicks();
    this.margin = {
      top: o.marginTop ?? 10,
      right: 14,
      bottom: o.xLabel ? 40 : 26,
      left,
    };
    const xTicks = axisTicks(this.xDomain, logX, Math.max(2, Math.round(this.plotWidth / 85)), false);
    const L = this.margin.left;
    const T = this.margin.top;
    const W = this.plotWidth;
    const H = this.plotHeight;
    const s: string[] = [];
    s.push(
      `<defs><clipPath id="${this.clipId}"><rect x="${L}" y="${T}" width="${W}" height="${H}"/></clipPath></defs>`,
    );
    s.push(`<rect class="plot-bg" x="${L}" y="${T}" width="${W}" height="${H}"/>`);
    xTicks.values.forEach((v, i) => {
      const X = this.px(v);
      if (X < L - 0.5 || X > L + W + 0.5) return;
      s.push(`<line class="grid" x1="${X}" x2="${X}" y1="${T}" y2="${T + H}"/>`);
      s.push(
        `<text class="tick" x="${X}" y="${T + H + 16}" text-anchor="middle">${esc(xTicks.labels[i]!)}</text>`,
      );
    });
    yTicks.values.forEach((v, i) => {
      const Y = this.py(v);
      if (Y < T - 0.5 || Y > T + H + 0.5) return;
      s.push(`<line class="grid" x1="${L}" x2="${L + W}" y1="${Y}" y2="${Y}"/>`);
      s.push(
        `<text class="tick" x="${L - 6}" y="${Y + 4}" text-anchor="end">${esc(yTicks.labels[i]!)}</text>`,
      );
    });
    if (o.zeroLine && !logY && this.yDomain[0] < 0 && this.yDomain[1] > 0)
      s.push(`<line class="zero" x1="${L}" x2="${L + W}" y1="${this.py(0)}" y2="${this.py(0)}"/>`);
    if (o.zeroLine && !logX && this.xDomain[0] < 0 && this.xDomain[1] > 0)
      s.push(`<line class="zero" x1="${this.px(0)}" x2="${this.px(0)}" y1="${T}" y2="${T + H}"/>`);
    s.push(`<rect class="frame" x="${L}" y="${T}" width="${W}" height="${H}"/>`);
    if (o.xLabel)
      s.push(
        `<text class="axis-label" x="${L + W / 2}" y="${this.height - 6}" text-anchor="middle">${esc(o.xLabel)}</text>`,
      );
    if (o.yLabel)
      s.push(
        `<text class="axis-label" transform="translate(12 ${T + H / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
      );
    s.push(`<g clip-path="url(#${this.clipId})">`);
    for (const c of this.curves) {
      const d = this.path(c);
      if (!d) continue;
      s.push(
        `<path class="curve" data-curve="${esc(c.id)}" d="${d}" stroke="${c.color}" stroke-width="${c.width ?? 2}"${c.dash ? ` stroke-dasharray="${c.dash}"` : ""} fill="none"/>`,
      );
      if (c.markers)
        for (let i = 0; i < c.x.length; i++) {
          const x = c.x[i]!;
          const y = c.y[i]!;
          if (!Number.isFinite(x) || !Number.isFinite(y) || (logX && x <= 0) || (logY && y <= 0)) continue;
          s.push(
            `<circle cx="${this.px(x).toFixed(1)}" cy="${this.py(y).toFixed(1)}" r="2.2" fill="${c.color}"/>`,
          );
        }
    }
    if (this.overlay) s.push(this.overlay(this));
    s.push("</g>");
    if (this.handles) s.push(this.handles(this));
    this.svg.setAttribute("viewBox", `0 0 ${this.width} ${this.height}`);
    this.svg.setAttribute("width", String(this.width));
    this.svg.setAttribute("height", String(this.height));
    this.staticLayer.innerHTML = s.join("");
    this.renderHover();
    this.onRender?.(this);
  }

  /** The hovered samples: for each curve, the nearest sample to `hoverX`. */
  readouts(): { curve: Curve; x: number; y: number }[] {
    if (this.hoverX === null) return [];
    const out: { curve: Curve; x: number; y: number }[] = [];
    for (const c of this.curves) {
      if (c.quiet) continue;
      const i = nearestIndex(c.x, this.hoverX);
      if (i < 0) continue;
      out.push({ curve: c, x: c.x[i]!, y: c.y[i]! });
    }
    return out;
  }

  renderHover(): void {
    const x = this.hoverX;
    if (x === null || !(x >= this.xDomain[0] && x <= this.xDomain[1])) {
      this.hoverLayer.innerHTML = "";
      return;
    }
    const L = this.margin.left;
    const T = this.margin.top;
    const s: string[] = [];
    const X = this.px(x);
    s.push(`<line class="crosshair" x1="${X}" x2="${X}" y1="${T}" y2="${T + this.plotHeight}"/>`);
    for (const r of this.readouts()) {
      if (!Number.isFinite(r.y)) continue;
      const Y = this.py(r.y);
      if (Y < T || Y > T + this.plotHeight) continue;
      const cx = this.px(r.x);
      s.push(`<circle class="hover-dot" cx="${cx}" cy="${Y}" r="4" fill="${r.curve.color}"/>`);
      const right = cx < L + this.plotWidth - 90;
      s.push(
        `<text class="hover-value" x="${cx + (right ? 8 : -8)}" y="${Y - 8}" text-anchor="${right ? "start" : "end"}">${esc(fmt(r.y, 5))}</text>`,
      );
    }
    this.hoverLayer.innerHTML = s.join("");
  }

  /** Shows a crosshair and the nearest values under the pointer (for charts without their own handling). */
  enableHover(): this {
    this.svg.addEventListener("pointermove", (ev) => {
      const p = this.local(ev);
      this.hoverX = this.inPlot(p) ? this.invX(p[0]) : null;
      this.renderHover();
    });
    this.svg.addEventListener("pointerleave", () => {
      this.hoverX = null;
      this.renderHover();
    });
    return this;
  }

  /** Pointer position relative to the svg, in its pixels. */
  local(ev: { clientX: number; clientY: number }): [number, number] {
    const r = this.svg.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  }

  inPlot([x, y]: [number, number]): boolean {
    return (
      x >= this.margin.left &&
      x <= this.margin.left + this.plotWidth &&
      y >= this.margin.top &&
      y <= this.margin.top + this.plotHeight
    );
  }
}

/** An HTML legend: coloured swatches with labels. */
export function legendHtml(items: { color: string; label: string; dash?: boolean }[]): string {
  return items
    .map(
      (i) =>
        `<span class="legend-item"><span class="swatch${i.dash ? " dashed" : ""}" style="--c:${i.color}"></span>${esc(i.label)}</span>`,
    )
    .join("");
}
