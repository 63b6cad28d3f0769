// Vector float32 math for the fused WebAssembly kernels: each emitter reads a v128 of four float32 lanes
// from a local and leaves its result on the stack (or in locals). The algorithms follow Cephes' single
// precision ones (exp, tanh, log, sin/cos), with two departures made for accuracy:
//  - sin and cos reduce their argument in float64 (a three-part π/2 of 27 + 28 + 53 bits, products exact),
//    so the reduced argument keeps full relative precision even next to a multiple of π/2, where float32
//    Cody–Waite loses every bit; their polynomials run in float64 too and round once.
//  - lanes beyond the reduction's exact range (|x| ≥ 2^24), and ±Infinity and NaN, call Math.sin/Math.cos
//    (imported functions), so no lane is ever wrong.
// test/backend/backend-fast.test.ts measures every function against the reference backend (float64 Math rounded to
// float32) in units in the last place.
import { F64, type Func, type ImportedFunc, SIMD, V128 } from "./emit.js";

// ---- constants ----------------------------------------------------------------------------------------

type Lanes = "f32" | "i32" | "f64";

/**
 * Vector constants are read from a table at the start of memory (written before each call): V8 would
 * otherwise rebuild every v128.const in the loop with several instructions, while a load folds into the
 * arithmetic instruction that uses it.
 */
const pools = new WeakMap<Func, Map<string, { index: number; lanes: number[]; kind: Lanes }>>();
function constant(f: Func, lanes: number[], kind: Lanes): Func {
  let pool = pools.get(f);
  if (pool === undefined) {
    pool = new Map();
    pools.set(f, pool);
  }
  const key = `${kind}${lanes.join(",")}`;
  let c = pool.get(key);
  if (c === undefined) {
    c = { index: pool.size, lanes, kind };
    pool.set(key, c);
  }
  return f.i32(0).vload(c.index * 16);
}
export const splat = (f: Func, v: number) => constant(f, [v, v, v, v], "f32");
export const splatI32 = (f: Func, v: number) => constant(f, [v, v, v, v], "i32");
export const splatF64 = (f: Func, v: number) => constant(f, [v, v], "f64");

/** The bytes of `f`'s constant table (to be written at address 0 before each call). */
export function constantTable(f: Func): Uint8Array {
  const pool = [...(pools.get(f)?.values() ?? [])];
  const bytes = new Uint8Array(pool.length * 16);
  for (const c of pool) {
    const Arr = { f32: Float32Array, i32: Int32Array, f64: Float64Array }[c.kind];
    bytes.set(new Uint8Array(new Arr(c.lanes).buffer), c.index * 16);
  }
  return bytes;
}

const SIGN = -0x80000000;

/** Functions every kernel module imports (indices 0, 1, …), with the values to import them from. */
export const MATH_IMPORTS: readonly ImportedFunc[] = [
  { module: "math", name: "sin", params: [F64], results: [F64] },
  { module: "math", name: "cos", params: [F64], results: [F64] },
];
const SIN_IMPORT = 0;
const COS_IMPORT = 1;
/** The import object's `math` namespace (also built from source in worker threads). */
export const mathImports = (): Record<string, (x: number) => number> => ({ sin: Math.sin, cos: Math.cos });

/** bitselect of three emitted operands: the lanes of `a` where `mask` is set, else those of `b`. */
function select(f: Func, a: () => void, b: () => void, mask: () => void): void {
  a();
  b();
  mask();
  f.simd(SIMD.bitselect);
}

/** Horner evaluation of coeffs (highest degree first) at the vector in local `z`; `mul`/`add` per lane kind. */
function horner(f: Func, coeffs: readonly number[], z: number, f64 = false): void {
  const c = f64 ? splatF64 : splat;
  const mul = f64 ? SIMD.f64x2Mul : SIMD.f32x4Mul;
  const add = f64 ? SIMD.f64x2Add : SIMD.f32x4Add;
  c(f, coeffs[0]!);
  for (let i = 1; i < coeffs.length; i++) {
    f.get(z).simd(mul);
    c(f, coeffs[i]!).simd(add);
  }
}

// ---- exp, tanh, logistic, expm1 -----------------------------------------------------------------------

const EXP_P = [
  1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1,
];

