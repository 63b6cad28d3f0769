// jit(f).lower(...args): what a compiled program runs — the optimized program, each step with the engine
// that runs it and why the engines before it declined (fused loops, matrix products, other kernels), and
// the buffers it uses. It reads the compiler's plan; it runs nothing.
import type { Engine } from "../backend/engines.js";
import { fmtBytes } from "../core/config.js";
import type { DType } from "../core/dtype.js";
import { type Eqn, Program, Var } from "../core/program.js";
import { sizeOf } from "../core/shape.js";
import { type Aval, avalString, type ConcreteTensor } from "../core/tensor.js";
import { abstractEvalMulti } from "../primitives/shape-rules.js";
import type { Graph } from "./optimize.js";
import type { StepPlan } from "./steps.js";

/** Who runs a step: an engine of the fast backend, the backend's own kernel, or nothing (a view). */
export type StepEngine = Engine | "kernel" | "alias";

/** One step of a compiled program. */
export interface LoweredStep {
  /** A fused loop, a matrix product, another backend kernel, or a view made into an array. */
  readonly kind: "fused" | "matmul" | "kernel" | "copy" | "call";
  /** The primitives it runs (a fused loop's elementwise members, then its reductions). */
  readonly prims: readonly string[];
  /** The loop's shape (fused loops) or the output's shape. */
  readonly shape: readonly number[];
  /**
   * Who runs it: "native", "threads", "wasm", "js" or "interpreter" (a fused loop's engine as compiled; a
   * matrix product's as its size selects), "kernel" (the backend's kernel of the primitive) or "alias".
   */
  readonly engine: StepEngine;
  /** The engines tried first that declined it, with their reasons, e.g. wasm: "no SIMD kernel for asin". */
  readonly declined: readonly { readonly engine: Engine; readonly reason: string }[];
  /** Bytes of the arrays it stores. */
  readonly outputBytes: number;
  /** Whether its stored buffers are kept and overwritten from run to run. */
  readonly reusesBuffers: boolean;
  /** One line: kind, engine, shape, bytes and primitives (then why earlier engines declined, if any). */
  readonly text: string;
}

/** The memory a run of the compiled program touches, in bytes. */
export interface LoweredBuffers {
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly constantBytes: number;
  /** Arrays stored between steps that are not outputs: how many, and their bytes. */
  readonly intermediates: number;
  readonly intermediateBytes: number;
  /** Those of them whose buffers are kept across runs (large ones that never leave a run). */
  readonly reused: number;
  readonly reusedBytes: number;
}

/**
 * What `nb.jit(f).lower(...args)` returns: the program traced for those arguments, the program after
 * optimization, the compiled steps with the engine of each, and the buffers. `String(lowered)` (or
 * `lowered.text`) prints it all.
 */
