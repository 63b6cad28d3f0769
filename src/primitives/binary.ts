// The elementwise binary primitives and the comparisons, declared once: a row per primitive holds what differs
// between them (its value on two numbers, its JVP, Taylor and transpose rules, how errors and formulas name
// it); the families supply the rest (broadcasting shape and dtype, batching, every engine's table). Adding a
// binary primitive is adding its name and its row here, plus its wrapper in lax.ts and ops/, and its
// test-table row.
import { NablaError } from "../core/errors.js";
import type { NoParams } from "../core/primitives.js";
import { type Aval, ConcreteTensor, type Tensor } from "../core/tensor.js";
import * as lax from "./lax.js";
import type { JvpRuleOf, TransposeRuleOf } from "./rule-helpers.js";
import { mulSeries, quotient } from "./series.js";
import {
  atan2Rule,
  extremumRule as extremumSeries,
  type JetRuleOf,
  powRule,
  weighted,
} from "./series-rules.js";
import { polygamma } from "./special.js";
import { seriesFromDerivatives } from "./unary.js";
import { isLin, shapeOf, unbroadcast } from "./unbroadcast.js";

type T = Tensor;
type Tan = Tensor | null;

/**
 * Every binary primitive's name. (The order is the order in which the formula language lists the binary
 * functions among its known functions.)
 */
export const BINARY_PRIMS = ["add", "sub", "mul", "div", "min", "max", "polygamma", "pow", "atan2"] as const;
export type BinaryPrim = (typeof BINARY_PRIMS)[number];

/** The binary primitives linear in an argument, which have a transpose rule. */
export const LINEAR_BINARY_PRIMS = ["add", "sub", "mul", "div"] as const;
export type LinearBinaryPrim = (typeof LINEAR_BINARY_PRIMS)[number];

/** Every comparison's name: bool results from two operands of one dtype. */
export const COMPARE_PRIMS = ["eq", "ne", "lt", "le", "gt", "ge"] as const;
export type ComparePrim = (typeof COMPARE_PRIMS)[number];

// The binary primitives and comparisons join the table of every primitive's parameters.
declare module "../core/primitives.js" {
  interface PrimParams extends Record<BinaryPrim | ComparePrim, NoParams> {}
}

/** The formula operators that are nodes of their own (the others print as calls). */
export type FormulaOperator = "add" | "sub" | "mul" | "div" | "pow";

export interface BinaryRow {
  /** How shape and dtype errors name it (the public operation's name). */
  readonly name: string;
  /** The value on float64 numbers: the specification every engine matches (float32 rounds it once). */
  readonly scalar: (x: number, y: number) => number;
  /** JavaScript source of the value for generated loops (default: a call of `scalar`). */
  readonly js?: (x: string, y: string) => string;
  /** Its output and tangent from the primals and their tangents (null: a symbolic zero), with primitives. */
  readonly jvp: JvpRuleOf<NoParams>;
  /** Its Taylor-series rule (see series-rules.ts). */
  readonly series: JetRuleOf<NoParams>;
  /**
   * How formulas write it: an operator (a node of that kind), and/or a function of two arguments under
   * `name`, with its LaTeX name where it has one (otherwise it prints as \\operatorname{name}).
   */
  readonly formula:
    | { readonly operator: FormulaOperator; readonly name?: string; readonly latex?: string }
    | { readonly operator?: undefined; readonly name: string; readonly latex?: string };
}

/** The row of a primitive linear in an argument: its transpose rule too. */
export interface LinearBinaryRow extends BinaryRow {
  /** The cotangents of its linear arguments from the output's cotangent. */
  readonly transpose: TransposeRuleOf<NoParams>;
}

export interface CompareRow {
  /** How shape and dtype errors name it (the public operation's name). */
  readonly name: string;
  /** The value on float64 numbers: 1 where it holds, else 0. */
  readonly scalar: (x: number, y: number) => number;
  /** JavaScript source of the value for generated loops. */
  readonly js: (x: string, y: string) => string;
  /** Its operator in formulas. */
  readonly operator: "==" | "!=" | "<" | "<=" | ">" | ">=";
}

/** A tangent sum, null standing for zero. */
export const addT = (a: Tan, b: Tan): Tan => (a === null ? b : b === null ? a : lax.add(a, b));
/** A tangent times a value, null standing for zero. */
export const mulT = (t: Tan, c: T): Tan => (t === null ? null : lax.mul(t, c));
const one = (x: T) => lax.scalarLike(x, 1);
const sq = (x: T) => lax.mul(x, x);
const BOOL: Aval = { shape: [], dtype: "bool", weak: false };

// max/min: the winner's tangent; ties split evenly (as JAX does).
function extremumRule(out: T, firstWins: T, x: T, y: T, dx: Tan, dy: Tan): [T, Tan] {
  const tie = lax.eq(x, y);
  const half = lax.scalarLike(out, 0.5);
  const zero = lax.scalarLike(out, 0);
  const wx = lax.select(firstWins, one(out), lax.select(tie, half, zero));
  const wy = lax.sub(one(out), wx);
  return [out, addT(mulT(dx, wx), mulT(dy, wy))];
}

