// Fused float32 elementwise kernels in WebAssembly SIMD (four lanes at a time): a FusedSpec whose values are
// all float32 (comparisons inside the loop become lane masks) and whose inputs are contiguous or scalar
// becomes a small module of its own, with the vector math of vmath.ts (exp, expm1, log, log1p, sin, cos,
// tanh, logistic). Inputs are copied into WebAssembly memory and outputs out (so tensors stay plain
// arrays); long loops run split across threads (threads/elementwise.ts), with bit-identical results. The
// math functions are within about one unit in the last place of the reference backend;
// test/backend/backend-fast.test.ts measures them.
import { sizeOf, stridesOf } from "../../core/shape.js";
import type { FusedArg, FusedKernel, FusedNode, FusedSpec } from "../fusion.js";
import {
  runHere,
  SHARED_MAX_PAGES,
  type Stage,
  splitTarget,
  type Target,
  THREAD_MIN_WORK,
} from "../threads/elementwise.js";
import { assemble, Func, I32, SIMD, V128 } from "./emit.js";
import { instantiate, memoryOf, simdSupported } from "./runtime.js";
import {
  constantTable,
  emitExp,
  emitExpm1,
  emitLog,
  emitLog1p,
  emitLogistic,
  emitSign,
  emitSinCos,
  emitTanh,
  MATH_IMPORTS,
  mathImports,
  splat,
} from "./vmath.js";

/** One vector instruction each. */
const SIMPLE_UNARY: Record<string, number> = {
  neg: SIMD.f32x4Neg,
  abs: SIMD.f32x4Abs,
  sqrt: SIMD.f32x4Sqrt,
  floor: SIMD.f32x4Floor,
  ceil: SIMD.f32x4Ceil,
  round: SIMD.f32x4Nearest,
};
const MATH_UNARY: Record<string, (f: Func, x: number) => void> = {
  exp: emitExp,
  expm1: emitExpm1,
  log: emitLog,
  log1p: emitLog1p,
  tanh: emitTanh,
  logistic: emitLogistic,
  sign: emitSign,
};
const TRIG = new Set(["sin", "cos"]);
const UNARY = new Set([...Object.keys(SIMPLE_UNARY), ...Object.keys(MATH_UNARY), ...TRIG, "stop_gradient"]);
const ARITH: Record<string, number> = {
  add: SIMD.f32x4Add,
  sub: SIMD.f32x4Sub,
  mul: SIMD.f32x4Mul,
  div: SIMD.f32x4Div,
};
const BINARY = new Set([...Object.keys(ARITH), "max", "min"]);
/** Comparisons as lane masks; ne is true for NaN operands, the others false, as in the reference. */
const COMPARE: Record<string, number> = {
  eq: SIMD.f32x4Eq,
  ne: SIMD.f32x4Ne,
  lt: SIMD.f32x4Lt,
  le: SIMD.f32x4Le,
  gt: SIMD.f32x4Gt,
  ge: SIMD.f32x4Ge,
};
/** Rough cost per element of a node, in vector additions (sin and cos of one operand share their cost). */
const COST: Record<string, number> = { sin: 35, cos: 35, div: 3, sqrt: 3 };
for (const p of Object.keys(MATH_UNARY)) COST[p] = p === "sign" ? 3 : 15;

/** The estimated work per element of a loop (its loads, nodes and stores). */
function loopCost(spec: FusedSpec): number {
  let cost = spec.inputs.length + spec.outputs.length;
  const trig = new Set<string>();
  for (const n of spec.nodes) {
    if (TRIG.has(n.prim)) {
      const key = argKey(n.args[0]!);
      if (trig.has(key)) continue;
      trig.add(key);
    }
    cost += COST[n.prim] ?? 1;
  }
  return cost;
}

/** Index of the first pointer parameter of a kernel (after start and end). */
const PTR = 2;
/** Smallest loop worth the copies (four float32 lanes beat V8's scalar loop even for one addition). */
const MIN_SIZE = 2048;

/** A whole input, or its elements lo ≤ i < hi (zero elsewhere: padding along the one non-unit dim). */
type Read = "full" | "scalar" | { lo: number; hi: number };
/** What a value holds per lane: a float32, or a bool as a mask (all ones or all zeros). */
type Kind = "f32" | "mask";

