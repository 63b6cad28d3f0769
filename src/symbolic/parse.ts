// Text → expression tree: a recursive-descent parser with bounded depth (no eval) over the tokens of
// lexer.ts; the syntax error type, input limits and where-bindings.
import { NablaError, ValueError } from "../core/errors.js";
import {
  type CmpOp,
  FUNCTION_ALIASES,
  FUNCTIONS,
  type FunctionName,
  functionNamed,
  type Node,
} from "./ast.js";
import { CMP_OPS, describeToken, Lexer, type Op, type Token } from "./lexer.js";

/** Inputs longer than this many characters are refused. */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Parentheses, calls, unary signs and `^` exponents may nest at most this deep. */
export const MAX_EXPRESSION_DEPTH = 200;
/** A formula with where-bindings may stand for at most this many nodes once every binding is written out. */
export const MAX_EXPANDED_SIZE = 1_000_000;

/**
 * A syntax error in an expression. `column` is 1-based; the message ends with the input and a caret under it.
 * @example
 * ```ts
 * try { parseNode("x + 2*)"); } catch (e) { (e as ParseError).column; } // 7
 * // unexpected ')' at column 7: expected an expression
 * //   x + 2*)
 * //         ^
 * ```
 */
export class ParseError extends NablaError {
  override name = "ParseError";
  /** The 1-based column the error points at (one past the end for an unexpected end of input). */
  readonly column: number;
  /** The whole input. */
  readonly text: string;

  constructor(headline: string, text: string, column: number, options: { excerpt?: boolean } = {}) {
    super(options.excerpt === false ? headline : `${headline}\n${excerpt(text, column)}`);
    this.column = column;
    this.text = text;
  }
}

/** Two indented lines: a window of the input (whitespace shown as spaces) and a caret under `column`. */
function excerpt(text: string, column: number): string {
  const at = column - 1;
  const from = Math.max(0, at - 60);
  const to = Math.min(text.length, at + 20);
  const line =
    (from > 0 ? "…" : "") + text.slice(from, to).replace(/\s/g, " ") + (to < text.length ? "…" : "");
  // Count code points so the caret stays under the character even after astral symbols.
  const pad = (from > 0 ? 1 : 0) + [...text.slice(from, at)].length;
  return `  ${line}\n  ${" ".repeat(pad)}^`;
}

/** A lexer over `text` whose errors are ParseErrors. */
const lexerOf = (text: string): Lexer =>
  new Lexer(text, (headline, column) => new ParseError(headline, text, column));

/** Named constants; `NaN` and `Infinity` are how the printers write those values. */
const CONSTANTS: ReadonlyMap<string, { value: number; name?: "pi" | "e" }> = new Map([
  ["pi", { value: Math.PI, name: "pi" as const }],
  ["π", { value: Math.PI, name: "pi" as const }],
  ["e", { value: Math.E, name: "e" as const }],
  ["Infinity", { value: Number.POSITIVE_INFINITY }],
  ["inf", { value: Number.POSITIVE_INFINITY }],
  ["∞", { value: Number.POSITIVE_INFINITY }],
  ["NaN", { value: Number.NaN }],
  ["nan", { value: Number.NaN }],
]);
/** The keyword that introduces bindings: `body where u = …, v = …`. */
const WHERE = "where";

const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

const constantOf = (name: string) => CONSTANTS.get(name);
const knownFunctions = (): string => [...Object.keys(FUNCTIONS), ...Object.keys(FUNCTION_ALIASES)].join(", ");

/** A named subexpression after `where`, with the 0-based offset of its name. */
export interface Binding {
  readonly name: string;
  readonly node: Node;
  readonly at?: number;
}

/** A parsed formula: a body and its where-bindings, each binding after the ones it uses. */
export interface ParsedFormula {
  readonly body: Node;
  readonly bindings: readonly Binding[];
}

/**
 * Recursive descent, one method per precedence level (loosest first):
 *   formula := cond ("where" name "=" cond ("," name "=" cond)*)?   -- bindings, only through parseFormula
 *   cond  := cmp ("?" cond ":" cond)?                 -- a piecewise formula, grouping to the right
 *   cmp   := expr (("<" | "<=" | ">" | ">=" | "==" | "!=") expr)?   -- 1 or 0; comparisons do not chain
 *   expr  := term (("+" | "-") term)*
 *   term  := unary (("*" | "/") unary | power)*      -- a bare `power` is implicit multiplication
 *   unary := ("-" | "+")* power
 *   power := primary ("^" unary)?                     -- right-associative; the exponent may be signed
 *   primary := number | name | name "(" cond ("," cond)* ")" | "(" cond ")"
 * Every nesting step (parenthesis, call, sign, exponent, branch) goes through `enter`, which bounds the recursion.
 */