/** k = nearest(x·log2 e) and r = x − k·ln 2 (Cody–Waite, exact first product), x clamped to exp's range. */
function expReduce(f: Func, x: number, k: number, r: number): void {
  const t = f.local(V128);
  f.get(x);
  splat(f, -104).simd(SIMD.f32x4Pmax);
  splat(f, 88.73).simd(SIMD.f32x4Pmin).set(t);
  f.get(t);
  splat(f, Math.LOG2E).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Nearest).set(k);
  f.get(t).get(k);
  splat(f, 0.693359375).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Sub);
  f.get(k);
  splat(f, -2.1219444e-4).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Sub).set(r);
}

/** r²·P(r), e^r − 1 without its first-order term r, for the reduced r in local `r`, on the stack. */
function expTail(f: Func, r: number): void {
  horner(f, EXP_P, r);
  f.get(r).get(r).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Mul);
}

/** Multiplies the vector on the stack by 2^k (k in local `k`, float lanes) as 2^(k>>1)·2^(k−(k>>1)): both
 * factors stay normal for every k exp reaches. */
function scaleByPow2(f: Func, k: number): void {
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

/** Emits e^x for the v128 in local `x`, leaving the result on the stack. */
export function emitExp(f: Func, x: number): void {
  const k = f.local(V128);
  const r = f.local(V128);
  expReduce(f, x, k, r);
  expTail(f, r);
  f.get(r).simd(SIMD.f32x4Add);
  splat(f, 1).simd(SIMD.f32x4Add);
  scaleByPow2(f, k);
}

/**
 * e^x − 1 without cancellation: with x = k·ln 2 + r, e^x − 1 = 2^k·((1 − 2^−k) + r + r²·P(r)), where
 * 1 − 2^−k is exact for the k where it matters, and (1 − 2^−k) + r is exact for k = 0 and k = 1, the cases
 * with the most cancellation.
 */
export function emitExpm1(f: Func, x: number): void {
  const k = f.local(V128);
  const r = f.local(V128);
  const kc = f.local(V128);
  const v = f.local(V128);
  expReduce(f, x, k, r);
  // 2^−k for k clamped to [−25, 60] (an exact normal number); beyond −25 the result is −1 anyway.
  f.get(k).simd(SIMD.i32x4TruncSatF32x4S);
  splatI32(f, -25).simd(SIMD.i32x4MaxS);
  splatI32(f, 60).simd(SIMD.i32x4MinS).set(kc);
  splat(f, 1);
  splatI32(f, 127).get(kc).simd(SIMD.i32x4Sub).i32(23).simd(SIMD.i32x4Shl);
  f.simd(SIMD.f32x4Sub).get(r).simd(SIMD.f32x4Add);
  expTail(f, r);
  f.simd(SIMD.f32x4Add);
  scaleByPow2(f, k);
  f.set(v);
  // k < −25: −1. x = ±0: x itself (the sum above would give +0 for −0).
  select(
    f,
    () => splat(f, -1),
    () => f.get(v),
    () => {
      f.get(k);
      splat(f, -25).simd(SIMD.f32x4Lt);
    },
  );
  f.set(v);
  select(
    f,
    () => f.get(x),
    () => f.get(v),
    () => {
      f.get(x);
      splat(f, 0).simd(SIMD.f32x4Eq);
    },
  );
}

/**
 * tanh x: an odd polynomial below |x| = 0.625, else 1 − 2/(e^{2|x|} + 1); either with the sign of x copied
 * (which also keeps tanh(−0) = −0).
 */
export function emitTanh(f: Func, x: number): void {
  const small = f.local(V128);
  const large = f.local(V128);
  const z = f.local(V128);
  const e = f.local(V128);
  f.get(x).get(x).simd(SIMD.f32x4Mul).set(z);
  horner(f, [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1], z);
  f.get(z).simd(SIMD.f32x4Mul).get(x).simd(SIMD.f32x4Mul).get(x).simd(SIMD.f32x4Add).set(small);
  f.get(x).simd(SIMD.f32x4Abs).set(e);
  f.get(e).get(e).simd(SIMD.f32x4Add).set(e);
  emitExp(f, e);
  splat(f, 1).simd(SIMD.f32x4Add).set(e);
  splat(f, 1);
  splat(f, 2).get(e).simd(SIMD.f32x4Div).simd(SIMD.f32x4Sub).set(large);
  select(
    f,
    () => f.get(small),
    () => f.get(large),
    () => {
      f.get(x).simd(SIMD.f32x4Abs);
      splat(f, 0.625).simd(SIMD.f32x4Lt);
    },
  );
  // (v & 0x7fffffff) | (x & 0x80000000)
  splatI32(f, 0x7fffffff).simd(SIMD.and);
  f.get(x);
  splatI32(f, SIGN).simd(SIMD.and);
  f.simd(SIMD.or);
}

/** logistic x = 1/(1 + e^−|x|) for x ≥ 0, e^−|x|/(1 + e^−|x|) below (as the reference: no overflow, and
 * tiny results keep their precision down to the denormals). */
export function emitLogistic(f: Func, x: number): void {
  const e = f.local(V128);
  f.get(x).simd(SIMD.f32x4Abs).simd(SIMD.f32x4Neg).set(e);
  emitExp(f, e);
  f.set(e);
  select(
    f,
    () => splat(f, 1),
    () => f.get(e),
    () => {
      f.get(x);
      splat(f, 0).simd(SIMD.f32x4Ge);
    },
  );
  splat(f, 1).get(e).simd(SIMD.f32x4Add).simd(SIMD.f32x4Div);
}

// ---- log, log1p ---------------------------------------------------------------------------------------

const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
];

