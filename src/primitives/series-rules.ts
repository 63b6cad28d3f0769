// The jet (Taylor-mode) rule type, the factories the families' jet rules share, and the longer rules of the
// elementwise families (the other families keep theirs with their declarations).
// Every rule returns the primal output and its series, written with the series algebra of taylor.ts.
import type { Prim, PrimParams } from "../core/primitives.js";
import { type Aval, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import * as lax from "./lax.js";
import {
  chain,
  compose,
  deriv,
  full,
  type Item,
  integral,
  leibniz,
  lincomb,
  mulSeries,
  once,
  quotient,
  Series,
  sqrtSeries,
  square,
  type Term,
} from "./series.js";
import type { UnaryPrim } from "./unary.js";

type T = Tensor;

/** A jet rule: primals and their series (term 0 is the primal) in, primal output and its series out. */
export type JetRuleOf<Params> = (
  primals: T[],
  series: Series[],
  params: Params,
  order: number,
) => [T, Series | null];
export type JetRule<P extends Prim> = JetRuleOf<PrimParams[P]>;

export const one = (x: T | Aval) => lax.scalarLike(x, 1);
export const isScalar = (t: T) => t.aval.shape.length === 0;
const concreteData = (t: T) => (t instanceof ConcreteTensor ? t.data : null);

/** The output series computed term by term from the input terms (for rules linear in their float inputs). */
export function termwise(
  order: number,
  out: T,
  inputs: readonly Series[],
  f: (terms: Term[]) => Term,
): Series {
  return Series.direct(order, out.aval, out, (k) => {
    const terms = inputs.map((s) => s.term(k));
    return terms.every((t) => t === null) ? null : f(terms);
  });
}

/** Linear combinations of the operands (neg, add, sub): the same combination of their terms. */
export const weighted =
  <P extends "neg" | "add" | "sub">(p: P, ...w: number[]): JetRule<P> =>
  (xs, ss, params, order) => {
    const out = bind(p, xs, params);
    return [
      out,
      termwise(order, out, ss, (ts) =>
        lincomb(
          out.aval,
          ts.map((t, i): Item => [w[i]!, t]),
        ),
      ),
    ];
  };

/** A unary rule from the output series, given the input's series and the primal output. */
export const unary =
  (p: UnaryPrim, build: (x: T, u: Series, y0: T, order: number) => Series): JetRule<UnaryPrim> =>
  ([x], [u], _params, order) => {
    const y0 = bind(p, [x!], {});
    return [y0, build(x!, u!, y0, order)];
  };

/** Piecewise-constant functions and integer or bool outputs: every derivative is zero wherever it exists. */
export const zero =
  <P extends Prim>(p: P): JetRule<P> =>
  (xs, _ss, params) => [bind(p, xs, params), null];

/** Linear primitives of one float operand (the first) that mix elements: applied to each full-shape term. */
export const linearFull =
  <P extends Prim>(p: P): JetRule<P> =>
  (xs, [u], params, order) => {
    const out = bind(p, xs, params);
    return [
      out,
      termwise(order, out, [u!], ([t]) => bind(p, [full(t!, xs[0]!.aval), ...xs.slice(1)], params)),
    ];
  };

/** sin and cos (or sinh and cosh) together: s′ = c·u′, c′ = ∓s·u′. */
export function sinCos(
  u: Series,
  s0: T | (() => T),
  c0: T | (() => T),
  hyperbolic: boolean,
): [Series, Series] {
  const s: Series = chain(u, s0, () => c);
  const c: Series = chain(u, c0, () => s, hyperbolic ? 1 : -1);
  return [s, c];
}

const withOne = (m: number): Item[] => (m === 0 ? [[1]] : []);

/** 1 ± u², whose square root or reciprocal gives the derivatives of asin, acos and atan. */
export const onePlusSquare = (u: Series, sign: 1 | -1, order: number) =>
  Series.direct(order, u.aval, undefined, (m) => lincomb(u.aval, [...square(u.at, m, sign), ...withOne(m)]));

/** y′ = u′/b for a series b: log (b = u), log1p (1 + u), atan (1 + u²). */
export const integrateOver = (x: T, u: Series, y0: T, order: number, b: Series, sign: 1 | -1 = 1): Series =>
  integral(order, x.aval, y0, quotient(order - 1, x.aval, deriv(u), b.at, undefined, sign).at);

/** asin / acos: y′ = ±u′/√(1 − u²). */
export const arcsine =
  (sign: 1 | -1) =>
  (x: T, u: Series, y0: T, order: number): Series => {
    const v = onePlusSquare(u, -1, order);
    return integrateOver(
      x,
      u,
      y0,
      order,
      sqrtSeries(v, () => lax.sqrt(v.term(0)!)),
      sign,
    );
  };

/** y′ = g·u′ where g is a polynomial in y given by its terms: tan (1 + y²), tanh (1 − y²), logistic (y − y²). */
export const polyChain =
  (g: "1+y²" | "1-y²" | "y-y²") =>
  (_x: T, u: Series, y0: T, order: number): Series => {
    const y: Series = chain(u, y0, () => gs);
    const gs = Series.direct(order, u.aval, undefined, (m) =>
      lincomb(
        u.aval,
        g === "1+y²"
          ? [...square(y.at, m), ...withOne(m)]
          : g === "1-y²"
            ? [...square(y.at, m, -1), ...withOne(m)]
            : [[1, y.term(m)], ...square(y.at, m, -1)],
      ),
    );
    return y;
  };

/** erf: y′ = (2/√π)·exp(−u²)·u′. */
export function erfSeries(u: Series, y0: T, order: number): Series {
  const w = Series.direct(order, u.aval, undefined, (m) => lincomb(u.aval, square(u.at, m, -1)));
  const e: Series = chain(
    w,
    () => lax.exp(w.term(0)!),
    () => e,
  );
  return chain(u, y0, () => e, 2 / Math.sqrt(Math.PI));
}

/** x^e, skipping the operation for the constant exponents 0 and 1. */
function powOf(x: T, e: T): T {
  const k = isScalar(e) ? concreteData(e)?.[0] : undefined;
  if (k === 0) return one(x);
  if (k === 1) return x;
  return lax.pow(x, e);
}

// pow: x^p = exp(p·log x) when the exponent varies; for a constant exponent, the Taylor coefficients of x^p at
// x_0, C(p, m)·x_0^(p−m), which stay finite at x_0 = 0 for integer p (where exp∘log would not).
export const powRule: JetRule<"pow"> = ([x, p], [u, v], _params, order) => {
  const out = lax.pow(x!, p!);
  if (!v!.isConstant) {
    // log x with log 0 read as 0, as the JVP does: at x = 0 the exponent's series contributes nothing.
    const safeLog = () => lax.log(lax.select(lax.eq(x!, lax.scalarLike(x!, 0)), one(x!), x!));
    const logX = integral(order, x!.aval, safeLog, quotient(order - 1, x!.aval, deriv(u!), u!.at).at);
    const w = mulSeries(v!, logX);
    const y: Series = chain(w, out, () => y); // y′ = y·w′
    return [out, y];
  }
  // C(p, m) = C(p, m−1)·(p − m + 1)/m, kept as tensors so that a traced exponent works too.
  const binoms: T[] = [one(p!)];
  const binomP = (m: number): T => {
    while (binoms.length <= m) {
      const j = binoms.length;
      const factor = lax.mul(lax.sub(p!, lax.scalarLike(p!, j - 1)), lax.scalarLike(p!, 1 / j));
      binoms.push(lax.mul(binoms[j - 1]!, factor));
    }
    return binoms[m]!;
  };
  const coef = (m: number): Term => {
    const b = binomP(m);
    const known = concreteData(b);
    if (known?.every((e) => e === 0)) return null;
    const e = lax.sub(p!, lax.scalarLike(p!, m));
    if (known?.every((q) => q !== 0)) return lax.mul(b, powOf(x!, e));
    // Where C(p, m) = 0 (integer p < m), x_0^(p−m) may be infinite: use the base 1 there.
    const isZero = lax.eq(b, lax.scalarLike(b, 0));
    return lax.select(isZero, lax.zerosLike(b), lax.mul(b, powOf(lax.select(isZero, one(x!), x!), e)));
  };
  return [out, compose(u!, out, coef)];
};

/** max/min: the winner's series; ties split evenly (as the JVP does). */
export function extremumRule(
  out: T,
  firstWins: T,
  x: T,
  y: T,
  u: Series,
  v: Series,
  order: number,
): [T, Series] {
  const weights = once(() => {
    const tie = lax.select(lax.eq(x, y), lax.scalarLike(out, 0.5), lax.scalarLike(out, 0));
    const wx = lax.select(firstWins, one(out), tie);
    return [wx, lax.sub(one(out), wx)] as const;
  });
  return [
    out,
    termwise(order, out, [u, v], ([a, b]) => {
      const [wx, wy] = weights();
      return lincomb(out.aval, [
        [1, wx, a!],
        [1, wy, b!],
      ]);
    }),
  ];
}

/** atan2(y, x): θ′ = (x·y′ − y·x′)/(x² + y²). */
export const atan2Rule: JetRule<"atan2"> = ([y, x], [v, u], _params, order) => {
  const out = lax.atan2(y!, x!);
  const a = out.aval;
  const num = Series.direct(order - 1, a, undefined, (m) =>
    lincomb(a, [...leibniz(u!.at, deriv(v!), m), ...leibniz(v!.at, deriv(u!), m, -1)]),
  );
  const den = Series.direct(order, a, undefined, (m) =>
    lincomb(a, [...square(u!.at, m), ...square(v!.at, m)]),
  );
  return [out, integral(order, a, out, quotient(order - 1, a, num.at, den.at).at)];
};
