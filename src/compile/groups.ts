// The fusion pass: which movement values become strided views of a stored array (views.ts), and which
// elementwise values, with the reductions that consume them, run together as one fused loop. It hands the
// next passes a FusionPlan: plain arrays indexed by graph value, plus the list of groups.
import { fusible, isElementwise, type ReduceKind } from "../backend/fusion.js";
import { shapesEqual, stridesOf } from "../core/shape.js";
import { type Graph, readsOf } from "./optimize.js";
import { type Access, viewAccess } from "./views.js";

/** The reductions a fused loop can end with. */
export const REDUCE: Partial<Record<string, ReduceKind>> = {
  reduce_sum: "sum",
  reduce_max: "max",
  reduce_min: "min",
  reduce_prod: "prod",
};

const VIEWS = new Set(["reshape", "broadcast_in_dim", "transpose", "slice", "rev", "pad"]);

/** Values that run as one loop. */
export interface Group {
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

/** What the fusion pass decided, by graph value. */
export interface FusionPlan {
  /** How a view is read from its stored base (null: the value is read as it is stored). */
  readonly access: (Access | null)[];
  /** 1 for a view that is read in place and never stored by itself. */
  readonly virtual: Uint8Array;
  /** The group of each value, or -1. */
  readonly groupOf: Int32Array;
  /** 1 for a reduction that ends its group's loop. */
  readonly isSink: Uint8Array;
  readonly groups: Group[];
}

/** How value v is read: through its view, or contiguously from its own array. */
export const accessOf = (g: Graph, f: FusionPlan, v: number): Access =>
  f.access[v] ?? { base: v, offset: 0, strides: stridesOf(g.avals[v]!.shape) };

/** The stored value whose array v is read from. */
export const baseOf = (f: FusionPlan, v: number): number => (f.virtual[v] ? f.access[v]!.base : v);

/** Whether `x`, read by a member of G, is one of G's own members (not a reduction result, not a view). */
export const internal = (f: FusionPlan, x: number, G: number): boolean =>
  f.groupOf[x] === G && !f.isSink[x] && !f.virtual[x];

/** Groups the graph's values into views and fused loops (with `fuse` false, nothing is grouped). */
export function planFusion(g: Graph, fuse: boolean): FusionPlan {
  const n = g.defs.length;
  const f: FusionPlan = {
    access: new Array(n).fill(null),
    virtual: new Uint8Array(n),
    groupOf: new Int32Array(n).fill(-1),
    isSink: new Uint8Array(n),
    groups: [],
  };
  if (fuse) g.defs.forEach((_, v) => place(g, f, v));
  return f;
}

/** Makes v a view, a member of a loop or a loop's reduction, or leaves it alone. */
function place(g: Graph, f: FusionPlan, v: number): void {
  const d = g.defs[v]!;
  if (d.kind !== "eqn") return;
  const aval = g.avals[v]!;
  const x = d.inputs[0]!;
  if (VIEWS.has(d.prim)) {
    const a = viewAccess(d.prim, d.params, accessOf(g, f, x), g.avals[x]!.shape, aval.shape);
    if (a) {
      f.access[v] = a;
      f.virtual[v] = 1;
    }
    return;
  }
  if (isElementwise(d.prim) && fusible(d.prim, aval.dtype)) {
    // Candidate groups: those of inputs computed in a loop of this shape. Merge what can be merged.
    const cands: number[] = [];
    for (const y of d.inputs) {
      const G = f.groupOf[y]!;
      if (G >= 0 && internal(f, y, G) && shapesEqual(f.groups[G]!.shape, aval.shape) && !cands.includes(G))
        cands.push(G);
    }
    for (let i = 1; i < cands.length; i++)
      if (canMerge(g, f, cands[0]!, cands[i]!)) {
        merge(f, cands[0]!, cands[i]!);
        cands.splice(i--, 1);
      }
    for (const G of cands)
      if (canJoin(g, f, v, G)) {
        join(g, f, v, G, false);
        return;
      }
    join(g, f, v, newGroup(f, aval.shape, v), false);
    return;
  }
  if (REDUCE[d.prim] !== undefined) {
    const G = f.groupOf[x]!;
    if (G >= 0 && internal(f, x, G)) join(g, f, v, G, true);
    else join(g, f, v, newGroup(f, g.avals[x]!.shape, v), true);
  }
}

function newGroup(f: FusionPlan, shape: readonly number[], v: number): number {
  f.groups.push({ shape: shape.slice(), members: [], sinks: [], minPos: v, maxPos: v, externals: new Set() });
  return f.groups.length - 1;
}

/**
 * A position below which no value outside a group can depend on group G. Positions alone are not enough:
 * a group runs as one unit, so anything that reads one of its early members waits for all of its inputs,
 * which may come after G's first member (tanh(c) joined by a later sum(exp(a))·tanh(c) makes a matrix
 * product of tanh(c) wait for that sum). Any group that starts below the bound and ends above it lowers the
 * bound to its start, until none does.
 */
function independentBelow(f: FusionPlan, G: number): number {
  let bound = f.groups[G]!.minPos;
  for (let changed = true; changed; ) {
    changed = false;
    for (let H = 0; H < f.groups.length; H++) {
      const h = f.groups[H]!;
      if (H !== G && h.minPos < bound && h.maxPos > bound) {
        bound = h.minPos;
        changed = true;
      }
    }
  }
  return bound;
}

/** Whether value v (transitively) depends on group G. */
function dependsOn(g: Graph, f: FusionPlan, v: number, G: number): boolean {
  let below = -1;
  const seenG = new Set<number>();
  const seenV = new Set<number>();
  const stack = [v];
  while (stack.length) {
    const base = baseOf(f, stack.pop()!);
    const gi = f.groupOf[base]!;
    if (gi === G) return true;
    if (seenV.has(base)) continue;
    if (gi < 0) {
      const kind = g.defs[base]!.kind;
      if (kind === "input" || kind === "const") continue;
      // Inputs and constants depend on nothing; a value outside any group below that bound not on G.
      if (base < f.groups[G]!.minPos) {
        if (below < 0) below = independentBelow(f, G);
        if (base < below) continue;
      }
    }
    seenV.add(base);
    if (gi >= 0) {
      if (seenG.has(gi)) continue;
      seenG.add(gi);
      for (const y of f.groups[gi]!.externals) stack.push(y);
    } else {
      // Through a multi-output primitive's outputs too (a cond reading the group).
      stack.push(...readsOf(g.defs[base]!));
    }
  }
  return false;
}

function canJoin(g: Graph, f: FusionPlan, v: number, G: number): boolean {
  const d = g.defs[v]!;
  if (d.kind !== "eqn") return false;
  for (const x of d.inputs) if (!internal(f, x, G) && dependsOn(g, f, x, G)) return false;
  return true;
}

function join(g: Graph, f: FusionPlan, v: number, G: number, sink: boolean): void {
  const grp = f.groups[G]!;
  f.groupOf[v] = G;
  if (sink) {
    f.isSink[v] = 1;
    grp.sinks.push(v);
  } else grp.members.push(v);
  grp.maxPos = Math.max(grp.maxPos, v);
  const d = g.defs[v]! as Extract<Graph["defs"][number], { kind: "eqn" }>;
  for (const x of d.inputs) if (!internal(f, x, G)) grp.externals.add(x);
}

/** Whether G and H can run as one loop: neither reaches the other through something outside both. */
function canMerge(g: Graph, f: FusionPlan, G: number, H: number): boolean {
  for (const x of f.groups[H]!.externals) if (!internal(f, x, G) && dependsOn(g, f, x, G)) return false;
  for (const x of f.groups[G]!.externals) if (!internal(f, x, H) && dependsOn(g, f, x, H)) return false;
  return true;
}

function merge(f: FusionPlan, G: number, H: number): void {
  const a = f.groups[G]!;
  const b = f.groups[H]!;
  for (const m of b.members) f.groupOf[m] = G;
  for (const m of b.sinks) f.groupOf[m] = G;
  a.members = [...a.members, ...b.members].sort((p, q) => p - q);
  a.sinks.push(...b.sinks);
  a.minPos = Math.min(a.minPos, b.minPos);
  a.maxPos = Math.max(a.maxPos, b.maxPos);
  const ext = new Set<number>();
  for (const x of [...a.externals, ...b.externals]) if (!internal(f, x, G)) ext.add(x);
  a.externals = ext;
  b.members = [];
  b.sinks = [];
  b.externals = new Set();
  b.maxPos = b.minPos;
}
