// Zoom, pan, hover and a draggable point on charts that share one x axis (mouse, touch and keyboard).
import type { Chart } from "./chart.js";
import { clamp, perFrame } from "./dom.js";

export interface XControls {
  view(): [number, number];
  home(): [number, number];
  setView(v: [number, number]): void;
  point(): number;
  setPoint(x: number): void;
  hover(x: number | null): void;
}

/**
 * Wheel zooms around the pointer, dragging pans, a click (or dragging `handle`) moves the point,
 * double-click resets. Keys on a focused chart: ← → pan, + − zoom, 0 or Home reset; on the handle,
 * arrows move the point by 1% of the view (10% with Shift).
 */
export function attachXInteraction(charts: Chart[], handle: SVGElement, o: XControls): void {
  const setViewSoon = perFrame(o.setView);
  const setPointSoon = perFrame(o.setPoint);
  const zoomAt = (x: number, factor: number) => {
    const [a, b] = o.view();
    o.setView([x - (x - a) * factor, x + (b - x) * factor]);
  };
  for (const c of charts) {
    let mode: "none" | "pan" | "point" = "none";
    let start: [number, number] = [0, 0];
    let startView = o.view();
    let moved = false;
    c.svg.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      const p = c.local(ev);
      if (ev.target === handle) mode = "point";
      else if (c.inPlot(p)) mode = "pan";
      else return;
      start = p;
      startView = o.view();
      moved = false;
      c.svg.setPointerCapture(ev.pointerId);
      ev.preventDefault();
    });
    c.svg.addEventListener("pointermove", (ev) => {
      const p = c.local(ev);
      if (mode === "point") {
        setPointSoon(c.invX(p[0]));
        return;
      }
      if (mode === "pan") {
        const dx = p[0] - start[0];
        if (Math.abs(dx) > 3) moved = true;
        if (moved) {
          const shift = (-dx / c.plotWidth) * (startView[1] - startView[0]);
          setViewSoon([startView[0] + shift, startView[1] + shift]);
        }
      }
      o.hover(c.inPlot(p) ? c.invX(p[0]) : null);
    });
    c.svg.addEventListener("pointerup", (ev) => {
      if (mode === "pan" && !moved) o.setPoint(c.invX(c.local(ev)[0]));
      mode = "none";
    });
    c.svg.addEventListener("pointercancel", () => (mode = "none"));
    c.svg.addEventListener("pointerleave", () => mode === "none" && o.hover(null));
    c.svg.addEventListener(
      "wheel",
      (ev) => {
        const p = c.local(ev);
        if (!c.inPlot(p)) return;
        ev.preventDefault();
        zoomAt(c.invX(p[0]), Math.exp(clamp(ev.deltaY, -300, 300) * 0.0015));
      },
      { passive: false },
    );
    c.svg.addEventListener("dblclick", () => o.setView(o.home()));
    c.root.addEventListener("keydown", (ev) => {
      if (ev.target === handle) return;
      const [a, b] = o.view();
      const w = b - a;
      const mid = (a + b) / 2;
      const keys: Record<string, () => void> = {
        ArrowLeft: () => o.setView([a - w * 0.1, b - w * 0.1]),
        ArrowRight: () => o.setView([a + w * 0.1, b + w * 0.1]),
        "+": () => zoomAt(mid, 1 / 1.25),
        "=": () => zoomAt(mid, 1 / 1.25),
        "-": () => zoomAt(mid, 1.25),
        "0": () => o.setView(o.home()),
        Home: () => o.setView(o.home()),
      };
      const fn = keys[ev.key];
      if (fn) {
        ev.preventDefault();
        fn();
      }
    });
  }
  handle.addEventListener("keydown", (ev) => {
    const [a, b] = o.view();
    const step = (b - a) * (ev.shiftKey ? 0.1 : 0.01);
    const moves: Record<string, number> = {
      ArrowLeft: -step,
      ArrowDown: -step,
      ArrowRight: step,
      ArrowUp: step,
    };
    if (ev.key in moves) {
      ev.preventDefault();
      o.setPoint(o.point() + moves[ev.key]!);
      handle.focus();
    }
  });
}