export const BINARY: {
  readonly [P in BinaryPrim]: P extends LinearBinaryPrim ? LinearBinaryRow : BinaryRow;
} = {
  add: {
    name: "add",
    scalar: (x, y) => x + y,
    js: (a, b) => `(${a} + ${b})`,
    jvp: ([x, y], [dx, dy]) => [lax.add(x!, y!), addT(dx!, dy!)],
    series: weighted("add", 1, 1),
    transpose: (ct, [x, y]) => [
      isLin(x) ? unbroadcast(ct, shapeOf(x)) : null,
      isLin(y) ? unbroadcast(ct, shapeOf(y)) : null,
    ],
    formula: { operator: "add" },
  },
  sub: {
    name: "sub",
    scalar: (x, y) => x - y,
    js: (a, b) => `(${a} - ${b})`,
    jvp: ([x, y], [dx, dy]) => [lax.sub(x!, y!), addT(dx!, dy && lax.neg(dy))],
    series: weighted("sub", 1, -1),
    transpose: (ct, [x, y]) => [
      isLin(x) ? unbroadcast(ct, shapeOf(x)) : null,
      isLin(y) ? unbroadcast(lax.neg(ct), shapeOf(y)) : null,
    ],
    formula: { operator: "sub" },
  },
  mul: {
    name: "mul",
    scalar: (x, y) => x * y,
    js: (a, b) => `(${a} * ${b})`,
    jvp: ([x, y], [dx, dy]) => [lax.mul(x!, y!), addT(mulT(dx!, y!), mulT(dy!, x!))],
    series: ([x, y], [u, v]) => {
      const out = lax.mul(x!, y!);
      return [out, mulSeries(u!, v!, out)];
    },
    transpose: (ct, [x, y]) => {
      if (isLin(x) && isLin(y)) throw new NablaError("transpose: mul of two linear values is not linear");
      return isLin(x)
        ? [unbroadcast(lax.mul(ct, y as Tensor), shapeOf(x)), null]
        : [null, unbroadcast(lax.mul(x!, ct), shapeOf(y!))];
    },
    formula: { operator: "mul" },
  },
  div: {
    name: "div",
    scalar: (x, y) => x / y,
    js: (a, b) => `(${a} / ${b})`,
    // d(x/y) = (dx − dy·out)/y
    jvp: ([x, y], [dx, dy]) => {
      const out = lax.div(x!, y!);
      const num = addT(dx!, dy && lax.neg(lax.mul(dy, out)));
      return [out, num && lax.div(num, y!)];
    },
    series: ([x, y], [u, v], _p, order) => {
      const out = lax.div(x!, y!);
      return [out, quotient(order, out.aval, u!.at, v!.at, out, 1, v!.isConstant)];
    },
    transpose: (ct, [x, y]) => [unbroadcast(lax.div(ct, y as Tensor), shapeOf(x!)), null],
    formula: { operator: "div" },
  },
  pow: {
    name: "pow",
    scalar: Math.pow,
    js: (a, b) => `Math.pow(${a}, ${b})`,
    // d(x^y) = y x^(y−1) dx + log(x) x^y dy, with log 0 read as 0.
    jvp: ([x, y], [dx, dy]) => {
      const out = lax.pow(x!, y!);
      // A known exponent with no zeros needs no guard (keeps programs of polynomials small).
      const guard = !(y instanceof ConcreteTensor && y.data.every((v) => v !== 0));
      // Where x = 0 and y = 0, x^(y−1) is infinite while y·x^(y−1) should be 0: read the base as 1 there
      // (only there, so y stays differentiable: d/dy [y x^(y−1)] = x^(y−1) + … is kept where y = 0, x ≠ 0).
      const base = guard
        ? lax.select(
            lax.select(
              lax.eq(y!, lax.scalarLike(y!, 0)),
              lax.eq(x!, lax.scalarLike(x!, 0)),
              lax.fullAval(BOOL, 0),
            ),
            one(x!),
            x!,
          )
        : x!;
      const tx = dx && lax.mul(dx, lax.mul(y!, lax.pow(base, lax.sub(y!, one(y!)))));
      const safeLog = () => lax.log(lax.select(lax.eq(x!, lax.scalarLike(x!, 0)), one(x!), x!));
      const ty = dy && lax.mul(dy, lax.mul(out, safeLog()));
      return [out, addT(tx, ty)];
    },
    series: powRule,
    // e^u prints as exp(u) (the parser reads e as Euler's number); pow(x, y) is also a formula function.
    formula: { operator: "pow", name: "pow" },
  },
  max: {
    name: "maximum",
    scalar: (x, y) => (x >= y || Number.isNaN(x) ? x : y),
    js: (a, b) => `(${a} >= ${b} || ${a} !== ${a} ? ${a} : ${b})`,
    jvp: ([x, y], [dx, dy]) => extremumRule(lax.max(x!, y!), lax.gt(x!, y!), x!, y!, dx!, dy!),
    series: ([x, y], [u, v], _p, order) =>
      extremumSeries(lax.max(x!, y!), lax.gt(x!, y!), x!, y!, u!, v!, order),
    formula: { name: "max", latex: "\\max" },
  },
  min: {
    name: "minimum",
    scalar: (x, y) => (x <= y || Number.isNaN(x) ? x : y),
    js: (a, b) => `(${a} <= ${b} || ${a} !== ${a} ? ${a} : ${b})`,
    jvp: ([x, y], [dx, dy]) => extremumRule(lax.min(x!, y!), lax.lt(x!, y!), x!, y!, dx!, dy!),
    series: ([x, y], [u, v], _p, order) =>
      extremumSeries(lax.min(x!, y!), lax.lt(x!, y!), x!, y!, u!, v!, order),
    formula: { name: "min", latex: "\\min" },
  },
  atan2: {
    name: "atan2",
    scalar: Math.atan2,
    js: (a, b) => `Math.atan2(${a}, ${b})`,
    // d atan2(y, x) = (x dy − y dx) / (x² + y²)
    jvp: ([y, x], [dy, dx]) => {
      const out = lax.atan2(y!, x!);
      const num = addT(dy && lax.mul(x!, dy), dx && lax.neg(lax.mul(y!, dx)));
      return [out, num && lax.div(num, lax.add(sq(x!), sq(y!)))];
    },
    series: atan2Rule,
    formula: { name: "atan2" },
  },
  polygamma: {
    name: "polygamma",
    scalar: polygamma,
    // d ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁺¹⁾(x) dx; the order n is a whole number, not a differentiable argument.
    // The order n takes whole values only, so ψ⁽ⁿ⁾ does not vary continuously with it: its derivative in n
    // is zero (as for floor), and in x it is the next polygamma.
    jvp: ([n, x], [, dx]) => {
      const out = lax.polygamma(n!, x!);
      return [out, mulT(dx!, lax.polygamma(lax.add(n!, one(n!)), x!))];
    },
    // As in the JVP rule: constant in its whole-number order n, the next polygamma in x.
    series: ([n, x], [, u], _p, order) => {
      const out = lax.polygamma(n!, x!);
      if (u!.isConstant) return [out, null];
      return [
        out,
        seriesFromDerivatives((x, k) => lax.polygamma(lax.add(n!, lax.scalarLike(n!, k)), x))(
          x!,
          u!,
          out,
          order,
        ),
      ];
    },
    formula: { name: "polygamma" },
  },
};

