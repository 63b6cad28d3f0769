// Typed formulas → nabla functions of one variable (the others held fixed), shared by the workers' jobs.
import * as nb from "nabla";

/** A formula, the variable to differentiate along and the values of the other variables. */
export interface FnSpec {
  text: string;
  wrt: string;
  at: Readonly<Record<string, number>>;
}

export type ScalarFn = (t: nb.Tensor) => nb.Tensor;

/** The parsed formula; a formula without variables is read as a constant function of x. */
export function parseFormula(text: string): nb.Expr {
  const e = nb.parse(text);
  return e.variables.length > 0 ? e : nb.parse(text, { variables: ["x"] });
}

/** Picks the variable to differentiate: the one asked for if present, else x, else the first. */
export function chooseWrt(e: nb.Expr, wanted?: string): string {
  if (wanted && e.variables.includes(wanted)) return wanted;
  return e.variables.includes("x") ? "x" : e.variables[0]!;
}

/** f as a function of `wrt` alone, the other variables fixed at `at` (0 when missing). */
export function alongVariable(e: nb.Expr, wrt: string, at: Readonly<Record<string, number>>): ScalarFn {
  const f = e.fn;
  const fixed = e.variables.map((v) => nb.array(at[v] ?? 0, { dtype: "float64" }));
  const i = e.variables.indexOf(wrt);
  return (t: nb.Tensor) => f(...fixed.map((a, j) => (j === i ? t : a)));
}

/** The k-th derivative along the chosen variable, as a nabla function (k = 0 is f itself). */
export function derivativeFn(f: ScalarFn, k: number): ScalarFn {
  let g = f;
  for (let i = 0; i < k; i++) g = nb.grad(g) as ScalarFn;
  return g;
}

export const specKey = (s: FnSpec): string =>
  `${s.text}\u0000${s.wrt}\u0000${Object.entries(s.at)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(",")}`;