/** The kind of each node, or null when some node is not one this module runs. */
function nodeKinds(spec: FusedSpec): Kind[] | null {
  const kinds: Kind[] = [];
  const kindOf = (a: FusedArg): Kind => ("node" in a ? kinds[a.node]! : "f32");
  for (const n of spec.nodes) {
    const args = n.args.map(kindOf);
    const allF32 = args.every((k) => k === "f32");
    let kind: Kind | null = null;
    if (n.dtype === "float32") {
      if ((UNARY.has(n.prim) && args.length === 1) || (BINARY.has(n.prim) && args.length === 2))
        kind = allF32 ? "f32" : null;
      else if (n.prim === "select_n")
        kind =
          args.length === 3 && args[0] === "mask" && args[1] === "f32" && args[2] === "f32" ? "f32" : null;
      else if (n.prim === "convert_element_type") kind = "f32";
    } else if (n.dtype === "bool") {
      if (n.prim in COMPARE) kind = allF32 ? "mask" : null;
      else if (n.prim === "convert_element_type") kind = args[0] === "f32" ? "mask" : null;
    }
    if (kind === null) return null;
    kinds.push(kind);
  }
  return kinds;
}

/** How each input is read, or null when the spec is not a float32 kernel this module can run. */
function plan(spec: FusedSpec): Read[] | null {
  if (!simdSupported()) return null;
  const n = sizeOf(spec.shape);
  if (n < MIN_SIZE) return null;
  const kinds = nodeKinds(spec);
  if (kinds === null) return null;
  for (const o of spec.outputs) {
    if (o.reduce !== undefined || o.dtype !== "float32") return null;
    if ("node" in o.value && kinds[o.value.node] !== "f32") return null;
  }
  const contiguous = stridesOf(spec.shape);
  const reads: Read[] = [];
  const long = spec.shape.map((d) => d !== 1);
  const axis = long.indexOf(true);
  for (const inp of spec.inputs) {
    if (inp.dtype !== "float32") return null;
    const full = inp.strides.every((s, d) => s === contiguous[d] || spec.shape[d] === 1);
    if (inp.bounds) {
      // Padded reads only along a single non-unit dim: elements lo..hi of a contiguous run.
      if (!full || axis < 0 || long.lastIndexOf(true) !== axis) return null;
      let empty = false;
      spec.shape.forEach((_, d) => {
        if (d !== axis && !(inp.bounds!.lo[d]! <= 0 && inp.bounds!.hi[d]! > 0)) empty = true;
      });
      const lo = empty ? 0 : Math.min(Math.max(inp.bounds.lo[axis]!, 0), n);
      const hi = empty ? 0 : Math.max(Math.min(inp.bounds.hi[axis]!, n), lo);
      reads.push({ lo, hi });
    } else if (inp.strides.every((s) => s === 0)) reads.push("scalar");
    else if (full) reads.push("full");
    else return null;
  }
  return reads;
}

/**
 * Emits one node's value onto the stack; `arg` pushes an operand, `isMask` tells whether it is a mask, and
 * `trig` gives the sin/cos locals of an operand.
 */
function emitNode(
  f: Func,
  n: FusedNode,
  arg: (a: FusedArg) => void,
  isMask: (a: FusedArg) => boolean,
  trig: (a: FusedArg) => { sin?: number; cos?: number },
): void {
  const [a, b, c] = n.args;
  const p = n.prim;
  if (p in SIMPLE_UNARY) {
    arg(a!);
    f.simd(SIMPLE_UNARY[p]!);
  } else if (p in MATH_UNARY) {
    const t = f.local(V128);
    arg(a!);
    f.set(t);
    MATH_UNARY[p]!(f, t);
  } else if (TRIG.has(p)) f.get(trig(a!)[p as "sin" | "cos"]!);
  else if (p === "stop_gradient") arg(a!);
  else if (p in ARITH) {
    arg(a!);
    arg(b!);
    f.simd(ARITH[p]!);
  } else if (p === "max" || p === "min") {
    // Reference semantics: x if (x ≥ y or x is NaN) else y (and ≤ for min).
    const ta = f.local(V128);
    const tb = f.local(V128);
    arg(a!);
    f.set(ta);
    arg(b!);
    f.set(tb);
    f.get(ta).get(tb);
    f.get(ta)
      .get(tb)
      .simd(p === "max" ? SIMD.f32x4Ge : SIMD.f32x4Le);
    f.get(ta).get(ta).simd(SIMD.f32x4Ne).simd(SIMD.or);
    f.simd(SIMD.bitselect);
  } else if (p in COMPARE) {
    arg(a!);
    arg(b!);
    f.simd(COMPARE[p]!);
  } else if (p === "select_n") {
    // select_n(pred, false case, true case)
    arg(c!);
    arg(b!);
    arg(a!);
    f.simd(SIMD.bitselect);
  } else if (p === "convert_element_type") emitConvert(f, n, a!, arg, isMask(a!));
  else throw new Error(`no vector form for ${p}`);
}

