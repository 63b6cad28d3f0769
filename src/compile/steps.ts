// The last pass: each scheduled unit becomes a runnable step over an environment of typed arrays (one slot
// per graph value) and a StepPlan saying what it runs, on which engine, and what it reads and writes. Fused
// loops and copies get their kernel from the first engine that accepts them (engines.ts).
import type { Backend } from "../backend/backend.js";
import type { Engine } from "../backend/engines.js";
import type { FusedKernel } from "../backend/fusion.js";
import type { TypedArray } from "../core/dtype.js";
import type { PrimParams } from "../core/primitives.js";
import { sizeOf } from "../core/shape.js";
import { type Aval, ConcreteTensor } from "../core/tensor.js";
import type { BufferPlan } from "./buffers.js";
import { multiKernelOf } from "./control.js";
import { compileLoop, matmulEngine } from "./engines.js";
import { accessOf, baseOf, type FusionPlan } from "./groups.js";
import { copyLoop, groupLoop, isContiguousRun, type Loop } from "./loops.js";
import type { Graph } from "./optimize.js";
import type { Unit } from "./schedule.js";

/** What one step of an executable runs. */
export interface StepPlan {
  /** A fused loop, a matrix product, another backend kernel, or a view made into an array. */
  readonly kind: "fused" | "matmul" | "kernel" | "copy" | "call";
  /** The primitives it runs: a fused loop's elementwise members, then its reductions. */
  readonly prims: readonly string[];
  /** The loop's shape (a fused loop) or the output's shape. */
  readonly shape: readonly number[];
  /**
   * Who runs it: an engine of the fast backend (a fused loop's is known; a matrix product's is the one its
   * size selects), "kernel" for the backend's kernel of the primitive (or a multi-output primitive's
   * compiled sub-programs, a "call"), "alias" for a view read in place.
   */
  readonly engine: Engine | "kernel" | "alias";
  /** The engines tried before `engine` that declined this step, with their reasons (in the order tried). */
  readonly declined: readonly { readonly engine: Engine; readonly reason: string }[];
  /** Graph values whose arrays it reads (inputs, constants, earlier results). */
  readonly reads: readonly number[];
  /** Graph values it stores. */
  readonly writes: readonly number[];
  /** The subset of `writes` whose buffers are kept and overwritten from run to run. */
  readonly reused: readonly number[];
}

/** The arrays of a run, by graph value. */
export type Env = TypedArray[];
export type Step = (env: Env) => void;

/** Runs of one executable in progress (kept buffers are used only by the outermost run). */
export interface RunState {
  depth: number;
}

/** The steps of a schedule and what each runs. */
export interface Steps {
  readonly steps: Step[];
  readonly plan: StepPlan[];
  /** Short descriptions, e.g. "fused tanh,mul | reduce_sum [1000]" or "dot_general [128,256]". */
  readonly labels: string[];
}

const primOf = (g: Graph, v: number): string => (g.defs[v] as { prim: string }).prim;

