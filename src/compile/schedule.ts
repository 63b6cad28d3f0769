// The scheduling pass: the units that run (a fused loop, a primitive's kernel, a view made into an array),
// their dependencies, and one order that respects them while keeping the program's own order where it can.
// It hands the step builder the units in run order.
import type { BufferPlan } from "./buffers.js";
import { baseOf, type FusionPlan } from "./groups.js";
import type { Graph } from "./optimize.js";

/** One step to run: group g's fused loop, value v's kernel, or a view v made into an array. */
export type Unit =
  | { kind: "group"; g: number }
  | { kind: "node"; v: number }
  | { kind: "copy"; v: number }
  /** A multi-output primitive at value v, writing its part values. */
  | { kind: "call"; v: number };

/** The units of a planned graph, in an order where each runs after everything it reads. */
export function schedule(g: Graph, f: FusionPlan, b: BufferPlan): Unit[] {
  const { units, unitOf } = unitsOf(g, f, b);
  const deps = units.map(() => new Set<number>());
  const needs = (u: number, x: number) => {
    const p = unitOf[baseOf(f, x)]!;
    if (p >= 0 && p !== u) deps[u]!.add(p);
  };
  units.forEach((unit, u) => {
    if (unit.kind === "copy") needs(u, unit.v);
    else if (unit.kind === "node" || unit.kind === "call") {
      const d = g.defs[unit.v]!;
      if (d.kind === "eqn" || d.kind === "multi")
        for (const x of d.inputs) {
          if (f.virtual[x]) {
            const p = unitOf[x]!;
            if (p >= 0) deps[u]!.add(p);
          }
          needs(u, x);
        }
    } else {
      const grp = f.groups[unit.g]!;
      for (const m of [...grp.members, ...grp.sinks]) {
        const d = g.defs[m]!;
        if (d.kind === "eqn")
          for (const x of d.inputs) if (f.groupOf[x] !== unit.g || f.isSink[x]) needs(u, x);
      }
    }
  });
  return topoOrder(units.length, deps).map((u) => units[u]!);
}

/** The units in program position order, and the unit that produces each value (-1: none). */
function unitsOf(g: Graph, f: FusionPlan, b: BufferPlan): { units: Unit[]; unitOf: Int32Array } {
  const units: Unit[] = [];
  const unitOf = new Int32Array(g.defs.length).fill(-1);
  const unitOfGroup = f.groups.map(() => -1);
  g.defs.forEach((d, v) => {
    if (d.kind === "multi") {
      unitOf[v] = units.length;
      units.push({ kind: "call", v });
    }
    // A multi-output primitive's outputs come from its unit.
    if (d.kind === "part") unitOf[v] = unitOf[d.of]!;
    if (d.kind !== "eqn") return;
    const G = f.groupOf[v]!;
    if (G >= 0) {
      if (unitOfGroup[G] === -1) {
        unitOfGroup[G] = units.length;
        units.push({ kind: "group", g: G });
      }
      unitOf[v] = unitOfGroup[G]!;
    } else if (!f.virtual[v]) {
      unitOf[v] = units.length;
      units.push({ kind: "node", v });
    }
    if (f.virtual[v] && b.needCopy[v]) {
      unitOf[v] = units.length;
      units.push({ kind: "copy", v });
    }
  });
  return { units, unitOf };
}

/** Kahn's algorithm, always taking the earliest unit that is ready (units are created in position order). */
function topoOrder(count: number, deps: Set<number>[]): number[] {
  const indeg = deps.map((d) => d.size);
  const users: number[][] = Array.from({ length: count }, () => []);
  deps.forEach((ds, u) => {
    for (const p of ds) users[p]!.push(u);
  });
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
