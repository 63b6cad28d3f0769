// The computations behind `nabla diff | grad | hessian`: symbolic, automatic and numerical derivatives of
// one formula, side by side, as plain data (printed by main.ts as tables or JSON).
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { taylorDerivatives } from "../interpret/jet.js";
import { best } from "../numeric/finite-diff.js";
import { array } from "../ops/creation.js";
import {
  derivative,
  derivatives,
  type Expr,
  hessian,
  MAX_DERIVATIVE_ORDER,
  parse,
} from "../symbolic/expr.js";
import { grad } from "../transforms/api.js";
import { fmt } from "./style.js";

export interface OrderRow {
  order: number;
  formula: string;
  latex: string;
  symbolic: number;
  ad: number;
  numeric: number | null;
  numericError: number | null;
}

export interface DiffReport {
  expr: string;
  variable: string;
  at: Record<string, number>;
  value: number;
  orders: OrderRow[];
}

const ordinal = (k: number) =>
  `${k}${k % 10 === 1 && k % 100 !== 11 ? "st" : k % 10 === 2 && k % 100 !== 12 ? "nd" : k % 10 === 3 && k % 100 !== 13 ? "rd" : "th"}`;
const pointText = (at: Record<string, number>) =>
  Object.entries(at)
    .map(([k, v]) => `${k} = ${fmt(v)}`)
    .join(", ");

/**
 * Refuses a derivative order outside [min, MAX_DERIVATIVE_ORDER]: each order differentiates and simplifies
 * the formula before it, and past the maximum that no longer finishes in seconds.
 */
export function checkOrder(order: number, min: number): void {
  if (!Number.isInteger(order) || order < min || order > MAX_DERIVATIVE_ORDER)
    throw new ValueError(
      `--order ${order}: give an integer from ${min} to ${MAX_DERIVATIVE_ORDER} (the highest order nabla computes)`,
    );
}

/** Refuses values that are not numbers at all, naming where the formula leaves its domain. */
function checkDefined(what: string, value: number, at: Record<string, number>): void {
  if (Number.isNaN(value))
    throw new ValueError(
      `${what} is not defined at ${pointText(at)} (the point is outside its domain; the value would be NaN)`,
    );
}

/** The formula as a function of one variable, the others fixed at `at`. */
export function alongVariable(e: Expr, variable: string, at: Record<string, number>): (t: Tensor) => Tensor {
  const f = e.fn;
  const i = e.variables.indexOf(variable);
  const args = e.variables.map((v) => array(at[v]!, { dtype: "float64" }));
  return (t: Tensor) => f(...args.map((a, j) => (j === i ? t : a)));
}

/** Picks the variable to differentiate: the one asked for, else x if present, else the first. */
export function chooseVariable(e: Expr, wrt?: string): string {
  if (wrt !== undefined) {
    if (!e.variables.includes(wrt))
      throw new ValueError(
        `--wrt ${wrt}: not a variable of ${String(e)} (variables: ${e.variables.join(", ") || "none"})`,
      );
    return wrt;
  }
  if (e.variables.length === 0) throw new ValueError(`${String(e)} has no variables to differentiate`);
  return e.variables.includes("x") ? "x" : e.variables[0]!;
}

/** Derivatives of orders 1…order: formula, its value, the autodiff value and the best finite difference. */
export function diffReport(
  text: string,
  options: { order: number; at: Record<string, number>; wrt: string },
): DiffReport {
  const { order, at, wrt: variable } = options;
  checkOrder(order, 1);
  const e = parse(text);
  const value = e.evaluate(at);
  checkDefined(String(e), value, at);
  const along = alongVariable(e, variable, at);
  const x = array(at[variable]!, { dtype: "float64" });
  const orders: OrderRow[] = [];
  const formulas = derivatives(e, variable, order);
  const ads = autodiff(along, x, order);
  for (let k = 1; k <= order; k++) {
    const formula = formulas[k]!;
    const symbolic = formula.evaluate(at);
    const ad = ads[k - 1]!;
    checkDefined(`the ${ordinal(k)} derivative of ${String(e)}`, ad, at);
    let numeric: number | null = null;
    let numericError: number | null = null;
    try {
      const n = best(along, at[variable]!, { order: k });
      if (Number.isFinite(n.value)) [numeric, numericError] = [n.value, n.error];
    } catch {
      // No finite-difference estimate (the stencil leaves the domain): reported as null.
    }
    orders.push({
      order: k,
      formula: String(formula),
      latex: formula.toLatex(),
      symbolic,
      ad,
      numeric,
      numericError,
    });
  }
  return { expr: text, variable, at, value, orders };
}

/**
 * Derivatives of orders 1…order at x by automatic differentiation: Taylor mode, one pass for every order
 * (nested grad costs a multiple of the last order's work for each order more).
 */
function autodiff(f: (t: Tensor) => Tensor, x: Tensor, order: number): number[] {
  const series = taylorDerivatives(f, x, order) as Tensor[];
  return series.slice(1).map((t) => t.item() as number);
}

export interface GradReport {
  expr: string;
  at: Record<string, number>;
  value: number;
  gradient: {
    variable: string;
    formula: string;
    latex: string;
    value: number;
    numeric: number | null;
    numericError: number | null;
  }[];
}

/** The gradient of a formula of several variables: one formula and value per variable. */
export function gradReport(
  text: string,
  atText: (vars: readonly string[]) => Record<string, number>,
): GradReport {
  const e = parse(text);
  chooseVariable(e);
  const at = atText(e.variables);
  const value = e.evaluate(at);
  checkDefined(String(e), value, at);
  const gradient = e.variables.map((v) => {
    const formula = derivative(e, v, 1);
    const along = alongVariable(e, v, at);
    const ad = grad(along)(array(at[v]!, { dtype: "float64" })).item();
    checkDefined(`∂/∂${v} of ${String(e)}`, ad, at);
    const n = safeBest(along, at[v]!, 1);
    return { variable: v, formula: String(formula), latex: formula.toLatex(), value: ad, ...n };
  });
  return { expr: text, at, value, gradient };
}

function safeBest(
  f: (t: Tensor) => Tensor,
  x: number,
  order: number,
): { numeric: number | null; numericError: number | null } {
  try {
    const n = best(f, x, { order });
    return Number.isFinite(n.value)
      ? { numeric: n.value, numericError: n.error }
      : { numeric: null, numericError: null };
  } catch {
    return { numeric: null, numericError: null };
  }
}

export interface HessianReport {
  expr: string;
  at: Record<string, number>;
  variables: string[];
  formulas: string[][];
  values: number[][];
}

/** The Hessian of a formula: second-derivative formulas and their values. */
export function hessianReport(
  text: string,
  atText: (vars: readonly string[]) => Record<string, number>,
): HessianReport {
  const e = parse(text);
  chooseVariable(e);
  const at = atText(e.variables);
  checkDefined(String(e), e.evaluate(at), at);
  const f = e.fn;
  const args = e.variables.map((v) => array(at[v]!, { dtype: "float64" }));
  const formulas = hessian(e).map((row) => row.map(String));
  const values = e.variables.map((vi, i) =>
    e.variables.map((vj, j) => {
      const h = grad(grad(f, { argnums: i }), { argnums: j })(...args).item();
      checkDefined(`∂²/∂${vi}∂${vj} of ${String(e)}`, h, at);
      return h;
    }),
  );
  return { expr: text, at, variables: [...e.variables], formulas, values };
}
