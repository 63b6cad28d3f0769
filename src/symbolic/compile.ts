// Expression tree → a nabla function built from the public ops (so every transformation applies), or a float64 value.
import type { TensorLike } from "../core/convert.js";
import { ValueError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import * as ops from "../ops/elementwise.js";
import { asTensor, floatArg } from "../ops/util.js";
import * as lax from "../primitives/lax.js";
import { polygamma } from "../primitives/special.js";
import { applyUnary, UNARY, type UnaryPrim } from "../primitives/unary.js";
import { type FunctionName, type Node, PRIMITIVE_FUNCTIONS } from "./ast.js";
import { variablesOf } from "./parse.js";

type BinaryKind = "add" | "sub" | "mul" | "div" | "pow";
type Scalar2 = (a: number, b: number) => number;
type Tensor2 = (a: TensorLike, b: TensorLike) => Tensor;
type CmpOp = Extract<Node, { kind: "cmp" }>["op"];

/** log(1 + eˣ) without overflow: log1p(e^−|x|) + max(x, 0). */
const softplus = (x: number): number => Math.log1p(Math.exp(-Math.abs(x))) + Math.max(x, 0);

const SCALAR_BINARY: Readonly<Record<BinaryKind, Scalar2>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
};

/** A table with an entry per primitive a formula may call, under the formula's name for it. */
const byFormulaName = <R>(make: (p: UnaryPrim) => R): Record<string, R> =>
  Object.fromEntries([...PRIMITIVE_FUNCTIONS].map(([name, p]) => [name, make(p)]));

/** Each function of the expression language on JS numbers (float64). */
export const SCALAR_FUNCTIONS: Readonly<Record<FunctionName, Scalar2>> = {
  ...byFormulaName((p) => UNARY[p].scalar),
  sec: (x) => 1 / Math.cos(x),
  sech: (x) => 1 / Math.cosh(x),
  // As nb.relu: NaN stays NaN (the comparison fails), and −0 becomes 0.
  relu: (x) => (x <= 0 ? 0 : x),
  softplus,
  min: Math.min,
  max: Math.max,
  pow: (a, b) => a ** b,
  atan2: Math.atan2,
  polygamma,
};

const TENSOR_BINARY: Readonly<Record<BinaryKind, Tensor2>> = {
  add: ops.add,
  sub: ops.sub,
  mul: ops.mul,
  div: ops.div,
  pow: ops.pow,
};

/** Each function of the expression language on tensors: the primitives, applied as the public ops apply them. */
export const TENSOR_FUNCTIONS: Readonly<Record<FunctionName, Tensor2>> = {
  ...byFormulaName(
    (p): Tensor2 =>
      (x) =>
        applyUnary(p, UNARY[p].accepts === "float" ? floatArg(p, x) : asTensor(x, p)),
  ),
  sec: (x) => ops.div(1, ops.cos(x)),
  sech: (x) => ops.div(1, ops.cosh(x)),
  // one-argument ops, wrapped: the table calls each entry with two arguments, and an op refuses an extra one
  relu: (x) => ops.relu(x),
  softplus: (x) => ops.softplus(x),
  min: ops.minimum,
  max: ops.maximum,
  pow: ops.pow,
  atan2: ops.atan2,
  polygamma: (n, x) => lax.polygamma(floatArg("polygamma", n), floatArg("polygamma", x, "x")),
};

const SCALAR_CMP: Readonly<Record<CmpOp, (a: number, b: number) => boolean>> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

/** Each comparison on tensors (a boolean tensor). */
export const TENSOR_CMP: Readonly<Record<CmpOp, Tensor2>> = {
  "<": ops.less,
  "<=": ops.lessEqual,
  ">": ops.greater,
  ">=": ops.greaterEqual,
  "==": ops.equal,
  "!=": ops.notEqual,
};

const childrenOf = (n: Node): readonly Node[] => {
  switch (n.kind) {
    case "num":
    case "var":
      return [];
    case "neg":
      return [n.arg];
    case "call":
      return n.args;
    case "cond":
      return [n.test, n.ifTrue, n.ifFalse];
    default:
      return [n.left, n.right];
  }
};

/**
 * Folds a tree bottom-up with an explicit stack, so even a long left-leaning chain such as
 * `x+x+…+x` (thousands of levels deep) cannot overflow the call stack. `visit` gets each node with the
 * values of its children in order.
 * @example
 * ```ts
 * foldNode(parseNode("1 + 2*3"), (n, args) => (n.kind === "num" ? 1 : 1 + args.reduce((a, b) => a + b, 0))); // 5 nodes
 * ```
 */
export function foldNode<T>(root: Node, visit: (node: Node, args: T[]) => T): T {
  const stack: { node: Node; children: readonly Node[]; next: number }[] = [
    { node: root, children: childrenOf(root), next: 0 },
  ];
  const values: T[] = [];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.children.length) {
      const child = top.children[top.next++]!;
      stack.push({ node: child, children: childrenOf(child), next: 0 });
      continue;
    }
    stack.pop();
    const args = values.splice(values.length - top.children.length, top.children.length);
    values.push(visit(top.node, args));
  }
  return values[0]!;
}

/** How one kind of value (JS numbers, or tensors and numbers) is combined; `compile` and `evaluate` each give one. */
interface Semantics<T> {
  variable(name: string): T;
  binary(kind: BinaryKind, a: T, b: T): T;
  neg(a: T): T;
  call(f: FunctionName, args: T[]): T;
  /** 1 where the comparison holds, else 0. */
  compare(op: CmpOp, a: T, b: T): T;
  /** `then` where `test` is non-zero, else `otherwise`. */
  select(test: T, then: T, otherwise: T): T;
}

