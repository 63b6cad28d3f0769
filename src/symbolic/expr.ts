// Expressions: parsed or derived formulas that print as text or LaTeX and run as nabla functions.
import { toTensor } from "../core/convert.js";
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { grad, makeProgram } from "../interpret/api.js";
import type { TensorLike } from "../ops/util.js";
import { collect, expandAll, factorCommon, size, together } from "./algebra.js";
import type { Node } from "./ast.js";
import { compile, evaluate } from "./compile.js";
import { nodeSize, toLatex, toText } from "./format.js";
import { programToTerm } from "./from-program.js";
import { parseNode, variablesOf } from "./parse.js";
import { type Formula, toFormula } from "./to-node.js";

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
    for (const v of this.variables)
      if (typeof at[v] !== "number")
        throw new ValueError(
          `evaluate: no value for variable '${v}' (variables: ${this.variables.join(", ")})`,
        );
    const env: Record<string, number> = { ...at };
    for (const b of this.formula.bindings) env[b.name] = evaluate(b.node, env);
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
 * `pi`, `e`, and the functions sin cos tan asin acos atan sinh cosh tanh exp log ln sqrt abs sigmoid relu
 * softplus erf min max pow atan2.
 * @example
 * ```ts
 * const p = nb.parse("x^4 - 2x^3 + 3x^2 - 4x + 5");
 * p.evaluate({ x: 2 }); // 9
 * ```
 */
export function parse(text: string, options: { variables?: readonly string[] } = {}): Expr {
  const parts = splitTopLevel(text, " where ");
  if (parts.length === 1)
    return new Expr({ body: parseNode(text, options), bindings: [] }, options.variables);
  // "body where u = …, v = …" — the form formulas print in when they name shared subexpressions.
  const defs = splitTopLevel(parts.slice(1).join(" where "), ",").map((d) => {
    const m = /^\s*([A-Za-z_]\w*)\s*=(?!=)(.*)$/s.exec(d);
    if (!m)
      throw new ValueError(
        `parse: cannot read the binding "${d.trim()}" after 'where' (expected name = expression)`,
      );
    return { name: m[1]!, text: m[2]! };
  });
  const names = defs.map((d) => d.name);
  const vars = options.variables === undefined ? undefined : [...options.variables, ...names];
  const bindings = defs.map((d) => ({ name: d.name, node: parseNode(d.text, { variables: vars }) }));
  const body = parseNode(parts[0]!, { variables: vars });
  // Bindings may use earlier ones; order them so each comes after those it uses.
  const order: typeof bindings = [];
  const pending = [...bindings];
  while (pending.length > 0) {
    const i = pending.findIndex((b) =>
      variablesOf(b.node).every((v) => !pending.some((p) => p.name === v && p !== b)),
    );
    if (i < 0)
      throw new ValueError(
        `parse: the bindings after 'where' refer to each other in a cycle (${names.join(", ")})`,
      );
    order.push(pending.splice(i, 1)[0]!);
  }
  return new Expr({ body, bindings: order }, options.variables);
}

/** Splits at a separator outside parentheses. */
function splitTopLevel(text: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (depth === 0 && text.startsWith(sep, i)) {
      out.push(text.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

const asExpr = (e: Expr | string): Expr => (typeof e === "string" ? parse(e) : e);

/** Traces `f` (a function of the expression's variables) to a program and simplifies it into an Expr. */
function formulaOf(f: (...xs: Tensor[]) => Tensor, variables: readonly string[]): Expr {
  const args = variables.map(() => toTensor(1, "float64"));
  const built = programToTerm(makeProgram(f)(...args), variables);
  // Candidates: as built, fully expanded (every like term collected), and both grouped by shared factors.
  const candidates = [built, expandAll(built)].flatMap((b) => {
    const t = together(b);
    return [b, collect(b), factorCommon(b), t, collect(t), factorCommon(t)];
  });
  const term = candidates.reduce((a, b) => (size(b) < size(a) ? b : a));
  return new Expr(toFormula(term, variables), variables);
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
  const e = asExpr(expr);
  return formulaOf(e.fn as (...xs: Tensor[]) => Tensor, e.variables);
}

/**
 * The k-th derivative with respect to one variable, as a simplified formula. It is computed by the same
 * automatic differentiation as nb.grad — the traced derivative program is simplified and printed.
 * @example
 * ```ts
 * String(nb.symbolic.derivative("x^4 - 2x^3 + 3x^2 - 4x + 5", "x", 3)); // "24x - 12"
 * String(nb.symbolic.derivative("sin(x^2)", "x"));                       // "2x cos(x^2)"
 * ```
 */
export function derivative(expr: Expr | string, variable?: string, order = 1): Expr {
  const e = asExpr(expr);
  const v = variable ?? e.variables[0];
  if (v === undefined) throw new ValueError(`derivative: the expression ${String(e)} has no variables`);
  const i = e.variables.indexOf(v);
  if (i < 0)
    throw new ValueError(
      `derivative: '${v}' is not a variable of ${String(e)} (variables: ${e.variables.join(", ") || "none"})`,
    );
  if (!Number.isInteger(order) || order < 0)
    throw new ValueError(`derivative: order must be a non-negative integer, got ${order}`);
  let f = e.fn as (...xs: Tensor[]) => Tensor;
  for (let k = 0; k < order; k++) f = grad(f, { argnums: i });
  return formulaOf(f, e.variables);
}

/**
 * The gradient: one derivative formula per variable, in the order of `expr.variables`.
 * @example
 * ```ts
 * nb.symbolic.gradient("x^2 y + y").map(String); // ["2x y", "x^2 + 1"]
 * ```
 */
export function gradient(expr: Expr | string): Expr[] {
  const e = asExpr(expr);
  return e.variables.map((v) => derivative(e, v, 1));
}

/**
 * The Hessian: second-derivative formulas, [i][j] = ∂²f/∂vᵢ∂vⱼ.
 * @example
 * ```ts
 * nb.symbolic.hessian("x^2 y").map((row) => row.map(String)); // [["2y", "2x"], ["2x", "0"]]
 * ```
 */
export function hessian(expr: Expr | string): Expr[][] {
  const e = asExpr(expr);
  const f = e.fn as (...xs: Tensor[]) => Tensor;
  return e.variables.map((_, i) =>
    e.variables.map((_, j) => formulaOf(grad(grad(f, { argnums: i }), { argnums: j }), e.variables)),
  );
}

export type { Node };
