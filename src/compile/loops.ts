// From planned groups to loop descriptions: each fused group, and each view that must be copied, becomes a
// FusedSpec (backend/fusion.ts) — plain data an engine compiles — with the graph values its inputs are read
// from and its outputs are stored as.
import type { FusedArg, FusedInput, FusedNode, FusedOutput, FusedSpec } from "../backend/fusion.js";
import { sizeOf, stridesOf } from "../core/shape.js";
import type { BufferPlan } from "./buffers.js";
import { accessOf, type FusionPlan, internal, REDUCE } from "./groups.js";
import type { Graph } from "./optimize.js";
import { type Access, toLoop } from "./views.js";

/** A loop ready for an engine, and how it is wired to the graph's values. */
export interface Loop {
  readonly spec: FusedSpec;
  /** The stored value each of the spec's inputs reads. */
  readonly inputs: readonly number[];
  /** The value each of the spec's outputs is stored as. */
  readonly outputs: readonly number[];
}

type EqnDef = Extract<Graph["defs"][number], { kind: "eqn" }>;

/** The loop of group G: its members as nodes, stored members and reductions as outputs. */
export function groupLoop(g: Graph, f: FusionPlan, b: BufferPlan, G: number): Loop {
  const grp = f.groups[G]!;
  const loop = grp.shape;
  const inputs: FusedInput[] = [];
  const inputBases: number[] = [];
  const inputKeys = new Map<string, number>();
  const nodeIndex = new Map<number, number>();
  const arg = (x: number): FusedArg => {
    const d = g.defs[x]!;
    if (d.kind === "const" && d.value.data.length === 1) return { literal: d.value.data[0]! };
    if (internal(f, x, G)) return { node: nodeIndex.get(x)! };
    const a = accessOf(g, f, x);
    const base = g.defs[a.base]!;
    if (base.kind === "const" && base.value.data.length === 1 && !a.bounds)
      return { literal: base.value.data[0]! };
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
    const d = g.defs[m]! as EqnDef;
    nodes.push({ prim: d.prim as FusedNode["prim"], args: d.inputs.map(arg), dtype: g.avals[m]!.dtype });
    nodeIndex.set(m, nodes.length - 1);
  }
  const outputs: FusedOutput[] = [];
  const outValues: number[] = [];
  for (const m of grp.members)
    if (b.stored[m]) {
      outputs.push({ value: { node: nodeIndex.get(m)! }, dtype: g.avals[m]!.dtype, size: sizeOf(loop) });
      outValues.push(m);
    }
  for (const s of grp.sinks) {
    const d = g.defs[s]! as EqnDef;
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
  return { spec: { shape: loop, inputs, nodes, outputs }, inputs: inputBases, outputs: outValues };
}

/** Whether view `a` of value v is a contiguous run of its base, so it can alias the base's array. */
export function isContiguousRun(g: Graph, v: number, a: Access): boolean {
  const shape = g.avals[v]!.shape;
  const st = stridesOf(shape);
  return !a.bounds && shape.every((d, i) => d === 1 || a.strides[i] === st[i]);
}

/** The loop that copies view v (not a contiguous run of its base) into an array of its own. */
export function copyLoop(g: Graph, v: number, a: Access): Loop {
  const aval = g.avals[v]!;
  const input = toLoop(a, aval.shape, aval.shape, aval.dtype);
  const zero = input === "zero";
  return {
    spec: {
      shape: aval.shape,
      inputs: zero ? [] : [input],
      nodes: [],
      outputs: [{ value: zero ? { literal: 0 } : { input: 0 }, dtype: aval.dtype, size: sizeOf(aval.shape) }],
    },
    inputs: zero ? [] : [a.base],
    outputs: [v],
  };
}
