// Small DOM helpers: element builders, escaping, number formatting, timing.

type AttrValue = string | number | boolean | undefined | null | ((ev: Event) => void);
type Attrs = Record<string, AttrValue>;
type Child = Node | string | null | undefined | false;

/** Creates an HTML element: `h("button", { class: "x", onclick: … }, "text")`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v as EventListener);
    else if (k === "value" || k === "checked") (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export const $ = <T extends Element = HTMLElement>(sel: string, root: ParentNode = document): T => {
  const el = root.querySelector<T>(sel);
  if (!el) throw new Error(`missing element ${sel}`);
  return el;
};

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** Escapes text for HTML/SVG markup built as strings. */
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]!);

const MINUS = "\u2212";

/** A number for people: about `digits` significant digits, a real minus sign, exponents when large or tiny. */
export function fmt(v: number, digits = 4): string {
  if (Number.isNaN(v)) return "undefined";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : `${MINUS}∞`;
  if (v === 0) return "0";
  const a = Math.abs(v);
  let s: string;
  if (a >= 1e6 || a < 1e-4) {
    const [m, e] = v.toExponential(digits - 1).split("e");
    s = `${m!.includes(".") ? m!.replace(/\.?0+$/, "") : m}e${Number(e)}`;
  } else {
    s = String(Number(v.toPrecision(digits)));
  }
  return s.replace(/-/g, MINUS);
}

/** Parses what people type in number fields: a real minus sign, spaces, "pi". */
export function parseNumber(text: string): number {
  const t = text
    .trim()
    .replace(/\u2212/g, "-")
    .toLowerCase();
  if (t === "pi" || t === "π") return Math.PI;
  if (t === "-pi" || t === "-π") return -Math.PI;
  if (t === "") return Number.NaN;
  return Number(t);
}

export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...a: A) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...a), ms);
  };
}

/** Runs `fn` at most once per animation frame with the latest arguments. */
export function perFrame<A extends unknown[]>(fn: (...a: A) => void): (...a: A) => void {
  let queued: A | null = null;
  return (...a: A) => {
    if (queued === null)
      requestAnimationFrame(() => {
        const args = queued!;
        queued = null;
        fn(...args);
      });
    queued = a;
  };
}

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Announces a short message to screen readers through the page's polite live region. */
export function announce(text: string): void {
  const el = document.getElementById("announcer");
  if (el) el.textContent = text;
}

/** A labelled form row: the label in a fixed column, the control(s) beside it. */
export function frow(label: string, forId: string, ...controls: (Node | string)[]): HTMLDivElement {
  return h(
    "div",
    { class: "frow" },
    h("label", { for: forId }, label),
    h("div", { class: "fctl" }, ...controls),
  );
}
