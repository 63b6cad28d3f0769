// Printing expression trees as plain text (`2x cos(x^2)`) that nb.parse reads back to the same values, and
// as LaTeX (`2 x \cos\left(x^{2}\right)`).

import { BINARY, BINARY_PRIMS } from "../primitives/binary.js";
import { UNARY } from "../primitives/unary.js";
import { type Node, PRIMITIVE_FUNCTIONS } from "./ast.js";
import { foldNode } from "./compile.js";

/** Binding strength as the parser reads it; a child printed inside a tighter parent gets parentheses. */
const PREC = { cond: 0, cmp: 1, add: 2, mul: 3, neg: 4, pow: 5, atom: 6 } as const;

/** Names that read as constants, so a parenthesis after them is a product (not a call). */
const CONSTANT_NAMES = new Set(["pi", "e", "NaN", "Infinity"]);

/**
 * A number as text that nb.parse reads back to exactly the same float64: the shortest decimal, or a
 * fraction `p/q` when that is shorter and exact; `NaN`, `Infinity`, `-Infinity` and `-0` are spelt out.
 * @example
 * ```ts
 * formatNumber(0.5);   // "0.5"
 * formatNumber(1 / 3); // "1/3"
 * formatNumber(1e-300); // "1e-300"
 * ```
 */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "Infinity";
  if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (Object.is(v, -0)) return "-0";
  const decimal = String(v);
  if (Number.isInteger(v)) return decimal;
  const fraction = exactFraction(v);
  return fraction !== null && fraction.length < decimal.length ? fraction : decimal;
}

/** `p/q` with q ≤ 64 when the float64 division p / q (as the parser evaluates it) is exactly v. */
function exactFraction(v: number): string | null {
  for (let q = 2; q <= 64; q++) {
    const p = Math.round(v * q);
    if (p !== 0 && Math.abs(p) < 1e15 && p / q === v) return `${p}/${q}`;
  }
  return null;
}

/** A printed child: its text and how tightly it binds. */
interface Printed {
  readonly text: string;
  readonly prec: number;
  /** A number printed as `p/q`: parenthesized next to other factors for readability. */
  readonly fraction?: boolean;
  /** For a call in LaTeX: its arguments, so a power can print as \sin^{2}\left(x\right). */
  readonly args?: string;
}

const paren = (p: Printed): string => `(${p.text})`;
const wrap = (p: Printed, minPrec: number): string => (p.prec < minPrec ? paren(p) : p.text);

function numberText(n: Extract<Node, { kind: "num" }>): Printed {
  if (n.name !== undefined && Object.is(n.value, n.name === "pi" ? Math.PI : Math.E))
    return { text: n.name, prec: PREC.atom };
  const text = formatNumber(n.value);
  if (text.startsWith("-")) return { text, prec: PREC.neg };
  if (text.includes("/")) return { text, prec: PREC.mul, fraction: true };
  return { text, prec: PREC.atom };
}

/** The identifier a text ends with, if any (`2 ab` → "ab"). */
const trailingName = (s: string): string | undefined => /[\p{L}_][\p{L}\p{N}_]*$/u.exec(s)?.[0];
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/** `left right` as a product, choosing between `2x`, `x y`, `x (y + 1)` and `x * 2` so it reads back as one. */
function productText(left: Printed, right: Printed, rightNode: Node): string {
  const l = left.prec < PREC.mul || left.fraction ? paren(left) : left.text;
  let r = right.prec <= PREC.mul || right.fraction ? paren(right) : right.text;
  // x (-y), not x -y (a subtraction).
  if (r.startsWith("-")) r = `(${r})`;
  // Two numbers in a row do not multiply implicitly: x * 2, 2 * 3^x.
  if (/^[\d.]/.test(r)) return `${l} * ${r}`;
  // A name of several letters directly before '(' would read as a call: ab * (x + 1).
  const name = trailingName(l);
  if (r.startsWith("(") && name !== undefined && [...name].length > 1 && !CONSTANT_NAMES.has(name))
    return `${l} * ${r}`;
  // 2x, 2x^2: a plain number glued to a variable (never before e or E, which would read as an exponent).
  const leadsWithVariable =
    rightNode.kind === "var" || (rightNode.kind === "pow" && rightNode.left.kind === "var");
  const glue = PLAIN_NUMBER.test(l) && leadsWithVariable && !/^[eE]/.test(r);
  return `${l}${glue ? "" : " "}${r}`;
}

