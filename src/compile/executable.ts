// jit's compiler: an optimized graph (optimize.ts) becomes an executable, a list of steps over an
// environment of typed arrays with every shape, stride, buffer and kernel decided once. The passes, each
// handing the next a plain data structure:
//   planFusion   (groups.ts)    views read in place; elementwise chains and their reductions grouped into loops
//   planBuffers  (buffers.ts)   which values get arrays, which views become arrays, which buffers are kept
//   schedule     (schedule.ts)  the units to run, in an order that respects their dependencies
//   buildSteps   (steps.ts)     each unit's kernel, from the first engine that accepts it (engines.ts)
import type { Backend } from "../backend/backend.js";
import type { TypedArray } from "../core/dtype.js";
import { now } from "../debug/profile.js";
import { planBuffers } from "./buffers.js";
import { fusesLoops } from "./engines.js";
import { planFusion } from "./groups.js";
import type { Graph } from "./optimize.js";
import { schedule } from "./schedule.js";
import { buildSteps, type Env, type RunState, type StepPlan } from "./steps.js";

export type { StepPlan } from "./steps.js";

/** Runs a compiled graph: input data in, output data out (in graph.outputs order). */
export type Executable = ((inputs: readonly TypedArray[]) => TypedArray[]) & {
  /** Kernel calls per run (a fused loop counts once; aliases of views count too). */
  readonly steps: number;
  /** What each step runs, e.g. "fused tanh,mul,neg,exp,mul | [1000000]" or "dot_general [128,256]". */
  readonly labels: readonly string[];
  /** What each step runs, in detail (for lowering reports, profiles and NaN checks). */
  readonly plan: readonly StepPlan[];
  /**
   * Runs like the executable and calls `after(i, env, t0)` when step i is done: `env` holds every value
   * stored so far (by graph value), `t0` is when the step started (ms, from debug/profile's clock).
   */
  readonly runWith: (
    inputs: readonly TypedArray[],
    after: (step: number, env: readonly TypedArray[], t0: number) => void,
  ) => TypedArray[];
};

/** Compiles `g` for `backend`. Fusion needs generated code; without it every primitive runs its kernel. */
export function compileGraph(g: Graph, backend: Backend): Executable {
  const fuse = fusesLoops(backend);
  const fusion = planFusion(g, fuse);
  const buffers = planBuffers(g, fusion, fuse);
  const units = schedule(g, fusion, buffers);
  const state: RunState = { depth: 0 };
  const { steps, plan, labels } = buildSteps(g, backend, fusion, buffers, units, state);

  const template: Env = new Array(g.defs.length);
  g.defs.forEach((d, v) => {
    if (d.kind === "const") template[v] = d.value.data;
  });
  const inputs = g.inputs;
  const outputs = g.outputs;
  const start = (args: readonly TypedArray[]): Env => {
    const env = template.slice();
    for (let i = 0; i < inputs.length; i++) env[inputs[i]!] = args[i]!;
    return env;
  };
  const run = (args: readonly TypedArray[]) => {
    const env = start(args);
    state.depth++;
    try {
      for (let i = 0; i < steps.length; i++) steps[i]!(env);
    } finally {
      state.depth--;
    }
    return outputs.map((v) => env[v]!);
  };
  const runWith = (
    args: readonly TypedArray[],
    after: (step: number, env: readonly TypedArray[], t0: number) => void,
  ) => {
    const env = start(args);
    state.depth++;
    try {
      for (let i = 0; i < steps.length; i++) {
        const t0 = now();
        steps[i]!(env);
        after(i, env, t0);
      }
    } finally {
      state.depth--;
    }
    return outputs.map((v) => env[v]!);
  };
  return Object.assign(run, { steps: steps.length, labels, plan, runWith });
}
