// A staged nabla Program as a drawable graph: nodes, edges, and a layered left-to-right layout of our own.
import type * as nb from "nabla";

type Var = nb.Program["inVars"][number];

export type NodeKind = "input" | "const" | "op" | "output" | "dummy";

export interface GraphNode {
  id: number;
  kind: NodeKind;
  /** The primitive (`mul`), the input's name (`x`), or `out`. */
  label: string;
  /** The program line it stands for, e.g. `d = mul 2.0 c`. */
  detail: string;
  /** The value's type, e.g. `f64[]`. */
  type: string;
  layer: number;
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface GraphEdge {
  from: number;
  to: number;
  /** Centre-line points from the source's right side to the target's left side, via dummy nodes. */
  points: [number, number][];
}

export interface GraphLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
  eqns: number;
}

/** Graphs with more equations than this are not laid out (the program text is shown instead). */
export const MAX_GRAPH_EQNS = 400;

const SHORT: Record<string, string> = { float64: "f64", float32: "f32", int32: "i32", bool: "bool" };
const typeOf = (v: Var) => `${SHORT[v.aval.dtype] ?? v.aval.dtype}[${v.aval.shape.join(",")}]`;

function varName(i: number): string {
  let s = "";
  do {
    s = String.fromCharCode(97 + (i % 26)) + s;
    i = Math.floor(i / 26) - 1;
  } while (i >= 0);
  return s;
}

const fmtNumber = (x: number): string => (Number.isInteger(x) ? `${x}.0` : String(x));

function fmtParams(p: object): string {
  const entries = Object.entries(p);
  if (entries.length === 0) return "";
  const fmt = (v: unknown): string => (Array.isArray(v) ? `(${v.join(",")})` : String(v));
  return `[${entries.map(([k, v]) => `${k}=${fmt(v)}`).join(" ")}]`;
}

/**
 * The nodes and edges of a program: one node per input, non-scalar constant and equation, one `out` node
 * per output; scalar constants are written into their equation's line as the printed program does.
 * Variable names follow `String(program)`, so the picture and the text can be read side by side.
 */
export function programGraph(
  p: nb.Program,
  inputNames: readonly string[],
): { nodes: GraphNode[]; edges: [number, number][] } {
  const names = new Map<Var, string>();
  let counter = 0;
  const literal = new Map<Var, string>();
  p.constVars.forEach((v, i) => {
    const c = p.constValues[i]!;
    if (v.aval.shape.length === 0 && c.size === 1) {
      try {
        literal.set(v, fmtNumber(c.item()));
      } catch {
        // a traced constant: drawn as a node
      }
    }
  });
  const name = (v: Var): string => {
    let n = literal.get(v) ?? names.get(v);
    if (n === undefined) {
      n = varName(counter++);
      names.set(v, n);
    }
    return n;
  };
  const nodes: GraphNode[] = [];
  const producer = new Map<Var, number>();
  const edges: [number, number][] = [];
  const add = (kind: NodeKind, label: string, detail: string, type: string): number => {
    nodes.push({ id: nodes.length, kind, label, detail, type, layer: 0, x: 0, y: 0, w: 0, h: 0 });
    return nodes.length - 1;
  };
  p.constVars.forEach((v) => {
    if (literal.has(v)) return;
    const id = add("const", "const", `${name(v)} (constant)`, typeOf(v));
    producer.set(v, id);
  });
  p.inVars.forEach((v, i) => {
    const id = add(
      "input",
      inputNames[i] ?? `arg${i}`,
      `${name(v)} = ${inputNames[i] ?? `arg${i}`}`,
      typeOf(v),
    );
    producer.set(v, id);
  });
  for (const e of p.eqns) {
    const out = e.outs.map(name).join(" ");
    const line = `${out} = ${e.prim}${fmtParams(e.params as object)} ${e.inputs.map(name).join(" ")}`;
    const id = add("op", e.prim, line, e.outs.map(typeOf).join(" "));
    for (const v of e.inputs) {
      const src = producer.get(v);
      if (src !== undefined) edges.push([src, id]);
    }
    for (const v of e.outs) producer.set(v, id);
  }
  p.outs.forEach((v, i) => {
    const id = add("output", p.outs.length > 1 ? `out ${i + 1}` : "out", `result = ${name(v)}`, typeOf(v));
    const src = producer.get(v);
    if (src !== undefined) edges.push([src, id]);
  });
  return { nodes, edges };
}

const NODE_H = 38;
const ROW_GAP = 16;
const COL_GAP = 56;
const CHAR_W = 7.2;

