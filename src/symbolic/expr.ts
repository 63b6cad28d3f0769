// Expressions: parsed or derived formulas that print as text or LaTeX and run as nabla functions.
import { toTensor } from "../core/convert.js";
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import type { TensorLike } from "../ops/util.js";
import { grad, makeProgram } from "../transforms/api.js";
import { resetTerms, size, type Term, withBudget, workSpent } from "./algebra.js";
import type { Node } from "./ast.js";
import { compile, evaluate, pointMap } from "./compile.js";
import { nodeSize, toLatex, toText } from "./format.js";
import { programToFormula, programToTerm } from "./from-program.js";
import { parseFormula, variablesOf } from "./parse.js";
import { collect, expandAll, factorCommon, together } from "./rewrites.js";
import { termFunction } from "./term-function.js";
import { bindingNames, type Formula, toFormula } from "./to-node.js";

/**
 * A mathematical expression in named variables. Print it with `String(e)` / `e.toLatex()`, evaluate it
 * with `e.evaluate({ x: 2 })`, or use `e.fn` — a nabla function of tensors that every transformation
 * (grad, vmap, jacfwd, ...) accepts.
 * @example
 * ```ts
 * const e = nb.parse("x^2 + 3x");
 * String(e);                 // "x^2 + 3x"
 * e.evaluate({ x: 2 });      // 10
 * nb.grad(e.fn)(2).item();   // 7
 * ```
 */
export class Expr {
  /** The variables, in the order `fn` takes them (sorted unless given to parse). */
  readonly variables: readonly string[];
  constructor(
    readonly formula: Formula,
    variables?: readonly string[],
  ) {
    const bound = new Set(formula.bindings.map((b) => b.name));
    this.variables =
      variables ??
      [...new Set([formula.body, ...formula.bindings.map((b) => b.node)].flatMap(variablesOf))]
        .filter((v) => !bound.has(v))
        .sort();
  }

  /** Plain text, e.g. `2x cos(x^2)`; shared subexpressions appear as `... where u = ...`. */
  toString(): string {
    const body = toText(this.formula.body);
    if (this.formula.bindings.length === 0) return body;
    return `${body} where ${this.formula.bindings.map((b) => `${b.name} = ${toText(b.node)}`).join(", ")}`;
  }

  /** LaTeX math, e.g. `2 x \cos\left(x^{2}\right)`. */
  toLatex(): string {
    const body = toLatex(this.formula.body);
    if (this.formula.bindings.length === 0) return body;
    return `${body} \\quad \\text{where } ${this.formula.bindings.map((b) => `${b.name} = ${toLatex(b.node)}`).join(",\\ ")}`;
  }

  /** The number of nodes in the printed formula, bindings included (each binding costs one more). */
  get size(): number {
    return nodeSize(this.formula.body) + this.formula.bindings.reduce((n, b) => n + 1 + nodeSize(b.node), 0);
  }

  /** The value at a point, in float64. */
  evaluate(at: Readonly<Record<string, number>>): number {
    if (typeof at !== "object" || at === null)
      throw new ValueError(`evaluate: expected a point such as { x: 2 }, got ${describe(at)}`);
    const env = pointMap(at);
    for (const v of this.variables)
      if (typeof env.get(v) !== "number")
        throw new ValueError(
          `evaluate: no number for variable '${v}' (variables: ${this.variables.join(", ")})`,
        );
    for (const b of this.formula.bindings) env.set(b.name, evaluate(b.node, env));
    return evaluate(this.formula.body, env);
  }

  /** The expression as a nabla function of its variables, in the order of `variables`. */
  get fn(): (...args: TensorLike[]) => Tensor {
    const vars = this.variables;
    const names = this.formula.bindings.map((b) => b.name);
    const parts = this.formula.bindings.map((b, i) => compile(b.node, [...vars, ...names.slice(0, i)]));
    const body = compile(this.formula.body, [...vars, ...names]);
    return (...args: TensorLike[]) => {
      if (args.length !== vars.length)
        throw new ValueError(
          `expression function: expected ${vars.length} argument(s) (${vars.join(", ")}), got ${args.length}`,
        );
      const vals: TensorLike[] = [...args];
      for (const p of parts) vals.push(p(...vals));
      return body(...vals);
    };
  }
}

/**
 * Parses a formula: `+ - * / ^`, implicit multiplication (`2x`, `3x^2`, `2(x+1)`, `x y`), parentheses,
 * comparisons and `test ? a : b`, the constants `pi`, `e`, `NaN` and `Infinity`, the functions sin cos tan
 * asin acos atan sinh cosh tanh exp log ln sqrt abs sec sech sign sigmoid relu softplus erf min max pow
 * atan2, and named subexpressions `... where u = ...`. Everything an Expr prints reads back through parse
 * to the same values.
 * @example
 * ```ts
 * const p = nb.parse("x^4 - 2x^3 + 3x^2 - 4x + 5");
 * p.evaluate({ x: 2 }); // 9
 * nb.parse("u^2 + u where u = sin(x)").variables; // ["x"]
 * ```
 */