export interface Lowered {
  /** The input signature, e.g. "(f32[128,784], f32[784,256])". */
  readonly signature: string;
  /** The program as traced, before optimization. */
  readonly program: Program;
  /** The program after optimization (common subexpressions, dead code, algebra, constant folding). */
  readonly optimized: Program;
  readonly steps: readonly LoweredStep[];
  /** How many steps each engine runs. */
  readonly engines: Readonly<Partial<Record<StepEngine, number>>>;
  readonly buffers: LoweredBuffers;
  /** The whole report as text. */
  readonly text: string;
  toString(): string;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
export const bytesOf = (a: Aval): number => sizeOf(a.shape) * BYTES[a.dtype];

/** A graph as a Program, so it prints like any program. */
export function graphProgram(g: Graph): Program {
  const vars = g.avals.map((a) => new Var(a));
  const constVars: Var[] = [];
  const constValues: ConcreteTensor[] = [];
  const eqns: Eqn[] = [];
  g.defs.forEach((d, i) => {
    if (d.kind === "const") {
      constVars.push(vars[i]!);
      constValues.push(d.value);
    } else if (d.kind === "eqn")
      eqns.push({
        prim: d.prim,
        params: d.params,
        inputs: d.inputs.map((v) => vars[v]!),
        outs: [vars[i]!],
      } as Eqn);
    else if (d.kind === "multi") {
      const outs: Var[] = [];
      g.defs.forEach((p, v) => {
        if (p.kind === "part" && p.of === i) outs[p.index] = vars[v]!;
      });
      // Outputs the optimizer dropped get a variable of their own, so the equation lists every output.
      const avals = abstractEvalMulti(
        d.prim,
        d.inputs.map((v) => vars[v]!.aval),
        d.params as never,
      );
      const all = avals.map((a, k) => outs[k] ?? new Var(a));
      eqns.push({ prim: d.prim, params: d.params, inputs: d.inputs.map((v) => vars[v]!), outs: all } as Eqn);
    }
  });
  const inVars = g.inputs.map((v) => vars[v]!);
  return new Program(
    constVars,
    constValues,
    inVars,
    eqns,
    g.outputs.map((v) => vars[v]!),
  );
}

/** Builds the report of a compiled program. */
export function makeLowered(
  name: string,
  inputs: readonly Aval[],
  program: Program,
  graph: Graph,
  plan: readonly StepPlan[],
  backend: string,
): Lowered {
  const signature = `(${inputs.map(avalString).join(", ")})`;
  const optimized = graphProgram(graph);
  const isOutput = new Set(graph.outputs);
  const engines: Partial<Record<StepEngine, number>> = {};
  const steps: LoweredStep[] = plan.map((p) => {
    engines[p.engine] = (engines[p.engine] ?? 0) + 1;
    const outputBytes = p.engine === "alias" ? 0 : p.writes.reduce((s, v) => s + bytesOf(graph.avals[v]!), 0);
    const prims = p.kind === "copy" ? (p.engine === "alias" ? "view" : "copy of a view") : p.prims.join(",");
    return {
      kind: p.kind,
      prims: p.prims,
      shape: p.shape,
      engine: p.engine,
      declined: p.declined,
      outputBytes,
      reusesBuffers: p.reused.length > 0,
      text: [
        p.kind.padEnd(6),
        p.engine.padEnd(11),
        `[${p.shape.join(",")}]`.padEnd(16),
        (p.engine === "alias" ? "-" : fmtBytes(outputBytes)).padStart(9),
        p.reused.length > 0 ? "reused" : "      ",
        prims,
        ...(p.declined.length > 0
          ? [`(${p.declined.map((d) => `${d.engine}: ${d.reason}`).join("; ")})`]
          : []),
      ].join("  "),
    };
  });
  let inputBytes = 0;
  let constantBytes = 0;
  graph.defs.forEach((d, v) => {
    if (d.kind === "input") inputBytes += bytesOf(graph.avals[v]!);
    else if (d.kind === "const") constantBytes += bytesOf(graph.avals[v]!);
  });
  const outputBytes = graph.outputs.reduce((s, v) => s + bytesOf(graph.avals[v]!), 0);
  let intermediates = 0;
  let intermediateBytes = 0;
  let reused = 0;
  let reusedBytes = 0;
  for (const p of plan) {
    if (p.engine === "alias") continue;
    for (const v of p.writes)
      if (!isOutput.has(v)) {
        intermediates++;
        intermediateBytes += bytesOf(graph.avals[v]!);
      }
    for (const v of p.reused) {
      reused++;
      reusedBytes += bytesOf(graph.avals[v]!);
    }
  }
  const buffers: LoweredBuffers = {
    inputBytes,
    outputBytes,
    constantBytes,
    intermediates,
    intermediateBytes,
    reused,
    reusedBytes,
  };
  const nEqns = optimized.eqns.length;
  const text = [
    `jit(${name}) lowered for ${signature} on the ${backend} backend`,
    `optimized program (${nEqns} equation${nEqns === 1 ? "" : "s"}; ${program.eqns.length} as traced):`,
    String(optimized),
    `steps (${steps.length}):`,
    ...steps.map((s, i) => `  ${String(i + 1).padStart(3)}  ${s.text}`),
    `engines: ${
      Object.entries(engines)
        .map(([e, n]) => `${e} ${n}`)
        .join(", ") || "none"
    }`,
    `buffers: inputs ${fmtBytes(inputBytes)}, outputs ${fmtBytes(outputBytes)}, constants ${fmtBytes(constantBytes)}, ` +
      `${intermediates} intermediate${intermediates === 1 ? "" : "s"} ${fmtBytes(intermediateBytes)}` +
      (reused > 0 ? ` (${reused} reused across runs, ${fmtBytes(reusedBytes)})` : ""),
  ].join("\n");
  return {
    signature,
    program,
    optimized,
    steps,
    engines,
    buffers,
    text,
    toString: () => text,
  };
}
