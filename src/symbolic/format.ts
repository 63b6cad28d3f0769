// Printing expression trees as plain text (`2x cos(x^2)`) and as LaTeX (`2 x \cos\left(x^{2}\right)`).
import type { Node } from "./ast.js";

const PREC: Record<Node["kind"], number> = {
  cond: 0,
  cmp: 1,
  add: 2,
  sub: 2,
  mul: 3,
  div: 3,
  neg: 4,
  pow: 5,
  call: 6,
  num: 6,
  var: 6,
};

/** Numbers print exactly when they are short, as simple fractions when they are one, else to 12 digits. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "inf" : "-inf";
  for (let q = 2; q <= 64; q++) {
    const p = Math.round(v * q);
    if (Math.abs(p / q - v) <= 1e-14 * Math.max(1, Math.abs(v))) return `${p}/${q}`;
  }
  return String(Number(v.toPrecision(12)));
}

const isFraction = (n: Node) => n.kind === "num" && formatNumber(n.value).includes("/");

/** Whether `n` starts with a letter, so `2` directly before it reads as a product (`2x`). */
const startsWithName = (n: Node): boolean => n.kind === "var" || (n.kind === "pow" && startsWithName(n.left));

/** The leftmost leaf of a product or power, which decides how it reads right after another factor. */
const leftmost = (n: Node): Node =>
  n.kind === "mul" || n.kind === "pow" || n.kind === "div" ? leftmost(n.left) : n;

/** The name a juxtaposed number and name would read as one token: 2e2 is a number, not 2·e2. */
const mergesWithNumber = (n: Node): boolean => {
  const l = leftmost(n);
  return l.kind === "var" && /^[eE]/.test(l.name);
};

/** Plain text, re-readable by nb.parse. */
export function toText(n: Node): string {
  const wrap = (c: Node, minPrec: number) =>
    PREC[c.kind] < minPrec || isFraction(c) ? `(${toText(c)})` : toText(c);
  switch (n.kind) {
    case "num":
      return n.name ?? formatNumber(n.value);
    case "var":
      return n.name;
    case "neg":
      return `-${wrap(n.arg, PREC.mul + (n.arg.kind === "num" ? 0 : 0))}`;
    case "add":
      return `${toText(n.left)} + ${wrap(n.right, PREC.add + 1)}`;
    case "sub":
      return `${toText(n.left)} - ${wrap(n.right, PREC.add + 1)}`;
    case "mul": {
      const l = wrap(n.left, PREC.mul);
      // A negative right factor needs parentheses: x (-y), not x -y (which reads as a subtraction).
      // A right factor that starts with a number needs them too: 2 (3^x), not 2 3^x (two numbers in a row).
      const r =
        n.right.kind === "neg" || leftmost(n.right).kind === "num"
          ? `(${toText(n.right)})`
          : wrap(n.right, PREC.mul + 1);
      // 2x, 2x^2: a number directly before a name; otherwise a space (implicit multiplication).
      const joiner =
        n.left.kind === "num" &&
        n.left.name === undefined &&
        !isFraction(n.left) &&
        startsWithName(n.right) &&
        !mergesWithNumber(n.right) &&
        n.right.kind !== "mul"
          ? ""
          : " ";
      return `${l}${joiner}${r}`;
    }
    case "div":
      return `${wrap(n.left, PREC.mul)} / ${wrap(n.right, PREC.mul + 1)}`;
    case "pow":
      return `${wrap(n.left, PREC.pow + 1)}^${(n.right.kind === "num" && n.right.value >= 0 && !isFraction(n.right)) || n.right.kind === "var" ? toText(n.right) : `(${toText(n.right)})`}`;
    case "call":
      return `${n.fn}(${n.args.map(toText).join(", ")})`;
    case "cmp":
      return `${wrap(n.left, PREC.add)} ${n.op} ${wrap(n.right, PREC.add)}`;
    case "cond":
      return `(${toText(n.test)} ? ${toText(n.ifTrue)} : ${toText(n.ifFalse)})`;
  }
}