class Parser {
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly lex: Lexer,
    private readonly declared: ReadonlySet<string> | undefined,
    /** Names bound after `where`: variables of the formula wherever they appear. */
    private readonly bound: ReadonlySet<string> = new Set(),
  ) {}

  formula(allowBindings: boolean): ParsedFormula {
    if (this.lex.peek().kind === "end")
      throw new ParseError(
        "empty expression at column 1: expected a number, a variable, a function call or '('",
        this.text,
        1,
      );
    const body = this.cond();
    const bindings: Binding[] = [];
    const t = this.lex.peek();
    if (allowBindings && t.kind === "ident" && t.name === WHERE) {
      this.lex.next();
      for (;;) {
        bindings.push(this.binding());
        if (!this.isOp(this.lex.peek(), ",")) break;
        this.lex.next();
      }
    }
    const last = this.lex.peek();
    if (last.kind !== "end")
      throw this.unexpected(
        last,
        bindings.length > 0
          ? "an operator, ',' and another binding, or the end of the formula"
          : "an operator or the end of the expression",
      );
    return { body, bindings };
  }

  /** name "=" cond */
  private binding(): Binding {
    const t = this.lex.next();
    if (t.kind !== "ident" || t.name === WHERE || t.name === "∞")
      throw this.unexpected(t, "a name to bind (as in 'where u = x^2')");
    if (functionNamed(t.name) !== undefined)
      throw this.error(
        `cannot bind '${t.name}' at column ${t.at + 1}: it is a function name; choose another name`,
        t.at,
      );
    if (this.declared?.has(t.name))
      throw this.error(
        `cannot bind '${t.name}' at column ${t.at + 1}: it is a variable of the formula; choose another name`,
        t.at,
      );
    const eq = this.lex.next();
    if (!this.isOp(eq, "=")) throw this.unexpected(eq, `'=' after the name '${t.name}'`);
    return { name: t.name, node: this.cond(), at: t.at };
  }

  private error(message: string, at: number): ParseError {
    return new ParseError(message, this.text, at + 1);
  }

  private unexpected(t: Token, expected: string): ParseError {
    // A lone '=' is most often a comparison written the way it is on paper.
    if (this.isOp(t, "="))
      return this.error(`unexpected character '=' at column ${t.at + 1} (write '==' to compare)`, t.at);
    return this.error(`unexpected ${describeToken(t)} at column ${t.at + 1}: expected ${expected}`, t.at);
  }

  private enter(at: number): void {
    if (++this.depth > MAX_EXPRESSION_DEPTH)
      throw this.error(`expression nested too deeply (more than ${MAX_EXPRESSION_DEPTH} levels)`, at);
  }

  private isOp(t: Token, ...ops: Op[]): t is Extract<Token, { kind: "op" }> {
    return t.kind === "op" && ops.includes(t.op);
  }

  private cond(): Node {
    const test = this.cmp();
    const q = this.lex.peek();
    if (!this.isOp(q, "?")) return test;
    this.lex.next();
    this.enter(q.at);
    const then = this.cond();
    const colon = this.lex.next();
    if (!this.isOp(colon, ":")) throw this.unexpected(colon, `':' to go with '?' at column ${q.at + 1}`);
    const otherwise = this.cond();
    this.depth--;
    return { kind: "cond", test, ifTrue: then, ifFalse: otherwise, at: q.at };
  }

  private cmp(): Node {
    const left = this.expr();
    const t = this.lex.peek();
    if (t.kind !== "op" || !CMP_OPS.includes(t.op)) return left;
    this.lex.next();
    const right = this.expr();
    const next = this.lex.peek();
    if (next.kind === "op" && CMP_OPS.includes(next.op))
      throw this.unexpected(
        next,
        "an operator other than a comparison (comparisons do not chain; use parentheses)",
      );
    return { kind: "cmp", op: t.op as CmpOp, left, right, at: t.at };
  }

  private expr(): Node {
    let left = this.term();
    for (let t = this.lex.peek(); this.isOp(t, "+", "-"); t = this.lex.peek()) {
      this.lex.next();
      const right = this.term();
      left = { kind: t.op === "+" ? "add" : "sub", left, right, at: t.at };
    }
    return left;
  }

  private term(): Node {
    let left = this.unary();
    for (;;) {
      const t = this.lex.peek();
      if (this.isOp(t, "*", "/")) {
        this.lex.next();
        const right = this.unary();
        left = { kind: t.op === "*" ? "mul" : "div", left, right, at: t.at };
      } else if ((t.kind === "ident" && t.name !== WHERE) || this.isOp(t, "(")) {
        // Implicit multiplication: `2x`, `x y`, `2(x+1)`, `(x+1)(x-1)`, `x(y+1)`; same precedence as `*`.
        left = { kind: "mul", left, right: this.power(), at: t.at };
      } else {
        return left;
      }
    }
  }

  private unary(): Node {
    const signs: Extract<Token, { kind: "op" }>[] = [];
    for (let t = this.lex.peek(); this.isOp(t, "+", "-"); t = this.lex.peek()) {
      this.enter(t.at);
      signs.push(t);
      this.lex.next();
    }
    let node = this.power();
    for (let i = signs.length - 1; i >= 0; i--) {
      const s = signs[i]!;
      if (s.op === "-") node = { kind: "neg", arg: node, at: s.at };
      this.depth--;
    }
    return node;
  }

  private power(): Node {
    const base = this.primary();
    const t = this.lex.peek();
    if (!this.isOp(t, "^")) return base;
    this.lex.next();
    this.enter(t.at);
    const exponent = this.unary();
    this.depth--;
    return { kind: "pow", left: base, right: exponent, at: t.at };
  }

  private primary(): Node {
    const t = this.lex.next();
    if (t.kind === "num") return { kind: "num", value: t.value, at: t.at };
    if (t.kind === "ident" && t.name !== WHERE) return this.name(t);
    if (this.isOp(t, "(")) {
      this.enter(t.at);
      const inner = this.cond();
      const close = this.lex.next();
      if (!this.isOp(close, ")")) throw this.unexpected(close, `')' to close '(' at column ${t.at + 1}`);
      this.depth--;
      return inner;
    }
    throw this.unexpected(t, "an expression");
  }

  /**
   * A name is, in order: a call of a known function, a declared or bound variable, a constant, or an
   * undeclared name.
   */
  private name(t: Extract<Token, { kind: "ident" }>): Node {
    const { name, at } = t;
    const fn = functionNamed(name);
    const calls = this.isOp(this.lex.peek(), "(");
    if (fn !== undefined && calls) return this.call(t, fn);
    if (this.declared?.has(name) || this.bound.has(name)) return { kind: "var", name, at };
    const constant = constantOf(name);
    if (constant !== undefined)
      return constant.name === undefined
        ? { kind: "num", value: constant.value, at }
        : { kind: "num", value: constant.value, name: constant.name, at };
    if (fn !== undefined) throw this.unexpected(this.lex.peek(), `'(' after the function name '${name}'`);
    // `x(y+1)` multiplies when x is one letter or declared; a longer unknown name before '(' is a misspelt call.
    if (calls && (this.declared !== undefined || [...name].length > 1))
      throw this.error(
        `unknown function '${name}' at column ${at + 1}; known functions: ${knownFunctions()}`,
        at,
      );
    if (this.declared !== undefined) {
      const vars = [...this.declared];
      const hint = [...name].every((c) => this.declared!.has(c))
        ? ` (write '${[...name].join(" ")}' or '${[...name].join("*")}' for a product)`
        : "";
      const list = vars.length === 0 ? "there are no variables" : `the variables are ${vars.join(", ")}`;
      throw this.error(`unknown variable '${name}' at column ${at + 1}; ${list}${hint}`, at);
    }
    return { kind: "var", name, at };
  }

  private call(t: Extract<Token, { kind: "ident" }>, fn: FunctionName): Node {
    const open = this.lex.next();
    this.enter(open.at);
    const args: Node[] = [];
    if (this.isOp(this.lex.peek(), ")")) this.lex.next();
    else {
      for (;;) {
        args.push(this.cond());
        const sep = this.lex.next();
        if (this.isOp(sep, ")")) break;
        if (!this.isOp(sep, ","))
          throw this.unexpected(sep, `',' or ')' to close '${t.name}(' at column ${open.at + 1}`);
      }
    }
    this.depth--;
    const want = FUNCTIONS[fn];
    if (args.length !== want)
      throw this.error(
        `${t.name} expects ${want} argument${want === 1 ? "" : "s"}, got ${args.length} at column ${t.at + 1}`,
        t.at,
      );
    return { kind: "call", fn, args, at: t.at };
  }
}