/** float32 → float32 is the identity; bool (mask) → float32 is 1 or 0; float32 → bool is x ≠ 0 (NaN false). */
function emitConvert(f: Func, n: FusedNode, a: FusedArg, arg: (a: FusedArg) => void, mask: boolean): void {
  if (n.dtype === "bool") {
    const t = f.local(V128);
    arg(a);
    f.set(t);
    f.get(t);
    splat(f, 0).simd(SIMD.f32x4Lt);
    f.get(t);
    splat(f, 0).simd(SIMD.f32x4Gt).simd(SIMD.or);
    return;
  }
  arg(a);
  if (mask) splat(f, 1).simd(SIMD.and);
}

/**
 * k(start, end, in0, …, out0, …) computes byte offsets start ≤ o < end (multiples of 32) of every vector run;
 * each pointer is the address of an input's run (or of one float32, for scalar inputs) or an output's.
 */
function emitKernel(spec: FusedSpec, reads: Read[], kinds: Kind[]): Func {
  const nIn = spec.inputs.length;
  const f = new Func(
    "k",
    Array.from({ length: PTR + nIn + spec.outputs.length }, () => I32),
  );
  const o = f.local(I32);
  // Two independent vectors per iteration, so one's long dependency chain (exp, division) overlaps the
  // other's.
  const vins = [0, 1].map(() => reads.map(() => f.local(V128)));
  const vnodes = [0, 1].map(() => spec.nodes.map(() => f.local(V128)));
  // Scalars are read once.
  reads.forEach((r, j) => {
    if (r === "scalar") {
      f.get(PTR + j)
        .op(0x2a, 2, 0)
        .simd(SIMD.f32x4Splat)
        .set(vins[0]![j]!);
      vins[1]![j] = vins[0]![j]!;
    }
  });
  const wanted = trigWanted(spec);
  f.get(0).set(o);
  f.block(() => {
    f.loop(() => {
      f.get(o).get(1).op(0x4e /* ge_s */).brIf(1);
      for (let u = 0; u < 2; u++) emitStep(f, spec, kinds, reads, vins[u]!, vnodes[u]!, o, u * 16, wanted);
      f.get(o).i32(32).i32Add().set(o).br(0);
    });
  });
  return f;
}

const argKey = (a: FusedArg) => JSON.stringify(a);

/** For each operand of sin or cos: which of the two the spec takes of it (both come from one reduction). */
function trigWanted(spec: FusedSpec): Map<string, Set<string>> {
  const wanted = new Map<string, Set<string>>();
  for (const n of spec.nodes)
    if (TRIG.has(n.prim)) {
      const k = argKey(n.args[0]!);
      if (!wanted.has(k)) wanted.set(k, new Set());
      wanted.get(k)!.add(n.prim);
    }
  return wanted;
}

