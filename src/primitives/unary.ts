// The elementwise unary primitives, declared once: a row per primitive holds what differs between them (its
// value on a number, its derivative, its Taylor series, how formulas print it, where tests evaluate it); the
// family supplies the rest (shape and dtype, batching, transposition, every engine's table). Adding a unary
// primitive is adding its name and its row here, plus its public wrapper in ops/ and its test-table row.
import { NO_PARAMS, type NoParams } from "../core/primitives.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import * as lax from "./lax.js";
import { chain, compose, lincomb, once, plusConstant, Series, sqrtSeries, square } from "./series.js";
import {
  arcsine,
  erfSeries,
  integrateOver,
  onePlusSquare,
  polyChain,
  sinCos,
  termwise,
} from "./series-rules.js";
import { digamma, erf, erfc, erfinv, lgamma } from "./special.js";

type T = Tensor;

/** Every unary primitive's name. */
export const UNARY_PRIMS = [
  "sin",
  "cos",
  "tan",
  "asin",
  "acos",
  "atan",
  "sinh",
  "cosh",
  "tanh",
  "exp",
  "log",
  "sqrt",
  "abs",
  "sign",
  "logistic",
  "erf",
  "erfc",
  "erfinv",
  "lgamma",
  "digamma",
  "ndtr",
  "neg",
  "floor",
  "ceil",
  "round",
  "expm1",
  "log1p",
  "stop_gradient",
] as const;
export type UnaryPrim = (typeof UNARY_PRIMS)[number];

// The unary primitives join the table of every primitive's parameters.
declare module "../core/primitives.js" {
  interface PrimParams extends Record<UnaryPrim, NoParams> {}
}

/** The Taylor series of y = f(u) from the input x, its series u, and the primal output y0 (JAX's jet). */
export type UnarySeries = (x: T, u: Series, y0: T, order: number) => Series;

export interface UnaryRow {
  /** "float": float inputs only (an integer input is a dtype error); "any": any dtype, kept. */
  readonly accepts: "float" | "any";
  /** The value on a float64 number: the specification every engine matches (float32 rounds it once). */
  readonly scalar: (x: number) => number;
  /** JavaScript source of the value for generated loops (default: a call of `scalar`). */
  readonly js?: (x: string) => string;
  /**
   * The derivative f′ as an expression in the input x and the output y = f(x), written with primitives (so
   * derivatives of every order compose); "zero" for piecewise-constant functions, "linear" for neg.
   */
  readonly derivative: ((x: T, y: T) => T) | "zero" | "linear";
  /**
   * The Taylor series rule: a series algebra rule (see series.ts), or "derivatives" to compose the series
   * from `nth` (the m-th derivative at x), or the same shortcuts as `derivative`.
   */
  readonly series: UnarySeries | "derivatives" | "zero" | "linear";
  /** The m-th derivative f^(m)(x) for m ≥ 1, for `series: "derivatives"`. */
  readonly nth?: (x: T, m: number) => T;
  /** The result changes in steps, so fused loops must give it exactly rounded operands. */
  readonly discrete?: boolean;
  /**
   * How formulas name it (nb.symbolic parses and prints it under `name`), and its LaTeX name where it has
   * one (otherwise it prints as \\operatorname{name}).
   */
  readonly formula?: { readonly name: string; readonly latex?: string };
  /**
   * Bands of float64 inputs where it is smooth and well conditioned: where the derivative table and the
   * engine comparisons evaluate it.
   */
  readonly domain: readonly (readonly [number, number])[];
}

const one = (x: T) => lax.scalarLike(x, 1);
const sq = (x: T) => lax.mul(x, x);
const c = (x: T, v: number) => lax.scalarLike(x, v);
/** The primitive applied to x (for rows that refer to primitives without a named wrapper). */
export const applyUnary = (p: UnaryPrim, x: T): T => bind(p, [x], NO_PARAMS);
/** ψ⁽ⁿ⁾(x), the polygamma function (a binary primitive: the order is its first operand). */
const polygammaOf = (n: number, x: T): T => bind("polygamma", [c(x, n), x], NO_PARAMS);

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT_PI_OVER_2 = Math.sqrt(Math.PI) / 2;
const everywhere = [[-3, 3]] as const;
const unit = [[-0.9, 0.9]] as const;