/** Applies node `n` to its children's values `args`. */
function applyNode<T>(n: Node, args: T[], s: Semantics<T>, num: (value: number) => T): T {
  switch (n.kind) {
    case "num":
      return num(n.value);
    case "var":
      return s.variable(n.name);
    case "neg":
      return s.neg(args[0]!);
    case "call":
      return s.call(n.fn, args);
    case "cmp":
      return s.compare(n.op, args[0]!, args[1]!);
    case "cond":
      return s.select(args[0]!, args[1]!, args[2]!);
    default:
      return s.binary(n.kind, args[0]!, args[1]!);
  }
}

const SCALAR_SEMANTICS = (env: ReadonlyMap<string, number>): Semantics<number> => ({
  variable(name) {
    const value = env.get(name);
    if (value === undefined)
      throw new ValueError(
        `evaluate: no value for variable '${name}' (given: ${[...env.keys()].join(", ") || "none"})`,
      );
    return value;
  },
  binary: (kind, a, b) => SCALAR_BINARY[kind](a, b),
  neg: (a) => -a,
  call: (f, xs) => SCALAR_FUNCTIONS[f](xs[0]!, xs[1]!),
  compare: (op, a, b) => (SCALAR_CMP[op](a, b) ? 1 : 0),
  select: (test, then, otherwise) => (test !== 0 ? then : otherwise),
});

/** A point as a map from names to numbers; only a record's own properties count (never `toString`). */
export function pointMap(
  at: Readonly<Record<string, number>> | ReadonlyMap<string, number>,
): Map<string, number> {
  return at instanceof Map ? new Map(at) : new Map(Object.entries(at));
}

/**
 * The value of an expression at a point, in float64 with JS `Math` (sigmoid and softplus in their stable
 * forms, erf from the reference backend).
 * @example
 * ```ts
 * evaluate(parseNode("x^2 + y"), { x: 3, y: 1 }); // 10
 * ```
 */
export function evaluate(
  node: Node,
  env: Readonly<Record<string, number>> | ReadonlyMap<string, number>,
): number {
  const semantics = SCALAR_SEMANTICS(env instanceof Map ? env : pointMap(env));
  return foldNode<number>(node, (n, args) => applyNode(n, args, semantics, (value) => value));
}

/**
 * Turns an expression into a nabla function of tensors whose arguments are `variables`, in that order.
 * It only calls ops, so `nb.grad`, `nb.vmap`, `nb.jvp`, `nb.makeProgram`, ... all apply. Literal
 * sub-expressions (`1/3`, `2pi`) are folded in float64 and enter as bare JS numbers, which are weakly
 * typed: the result's dtype follows the arguments.
 * @example
 * ```ts
 * const f = compile(parseNode("x^4 - 2x^3 + 3x^2 - 4x + 5"), ["x"]);
 * nb.grad(f)(2.5).item(); // 36
 * ```
 */
export function compile(node: Node, variables: readonly string[]): (...args: TensorLike[]) => Tensor {
  const seen = new Set<string>();
  for (const v of variables) {
    if (seen.has(v))
      throw new ValueError(`compile: variable '${v}' is listed twice in [${variables.join(", ")}]`);
    seen.add(v);
  }
  const missing = variablesOf(node).filter((v) => !seen.has(v));
  if (missing.length > 0)
    throw new ValueError(
      `compile: the expression uses ${missing.map((v) => `'${v}'`).join(", ")}, not among the arguments ` +
        `[${variables.join(", ")}]; pass every variable name, e.g. [${[...variables, ...missing].join(", ")}]`,
    );
  const index = new Map(variables.map((v, i) => [v, i]));
  const isNum = (v: Tensor | number): v is number => typeof v === "number";
  return (...args: TensorLike[]): Tensor => {
    if (args.length !== variables.length)
      throw new ValueError(
        `compile: the function takes ${variables.length} argument(s) [${variables.join(", ")}], got ${args.length}`,
      );
    const tensors = args.map((a) => asTensor(a, "compile"));
    // Sub-expressions without a variable stay JS numbers, computed exactly as `evaluate` does.
    const scalar = SCALAR_SEMANTICS(new Map());
    const semantics: Semantics<Tensor | number> = {
      variable: (name) => tensors[index.get(name)!]!,
      binary: (kind, a, b) => (isNum(a) && isNum(b) ? scalar.binary(kind, a, b) : TENSOR_BINARY[kind](a, b)),
      neg: (a) => (isNum(a) ? -a : ops.neg(a)),
      call: (f, xs) => (xs.every(isNum) ? scalar.call(f, xs) : TENSOR_FUNCTIONS[f](xs[0]!, xs[1]!)),
      compare: (op, a, b) =>
        isNum(a) && isNum(b) ? scalar.compare(op, a, b) : ops.where(TENSOR_CMP[op](a, b), 1, 0),
      select: (test, then, otherwise) =>
        isNum(test) ? (test !== 0 ? then : otherwise) : ops.where(ops.notEqual(test, 0), then, otherwise),
    };
    const out = foldNode<Tensor | number>(node, (n, xs) => applyNode(n, xs, semantics, (value) => value));
    return out instanceof Tensor ? out : asTensor(out, "compile");
  };
}
