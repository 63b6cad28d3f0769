// jit: trace a function once per input signature, optimize the staged program, compile it to fused
// kernels and cache the result. Inside another transformation (any leaf is a tracer) the function is
// simply inlined, which is exact and composes with everything: grad(jit(f)), vmap(jit(f)), jit(jit(f)).
import { toTensor } from "../core/convert.js";
import { ValueError } from "../core/errors.js";
import { flatten, type Leaf, type Pytree, type TreeDef, treeString, unflatten } from "../core/pytree.js";
import { type Aval, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { Tracer } from "../core/trace.js";
import { getBackend } from "./eval.js";
import { compileGraph, type Executable } from "./jit-compile.js";
import { optimize, toGraph } from "./optimize.js";
import { stageFlat } from "./stage.js";

// biome-ignore lint/suspicious/noExplicitAny: jit accepts functions of any pytree signature
type AnyFn = (...args: any[]) => any;

/** Counters of a jitted function's cache. */
export interface JitStats {
  /** Calls that reused a compiled program. */
  hits: number;
  /** Calls that traced and compiled (one per new signature). */
  misses: number;
  /** Calls that ran inline because an argument was traced by an outer transformation. */
  inlined: number;
  /** Compiled signatures held. */
  size: number;
}

/** A jitted function: same signature as the original, plus its cache counters. */
export type Jitted<F extends AnyFn> = F & { readonly stats: JitStats };

interface Entry {
  run: Executable;
  outDef: TreeDef;
  outAvals: Aval[];
}

const leafKey = (l: Leaf, t: Tensor): string =>
  `${typeof l === "number" ? "n" : ""}${t.aval.dtype}${t.aval.weak ? "w" : ""}[${t.aval.shape.join(",")}]`;

/**
 * Compiles `f` for speed: the first call with a new signature (pytree structure, shapes, dtypes) traces
 * `f` to a program, optimizes it (dead code, common subexpressions, constant folding, algebraic
 * simplification, elementwise fusion) and compiles it; later calls with that signature run the compiled
 * program directly. Values `f` closes over are captured as constants when it is traced. Composes with every
 * transformation: `jit(grad(f))` compiles the whole gradient computation.
 * @example
 * ```ts
 * const f = nb.jit((x) => nb.sum(nb.mul(nb.tanh(x), nb.exp(nb.neg(nb.square(x))))));
 * f(nb.array([0.5, 1, 2])); // traced and compiled
 * f(nb.array([1, 2, 3]));   // runs the compiled program
 * nb.grad(f)(nb.array([0.5, 1, 2])); // inlined into the gradient
 * nb.jit(nb.grad((x) => nb.sum(nb.sin(x))))(nb.array([0, 1])); // the gradient program compiled: [1, 0.54]
 * ```
 */
export function jit<F extends AnyFn>(f: F): Jitted<F> {
  if (typeof f !== "function") throw new ValueError(`jit: expected a function, got ${typeof f}`);
  const cache = new Map<string, Entry>();
  const stats: JitStats = { hits: 0, misses: 0, inlined: 0, size: 0 };
  const jitted = (...args: unknown[]): unknown => {
    const [leaves, def] = flatten(args, "jit");
    for (const l of leaves)
      if (l instanceof Tracer) {
        stats.inlined++;
        return f(...args);
      }
    const xs = leaves.map((l) => toTensor(l));
    const backend = getBackend();
    let key = `${backend.name}|${treeString(def)}`;
    for (let i = 0; i < xs.length; i++) key += `|${leafKey(leaves[i]!, xs[i]!)}`;
    let entry = cache.get(key);
    if (entry === undefined) {
      stats.misses++;
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
      const graph = toGraph(program);
      if (graph === null) {
        // `f` closes over values traced by an enclosing transformation: evaluate the program through bind
        // so that transformation sees every operation (and do not cache what depends on its tracers).
        return unflatten(out.def!, program.run(xs));
      }
      entry = {
        run: compileGraph(optimize(graph, backend), backend),
        outDef: out.def!,
        outAvals: program.outs.map((v) => v.aval),
      };
      cache.set(key, entry);
      stats.size = cache.size;
    } else stats.hits++;
    const datas = entry.run(xs.map((x) => x.concrete().data));
    const avals = entry.outAvals;
    return unflatten(
      entry.outDef,
      datas.map((d, i) => new ConcreteTensor(d, avals[i]!)),
    ) as Pytree;
  };
  Object.defineProperty(jitted, "stats", { value: stats, enumerable: false });
  return jitted as unknown as Jitted<F>;
}
