// Pan, zoom and click on a 2-D plot (mouse, touch and keyboard).
import type { Vec2 } from "../compute/cubic.js";
import type { Chart } from "./chart.js";
import { clamp } from "./dom.js";

export interface PlaneControls {
  domain(): [Vec2, Vec2];
  setDomain(x: Vec2, y: Vec2): void;
  home(): [Vec2, Vec2];
  /** A click without dragging, at data coordinates. */
  click(x: number, y: number): void;
  /** More keys on the focused plot. */
  keys?: Record<string, () => void>;
}

/**
 * Dragging pans, the wheel zooms around the pointer, double-click resets, a click calls `click`.
 * Keys on the focused plot: arrows pan, + − zoom, 0 resets, Enter clicks at the centre.
 */
export function attachPlaneInteraction(chart: Chart, o: PlaneControls): void {
  const svg = chart.svg;
  const zoom = (x: number, y: number, f: number) => {
    const [xd, yd] = o.domain();
    o.setDomain([x - (x - xd[0]) * f, x + (xd[1] - x) * f], [y - (y - yd[0]) * f, y + (yd[1] - y) * f]);
  };
  let panning = false;
  let moved = false;
  let start: [number, number] = [0, 0];
  let startD = o.domain();
  svg.addEventListener("pointerdown", (ev) => {
    const p = chart.local(ev);
    if (ev.button !== 0 || !chart.inPlot(p)) return;
    panning = true;
    moved = false;
    start = p;
    startD = o.domain();
    svg.setPointerCapture(ev.pointerId);
  });
  svg.addEventListener("pointermove", (ev) => {
    if (!panning) return;
    const p = chart.local(ev);
    const dx = p[0] - start[0];
    const dy = p[1] - start[1];
    if (Math.hypot(dx, dy) > 4) moved = true;
    if (!moved) return;
    const [xd, yd] = startD;
    const sx = (-dx / chart.plotWidth) * (xd[1] - xd[0]);
    const sy = (dy / chart.plotHeight) * (yd[1] - yd[0]);
    o.setDomain([xd[0] + sx, xd[1] + sx], [yd[0] + sy, yd[1] + sy]);
  });
  svg.addEventListener("pointerup", (ev) => {
    if (panning && !moved) {
      const p = chart.local(ev);
      o.click(chart.invX(p[0]), chart.invY(p[1]));
    }
    panning = false;
  });
  svg.addEventListener("pointercancel", () => (panning = false));
  svg.addEventListener(
    "wheel",
    (ev) => {
      const p = chart.local(ev);
      if (!chart.inPlot(p)) return;
      ev.preventDefault();
      zoom(chart.invX(p[0]), chart.invY(p[1]), Math.exp(clamp(ev.deltaY, -300, 300) * 0.0015));
    },
    { passive: false },
  );
  svg.addEventListener("dblclick", (ev) => {
    ev.preventDefault();
    o.setDomain(...o.home());
  });
  chart.root.addEventListener("keydown", (ev) => {
    const [xd, yd] = o.domain();
    const w = xd[1] - xd[0];
    const hgt = yd[1] - yd[0];
    const cx = (xd[0] + xd[1]) / 2;
    const cy = (yd[0] + yd[1]) / 2;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => o.setDomain([xd[0] - w * 0.1, xd[1] - w * 0.1], yd),
      ArrowRight: () => o.setDomain([xd[0] + w * 0.1, xd[1] + w * 0.1], yd),
      ArrowUp: () => o.setDomain(xd, [yd[0] + hgt * 0.1, yd[1] + hgt * 0.1]),
      ArrowDown: () => o.setDomain(xd, [yd[0] - hgt * 0.1, yd[1] - hgt * 0.1]),
      "+": () => zoom(cx, cy, 0.8),
      "=": () => zoom(cx, cy, 0.8),
      "-": () => zoom(cx, cy, 1.25),
      "0": () => o.setDomain(...o.home()),
      Enter: () => o.click(cx, cy),
      ...o.keys,
    };
    const fn = keys[ev.key];
    if (fn) {
      ev.preventDefault();
      fn();
    }
  });
}
