// Fused float32 elementwise kernels in WebAssembly SIMD (four lanes at a time), with vectorized exp, tanh
// and logistic: a FusedSpec whose nodes are all float32 and whose inputs are contiguous or scalar becomes a
// small module of its own. Inputs are copied into the shared memory and outputs out (so tensors stay plain
// arrays). The math functions follow Cephes' single-precision algorithms (about one unit in the last
// place); test/backend-fast.test.ts measures them against the reference backend.
import { sizeOf, stridesOf } from "../../core/shape.js";
import type { FusedArg, FusedKernel, FusedSpec } from "../fusion.js";
import { assemble, Func, I32, SIMD, V128 } from "./emit.js";
import { instantiate, memoryOf, simdSupported } from "./runtime.js";

const UNARY = new Set([
  "neg",
  "abs",
  "sqrt",
  "floor",
  "ceil",
  "round",
  "exp",
  "tanh",
  "logistic",
  "stop_gradient",
]);
const BINARY = new Set(["add", "sub", "mul", "div", "max", "min"]);
/** Smallest loop worth the copies (four float32 lanes beat V8's scalar loop even for one addition). */
const MIN_SIZE = 2048;

/** A whole input, or its elements lo ≤ i < hi (zero elsewhere: padding along the one non-unit dim). */
type Read = "full" | "scalar" | { lo: number; hi: number };

/** How each input is read, or null when the spec is not a float32 kernel this module can run. */
function plan(spec: FusedSpec): Read[] | null {
  if (!simdSupported()) return null;
  const n = sizeOf(spec.shape);
  if (n < MIN_SIZE) return null;
  for (const x of spec.nodes) {
    if (x.dtype !== "float32") return null;
    if (!(UNARY.has(x.prim) || BINARY.has(x.prim))) return null;
  }
  for (const o of spec.outputs) if (o.reduce !== undefined || o.dtype !== "float32") return null;
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
 * Vector constants are read from a table at the start of memory (written before each call): V8 would
 * otherwise rebuild every v128.const in the loop with several instructions, while a load folds into the
 * arithmetic instruction that uses it.
 */
const pools = new WeakMap<Func, Map<string, { index: number; lanes: number[]; int: boolean }>>();
function constant(f: Func, lanes: number[], int: boolean): Func {
  let pool = pools.get(f);
  if (pool === undefined) {
    pool = new Map();
    pools.set(f, pool);
  }
  const key = `${int ? "i" : "f"}${lanes.join(",")}`;
  let c = pool.get(key);
  if (c === undefined) {
    c = { index: pool.size, lanes, int };
    pool.set(key, c);
  }
  return f.i32(0).vload(c.index * 16);
}
const splat = (f: Func, v: number) => constant(f, [v, v, v, v], false);
const splatI32 = (f: Func, v: number) => constant(f, [v, v, v, v], true);

/** The bytes of `f`'s constant table. */
function constantTable(f: Func): Uint8Array {
  const pool = [...(pools.get(f)?.values() ?? [])];
  const bytes = new Uint8Array(pool.length * 16);
  for (const c of pool) {
    const lanes = c.int ? new Int32Array(c.lanes) : new Float32Array(c.lanes);
    bytes.set(new Uint8Array(lanes.buffer), c.index * 16);
  }
  return bytes;
}

/** Emits e^x for the v128 in local `x`, leaving the result on the stack. */
function emitExp(f: Func, x: number): void {
  const t = f.local(V128);
  const k = f.local(V128);
  const r = f.local(V128);
  // t = clamp(x, -104, 88.73); k = nearest(t·log2 e); r = t − k·ln2 (Cody–Waite, exact first product).
  f.get(x);
  splat(f, -104).simd(SIMD.f32x4Pmax);
  splat(f, 88.73).simd(SIMD.f32x4Pmin).set(t);
  f.get(t);
  splat(f, Math.LOG2E).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Nearest).set(k);
  f.get(t).get(k);
  splat(f, 0.693359375).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Sub);
  f.get(k);
  splat(f, -2.1219444e-4).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Sub).set(r);
  // p = 1 + r + r²·P(r)
  const coeffs = [
    1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
  ];
  splat(f, coeffs[0]!);
  for (let i = 1; i < coeffs.length; i++) {
    f.get(r).simd(SIMD.f32x4Mul);
    splat(f, coeffs[i]!).simd(SIMD.f32x4Add);
  }
  f.get(r).get(r).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Mul);
  f.get(r).simd(SIMD.f32x4Add);
  splat(f, 1).simd(SIMD.f32x4Add);
  // · 2^k as 2^(k>>1) · 2^(k − (k>>1)), both factors normal for every k reached.
  const ki = f.local(V128);
  const k1 = f.local(V128);
  f.get(k).simd(SIMD.i32x4TruncSatF32x4S).set(ki);
  f.get(ki).i32(1).simd(SIMD.i32x4ShrS).set(k1);
  const pow2 = (e: () => void) => {
    e();
    splatI32(f, 127).simd(SIMD.i32x4Add).i32(23).simd(SIMD.i32x4Shl);
  };
  pow2(() => f.get(k1));
  f.simd(SIMD.f32x4Mul);
  pow2(() => f.get(ki).get(k1).simd(SIMD.i32x4Sub));
  f.simd(SIMD.f32x4Mul);
}

