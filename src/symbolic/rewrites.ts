// Whole-term rewrites the simplifier tries once a formula is built: every product multiplied out, common
// factors pulled out, terms collected by their most shared factor, sums over a common denominator. Each
// rewrite works bottom-up through the smart constructors of algebra.ts; all but the expansion keep a
// rewritten sum only where it prints smaller.
import {
  add,
  addKeeping,
  type Factor,
  isPolynomial,
  keepProduct,
  type Monomial,
  makeMul,
  mul,
  num,
  ONE,
  pow,
  rebuild,
  size,
  type Term,
} from "./algebra.js";

/** Distributes every product over every sum (recursively): the expanded normal form. */
export function expandAll(t: Term): Term {
  const memo = new Map<Term, Term>();
  const rec = (u: Term): Term => {
    const hit = memo.get(u);
    if (hit) return hit;
    let r: Term;
    if (u.k === "mul") {
      let acc: Term = num(u.c);
      for (const f of u.fs) {
        const b = rec(f.b);
        const e = rec(f.e);
        const fac = pow(b, e);
        acc = distribute(acc, fac);
      }
      r = acc;
    } else r = rebuild(u, rec);
    memo.set(u, r);
    return r;
  };
  return rec(t);
}

/** a · b with sums multiplied out term by term. */
function distribute(a: Term, b: Term): Term {
  const parts = (x: Term): Term[] =>
    x.k === "add" ? [num(x.c), ...x.terms.map((m) => mul(num(m.coef), m.t))] : [x];
  const pa = parts(a);
  const pb = parts(b);
  if (pa.length === 1 && pb.length === 1) return mul(a, b);
  return add(...pa.flatMap((x) => pb.map((y) => mul(x, y))));
}

/** Rebuilds `t` bottom-up (each distinct subterm once), applying `post` to every sum. */
function mapSums(t: Term, post: (s: Extract<Term, { k: "add" }>) => Term): Term {
  const memo = new Map<Term, Term>();
  const rec = (u: Term): Term => {
    const hit = memo.get(u);
    if (hit) return hit;
    const r0 = rebuild(u, rec);
    const r = r0.k === "add" ? post(r0) : r0;
    memo.set(u, r);
    return r;
  };
  return rec(t);
}

/**
 * Pulls a factor common to every term of a sum out in front when that makes the term smaller:
 * e^(−x²) cos x − 2x e^(−x²) sin x = e^(−x²) (cos x − 2x sin x). Applied bottom-up.
 */
export function factorCommon(t: Term): Term {
  return mapSums(t, (s) => pullOut(s));
}

/** The factors (base → numeric exponent) of a sum's term. */
function factorsOf(t: Term): Map<Term, number> {
  const m = new Map<Term, number>();
  if (t.k === "mul") {
    for (const f of t.fs) if (f.e.k === "num") m.set(f.b, f.e.v);
  } else m.set(t, 1);
  return m;
}

function pullOut(s: Extract<Term, { k: "add" }>): Term {
  if (s.c !== 0 || s.terms.length < 2) return s;
  const all = s.terms.map((m) => factorsOf(m.t));
  const common: Factor[] = [];
  for (const [b, e0] of all[0]!) {
    // Polynomial factors stay expanded (polynomial normal form); pull out only non-polynomial ones.
    if (isPolynomial(b)) continue;
    let e = e0;
    let ok = true;
    for (const f of all.slice(1)) {
      const ei = f.get(b);
      if (ei === undefined || Math.sign(ei) !== Math.sign(e0)) {
        ok = false;
        break;
      }
      e = e0 > 0 ? Math.min(e, ei) : Math.max(e, ei);
    }
    if (ok) common.push({ b, e: num(e) });
  }
  if (common.length === 0) return s;
  const g = makeMul(1, common);
  const inner = add(...s.terms.map((m) => mul(num(m.coef), m.t, pow(g, num(-1)))));
  const factored = makeMul(
    1,
    [...common, { b: inner, e: ONE }].sort((a, b) => a.b.id - b.b.id),
  );
  return size(factored) < size(s) ? factored : s;
}

/**
 * Groups the terms of every sum by their most shared non-polynomial factor, recursively (a Horner scheme
 * over functions): sin(x)·6x − sin(x)·x³ + cos(x)·18x becomes sin(x)(6x − x³) + 18x cos(x). Polynomial
 * parts stay in normal form.
 */
export function collect(t: Term): Term {
  return mapSums(t, (s) => collectSum(s.c, s.terms));
}

