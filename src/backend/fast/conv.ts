// The fast backend's convolution kernel. Few kernel taps per output pixel (C·KH·KW) or little work: a
// direct convolution, the native addon's or else one in JavaScript over a zero-padded copy, both equal to
// the reference bit for bit. Otherwise the windows are unrolled into rows (im2col) and multiplied by the
// weights as one matrix product (native GEMM or WebAssembly), which is dot_general's arithmetic: float32
// then accumulates in float32, as BLAS does. Small convolutions run the reference loops.
import { allocate, type DType, type TypedArray } from "../../core/dtype.js";
import type { PrimParams } from "../../core/primitives.js";
import { sizeOf } from "../../core/shape.js";
import { convData } from "../../primitives/conv.js";
import type { Kernel } from "../backend.js";
import { nativeConv } from "../native/conv.js";
import { outputArray } from "../native/memory.js";
import { dotGeneralData } from "./matmul.js";

/** Up to this many taps per output pixel, the direct kernel beats unrolling the windows. */
const DIRECT_MAX_TAPS = 64;
/** Up to this many multiply-adds, the direct kernel is used whatever the taps (a weight gradient's shape). */
const DIRECT_MAX_WORK = 1 << 23;
/** Without the addon, convolutions with fewer output channels than this (and few taps) run directly. */
const JS_DIRECT_MAX_OUT = 4;
/** From this many multiply-adds, unrolling into a matrix product beats the reference loops. */
const GEMM_MIN_WORK = 24 * 24 * 24;

const isFloat = (a: TypedArray): a is Float32Array | Float64Array =>
  a instanceof Float32Array || a instanceof Float64Array;

/**
 * The direct convolution in JavaScript: the input copied, dilated and zero-padded, into float64; each
 * output plane accumulated in float64, one kernel tap at a time over all its pixels, so every pixel's sum
 * runs over the taps in the reference order. With every weight finite, the zero rows of a dilated input
 * add exactly nothing and are skipped.
 */
/** Reused from call to call: a fresh array this large would cost its page faults every time. */
let padded = new Float64Array(0);
function scratch(size: number): Float64Array {
  if (padded.length < size) padded = new Float64Array(size);
  else padded.fill(0, 0, size);
  return padded.subarray(0, size);
}

const colsCache: Partial<Record<DType, TypedArray>> = {};
/** Zeroed rows for im2col in `dtype`, reused from call to call like the padded copy. */
function colsScratch(dtype: DType, size: number): TypedArray {
  let a = colsCache[dtype];
  if (a === undefined || a.length < size) colsCache[dtype] = a = allocate(dtype, size);
  else a.fill(0, 0, size);
  return a.subarray(0, size);
}

function directJs(
  x: TypedArray,
  xs: readonly number[],
  w: TypedArray,
  ws: readonly number[],
  p: PrimParams["conv"],
  r: TypedArray,
  os: readonly number[],
): TypedArray {
  const [n, c, h, wd] = xs as [number, number, number, number];
  const [o, , kh, kw] = ws as [number, number, number, number];
  const [, , oh, ow] = os as [number, number, number, number];
  const [sh, sw] = p.strides as [number, number];
  const [dh, dw] = p.dilation as [number, number];
  const [ph, pw] = p.padLo as [number, number];
  const [lh, lw] = p.lhsDilation as [number, number];
  const hp = Math.max((h - 1) * lh + 1 + ph, (oh - 1) * sh + (kh - 1) * dh + 1);
  const wp = Math.max((wd - 1) * lw + 1 + pw, (ow - 1) * sw + (kw - 1) * dw + 1);
  const xp = scratch(n * c * hp * wp);
  for (let b = 0; b < n * c; b++)
    for (let y = 0; y < h; y++) {
      const src = (b * h + y) * wd;
      const dst = (b * hp + y * lh + ph) * wp + pw;
      for (let k = 0; k < wd; k++) xp[dst + k * lw] = x[src + k]!;
    }
  let skip = lh > 1;
  for (let t = 0; skip && t < w.length; t++) skip = Number.isFinite(w[t]!);
  const acc = new Float64Array(oh * ow);
  for (let b = 0; b < n; b++)
    for (let f = 0; f < o; f++) {
      acc.fill(0);
      for (let ch = 0; ch < c; ch++) {
        const xb = (b * c + ch) * hp * wp;
        const wb = (f * c + ch) * kh * kw;
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const wv = w[wb + i * kw + j]!;
            for (let oy = 0; oy < oh; oy++) {
              const row = oy * sh + i * dh;
              if (skip) {
                const d = row - ph;
                if (d < 0 || d % lh !== 0 || d / lh >= h) continue;
              }
              const src = xb + row * wp + j * dw;
              const a = oy * ow;
              for (let ox = 0; ox < ow; ox++) acc[a + ox]! += wv * xp[src + ox * sw]!;
            }
          }
      }
      r.set(acc, (b * o + f) * oh * ow);
    }
  return r;
}

