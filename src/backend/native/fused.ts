// Fused elementwise kernels through the native addon (native/src/fused.cc): the spec, normalized, is encoded
// once as a list of numbers plus a list of names, compiled by the addon into a kernel it keeps, and each
// call hands it the input and output arrays, which it reads and writes in place (no copies, unlike the
// WebAssembly kernels). The two languages share names, never numbering: operations, element types and
// reductions travel as strings ("exp", "float32", "sum"), which the addon looks up once per compile, and
// the addon reports the operations it knows (fusedOps), so a loop with any other — a primitive added only
// here — is declined before it is encoded. The addon declines what it does not run (it says why), and so
// does this module for loops too small to be worth a call; compileFused then tries the WebAssembly and
// JavaScript kernels.
import type { TypedArray } from "../../core/dtype.js";
import { sizeOf } from "../../core/shape.js";
import type { FusedArg, FusedKernel, FusedSpec } from "../fusion.js";
import { threadCount } from "../threads/pool.js";
import { type NativeAddon, nativeAddon } from "./load.js";
import { outputArray } from "./memory.js";

/** The operations each addon reports it knows (fusedOps), asked once per addon. */
const knownOps = new WeakMap<NativeAddon, ReadonlySet<string>>();

function opsOf(addon: NativeAddon): ReadonlySet<string> {
  let ops = knownOps.get(addon);
  if (ops === undefined) {
    ops = new Set(addon.fusedOps());
    knownOps.set(addon, ops);
  }
  return ops;
}

/**
 * Smallest loop run natively. Below it a call's fixed cost (~0.5 µs: the N-API call, reading the arrays,
 * setting up) is more than a generated JavaScript loop spends on a short chain (one addition broke even at
 * ~400 elements, exp at ~100).
 */
export const NATIVE_FUSED_MIN_ELEMENTS = 512;

/**
 * Smallest loop split across threads, in estimated nanoseconds on one thread (fusedCostNs). `warm`: when
 * the pool's workers are awake (they spin for a while after each job, as in a jit program's run of
 * kernels), handing one a part costs a few µs; `cold`: waking a sleeping one costs ~50 µs on a virtual
 * machine. (Measured on a 2-core AVX-512 machine: exp of 64k float32 took 38 µs on one thread, 22 on two.)
 */
export const NATIVE_FUSED_THREAD_MIN_NS = { warm: 20_000, cold: 150_000 } as const;

/** Nanoseconds per element of each operation on one core (AVX-512; libm ones run one element at a time). */
const OP_NS: Partial<Record<string, number>> = {
  exp: 0.6,
  expm1: 0.7,
  log: 0.7,
  log1p: 0.9,
  logistic: 0.8,
  tanh: 1,
  sin: 1.1,
  cos: 1.1,
  tan: 10,
  asin: 10,
  acos: 10,
  atan: 10,
  sinh: 10,
  cosh: 10,
  pow: 20,
  atan2: 15,
};
/** Per element and array read or written (memory traffic beyond the caches), and per other operation. */
const STREAM_NS = 0.3;
const SIMPLE_NS = 0.1;

/** Estimated time of `spec` on one thread, in nanoseconds. */
export function fusedCostNs(spec: FusedSpec): number {
  let perElement = STREAM_NS * (spec.inputs.length + spec.outputs.length);
  for (const n of spec.nodes) perElement += OP_NS[n.prim] ?? SIMPLE_NS;
  return sizeOf(spec.shape) * perElement;
}

/** Threads for a loop of `costNs`: all of them for long loops, for mid-sized ones only onto awake workers. */
export function nativeFusedThreads(costNs: number, threads: number, workersAwake: () => number): number {
  if (threads < 2) return 1;
  if (costNs >= NATIVE_FUSED_THREAD_MIN_NS.cold) return threads;
  return costNs >= NATIVE_FUSED_THREAD_MIN_NS.warm && workersAwake() >= threads - 1 ? threads : 1;
}