/** The exponent of `x^…`: bare when it is a plain non-negative number or a name, else parenthesized. */
function exponentText(p: Printed, node: Node): string {
  const bare =
    (node.kind === "num" && p.prec === PREC.atom && !p.text.startsWith("-")) || node.kind === "var";
  return bare ? p.text : paren(p);
}

/**
 * Plain text that nb.parse reads back to the same values: every number exact, parentheses wherever the
 * parser would group differently. Deep trees (long sums) print without deep recursion.
 * @example
 * ```ts
 * toText(parseNode("(x > 1) + x")); // "(x > 1) + x"
 * ```
 */
export function toText(root: Node): string {
  return foldNode<Printed>(root, (n, a) => {
    switch (n.kind) {
      case "num":
        return numberText(n);
      case "var":
        return { text: n.name, prec: PREC.atom };
      case "neg":
        return { text: `-${wrap(a[0]!, PREC.mul)}`, prec: PREC.neg };
      case "add":
      case "sub":
        return {
          text: `${wrap(a[0]!, PREC.add)} ${n.kind === "add" ? "+" : "-"} ${wrap(a[1]!, PREC.add + 1)}`,
          prec: PREC.add,
        };
      case "mul":
        return { text: productText(a[0]!, a[1]!, n.right), prec: PREC.mul };
      case "div": {
        const l = a[0]!.fraction ? paren(a[0]!) : wrap(a[0]!, PREC.mul);
        let r = a[1]!.fraction ? paren(a[1]!) : wrap(a[1]!, PREC.mul + 1);
        if (r.startsWith("-")) r = `(${r})`;
        return { text: `${l} / ${r}`, prec: PREC.mul };
      }
      case "pow":
        return { text: `${wrap(a[0]!, PREC.atom)}^${exponentText(a[1]!, n.right)}`, prec: PREC.pow };
      case "call":
        return { text: `${n.fn}(${a.map((p) => p.text).join(", ")})`, prec: PREC.atom };
      case "cmp":
        return {
          text: `${wrap(a[0]!, PREC.add)} ${n.op} ${wrap(a[1]!, PREC.add)}`,
          prec: PREC.cmp,
        };
      case "cond":
        return {
          text: `(${wrap(a[0]!, PREC.cmp)} ? ${a[1]!.text} : ${a[2]!.text})`,
          prec: PREC.atom,
        };
    }
  }).text;
}

/** How LaTeX names each function (others print as \\operatorname{name}). */
const LATEX_FUNCS: ReadonlyMap<string, string> = new Map([
  ...[...PRIMITIVE_FUNCTIONS].flatMap(([f, p]) => {
    const latex = UNARY[p].formula!.latex;
    return latex === undefined ? [] : [[f, latex] as const];
  }),
  ...BINARY_PRIMS.flatMap((p) => {
    const { name, latex } = BINARY[p].formula;
    return name === undefined || latex === undefined ? [] : [[name, latex] as const];
  }),
]);
const LATEX_CMP: Readonly<Record<Extract<Node, { kind: "cmp" }>["op"], string>> = {
  "<": "<",
  "<=": "\\le",
  ">": ">",
  ">=": "\\ge",
  "==": "=",
  "!=": "\\ne",
};

function latexNumber(n: Extract<Node, { kind: "num" }>): Printed {
  if (n.name === "pi") return { text: "\\pi", prec: PREC.atom };
  if (n.name === "e") return { text: "e", prec: PREC.atom };
  const s = formatNumber(n.value);
  const sign = s.startsWith("-") ? "-" : "";
  const body = sign ? s.slice(1) : s;
  const prec = sign ? PREC.neg : PREC.atom;
  if (body === "NaN") return { text: `${sign}\\mathrm{NaN}`, prec };
  if (body === "Infinity") return { text: `${sign}\\infty`, prec };
  if (body.includes("/")) {
    const [p, q] = body.split("/");
    return { text: `${sign}\\frac{${p}}{${q}}`, prec: sign ? PREC.neg : PREC.mul, fraction: true };
  }
  const m = /^([\d.]+)e([+-]?)(\d+)$/.exec(body);
  if (m) {
    const power = `10^{${m[2] === "-" ? "-" : ""}${m[3]}}`;
    return {
      text: `${sign}${m[1] === "1" ? power : `${m[1]} \\times ${power}`}`,
      prec: sign ? PREC.neg : PREC.mul,
    };
  }
  return { text: s, prec };
}