/**
 * log x: x = m·2^e with m in [√½, √2) from the bits (denormals scaled by 2^23 first), then
 * log m = (m − 1) − (m − 1)²/2 + (m − 1)³·P(m − 1), plus e·ln 2 in two parts. Zero, negative, infinite and
 * NaN arguments are patched afterwards as Math.log has them.
 */
export function emitLog(f: Func, x: number): void {
  const tiny = f.local(V128);
  const bits = f.local(V128);
  const e = f.local(V128);
  const m = f.local(V128);
  const z = f.local(V128);
  const y = f.local(V128);
  f.get(x);
  splat(f, 2 ** -126)
    .simd(SIMD.f32x4Lt)
    .set(tiny);
  select(
    f,
    () => {
      f.get(x);
      splat(f, 2 ** 23).simd(SIMD.f32x4Mul);
    },
    () => f.get(x),
    () => f.get(tiny),
  );
  f.set(bits);
  // e = biased exponent − 126 (− 23 for scaled denormals); m = mantissa with exponent −1: [0.5, 1).
  f.get(bits).i32(23).simd(SIMD.i32x4ShrU);
  splatI32(f, 0xff).simd(SIMD.and);
  splatI32(f, 126).simd(SIMD.i32x4Sub);
  f.get(tiny);
  splatI32(f, -23).simd(SIMD.and).simd(SIMD.i32x4Add).set(e);
  f.get(bits);
  splatI32(f, 0x807fffff).simd(SIMD.and);
  splatI32(f, 0x3f000000).simd(SIMD.or).set(m);
  // Below √½: e − 1 and m ← 2m − 1, else m ← m − 1 (both exact).
  const low = tiny; // reused
  f.get(m);
  splat(f, Math.SQRT1_2).simd(SIMD.f32x4Lt).set(low);
  f.get(e).get(low).simd(SIMD.i32x4Add).simd(SIMD.f32x4ConvertI32x4S).set(e);
  f.get(m).get(m).get(low).simd(SIMD.and).simd(SIMD.f32x4Add);
  splat(f, 1).simd(SIMD.f32x4Sub).set(m);
  f.get(m).get(m).simd(SIMD.f32x4Mul).set(z);
  horner(f, LOG_P, m);
  f.get(m).simd(SIMD.f32x4Mul).get(z).simd(SIMD.f32x4Mul);
  f.get(e);
  splat(f, -2.1219444e-4).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add);
  f.get(z);
  splat(f, 0.5).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Sub);
  f.get(m).simd(SIMD.f32x4Add);
  f.get(e);
  splat(f, 0.693359375).simd(SIMD.f32x4Mul).simd(SIMD.f32x4Add).set(y);
  // log(+∞) = +∞, log(±0) = −∞, log(x < 0) = log(NaN) = NaN.
  const patch = (value: number, mask: () => void) => {
    select(
      f,
      () => splat(f, value),
      () => f.get(y),
      mask,
    );
    f.set(y);
  };
  patch(Number.POSITIVE_INFINITY, () => {
    f.get(x);
    splat(f, Number.POSITIVE_INFINITY).simd(SIMD.f32x4Eq);
  });
  patch(Number.NEGATIVE_INFINITY, () => {
    f.get(x);
    splat(f, 0).simd(SIMD.f32x4Eq);
  });
  select(
    f,
    () => f.get(y),
    () => splat(f, Number.NaN),
    () => {
      f.get(x);
      splat(f, 0).simd(SIMD.f32x4Ge);
    },
  );
}

