// Axis ticks and their labels, computed here (not by Plot) so the margins can be sized to fit them.

/** Tick positions, their labels, and the domain they were made for (widened to round ends if asked). */
export interface Ticks {
  domain: [number, number];
  values: number[];
  labels: string[];
}

const MINUS = "\u2212";
const SUPERSCRIPT: Record<string, string> = {
  "-": "⁻",
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
};

const minus = (s: string) => s.replace(/-/g, MINUS);

/** A step of 1, 2 or 5 times a power of ten giving about `count` intervals over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  return (r < 1.5 ? 1 : r < 3 ? 2 : r < 7 ? 5 : 10) * mag;
}

function formatLinear(v: number, step: number, maxAbs: number): string {
  if (v === 0) return "0";
  if (maxAbs >= 1e6 || step < 1e-4) {
    const digits = Math.max(0, Math.floor(Math.log10(maxAbs)) - Math.floor(Math.log10(step)));
    const [mant, exp] = v.toExponential(Math.min(digits, 6)).split("e");
    const m = mant.includes(".") ? mant.replace(/\.?0+$/, "") : mant;
    return minus(`${m}e${Number(exp)}`);
  }
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const opts = { minimumFractionDigits: decimals, maximumFractionDigits: decimals };
  return minus(v.toLocaleString("en-US", opts));
}

/** Evenly spaced round ticks; with `nice`, the domain grows to the nearest ticks outside it. */
export function linearTicks(domain: readonly [number, number], count: number, nice: boolean): Ticks {
  let [lo, hi] = domain;
  let step = niceStep(hi - lo, count);
  // Widening can change the step, so repeat until both ends sit on ticks (as d3's nice does).
  for (let round = 0; nice && round < 4; round++) {
    lo = Math.floor(lo / step + 1e-9) * step;
    hi = Math.ceil(hi / step - 1e-9) * step;
    const next = niceStep(hi - lo, count);
    if (next === step) break;
    step = next;
  }
  const values: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) values.push(k * step);
  const maxAbs = Math.max(Math.abs(lo), Math.abs(hi));
  return { domain: [lo, hi], values, labels: values.map((v) => formatLinear(v, step, maxAbs)) };
}

/** `1000`, `0.01` on an axis of small exponents; `10⁻¹²`, `2×10⁵` on one that reaches large ones. */
function formatPower(mantissa: number, exp: number, plain: boolean): string {
  if (plain) return minus(String(Number((mantissa * 10 ** exp).toPrecision(6))));
  const pow = `10${[...String(exp)].map((c) => SUPERSCRIPT[c]).join("")}`;
  return mantissa === 1 ? pow : `${mantissa}×${pow}`;
}

/**
 * Ticks at powers of ten (every k-th decade when there are many), with 2 and 5 in between when
 * the domain spans too few decades; with `nice`, the domain grows to whole decades.
 */
export function logTicks(domain: readonly [number, number], count: number, nice: boolean): Ticks {
  let [lo, hi] = domain;
  if (nice) {
    lo = 10 ** Math.floor(Math.log10(lo) + 1e-9);
    hi = 10 ** Math.ceil(Math.log10(hi) - 1e-9);
  }
  const e0 = Math.floor(Math.log10(lo) + 1e-9);
  const e1 = Math.ceil(Math.log10(hi) - 1e-9);
  const inside = (v: number) => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const mantissas = e1 - e0 <= 2 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil((e1 - e0 + 1) / Math.max(2, count)));
  const plain = e0 >= -3 && e1 <= 4;
  const values: number[] = [];
  const labels: string[] = [];
  for (let e = e0; e <= e1; e++) {
    // Skipped decades are chosen so the labelled ones are multiples of `every` (10⁻¹², 10⁻⁹, ...).
    if (mantissas.length === 1 && ((e % every) + every) % every !== 0) continue;
    for (const m of mantissas) {
      const v = m * 10 ** e;
      if (!inside(v)) continue;
      values.push(v);
      labels.push(formatPower(m, e, plain));
    }
  }
  if (values.length < 2) return linearTicks([lo, hi], count, false);
  return { domain: [lo, hi], values, labels };
}

/** Ticks for a linear or log axis. */
export function axisTicks(
  domain: readonly [number, number],
  log: boolean,
  count: number,
  nice: boolean,
): Ticks {
  return log ? logTicks(domain, count, nice) : linearTicks(domain, count, nice);
}
