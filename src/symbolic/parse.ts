// Text → expression tree: a hand-written tokenizer and recursive-descent parser with bounded depth (no eval).
import { NablaError, ValueError } from "../core/errors.js";
import { FUNCTION_ALIASES, FUNCTIONS, type FunctionName, type Node } from "./ast.js";

/** Inputs longer than this many characters are refused. */
export const MAX_EXPRESSION_LENGTH = 10_000;
/** Parentheses, calls, unary signs and `^` exponents may nest at most this deep. */
export const MAX_EXPRESSION_DEPTH = 200;

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

type CmpOp = "<" | "<=" | ">" | ">=" | "==" | "!=";
type Op = "+" | "-" | "*" | "/" | "^" | "(" | ")" | "," | "?" | ":" | CmpOp;
type Token =
  | { readonly kind: "num"; readonly value: number; readonly text: string; readonly at: number }
  | { readonly kind: "ident"; readonly name: string; readonly at: number }
  | { readonly kind: "op"; readonly op: Op; readonly text: string; readonly at: number }
  | { readonly kind: "end"; readonly at: number };

/** One-character operators, with the typographic ones people paste (− × · ÷ ≤ ≥ ≠) read as ASCII. */
const OPERATOR_CHARS: Readonly<Record<string, Op>> = {
  "+": "+",
  "-": "-",
  "−": "-",
  "*": "*",
  "×": "*",
  "·": "*",
  "/": "/",
  "÷": "/",
  "^": "^",
  "(": "(",
  ")": ")",
  ",": ",",
  "?": "?",
  ":": ":",
  "<": "<",
  ">": ">",
  "≤": "<=",
  "≥": ">=",
  "≠": "!=",
};
/** Two-character operators, tried before the single characters. */
const OPERATOR_PAIRS: Readonly<Record<string, Op>> = {
  "**": "^",
  "<=": "<=",
  ">=": ">=",
  "==": "==",
  "!=": "!=",
};
const CMP_OPS: readonly Op[] = ["<", "<=", ">", ">=", "==", "!="];
const CONSTANTS: Readonly<Record<string, { value: number; name: "pi" | "e" }>> = {
  pi: { value: Math.PI, name: "pi" },
  π: { value: Math.PI, name: "pi" },
  e: { value: Math.E, name: "e" },
};

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isIdentStart = (c: string): boolean => /^[\p{L}_]$/u.test(c);
// Decimal digits only: x² is not the name "x²" (superscripts are not exponents here; write x^2).
const isIdentPart = (c: string): boolean => /^[\p{L}\p{Nd}_]$/u.test(c);
const isSpace = (c: string): boolean => /^\s$/u.test(c);
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

const functionOf = (name: string): FunctionName | undefined =>
  Object.hasOwn(FUNCTIONS, name) ? (name as FunctionName) : FUNCTION_ALIASES[name];
const constantOf = (name: string) => (Object.hasOwn(CONSTANTS, name) ? CONSTANTS[name] : undefined);
const knownFunctions = (): string => [...Object.keys(FUNCTIONS), ...Object.keys(FUNCTION_ALIASES)].join(", ");

/** Splits the input into tokens on demand, so the leftmost error is the one reported. */
class Lexer {
  private pos = 0;
  private ahead: Token | undefined;

  constructor(private readonly text: string) {}

  peek(): Token {
    this.ahead ??= this.scan();
    return this.ahead;
  }

  next(): Token {
    const t = this.peek();
    this.ahead = undefined;
    return t;
  }

  private charAt(i: number): string {
    return String.fromCodePoint(this.text.codePointAt(i) ?? 0);
  }

  private scan(): Token {
    const { text } = this;
    while (this.pos < text.length && isSpace(this.charAt(this.pos))) this.pos += this.charAt(this.pos).length;
    const at = this.pos;
    if (at >= text.length) return { kind: "end", at };
    const c = this.charAt(at);
    const pair = text.slice(at, at + 2);
    if (Object.hasOwn(OPERATOR_PAIRS, pair)) {
      this.pos += 2;
      return { kind: "op", op: OPERATOR_PAIRS[pair]!, text: pair, at };
    }
    const op = Object.hasOwn(OPERATOR_CHARS, c) ? OPERATOR_CHARS[c] : undefined;
    if (op !== undefined) {
      this.pos += c.length;
      return { kind: "op", op, text: c, at };
    }
    if (isDigit(c) || (c === "." && isDigit(text[at + 1]))) return this.number(at);
    if (isIdentStart(c)) {
      let end = at;
      while (end < text.length && isIdentPart(this.charAt(end))) end += this.charAt(end).length;
      this.pos = end;
      return { kind: "ident", name: text.slice(at, end), at };
    }
    const hint = c === "=" ? " (write '==' to compare)" : "";
    throw new ParseError(`unexpected character '${c}' at column ${at + 1}${hint}`, text, at + 1);
  }

