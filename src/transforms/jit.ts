// jit: trace a function once per input signature, optimize the staged program, compile it to fused
// kernels and cache the result (least recently used signatures evicted past nb.settings.jitCacheSize).
// Inside another transformation (any leaf is a tracer) the call binds jit_call, holding the program traced
// once for that signature, and the transformation transforms that program (JAX's pjit): grad(jit(f)),
// vmap(jit(f)) and jit(jit(f)) each stay one compiled program.

import { compileGraph, type Executable } from "../compile/executable.js";
import { type Lowered, makeLowered, type StepEngine } from "../compile/lower.js";
import { type Graph, optimize, toGraph } from "../compile/optimize.js";
import { settings } from "../core/config.js";
import { toTensor } from "../core/convert.js";
import type { TypedArray } from "../core/dtype.js";
import { TraceError, ValueError } from "../core/errors.js";
import type { Program } from "../core/program.js";
import { flatten, type Leaf, type Pytree, type TreeDef, treeString, unflatten } from "../core/pytree.js";
import { type Aval, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { Tracer } from "../core/trace.js";
import { FloatingPointError, newNonFinite, primitiveError } from "../debug/nans.js";
import { now, type ProfileCategory, profiler, record } from "../debug/profile.js";
import { getBackend } from "../interpret/eval.js";
import { stagedCalls } from "../interpret/jit-call.js";
import { stageFlat } from "../interpret/stage.js";

// biome-ignore lint/suspicious/noExplicitAny: jit accepts functions of any pytree signature
type AnyFn = (...args: any[]) => any;

/** Counters of a jitted function's cache. */
export interface JitStats {
  /** Calls that reused a compiled program. */
  hits: number;
  /** Calls that traced and compiled (one per new signature). */
  misses: number;
  /**
   * Calls with an argument traced by an outer transformation: each binds a `jit_call` of the program
   * traced for that signature (once), which the transformation transforms and keeps compiled.
   */
  inlined: number;
  /** Compiled signatures held. */
  size: number;
  /** Compiled signatures dropped, least recently used first, to stay within `nb.settings.jitCacheSize`. */
  evictions: number;
  /**
   * Steps of every program compiled so far, by who runs them: the engine each fused loop was compiled for
   * ("native", "threads", "wasm", "js", "interpreter"), the one each matrix product's size selects,
   * "kernel" or "alias". `lower(...args)` shows which step runs where, and why earlier engines declined.
   */
  engines: Partial<Record<StepEngine, number>>;
}

/**
 * A jitted function: same signature as the original, plus its cache counters, `clearCache()` and
 * `lower(...args)`, which compiles for those arguments and reports what would run.
 */
export type Jitted<F extends AnyFn> = F & {
  readonly stats: JitStats;
  /** Drops every compiled signature and every program traced for a call under a transformation (the counters stay). */
  clearCache(): void;
  /** Traces, optimizes and compiles `f` for these arguments without running it, and reports the result. */
  lower(...args: Parameters<F>): Lowered;
};

const jittedFunctions = new WeakSet<object>();

/** Whether `f` is a function `jit` returned. */
export const isJitted = (f: unknown): boolean => typeof f === "function" && jittedFunctions.has(f);

interface Entry {
  run: Executable;
  outDef: TreeDef;
  outAvals: Aval[];
  /** The optimized graph it runs (for the shapes in NaN reports). */
  graph: Graph;
  /** The cache's clock when the entry was last used (the smallest is evicted first). */
  used: number;
}

const leafKey = (l: Leaf, t: Tensor): string =>
  `${typeof l === "number" ? "n" : ""}${t.aval.dtype}${t.aval.weak ? "w" : ""}[${t.aval.shape.join(",")}]`;

/** A compiled signature, or the result of running `f` through bind when it cannot be compiled. */
type Built =
  | { kind: "compiled"; entry: Entry; program: Program; graph: Graph }
  | { kind: "inline"; result: unknown };

/**
 * Compiles `f` for speed: the first call with a new signature (pytree structure, shapes, dtypes) traces
 * `f` to a program, optimizes it (dead code, common subexpressions, constant folding, algebraic
 * simplification, elementwise fusion) and compiles it; later calls with that signature run the compiled
 * program directly. Values `f` closes over are captured as constants when it is traced. Composes with every
 * transformation: `jit(grad(f))` compiles the whole gradient computation. The cache keeps the
 * `nb.settings.jitCacheSize` most recently used signatures; `clearCache()` empties it, and `lower(...args)`
 * shows the optimized program and which engine runs each compiled step.
 * @example
 * ```ts
 * const f = nb.jit((x) => nb.sum(nb.mul(nb.tanh(x), nb.exp(nb.neg(nb.square(x))))));
 * f(nb.array([0.5, 1, 2])); // traced and compiled
 * f(nb.array([1, 2, 3]));   // runs the compiled program
 * nb.grad(f)(nb.array([0.5, 1, 2])); // a call of f's program: its gradient program, compiled
 * nb.jit(nb.grad((x) => nb.sum(nb.sin(x))))(nb.array([0, 1])); // the gradient program compiled: [1, 0.54]
 * console.log(String(f.lower(nb.ones([1000])))); // the optimized program, its fused loop and engine
 * f.clearCache();
 * ```
 */
export function jit<F extends AnyFn>(f: F): Jitted<F> {
  if (typeof f !== "function") throw new ValueError(`jit: expected a function, got ${typeof f}`);
  const name = f.name || "<anonymous>";
  const cache = new Map<string, Entry>();
  const stats: JitStats = { hits: 0, misses: 0, inlined: 0, size: 0, evictions: 0, engines: {} };
  let clock = 0;

  const build = (def: TreeDef, xs: Tensor[]): Built => {
    const backend = getBackend();
    const out: { def?: TreeDef } = {};
    const flat = (...ts: Tensor[]): Tensor[] => {
      const [outLeaves, outDef] = flatten(f(...unflatten<unknown[]>(def, ts)), "jit output");
      out.def = outDef;
      return outLeaves.map((l) => toTensor(l));
    };
    const program = stageFlat(
      flat,
      xs.map((x) => x.aval),
    );
    const traced = toGraph(program);
    if (traced === null)
      // `f` closes over values traced by an enclosing transformation: evaluate the program through bind
      // so that transformation sees every operation (and do not cache what depends on its tracers).
      return { kind: "inline", result: unflatten(out.def!, program.run(xs)) };
    const graph = optimize(traced, backend);
    return {
      kind: "compiled",
      entry: {
        run: compileGraph(graph, backend),
        outDef: out.def!,
        outAvals: program.outs.map((v) => v.aval),
        graph,
        used: 0,
      },
      program,
      graph,
    };
  };

  // Under a transformation: f's program for this signature (traced once, kept while its constants are
  // concrete), bound as a jit_call that the transformation turns into a call of its transformed program.
  const staged = stagedCalls(f, name, "jit", false);
  const call = (def: TreeDef, leaves: Leaf[], xs: Tensor[]): unknown => {
    let key = treeString(def);
    for (let i = 0; i < xs.length; i++) key += `|${leafKey(leaves[i]!, xs[i]!)}`;
    return staged.call(def, key, xs);
  };

  const insert = (key: string, entry: Entry) => {
    const limit = settings.jitCacheSize;
    while (cache.size >= limit) {
      let oldest: string | undefined;
      let at = Number.POSITIVE_INFINITY;
      for (const [k, e] of cache)
        if (e.used < at) {
          at = e.used;
          oldest = k;
        }
      cache.delete(oldest!);
      stats.evictions++;
    }
    cache.set(key, entry);
    stats.size = cache.size;
  };

  const jitted = (...args: unknown[]): unknown => {
    const [leaves, def] = flatten(args, "jit");
    const xs = leaves.map((l) => toTensor(l));
    if (leaves.some((l) => l instanceof Tracer)) {
      stats.inlined++;
      return call(def, leaves, xs);
    }
    const backend = getBackend();
    let key = `${backend.name}|${treeString(def)}`;
    for (let i = 0; i < xs.length; i++) key += `|${leafKey(leaves[i]!, xs[i]!)}`;
    let entry = cache.get(key);
    if (entry === undefined) {
      stats.misses++;
      const t0 = profiler.active ? now() : 0;
      const built = build(def, xs);
      if (profiler.active) record(`compile ${name}`, "compile", t0, { signature: key });
      if (built.kind === "inline") return built.result;
      entry = built.entry;
      for (const p of entry.run.plan) stats.engines[p.engine] = (stats.engines[p.engine] ?? 0) + 1;
      insert(key, entry);
    } else stats.hits++;
    entry.used = ++clock;
    const inputs = xs.map((x) => x.concrete().data);
    const datas =
      profiler.active || settings.debugNans || settings.debugInfs
        ? runObserved(entry, inputs, name, key, () => f(...args))
        : entry.run(inputs);
    const avals = entry.outAvals;
    return unflatten(
      entry.outDef,
      datas.map((d, i) => new ConcreteTensor(d, avals[i]!)),
    ) as Pytree;
  };

  const lower = (...args: unknown[]): Lowered => {
    const [leaves, def] = flatten(args, "jit.lower");
    if (leaves.some((l) => l instanceof Tracer))
      throw new TraceError(
        "jit.lower: an argument is traced by an enclosing transformation; lower with concrete arguments",
      );
    const xs = leaves.map((l) => toTensor(l));
    const built = build(def, xs);
    if (built.kind === "inline")
      throw new TraceError(
        `jit.lower: ${name} closes over values traced by an enclosing transformation, so it runs inline and is not compiled`,
      );
    return makeLowered(
      name,
      xs.map((x) => x.aval),
      built.program,
      built.graph,
      built.entry.run.plan,
      getBackend().name,
    );
  };

  Object.defineProperty(jitted, "stats", { value: stats, enumerable: false });
  Object.defineProperty(jitted, "clearCache", {
    value: () => {
      cache.clear();
      staged.clear();
      stats.size = 0;
    },
    enumerable: false,
  });
  Object.defineProperty(jitted, "lower", { value: lower, enumerable: false });
  jittedFunctions.add(jitted);
  return jitted as unknown as Jitted<F>;
}

const STEP_CATEGORY: Record<Executable["plan"][number]["kind"], ProfileCategory> = {
  fused: "fused",
  matmul: "matmul",
  kernel: "kernel",
  copy: "copy",
  call: "call",
};

/**
 * Runs a compiled program step by step while profiling (each step timed) or while debugNans/debugInfs is
 * on: a step that stores a NaN (or infinity) none of the arrays it read had makes `rerun` run the function
 * eagerly, where the check after each primitive names the culprit; if eager evaluation does not reproduce
 * it, the compiled step is reported.
 */
function runObserved(
  entry: Entry,
  inputs: readonly TypedArray[],
  name: string,
  signature: string,
  rerun: () => unknown,
): TypedArray[] {
  const profiling = profiler.active;
  const checking = settings.debugNans || settings.debugInfs;
  const run = entry.run;
  const plan = run.plan;
  let culprit: { step: number; kind: "NaN" | "Inf"; data: TypedArray; aval: Aval } | undefined;
  const t0 = profiling ? now() : 0;
  const outs = run.runWith(inputs, (i, env, s0) => {
    const p = plan[i]!;
    if (profiling)
      record(
        `${p.kind === "copy" ? "copy" : p.prims.join(",")} [${p.shape.join(",")}] (${p.engine})`,
        STEP_CATEGORY[p.kind],
        s0,
        {
          engine: p.engine,
        },
      );
    if (!checking || culprit !== undefined) return;
    for (const v of p.writes) {
      const kind = newNonFinite(
        env[v]!,
        p.reads.map((r) => env[r]!),
      );
      if (kind !== null) {
        culprit = { step: i, kind, data: env[v]!, aval: entry.graph.avals[v]! };
        return;
      }
    }
  });
  if (profiling) record(`jit ${name}`, "jit", t0, { signature });
  if (culprit === undefined) return outs;
  try {
    rerun();
  } catch (e) {
    if (e instanceof FloatingPointError)
      e.message += `; found by re-running the jit-compiled ${name} eagerly after its compiled program produced it`;
    throw e;
  }
  const p = plan[culprit.step]!;
  throw primitiveError(
    culprit.kind,
    p.kind === "copy" ? "copy" : p.prims.join(","),
    p.reads.map((r) => entry.graph.avals[r]!),
    culprit.aval,
    culprit.data,
    {
      context:
        `step ${culprit.step + 1} of the jit-compiled ${name} (a ${p.kind} step run by ${p.engine}); ` +
        "the same function run eagerly did not produce it, so the compiled and eager kernels differ here",
      source: undefined,
    },
  );
}
