// From a staged program of scalar operations to a formula: canonical terms that simplify as they are built,
// or (when that is too much work) expression trees with the program's shared values as where-bindings.
import { ValueError } from "../core/errors.js";
import { isMulti, type Prim } from "../core/primitives.js";
import type { Program, Var } from "../core/program.js";
import { ConcreteTensor } from "../core/tensor.js";
import { BINARY, BINARY_PRIMS, COMPARE, COMPARE_PRIMS, type FormulaOperator } from "../primitives/binary.js";
import * as A from "./algebra.js";
import { type CmpOp, type FunctionName, type Node, PRIMITIVE_FUNCTIONS } from "./ast.js";
import { SCALAR_FUNCTIONS } from "./compile.js";

/** How one kind of formula is built; the prim table below is written once against it. */
interface Builder<T> {
  num(v: number): T;
  input(name: string): T;
  fn(f: FunctionName, args: T[]): T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  pow(a: T, b: T): T;
  neg(a: T): T;
  cmp(op: CmpOp, a: T, b: T): T;
  /** test ? ifTrue : ifFalse */
  cond(test: T, ifTrue: T, ifFalse: T): T;
  isE(t: T): boolean;
}

type Rule = <T>(b: Builder<T>, args: T[]) => T;
const call =
  (f: FunctionName): Rule =>
  (b, args) =>
    b.fn(f, args);
const same: Rule = (_b, args) => args[0]!;
const compare =
  (op: CmpOp): Rule =>
  (b, [x, y]) =>
    b.cmp(op, x!, y!);

/** The binary primitives that formulas write as operators. */
const OPERATORS: Readonly<Record<FormulaOperator, Rule>> = {
  add: (b, [x, y]) => b.add(x!, y!),
  sub: (b, [x, y]) => b.sub(x!, y!),
  mul: (b, [x, y]) => b.mul(x!, y!),
  div: (b, [x, y]) => b.div(x!, y!),
  // e^u is exp(u) (the parser reads e as Euler's number).
  pow: (b, [x, y]) => (b.isE(x!) ? b.fn("exp", [y!]) : b.pow(x!, y!)),
};

/** Each primitive a scalar formula can contain, with its arity. */
const RULES: ReadonlyMap<Prim, { arity: number; rule: Rule }> = new Map<Prim, { arity: number; rule: Rule }>([
  ["neg", { arity: 1, rule: (b, [x]) => b.neg(x!) }],
  ...[...PRIMITIVE_FUNCTIONS].map(([f, p]) => [p, { arity: 1, rule: call(f) }] as const),
  ["log1p", { arity: 1, rule: (b, [x]) => b.fn("log", [b.add(b.num(1), x!)]) }],
  ["expm1", { arity: 1, rule: (b, [x]) => b.sub(b.fn("exp", [x!]), b.num(1)) }],
  ...(
    [
      "stop_gradient",
      "convert_element_type",
      "reshape",
      "broadcast_in_dim",
      "reduce_sum",
      "transpose",
    ] as const
  ).map((p) => [p, { arity: 1, rule: same }] as const),
  ...BINARY_PRIMS.map((p) => {
    const f = BINARY[p].formula;
    return [p, { arity: 2, rule: f.operator ? OPERATORS[f.operator] : call(f.name) }] as const;
  }),
  ...COMPARE_PRIMS.map((p) => [p, { arity: 2, rule: compare(COMPARE[p].operator) }] as const),
  // select_n(pred, onFalse, onTrue)
  ["select_n", { arity: 3, rule: (b, [p, no, yes]) => b.cond(p!, yes!, no!) }],
]);

/** Canonical terms: every step simplifies (and spends the simplifier's work budget). */
const TERMS: Builder<A.Term> = {
  num: A.num,
  input: A.sym,
  fn: (f, args) => (f === "sqrt" ? A.pow(args[0]!, A.num(0.5)) : A.fn(f, ...args)),
  add: (x, y) => A.add(x, y),
  sub: A.sub,
  mul: (x, y) => A.mul(x, y),
  div: A.div,
  pow: A.pow,
  neg: A.neg,
  cmp: A.cmp,
  cond: A.cond,
  isE: (t) => t.k === "num" && t.v === Math.E,
};

const isNum = (n: Node): n is Extract<Node, { kind: "num" }> => n.kind === "num";
const numNode = (value: number): Node => ({ kind: "num", value });
const isZero = (n: Node): boolean => isNum(n) && n.value === 0;

/**
 * Plain expression trees, as the program computes (numbers fold in float64 as evaluation would; a factor
 * 1 and a term 0 drop); used when the canonical form would cost too much.
 */