/** Checks the input's type and length, and the declared variable names; returns them as a set. */
function checkInput(
  what: string,
  text: unknown,
  options: { variables?: readonly string[] } | undefined,
): Set<string> | undefined {
  if (typeof text !== "string") throw new ValueError(`${what}: expected a string, got ${typeOf(text)}`);
  if (text.length > MAX_EXPRESSION_LENGTH)
    throw new ParseError(
      `expression too long (${text.length} characters; the limit is ${MAX_EXPRESSION_LENGTH})`,
      text,
      MAX_EXPRESSION_LENGTH + 1,
      { excerpt: false },
    );
  if (options === undefined || options === null) return undefined;
  if (typeof options !== "object")
    throw new ValueError(
      `${what}: options must be an object such as { variables: ["x"] }, got ${typeOf(options)}`,
    );
  const { variables } = options;
  if (variables === undefined) return undefined;
  if (!Array.isArray(variables))
    throw new ValueError(`${what}: options.variables must be an array of names, got ${typeOf(variables)}`);
  for (const v of variables as readonly unknown[])
    if (typeof v !== "string" || !IDENTIFIER.test(v) || v === WHERE)
      throw new ValueError(`${what}: variable name ${describeValue(v)} is not a valid identifier`);
  return new Set(variables);
}

const typeOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v);
const describeValue = (v: unknown): string => (typeof v === "string" ? JSON.stringify(v) : String(v));

/**
 * Parses mathematical notation into an expression tree.
 *
 * Grammar: numbers (`3`, `1.5`, `.5`, `1e-3`), names, `+ - * / ^` (`**` is `^`), parentheses and calls
 * `f(a, b)`. `^` binds tightest and groups to the right (`2^3^2` = 2⁹); a sign binds looser than `^`
 * (`-x^2` = −(x²)) but tighter than `*`; `*`, `/` and implicit multiplication share one level and group to
 * the left (`x/2y` = (x/2)·y). Implicit multiplication applies before a name or `(`: `2x`, `2(x+1)`,
 * `x y`, `(x+1)(x-1)`, `(x+1)x`, `x(y+1)`. A run of letters and digits is one name: `xy` is the variable
 * "xy" and `x2` the variable "x2" (write `x y` or `x*y` for a product); `2x` splits because a number ends
 * at the first letter, but `2e3` is the number 2000. A number never multiplies implicitly from the right
 * (`x 2` is an error). `pi`, `π`, `e`, `Infinity` (also `inf`, `∞`) and `NaN` (also `nan`) are constants
 * unless declared as variables. Comparisons (`<`, `<=`, `>`, `>=`, `==`, `!=`) give 1 or 0 and
 * `test ? a : b` picks a branch, as `toText` prints them. `where` is a keyword (see parseFormula).
 *
 * With `options.variables`, any other name is an error that names it. Without it, a name of two or more
 * letters directly before `(` that is not a function is reported as an unknown function.
 * Inputs longer than 10,000 characters or nested deeper than 200 levels are refused with a ParseError.
 * @example
 * ```ts
 * parseNode("2x^2"); // mul(num 2, pow(var x, num 2))
 * parseNode("max(x)"); // ParseError: max expects 2 arguments, got 1 at column 1
 * ```
 */
export function parseNode(text: string, options: { variables?: readonly string[] } = {}): Node {
  const declared = checkInput("parse", text, options);
  return new Parser(text, lexerOf(text), declared).formula(false).body;
}

/**
 * Parses a formula that may name subexpressions: `body where u = …, v = …` (the form the printers use for
 * shared subexpressions). A binding may use other bindings, in any order, but not in a cycle; binding names
 * are variables everywhere in the formula and may not be function names or declared variables. The
 * 10,000-character limit holds for the whole text, and the formula with every binding written out may
 * have at most 1,000,000 nodes.
 * @example
 * ```ts
 * parseFormula("u^2 + u where u = sin(x)").bindings[0].name; // "u"
 * ```
 */
export function parseFormula(text: string, options: { variables?: readonly string[] } = {}): ParsedFormula {
  const declared = checkInput("parse", text, options);
  const names = boundNames(text);
  const { body, bindings } = new Parser(text, lexerOf(text), declared, names).formula(true);
  if (bindings.length === 0) return { body, bindings };
  const byName = new Map<string, Binding>();
  for (const b of bindings) {
    if (byName.has(b.name))
      throw new ParseError(
        `'${b.name}' is bound twice after 'where' (again at column ${b.at! + 1})`,
        text,
        b.at! + 1,
      );
    byName.set(b.name, b);
  }
  const ordered = orderBindings(text, bindings, byName);
  const expanded = expandedSize(body, ordered);
  if (expanded > MAX_EXPANDED_SIZE)
    throw new ParseError(
      `formula too large with its where-bindings written out (${expanded > 1e15 ? "more than 10^15" : expanded} nodes; the limit is ${MAX_EXPANDED_SIZE})`,
      text,
      1,
      { excerpt: false },
    );
  return { body, bindings: ordered };
}