/** Builds the step of each unit, in order; kept buffers are reused only while `state.depth` is 1. */
export function buildSteps(
  g: Graph,
  backend: Backend,
  f: FusionPlan,
  b: BufferPlan,
  units: readonly Unit[],
  state: RunState,
): Steps {
  const out: Steps = { steps: [], plan: [], labels: [] };
  const readsOf = (vs: Iterable<number>): number[] => {
    const r = new Set<number>();
    for (const x of vs) r.add(baseOf(f, x));
    return [...r].sort((p, q) => p - q);
  };
  // The output values of each multi-output value (those the optimizer kept), by output index.
  const partsOf = new Map<number, number[]>();
  g.defs.forEach((d, v) => {
    if (d.kind !== "part") return;
    let ps = partsOf.get(d.of);
    if (ps === undefined) partsOf.set(d.of, (ps = []));
    ps[d.index] = v;
  });
  for (const unit of units) {
    if (unit.kind === "call") {
      const d = g.defs[unit.v] as Extract<Graph["defs"][number], { kind: "multi" }>;
      const parts = partsOf.get(unit.v) ?? [];
      const kernel = multiKernelOf(
        d.prim,
        d.params,
        backend,
        d.inputs.map((x) => g.avals[x]!),
      );
      const ins = d.inputs;
      out.labels.push(`${d.prim} (${parts.length} outputs)`);
      out.steps.push((env) => {
        const outs = kernel(ins.map((x) => env[x]!));
        for (let i = 0; i < parts.length; i++) if (parts[i] !== undefined) env[parts[i]!] = outs[i]!;
      });
      out.plan.push({
        kind: "call",
        prims: [d.prim],
        shape: [],
        engine: "kernel",
        declined: [],
        reads: readsOf(ins),
        writes: parts.filter((v) => v !== undefined),
        reused: [],
      });
    } else if (unit.kind === "node") {
      const d = g.defs[unit.v] as Extract<Graph["defs"][number], { kind: "eqn" }>;
      const shape = g.avals[unit.v]!.shape;
      const matmul = d.prim === "dot_general" && backend.name !== "reference";
      const choice = matmul
        ? matmulEngine(
            d.params as PrimParams["dot_general"],
            g.avals[d.inputs[0]!]!.shape,
            g.avals[d.inputs[1]!]!.shape,
            g.avals[unit.v]!.dtype,
          )
        : { engine: "kernel" as const, declined: [] };
      out.labels.push(`${d.prim} [${shape}]`);
      out.steps.push(nodeStep(g, unit.v, backend));
      out.plan.push({
        kind: matmul ? "matmul" : "kernel",
        prims: [d.prim],
        shape,
        ...choice,
        reads: readsOf(d.inputs),
        writes: [unit.v],
        reused: [],
      });
    } else if (unit.kind === "copy") {
      const a = accessOf(g, f, unit.v);
      const shape = g.avals[unit.v]!.shape;
      out.labels.push(`copy [${shape}]`);
      const common = {
        kind: "copy",
        prims: [],
        shape,
        reads: [a.base],
        writes: [unit.v],
        reused: [],
      } as const;
      if (isContiguousRun(g, unit.v, a)) {
        out.steps.push(aliasStep(g, unit.v, a.base, a.offset));
        out.plan.push({ ...common, engine: "alias", declined: [] });
      } else {
        const loop = copyLoop(g, unit.v, a);
        const { kernel, engine, declined } = compileLoop(loop.spec);
        out.steps.push(loopStep(loop, kernel, undefined, state));
        out.plan.push({ ...common, engine, declined });
      }
    } else {
      const grp = f.groups[unit.g]!;
      const members = grp.members.map((m) => primOf(g, m));
      const sinks = grp.sinks.map((m) => primOf(g, m));
      out.labels.push(`fused ${members.join(",")} | ${sinks.join(",")} [${grp.shape}]`);
      const loop = groupLoop(g, f, b, unit.g);
      const { kernel, engine, declined } = compileLoop(loop.spec);
      const keep = loop.outputs.map((v) => b.reusable[v] === 1);
      out.steps.push(loopStep(loop, kernel, keep.some((x) => x) ? keep : undefined, state));
      out.plan.push({
        kind: "fused",
        prims: [...members, ...sinks],
        shape: grp.shape,
        engine,
        declined,
        reads: readsOf(grp.externals),
        writes: loop.outputs.slice(),
        reused: loop.outputs.filter((v) => b.reusable[v] === 1),
      });
    }
  }
  return out;
}

/** A primitive run by the backend kernel, on stored inputs. */
function nodeStep(g: Graph, v: number, backend: Backend): Step {
  const d = g.defs[v]! as Extract<Graph["defs"][number], { kind: "eqn" }>;
  const kernel = backend.kernels[d.prim] as (i: ConcreteTensor[], p: unknown, o: Aval) => TypedArray;
  const ins = d.inputs;
  const inAvals = ins.map((x) => g.avals[x]!);
  const out = g.avals[v]!;
  const params = d.params;
  if (ins.length === 1) {
    const a0 = inAvals[0]!;
    const x0 = ins[0]!;
    return (env) => {
      env[v] = kernel([new ConcreteTensor(env[x0]!, a0)], params, out);
    };
  }
  return (env) => {
    env[v] = kernel(
      ins.map((x, i) => new ConcreteTensor(env[x]!, inAvals[i]!)),
      params,
      out,
    );
  };
}

/** A view that is a contiguous run of its base: the base's array itself, or a subarray of it. */
function aliasStep(g: Graph, v: number, base: number, off: number): Step {
  const size = sizeOf(g.avals[v]!.shape);
  if (off === 0 && size === sizeOf(g.avals[base]!.shape))
    return (env) => {
      env[v] = env[base]!;
    };
  return (env) => {
    env[v] = env[base]!.subarray(off, off + size);
  };
}

/**
 * Runs a compiled loop: reads its inputs from the environment and stores its outputs. Outputs marked in
 * `keep` are written into the same buffers on every outermost run.
 */
function loopStep(loop: Loop, k: FusedKernel, keep: readonly boolean[] | undefined, state: RunState): Step {
  const inputs = loop.inputs;
  const outputs = loop.outputs;
  const nIn = inputs.length;
  if (keep === undefined) {
    if (nIn === 0 && outputs.length === 1) {
      const v = outputs[0]!;
      return (env) => {
        env[v] = k([])[0]!;
      };
    }
    if (nIn === 1 && outputs.length === 1) {
      const x = inputs[0]!;
      const v = outputs[0]!;
      return (env) => {
        env[v] = k([env[x]!])[0]!;
      };
    }
  }
  const kept: (TypedArray | undefined)[] | undefined = keep
    ? new Array(outputs.length).fill(undefined)
    : undefined;
  return (env) => {
    const ins: TypedArray[] = new Array(nIn);
    for (let i = 0; i < nIn; i++) ins[i] = env[inputs[i]!]!;
    const reuse = kept !== undefined && state.depth === 1;
    const outs = k(ins, reuse ? kept : undefined);
    for (let i = 0; i < outputs.length; i++) {
      env[outputs[i]!] = outs[i]!;
      if (reuse && keep![i]) kept[i] = outs[i];
    }
  };
}
