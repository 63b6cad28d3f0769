// Taylor polynomials from derivative values at a point: coefficients, evaluation and TeX.
import { fmt } from "./dom.js";

/** c_k = f^(k)(x₀) / k! for k = 0 … degree. */
export function taylorCoefficients(values: readonly number[], degree: number): number[] {
  const c: number[] = [];
  let factorial = 1;
  for (let k = 0; k <= degree && k < values.length; k++) {
    if (k > 0) factorial *= k;
    c.push(values[k]! / factorial);
  }
  return c;
}

/** Σ c_k (x − x₀)^k by Horner's rule. */
export function evalTaylor(c: readonly number[], x0: number, x: number): number {
  const t = x - x0;
  let s = 0;
  for (let k = c.length - 1; k >= 0; k--) s = s * t + c[k]!;
  return s;
}

/** A number in TeX: a few significant digits, ×10ⁿ for very large or small values. */
export function texNumber(v: number, digits = 4): string {
  if (Number.isNaN(v)) return "\\text{undefined}";
  if (!Number.isFinite(v)) return v > 0 ? "\\infty" : "-\\infty";
  const s = fmt(v, digits).replace(/\u2212/g, "-");
  const m = /^(-?[\d.]+)e(-?\d+)$/.exec(s);
  return m ? `${m[1]} \\times 10^{${m[2]}}` : s;
}

/** `(x - 1.3)`, `(x + 2)` or `x` when x₀ = 0, raised to the k-th power. */
function shifted(variable: string, x0: number, k: number): string {
  const base = x0 === 0 ? variable : `(${variable} ${x0 > 0 ? "-" : "+"} ${texNumber(Math.abs(x0))})`;
  return k === 1 ? base : `${base}^{${k}}`;
}

/** The polynomial Σ c_k (x − x₀)^k written out, terms with negligible coefficients left out. */
export function taylorTex(c: readonly number[], x0: number, variable = "x"): string {
  const scale = c.reduce((m, v) => (Number.isFinite(v) ? Math.max(m, Math.abs(v)) : m), 0);
  const terms: string[] = [];
  c.forEach((v, k) => {
    if (Number.isFinite(v) && Math.abs(v) <= 1e-12 * scale) return;
    const neg = v < 0;
    const a = Math.abs(v);
    let body: string;
    if (k === 0) body = texNumber(a);
    else
      body =
        Math.abs(a - 1) < 1e-12 ? shifted(variable, x0, k) : `${texNumber(a)}\\,${shifted(variable, x0, k)}`;
    if (terms.length === 0) terms.push(`${neg ? "-" : ""}${body}`);
    else terms.push(`${neg ? "-" : "+"} ${body}`);
  });
  return terms.length ? terms.join(" ") : "0";
}