const NODES: Builder<Node> = {
  num: numNode,
  input: (name) => ({ kind: "var", name }),
  fn: (f, args) =>
    args.every(isNum)
      ? numNode(SCALAR_FUNCTIONS[f](args[0]!.value, args[1]?.value ?? Number.NaN))
      : { kind: "call", fn: f, args },
  add: (a, b) =>
    isNum(a) && isNum(b)
      ? numNode(a.value + b.value)
      : isZero(a)
        ? b
        : isZero(b)
          ? a
          : { kind: "add", left: a, right: b },
  sub: (a, b) =>
    isNum(a) && isNum(b)
      ? numNode(a.value - b.value)
      : isZero(b)
        ? a
        : isZero(a)
          ? { kind: "neg", arg: b }
          : { kind: "sub", left: a, right: b },
  mul: (a, b) =>
    isNum(a) && isNum(b)
      ? numNode(a.value * b.value)
      : isNum(a) && a.value === 1
        ? b
        : isNum(b) && b.value === 1
          ? a
          : { kind: "mul", left: a, right: b },
  div: (a, b) =>
    isNum(a) && isNum(b)
      ? numNode(a.value / b.value)
      : isNum(b) && b.value === 1
        ? a
        : { kind: "div", left: a, right: b },
  pow: (a, b) => (isNum(a) && isNum(b) ? numNode(a.value ** b.value) : { kind: "pow", left: a, right: b }),
  neg: (a) => (isNum(a) ? numNode(-a.value) : { kind: "neg", arg: a }),
  cmp: (op, a, b) => ({ kind: "cmp", op, left: a, right: b }),
  cond: (test, ifTrue, ifFalse) =>
    isNum(test) ? (test.value !== 0 ? ifTrue : ifFalse) : { kind: "cond", test, ifTrue, ifFalse },
  isE: (n) => isNum(n) && n.value === Math.E,
};

/** Runs the program's equations through a builder; `share` sees each value with its number of uses. */
function build<T>(
  program: Program,
  names: readonly string[],
  b: Builder<T>,
  share: (v: Var, t: T, uses: number) => T = (_v, t) => t,
): T {
  const env = new Map<Var, T>();
  const uses = new Map<Var, number>();
  for (const e of program.eqns) for (const v of e.inputs) uses.set(v, (uses.get(v) ?? 0) + 1);
  for (const v of program.outs) uses.set(v, (uses.get(v) ?? 0) + 1);
  program.constVars.forEach((v, i) => {
    const c = program.constValues[i]!;
    if (!(c instanceof ConcreteTensor) || c.data.length !== 1)
      throw new ValueError(
        "symbolic: formulas are built from scalar functions; a non-scalar constant was captured",
      );
    env.set(v, b.num(Number(c.data[0]!)));
  });
  program.inVars.forEach((v, i) => env.set(v, b.input(names[i]!)));
  for (const e of program.eqns) {
    const prim = e.prim;
    if (isMulti(prim) || e.outs.length !== 1)
      throw new ValueError(`symbolic: the primitive ${prim} has no formula form`);
    const out = e.outs[0]!;
    if (out.aval.shape.length !== 0)
      throw new ValueError(
        `symbolic: ${e.prim} produced a non-scalar value; formulas cover scalar functions only`,
      );
    const r = RULES.get(prim);
    if (r === undefined || r.arity !== e.inputs.length)
      throw new ValueError(`symbolic: the primitive ${e.prim} has no formula form`);
    const value = r.rule(
      b,
      e.inputs.map((v) => env.get(v)!),
    );
    env.set(out, share(out, value, uses.get(out) ?? 0));
  }
  if (program.outs.length !== 1) throw new ValueError("symbolic: expected a function with one output");
  return env.get(program.outs[0]!)!;
}

/** Converts a program over scalars to a canonical term; inputs are named `names` in order. */
export function programToTerm(program: Program, names: readonly string[]): A.Term {
  return build(program, names, TERMS);
}

/**
 * Converts a program over scalars to an expression tree without simplifying: every value the program
 * uses more than once (and that is not a number or a name) becomes a where-binding, so the formula grows
 * linearly with the program. Binding names come from `freshName`.
 */
export function programToFormula(
  program: Program,
  names: readonly string[],
  freshName: () => string,
): { body: Node; bindings: { name: string; node: Node }[] } {
  const bindings: { name: string; node: Node }[] = [];
  const body = build(program, names, NODES, (_v, node, uses): Node => {
    if (uses < 2 || node.kind === "num" || node.kind === "var") return node;
    const name = freshName();
    bindings.push({ name, node });
    return { kind: "var", name };
  });
  return { body, bindings };
}