export const conv: Kernel<"conv"> = ([x, w], p, out) => {
  const xs = x!.aval.shape;
  const ws = w!.aval.shape;
  const size = sizeOf(out.shape);
  const taps = ws[1]! * ws[2]! * ws[3]!;
  const work = size * taps;
  const xd = x!.data;
  const wd = w!.data;
  // The native kernel writes every output element, so its array may come unzeroed from the pool.
  const direct =
    work > 0 && (taps <= DIRECT_MAX_TAPS || work <= DIRECT_MAX_WORK) && isFloat(xd) && isFloat(wd);
  const r = direct ? outputArray(out.dtype, size) : allocate(out.dtype, size);
  if (work === 0) return r;
  if (direct && isFloat(r)) {
    if (nativeConv(xd, xs, wd, ws, p, r, out.shape)) return r;
    r.fill(0);
  }
  if (work < GEMM_MIN_WORK) return convData(xd, xs, wd, ws, p, r);
  // A product with few output channels fills the matrix kernel's register tiles poorly.
  if (taps <= DIRECT_MAX_TAPS && ws[0]! < JS_DIRECT_MAX_OUT) return directJs(xd, xs, wd, ws, p, r, out.shape);
  // cols [N, OH·OW, C·KH·KW] · weights [O, C·KH·KW] → [N, OH·OW, O], then transposed to [N, O, OH·OW].
  const [n, c, h, wdt] = xs as [number, number, number, number];
  const [o, , kh, kw] = ws as [number, number, number, number];
  const [, , oh, ow] = out.shape as [number, number, number, number];
  const [sh, sw] = p.strides as [number, number];
  const [dh, dw] = p.dilation as [number, number];
  const [ph, pw] = p.padLo as [number, number];
  const [lh, lw] = p.lhsDilation as [number, number];
  const l = oh * ow;
  const cols = colsScratch(out.dtype, n * l * taps);
  let q = 0;
  for (let b = 0; b < n; b++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          const xb = (b * c + ch) * h * wdt;
          for (let i = 0; i < kh; i++) {
            const yd = oy * sh + i * dh - ph;
            const y = yd / lh;
            if (yd < 0 || y >= h || yd % lh !== 0) {
              q += kw;
              continue;
            }
            const row = xb + y * wdt;
            for (let j = 0; j < kw; j++) {
              const xe = ox * sw + j * dw - pw;
              const xx = xe / lw;
              if (xe >= 0 && xx < wdt && xe % lw === 0) cols[q] = xd[row + xx]!;
              q++;
            }
          }
        }
  const y = dotGeneralData(
    cols,
    [n, l, taps],
    wd,
    [o, taps],
    { lhsContract: [2], rhsContract: [1], lhsBatch: [], rhsBatch: [] },
    { shape: [n, l, o], dtype: out.dtype, weak: out.weak },
  );
  for (let b = 0; b < n; b++)
    for (let f = 0; f < o; f++) {
      const src = b * l * o + f;
      const dst = (b * o + f) * l;
      for (let k = 0; k < l; k++) r[dst + k] = y[src + k * o]!;
    }
  return r;
};
