// Transposition of linear programs: runs a program backwards, turning output cotangents into input ones.
// Only primitives that can be linear in an argument have a rule here.

import { NablaError } from "../core/errors.js";
import { type AnyPrim, isMulti } from "../core/primitives.js";
import type { Program, Tape } from "../core/program.js";
import type { Tensor } from "../core/tensor.js";
import { checking, inTranspose } from "../debug/context.js";
import * as lax from "../primitives/lax.js";
import {
  type Arg,
  type Ct,
  isLin,
  LINEAR_PRIMS,
  type LinearPrim,
  type TransposeRule,
  transposeRules,
} from "../primitives/transpose-rules.js";
import { multiRules } from "./control.js";

// Looking a rule up in a Map by primitive name is cheaper than a keyed read of the table object.
const ruleOf: ReadonlyMap<AnyPrim, TransposeRule<LinearPrim>> = new Map(
  LINEAR_PRIMS.map((p) => [p, transposeRules[p] as TransposeRule<LinearPrim>]),
);

/** Runs the linear program backwards from output cotangents (null = zero) to input cotangents. */
export function transposeProgram(program: Program, cts: readonly Ct[]): Tensor[] {
  // The tape form keeps per-variable state in arrays indexed by variable number.
  const t = program.tape();
  const ctOf = new Array<Tensor | undefined>(t.avals.length);
  const accumulate = (k: number, ct: Ct) => {
    if (ct === null || t.values[k] !== undefined) return;
    const prev = ctOf[k];
    ctOf[k] = prev === undefined ? ct : lax.add(prev, ct);
  };
  t.outs.forEach((k, i) => accumulate(k, cts[i] ?? null));
  for (let e = t.prims.length - 1; e >= 0; e--) {
    const out = t.eqnOut[e]!;
    const count = t.nOuts?.get(e);
    if (count !== undefined) {
      // A multi-output equation: the cotangents of all its outputs at once.
      let any = false;
      const cts = new Array<Ct>(count);
      for (let i = 0; i < count; i++) {
        const c = ctOf[out + i];
        cts[i] = c ?? null;
        if (c !== undefined) any = true;
        ctOf[out + i] = undefined;
      }
      if (!any) continue;
      const prim = t.prims[e]!;
      if (!isMulti(prim))
        throw new NablaError(`transpose: equation ${e} (${prim}) has ${count} outputs; this is a bug`);
      const start = e === 0 ? 0 : t.argEnd[e - 1]!;
      const args = argsOf(t, start, t.argEnd[e]!);
      const p = t.params[e] as never;
      const rule = multiRules[prim].transpose;
      const ctsIn = checking() ? inTranspose(prim, p, () => rule(cts, args, p)) : rule(cts, args, p);
      for (let j = 0; j < args.length; j++)
        if (isLin(args[j])) accumulate(t.args[start + j]!, ctsIn[j] ?? null);
      continue;
    }
    const ct = ctOf[out];
    if (ct === undefined) continue;
    ctOf[out] = undefined;
    const prim = t.prims[e]!;
    const rule = ruleOf.get(prim);
    if (rule === undefined)
      throw new NablaError(`transpose: primitive ${prim} is not linear; this is a bug in a JVP rule`);
    const start = e === 0 ? 0 : t.argEnd[e - 1]!;
    const args = argsOf(t, start, t.argEnd[e]!);
    const p = t.params[e] as never;
    const ctsIn = checking() ? inTranspose(prim, p, () => rule(ct, args, p)) : rule(ct, args, p);
    for (let j = 0; j < args.length; j++)
      if (isLin(args[j])) accumulate(t.args[start + j]!, ctsIn[j] ?? null);
  }
  return Array.from(t.inVars, (k) => ctOf[k] ?? lax.zerosLike(t.avals[k]!));
}

/** The arguments of a tape's equation for its transpose rule: known values, and avals of the linear ones. */
function argsOf(t: Tape, start: number, end: number): Arg[] {
  const args = new Array<Arg>(end - start);
  for (let j = start; j < end; j++) {
    const k = t.args[j]!;
    args[j - start] = t.values[k] ?? t.avals[k]!;
  }
  return args;
}