/** Calls that ran natively (tests check that the native path was taken). */
export const nativeFusedStats = { runs: 0 };

/** The loop after dropping size-1 dims and merging dims every operand walks as one. */
interface Loop {
  shape: number[];
  /** Per input: offset, strides, and lo/hi per dim where it is padded (null: the whole range). */
  inputs: {
    offset: number;
    strides: number[];
    lo: (number | null)[];
    hi: (number | null)[];
    empty: boolean;
  }[];
  /** Per output: strides for reductions (undefined for stores). */
  outStrides: (number[] | undefined)[];
}

function normalize(spec: FusedSpec): Loop {
  const nd = spec.shape.length;
  const inputs = spec.inputs.map((inp) => {
    const lo: (number | null)[] = [];
    const hi: (number | null)[] = [];
    let empty = false;
    for (let d = 0; d < nd; d++) {
      const n = spec.shape[d]!;
      const l = Math.max(inp.bounds?.lo[d] ?? 0, 0);
      const h = Math.min(inp.bounds?.hi[d] ?? n, n);
      if (l >= h) empty = true;
      lo.push(l === 0 && h === n ? null : l);
      hi.push(l === 0 && h === n ? null : h);
    }
    return { offset: inp.offset, strides: inp.strides.slice(), lo, hi, empty };
  });
  let outStrides = spec.outputs.map((o) => (o.reduce === undefined ? undefined : o.strides!.slice()));
  // A size-1 dim only ever has index 0 (its bounds were resolved above).
  const keep = spec.shape.map((n) => n !== 1);
  const pick = <T>(a: T[]) => a.filter((_, d) => keep[d]);
  let shape = pick(spec.shape.slice());
  for (const inp of inputs) {
    inp.strides = pick(inp.strides);
    inp.lo = pick(inp.lo);
    inp.hi = pick(inp.hi);
  }
  outStrides = outStrides.map((s) => s && pick(s));
  // Merge dim d into d + 1 where every operand steps through both as one.
  for (let d = shape.length - 2; d >= 0; d--) {
    const n1 = shape[d + 1]!;
    const merges =
      inputs.every(
        (i) =>
          i.empty || (i.strides[d] === i.strides[d + 1]! * n1 && i.lo[d] === null && i.lo[d + 1] === null),
      ) && outStrides.every((s) => s === undefined || s[d] === s[d + 1]! * n1);
    if (!merges) continue;
    shape = shape.slice();
    shape.splice(d, 2, shape[d]! * n1);
    const merge = <T>(a: T[], v: T) => {
      a.splice(d, 2, v);
    };
    for (const i of inputs) {
      merge(i.strides, i.strides[d + 1]!);
      merge(i.lo, null);
      merge(i.hi, null);
    }
    outStrides = outStrides.map((s) => {
      if (s === undefined) return s;
      const c = s.slice();
      merge(c, c[d + 1]!);
      return c;
    });
  }
  return { shape, inputs, outStrides };
}

const argCode = (a: FusedArg): [number, number] =>
  "input" in a ? [0, a.input] : "node" in a ? [1, a.node] : [2, a.literal];

/**
 * The description fused.cc's Compiler reads: dims and shape; per input dtype, offset, strides, padded?
 * (then lo and hi per dim); per node primitive, dtype, operand count and (kind, value) per operand; per
 * output (kind, value), dtype, reduction (−1: store), size and, for reductions, strides. Primitives, dtypes
 * and reductions are indices into `names`, in the order this spec first uses them.
 */