/** Compiles `spec` to a WebAssembly kernel, or returns null when it does not qualify. */
export function compileSimdF32(spec: FusedSpec): FusedKernel | null {
  const reads = plan(spec);
  if (reads === null) return null;
  const nIn = spec.inputs.length;
  const nOut = spec.outputs.length;
  // kernel(bytes, in0, …, out0, …): bytes = padded length in bytes.
  const f = new Func(
    "k",
    Array.from({ length: 1 + nIn + nOut }, () => I32),
  );
  const o = f.local(I32);
  // Two independent vectors per iteration, so one's long dependency chain (exp, division) overlaps the
  // other's.
  const vins = [0, 1].map(() => reads.map(() => f.local(V128)));
  const vnodes = [0, 1].map(() => spec.nodes.map(() => f.local(V128)));
  let vin = vins[0]!;
  let vnode = vnodes[0]!;
  // Scalars are read once.
  reads.forEach((r, j) => {
    if (r === "scalar") {
      f.get(1 + j)
        .op(0x2a, 2, 0)
        .simd(SIMD.f32x4Splat)
        .set(vins[0]![j]!);
      vins[1]![j] = vins[0]![j]!;
    }
  });
  const arg = (a: FusedArg) => {
    if ("input" in a) f.get(vin[a.input]!);
    else if ("node" in a) f.get(vnode[a.node]!);
    else splat(f, a.literal);
  };
  f.i32(0).set(o);
  f.block(() => {
    f.loop(() => {
      f.get(o).get(0).op(0x4e /* ge_s */).brIf(1);
      for (let u = 0; u < 2; u++) {
        vin = vins[u]!;
        vnode = vnodes[u]!;
        reads.forEach((r, j) => {
          if (r !== "scalar")
            f.get(1 + j)
              .get(o)
              .i32Add()
              .vload(u * 16)
              .set(vin[j]!);
        });
        spec.nodes.forEach((n, k) => {
          const [a, b] = n.args;
          switch (n.prim) {
            case "exp":
            case "tanh":
            case "logistic": {
              const t = f.local(V128);
              arg(a!);
              if (n.prim === "logistic") f.simd(SIMD.f32x4Neg);
              f.set(t);
              if (n.prim === "tanh") tanhInto(f, t);
              else emitExp(f, t);
              if (n.prim === "logistic") {
                // 1 / (1 + e^−x)
                f.set(t);
                splat(f, 1);
                splat(f, 1).get(t).simd(SIMD.f32x4Add).simd(SIMD.f32x4Div);
              }
              break;
            }
            case "neg":
            case "abs":
            case "sqrt":
            case "floor":
            case "ceil":
            case "round":
              arg(a!);
              f.simd(
                {
                  neg: SIMD.f32x4Neg,
                  abs: SIMD.f32x4Abs,
                  sqrt: SIMD.f32x4Sqrt,
                  floor: SIMD.f32x4Floor,
                  ceil: SIMD.f32x4Ceil,
                  round: SIMD.f32x4Nearest,
                }[n.prim],
              );
              break;
            case "stop_gradient":
              arg(a!);
              break;
            case "max":
            case "min": {
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
                .simd(n.prim === "max" ? SIMD.f32x4Ge : SIMD.f32x4Le);
              f.get(ta).get(ta).simd(SIMD.f32x4Ne).simd(SIMD.or);
              f.simd(SIMD.bitselect);
              break;
            }
            default:
              arg(a!);
              arg(b!);
              f.simd(
                { add: SIMD.f32x4Add, sub: SIMD.f32x4Sub, mul: SIMD.f32x4Mul, div: SIMD.f32x4Div }[
                  n.prim as "add"
                ],
              );
          }
          f.set(vnode[k]!);
        });
        spec.outputs.forEach((out, j) => {
          f.get(1 + nIn + j)
            .get(o)
            .i32Add();
          arg(out.value);
          f.vstore(u * 16);
        });
      }
      f.get(o).i32(32).i32Add().set(o).br(0);
    });
  });
  const table = constantTable(f);
  const exports = instantiate(assemble([f]));
  if (exports === null) return null;
  const kernel = exports.k as (...a: number[]) => void;
  const n = sizeOf(spec.shape);
  const padded = Math.ceil(n / 8) * 8;
  const bytes = padded * 4;
  const offsets = spec.inputs.map((inp, j) => {
    const r = reads[j]!;
    return r === "scalar"
      ? { offset: inp.offset, full: false, lo: 0, hi: 0 }
      : { offset: inp.offset, full: true, lo: r === "full" ? 0 : r.lo, hi: r === "full" ? n : r.hi };
  });
  return (ins, outs) => {
    // Layout: the constant table, each input (a full vector run or 16 bytes), then each output.
    const sizes = [...offsets.map((x) => (x.full ? bytes : 16)), ...spec.outputs.map(() => bytes)];
    const ptrs: number[] = [];
    let at = (table.length + 63) & ~63;
    for (const s of sizes) {
      ptrs.push(at);
      at += s;
    }
    const mem = memoryOf(at);
    const view = new Float32Array(mem.buffer);
    new Uint8Array(mem.buffer).set(table, 0);
    offsets.forEach((x, j) => {
      const src = ins[j]! as Float32Array;
      const p = ptrs[j]! / 4;
      if (x.full) {
        if (x.lo > 0) view.fill(0, p, p + x.lo);
        if (x.hi > x.lo) view.set(src.subarray(x.offset + x.lo, x.offset + x.hi), p + x.lo);
        if (x.hi < n) view.fill(0, p + x.hi, p + n);
      } else view[p] = src[x.offset]!;
    });
    kernel(bytes, ...ptrs);
    return spec.outputs.map((_, j) => {
      const result = view.subarray(ptrs[nIn + j]! / 4, ptrs[nIn + j]! / 4 + n);
      const dst = outs?.[j];
      if (dst === undefined) return result.slice();
      dst.set(result);
      return dst;
    });
  };
}

