// From canonical terms to printable expression trees: term order, signs, fractions, recognizable constants
// (π, e, √2, √π), and shared subexpressions bound to names (`... where u = x^2`) when that makes the
// formula shorter.

import { type Factor, setMeasure, size, spend, type Term, withBudget } from "./algebra.js";
import type { Node } from "./ast.js";
import { foldNode } from "./compile.js";

/** A formula: a body and the named subexpressions it uses, in dependency order. */
export interface Formula {
  readonly body: Node;
  readonly bindings: readonly { readonly name: string; readonly node: Node }[];
}

const BINDING_NAMES = ["u", "v", "w", "p", "q", "r", "s", "a", "b", "c", "d", "g", "h", "k", "m", "n"];

/** Names for bindings that avoid `reserved`: the short ones first, then u1, u2, … */
export function bindingNames(reserved: readonly string[]): () => string {
  const taken = new Set(reserved);
  const short = BINDING_NAMES.filter((n) => !taken.has(n));
  let i = 0;
  let k = 0;
  return () => {
    if (i < short.length) return short[i++]!;
    for (;;) {
      const name = `u${++k}`;
      if (!taken.has(name)) return name;
    }
  };
}

function children(t: Term): Term[] {
  switch (t.k) {
    case "num":
    case "sym":
      return [];
    case "add":
      return t.terms.map((m) => m.t);
    case "mul":
      return t.fs.flatMap((f) => (f.e.k === "num" ? [f.b] : [f.b, f.e]));
    case "fn":
      return [...t.args];
    case "cmp":
      return [t.a, t.b];
    case "cond":
      return [t.test, t.ifTrue, t.ifFalse];
  }
}

/** The terms reachable from `roots`, parents before children, each once. */
function topological(roots: readonly Term[]): Term[] {
  const done = new Set<Term>();
  const post: Term[] = [];
  for (const root of roots) {
    if (done.has(root)) continue;
    done.add(root);
    const stack: { t: Term; kids: Term[]; next: number }[] = [{ t: root, kids: children(root), next: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.kids.length) {
        const c = top.kids[top.next++]!;
        if (done.has(c)) continue;
        done.add(c);
        stack.push({ t: c, kids: children(c), next: 0 });
      } else {
        post.push(top.t);
        stack.pop();
      }
    }
  }
  spend(post.length);
  return post.reverse();
}

/**
 * How many times each term is printed when the named terms (all among `roots`) print as their names;
 * each root is printed once, as the body or as a definition. Counts flow from parents to children in one
 * pass, so a shared DAG costs its size, not the size of its expansion.
 */
function countUses(roots: readonly Term[]): Map<Term, number> {
  const counts = new Map<Term, number>();
  const rootSet = new Set(roots);
  for (const t of topological(roots)) {
    const n = rootSet.has(t) ? 1 : (counts.get(t) ?? 0);
    for (const c of children(t)) if (!rootSet.has(c)) counts.set(c, (counts.get(c) ?? 0) + n);
  }
  return counts;
}

/** The height of each term (a leaf is 0): a subterm is always lower, which orders definitions. */
function heights(roots: readonly Term[]): Map<Term, number> {
  const h = new Map<Term, number>();
  const order = topological(roots).reverse();
  for (const t of order)
    h.set(
      t,
      children(t).reduce((m, c) => Math.max(m, (h.get(c) ?? 0) + 1), 0),
    );
  return h;
}

/** Work allowed for choosing names; past it, every sizeable shared subterm is named at once. */
const NAMING_BUDGET = 200_000;

/**
 * Converts a term to a formula, naming repeated subexpressions while that shrinks the total size
 * (each use of a name costs 1; each binding costs its definition plus 1).
 */
export function toFormula(root: Term, reserved: readonly string[]): Formula {
  const named = new Map<Term, string>();
  const order: Term[] = [];
  const fresh = bindingNames(reserved);
  const name = (t: Term) => {
    named.set(t, fresh());
    order.push(t);
  };
  withBudget(
    NAMING_BUDGET,
    () => {
      for (;;) {
        const counts = countUses([root, ...order]);
        let best: Term | null = null;
        let bestGain = 0;
        for (const [t, n] of counts) {
          if (named.has(t) || t.k === "num" || t.k === "sym") continue;
          const gain = (n - 1) * (size(t) - 1) - 2;
          if (gain > bestGain || (gain === bestGain && best !== null && gain > 0 && size(t) > size(best))) {
            best = t;
            bestGain = gain;
          }
        }
        if (best === null) return;
        name(best);
      }
    },
    () => {
      // Out of budget: name every shared subterm of a few nodes or more, which keeps the text linear.
      const counts = countUses([root, ...order]);
      for (const [t, n] of counts)
        if (n > 1 && !named.has(t) && t.k !== "num" && t.k !== "sym" && children(t).length > 1) name(t);
    },
  );
  // Definitions in dependency order: a binding may use those named before it.
  const h = heights([root]);
  const sorted = [...order].sort((a, b) => h.get(a)! - h.get(b)!);
  return {
    body: toNode(root, named, root),
    bindings: sorted.map((t) => ({ name: named.get(t)!, node: toNode(t, named, t) })),
  };
}