function encode(spec: FusedSpec, loop: Loop): { desc: Float64Array; names: string[] } {
  const names: string[] = [];
  // A spec uses a handful of names: a scan beats a Map.
  const name = (s: string): number => {
    const i = names.indexOf(s);
    return i >= 0 ? i : names.push(s) - 1;
  };
  const d: number[] = [loop.shape.length, ...loop.shape, spec.inputs.length];
  spec.inputs.forEach((inp, j) => {
    const x = loop.inputs[j]!;
    d.push(name(inp.dtype), x.offset, ...x.strides);
    if (x.empty) {
      // Nothing is read: empty bounds along the first dim.
      d.push(1, ...loop.shape.map(() => 0), ...loop.shape.map(() => 0));
    } else if (x.lo.some((l) => l !== null)) {
      d.push(1, ...x.lo.map((l) => l ?? 0), ...x.hi.map((h, k) => h ?? loop.shape[k]!));
    } else d.push(0);
  });
  d.push(spec.nodes.length);
  for (const n of spec.nodes) {
    d.push(name(n.prim), name(n.dtype), n.args.length);
    for (const a of n.args) d.push(...argCode(a));
  }
  d.push(spec.outputs.length);
  spec.outputs.forEach((o, j) => {
    d.push(...argCode(o.value), name(o.dtype), o.reduce === undefined ? -1 : name(o.reduce), o.size);
    if (o.reduce !== undefined) d.push(...loop.outStrides[j]!);
  });
  return { desc: Float64Array.from(d), names };
}

/** Why the addon declines a spec (null when it compiles), for tests and diagnostics. */
export function nativeFusedDecline(spec: FusedSpec): string | null {
  const addon = nativeAddon();
  if (addon === null) return "no native addon";
  const compiled = compileSpec(addon, spec);
  return typeof compiled === "string" ? compiled : null;
}

function compileSpec(addon: NativeAddon, spec: FusedSpec): object | string {
  const ops = opsOf(addon);
  const unknown = spec.nodes.find((n) => !ops.has(n.prim));
  if (unknown !== undefined) return `the addon does not implement ${unknown.prim}`;
  const loop = normalize(spec);
  if (loop.shape.length === 0) return "a single element";
  const { desc, names } = encode(spec, loop);
  return addon.fusedCompile(desc, names);
}

export interface NativeFusedOptions {
  /** Threads to split the loop over (default: threadCount() for loops that gain, see nativeFusedThreads). */
  threads?: number;
  /** Smallest loop to run natively (default NATIVE_FUSED_MIN_ELEMENTS). */
  minElements?: number;
}

/**
 * `spec` as a native kernel, or null (no addon, a loop too small, or something the addon does not run).
 * `fallback` builds the kernel to use should the addon refuse the arrays of a call (wrong types or
 * lengths: the spec's caller broke its contract, and the other kernels report that their own way).
 */
export function compileNativeFused(
  spec: FusedSpec,
  fallback: () => FusedKernel,
  options: NativeFusedOptions = {},
): FusedKernel | null {
  const addon = nativeAddon();
  if (addon === null) return null;
  const n = sizeOf(spec.shape);
  if (n < (options.minElements ?? NATIVE_FUSED_MIN_ELEMENTS)) return null;
  const kernel = compileSpec(addon, spec);
  if (typeof kernel === "string") return null;
  const cost = fusedCostNs(spec);
  const most = threadCount();
  // Decided per call only where it depends on the workers being awake.
  const fixed = options.threads ?? (most < 2 || cost < NATIVE_FUSED_THREAD_MIN_NS.warm ? 1 : undefined);
  const outputs = spec.outputs;
  let slow: FusedKernel | undefined;
  return (ins, outs) => {
    const res: TypedArray[] = new Array(outputs.length);
    for (let j = 0; j < outputs.length; j++) {
      const o = outputs[j]!;
      const given = o.reduce === undefined ? outs?.[j] : undefined;
      res[j] = given ?? outputArray(o.dtype, o.size);
    }
    const threads = fixed ?? nativeFusedThreads(cost, most, addon.workersAwake);
    if (addon.fusedRun(kernel, ins, res, threads) === undefined) {
      nativeFusedStats.runs++;
      return res;
    }
    slow ??= fallback();
    return slow(ins, outs);
  };
}
