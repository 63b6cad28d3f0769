// The buffer pass: after fusion, which values get an array of their own, which views must be made into
// arrays (a copy, or an alias of their base), and which arrays are kept and overwritten from run to run
// instead of allocated afresh. It hands the scheduler and the step builder a BufferPlan.
import { sizeOf } from "../core/shape.js";
import { baseOf, type FusionPlan } from "./groups.js";
import type { Graph } from "./optimize.js";

/**
 * Smallest intermediate whose buffer is kept across runs: large fresh arrays cost page faults and GC, while
 * small ones are cheap to allocate (and measured slower to share).
 */
export const REUSE_MIN = 1 << 17;

/** Which values are stored and how, by graph value (1 = yes). */
export interface BufferPlan {
  /** Values stored in an array (read by something other than a member of their own loop, or outputs). */
  readonly stored: Uint8Array;
  /** Views that must become arrays (read by a kernel, or returned): a copy step or an alias of the base. */
  readonly needCopy: Uint8Array;
  /** Stored values whose buffer is kept and overwritten from run to run. */
  readonly reusable: Uint8Array;
}

/** Plans the arrays of a fused graph (`fuse` as given to planFusion). */
export function planBuffers(g: Graph, f: FusionPlan, fuse: boolean): BufferPlan {
  const n = g.defs.length;
  const { groupOf, isSink, virtual } = f;
  const stored = new Uint8Array(n);
  for (const v of g.outputs) stored[baseOf(f, v)] = 1;
  g.defs.forEach((d, v) => {
    if (d.kind === "multi") for (const x of d.inputs) stored[baseOf(f, x)] = 1;
    if (d.kind !== "eqn") return;
    for (const x of d.inputs) {
      const inGroup = groupOf[v]! >= 0 && groupOf[v] === groupOf[x] && !isSink[x] && !virtual[x];
      if (!inGroup) stored[baseOf(f, x)] = 1;
    }
  });
  for (const grp of f.groups) for (const s of grp.sinks) stored[s] = 1;

  const needCopy = new Uint8Array(n);
  for (const v of g.outputs) if (virtual[v]) needCopy[v] = 1;
  g.defs.forEach((d, v) => {
    if (d.kind === "multi") for (const x of d.inputs) if (virtual[x]) needCopy[x] = 1;
    if (d.kind !== "eqn" || groupOf[v]! >= 0 || virtual[v]) return;
    for (const x of d.inputs) if (virtual[x]) needCopy[x] = 1;
  });

  const reusable = new Uint8Array(n);
  if (fuse) {
    const escapes = escaping(g, f, needCopy);
    for (const grp of f.groups)
      for (const m of grp.members)
        if (stored[m] && sizeOf(grp.shape) >= REUSE_MIN && escapes(m) === false) reusable[m] = 1;
  }
  return { stored, needCopy, reusable };
}

/**
 * Whether a value's buffer can leave a run: it is an output, or read by something other than a fused loop
 * (directly or through a view that is made into an array). Buffers that never leave can be reused.
 */
function escaping(g: Graph, f: FusionPlan, needCopy: Uint8Array): (v: number) => boolean {
  const n = g.defs.length;
  const consumers: number[][] = Array.from({ length: n }, () => []);
  g.defs.forEach((d, v) => {
    if (d.kind === "eqn" || d.kind === "multi") for (const x of d.inputs) consumers[x]!.push(v);
  });
  const isOutput = new Uint8Array(n);
  for (const v of g.outputs) isOutput[v] = 1;
  const escapes = (v: number): boolean => {
    if (isOutput[v] || needCopy[v]) return true;
    for (const c of consumers[v]!) if (f.virtual[c] ? escapes(c) : f.groupOf[c]! < 0) return true;
    return false;
  };
  return escapes;
}
