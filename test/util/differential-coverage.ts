// What a set of random programs covers: ops, custom rules, contraction layouts, kernel size classes.
import type { Program } from "./differential-ops.js";
import { sizeOfShape } from "./differential-ops.js";

export interface Coverage {
  ops: Set<string>;
  unary: Set<string>;
  binary: Set<string>;
  wrappers: Set<string>;
  /** Contraction layouts (permuted, rotated, interleaved, batch, no-free-operand) and size classes. */
  features: Set<string>;
}

/** How the contracted axes of b follow those of a: in order, a rotation of that order, or another order. */
function pairing(aAxes: readonly number[], bAxes: readonly number[]): string {
  const order = aAxes.map((a, i) => [a, bAxes[i]!] as const).sort((x, y) => x[0] - y[0]);
  const b = order.map((p) => p[1]);
  const sorted = b.slice().sort((x, y) => x - y);
  if (b.join() === sorted.join()) return "in-order";
  for (let k = 1; k < b.length; k++)
    if ([...b.slice(k), ...b.slice(0, k)].join() === sorted.join()) return "rotated";
  return "permuted";
}

/** Whether `axes` are not contiguous among the dims of an operand of rank `nd` (other dims between them). */
const interleaved = (axes: readonly number[]) => {
  const s = axes.slice().sort((x, y) => x - y);
  return s.length > 1 && s[s.length - 1]! - s[0]! !== s.length - 1;
};

/** Which operations, functions, wrappers, contraction layouts and size classes `progs` contain. */
export function coverageOf(progs: readonly Program[]): Coverage {
  const cov: Coverage = {
    ops: new Set(),
    unary: new Set(),
    binary: new Set(),
    wrappers: new Set(),
    features: new Set(),
  };
  const product = (M: number, K: number, N: number) => {
    const work = M * K * N;
    if ((M <= 3 || N <= 3) && work >= 2048) cov.features.add("thin");
    if (work >= 2048 && work < 13824) cov.features.add("native");
    if (work >= 13824) cov.features.add("wasm");
    if (work >= 2 ** 21) cov.features.add("threads");
  };
  const contracted = (sa: number[], sb: number[], ca: number[], cb: number[], ba: number[], bb: number[]) => {
    if (ca.length > 1) cov.features.add(pairing(ca, cb));
    if (interleaved(ca) || interleaved(cb)) cov.features.add("interleaved");
    if (ba.length > 0) cov.features.add("batch");
    if (ca.length + ba.length === sa.length || cb.length + bb.length === sb.length)
      cov.features.add("no-free-operand");
    const B = sizeOfShape(ba.map((i) => sa[i]!));
    const K = sizeOfShape(ca.map((i) => sa[i]!));
    const per = (s: number[]) => sizeOfShape(s) / Math.max(1, B * K);
    product(per(sa), K, per(sb));
  };
  for (const prog of progs) {
    const shape = (v: number) =>
      v < prog.inputs.length ? prog.inputs[v]!.shape : prog.nodes[v - prog.inputs.length]!.shape;
    for (const n of prog.nodes) {
      if (sizeOfShape(n.shape) >= 200_000) cov.features.add("loop");
      const inner = n.op === "wrap" ? n.p.inner! : { op: n.op, p: n.p };
      if (n.op === "wrap") cov.wrappers.add(n.p.wrapper!);
      cov.ops.add(n.op);
      cov.ops.add(inner.op);
      if (inner.op === "unary") cov.unary.add(inner.p.fn!);
      if (inner.op === "binary") cov.binary.add(inner.p.fn!);
      const [sa, sb] = n.args.map(shape) as [number[], number[]];
      const norm = (axes: number[], nd: number) => axes.map((a) => (a < 0 ? a + nd : a));
      if (inner.op === "tensordot")
        contracted(sa, sb, norm(inner.p.axesA!, sa.length), norm(inner.p.axesB!, sb.length), [], []);
      if (inner.op === "dotGeneral") {
        const d = inner.p.dims!;
        contracted(sa, sb, d.lhsContract, d.rhsContract, d.lhsBatch, d.rhsBatch);
      }
      if (inner.op === "einsum") {
        const [ins, out] = inner.p.spec!.split("->") as [string, string];
        const [la, lb] = ins.split(",") as [string, string];
        const shared = [...la].filter((c) => lb.includes(c));
        const con = shared.filter((c) => !out.includes(c));
        const bat = shared.filter((c) => out.includes(c));
        // Letters summed within one operand are reduced before the product.
        const keepA = [...la].filter((c) => lb.includes(c) || out.includes(c));
        const keepB = [...lb].filter((c) => la.includes(c) || out.includes(c));
        const sizeA = keepA.map((c) => sa[la.indexOf(c)]!);
        const sizeB = keepB.map((c) => sb[lb.indexOf(c)]!);
        const at = (keep: string[], cs: string[]) => cs.map((c) => keep.indexOf(c));
        contracted(sizeA, sizeB, at(keepA, con), at(keepB, con), at(keepA, bat), at(keepB, bat));
      }
      if (inner.op === "matmul" && sa.length >= 1 && sb.length >= 1) {
        const K = sa[sa.length - 1]!;
        product(sa.length >= 2 ? sa[sa.length - 2]! : 1, K, sb.length >= 2 ? sb[sb.length - 1]! : 1);
      }
    }
  }
  return cov;
}

/** Whether node `op`/`p` is a function with a custom rule (custom JVP/VJP, logSumExp, checkpoint). */
function customRule(op: string, p: Program["nodes"][number]["p"]): boolean {
  if (op === "wrap") return true;
  if (op === "unary") return ["softplus", "xTanh", "smoothAbs"].includes(p.fn!);
  if (op === "binary") return ["hypot1", "mulVjp"].includes(p.fn!);
  return op === "reduce" && p.fn === "logSumExp";
}

/**
 * How many calls of functions with custom rules read only values that do not depend on a mapped input,
 * under vmap with `inAxes` (null: unmapped): the calls a batching rule sees with every argument unbatched.
 */
export function unmappedCustomCalls(prog: Program, inAxes: readonly (number | null)[]): number {
  const nIn = prog.inputs.length;
  const mapped = inAxes.map((a) => a !== null);
  let count = 0;
  prog.nodes.forEach((n) => {
    const m = n.args.some((a) => mapped[a]);
    if (!m && customRule(n.op, n.p)) count++;
    mapped.push(m);
  });
  return nIn > 0 ? count : 0;
}
