// The compiled form of the multi-output primitives: a step that reads its operands' arrays and returns one
// array per output. cond runs the chosen branch's program, compiled the first time that branch is taken;
// jit_call runs its program compiled once per backend (the compile graph inlines it, so this serves eval).
// scan and while run their compiled body (and condition) once per step.
import type { Backend, MultiKernelOf } from "../backend/backend.js";
import type { TypedArray } from "../core/dtype.js";
import { isKernelMulti, type MultiPrim, type MultiPrimParams, type ProgramPrim } from "../core/primitives.js";
import type { Program } from "../core/program.js";
import { type Aval, ConcreteTensor } from "../core/tensor.js";
import { scanLoop } from "../primitives/loops.js";
import { abstractEvalMulti } from "../primitives/shape-rules.js";
import { compileGraph, type Executable } from "./executable.js";
import { optimize, toGraph } from "./optimize.js";

/** Runs a multi-output primitive on its operands' arrays. */
export type MultiKernel = (inputs: readonly TypedArray[]) => TypedArray[];

/** A program compiled like jit's, or, when a constant is not concrete, run through bind. */
function compileProgram(p: Program, backend: Backend): MultiKernel {
  const g = toGraph(p);
  if (g !== null) {
    const run: Executable = compileGraph(optimize(g, backend), backend);
    return (ins) => run(ins);
  }
  const avals: readonly Aval[] = p.inVars.map((v) => v.aval);
  return (ins) => p.run(ins.map((d, i) => new ConcreteTensor(d, avals[i]!))).map((t) => t.concrete().data);
}

/** Compiled programs, per program and backend: a program called many times is compiled once. */
const compiled = new WeakMap<Program, Map<string, MultiKernel>>();

/** `p` compiled for `backend`, the first time it is asked for (jit_call's program and what it derives). */
export function programKernel(p: Program, backend: Backend): MultiKernel {
  let m = compiled.get(p);
  if (m === undefined) {
    m = new Map();
    compiled.set(p, m);
  }
  let k = m.get(backend.name);
  if (k === undefined) {
    k = compileProgram(p, backend);
    m.set(backend.name, k);
  }
  return k;
}

/**
 * The compiled step of a multi-output primitive, given its parameters, the backend and its operands' avals.
 * The decompositions (no program) call the backend's kernel; the others compile their programs.
 */
export function multiKernelOf<P extends MultiPrim>(
  prim: P,
  params: MultiPrimParams[P],
  backend: Backend,
  inAvals: readonly Aval[],
): MultiKernel {
  if (isKernelMulti(prim)) {
    const outs = abstractEvalMulti(prim, inAvals, params);
    const kernel = backend.multiKernels[prim] as MultiKernelOf<MultiPrimParams[P]>;
    return (ins) =>
      kernel(
        ins.map((d, i) => new ConcreteTensor(d, inAvals[i]!)),
        params,
        outs,
      );
  }
  return (multiKernels[prim as ProgramPrim] as (p: MultiPrimParams[P], b: Backend) => MultiKernel)(
    params,
    backend,
  );
}

const multiKernels: {
  readonly [P in ProgramPrim]: (params: MultiPrimParams[P], backend: Backend) => MultiKernel;
} = {
  cond: ({ branches }, backend) => {
    const compiled = new Array<MultiKernel | undefined>(branches.length);
    const last = branches.length - 1;
    return (ins) => {
      const b = Math.min(Math.max(ins[0]![0]!, 0), last);
      compiled[b] ??= compileProgram(branches[b]!, backend);
      return compiled[b](ins.slice(1));
    };
  },
  jit_call: ({ program }, backend) => programKernel(program, backend),
  // The body compiled once, run once per step.
  scan: (params, backend) => {
    const step = compileProgram(params.body, backend);
    const outAvals = params.body.outs.map((v, i) =>
      i < params.nCarry ? v.aval : { ...v.aval, shape: [params.length, ...v.aval.shape] },
    );
    const avals = params.body.inVars.map((v, i) =>
      i < params.nConsts + params.nCarry ? v.aval : { ...v.aval, shape: [params.length, ...v.aval.shape] },
    );
    return (ins) => scanLoop(ins, avals, outAvals, params, (xs) => step(xs));
  },
  while: ({ cond, body, nCondConsts, nBodyConsts }, backend) => {
    const test = compileProgram(cond, backend);
    const step = compileProgram(body, backend);
    return (ins) => {
      const cc = ins.slice(0, nCondConsts);
      const bc = ins.slice(nCondConsts, nCondConsts + nBodyConsts);
      let carry = ins.slice(nCondConsts + nBodyConsts);
      // Arrays are never written after they are made: the body's outputs are the next carry as they are.
      while (test([...cc, ...carry])[0]![0]) carry = step([...bc, ...carry]);
      return carry;
    };
  },
};