function collectSum(c: number, terms: readonly Monomial[], depth = 0): Term {
  const plain = () => add(num(c), ...terms.map((m) => mul(num(m.coef), m.t)));
  // Dividing out a factor with a fractional power may not shrink the sum; the depth bounds the recursion.
  if (terms.length < 2 || depth > 24) return plain();
  // Count, for each non-polynomial base, the terms that hold it with a positive numeric power.
  const holders = new Map<Term, number[]>();
  terms.forEach((m, i) => {
    for (const [b, e] of factorsOf(m.t)) {
      if (e <= 0 || isPolynomial(b)) continue;
      const list = holders.get(b);
      if (list) list.push(i);
      else holders.set(b, [i]);
    }
  });
  let best: Term | null = null;
  let bestN = 1;
  for (const [b, list] of holders)
    if (list.length > bestN || (list.length === bestN && best !== null && size(b) > size(best))) {
      best = b;
      bestN = list.length;
    }
  if (best === null) return plain();
  const idx = new Set(holders.get(best)!);
  const e = Math.min(...[...idx].map((i) => factorsOf(terms[i]!.t).get(best)!));
  const g = pow(best, num(e));
  const inner = add(...[...idx].map((i) => mul(num(terms[i]!.coef), terms[i]!.t, pow(g, num(-1)))));
  const innerCollected = inner.k === "add" ? collectSum(inner.c, inner.terms, depth + 1) : inner;
  const grouped = makeMul(1, [{ b: best, e: num(e) }, ...(innerCollected.k === "mul" ? [] : [])]);
  const groupTerm =
    innerCollected.k === "num" ? mul(innerCollected, g) : keepProduct(grouped, innerCollected);
  const rest = terms.filter((_, i) => !idx.has(i));
  const restTerm = rest.length > 0 ? collectSum(c, rest, depth + 1) : num(c);
  const combined = rest.length > 0 || c !== 0 ? addKeeping([groupTerm, restTerm]) : groupTerm;
  return smallest([plain(), combined, groupByCoef(c, terms)]);
}

const smallest = (ts: readonly (Term | null)[]): Term =>
  ts.reduce<Term | null>((a, b) => (b === null ? a : a === null || size(b) < size(a) ? b : a), null)!;

/** Terms sharing a numeric coefficient grouped under it: 16a + 16b − 88c = 16(a + b) − 88c. */
function groupByCoef(c: number, terms: readonly Monomial[]): Term | null {
  const byCoef = new Map<number, Monomial[]>();
  for (const m of terms) {
    const k = Math.abs(m.coef);
    if (k === 1) continue;
    const list = byCoef.get(k);
    if (list) list.push(m);
    else byCoef.set(k, [m]);
  }
  let best: Monomial[] | null = null;
  for (const list of byCoef.values())
    if (list.length >= 2 && (best === null || list.length > best.length)) best = list;
  if (best === null) return null;
  const k = Math.abs(best[0]!.coef);
  const sign = best.every((m) => m.coef < 0) ? -1 : 1;
  const inner = add(...best.map((m) => mul(num(Math.sign(m.coef) * sign), m.t)));
  const group = inner.k === "add" ? makeMul(sign * k, [{ b: inner, e: ONE }]) : mul(num(sign * k), inner);
  const rest = terms.filter((m) => !best!.includes(m));
  return rest.length > 0 || c !== 0
    ? addKeeping([group, add(num(c), ...rest.map((m) => mul(num(m.coef), m.t)))])
    : group;
}

/**
 * Sums of fractions over a common denominator, bottom-up: 2u/v³ − 1/v² = (2u − v)/v³, whose numerator may
 * then simplify. Kept only where smaller.
 */
export function together(t: Term): Term {
  return mapSums(t, (s) => togetherSum(s));
}

function togetherSum(s: Extract<Term, { k: "add" }>): Term {
  const den = new Map<Term, number>();
  for (const m of s.terms)
    for (const [b, e] of factorsOf(m.t))
      if (e < 0 && b.k !== "num") den.set(b, Math.max(den.get(b) ?? 0, -e));
  if (den.size === 0) return s;
  const D = mul(...[...den].map(([b, k]) => pow(b, num(k))));
  const numer = expandAll(add(mul(num(s.c), D), ...s.terms.map((m) => mul(num(m.coef), m.t, D))));
  const inv = pow(D, num(-1));
  const r = numer.k === "add" ? keepProduct(inv, numer) : mul(numer, inv);
  return size(r) < size(s) ? r : s;
}
