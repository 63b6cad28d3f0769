// Compiles an optimized graph (optimize.ts) to an executable: a list of steps over an environment of typed
// arrays, with every shape, stride and kernel decided once here. Data movement (reshape, broadcast,
// transpose, slice, rev, pad) becomes strided reads instead of copies; maximal chains of elementwise
// primitives of one shape, with the reductions that consume them, become one fused loop (one generated
// function: a whole scalar program runs as straight-line arithmetic); everything else calls the backend
// kernel directly.
import type { Backend } from "../backend/backend.js";
import type { Engine } from "../backend/engines.js";
import { canGenerateCode, compileFusedOn } from "../backend/fast/codegen.js";
import {
  type FusedArg,
  type FusedInput,
  type FusedNode,
  type FusedOutput,
  type FusedSpec,
  fusible,
  isElementwise,
  type ReduceKind,
} from "../backend/fusion.js";
import type { TypedArray } from "../core/dtype.js";
import type { PrimParams } from "../core/primitives.js";
import { shapesEqual, sizeOf, stridesOf } from "../core/shape.js";
import { type Aval, ConcreteTensor } from "../core/tensor.js";
import { matmulEngine } from "../debug/lower.js";
import { now } from "../debug/profile.js";
import { type Access, toLoop, viewAccess } from "./jit-views.js";
import type { Graph } from "./optimize.js";

/** What one step of an executable runs. */
export interface StepPlan {
  /** A fused loop, a matrix product, another backend kernel, or a view made into an array. */
  readonly kind: "fused" | "matmul" | "kernel" | "copy";
  /** The primitives it runs: a fused loop's elementwise members, then its reductions. */
  readonly prims: readonly string[];
  /** The loop's shape (a fused loop) or the output's shape. */
  readonly shape: readonly number[];
  /**
   * Who runs it: an engine of the fast backend (a fused loop's is known; a matrix product's is the one its
   * size selects), "kernel" for the backend's kernel of the primitive, "alias" for a view read in place.
   */
  readonly engine: Engine | "kernel" | "alias";
  /** Graph values whose arrays it reads (inputs, constants, earlier results). */
  readonly reads: readonly number[];
  /** Graph values it stores. */
  readonly writes: readonly number[];
  /** The subset of `writes` whose buffers are kept and overwritten from run to run. */
  readonly reused: readonly number[];
}

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

type Env = TypedArray[];

/**
 * Smallest intermediate whose buffer is kept across runs: large fresh arrays cost page faults and GC, while
 * small ones are cheap to allocate (and measured slower to share).
 */
const REUSE_MIN = 1 << 17;
type Step = (env: Env) => void;

const REDUCE: Partial<Record<string, ReduceKind>> = {
  reduce_sum: "sum",
  reduce_max: "max",
  reduce_min: "min",
  reduce_prod: "prod",
};

interface Group {
  shape: number[];
  /** Elementwise members (values) in topological order. */
  members: number[];
  /** Reductions consuming members or external values of the loop shape. */
  sinks: number[];
  /** The positions of its first and last members (elementwise or reduction). */
  minPos: number;
  maxPos: number;
  /** Values the group reads from outside itself (through their base when virtual). */
  externals: Set<number>;
}

type Unit = { kind: "group"; g: number } | { kind: "node"; v: number } | { kind: "copy"; v: number };