export function parse(text: string, options: { variables?: readonly string[] } = {}): Expr {
  const { body, bindings } = parseFormula(text, options);
  return new Expr(
    { body, bindings: bindings.map((b) => ({ name: b.name, node: b.node })) },
    options?.variables === undefined ? undefined : [...options.variables],
  );
}

/** Formulas above this many nodes are not differentiated further (the next one would be larger still). */
export const MAX_FORMULA_SIZE = 20_000;
/** The highest derivative order nb.symbolic.derivative computes (each order differentiates the last formula). */
export const MAX_DERIVATIVE_ORDER = 10;

/**
 * The work (counted operations, see algebra.ts; about a second) one call of simplify, derivative, gradient
 * or hessian spends on simplifying, shared by all the formulas it builds; once it is spent, the remaining
 * formulas are built without simplification.
 */
const CALL_BUDGET = 2_000_000;
/** The most one rewrite (expanding, grouping, a common denominator) may spend. */
const REWRITE_BUDGET = 300_000;

/** The work left to one public call. */
interface Work {
  left: number;
}
const newWork = (): Work => ({ left: CALL_BUDGET });

const describe = (v: unknown): string =>
  typeof v === "string" ? JSON.stringify(v) : v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;

function asExpr(what: string, e: unknown): Expr {
  if (typeof e === "string") return parse(e);
  if (e instanceof Expr) return e;
  throw new ValueError(`${what}: expected a formula (a string or an nb.Expr), got ${describe(e)}`);
}