const LATEX_FUNCS: Record<string, string> = {
  sin: "\\sin",
  cos: "\\cos",
  tan: "\\tan",
  asin: "\\arcsin",
  acos: "\\arccos",
  atan: "\\arctan",
  sinh: "\\sinh",
  cosh: "\\cosh",
  tanh: "\\tanh",
  log: "\\ln",
  max: "\\max",
  min: "\\min",
};
const LATEX_CMP: Record<string, string> = {
  "<": "<",
  "<=": "\\le",
  ">": ">",
  ">=": "\\ge",
  "==": "=",
  "!=": "\\ne",
};

function latexNumber(v: number): string {
  const s = formatNumber(v);
  if (s.includes("/")) {
    const [p, q] = s.split("/");
    return p!.startsWith("-") ? `-\\frac{${p!.slice(1)}}{${q}}` : `\\frac{${p}}{${q}}`;
  }
  return s === "inf" ? "\\infty" : s === "-inf" ? "-\\infty" : s;
}

/** LaTeX math (without surrounding $). */
export function toLatex(n: Node): string {
  const wrap = (c: Node, minPrec: number) =>
    PREC[c.kind] < minPrec ? `\\left(${toLatex(c)}\\right)` : toLatex(c);
  switch (n.kind) {
    case "num":
      return n.name === "pi" ? "\\pi" : n.name === "e" ? "e" : latexNumber(n.value);
    case "var":
      return n.name.length > 1 ? `\\mathrm{${n.name}}` : n.name;
    case "neg":
      return `-${wrap(n.arg, PREC.mul)}`;
    case "add":
      return `${toLatex(n.left)} + ${wrap(n.right, PREC.add + 1)}`;
    case "sub":
      return `${toLatex(n.left)} - ${wrap(n.right, PREC.add + 1)}`;
    case "mul": {
      const sep =
        n.right.kind === "num" || (n.left.kind !== "num" && n.right.kind === "neg") ? " \\cdot " : " ";
      return `${wrap(n.left, PREC.mul)}${sep}${wrap(n.right, PREC.mul + 1)}`;
    }
    case "div":
      return `\\frac{${toLatex(n.left)}}{${toLatex(n.right)}}`;
    case "pow": {
      if (n.left.kind === "call" && n.left.fn in LATEX_FUNCS && n.left.fn !== "max" && n.left.fn !== "min")
        return `${LATEX_FUNCS[n.left.fn]}^{${toLatex(n.right)}}\\left(${n.left.args.map(toLatex).join(", ")}\\right)`;
      return `${wrap(n.left, PREC.pow + 1)}^{${toLatex(n.right)}}`;
    }
    case "call": {
      const args = n.args.map(toLatex).join(", ");
      if (n.fn === "exp") return `e^{${args}}`;
      if (n.fn === "sqrt") return `\\sqrt{${args}}`;
      if (n.fn === "abs") return `\\left|${args}\\right|`;
      const f = LATEX_FUNCS[n.fn] ?? `\\operatorname{${n.fn}}`;
      return `${f}\\left(${args}\\right)`;
    }
    case "cmp":
      return `${toLatex(n.left)} ${LATEX_CMP[n.op]} ${toLatex(n.right)}`;
    case "cond":
      return `\\begin{cases} ${toLatex(n.ifTrue)} & ${toLatex(n.test)} \\\\ ${toLatex(n.ifFalse)} & \\text{otherwise} \\end{cases}`;
  }
}

/** The number of nodes of the tree (every operator, call, number and name counts 1). */
export function nodeSize(n: Node): number {
  switch (n.kind) {
    case "num":
    case "var":
      return 1;
    case "neg":
      // A negative number is one literal.
      return n.arg.kind === "num" ? 1 : 1 + nodeSize(n.arg);
    case "call":
      return 1 + n.args.reduce((s, a) => s + nodeSize(a), 0);
    case "cond":
      return 1 + nodeSize(n.test) + nodeSize(n.ifTrue) + nodeSize(n.ifFalse);
    default:
      return 1 + nodeSize(n.left) + nodeSize(n.right);
  }
}
