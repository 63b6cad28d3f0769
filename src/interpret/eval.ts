// Evaluation: runs a primitive on concrete tensors with the active backend.

import type { Backend, Kernel, MultiKernelOf } from "../backend/backend.js";
import { fastBackend } from "../backend/fast/index.js";
import { referenceBackend } from "../backend/reference/index.js";
import { programKernel } from "../compile/control.js";
import { settings } from "../core/config.js";
import { NablaError, ValueError } from "../core/errors.js";
import {
  isKernelMulti,
  type MultiPrim,
  type MultiPrimParams,
  type Prim,
  type PrimParams,
  type ProgramPrim,
} from "../core/primitives.js";
import { interpretProgram, type Program } from "../core/program.js";
import { type Aval, avalString, ConcreteTensor } from "../core/tensor.js";
import { setEvalMulti, setEvalPrimitive } from "../core/trace.js";
import { checkPrimitive } from "../debug/nans.js";
import { now, profiler, record } from "../debug/profile.js";
import { chosenBranch } from "../primitives/control.js";
import { scanConcrete, scanShape } from "../primitives/loops.js";
import { abstractEvalMulti, abstractEvalOf } from "../primitives/shape-rules.js";

/** The backends selectable by name. */
const backends: Record<string, Backend> = { fast: fastBackend, reference: referenceBackend };

/** NABLA_BACKEND=reference (in the environment) starts on the reference backend. */
function initialBackend(): Backend {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const name = env?.NABLA_BACKEND;
  return name !== undefined && backends[name] !== undefined ? backends[name]! : fastBackend;
}

let backend: Backend = initialBackend();

// The active backend's kernels by primitive, filled as they are first used and emptied when the backend
// changes: a Map lookup by name is cheaper than a keyed read of the backend's table, and every evaluation
// does one. (A backend's kernel table is read once per primitive.)
const kernels = new Map<Prim, Kernel<Prim>>();

function kernelOf<P extends Prim>(prim: P): Kernel<P> {
  let k = kernels.get(prim);
  if (k === undefined) {
    k = backend.kernels[prim] as Kernel<Prim>;
    kernels.set(prim, k);
  }
  return k as Kernel<P>;
}

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
  kernels.clear();
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

/** Applies `prim` to concrete tensors (checked and timed while debugNans/debugInfs or profile are on). */
export function evalPrimitive<P extends Prim>(
  prim: P,
  args: ConcreteTensor[],
  params: PrimParams[P],
): ConcreteTensor {
  // The one check the hooks cost while they are off.
  if (profiler.active || settings.debugNans || settings.debugInfs) return evalObserved(prim, args, params);
  let out: Aval;
  try {
    out = abstractEvalOf(prim, args, params);
  } catch (e) {
    throw withPrim(prim, e);
  }
  return new ConcreteTensor(kernelOf(prim)(args, params, out), out);
}

/** A shape rule's error, prefixed with the primitive when it does not name an operation yet. */
function withPrim(prim: Prim, e: unknown): unknown {
  if (e instanceof NablaError && !e.message.includes(":")) e.message = `${prim}: ${e.message}`;
  return e;
}

function evalObserved<P extends Prim>(
  prim: P,
  args: ConcreteTensor[],
  params: PrimParams[P],
): ConcreteTensor {
  const t0 = profiler.active ? now() : 0;
  let aval: Aval;
  try {
    aval = abstractEvalOf(prim, args, params);
  } catch (e) {
    throw withPrim(prim, e);
  }
  const out = new ConcreteTensor(kernelOf(prim)(args, params, aval), aval);
  if (profiler.active)
    record(prim, "primitive", t0, () => ({
      shapes: `${args.map((a) => avalString(a.aval)).join(", ")} → ${avalString(aval)}`,
    }));
  if (settings.debugNans || settings.debugInfs) checkPrimitive(prim, args, out);
  return out;
}

setEvalPrimitive(evalPrimitive);

/** Applies a multi-output primitive to concrete tensors. */
export function evalMulti<P extends MultiPrim>(
  prim: P,
  args: ConcreteTensor[],
  params: MultiPrimParams[P],
): ConcreteTensor[] {
  const outs = abstractEvalMulti(
    prim,
    args.map((a) => a.aval),
    params,
  );
  // A primitive without a program (the decompositions) runs the backend's kernel.
  if (isKernelMulti(prim)) {
    const kernel = backend.multiKernels[prim] as MultiKernelOf<MultiPrimParams[P]>;
    return kernel(args, params, outs).map((d, i) => new ConcreteTensor(d, outs[i]!));
  }
  return (multiEval[prim as ProgramPrim] as ProgramEval<MultiPrimParams[P]>)(args, params);
}

type ProgramEval<Params> = (args: ConcreteTensor[], params: Params) => ConcreteTensor[];

const multiEval: { readonly [P in ProgramPrim]: ProgramEval<MultiPrimParams[P]> } = {
  // The chosen branch only.
  cond: (args, { branches }) => evalProgram(chosenBranch(branches, args[0]!.data[0]!), args.slice(1)),
  // The program compiled (once), unless NaNs or infinities are being looked for primitive by primitive.
  jit_call: (args, { program }) => {
    if (settings.debugNans || settings.debugInfs) return evalProgram(program, args);
    const outs = programKernel(program, getBackend())(args.map((a) => a.data));
    return outs.map((d, i) => new ConcreteTensor(d, program.outs[i]!.aval));
  },
  scan: (args, params) =>
    scanConcrete(
      args,
      params,
      scanShape(
        args.map((a) => a.aval),
        params,
      ),
      (ins) => evalProgram(params.body, ins),
    ),
  while: (args, { cond, body, nCondConsts, nBodyConsts }) => {
    const cc = args.slice(0, nCondConsts);
    const bc = args.slice(nCondConsts, nCondConsts + nBodyConsts);
    let carry = args.slice(nCondConsts + nBodyConsts);
    while (evalProgram(cond, [...cc, ...carry])[0]!.data[0]) carry = evalProgram(body, [...bc, ...carry]);
    return carry;
  },
};

/**
 * Runs a closed program on concrete values with the kernels directly (not through bind, so that a staging
 * trace folding a cond of constants does not record the branch's equations).
 */
export function evalProgram(p: Program, args: readonly ConcreteTensor[]): ConcreteTensor[] {
  const consts = p.constValues.map((c) => c.concrete());
  return interpretProgram(p, consts, args, evalPrimitive, evalMulti);
}

setEvalMulti(evalMulti);