/** tanh x: an odd polynomial below |x| = 0.625, else 1 − 2/(e^{2|x|} + 1) with the sign of x. */
function tanhInto(f: Func, x: number): void {
  const large = f.local(V128);
  const small = f.local(V128);
  emitTanhParts(f, x, small, large);
  // bitselect(small, large, |x| < 0.625)
  f.get(small).get(large);
  f.get(x).simd(SIMD.f32x4Abs);
  splat(f, 0.625).simd(SIMD.f32x4Lt);
  f.simd(SIMD.bitselect);
}

function emitTanhParts(f: Func, x: number, small: number, large: number): void {
  const z = f.local(V128);
  const e = f.local(V128);
  f.get(x).get(x).simd(SIMD.f32x4Mul).set(z);
  const P = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1];
  splat(f, P[0]!);
  for (let i = 1; i < P.length; i++) {
    f.get(z).simd(SIMD.f32x4Mul);
    splat(f, P[i]!).simd(SIMD.f32x4Add);
  }
  f.get(z).simd(SIMD.f32x4Mul).get(x).simd(SIMD.f32x4Mul).get(x).simd(SIMD.f32x4Add).set(small);
  f.get(x).simd(SIMD.f32x4Abs).set(e);
  f.get(e).get(e).simd(SIMD.f32x4Add).set(e);
  emitExp(f, e);
  splat(f, 1).simd(SIMD.f32x4Add).set(e);
  splat(f, 1);
  splat(f, 2).get(e).simd(SIMD.f32x4Div).simd(SIMD.f32x4Sub);
  // Copy the sign of x: (v & 0x7fffffff) | (x & 0x80000000).
  splatI32(f, 0x7fffffff).simd(SIMD.and);
  f.get(x);
  splatI32(f, -0x80000000).simd(SIMD.and);
  f.simd(SIMD.or).set(large);
}