/** One vector of the loop: loads at byte offset `at` past index `o`, every node, the stores. */
function emitStep(
  f: Func,
  spec: FusedSpec,
  kinds: Kind[],
  reads: Read[],
  vin: number[],
  vnode: number[],
  o: number,
  at: number,
  wanted: Map<string, Set<string>>,
): void {
  const nIn = spec.inputs.length;
  reads.forEach((r, j) => {
    if (r !== "scalar")
      f.get(PTR + j)
        .get(o)
        .i32Add()
        .vload(at)
        .set(vin[j]!);
  });
  const arg = (a: FusedArg) => {
    if ("input" in a) f.get(vin[a.input]!);
    else if ("node" in a) f.get(vnode[a.node]!);
    else splat(f, a.literal);
  };
  const isMask = (a: FusedArg) => "node" in a && kinds[a.node] === "mask";
  const trigDone = new Map<string, { sin?: number; cos?: number }>();
  const trig = (a: FusedArg) => {
    const key = argKey(a);
    let t = trigDone.get(key);
    if (t === undefined) {
      const want = wanted.get(key)!;
      t = {
        sin: want.has("sin") ? f.local(V128) : undefined,
        cos: want.has("cos") ? f.local(V128) : undefined,
      };
      const x = f.local(V128);
      arg(a);
      f.set(x);
      emitSinCos(f, x, t);
      trigDone.set(key, t);
    }
    return t;
  };
  spec.nodes.forEach((n, k) => {
    emitNode(f, n, arg, isMask, trig);
    f.set(vnode[k]!);
  });
  spec.outputs.forEach((out, j) => {
    f.get(PTR + nIn + j)
      .get(o)
      .i32Add();
    arg(out.value);
    f.vstore(at);
  });
}

/** Kernels of compileSimdF32 that split their loop across threads. */
export const splitKernels = new WeakSet<FusedKernel>();

/**
 * Compiles `spec` to a WebAssembly kernel, or returns null when it does not qualify. `threads: false` keeps
 * a large loop on the calling thread (the one-thread result, for comparison).
 */
export function compileSimdF32(spec: FusedSpec, threads = true): FusedKernel | null {
  const reads = plan(spec);
  if (reads === null) return null;
  const f = emitKernel(spec, reads, nodeKinds(spec)!);
  const table = constantTable(f);
  const nIn = spec.inputs.length;
  const nOut = spec.outputs.length;
  // Long loops run split across threads when there are any (on a shared memory, bit-identical results).
  if (threads && sizeOf(spec.shape) * loopCost(spec) >= THREAD_MIN_WORK) {
    const bytes = assemble([f], SHARED_MAX_PAGES, MATH_IMPORTS);
    const split = splitTarget(bytes, nIn, nOut, mathImports());
    if (split !== null) {
      const k = stagedRunner(spec, reads, table, split);
      splitKernels.add(k);
      return k;
    }
  }
  const exports = instantiate(assemble([f], undefined, MATH_IMPORTS));
  if (exports === null) return null;
  const k = exports.k as (...a: number[]) => void;
  return stagedRunner(spec, reads, table, {
    memoryOf,
    run: (bytes, pointers, stage) => runHere(k, bytes, pointers, stage),
  });
}

/** An input's elements [offset + lo, offset + hi) are read (zeros elsewhere), or one scalar. */
interface Staged {
  offset: number;
  scalar: boolean;
  lo: number;
  hi: number;
}

/**
 * The kernel wrapped with its copies: the constant table, then each input's run (padded to whole vectors;
 * one copy serves every input that reads a single array at whole-run offsets), then each output's run.
 */
function stagedRunner(spec: FusedSpec, reads: Read[], table: Uint8Array, target: Target): FusedKernel {
  const nIn = spec.inputs.length;
  const n = sizeOf(spec.shape);
  const padded = Math.ceil(n / 8) * 8;
  const staged: Staged[] = spec.inputs.map((inp, j) => {
    const r = reads[j]!;
    if (r === "scalar") return { offset: inp.offset, scalar: true, lo: 0, hi: 0 };
    return { offset: inp.offset, scalar: false, lo: r === "full" ? 0 : r.lo, hi: r === "full" ? n : r.hi };
  });
  const start = (table.length + 63) & ~63;
  return (ins, outs) => {
    const ptrs = new Array<number>(nIn + spec.outputs.length).fill(0);
    const layout = layoutInputs(ins, staged, n, padded, start, ptrs);
    let at = layout.end;
    for (let j = 0; j < spec.outputs.length; j++) {
      ptrs[nIn + j] = at;
      at += padded * 4;
    }
    const mem = target.memoryOf(at);
    new Uint8Array(mem.buffer).set(table, 0);
    const view = new Float32Array(mem.buffer);
    const stage: Stage = {
      n,
      dsts: spec.outputs.map((_, j) => outs?.[j] as Float32Array | undefined),
      copyIn: (e0, e1) => {
        for (const r of layout.regions) copyRegion(view, ins[r.input] as Float32Array, r, e0, e1);
      },
      copyOut: (j, dst, e0, e1) => {
        const p = ptrs[nIn + j]! / 4;
        if (e1 > e0) dst.set(view.subarray(p + e0, p + e1), e0);
      },
    };
    return target.run(padded * 4, ptrs, stage);
  };
}