/** Compiles `g` for `backend`. Fusion needs generated code; without it every primitive runs its kernel. */
export function compileGraph(g: Graph, backend: Backend): Executable {
  const n = g.defs.length;
  const fuse = canGenerateCode() && backend.name !== "reference";
  const access: (Access | null)[] = new Array(n).fill(null);
  /** Values read only through an access (not stored). */
  const virtual = new Uint8Array(n);
  const groupOf = new Int32Array(n).fill(-1);
  const isSink = new Uint8Array(n);
  const groups: Group[] = [];
  const consumers: number[][] = Array.from({ length: n }, () => []);
  g.defs.forEach((d, v) => {
    if (d.kind === "eqn") for (const x of d.inputs) consumers[x]!.push(v);
  });
  const contiguous = (v: number): Access => ({ base: v, offset: 0, strides: stridesOf(g.avals[v]!.shape) });
  const accessOf = (v: number): Access => access[v] ?? contiguous(v);

  /**
   * A position below which no value outside a group can depend on group G. Positions alone are not enough:
   * a group runs as one unit, so anything that reads one of its early members waits for all of its inputs,
   * which may come after G's first member (tanh(c) joined by a later sum(exp(a))·tanh(c) makes a matrix
   * product of tanh(c) wait for that sum). Any group that starts below the bound and ends above it lowers the
   * bound to its start, until none does.
   */
  const independentBelow = (G: number): number => {
    let bound = groups[G]!.minPos;
    for (let changed = true; changed; ) {
      changed = false;
      for (let H = 0; H < groups.length; H++) {
        const h = groups[H]!;
        if (H !== G && h.minPos < bound && h.maxPos > bound) {
          bound = h.minPos;
          changed = true;
        }
      }
    }
    return bound;
  };
  /** Whether value v (transitively) depends on group G. */
  const dependsOn = (v: number, G: number): boolean => {
    let below = -1;
    const seenG = new Set<number>();
    const seenV = new Set<number>();
    const stack = [v];
    while (stack.length) {
      const x = stack.pop()!;
      const base = virtual[x] ? accessOf(x).base : x;
      const gi = groupOf[base]!;
      if (gi === G) return true;
      if (seenV.has(base)) continue;
      if (gi < 0) {
        const d = g.defs[base]!;
        if (d.kind !== "eqn") continue;
        // Inputs and constants depend on nothing; a value outside any group below that bound not on G.
        if (base < groups[G]!.minPos) {
          if (below < 0) below = independentBelow(G);
          if (base < below) continue;
        }
      }
      seenV.add(base);
      if (gi >= 0) {
        if (seenG.has(gi)) continue;
        seenG.add(gi);
        for (const y of groups[gi]!.externals) stack.push(y);
      } else {
        const d = g.defs[base]!;
        if (d.kind === "eqn") stack.push(...d.inputs);
      }
    }
    return false;
  };
  /** Whether `x`, read by a member of G, is one of G's own members (not a reduction result, not a view). */
  const internal = (x: number, G: number) => groupOf[x] === G && !isSink[x] && !virtual[x];
  const canJoin = (v: number, G: number): boolean => {
    const d = g.defs[v]!;
    if (d.kind !== "eqn") return false;
    for (const x of d.inputs) if (!internal(x, G) && dependsOn(x, G)) return false;
    return true;
  };
  const join = (v: number, G: number, sink: boolean) => {
    const grp = groups[G]!;
    groupOf[v] = G;
    if (sink) {
      isSink[v] = 1;
      grp.sinks.push(v);
    } else grp.members.push(v);
    grp.maxPos = Math.max(grp.maxPos, v);
    const d = g.defs[v]! as Extract<Graph["defs"][number], { kind: "eqn" }>;
    for (const x of d.inputs) if (!internal(x, G)) grp.externals.add(x);
  };
  /** Whether G and H can run as one loop: neither reaches the other through something outside both. */
  const canMerge = (G: number, H: number): boolean => {
    for (const x of groups[H]!.externals) if (!internal(x, G) && dependsOn(x, G)) return false;
    for (const x of groups[G]!.externals) if (!internal(x, H) && dependsOn(x, H)) return false;
    return true;
  };
  const merge = (G: number, H: number) => {
    const a = groups[G]!;
    const b = groups[H]!;
    for (const m of b.members) groupOf[m] = G;
    for (const m of b.sinks) groupOf[m] = G;
    a.members = [...a.members, ...b.members].sort((p, q) => p - q);
    a.sinks.push(...b.sinks);
    a.minPos = Math.min(a.minPos, b.minPos);
    a.maxPos = Math.max(a.maxPos, b.maxPos);
    const ext = new Set<number>();
    for (const x of [...a.externals, ...b.externals]) if (!internal(x, G)) ext.add(x);
    a.externals = ext;
    b.members = [];
    b.sinks = [];
    b.externals = new Set();
    b.maxPos = b.minPos;
  };
  const newGroup = (shape: readonly number[], v: number) => {
    groups.push({ shape: shape.slice(), members: [], sinks: [], minPos: v, maxPos: v, externals: new Set() });
    return groups.length - 1;
  };

  if (fuse)
    g.defs.forEach((d, v) => {
      if (d.kind !== "eqn") return;
      const aval = g.avals[v]!;
      const x = d.inputs[0]!;
      if (
        d.prim === "reshape" ||
        d.prim === "broadcast_in_dim" ||
        d.prim === "transpose" ||
        d.prim === "slice" ||
        d.prim === "rev" ||
        d.prim === "pad"
      ) {
        const a = viewAccess(d.prim, d.params, accessOf(x), g.avals[x]!.shape, aval.shape);
        if (a) {
          access[v] = a;
          virtual[v] = 1;
        }
        return;
      }
      if (isElementwise(d.prim) && fusible(d.prim, aval.dtype)) {
        // Candidate groups: those of inputs computed in a loop of this shape. Merge what can be merged.
        const cands: number[] = [];
        for (const y of d.inputs) {
          const G = groupOf[y]!;
          if (
            G >= 0 &&
            !isSink[y] &&
            !virtual[y] &&
            shapesEqual(groups[G]!.shape, aval.shape) &&
            !cands.includes(G)
          )
            cands.push(G);
        }
        for (let i = 1; i < cands.length; i++)
          if (canMerge(cands[0]!, cands[i]!)) {
            merge(cands[0]!, cands[i]!);
            cands.splice(i--, 1);
          }
        for (const G of cands)
          if (canJoin(v, G)) {
            join(v, G, false);
            return;
          }
        join(v, newGroup(aval.shape, v), false);
        return;
      }
      const kind = REDUCE[d.prim];
      if (kind !== undefined) {
        const G = groupOf[x]!;
        if (G >= 0 && !isSink[x] && !virtual[x]) join(v, G, true);
        else join(v, newGroup(g.avals[x]!.shape, v), true);
      }
    });

  // Which values must be stored: everything read by something other than a member of its own group.
  const stored = new Uint8Array(n);
  const baseOf = (x: number) => (virtual[x] ? accessOf(x).base : x);
  for (const v of g.outputs) stored[baseOf(v)] = 1;
  g.defs.forEach((d, v) => {
    if (d.kind !== "eqn") return;
    for (const x of d.inputs) {
      const inGroup = groupOf[v]! >= 0 && groupOf[v] === groupOf[x] && !isSink[x] && !virtual[x];
      if (!inGroup) stored[baseOf(x)] = 1;
    }
  });
  for (const grp of groups) for (const s of grp.sinks) stored[s] = 1;
  // Virtual values needed as arrays (by kernels or as outputs) get a copy step (or alias their base).
  const needCopy = new Uint8Array(n);
  for (const v of g.outputs) if (virtual[v]) needCopy[v] = 1;
  g.defs.forEach((d, v) => {
    if (d.kind !== "eqn" || groupOf[v]! >= 0 || virtual[v]) return;
    for (const x of d.inputs) if (virtual[x]) needCopy[x] = 1;
  });

  // Values whose buffers never leave a run: not outputs, read only by fused loops (directly or through views
  // that are never materialized). Their fused loops write into the same buffers on every run.
  const isOutput = new Uint8Array(n);
  for (const v of g.outputs) isOutput[v] = 1;
  const escapes = (v: number): boolean => {
    if (isOutput[v] || needCopy[v]) return true;
    for (const c of consumers[v]!) if (virtual[c] ? escapes(c) : groupOf[c]! < 0) return true;
    return false;
  };
  const reusable = new Uint8Array(n);
  if (fuse)
    for (const grp of groups)
      for (const m of grp.members)
        if (stored[m] && sizeOf(grp.shape) >= REUSE_MIN && !escapes(m)) reusable[m] = 1;

  // Units and their dependencies, then a topological order (Kahn, earliest position first).
  const units: Unit[] = [];
  const unitOf = new Int32Array(n).fill(-1);
  const unitOfGroup = groups.map(() => -1);
  g.defs.forEach((d, v) => {
    if (d.kind !== "eqn") return;
    if (groupOf[v]! >= 0) {
      const G = groupOf[v]!;
      if (unitOfGroup[G] === -1) {
        unitOfGroup[G] = units.length;
        units.push({ kind: "group", g: G });
      }
      unitOf[v] = unitOfGroup[G]!;
    } else if (!virtual[v]) {
      unitOf[v] = units.length;
      units.push({ kind: "node", v });
    }
    if (virtual[v] && needCopy[v]) {
      unitOf[v] = units.length;
      units.push({ kind: "copy", v });
    }
  });
  const deps = units.map(() => new Set<number>());
  const needs = (u: number, x: number) => {
    const base = virtual[x] ? accessOf(x).base : x;
    const p = unitOf[base]!;
    if (p >= 0 && p !== u) deps[u]!.add(p);
  };
  units.forEach((unit, u) => {
    if (unit.kind === "copy") needs(u, unit.v);
    else if (unit.kind === "node") {
      const d = g.defs[unit.v]!;
      if (d.kind === "eqn")
        for (const x of d.inputs) {
          if (virtual[x]) {
            const p = unitOf[x]!;
            if (p >= 0) deps[u]!.add(p);
          }
          needs(u, x);
        }
    } else {
      const grp = groups[unit.g]!;
      for (const m of [...grp.members, ...grp.sinks]) {
        const d = g.defs[m]!;
        if (d.kind === "eqn") for (const x of d.inputs) if (groupOf[x] !== unit.g || isSink[x]) needs(u, x);
      }
    }
  });
  const order = topoOrder(units.length, deps);

  // Build the steps.
  const template: Env = new Array(n);
  g.defs.forEach((d, v) => {
    if (d.kind === "const") template[v] = d.value.data;
  });
  const steps: Step[] = [];
  const labels: string[] = [];
  const plan: StepPlan[] = [];
  const state: RunState = { depth: 0 };
  const readsOf = (vs: Iterable<number>): number[] => {
    const r = new Set<number>();
    for (const x of vs) r.add(baseOf(x));
    return [...r].sort((a, b) => a - b);
  };
  for (const u of order) {
    const unit = units[u]!;
    labels.push(
      unit.kind === "group"
        ? `fused ${groups[unit.g]!.members.map((m) => (g.defs[m] as { prim: string }).prim).join(",")} | ${groups[unit.g]!.sinks.map((m) => (g.defs[m] as { prim: string }).prim).join(",")} [${groups[unit.g]!.shape}]`
        : unit.kind === "node"
          ? `${(g.defs[unit.v] as { prim: string }).prim} [${g.avals[unit.v]!.shape}]`
          : `copy [${g.avals[unit.v]!.shape}]`,
    );
    if (unit.kind === "node") {
      const d = g.defs[unit.v] as Extract<Graph["defs"][number], { kind: "eqn" }>;
      const shape = g.avals[unit.v]!.shape;
      const matmul = d.prim === "dot_general" && backend.name !== "reference";
      steps.push(nodeStep(g, unit.v, backend));
      plan.push({
        kind: matmul ? "matmul" : "kernel",
        prims: [d.prim],
        shape,
        engine: matmul
          ? matmulEngine(
              d.params as PrimParams["dot_general"],
              g.avals[d.inputs[0]!]!.shape,
              g.avals[d.inputs[1]!]!.shape,
              g.avals[unit.v]!.dtype,
            )
          : "kernel",
        reads: readsOf(d.inputs),
        writes: [unit.v],
        reused: [],
      });
    } else if (unit.kind === "copy") {
      const a = accessOf(unit.v);
      const { step, engine } = copyStep(unit.v, a, g.avals[unit.v]!, g.avals[a.base]!);
      steps.push(step);
      plan.push({
        kind: "copy",
        prims: [],
        shape: g.avals[unit.v]!.shape,
        engine,
        reads: [a.base],
        writes: [unit.v],
        reused: [],
      });
    } else {
      const grp = groups[unit.g]!;
      const { step, engine, writes } = groupStep(g, grp, unit.g, {
        groupOf,
        isSink,
        virtual,
        stored,
        reusable,
        accessOf,
        state,
      });
      steps.push(step);
      plan.push({
        kind: "fused",
        prims: [...grp.members, ...grp.sinks].map((m) => (g.defs[m] as { prim: string }).prim),
        shape: grp.shape,
        engine,
        reads: readsOf(grp.externals),
        writes,
        reused: writes.filter((v) => reusable[v] === 1),
      });
    }
  }
  const inputs = g.inputs;
  const outputs = g.outputs;
  const run = (args: readonly TypedArray[]) => {
    const env = template.slice();
    for (let i = 0; i < inputs.length; i++) env[inputs[i]!] = args[i]!;
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
    const env = template.slice();
    for (let i = 0; i < inputs.length; i++) env[inputs[i]!] = args[i]!;
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

function topoOrder(count: number, deps: Set<number>[]): number[] {
  const indeg = deps.map((d) => d.size);
  const users: number[][] = Array.from({ length: count }, () => []);
  deps.forEach((ds, u) => {
    for (const p of ds) users[p]!.push(u);
  });
  // Units are created in position order, so a min-heap on the unit index keeps the program's order.
  const heap: number[] = [];
  const pushH = (x: number) => {
    heap.push(x);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p]! <= x) break;
      heap[i] = heap[p]!;
      i = p;
    }
    heap[i] = x;
  };
  const popH = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const c = l + 1 < heap.length && heap[l + 1]! < heap[l]! ? l + 1 : l;
        if (heap[c]! >= last) break;
        heap[i] = heap[c]!;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  };
  indeg.forEach((d, u) => {
    if (d === 0) pushH(u);
  });
  const order: number[] = [];
  while (heap.length) {
    const u = popH();
    order.push(u);
    for (const w of users[u]!) if (--indeg[w]! === 0) pushH(w);
  }
  if (order.length !== count) throw new Error("jit: internal error: cyclic schedule");
  return order;
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

