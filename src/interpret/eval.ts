// Evaluation: runs a primitive on concrete tensors with the active backend.

import type { Backend } from "../backend/backend.js";
import { fastBackend } from "../backend/fast/index.js";
import { referenceBackend } from "../backend/reference/index.js";
import { NablaError, ValueError } from "../core/errors.js";
import type { Prim, PrimParams } from "../core/primitives.js";
import { type Aval, ConcreteTensor } from "../core/tensor.js";
import { setEvalPrimitive } from "../core/trace.js";
import { abstractEval } from "./shape-rules.js";

/** The backends selectable by name. */
const backends: Record<string, Backend> = { fast: fastBackend, reference: referenceBackend };

/** NABLA_BACKEND=reference (in the environment) starts on the reference backend. */
function initialBackend(): Backend {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const name = env?.NABLA_BACKEND;
  return name !== undefined && backends[name] !== undefined ? backends[name]! : fastBackend;
}

let backend: Backend = initialBackend();

/**
 * The backend that evaluates primitives on concrete data.
 * @example
 * ```ts
 * nb.getBackend().name; // "fast"
 * ```
 */
export const getBackend = (): Backend => backend;

/**
 * Selects the backend by name ("fast": generated loops and WebAssembly SIMD, the default; "reference":
 * plain TypeScript, the executable specification) or as a Backend object. Returns the previous one.
 * @example
 * ```ts
 * const previous = nb.setBackend("reference");
 * nb.matmul(nb.ones([2, 2]), nb.ones([2, 2])); // computed by the reference kernels
 * nb.setBackend(previous);
 * ```
 */
export function setBackend(b: Backend | string): Backend {
  const previous = backend;
  if (typeof b === "string") {
    const found = backends[b];
    if (found === undefined)
      throw new ValueError(
        `setBackend: unknown backend "${b}"; choose one of ${Object.keys(backends).join(", ")}`,
      );
    backend = found;
  } else backend = b;
  return previous;
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