// ---- numbers ----

/** Coefficients within this relative distance of a simple exact form print as that form. */
const SNAP = 8 * Number.EPSILON;
const near = (a: number, b: number) => Math.abs(a - b) <= SNAP * Math.abs(b);

/** p/q with q ≤ 64 when `v` is that fraction up to rounding, else null. */
function rational(v: number, maxQ = 64): [number, number] | null {
  for (let q = 1; q <= maxQ; q++) {
    const p = Math.round(v * q);
    if (p !== 0 && Math.abs(p) < 1e15 && near(p / q, v)) return [p, q];
  }
  return null;
}

const num = (value: number): Node => ({ kind: "num", value });
const PI: Node = { kind: "num", value: Math.PI, name: "pi" };
const E: Node = { kind: "num", value: Math.E, name: "e" };
const sqrtOf = (n: Node): Node => ({ kind: "call", fn: "sqrt", args: [n] });
const squareOf = (n: Node): Node => ({ kind: "pow", left: n, right: num(2) });

/** Constants that derivative rules and formulas produce, as factors above or below a fraction bar. */
const CONSTANTS: readonly { value: number; up?: Node; down?: Node }[] = [
  { value: Math.PI, up: PI },
  { value: 1 / Math.PI, down: PI },
  { value: Math.sqrt(Math.PI), up: sqrtOf(PI) },
  { value: 1 / Math.sqrt(Math.PI), down: sqrtOf(PI) },
  { value: Math.PI ** 2, up: squareOf(PI) },
  { value: 1 / Math.PI ** 2, down: squareOf(PI) },
  { value: Math.E, up: E },
  { value: 1 / Math.E, down: E },
  { value: Math.E ** 2, up: squareOf(E) },
  { value: Math.SQRT2, up: sqrtOf(num(2)) },
];

/** A positive coefficient as p·(constant)/(q·(constant)), with p a short decimal or an integer. */
interface Coefficient {
  readonly p: number;
  readonly q: number;
  readonly up: readonly Node[];
  readonly down: readonly Node[];
}

/**
 * A positive finite coefficient in its simplest readable form: an integer or fraction, a rational multiple
 * of π, e, √2 or √π (8/√π rather than 4.51351666838), or the shortest decimal, each within a few units
 * in the last place. The formula then holds exactly this form, so it prints and evaluates the same.
 */
function coefficient(c: number): Coefficient {
  if (Number.isInteger(c) || !Number.isFinite(c)) return { p: c, q: 1, up: [], down: [] };
  let k = coefficients.get(c);
  if (k === undefined) {
    if (coefficients.size > 10_000) coefficients.clear();
    k = findCoefficient(c);
    coefficients.set(c, k);
  }
  return k;
}
const coefficients = new Map<number, Coefficient>();

function findCoefficient(c: number): Coefficient {
  const r = rational(c);
  if (r !== null) return { p: r[0], q: r[1], up: [], down: [] };
  for (const k of CONSTANTS) {
    const m = rational(c / k.value, 12);
    if (m !== null && near((m[0] / m[1]) * k.value, c))
      return { p: m[0], q: m[1], up: k.up ? [k.up] : [], down: k.down ? [k.down] : [] };
  }
  for (let digits = 1; digits < 17; digits++) {
    const d = Number(c.toPrecision(digits));
    if (near(d, c)) return { p: d, q: 1, up: [], down: [] };
  }
  return { p: c, q: 1, up: [], down: [] };
}

const mulNodes = (xs: readonly Node[]): Node => xs.reduce((a, b) => ({ kind: "mul", left: a, right: b }));

/** A number as a formula: sign, then its coefficient form (2/sqrt(pi), pi/2, 1/3, 0.1, NaN, Infinity). */
function constantNode(v: number): Node {
  if (Number.isNaN(v) || v === 0) return num(v === 0 ? 0 : v);
  const positive = productNode(Math.abs(v), [], () => num(0));
  return v < 0 ? { kind: "neg", arg: positive } : positive;
}

/** Polynomial degree of a term, for ordering the terms of a sum (highest first). */
function degree(t: Term): number {
  if (t.k === "sym") return 1;
  if (t.k === "mul") return t.fs.reduce((d, f) => d + (f.e.k === "num" && f.b.k === "sym" ? f.e.v : 0), 0);
  return 0;
}

/** Orders factors: symbols and their powers first, then everything else, each by creation. */
const factorRank = (t: Term) => (t.k === "sym" ? 0 : t.k === "fn" ? 2 : t.k === "add" ? 3 : 1);