/** Materializes a view: a zero-copy alias when the view is a contiguous run of its base, else a copy. */
function copyStep(
  v: number,
  a: Access,
  aval: Aval,
  baseAval: Aval,
): { step: Step; engine: StepPlan["engine"] } {
  const size = sizeOf(aval.shape);
  const st = stridesOf(aval.shape);
  const contiguous = !a.bounds && aval.shape.every((d, i) => d === 1 || a.strides[i] === st[i]);
  if (contiguous) {
    const base = a.base;
    const off = a.offset;
    if (off === 0 && size === sizeOf(baseAval.shape))
      return {
        step: (env) => {
          env[v] = env[base]!;
        },
        engine: "alias",
      };
    return {
      step: (env) => {
        env[v] = env[base]!.subarray(off, off + size);
      },
      engine: "alias",
    };
  }
  const input = toLoop(a, aval.shape, aval.shape, aval.dtype);
  const spec: FusedSpec = {
    shape: aval.shape,
    inputs: input === "zero" ? [] : [input],
    nodes: [],
    outputs: [{ value: input === "zero" ? { literal: 0 } : { input: 0 }, dtype: aval.dtype, size }],
  };
  const { kernel: k, engine } = compileFusedOn(spec);
  const base = a.base;
  const step: Step =
    input === "zero"
      ? (env) => {
          env[v] = k([])[0]!;
        }
      : (env) => {
          env[v] = k([env[base]!])[0]!;
        };
  return { step, engine };
}

