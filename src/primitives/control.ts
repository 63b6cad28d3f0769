// cond: the control-flow primitive with several outputs (JAX's cond_p, which switch uses too). Its operands
// are an int32 index and the branches' operands; its parameters hold the branches as closed programs. Here
// live its declaration-level rules (shape and checks, the chosen branch, the wrapper); the rules that run an
// interpreter on the branches live in interpret/control.ts.
import { DTypeError, ShapeError, ValueError } from "../core/errors.js";
import type { MultiPrimParams } from "../core/primitives.js";
import type { Program } from "../core/program.js";
import { shapesEqual } from "../core/shape.js";
import { type Aval, avalString, type Tensor } from "../core/tensor.js";
import { bindMulti } from "../core/trace.js";

export type CondParams = MultiPrimParams["cond"];

/** Whether two abstract values have the same shape and dtype (weak types may differ). */
export const sameAval = (a: Aval, b: Aval): boolean => a.dtype === b.dtype && shapesEqual(a.shape, b.shape);

/** The output avals of cond(index, ...operands): the branches' outputs, once the operands are checked. */
export function condShape(avals: readonly Aval[], { branches }: CondParams): Aval[] {
  const index = avals[0]!;
  if (index.dtype !== "int32" || index.shape.length !== 0)
    throw new DTypeError(`cond: the branch index must be an int32 scalar, got ${avalString(index)}`);
  const first = branches[0]!;
  const ins = first.inVars;
  if (avals.length - 1 !== ins.length)
    throw new ValueError(`cond: the branches take ${ins.length} operand(s), got ${avals.length - 1}`);
  ins.forEach((v, i) => {
    if (!sameAval(v.aval, avals[i + 1]!))
      throw new ShapeError(
        `cond: operand ${i} is ${avalString(avals[i + 1]!)} but the branches take ${avalString(v.aval)}`,
      );
  });
  return first.outs.map((v) => v.aval);
}

/** The branch cond runs for index `i`: clamped into range, as JAX's switch does. */
export function chosenBranch(branches: readonly Program[], i: number): Program {
  return branches[Math.min(Math.max(Math.trunc(i), 0), branches.length - 1)]!;
}

/** Binds cond: runs `branches[index]` on the operands. */
export const cond = (index: Tensor, operands: readonly Tensor[], branches: readonly Program[]): Tensor[] =>
  bindMulti("cond", [index, ...operands], { branches });
