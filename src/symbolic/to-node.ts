// From canonical terms to printable expression trees: term order, signs, fractions, and shared
// subexpressions bound to names (`... where u = x^2`) when that makes the formula shorter.

import { type Factor, setMeasure, size, type Term } from "./algebra.js";
import type { Node } from "./ast.js";
import { nodeSize } from "./format.js";

/** A formula: a body and the named subexpressions it uses, in dependency order. */
export interface Formula {
  readonly body: Node;
  readonly bindings: readonly { readonly name: string; readonly node: Node }[];
}

const BINDING_NAMES = ["u", "v", "w", "p", "q", "r", "s", "a", "b", "c", "d", "g", "h", "k", "m", "n"];

/** The number of times each term is printed, treating already-named terms as leaves. */
function countUses(roots: readonly Term[], named: ReadonlyMap<Term, string>): Map<Term, number> {
  const counts = new Map<Term, number>();
  const visit = (t: Term) => {
    counts.set(t, (counts.get(t) ?? 0) + 1);
    if (named.has(t)) return;
    for (const c of children(t)) visit(c);
  };
  for (const r of roots) for (const c of children(r)) visit(c);
  return counts;
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

/**
 * Converts a term to a formula, naming repeated subexpressions while that shrinks the total size
 * (each use of a name costs 1; each binding costs its definition plus 1).
 */
export function toFormula(root: Term, reserved: readonly string[]): Formula {
  const named = new Map<Term, string>();
  const order: Term[] = [];
  const names = BINDING_NAMES.filter((n) => !reserved.includes(n));
  for (let guard = 0; guard < 64 && named.size < names.length; guard++) {
    const counts = countUses([root, ...order], named);
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
    if (best === null) break;
    named.set(best, names[named.size]!);
    order.push(best);
  }
  // Definitions in dependency order: a binding may use those named before it.
  const sorted = [...order].sort((a, b) => size(a) - size(b));
  return {
    body: toNode(root, named, root),
    bindings: sorted.map((t) => ({ name: named.get(t)!, node: toNode(t, named, t) })),
  };
}

const numNode = (v: number): Node =>
  v < 0 ? { kind: "neg", arg: { kind: "num", value: -v } } : { kind: "num", value: v };

/** Polynomial degree of a term, for ordering the terms of a sum (highest first). */
function degree(t: Term): number {
  if (t.k === "sym") return 1;
  if (t.k === "mul") return t.fs.reduce((d, f) => d + (f.e.k === "num" && f.b.k === "sym" ? f.e.v : 0), 0);
  return 0;
}

/** Orders factors: symbols and their powers first, then everything else, each by creation. */
const factorRank = (t: Term) => (t.k === "sym" ? 0 : t.k === "fn" ? 2 : t.k === "add" ? 3 : 1);

function toNode(t: Term, named: ReadonlyMap<Term, string>, self: Term): Node {
  const name = named.get(t);
  if (name !== undefined && t !== self) return { kind: "var", name };
  const rec = (u: Term) => toNode(u, named, self);
  switch (t.k) {
    case "num":
      return numNode(t.v);
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
      if (lead < 0 && t.c > 0) acc = { kind: "num", value: t.c };
      for (const m of terms) {
        const positive =
          m.t.k === "mul" && !named.has(m.t)
            ? productNode(Math.abs(m.coef * m.t.c), m.t.fs, rec)
            : scaled(Math.abs(m.coef), rec(m.t));
        if (acc === null) acc = m.coef < 0 ? { kind: "neg", arg: positive } : positive;
        else acc = { kind: m.coef < 0 ? "sub" : "add", left: acc, right: positive };
      }
      if (t.c !== 0 && !(lead < 0 && t.c > 0))
        acc = { kind: t.c < 0 ? "sub" : "add", left: acc!, right: { kind: "num", value: Math.abs(t.c) } };
      return acc!;
    }
    case "mul": {
      const positive = productNode(Math.abs(t.c), t.fs, rec);
      return t.c < 0 ? { kind: "neg", arg: positive } : positive;
    }
  }
}

const scaled = (c: number, n: Node): Node =>
  c === 1 ? n : { kind: "mul", left: { kind: "num", value: c }, right: n };

/** c · Π factors as a tree: coefficient and numerator factors, then a denominator for negative powers. */
function productNode(c: number, factors: readonly Factor[], rec: (u: Term) => Node): Node {
  const fs = [...factors].sort((a, b) => factorRank(a.b) - factorRank(b.b) || a.b.id - b.b.id);
  const up: Node[] = [];
  const down: Node[] = [];
  for (const f of fs) {
    if (f.e.k === "num" && f.e.v < 0) down.push(powNode(rec(f.b), -f.e.v, rec));
    else
      up.push(
        f.e.k === "num" ? powNode(rec(f.b), f.e.v, rec) : { kind: "pow", left: rec(f.b), right: rec(f.e) },
      );
  }
  const [p, q] = down.length > 0 ? asFraction(c) : [c, 1];
  if (q !== 1) down.unshift({ kind: "num", value: q });
  if (p !== 1 || up.length === 0) up.unshift({ kind: "num", value: p });
  const numer = up.reduce((a, b) => ({ kind: "mul", left: a, right: b }));
  if (down.length === 0) return numer;
  return { kind: "div", left: numer, right: down.reduce((a, b) => ({ kind: "mul", left: a, right: b })) };
}

/** c as p/q with a small denominator when it is one, else [c, 1]. */
function asFraction(c: number): [number, number] {
  for (let q = 1; q <= 64; q++) {
    const p = Math.round(c * q);
    if (Math.abs(p / q - c) <= 1e-14 * Math.max(1, Math.abs(c))) return [p, q];
  }
  return [c, 1];
}

function powNode(b: Node, e: number, _rec: (u: Term) => Node): Node {
  if (e === 1) return b;
  if (e === 0.5) return { kind: "call", fn: "sqrt", args: [b] };
  return { kind: "pow", left: b, right: { kind: "num", value: e } };
}

setMeasure((t) => nodeSize(toNode(t, new Map(), t)));