export const COMPARE: { readonly [P in ComparePrim]: CompareRow } = {
  eq: {
    name: "equal",
    scalar: (x, y) => (x === y ? 1 : 0),
    js: (a, b) => `(${a} === ${b} ? 1 : 0)`,
    operator: "==",
  },
  ne: {
    name: "notEqual",
    scalar: (x, y) => (x !== y ? 1 : 0),
    js: (a, b) => `(${a} !== ${b} ? 1 : 0)`,
    operator: "!=",
  },
  lt: {
    name: "less",
    scalar: (x, y) => (x < y ? 1 : 0),
    js: (a, b) => `(${a} < ${b} ? 1 : 0)`,
    operator: "<",
  },
  le: {
    name: "lessEqual",
    scalar: (x, y) => (x <= y ? 1 : 0),
    js: (a, b) => `(${a} <= ${b} ? 1 : 0)`,
    operator: "<=",
  },
  gt: {
    name: "greater",
    scalar: (x, y) => (x > y ? 1 : 0),
    js: (a, b) => `(${a} > ${b} ? 1 : 0)`,
    operator: ">",
  },
  ge: {
    name: "greaterEqual",
    scalar: (x, y) => (x >= y ? 1 : 0),
    js: (a, b) => `(${a} >= ${b} ? 1 : 0)`,
    operator: ">=",
  },
};

/** A table with one entry per binary primitive, made from its row (the family's rule for every member). */
export function binaryTable<R>(make: (p: BinaryPrim, row: BinaryRow) => R): {
  readonly [P in BinaryPrim]: R;
} {
  return Object.fromEntries(BINARY_PRIMS.map((p) => [p, make(p, BINARY[p])])) as { [P in BinaryPrim]: R };
}

/** A table with one entry per binary primitive linear in an argument, made from its row. */
export function linearBinaryTable<R>(make: (p: LinearBinaryPrim, row: LinearBinaryRow) => R): {
  readonly [P in LinearBinaryPrim]: R;
} {
  return Object.fromEntries(LINEAR_BINARY_PRIMS.map((p) => [p, make(p, BINARY[p])])) as {
    [P in LinearBinaryPrim]: R;
  };
}

/** A table with one entry per comparison, made from its row. */
export function compareTable<R>(make: (p: ComparePrim, row: CompareRow) => R): {
  readonly [P in ComparePrim]: R;
} {
  return Object.fromEntries(COMPARE_PRIMS.map((p) => [p, make(p, COMPARE[p])])) as { [P in ComparePrim]: R };
}