/**
 * The names a formula binds after `where`: a name directly after `where` or after a top-level comma that
 * follows it, when `=` comes next. Known before the body is parsed, so they read as variables there.
 */
function boundNames(text: string): Set<string> {
  const names = new Set<string>();
  if (!text.includes(WHERE)) return names;
  const lex = lexerOf(text);
  let depth = 0;
  let inBindings = false;
  let expectName = false;
  let candidate: string | undefined;
  try {
    for (let t = lex.next(); t.kind !== "end"; t = lex.next()) {
      if (t.kind === "op" && t.op === "=" && candidate !== undefined) names.add(candidate);
      candidate = expectName && t.kind === "ident" ? t.name : undefined;
      expectName = false;
      if (t.kind === "op" && t.op === "(") depth++;
      else if (t.kind === "op" && t.op === ")") depth--;
      else if (depth === 0 && t.kind === "ident" && t.name === WHERE) inBindings = expectName = true;
      else if (depth === 0 && inBindings && t.kind === "op" && t.op === ",") expectName = true;
    }
  } catch (e) {
    // A character the lexer refuses ends the scan; the parser reports it in order.
    if (!(e instanceof ParseError)) throw e;
  }
  return names;
}

/** Orders bindings so that each comes after the bindings it uses (Kahn's algorithm); refuses cycles. */
function orderBindings(
  text: string,
  bindings: readonly Binding[],
  byName: ReadonlyMap<string, Binding>,
): Binding[] {
  const uses = new Map<Binding, Binding[]>();
  const waiting = new Map<Binding, number>();
  const users = new Map<Binding, Binding[]>();
  for (const b of bindings) {
    const used = variablesOf(b.node)
      .map((v) => byName.get(v))
      .filter((u): u is Binding => u !== undefined);
    uses.set(b, used);
    waiting.set(b, used.length);
    for (const u of used) users.set(u, [...(users.get(u) ?? []), b]);
  }
  const ready = bindings.filter((b) => waiting.get(b) === 0);
  const order: Binding[] = [];
  while (ready.length > 0) {
    const b = ready.shift()!;
    order.push(b);
    for (const u of users.get(b) ?? []) {
      const left = waiting.get(u)! - 1;
      waiting.set(u, left);
      if (left === 0) ready.push(u);
    }
  }
  if (order.length < bindings.length) {
    const stuck = bindings.filter((b) => !order.includes(b));
    throw new ParseError(
      `the bindings after 'where' refer to each other in a cycle (${stuck.map((b) => b.name).join(", ")}) at column ${stuck[0]!.at! + 1}`,
      text,
      stuck[0]!.at! + 1,
    );
  }
  return order;
}

/** The number of nodes of the body with every binding written out (bindings in dependency order). */
function expandedSize(body: Node, ordered: readonly Binding[]): number {
  const sizes = new Map<string, number>();
  const sizeOf = (root: Node): number => {
    let total = 0;
    const stack: Node[] = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      if (n.kind === "var") total += sizes.get(n.name) ?? 1;
      else {
        total += 1;
        if (n.kind === "neg") stack.push(n.arg);
        else if (n.kind === "call") stack.push(...n.args);
        else if (n.kind === "cond") stack.push(n.test, n.ifTrue, n.ifFalse);
        else if (n.kind !== "num") stack.push(n.left, n.right);
      }
    }
    return total;
  };
  for (const b of ordered) sizes.set(b.name, sizeOf(b.node));
  return sizeOf(body);
}

/**
 * The variable names an expression uses, sorted and without repeats.
 * @example
 * ```ts
 * variablesOf(parseNode("y sin(x) + x")); // ["x", "y"]
 * ```
 */
export function variablesOf(node: Node): string[] {
  const names = new Set<string>();
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.kind === "var") names.add(n.name);
    else if (n.kind === "neg") stack.push(n.arg);
    else if (n.kind === "call") stack.push(...n.args);
    else if (n.kind === "cond") stack.push(n.test, n.ifTrue, n.ifFalse);
    else if (n.kind !== "num") stack.push(n.left, n.right);
  }
  return [...names].sort();
}