  /** digits [. digits] [(e|E) [+|-] digits]; an `e` not followed by digits is left for the constant e. */
  private number(at: number): Token {
    const { text } = this;
    let i = at;
    while (isDigit(text[i])) i++;
    if (text[i] === ".") {
      i++;
      while (isDigit(text[i])) i++;
    }
    if (text[i] === "e" || text[i] === "E") {
      const sign = text[i + 1] === "+" || text[i + 1] === "-" ? 1 : 0;
      if (isDigit(text[i + 1 + sign])) {
        i += 1 + sign;
        while (isDigit(text[i])) i++;
      }
    }
    if (text[i] === "." || (text[i - 1] === "." && isDigit(text[i]))) {
      let end = i;
      while (isDigit(text[end]) || text[end] === ".") end++;
      throw new ParseError(`bad number '${text.slice(at, end)}' at column ${at + 1}`, text, at + 1);
    }
    this.pos = i;
    const literal = text.slice(at, i);
    return { kind: "num", value: Number(literal), text: literal, at };
  }
}

const describeToken = (t: Token): string =>
  t.kind === "end"
    ? "end of input"
    : t.kind === "num"
      ? `number '${t.text}'`
      : t.kind === "ident"
        ? `'${t.name}'`
        : `'${t.text}'`;

/**
 * Recursive descent, one method per precedence level (loosest first):
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
  ) {}

  parse(): Node {
    if (this.lex.peek().kind === "end")
      throw new ParseError(
        "empty expression at column 1: expected a number, a variable, a function call or '('",
        this.text,
        1,
      );
    const node = this.cond();
    const t = this.lex.peek();
    if (t.kind !== "end") throw this.unexpected(t, "an operator or the end of the expression");
    return node;
  }

  private error(message: string, at: number): ParseError {
    return new ParseError(message, this.text, at + 1);
  }

  private unexpected(t: Token, expected: string): ParseError {
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
      } else if (t.kind === "ident" || this.isOp(t, "(")) {
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
    if (t.kind === "ident") return this.name(t);
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

  /** A name is, in order: a call of a known function, a declared variable, a constant, or an undeclared name. */
  private name(t: Extract<Token, { kind: "ident" }>): Node {
    const { name, at } = t;
    const fn = functionOf(name);
    const calls = this.isOp(this.lex.peek(), "(");
    if (fn !== undefined && calls) return this.call(t, fn);
    if (this.declared?.has(name)) return { kind: "var", name, at };
    const constant = constantOf(name);
    if (constant !== undefined) return { kind: "num", value: constant.value, name: constant.name, at };
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
 * (`x 2` is an error). `pi`, `π` and `e` are constants unless declared as variables. Comparisons
 * (`<`, `<=`, `>`, `>=`, `==`, `!=`) give 1 or 0 and `test ? a : b` picks a branch, as `toText` prints them.
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
  if (typeof text !== "string") throw new ValueError(`parse: expected a string, got ${typeof text}`);
  if (text.length > MAX_EXPRESSION_LENGTH)
    throw new ParseError(
      `expression too long (${text.length} characters; the limit is ${MAX_EXPRESSION_LENGTH})`,
      text,
      MAX_EXPRESSION_LENGTH + 1,
      { excerpt: false },
    );
  let declared: Set<string> | undefined;
  if (options.variables !== undefined) {
    for (const v of options.variables)
      if (typeof v !== "string" || !IDENTIFIER.test(v))
        throw new ValueError(`parse: variable name ${JSON.stringify(v)} is not a valid identifier`);
    declared = new Set(options.variables);
  }
  return new Parser(text, new Lexer(text), declared).parse();
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
