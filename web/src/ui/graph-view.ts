// Draws a laid-out program graph (see compute/graph.ts) as SVG: inputs → equations → outputs.
import type { GraphLayout } from "../compute/graph.js";
import { esc } from "./dom.js";

const PAD = 14;

function edgePath(points: [number, number][]): string {
  // Smooth curves with horizontal tangents between consecutive points.
  let d = `M${points[0]![0].toFixed(1)},${points[0]![1].toFixed(1)}`;
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1]!;
    const [x1, y1] = points[i]!;
    const mx = (x0 + x1) / 2;
    d +=
      y0 === y1
        ? `L${x1.toFixed(1)},${y1.toFixed(1)}`
        : `C${mx.toFixed(1)},${y0.toFixed(1)} ${mx.toFixed(1)},${y1.toFixed(1)} ${x1.toFixed(1)},${y1.toFixed(1)}`;
  }
  return d;
}

/** The SVG markup of a program graph; nodes carry data-node and edges data-from/data-to for highlighting. */
export function graphSvg(layout: GraphLayout, title: string): string {
  const W = Math.ceil(layout.width + 2 * PAD);
  const H = Math.ceil(layout.height + 2 * PAD);
  const s: string[] = [];
  s.push(
    `<svg class="graph" role="img" aria-label="${esc(title)}" width="${W}" height="${H}" viewBox="${-PAD} ${-PAD} ${W} ${H}">`,
    `<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L8,4L0,8z" class="arrow-head"/></marker></defs>`,
  );
  for (const e of layout.edges)
    s.push(
      `<path class="edge" data-from="${e.from}" data-to="${e.to}" d="${edgePath(e.points)}" marker-end="url(#arrow)"/>`,
    );
  for (const n of layout.nodes) {
    const big = n.kind === "input" || n.kind === "output";
    s.push(
      `<g class="node node-${n.kind}" data-node="${n.id}" transform="translate(${n.x.toFixed(1)} ${n.y.toFixed(1)})" tabindex="0">`,
      `<title>${esc(`${n.detail}  :  ${n.type}`)}</title>`,
      `<rect width="${n.w}" height="${n.h}" rx="${big ? n.h / 2 : 7}"/>`,
      `<text class="node-label" x="${n.w / 2}" y="15" text-anchor="middle">${esc(n.label)}</text>`,
      `<text class="node-detail" x="${n.w / 2}" y="29" text-anchor="middle">${esc(n.detail)}</text>`,
      "</g>",
    );
  }
  s.push("</svg>");
  return s.join("");
}

/** Highlights a node's incoming and outgoing edges while it is hovered or focused. */
export function wireGraphHighlight(container: HTMLElement): void {
  const set = (id: string | null) => {
    for (const e of container.querySelectorAll<SVGPathElement>(".edge")) {
      const on = id !== null && (e.dataset.from === id || e.dataset.to === id);
      e.classList.toggle("lit", on);
    }
    for (const n of container.querySelectorAll<SVGGElement>(".node"))
      n.classList.toggle("lit", n.dataset.node === id);
  };
  const nodeOf = (t: EventTarget | null) =>
    t instanceof Element ? (t.closest(".node") as SVGGElement | null) : null;
  container.addEventListener("pointerover", (ev) => set(nodeOf(ev.target)?.dataset.node ?? null));
  container.addEventListener("pointerleave", () => set(null));
  container.addEventListener("focusin", (ev) => set(nodeOf(ev.target)?.dataset.node ?? null));
  container.addEventListener("focusout", () => set(null));
}