/**
 * log(1 + x) = log u + (x − (u − 1))/u for u = 1 + x rounded: the quotient restores what the rounding of u
 * lost (u − 1 is exact). Where u = 1 the result is x itself (keeps −0).
 */
export function emitLog1p(f: Func, x: number): void {
  const u = f.local(V128);
  const c = f.local(V128);
  const v = f.local(V128);
  f.get(x);
  splat(f, 1).simd(SIMD.f32x4Add).set(u);
  f.get(x).get(u);
  splat(f, 1).simd(SIMD.f32x4Sub).simd(SIMD.f32x4Sub).get(u).simd(SIMD.f32x4Div).set(c);
  emitLog(f, u);
  // The correction is NaN where u is 0 or ∞ (there log u alone is right) and where x is NaN (log u is too).
  f.get(c).get(c).get(c).simd(SIMD.f32x4Eq).simd(SIMD.and).simd(SIMD.f32x4Add).set(v);
  select(
    f,
    () => f.get(x),
    () => f.get(v),
    () => {
      f.get(u);
      splat(f, 1).simd(SIMD.f32x4Eq);
    },
  );
}

// ---- sin, cos -----------------------------------------------------------------------------------------

/** π/2 = PIO2[0] + PIO2[1] + PIO2[2] to about 2^−109: 27 and 28 significant bits, then the rest. */
const PIO2 = [1.570796325802803, 9.920935808982456e-10, -1.2177051777973966e-18];
/** Below this |x|, n < 2^24 and n·PIO2[0], n·PIO2[1] are exact: the reduction loses nothing. */
const SINCOS_EXACT = 2 ** 24;
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1];
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2];

/** i8x16.shuffle lanes moving float32 lanes 2, 3 to 0, 1. */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];
/** i8x16.shuffle lanes joining the low halves of two vectors. */
const JOIN_LOW = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** The float32 lanes `half` (0: lanes 0, 1; 1: lanes 2, 3) of local `v` as float64x2, on the stack. */
function promoteHalf(f: Func, v: number, half: number): void {
  f.get(v);
  if (half === 1) f.get(v).simd(SIMD.i8x16Shuffle, ...HIGH_HALF);
  f.simd(SIMD.f64x2PromoteLowF32x4);
}

/**
 * For one float64 half of |x|: n = nearest(|x|·2/π), r = |x| − n·π/2 in [−π/4, π/4], and the two polynomials
 * sin r and cos r (float64, rounded to float32 once) into the low halves of `s` and `c`, n (int32) into the
 * low half of `q`.
 */
function sinCosHalf(f: Func, ax: number, half: number, s: number, c: number, q: number): void {
  const ah = f.local(V128);
  const nh = f.local(V128);
  const r = f.local(V128);
  const z = f.local(V128);
  promoteHalf(f, ax, half);
  f.tee(ah);
  splatF64(f, 2 / Math.PI)
    .simd(SIMD.f64x2Mul)
    .simd(SIMD.f64x2Nearest)
    .tee(nh);
  f.simd(SIMD.i32x4TruncSatF64x2SZero).set(q);
  f.get(ah);
  for (const p of PIO2) {
    f.get(nh);
    splatF64(f, p).simd(SIMD.f64x2Mul).simd(SIMD.f64x2Sub);
  }
  f.set(r);
  f.get(r).get(r).simd(SIMD.f64x2Mul).set(z);
  // sin r = r + r·z·S(z)
  horner(f, SIN_P, z, true);
  f.get(z).simd(SIMD.f64x2Mul).get(r).simd(SIMD.f64x2Mul).get(r).simd(SIMD.f64x2Add);
  f.simd(SIMD.f32x4DemoteF64x2Zero).set(s);
  // cos r = 1 − z/2 + z²·C(z)
  horner(f, COS_P, z, true);
  f.get(z).simd(SIMD.f64x2Mul).get(z).simd(SIMD.f64x2Mul).get(z);
  splatF64(f, 0.5).simd(SIMD.f64x2Mul).simd(SIMD.f64x2Sub);
  splatF64(f, 1).simd(SIMD.f64x2Add);
  f.simd(SIMD.f32x4DemoteF64x2Zero).set(c);
}

