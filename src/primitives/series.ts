// Truncated Taylor series for jet (Taylor mode): lazily computed, memoized terms and the small series algebra
// the jet rules are written in (Leibniz products, quotients, square roots, integration, composition).
//
// Convention (JAX's jet): term k of a series is the k-th derivative along the path, x(t) = Σ_k x_k t^k / k!.
// Products therefore carry binomial coefficients, (ab)_k = Σ_i C(k,i) a_i b_{k−i}, and integration is a shift:
// a series whose derivative is y′ has y_k = (y′)_{k−1}. With an input path x0 + t (terms [1, 0, 0, ...]) most
// coefficients are 1, and `lincomb` folds scalar constants so that such terms cost no operation at all.
//
// Terms are computed on demand: asking for term k of an output computes only what term k needs, so the k-th
// derivative of sin(x)·exp(−x²) does not pay for the lower terms of the final product. A term may be null
// (a known zero) and may have any shape that broadcasts to its primal's (a 0-d term is a constant).
import { shapesEqual } from "../core/shape.js";
import { type Aval, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { Tracer } from "../core/trace.js";
import * as lax from "./lax.js";

type T = Tensor;
/** A term of a series: a tensor broadcastable to the primal, or null for a known zero. */
export type Term = Tensor | null;
/** A term as a function of its index (a series, a shifted series, ...). */
export type Seq = (k: number) => Term;
type Head = Term | (() => Term);

const pascal: number[][] = [[1]];
/** The binomial coefficient C(n, r) (exact up to n ≈ 56). */
export function binom(n: number, r: number): number {
  while (pascal.length <= n) {
    const prev = pascal[pascal.length - 1]!;
    const row = [1];
    for (let i = 1; i < prev.length; i++) row.push(prev[i - 1]! + prev[i]!);
    row.push(1);
    pascal.push(row);
  }
  return r < 0 || r > n ? 0 : pascal[n]![r]!;
}

/**
 * A truncated Taylor series: term 0 (the primal, possibly computed lazily) and terms 1..order, each computed
 * when first asked for and kept. A *sequential* series computes its terms in order (recurrences read their
 * own lower terms); a direct one computes just the term asked for.
 */
export class Series {
  private readonly memo: (Term | undefined)[];
  private rule: ((k: number) => Term) | null;
  private head: (() => Term) | null;
  private next = 1;
  private readonly busy = new Set<number>();
  /** How many lazy steps separate this series from computed data (set by the jet trace). */
  lazyDepth = 0;

  private constructor(
    readonly order: number,
    readonly aval: Aval,
    head: Head,
    rule: ((k: number) => Term) | null,
    private readonly sequential: boolean,
    readonly isConstant = false,
  ) {
    this.memo = new Array<Term | undefined>(order + 1);
    this.rule = rule;
    if (typeof head === "function") this.head = head;
    else {
      this.head = null;
      this.memo[0] = head;
    }
    if (rule === null) for (let k = 1; k <= order; k++) this.memo[k] ??= null;
  }

  /** A series whose terms are given. */
  static known(aval: Aval, primal: Term, terms: readonly Term[]): Series {
    const s = new Series(
      terms.length,
      aval,
      primal,
      null,
      false,
      terms.every((t) => t === null),
    );
    terms.forEach((t, i) => {
      s.memo[i + 1] = t;
    });
    return s;
  }
  /** The series of a constant: every term is zero. */
  static constant(primal: T, order: number): Series {
    return new Series(order, primal.aval, primal, null, false, true);
  }
  /** Term k computed from `rule(k)` alone (term 0 from `head`, or `rule(0)` when head is undefined). */
  static direct(order: number, aval: Aval, head: Head | undefined, rule: (k: number) => Term): Series {
    return new Series(order, aval, head === undefined ? () => rule(0) : head, rule, false);
  }
  /** Terms computed in order 1, 2, ...: `rule(k)` may read terms below k of this same series. */
  static sequential(order: number, aval: Aval, head: Head, rule: (k: number) => Term): Series {
    return new Series(order, aval, head, rule, true);
  }

  /** Term k (0 is the primal). */
  term(k: number): Term {
    const m = this.memo[k];
    if (m !== undefined) return m;
    if (k === 0) {
      const h = this.head!();
      this.head = null;
      return (this.memo[0] = h);
    }
    if (!Number.isInteger(k) || k < 0 || k > this.order)
      throw new RangeError(`jet: term ${k} of a series of order ${this.order} was requested`);
    if (this.busy.has(k)) throw new Error(`jet: internal error: term ${k} of a series depends on itself`);
    this.busy.add(k);
    try {
      if (!this.sequential) return (this.memo[k] = this.rule!(k));
      for (; this.next <= k; this.next++) this.memo[this.next] ??= this.rule!(this.next);
      return this.memo[k]!;
    } finally {
      this.busy.delete(k);
    }
  }

  /** The series as a function of the term index. */
  readonly at: Seq = (k) => this.term(k);

  /** Computes every term now and drops what computing them needed. */
  force(): void {
    for (let k = 0; k <= this.order; k++) this.term(k);
    this.rule = null;
    this.lazyDepth = 0;
  }
}

// ---- linear combinations with constant folding --------------------------------------------------------------

/** coef · Π factors; a null factor makes the item zero, an item with no factors is the constant coef. */
export type Item = readonly [coef: number, ...factors: Term[]];

const scalarValue = (t: T): number | null =>
  t instanceof ConcreteTensor && t.aval.shape.length === 0 ? t.data[0]! : null;

/**
 * Σ coef·Π factors with as few operations as possible: zero items are dropped, 0-d constant factors are
 * folded into the coefficient, a factor shared by several products is multiplied once (a negated factor
 * counts as the same one), and products sharing a coefficient (up to sign) are summed before one scaling.
 */
export function lincomb(aval: Aval, items: readonly Item[]): Term {
  let constant = 0;
  const prods: Prod[] = [];
  for (const [coef, ...factors] of items) {
    let c = coef;
    const fs: T[] = [];
    for (const f of factors) {
      if (f === null || c === 0) {
        c = 0;
        break;
      }
      const v = scalarValue(f);
      if (v !== null) c *= v;
      else fs.push(f);
    }
    if (c === 0) continue;
    if (fs.length === 0) constant += c;
    else prods.push({ c, fs });
  }
  let { p, n } = combine(aval, prods);
  if (constant !== 0) {
    const k = lax.scalarLike(aval, constant);
    p = p === null ? k : lax.add(p, k);
  }
  if (n === null) return p;
  return p === null ? negate(n) : lax.sub(p, n);
}

/** c · Π fs. */
interface Prod {
  c: number;
  fs: T[];
}

/** Σ c·Π fs as p − n (either may be null), so that differences cost a subtraction rather than a negation. */
function combine(aval: Aval, prods: readonly Prod[]): { p: T | null; n: T | null } {
  // The factor shared by the most products of two or more factors (x and −x count as one).
  const counts = new Map<T, number>();
  for (const { fs } of prods)
    if (fs.length >= 2) for (const f of new Set(fs.map(canonical))) counts.set(f, (counts.get(f) ?? 0) + 1);
  let best: T | null = null;
  let most = 1;
  for (const [f, k] of counts)
    if (k > most) {
      best = f;
      most = k;
    }
  if (best !== null) {
    const inner: Prod[] = [];
    const rest: Prod[] = [];
    for (const pr of prods) {
      const i = pr.fs.length >= 2 ? pr.fs.findIndex((f) => canonical(f) === best) : -1;
      if (i < 0) rest.push(pr);
      else inner.push({ c: pr.fs[i] === best ? pr.c : -pr.c, fs: pr.fs.filter((_, j) => j !== i) });
    }
    const a = combine(aval, inner);
    const b = combine(aval, rest);
    const times = (t: T | null) => t && lax.mul(t, best);
    const both = a.p !== null && a.n !== null;
    return {
      p: add(both ? times(lax.sub(a.p!, a.n!)) : times(a.p), b.p),
      n: add(both ? null : times(a.n), b.n),
    };
  }
  const groups = new Map<number, { pos: T | null; neg: T | null }>();
  for (const { c, fs } of prods) {
    const prod = fs.reduce((x, y) => lax.mul(x, y));
    const g = groups.get(Math.abs(c)) ?? { pos: null, neg: null };
    if (c > 0) g.pos = add(g.pos, prod);
    else g.neg = add(g.neg, prod);
    groups.set(Math.abs(c), g);
  }
  let p: T | null = null;
  let n: T | null = null;
  for (const [c, { pos, neg }] of groups) {
    if (pos !== null && neg !== null) p = add(p, scaled(lax.sub(pos, neg), c, aval));
    else if (pos !== null) p = add(p, scaled(pos, c, aval));
    else n = add(n, scaled(neg!, c, aval));
  }
  return { p, n };
}

const add = (a: T | null, b: T | null): T | null => (a === null ? b : b === null ? a : lax.add(a, b));

function scaled(x: T, c: number, aval: Aval): T {
  if (c === 1) return x;
  if (c === -1) return negate(x);
  return lax.mul(x, lax.scalarLike(aval, c));
}

// Negations already computed: sin/cos series alternate signs, so −(−s) should cost nothing and −s should
// count as s when common factors are collected.
const negationOf = new WeakMap<T, T>();
const negatedFrom = new WeakMap<T, T>();
const usable = (t: T) => !(t instanceof Tracer) || t.trace.main.active;
/** x, or y when x = −y was computed by `negate`. */
function canonical(x: T): T {
  const origin = negatedFrom.get(x);
  return origin !== undefined && usable(origin) ? origin : x;
}

/** −x, reusing earlier negations of x and returning y when x = −y was computed here. */
export function negate(x: T): T {
  const origin = negatedFrom.get(x);
  if (origin !== undefined && usable(origin)) return origin;
  const known = negationOf.get(x);
  if (known !== undefined && usable(known)) return known;
  const r = lax.neg(x);
  negationOf.set(x, r);
  negatedFrom.set(r, x);
  return r;
}

/** Items of term m of coef·(a·b) by Leibniz' rule: Σ_i coef·C(m,i)·a_i·b_{m−i}. */
export function leibniz(a: Seq, b: Seq, m: number, coef = 1): Item[] {
  const items: Item[] = [];
  for (let i = 0; i <= m; i++) {
    // b first: a term of a that meets a zero of b is never computed.
    const bj = b(m - i);
    if (bj !== null) items.push([coef * binom(m, i), a(i), bj]);
  }
  return items;
}

/** Items of term m of coef·a², each product computed once; `interior` leaves out the two a_0·a_m terms. */
export function square(a: Seq, m: number, coef = 1, interior = false): Item[] {
  const items: Item[] = [];
  for (let i = interior ? 1 : 0; 2 * i <= m; i++) {
    const j = m - i;
    items.push([coef * binom(m, i) * (i === j ? 1 : 2), a(i), a(j)]);
  }
  return items;
}

/** The derivative of a series along the path: (u′)_m = u_{m+1}. */
export const deriv =
  (u: Series): Seq =>
  (m) =>
    u.term(m + 1);

/** A lazily computed value, computed once. */
export function once<R>(f: () => R): () => R {
  let done = false;
  let v: R;
  return () => {
    if (!done) {
      v = f();
      done = true;
    }
    return v;
  };
}

// ---- series constructions -----------------------------------------------------------------------------------

/** a·b (Leibniz), with a known primal when given; a·a computes each product once. */
export function mulSeries(a: Series, b: Series, primal?: Term): Series {
  // With a constant factor second, only the other factor's term m is read for term m.
  const [x, y] = a.isConstant ? [b, a] : [a, b];
  const rule = a === b ? (m: number) => square(a.at, m) : (m: number) => leibniz(x.at, y.at, m);
  return Series.direct(Math.min(a.order, b.order), a.aval, primal, (m) => lincomb(a.aval, rule(m)));
}

/** A series with derivative `dy` (a series of order ≥ order − 1): y_k = dy_{k−1}. */
export function integral(order: number, aval: Aval, y0: Head, dy: Seq): Series {
  return Series.direct(order, aval, y0, (k) => dy(k - 1));
}

/**
 * The chain rule for y = f(u) when f′(u) = coef·g: y′ = coef·g·u′, so y_k = coef·Σ_{i<k} C(k−1,i) g_i u_{k−i}.
 * `g` is a thunk so that it may be (or depend on) the series being defined.
 */
export function chain(u: Series, y0: Head, g: () => Series, coef = 1): Series {
  return Series.sequential(u.order, u.aval, y0, (k) =>
    lincomb(u.aval, leibniz(g().at, deriv(u), k - 1, coef)),
  );
}

/**
 * q = coefA·a / b: from b·q = coefA·a, q_m = (coefA·a_m − Σ_{j=1}^{m} C(m,j) b_j q_{m−j}) / b_0. With a
 * constant b (`bConstant`), q_m = coefA·a_m / b_0 and no lower term is computed.
 */
export function quotient(
  order: number,
  aval: Aval,
  a: Seq,
  b: Seq,
  q0?: Head,
  coefA = 1,
  bConstant = false,
): Series {
  const make = bConstant ? Series.direct : Series.sequential;
  const q: Series = make(order, aval, q0 ?? (() => rule(0)), (m) => rule(m));
  const rule = (m: number): Term => {
    const items: Item[] = [[coefA, a(m)]];
    for (let j = 1; j <= m; j++) {
      const bj = b(j);
      if (bj !== null) items.push([-binom(m, j), bj, q.term(m - j)]);
    }
    const num = lincomb(aval, items);
    const den = b(0);
    return num === null ? null : lax.div(num, den ?? lax.scalarLike(aval, 0));
  };
  return q;
}

/** y = √u: from y·y = u, y_k = (u_k − Σ_{0<i<k} C(k,i) y_i y_{k−i}) / (2 y_0). */
export function sqrtSeries(u: Series, y0: Head): Series {
  const twoY0 = once(() => {
    const r = y.term(0)!;
    return lax.add(r, r);
  });
  const y: Series = Series.sequential(u.order, u.aval, y0, (k) => {
    const num = lincomb(u.aval, [[1, u.term(k)], ...square(y.at, k, -1, true)]);
    return num === null ? null : lax.div(num, twoY0());
  });
  return y;
}

/** u with a constant added to its primal: (c + u)_0 = c + u_0, (c + u)_k = u_k. */
export function plusConstant(u: Series, c: number): Series {
  return Series.direct(
    u.order,
    u.aval,
    () => lincomb(u.aval, [[c], [1, u.term(0)]]),
    (k) => u.term(k),
  );
}

/**
 * f(u) from f's Taylor coefficients at u_0: with δ = u − u_0 (which has no term 0),
 * f(u) = Σ_m c_m δ^m where c_m = f^(m)(u_0)/m!, so y_k = Σ_{m=1}^{k} c_m (δ^m)_k. `coef(m)` returns c_m, or
 * null when it is zero (then δ^m is never formed).
 */
export function compose(u: Series, y0: Term, coef: (m: number) => Term): Series {
  const delta = Series.direct(u.order, u.aval, null, (k) => u.term(k));
  const powers: Series[] = [delta];
  const power = (m: number): Series => {
    while (powers.length < m) powers.push(mulSeries(powers[powers.length - 1]!, delta, null));
    return powers[m - 1]!;
  };
  const coefs = new Map<number, Term>();
  const c = (m: number): Term => {
    if (!coefs.has(m)) coefs.set(m, coef(m));
    return coefs.get(m)!;
  };
  return Series.direct(u.order, u.aval, y0, (k) => {
    const items: Item[] = [];
    for (let m = 1; m <= k; m++) {
      const cm = c(m);
      if (cm !== null) items.push([1, cm, power(m).term(k)]);
    }
    return lincomb(u.aval, items);
  });
}

/** A term broadcast to the full shape of `aval` (for primitives that are not elementwise). */
export function full(t: T, aval: Aval): T {
  const r = t.aval.dtype === aval.dtype ? t : lax.convert(t, aval.dtype, aval.weak);
  return shapesEqual(r.aval.shape, aval.shape) ? r : lax.broadcastTo(r, aval.shape);
}