/** Runs of one executable in progress (kept buffers are used only by the outermost run). */
interface RunState {
  depth: number;
}

interface GroupInfo {
  groupOf: Int32Array;
  isSink: Uint8Array;
  virtual: Uint8Array;
  stored: Uint8Array;
  /** Values whose buffer is kept and overwritten from run to run. */
  reusable: Uint8Array;
  state: RunState;
  accessOf: (v: number) => Access;
}

/** One fused loop for a group. */
function groupStep(
  g: Graph,
  grp: Group,
  G: number,
  info: GroupInfo,
): { step: Step; engine: Engine; writes: number[] } {
  const loop = grp.shape;
  const inputs: FusedInput[] = [];
  const inputBases: number[] = [];
  const inputKeys = new Map<string, number>();
  const nodeIndex = new Map<number, number>();
  const arg = (x: number): FusedArg => {
    const d = g.defs[x]!;
    if (d.kind === "const" && d.value.data.length === 1) return { literal: d.value.data[0]! };
    if (info.groupOf[x] === G && !info.isSink[x] && !info.virtual[x]) return { node: nodeIndex.get(x)! };
    const a = info.accessOf(x);
    const b = g.defs[a.base]!;
    if (b.kind === "const" && b.value.data.length === 1 && !a.bounds) return { literal: b.value.data[0]! };
    const inp = toLoop(a, g.avals[x]!.shape, loop, g.avals[x]!.dtype);
    if (inp === "zero") return { literal: 0 };
    const key = `${a.base}|${JSON.stringify(inp)}`;
    let i = inputKeys.get(key);
    if (i === undefined) {
      i = inputs.length;
      inputs.push(inp);
      inputBases.push(a.base);
      inputKeys.set(key, i);
    }
    return { input: i };
  };
  const nodes: FusedNode[] = [];
  for (const m of grp.members) {
    const d = g.defs[m]! as Extract<Graph["defs"][number], { kind: "eqn" }>;
    nodes.push({ prim: d.prim as FusedNode["prim"], args: d.inputs.map(arg), dtype: g.avals[m]!.dtype });
    nodeIndex.set(m, nodes.length - 1);
  }
  const outputs: FusedOutput[] = [];
  const outValues: number[] = [];
  for (const m of grp.members)
    if (info.stored[m]) {
      outputs.push({ value: { node: nodeIndex.get(m)! }, dtype: g.avals[m]!.dtype, size: sizeOf(loop) });
      outValues.push(m);
    }
  for (const s of grp.sinks) {
    const d = g.defs[s]! as Extract<Graph["defs"][number], { kind: "eqn" }>;
    const axes = (d.params as { axes: number[] }).axes;
    const keep = loop.map((n, i) => (axes.includes(i) ? 1 : n));
    const kst = stridesOf(keep);
    outputs.push({
      value: arg(d.inputs[0]!),
      dtype: g.avals[s]!.dtype,
      reduce: REDUCE[d.prim]!,
      strides: keep.map((k, i) => (axes.includes(i) || k === 1 ? 0 : kst[i]!)),
      size: sizeOf(g.avals[s]!.shape),
    });
    outValues.push(s);
  }
  const { kernel: k, engine } = compileFusedOn({ shape: loop, inputs, nodes, outputs });
  const nIn = inputBases.length;
  const keep = outValues.map((v) => info.reusable[v] === 1);
  const state = info.state;
  const kept: (TypedArray | undefined)[] | undefined = keep.some((x) => x)
    ? new Array(outValues.length).fill(undefined)
    : undefined;
  const step: Step = (env) => {
    const ins: TypedArray[] = new Array(nIn);
    for (let i = 0; i < nIn; i++) ins[i] = env[inputBases[i]!]!;
    const reuse = kept !== undefined && state.depth === 1;
    const outs = k(ins, reuse ? kept : undefined);
    for (let i = 0; i < outValues.length; i++) {
      env[outValues[i]!] = outs[i]!;
      if (reuse && keep[i]) kept[i] = outs[i];
    }
  };
  return { step, engine, writes: outValues };
}