/**
 * sin x and/or cos x of local `x` into locals `out.sin` / `out.cos` (Cephes' octant scheme, with the
 * quadrant taken in float64 so that it is exact): with |x| = n·π/2 + r, bit 0 of n swaps the two
 * polynomials and bit 1 (with the sign of x for sin, after adding 1 for cos) gives the sign.
 */
export function emitSinCos(f: Func, x: number, out: { sin?: number; cos?: number }): void {
  const ax = f.local(V128);
  const sp = [f.local(V128), f.local(V128)];
  const cp = [f.local(V128), f.local(V128)];
  const qp = [f.local(V128), f.local(V128)];
  const n = f.local(V128);
  const swap = f.local(V128);
  f.get(x).simd(SIMD.f32x4Abs).set(ax);
  for (const h of [0, 1]) sinCosHalf(f, ax, h, sp[h]!, cp[h]!, qp[h]!);
  const join = (v: number[]) =>
    f
      .get(v[0]!)
      .get(v[1]!)
      .simd(SIMD.i8x16Shuffle, ...JOIN_LOW);
  join(qp);
  f.set(n);
  f.get(n).i32(31).simd(SIMD.i32x4Shl).i32(31).simd(SIMD.i32x4ShrS).set(swap);
  if (out.sin !== undefined) {
    select(
      f,
      () => join(cp),
      () => join(sp),
      () => f.get(swap),
    );
    f.get(n).i32(30).simd(SIMD.i32x4Shl);
    f.get(x).simd(SIMD.xor);
    splatI32(f, SIGN).simd(SIMD.and).simd(SIMD.xor).set(out.sin);
  }
  if (out.cos !== undefined) {
    select(
      f,
      () => join(sp),
      () => join(cp),
      () => f.get(swap),
    );
    f.get(n);
    splatI32(f, 1).simd(SIMD.i32x4Add).i32(30).simd(SIMD.i32x4Shl);
    splatI32(f, SIGN).simd(SIMD.and).simd(SIMD.xor).set(out.cos);
  }
  exactLanes(f, x, ax, out);
}

/** Lanes with |x| ≥ SINCOS_EXACT, ±∞ or NaN: Math.sin / Math.cos through the imports, one lane at a time. */
function exactLanes(f: Func, x: number, ax: number, out: { sin?: number; cos?: number }): void {
  const slow = f.local(V128);
  f.get(ax);
  splat(f, SINCOS_EXACT).simd(SIMD.f32x4Lt).simd(SIMD.not).tee(slow);
  f.simd(SIMD.anyTrue).ifElse(() => {
    for (let lane = 0; lane < 4; lane++) {
      f.get(slow).simd(SIMD.i32x4ExtractLane, lane);
      f.ifElse(() => {
        for (const [target, fn] of [
          [out.sin, SIN_IMPORT],
          [out.cos, COS_IMPORT],
        ] as const) {
          if (target === undefined) continue;
          f.get(target);
          f.get(x).simd(SIMD.f32x4ExtractLane, lane).op(0xbb /* f64.promote_f32 */);
          f.call(fn).op(0xb6 /* f32.demote_f64 */);
          f.simd(SIMD.f32x4ReplaceLane, lane).set(target);
        }
      });
    }
  });
}

// ---- sign ---------------------------------------------------------------------------------------------

/** sign x: ±1 with the sign of x where x ≠ 0, else x (±0 and NaN unchanged). */
export function emitSign(f: Func, x: number): void {
  select(
    f,
    () => {
      f.get(x);
      splatI32(f, SIGN).simd(SIMD.and);
      splat(f, 1).simd(SIMD.or);
    },
    () => f.get(x),
    () => {
      f.get(x);
      splat(f, 0).simd(SIMD.f32x4Ne);
      f.get(x).get(x).simd(SIMD.f32x4Eq).simd(SIMD.and);
    },
  );
}