function toNode(
  t: Term,
  named: ReadonlyMap<Term, string>,
  self: Term,
  child: (u: Term) => Node = (u) => toNode(u, named, self),
): Node {
  const name = named.get(t);
  if (name !== undefined && t !== self) return { kind: "var", name };
  const rec = child;
  switch (t.k) {
    case "num":
      return constantNode(t.v);
    case "sym":
      return { kind: "var", name: t.name };
    case "fn":
      return { kind: "call", fn: t.f as never, args: t.args.map(rec) };
    case "cmp":
      return { kind: "cmp", op: t.op, left: rec(t.a), right: rec(t.b) };
    case "cond":
      return { kind: "cond", test: rec(t.test), ifTrue: rec(t.ifTrue), ifFalse: rec(t.ifFalse) };
    case "add": {
      const terms = [...t.terms].sort((a, b) => degree(b.t) - degree(a.t) || a.t.id - b.t.id);
      // Lead with a positive term when there is one: 1 - tanh(x)^2 rather than -tanh(x)^2 + 1.
      const lead = terms.findIndex((m) => m.coef > 0);
      if (lead > 0) terms.unshift(...terms.splice(lead, 1));
      let acc: Node | null = null;
      if (lead < 0 && t.c > 0) acc = constantNode(t.c);
      for (const m of terms) {
        const positive =
          m.t.k === "mul" && !named.has(m.t)
            ? productNode(Math.abs(m.coef * m.t.c), m.t.fs, rec)
            : productNode(Math.abs(m.coef), [{ b: m.t, e: ONE_EXPONENT }], rec);
        if (acc === null) acc = m.coef < 0 ? { kind: "neg", arg: positive } : positive;
        else acc = { kind: m.coef < 0 ? "sub" : "add", left: acc, right: positive };
      }
      if (t.c !== 0 && !(lead < 0 && t.c > 0))
        acc = { kind: t.c < 0 ? "sub" : "add", left: acc!, right: constantNode(Math.abs(t.c)) };
      return acc!;
    }
    case "mul": {
      const positive = productNode(Math.abs(t.c), t.fs, rec);
      return t.c < 0 ? { kind: "neg", arg: positive } : positive;
    }
  }
}

/** The exponent 1 of a lone factor (a marker: `productNode` prints the base as it is). */
const ONE_EXPONENT: Term = { k: "num", v: 1, id: -1 };

/**
 * c · Π factors as a tree: coefficient, constants and numerator factors, then a denominator for negative
 * powers and for constants such as √π in 2/√π.
 */
function productNode(c: number, factors: readonly Factor[], rec: (u: Term) => Node): Node {
  const fs = [...factors].sort((a, b) => factorRank(a.b) - factorRank(b.b) || a.b.id - b.b.id);
  const up: Node[] = [];
  const down: Node[] = [];
  for (const f of fs) {
    if (f.e === ONE_EXPONENT) up.push(rec(f.b));
    else if (f.e.k === "num" && f.e.v < 0) down.push(powNode(rec(f.b), -f.e.v));
    else
      up.push(f.e.k === "num" ? powNode(rec(f.b), f.e.v) : { kind: "pow", left: rec(f.b), right: rec(f.e) });
  }
  const k = coefficient(c);
  let p = k.p;
  let q = k.q;
  // Without a denominator, a fraction stays one number: (1/3) x, not x / 3 (which rounds differently).
  if (down.length === 0 && k.down.length === 0 && q !== 1) [p, q] = [p / q, 1];
  const numer = [...k.up, ...up];
  if (p !== 1 || numer.length === 0) numer.unshift(num(p));
  const denom = [...(q !== 1 ? [num(q)] : []), ...k.down, ...down];
  if (denom.length === 0) return mulNodes(numer);
  return { kind: "div", left: mulNodes(numer), right: mulNodes(denom) };
}

function powNode(b: Node, e: number): Node {
  if (e === 1) return b;
  if (e === 0.5) return sqrtOf(b);
  const r = rational(e);
  return { kind: "pow", left: b, right: num(r === null ? e : r[0] / r[1]) };
}

// The size of a term is the node count of its printed tree, computed from its children's sizes (each
// distinct subterm once) rather than by printing the whole expansion.
const weights = new WeakMap<Node, number>();
setMeasure((t) => {
  spend(1 + children(t).length);
  const node = toNode(t, new Map(), t, (u) => {
    const leaf: Node = { kind: "var", name: "" };
    weights.set(leaf, size(u));
    return leaf;
  });
  return foldNode<number>(node, (n, sizes) =>
    n.kind === "var"
      ? (weights.get(n) ?? 1)
      : n.kind === "neg" && n.arg.kind === "num"
        ? 1
        : 1 + sizes.reduce((s, k) => s + k, 0),
  );
});