/** Longest-path layers, dummy nodes on long edges, barycentre ordering, then coordinates. */
export function layoutGraph(
  graph: { nodes: GraphNode[]; edges: [number, number][] },
  eqns: number,
): GraphLayout {
  const nodes = graph.nodes.map((n) => ({ ...n }));
  const preds = nodes.map(() => [] as number[]);
  const succs = nodes.map(() => [] as number[]);
  for (const [a, b] of graph.edges) {
    preds[b]!.push(a);
    succs[a]!.push(b);
  }
  // Nodes are in program order, so every edge points forward: one pass gives the longest-path layers.
  for (const n of nodes) n.layer = preds[n.id]!.reduce((m, p) => Math.max(m, nodes[p]!.layer + 1), 0);
  const last = nodes.reduce((m, n) => Math.max(m, n.layer), 0);
  for (const n of nodes) {
    if (n.kind === "output") n.layer = Math.max(n.layer, last);
    // Constants sit just before their first use rather than in the first column.
    if (n.kind === "const" && succs[n.id]!.length > 0)
      n.layer = Math.max(0, Math.min(...succs[n.id]!.map((s) => nodes[s]!.layer)) - 1);
  }
  for (const n of nodes) {
    n.w = Math.max(44, Math.round(Math.max(n.label.length * 8, n.detail.length * CHAR_W * 0.86) + 18));
    n.h = NODE_H;
  }
  // Split long edges with dummy nodes so the ordering can route them.
  const chains: number[][] = [];
  for (const [a, b] of graph.edges) {
    const chain = [a];
    for (let l = nodes[a]!.layer + 1; l < nodes[b]!.layer; l++) {
      const id = nodes.length;
      nodes.push({ id, kind: "dummy", label: "", detail: "", type: "", layer: l, x: 0, y: 0, w: 8, h: 2 });
      preds.push([chain[chain.length - 1]!]);
      succs.push([]);
      succs[chain[chain.length - 1]!]!.push(id);
      chain.push(id);
    }
    chain.push(b);
    if (chain.length > 2) {
      // Replace the direct link by the chain's last hop.
      preds[b] = preds[b]!.map((p) => (p === a ? chain[chain.length - 2]! : p));
      succs[a] = succs[a]!.filter((s) => s !== b);
    }
    chains.push(chain);
  }
  const layers: number[][] = [];
  for (const n of nodes) (layers[n.layer] ??= []).push(n.id);
  for (let l = 0; l < layers.length; l++) layers[l] ??= [];
  const pos = new Float64Array(nodes.length);
  const setPos = () => {
    for (const layer of layers) layer.forEach((id, i) => (pos[id] = i));
  };
  setPos();
  const bary = (id: number, nbrs: number[][]) => {
    const ns = nbrs[id]!;
    return ns.length === 0 ? pos[id]! : ns.reduce((s, v) => s + pos[v]!, 0) / ns.length;
  };
  for (let sweep = 0; sweep < 6; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.keys() : [...layers.keys()].reverse();
    for (const l of order) {
      const layer = layers[l]!;
      const key = new Map(layer.map((id) => [id, bary(id, down ? preds : succs)]));
      layer.sort((a, b) => key.get(a)! - key.get(b)! || pos[a]! - pos[b]!);
      layer.forEach((id, i) => (pos[id] = i));
    }
  }
  // x: columns as wide as their widest node.
  const colW = layers.map((layer) => layer.reduce((m, id) => Math.max(m, nodes[id]!.w), 0));
  const colX: number[] = [];
  let x = 0;
  for (let l = 0; l < layers.length; l++) {
    colX.push(x);
    x += colW[l]! + COL_GAP;
  }
  const width = Math.max(0, x - COL_GAP);
  // y: stack each column, then pull nodes towards their neighbours' centres without reordering.
  const y = new Float64Array(nodes.length);
  const gap = (id: number) => nodes[id]!.h + (nodes[id]!.kind === "dummy" ? 6 : ROW_GAP);
  for (const layer of layers) {
    let t = 0;
    for (const id of layer) {
      y[id] = t + nodes[id]!.h / 2;
      t += gap(id);
    }
  }
  // Keep order and spacing, as close to the wanted centres as possible: the mean of the two one-sided fixes.
  const place = (layer: number[], want: (id: number) => number) => {
    const target = layer.map(want);
    const sep = (i: number) => (nodes[layer[i - 1]!]!.h + nodes[layer[i]!]!.h) / 2 + ROW_GAP * 0.6;
    const down = target.slice();
    for (let i = 1; i < down.length; i++) down[i] = Math.max(down[i]!, down[i - 1]! + sep(i));
    const up = target.slice();
    for (let i = up.length - 2; i >= 0; i--) up[i] = Math.min(up[i]!, up[i + 1]! - sep(i + 1));
    layer.forEach((id, i) => (y[id] = (down[i]! + up[i]!) / 2));
  };
  for (let it = 0; it < 4; it++) {
    for (let l = 1; l < layers.length; l++)
      place(layers[l]!, (id) =>
        preds[id]!.length ? preds[id]!.reduce((s, p) => s + y[p]!, 0) / preds[id]!.length : y[id]!,
      );
    for (let l = layers.length - 2; l >= 0; l--)
      place(layers[l]!, (id) =>
        succs[id]!.length ? succs[id]!.reduce((s, q) => s + y[q]!, 0) / succs[id]!.length : y[id]!,
      );
  }
  let minY = Number.POSITIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const n of nodes) {
    minY = Math.min(minY, y[n.id]! - n.h / 2);
    maxY = Math.max(maxY, y[n.id]! + n.h / 2);
  }
  if (!Number.isFinite(minY)) [minY, maxY] = [0, 0];
  for (const n of nodes) {
    n.x = colX[n.layer]! + (colW[n.layer]! - n.w) / 2;
    n.y = y[n.id]! - n.h / 2 - minY;
  }
  const edges: GraphEdge[] = chains.map((chain) => {
    const a = nodes[chain[0]!]!;
    const b = nodes[chain[chain.length - 1]!]!;
    const points: [number, number][] = [[a.x + a.w, a.y + a.h / 2]];
    for (const id of chain.slice(1, -1)) {
      const d = nodes[id]!;
      points.push([colX[d.layer]!, d.y + 1], [colX[d.layer]! + colW[d.layer]!, d.y + 1]);
    }
    points.push([b.x, b.y + b.h / 2]);
    return { from: a.id, to: b.id, points };
  });
  return {
    nodes: nodes.filter((n) => n.kind !== "dummy"),
    edges,
    width,
    height: maxY - minY,
    eqns,
  };
}
