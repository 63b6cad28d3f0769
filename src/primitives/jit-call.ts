// jit_call: a jitted function called under a transformation (JAX's pjit). Its operands are the function's
// inputs (then any values it closes over that an outer transformation traces); its parameters hold the
// function's closed program. Here live its shape rule and the wrapper; the rules that transform the program
// live in interpret/jit-call.ts.
import { ShapeError, ValueError } from "../core/errors.js";
import type { MultiPrimParams } from "../core/primitives.js";
import { Program } from "../core/program.js";
import { type Aval, avalString, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { bindMulti } from "../core/trace.js";
import { sameAval } from "./control.js";

export type JitCallParams = MultiPrimParams["jit_call"];

/** The output avals of jit_call(...operands): the program's outputs, once the operands are checked. */
export function jitCallShape(avals: readonly Aval[], { program, name }: JitCallParams): Aval[] {
  const ins = program.inVars;
  if (avals.length !== ins.length)
    throw new ValueError(`jit_call ${name}: the program takes ${ins.length} operand(s), got ${avals.length}`);
  ins.forEach((v, i) => {
    if (!sameAval(v.aval, avals[i]!))
      throw new ShapeError(
        `jit_call ${name}: operand ${i} is ${avalString(avals[i]!)} but the program takes ${avalString(v.aval)}`,
      );
  });
  return program.outs.map((v) => v.aval);
}

/**
 * Binds jit_call: runs `program` (named `name`) on the operands. With `remat`, reverse mode stores only the
 * operands and recomputes the program's intermediates when the backward pass needs them.
 */
export const jitCall = (
  operands: readonly Tensor[],
  program: Program,
  name: string,
  remat = false,
): Tensor[] => bindMulti("jit_call", operands, remat ? { program, name, remat } : { program, name });

/**
 * A staged program whose constants an outer transformation traces, made closed: those constants become
 * extra inputs after the program's own, and `extras` are the values to pass for them.
 */
export function closeProgram(p: Program): { program: Program; extras: Tensor[] } {
  const keep = p.constValues.map((c) => c instanceof ConcreteTensor);
  if (!keep.includes(false)) return { program: p, extras: [] };
  const extras = p.constValues.filter((_, i) => !keep[i]);
  const program = new Program(
    p.constVars.filter((_, i) => keep[i]),
    p.constValues.filter((_, i) => keep[i]),
    [...p.inVars, ...p.constVars.filter((_, i) => !keep[i])],
    p.eqns,
    p.outs,
  );
  return { program, extras };
}
