// From a staged program of scalar operations to a canonical algebraic term, simplifying as it goes.
import { ValueError } from "../core/errors.js";
import type { Prim } from "../core/primitives.js";
import type { Program, Var } from "../core/program.js";
import { ConcreteTensor } from "../core/tensor.js";
import * as A from "./algebra.js";

type T = A.Term;

const UNARY: Partial<Record<Prim, (x: T) => T>> = {
  neg: A.neg,
  exp: (x) => A.fn("exp", x),
  log: (x) => A.fn("log", x),
  log1p: (x) => A.fn("log", A.add(A.ONE, x)),
  expm1: (x) => A.add(A.fn("exp", x), A.num(-1)),
  sqrt: (x) => A.pow(x, A.num(0.5)),
  sin: (x) => A.fn("sin", x),
  cos: (x) => A.fn("cos", x),
  tan: (x) => A.fn("tan", x),
  asin: (x) => A.fn("asin", x),
  acos: (x) => A.fn("acos", x),
  atan: (x) => A.fn("atan", x),
  sinh: (x) => A.fn("sinh", x),
  cosh: (x) => A.fn("cosh", x),
  tanh: (x) => A.fn("tanh", x),
  logistic: (x) => A.fn("sigmoid", x),
  erf: (x) => A.fn("erf", x),
  abs: (x) => A.fn("abs", x),
  sign: (x) => A.fn("sign", x),
  stop_gradient: (x) => x,
  convert_element_type: (x) => x,
  reshape: (x) => x,
  broadcast_in_dim: (x) => x,
  reduce_sum: (x) => x,
  transpose: (x) => x,
};

const BINARY: Partial<Record<Prim, (x: T, y: T) => T>> = {
  add: (x, y) => A.add(x, y),
  sub: A.sub,
  mul: (x, y) => A.mul(x, y),
  div: A.div,
  // e^u is exp(u) (the parser reads e as Euler's number).
  pow: (x, y) => (x.k === "num" && x.v === Math.E ? A.fn("exp", y) : A.pow(x, y)),
  max: (x, y) => A.fn("max", x, y),
  min: (x, y) => A.fn("min", x, y),
  atan2: (x, y) => A.fn("atan2", x, y),
  eq: (x, y) => A.cmp("==", x, y),
  ne: (x, y) => A.cmp("!=", x, y),
  lt: (x, y) => A.cmp("<", x, y),
  le: (x, y) => A.cmp("<=", x, y),
  gt: (x, y) => A.cmp(">", x, y),
  ge: (x, y) => A.cmp(">=", x, y),
};

/** Converts a program over scalars to a term; inputs are named `names` in order. */
export function programToTerm(program: Program, names: readonly string[]): T {
  const env = new Map<Var, T>();
  program.constVars.forEach((v, i) => {
    const c = program.constValues[i]!;
    if (!(c instanceof ConcreteTensor) || c.data.length !== 1)
      throw new ValueError(
        "symbolic: formulas are built from scalar functions; a non-scalar constant was captured",
      );
    env.set(v, A.num(c.data[0]!));
  });
  program.inVars.forEach((v, i) => env.set(v, A.sym(names[i]!)));
  for (const e of program.eqns) {
    const args = e.inputs.map((v) => env.get(v)!);
    if (e.out.aval.shape.length !== 0)
      throw new ValueError(
        `symbolic: ${e.prim} produced a non-scalar value; formulas cover scalar functions only`,
      );
    const u = UNARY[e.prim];
    const b = BINARY[e.prim];
    let r: T;
    if (u && args.length === 1) r = u(args[0]!);
    else if (b && args.length === 2) r = b(args[0]!, args[1]!);
    else if (e.prim === "select_n") r = A.cond(args[0]!, args[2]!, args[1]!);
    else throw new ValueError(`symbolic: the primitive ${e.prim} has no formula form`);
    env.set(e.out, r);
  }
  if (program.outs.length !== 1) throw new ValueError("symbolic: expected a function with one output");
  return env.get(program.outs[0]!)!;
}
