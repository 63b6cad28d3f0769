// Text → tokens for the formula parser: numbers, names and operators, with the typographic operators people
// paste read as their ASCII forms.
import type { CmpOp } from "./ast.js";

/** An operator, after the typographic and two-character spellings are read as one. */
export type Op = "+" | "-" | "*" | "/" | "^" | "(" | ")" | "," | "?" | ":" | "=" | CmpOp;
/** A token with its 0-based offset in the input. */
export type Token =
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
  "=": "=",
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
export const CMP_OPS: readonly Op[] = ["<", "<=", ">", ">=", "==", "!="];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isIdentStart = (c: string): boolean => /^[\p{L}_]$/u.test(c);
// Decimal digits only: x² is not the name "x²" (superscripts are not exponents here; write x^2).
const isIdentPart = (c: string): boolean => /^[\p{L}\p{Nd}_]$/u.test(c);
const isSpace = (c: string): boolean => /^\s$/u.test(c);

/**
 * Splits the input into tokens on demand, so the leftmost error is the one reported. Its errors are made by
 * `fail` (parse.ts passes one that makes a ParseError), from a headline and a 1-based column.
 */
export class Lexer {
  private pos = 0;
  private ahead: Token | undefined;

  constructor(
    private readonly text: string,
    private readonly fail: (headline: string, column: number) => Error,
  ) {}

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
    if (c === "∞") {
      this.pos += c.length;
      return { kind: "ident", name: c, at };
    }
    if (isIdentStart(c)) {
      let end = at;
      while (end < text.length && isIdentPart(this.charAt(end))) end += this.charAt(end).length;
      this.pos = end;
      return { kind: "ident", name: text.slice(at, end), at };
    }
    throw this.fail(`unexpected character '${c}' at column ${at + 1}`, at + 1);
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
      throw this.fail(`bad number '${text.slice(at, end)}' at column ${at + 1}`, at + 1);
    }
    this.pos = i;
    const literal = text.slice(at, i);
    return { kind: "num", value: Number(literal), text: literal, at };
  }
}

/** How an error message names a token. */
export const describeToken = (t: Token): string =>
  t.kind === "end"
    ? "end of input"
    : t.kind === "num"
      ? `number '${t.text}'`
      : t.kind === "ident"
        ? `'${t.name}'`
        : `'${t.text}'`;
