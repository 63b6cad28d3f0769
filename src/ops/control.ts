// Control flow as primitives (nb.lax): cond and switch trace every branch once to a program and bind the
// cond primitive, so the choice is made on data — under jit, vmap, grad and jet alike.
import { functionArg } from "../core/args.js";
import { toTensor } from "../core/convert.js";
import { DTypeError, PytreeError, ShapeError, ValueError } from "../core/errors.js";
import { Program, Var } from "../core/program.js";
import { flatten, type TreeDef, treeString, treesEqual, unflatten } from "../core/pytree.js";
import { avalString, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { stageFlat } from "../interpret/stage.js";
import { cond as bindCond, sameAval } from "../primitives/control.js";
import * as lax from "../primitives/lax.js";
import type { TensorTree } from "../transforms/api-types.js";
import { describeValue, type TensorLike } from "./util.js";

// biome-ignore lint/suspicious/noExplicitAny: branches are functions of any pytree signature
type AnyFn = (...args: any[]) => any;

/** The path of each leaf of a tree, as code would write it (`[1].w`, `.bias`), for error messages. */
function leafPaths(def: TreeDef, prefix = ""): string[] {
  if (def.kind === "leaf") return [prefix === "" ? "the output" : `output${prefix}`];
  if (def.kind === "none") return [];
  if (def.kind === "array") return def.children.flatMap((c, i) => leafPaths(c, `${prefix}[${i}]`));
  return def.children.flatMap((c, i) => leafPaths(c, `${prefix}.${def.keys[i]}`));
}

/**
 * Traces each branch on the operands' abstract values and checks that all give the same output structure,
 * shapes and dtypes. Values a branch closes over that are traced by an enclosing transformation become
 * extra operands (every branch takes them all), so the branch programs are closed.
 */
function traceBranches(
  op: string,
  names: readonly string[],
  branches: readonly AnyFn[],
  operands: readonly unknown[],
): { programs: Program[]; leaves: Tensor[]; extras: Tensor[]; outDef: TreeDef } {
  const [leafValues, inDef] = flatten(operands, `${op} operands`);
  const leaves = leafValues.map((l) => toTensor(l));
  const avals = leaves.map((l) => l.aval);
  const outDefs: TreeDef[] = [];
  const staged = branches.map((fn, b) =>
    stageFlat((...xs) => {
      const [outs, outDef] = flatten(fn(...unflatten<unknown[]>(inDef, xs)), `${op} ${names[b]} output`);
      outDefs[b] = outDef;
      return outs.map((o) => toTensor(o));
    }, avals),
  );
  const outDef = outDefs[0]!;
  const paths = leafPaths(outDef);
  staged.forEach((p, b) => {
    if (!treesEqual(outDefs[b]!, outDef))
      throw new PytreeError(
        `${op}: ${names[b]} returns the structure ${treeString(outDefs[b]!)} but ${names[0]} returns ${treeString(outDef)}; every branch must return the same structure`,
      );
    p.outs.forEach((v, i) => {
      const want = staged[0]!.outs[i]!.aval;
      if (!sameAval(v.aval, want))
        throw new (v.aval.dtype === want.dtype ? ShapeError : DTypeError)(
          `${op}: ${names[b]} returns ${avalString(v.aval)} as ${paths[i]} but ${names[0]} returns ${avalString(want)}; every branch must give the same shapes and dtypes`,
        );
    });
  });
  // Closed-over values traced by an outer transformation: explicit operands of every branch.
  const extras: Tensor[] = [];
  for (const p of staged)
    p.constValues.forEach((c) => {
      if (!(c instanceof ConcreteTensor) && !extras.includes(c)) extras.push(c);
    });
  const programs = staged.map((p) => {
    if (extras.length === 0) return p;
    const keep = p.constValues.map((c) => c instanceof ConcreteTensor);
    const own = new Map<Tensor, Var>(p.constValues.map((c, i) => [c, p.constVars[i]!]));
    return new Program(
      p.constVars.filter((_, i) => keep[i]),
      p.constValues.filter((_, i) => keep[i]),
      [...p.inVars, ...extras.map((x) => own.get(x) ?? new Var(x.aval))],
      p.eqns,
      p.outs,
    );
  });
  return { programs, leaves, extras, outDef };
}

function scalarIndex(op: string, what: string, x: unknown): Tensor {
  const t = toTensor(x as TensorLike, undefined, op);
  if (t.aval.shape.length !== 0)
    throw new ShapeError(`${op}: the ${what} must be a scalar, got ${avalString(t.aval)}`);
  return t;
}

function run(
  op: string,
  index: Tensor,
  names: readonly string[],
  branches: readonly AnyFn[],
  operands: readonly unknown[],
): unknown {
  const { programs, leaves, extras, outDef } = traceBranches(op, names, branches, operands);
  return unflatten(outDef, bindCond(index, [...leaves, ...extras], programs));
}

/** The operands as the branches receive them: each a pytree of tensors shaped like the one passed. */
export type Operands<Ops extends readonly unknown[]> = { -readonly [K in keyof Ops]: TensorTree<Ops[K]> };

/**
 * `trueFn(...operands)` when `pred` is true, else `falseFn(...operands)`, chosen on data: under jit the
 * choice is made when the compiled program runs, under vmap a batched predicate chooses per example, and
 * grad, jvp and jet differentiate the branch taken. Both branches are traced once and must return the same
 * structure, shapes and dtypes. Operands and outputs are pytrees.
 * @example
 * ```ts
 * const f = (x: nb.Tensor) => nb.lax.cond(nb.greater(x, 0), (y) => nb.sin(y), (y) => nb.mul(y, y), x);
 * f(nb.array(2));                 // sin(2)
 * nb.grad(f)(nb.array(-3));       // 2·(−3) = −6
 * nb.vmap(f)(nb.array([-1, 1]));  // [1, sin(1)]
 * ```
 */
export function cond<const Ops extends readonly unknown[], R>(
  pred: TensorLike,
  trueFn: (...operands: NoInfer<Operands<Ops>>) => R,
  falseFn: (...operands: NoInfer<Operands<Ops>>) => R,
  ...operands: Ops
): TensorTree<R>;
export function cond(pred: TensorLike, trueFn: AnyFn, falseFn: AnyFn, ...operands: unknown[]): unknown {
  functionArg("lax.cond", "trueFn", trueFn);
  functionArg("lax.cond", "falseFn", falseFn);
  const p = scalarIndex("lax.cond", "predicate", pred);
  if (p.aval.dtype !== "bool" && p.aval.dtype !== "int32")
    throw new DTypeError(
      `lax.cond: the predicate must be a bool (or int32) scalar, got ${avalString(p.aval)}; compare first, e.g. nb.greater(x, 0)`,
    );
  const index =
    p.aval.dtype === "int32"
      ? lax.convert(lax.ne(p, lax.scalarLike(p, 0)), "int32")
      : lax.convert(p, "int32");
  return run("lax.cond", index, ["falseFn", "trueFn"], [falseFn, trueFn], operands);
}

/**
 * `branches[index](...operands)`, chosen on data; an index out of range is clamped to the first or last
 * branch (as JAX's switch does). Every branch is traced once and must return the same structure, shapes
 * and dtypes. Operands and outputs are pytrees.
 * @example
 * ```ts
 * const f = (i: number, x: nb.Tensor) =>
 *   nb.lax.switch(i, [(y) => nb.neg(y), (y) => nb.exp(y), (y) => nb.mul(y, 10)], x);
 * f(1, nb.array(0));  // exp(0) = 1
 * f(7, nb.array(2));  // clamped to the last branch: 20
 * ```
 */
function switchBranch<const Ops extends readonly unknown[], R>(
  index: TensorLike,
  branches: readonly ((...operands: NoInfer<Operands<Ops>>) => R)[],
  ...operands: Ops
): TensorTree<R>;
function switchBranch(index: TensorLike, branches: readonly AnyFn[], ...operands: unknown[]): unknown {
  if (!Array.isArray(branches) || branches.length === 0)
    throw new ValueError(
      `lax.switch: expected a non-empty array of branch functions, got ${describeValue(branches)}`,
    );
  branches.forEach((b, i) => {
    functionArg("lax.switch", `branches[${i}]`, b);
  });
  const i = scalarIndex("lax.switch", "index", index);
  if (i.aval.dtype !== "int32" && !(i.aval.weak && i.aval.dtype === "float64"))
    throw new DTypeError(`lax.switch: the index must be an int32 scalar, got ${avalString(i.aval)}`);
  const names = branches.map((_, k) => `branches[${k}]`);
  return run("lax.switch", lax.convert(i, "int32"), names, branches, operands);
}

export { type CarryOf, foriLoop, type ScanOptions, scan, whileLoop } from "./loops.js";
export { switchBranch as switch };
