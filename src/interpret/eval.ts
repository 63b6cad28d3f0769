// Evaluation: runs a primitive on concrete tensors with the active backend.

import type { Backend } from "../backend/backend.js";
import { referenceBackend } from "../backend/reference/index.js";
import { NablaError } from "../core/errors.js";
import type { Prim, PrimParams } from "../core/primitives.js";
import { type Aval, ConcreteTensor } from "../core/tensor.js";
import { setEvalPrimitive } from "../core/trace.js";
import { abstractEval } from "./shape-rules.js";

let backend: Backend = referenceBackend;

/** The backend that evaluates primitives on concrete data. */
export const getBackend = (): Backend => backend;
export function setBackend(b: Backend): void {
  backend = b;
}

export function evalPrimitive<P extends Prim>(
  prim: P,
  args: ConcreteTensor[],
  params: PrimParams[P],
): ConcreteTensor {
  let out: Aval;
  try {
    out = abstractEval(
      prim,
      args.map((a) => a.aval),
      params,
    );
  } catch (e) {
    if (e instanceof NablaError && !e.message.includes(":")) e.message = `${prim}: ${e.message}`;
    throw e;
  }
  return new ConcreteTensor(backend.kernels[prim](args, params, out), out);
}

setEvalPrimitive(evalPrimitive);
