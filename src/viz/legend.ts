// The parts of a chart Plot would put in HTML (title, colour legend), drawn as SVG so a lone .svg explains itself.
import { svgElement } from "./dom.js";

/** Matplotlib's tab10: ten colours that stay distinct on white and for most colour-blind readers. */
export const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
] as const;

/** The colour of the i-th series (the palette repeats after ten). */
export const seriesColor = (i: number): string => PALETTE[i % PALETTE.length];

const NARROW = /[ijlft|!.,:;'′″‴()[\]{}\s⁰¹²³⁴⁵⁶⁷⁸⁹⁻]/u;
const WIDE = /[mwMW@%]/;
const OPERATOR = /[+−=×<>~±≤≥]/u;

/** A slightly generous width estimate in px, with DejaVu Sans' proportions (no DOM needed to measure). */
export function textWidth(s: string, fontSize: number): number {
  let em = 0;
  for (const c of s) {
    em += NARROW.test(c) ? 0.36 : WIDE.test(c) || OPERATOR.test(c) ? 0.86 : /[A-Z]/.test(c) ? 0.72 : 0.62;
  }
  return em * fontSize;
}

const SWATCH = 22;
const SWATCH_GAP = 6;
const ITEM_GAP = 20;

interface LegendItem {
  label: string;
  color: string;
  row: number;
  x: number;
}

/** Where the header's pieces go: computed before Plot runs so its top margin can make room. */
export interface HeaderLayout {
  height: number;
  titleY: number;
  titleSize: number;
  legendTop: number;
  rowHeight: number;
  items: LegendItem[];
  rowWidths: number[];
}

/** Flows legend entries into rows no wider than `maxWidth`, under an optional title. */
export function layoutHeader(
  title: string | undefined,
  labels: readonly string[],
  maxWidth: number,
  fontSize: number,
): HeaderLayout {
  const pad = Math.round(fontSize * 0.9);
  const titleSize = Math.round(fontSize * 1.35);
  const titleY = pad + titleSize * 0.8;
  const legendTop = title ? pad + titleSize + pad * 0.6 : pad;
  const rowHeight = Math.round(fontSize * 1.7);
  const items: LegendItem[] = [];
  const rowWidths = [0];
  labels.forEach((label, i) => {
    const w = SWATCH + SWATCH_GAP + textWidth(label, fontSize);
    let row = rowWidths.length - 1;
    if (rowWidths[row] > 0 && rowWidths[row] + ITEM_GAP + w > maxWidth) rowWidths[++row] = 0;
    const x = rowWidths[row] === 0 ? 0 : rowWidths[row] + ITEM_GAP;
    items.push({ label, color: seriesColor(i), row, x });
    rowWidths[row] = x + w;
  });
  const height = legendTop + rowWidths.length * rowHeight;
  return { height, titleY, titleSize, legendTop, rowHeight, items, rowWidths };
}

/**
 * Adds a white background, the title and the legend to Plot's `<svg>`. Both are centred over the
 * plotting frame (`left` to `right`); a legend row too wide for that is kept `pad` px inside the picture.
 */
export function drawHeader(
  svg: SVGSVGElement,
  layout: HeaderLayout,
  title: string | undefined,
  frame: { left: number; right: number; width: number; height: number; pad: number },
): void {
  const doc = svg.ownerDocument;
  const center = (frame.left + frame.right) / 2;
  const nodes: Element[] = [
    svgElement(doc, "rect", { x: 0, y: 0, width: frame.width, height: frame.height, fill: "white" }),
  ];
  if (title) {
    const attrs = { x: center, y: layout.titleY, "font-size": layout.titleSize, "font-weight": "bold" };
    nodes.push(svgElement(doc, "text", { ...attrs, "text-anchor": "middle", fill: "currentColor" }, title));
  }
  const legend = svgElement(doc, "g", { "aria-label": "legend", "text-anchor": "start" });
  for (const item of layout.items) {
    const rowWidth = layout.rowWidths[item.row];
    const rowLeft = Math.max(frame.pad, Math.min(center - rowWidth / 2, frame.width - frame.pad - rowWidth));
    const left = rowLeft + item.x;
    const y = layout.legendTop + (item.row + 0.5) * layout.rowHeight;
    const swatch = { x1: left, x2: left + SWATCH, y1: y, y2: y, stroke: item.color, "stroke-width": 3 };
    legend.appendChild(svgElement(doc, "line", { ...swatch, "stroke-linecap": "round" }));
    const label = { x: left + SWATCH + SWATCH_GAP, y, dy: "0.35em", fill: "currentColor" };
    legend.appendChild(svgElement(doc, "text", label, item.label));
  }
  nodes.push(legend);
  // After Plot's <style>, before its marks, so the background is painted first.
  const style = svg.querySelector("style");
  const anchor = style ? style.nextSibling : svg.firstChild;
  for (const node of nodes) svg.insertBefore(node, anchor);
}