/** The series of exp(w) for a series w: e′ = e·w′. */
function expOf(w: Series): Series {
  const e: Series = chain(
    w,
    () => lax.exp(w.term(0)!),
    () => e,
  );
  return e;
}

/** Rounds half-way cases to even, as NumPy and JAX round. */
export const roundHalfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};
/** σ(x) = 1/(1 + e^{−x}), without overflow for large |x|. */
export const logistic = (x: number): number =>
  x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));

export const UNARY: { readonly [P in UnaryPrim]: UnaryRow } = {
  neg: {
    accepts: "any",
    scalar: (x) => -x,
    js: (a) => `(-${a})`,
    derivative: "linear",
    series: "linear",
    domain: everywhere,
  },
  sign: {
    accepts: "any",
    scalar: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
    js: (a) => `(${a} > 0 ? 1 : ${a} < 0 ? -1 : ${a})`,
    derivative: "zero",
    series: "zero",
    discrete: true,
    formula: { name: "sign" },
    domain: [
      [-2, -0.3],
      [0.3, 2],
    ],
  },
  floor: {
    accepts: "any",
    scalar: Math.floor,
    js: (a) => `Math.floor(${a})`,
    derivative: "zero",
    series: "zero",
    discrete: true,
    domain: [[0.2, 0.8]],
  },
  ceil: {
    accepts: "any",
    scalar: Math.ceil,
    js: (a) => `Math.ceil(${a})`,
    derivative: "zero",
    series: "zero",
    discrete: true,
    domain: [[0.2, 0.8]],
  },
  round: {
    accepts: "any",
    scalar: roundHalfEven,
    derivative: "zero",
    series: "zero",
    discrete: true,
    domain: [
      [0.1, 0.4],
      [0.6, 0.9],
    ],
  },
  abs: {
    accepts: "any",
    scalar: Math.abs,
    js: (a) => `Math.abs(${a})`,
    derivative: (x) => lax.sign(x),
    series: (x, u, y0, order) => {
      const sgn = once(() => lax.sign(x));
      return termwise(order, y0, [u], ([t]) => lincomb(y0.aval, [[1, sgn(), t!]]));
    },
    formula: { name: "abs" },
    domain: [
      [-2, -0.3],
      [0.3, 2],
    ],
  },
  exp: {
    accepts: "float",
    scalar: Math.exp,
    js: (a) => `Math.exp(${a})`,
    derivative: (_x, y) => y,
    series: (_x, u, y0) => {
      const y: Series = chain(u, y0, () => y); // y′ = y·u′
      return y;
    },
    formula: { name: "exp" },
    domain: [[-2, 2]],
  },
  log: {
    accepts: "float",
    scalar: Math.log,
    js: (a) => `Math.log(${a})`,
    derivative: (x) => lax.div(one(x), x),
    series: (x, u, y0, order) => integrateOver(x, u, y0, order, u), // y′ = u′/u
    formula: { name: "log", latex: "\\ln" },
    domain: [[0.5, 2]],
  },
  expm1: {
    accepts: "float",
    scalar: Math.expm1,
    js: (a) => `Math.expm1(${a})`,
    derivative: (_x, y) => lax.add(y, one(y)),
    series: (_x, u, y0) => {
      const y: Series = chain(u, y0, () => g); // y′ = (y + 1)·u′
      const g = plusConstant(y, 1);
      return y;
    },
    domain: [[-2, 2]],
  },
  log1p: {
    accepts: "float",
    scalar: Math.log1p,
    js: (a) => `Math.log1p(${a})`,
    derivative: (x) => lax.div(one(x), lax.add(x, one(x))),
    series: (x, u, y0, order) => integrateOver(x, u, y0, order, plusConstant(u, 1)),
    domain: [[-0.5, 2]],
  },
  sqrt: {
    accepts: "float",
    scalar: Math.sqrt,
    js: (a) => `Math.sqrt(${a})`,
    derivative: (_x, y) => lax.div(c(y, 0.5), y),
    series: (_x, u, y0) => sqrtSeries(u, y0),
    formula: { name: "sqrt" },
    domain: [[0.5, 2]],
  },
  sin: {
    accepts: "float",
    scalar: Math.sin,
    js: (a) => `Math.sin(${a})`,
    derivative: (x) => lax.cos(x),
    series: (x, u, y0) => sinCos(u, y0, () => lax.cos(x), false)[0],
    formula: { name: "sin", latex: "\\sin" },
    domain: everywhere,
  },
  cos: {
    accepts: "float",
    scalar: Math.cos,
    js: (a) => `Math.cos(${a})`,
    derivative: (x) => lax.neg(lax.sin(x)),
    series: (x, u, y0) => sinCos(u, () => lax.sin(x), y0, false)[1],
    formula: { name: "cos", latex: "\\cos" },
    domain: everywhere,
  },
  tan: {
    accepts: "float",
    scalar: Math.tan,
    js: (a) => `Math.tan(${a})`,
    derivative: (_x, y) => lax.add(one(y), sq(y)), // 1 + tan²
    series: polyChain("1+y²"),
    formula: { name: "tan", latex: "\\tan" },
    domain: [[-1.2, 1.2]],
  },
  asin: {
    accepts: "float",
    scalar: Math.asin,
    js: (a) => `Math.asin(${a})`,
    derivative: (x) => lax.div(one(x), lax.sqrt(lax.sub(one(x), sq(x)))),
    series: arcsine(1),
    formula: { name: "asin", latex: "\\arcsin" },
    domain: unit,
  },
  acos: {
    accepts: "float",
    scalar: Math.acos,
    js: (a) => `Math.acos(${a})`,
    derivative: (x) => lax.neg(lax.div(one(x), lax.sqrt(lax.sub(one(x), sq(x))))),
    series: arcsine(-1),
    formula: { name: "acos", latex: "\\arccos" },
    domain: unit,
  },
  atan: {
    accepts: "float",
    scalar: Math.atan,
    js: (a) => `Math.atan(${a})`,
    derivative: (x) => lax.div(one(x), lax.add(one(x), sq(x))),
    series: (x, u, y0, order) => integrateOver(x, u, y0, order, onePlusSquare(u, 1, order)),
    formula: { name: "atan", latex: "\\arctan" },
    domain: everywhere,
  },
  sinh: {
    accepts: "float",
    scalar: Math.sinh,
    js: (a) => `Math.sinh(${a})`,
    derivative: (x) => lax.cosh(x),
    series: (x, u, y0) => sinCos(u, y0, () => lax.cosh(x), true)[0],
    formula: { name: "sinh", latex: "\\sinh" },
    domain: [[-2, 2]],
  },
  cosh: {
    accepts: "float",
    scalar: Math.cosh,
    js: (a) => `Math.cosh(${a})`,
    derivative: (x) => lax.sinh(x),
    series: (x, u, y0) => sinCos(u, () => lax.sinh(x), y0, true)[1],
    formula: { name: "cosh", latex: "\\cosh" },
    domain: [[-2, 2]],
  },
  tanh: {
    accepts: "float",
    scalar: Math.tanh,
    js: (a) => `Math.tanh(${a})`,
    derivative: (_x, y) => lax.sub(one(y), sq(y)), // 1 − tanh²
    series: polyChain("1-y²"),
    formula: { name: "tanh", latex: "\\tanh" },
    domain: [[-2, 2]],
  },
  logistic: {
    accepts: "float",
    scalar: logistic,
    derivative: (_x, y) => lax.mul(y, lax.sub(one(y), y)), // σ(1 − σ)
    series: polyChain("y-y²"),
    formula: { name: "sigmoid" },
    domain: everywhere,
  },
  erf: {
    accepts: "float",
    scalar: erf,
    derivative: (x) => lax.mul(c(x, TWO_OVER_SQRT_PI), lax.exp(lax.neg(sq(x)))),
    series: (_x, u, y0, order) => erfSeries(u, y0, order),
    formula: { name: "erf" },
    domain: [[-2, 2]],
  },
  erfc: {
    accepts: "float",
    scalar: erfc,
    derivative: (x) => lax.mul(c(x, -TWO_OVER_SQRT_PI), lax.exp(lax.neg(sq(x)))),
    series: (_x, u, y0, order) => {
      const w = Series.direct(order, u.aval, undefined, (m) => lincomb(u.aval, square(u.at, m, -1)));
      return chain(u, y0, () => expOf(w), -TWO_OVER_SQRT_PI); // y′ = −(2/√π)·exp(−u²)·u′
    },
    formula: { name: "erfc" },
    domain: [[-2, 3]],
  },
  ndtr: {
    accepts: "float",
    scalar: (x) => 0.5 * erfc(-x * Math.SQRT1_2), // Φ(x), accurate in both tails
    derivative: (x) => lax.mul(c(x, 1 / Math.sqrt(2 * Math.PI)), lax.exp(lax.mul(c(x, -0.5), sq(x)))),
    series: (_x, u, y0, order) => {
      const w = Series.direct(order, u.aval, undefined, (m) => lincomb(u.aval, square(u.at, m, -0.5)));
      return chain(u, y0, () => expOf(w), 1 / Math.sqrt(2 * Math.PI)); // y′ = φ(u)·u′
    },
    formula: { name: "ndtr", latex: "\\Phi" },
    domain: [[-3, 3]],
  },
  erfinv: {
    accepts: "float",
    scalar: erfinv,
    derivative: (_x, y) => lax.mul(c(y, SQRT_PI_OVER_2), lax.exp(sq(y))), // 1/erf′(y)
    series: (_x, u, y0, order) => {
      // y′ = (√π/2)·exp(y²)·u′: the series of exp(y²) reads terms of y below the one being computed.
      const y: Series = chain(u, y0, () => e, SQRT_PI_OVER_2);
      const e = expOf(Series.direct(order, u.aval, undefined, (m) => lincomb(u.aval, square(y.at, m))));
      return y;
    },
    formula: { name: "erfinv" },
    domain: [[-0.8, 0.8]],
  },
  lgamma: {
    accepts: "float",
    scalar: lgamma,
    derivative: (x) => applyUnary("digamma", x),
    series: "derivatives",
    nth: (x, m) => (m === 1 ? applyUnary("digamma", x) : polygammaOf(m - 1, x)),
    formula: { name: "lgamma", latex: "\\ln\\Gamma" },
    domain: [[0.5, 4]],
  },
  digamma: {
    accepts: "float",
    scalar: digamma,
    derivative: (x) => polygammaOf(1, x),
    series: "derivatives",
    nth: (x, m) => polygammaOf(m, x),
    formula: { name: "digamma", latex: "\\psi" },
    domain: [[0.5, 4]],
  },
  stop_gradient: {
    accepts: "any",
    scalar: (x) => x,
    js: (a) => a,
    derivative: "zero",
    series: "zero",
    domain: everywhere,
  },
};

/** The series of f(u) composed from f's derivatives at x (Faà di Bruno through `compose`). */
export function seriesFromDerivatives(nth: (x: T, m: number) => T): UnarySeries {
  return (x, u, y0) =>
    compose(u, y0, (m) => {
      const d = nth(x, m);
      let factorial = 1;
      for (let i = 2; i <= m; i++) factorial *= i;
      return m === 1 ? d : lax.div(d, c(d, factorial));
    });
}

/** A table with one entry per unary primitive, made from its row (the family's rule for every member). */
export function unaryTable<R>(make: (p: UnaryPrim, row: UnaryRow) => R): { readonly [P in UnaryPrim]: R } {
  return Object.fromEntries(UNARY_PRIMS.map((p) => [p, make(p, UNARY[p])])) as { [P in UnaryPrim]: R };
}