/** A formula's text for a message, shortened. */
const quote = (e: Expr): string => {
  const s = String(e);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** The simplest of a few rewrites of the term, each tried within its own share of the work left. */
function simplest(built: Term, left: () => number): Term {
  let best = built;
  const consider = (t: Term | null) => {
    if (t !== null && size(t) < size(best)) best = t;
  };
  const attempt = (f: () => Term): Term | null =>
    left() > 0 ? withBudget(Math.min(REWRITE_BUDGET, left()), f, () => null) : null;
  const expanded = attempt(() => expandAll(built));
  // Fully expanded (every like term collected), then as built; each grouped by shared factors and over a
  // common denominator. A built form far larger than the best so far is not worth rewriting.
  for (const b of expanded === null ? [built] : [expanded, built]) {
    if (b === built && b !== best && size(b) > 2 * size(best)) continue;
    consider(b);
    consider(attempt(() => collect(b)));
    consider(attempt(() => factorCommon(b)));
    const t = attempt(() => together(b));
    if (t === null || t === b) continue;
    consider(t);
    consider(attempt(() => collect(t)));
    consider(attempt(() => factorCommon(t)));
  }
  return best;
}

/** A simplified formula, with its canonical term when the simplifier got that far. */
interface Simplified {
  readonly expr: Expr;
  readonly term: Term | null;
}

/**
 * Traces `f` (a function of the expression's variables) to a program and simplifies it into an Expr. The
 * work is budgeted: past the budget the result is less simplified (at worst the program itself, with its
 * shared values as where-bindings), never wrong.
 */
function formulaOf(f: (...xs: Tensor[]) => Tensor, variables: readonly string[], work: Work): Simplified {
  const args = variables.map(() => toTensor(1, "float64"));
  const program = makeProgram(f)(...args);
  const start = workSpent();
  const left = () => work.left - (workSpent() - start);
  resetTerms();
  try {
    const built =
      left() > 0
        ? withBudget(
            left(),
            () => programToTerm(program, variables),
            () => null,
          )
        : null;
    if (built === null) {
      const formula = programToFormula(program, variables, bindingNames(variables));
      return { expr: new Expr(formula, variables), term: null };
    }
    const term = simplest(built, left);
    return { expr: new Expr(toFormula(term, variables), variables), term };
  } finally {
    work.left = left();
    resetTerms();
  }
}

/** The derivative of a simplified formula with respect to argument `i`, simplified. */
function differentiate(s: Simplified, i: number, variables: readonly string[], work: Work): Simplified {
  const f = (s.term === null ? s.expr.fn : termFunction(s.term, variables)) as (...xs: Tensor[]) => Tensor;
  return formulaOf(grad(f, { argnums: i }), variables, work);
}

/**
 * Simplifies an expression: constants folded, like terms and factors collected, polynomials in normal form,
 * common factors pulled out and repeated subexpressions named.
 * @example
 * ```ts
 * String(nb.symbolic.simplify("x*x + 2x - x + 1 - 1")); // "x^2 + x"
 * ```
 */
export function simplify(expr: Expr | string): Expr {
  const e = asExpr("simplify", expr);
  checkSize("simplify", e);
  return formulaOf(e.fn as (...xs: Tensor[]) => Tensor, e.variables, newWork()).expr;
}

/** Refuses to differentiate or simplify a formula past MAX_FORMULA_SIZE nodes (`order`: of which derivative). */
function checkSize(what: string, e: Expr, order?: number): void {
  if (e.size <= MAX_FORMULA_SIZE) return;
  if (order === undefined)
    throw new ValueError(
      `${what}: the formula has ${e.size} nodes; formulas of up to ${MAX_FORMULA_SIZE} are simplified and differentiated`,
    );
  throw new ValueError(
    `${what}: the derivative of order ${order} already has ${e.size} nodes, more than the ${MAX_FORMULA_SIZE} a formula may have to be differentiated again; ask for order ${order} at most`,
  );
}

/**
 * The k-th derivative with respect to one variable, as a simplified formula, for k from 0 (the formula
 * simplified) to 10. It is computed by the same automatic differentiation as nb.grad, one order at a
 * time: each derivative program is traced, simplified and printed, and the next order differentiates that
 * formula.
 * @example
 * ```ts
 * String(nb.symbolic.derivative("x^4 - 2x^3 + 3x^2 - 4x + 5", "x", 3)); // "24x - 12"
 * String(nb.symbolic.derivative("sin(x^2)", "x"));                       // "2x cos(x^2)"
 * ```
 */
export function derivative(expr: Expr | string, variable?: string, order = 1): Expr {
  const series = derivativesOf("derivative", expr, variable, order);
  return series[series.length - 1]!;
}

/**
 * The derivatives of orders 0 (the formula simplified) to `order`, computed together (each from the one
 * before, within one work budget); what `nabla diff` prints.
 * @example
 * ```ts
 * derivatives("x^3", "x", 3).map(String); // ["x^3", "3x^2", "6x", "6"]
 * ```
 */
export function derivatives(expr: Expr | string, variable: string | undefined, order: number): Expr[] {
  return derivativesOf("derivatives", expr, variable, order, true);
}

function derivativesOf(what: string, expr: unknown, variable: unknown, order: unknown, all = false): Expr[] {
  const e = asExpr(what, expr);
  if (variable !== undefined && typeof variable !== "string")
    throw new ValueError(`${what}: the variable must be a name such as "x", got ${describe(variable)}`);
  if (typeof order !== "number" || !Number.isInteger(order) || order < 0 || order > MAX_DERIVATIVE_ORDER)
    throw new ValueError(
      `${what}: order must be an integer from 0 to ${MAX_DERIVATIVE_ORDER}, got ${typeof order === "number" ? order : describe(order)}`,
    );
  const v = variable ?? e.variables[0];
  if (v === undefined) throw new ValueError(`${what}: the expression ${quote(e)} has no variables`);
  const i = e.variables.indexOf(v);
  if (i < 0)
    throw new ValueError(
      `${what}: '${v}' is not a variable of ${quote(e)} (variables: ${e.variables.join(", ") || "none"})`,
    );
  checkSize(what, e);
  const work = newWork();
  const out: Expr[] = [];
  if (all || order === 0) out.push(formulaOf(e.fn as (...xs: Tensor[]) => Tensor, e.variables, work).expr);
  let d: Simplified = { expr: e, term: null };
  for (let k = 1; k <= order; k++) {
    if (k > 1) checkSize(what, d.expr, k - 1);
    d = differentiate(d, i, e.variables, work);
    if (all || k === order) out.push(d.expr);
  }
  return out;
}

/**
 * The gradient: one derivative formula per variable, in the order of `expr.variables`.
 * @example
 * ```ts
 * nb.symbolic.gradient("x^2 y + y").map(String); // ["2x y", "x^2 + 1"]
 * ```
 */
export function gradient(expr: Expr | string): Expr[] {
  const e = asExpr("gradient", expr);
  checkSize("gradient", e);
  const work = newWork();
  return e.variables.map((_, i) => differentiate({ expr: e, term: null }, i, e.variables, work).expr);
}

/**
 * The Hessian: second-derivative formulas, [i][j] = ∂²f/∂vᵢ∂vⱼ.
 * @example
 * ```ts
 * nb.symbolic.hessian("x^2 y").map((row) => row.map(String)); // [["2y", "2x"], ["2x", "0"]]
 * ```
 */
export function hessian(expr: Expr | string): Expr[][] {
  const e = asExpr("hessian", expr);
  checkSize("hessian", e);
  const work = newWork();
  return e.variables.map((_, i) => {
    const first = differentiate({ expr: e, term: null }, i, e.variables, work);
    return e.variables.map((_, j) => differentiate(first, j, e.variables, work).expr);
  });
}

export type { Node };