/** A variable's name: one letter as it is, a longer name upright, underscores escaped. */
const latexName = (name: string): string => {
  const escaped = name.replace(/_/g, "\\_");
  return [...name].length > 1 ? `\\mathrm{${escaped}}` : escaped;
};

const lparen = (p: Printed): string => `\\left(${p.text}\\right)`;
const lwrap = (p: Printed, minPrec: number): string => (p.prec < minPrec ? lparen(p) : p.text);

/**
 * LaTeX math (without surrounding $): NaN as \mathrm{NaN}, ±Infinity as ±\infty.
 * @example
 * ```ts
 * toLatex(parseNode("sqrt(x) / 2")); // "\\frac{\\sqrt{x}}{2}"
 * ```
 */
export function toLatex(root: Node): string {
  return foldNode<Printed>(root, (n, a) => {
    switch (n.kind) {
      case "num":
        return latexNumber(n);
      case "var":
        return { text: latexName(n.name), prec: PREC.atom };
      case "neg":
        return { text: `-${lwrap(a[0]!, PREC.mul)}`, prec: PREC.neg };
      case "add":
      case "sub":
        return {
          text: `${lwrap(a[0]!, PREC.add)} ${n.kind === "add" ? "+" : "-"} ${lwrap(a[1]!, PREC.add + 1)}`,
          prec: PREC.add,
        };
      case "mul": {
        const l = lwrap(a[0]!, PREC.mul);
        let r = a[1]!.prec <= PREC.mul ? lparen(a[1]!) : a[1]!.text;
        if (r.startsWith("-")) r = `\\left(${r}\\right)`;
        const sep = /^[\d.]/.test(r) || r.startsWith("\\frac") ? " \\cdot " : " ";
        return { text: `${l}${sep}${r}`, prec: PREC.mul };
      }
      case "div":
        return { text: `\\frac{${a[0]!.text}}{${a[1]!.text}}`, prec: PREC.atom };
      case "pow": {
        const base = n.left;
        const fn = base.kind === "call" ? LATEX_FUNCS.get(base.fn) : undefined;
        if (base.kind === "call" && fn !== undefined && base.fn !== "max" && base.fn !== "min")
          return { text: `${fn}^{${a[1]!.text}}\\left(${a[0]!.args}\\right)`, prec: PREC.pow };
        return { text: `${lwrap(a[0]!, PREC.atom)}^{${a[1]!.text}}`, prec: PREC.pow };
      }
      case "call": {
        const args = a.map((p) => p.text).join(", ");
        if (n.fn === "exp") return { text: `e^{${args}}`, prec: PREC.pow };
        if (n.fn === "sqrt") return { text: `\\sqrt{${args}}`, prec: PREC.atom };
        if (n.fn === "abs") return { text: `\\left|${args}\\right|`, prec: PREC.atom };
        const f = LATEX_FUNCS.get(n.fn) ?? `\\operatorname{${n.fn}}`;
        return { text: `${f}\\left(${args}\\right)`, prec: PREC.atom, args };
      }
      case "cmp":
        return {
          text: `${lwrap(a[0]!, PREC.add)} ${LATEX_CMP[n.op]} ${lwrap(a[1]!, PREC.add)}`,
          prec: PREC.cmp,
        };
      case "cond":
        return {
          text: `\\begin{cases} ${a[1]!.text} & ${a[0]!.text} \\\\ ${a[2]!.text} & \\text{otherwise} \\end{cases}`,
          prec: PREC.atom,
        };
    }
  }).text;
}

/**
 * The number of nodes of the tree (every operator, call, number and name counts 1; a negative number is
 * one literal).
 * @example
 * ```ts
 * nodeSize(parseNode("2x + 1")); // 5
 * ```
 */
export function nodeSize(root: Node): number {
  return foldNode<number>(root, (n, sizes) =>
    n.kind === "neg" && n.arg.kind === "num" ? 1 : 1 + sizes.reduce((s, k) => s + k, 0),
  );
}