/**
 * One input's run in memory, from float index `base`: `zeros` zeros, elements [from, from + length) of the
 * input, `after` zeros. The loop's element e reads run positions e … e + spread (spread > 0 when several
 * inputs read one array at offsets that far apart). A scalar is one element, read by every element.
 */
interface Region {
  input: number;
  base: number;
  zeros: number;
  from: number;
  length: number;
  after: number;
  spread: number;
  scalar: boolean;
}

/** Copies the part of region `r` that the loop's elements [e0, e1) read (all of a scalar). */
function copyRegion(view: Float32Array, src: Float32Array, r: Region, e0: number, e1: number): void {
  if (r.scalar) {
    view[r.base] = src[r.from]!;
    return;
  }
  const a = Math.max(e0, 0);
  const b = Math.min(e1 + r.spread, r.zeros + r.length + r.after);
  const clip = (lo: number, hi: number, f: (lo: number, hi: number) => void) => {
    const x = Math.max(a, lo);
    const y = Math.min(b, hi);
    if (y > x) f(x, y);
  };
  const dataEnd = r.zeros + r.length;
  clip(0, r.zeros, (x, y) => view.fill(0, r.base + x, r.base + y));
  clip(r.zeros, dataEnd, (x, y) =>
    view.set(src.subarray(r.from + x - r.zeros, r.from + y - r.zeros), r.base + x),
  );
  clip(dataEnd, dataEnd + r.after, (x, y) => view.fill(0, r.base + x, r.base + y));
}

/**
 * Places the inputs from byte `start` on, filling `ptrs[j]` with each input's address. Whole runs of one
 * array (the same array read at several offsets, as x[:-1] and x[1:] are) share one copy of the union of
 * their elements. Returns the regions to copy and the end of the inputs' area (bytes).
 */
function layoutInputs(
  ins: readonly ArrayLike<number>[],
  staged: readonly Staged[],
  n: number,
  padded: number,
  start: number,
  ptrs: number[],
): { regions: Region[]; end: number } {
  const regions: Region[] = [];
  let at = start / 4; // in floats, a multiple of 4 (16-byte aligned)
  const placed = new Array<boolean>(staged.length).fill(false);
  staged.forEach((x, j) => {
    if (placed[j]) return;
    placed[j] = true;
    if (x.scalar) {
      regions.push({
        input: j,
        base: at,
        zeros: 0,
        from: x.offset,
        length: 1,
        after: 0,
        spread: 0,
        scalar: true,
      });
      ptrs[j] = at * 4;
      at += 4;
      return;
    }
    const group = [j];
    if (x.lo === 0 && x.hi === n)
      for (let k = j + 1; k < staged.length; k++) {
        const y = staged[k]!;
        if (!placed[k] && !y.scalar && y.lo === 0 && y.hi === n && ins[k] === ins[j]) {
          group.push(k);
          placed[k] = true;
        }
      }
    const offsets = group.map((k) => staged[k]!.offset);
    const lo = Math.min(...offsets);
    const spread = Math.max(...offsets) - lo;
    // The run starts 0–3 floats in, so that source and destination agree modulo 16 bytes: copies into a
    // shared memory go word by word, and byte by byte when the two are misaligned (4× slower).
    const base = at + ((((ins[j] as Float32Array).byteOffset >> 2) + lo - at) & 3);
    // Lanes past n are never stored, so they need not be zero.
    regions.push({
      input: j,
      base,
      zeros: x.lo,
      from: lo + x.lo,
      length: spread + x.hi - x.lo,
      after: n - x.hi,
      spread,
      scalar: false,
    });
    for (const k of group) ptrs[k] = (base + staged[k]!.offset - lo) * 4;
    at += Math.ceil((spread + padded) / 4) * 4 + 4;
  });
  return { regions, end: at * 4 };
}
