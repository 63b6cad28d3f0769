// The fast backend's convolution kernel. Few kernel taps per output pixel (C·KH·KW) or little work: the
// native addon's direct convolution, which equals the reference bit for bit. Otherwise the windows are
// unrolled into rows (im2col) and multiplied by the weights as one matrix product (native GEMM or
// WebAssembly), which is dot_general's arithmetic: float32 then accumulates in float32, as BLAS does.
// Small convolutions without the addon run the reference loops.
import { allocate, type TypedArray } from "../../core/dtype.js";
import { sizeOf } from "../../core/shape.js";
import { convData } from "../../primitives/conv.js";
import type { Kernel } from "../backend.js";
import { nativeConv } from "../native/conv.js";
import { dotGeneralData } from "./matmul.js";

/** Up to this many taps per output pixel, the direct kernel beats unrolling the windows. */
const DIRECT_MAX_TAPS = 64;
/** Up to this many multiply-adds, the direct kernel is used whatever the taps (a weight gradient's shape). */
const DIRECT_MAX_WORK = 1 << 23;
/** From this many multiply-adds, unrolling into a matrix product beats the reference loops. */
const GEMM_MIN_WORK = 24 * 24 * 24;

const isFloat = (a: TypedArray): a is Float32Array | Float64Array =>
  a instanceof Float32Array || a instanceof Float64Array;

export const conv: Kernel<"conv"> = ([x, w], p, out) => {
  const xs = x!.aval.shape;
  const ws = w!.aval.shape;
  const r = allocate(out.dtype, sizeOf(out.shape));
  const taps = ws[1]! * ws[2]! * ws[3]!;
  const work = r.length * taps;
  if (work === 0) return r;
  const xd = x!.data;
  const wd = w!.data;
  if (
    (taps <= DIRECT_MAX_TAPS || work <= DIRECT_MAX_WORK) &&
    isFloat(xd) &&
    isFloat(wd) &&
    isFloat(r) &&
    nativeConv(xd, xs, wd, ws, p, r, out.shape)
  )
    return r;
  if (work < GEMM_MIN_WORK) return convData(xd, xs, wd, ws, p, r);
  // cols [N, OH·OW, C·KH·KW] · weights [O, C·KH·KW] → [N, OH·OW, O], then transposed to [N, O, OH·OW].
  const [n, c, h, wdt] = xs as [number, number, number, number];
  const [o, , kh, kw] = ws as [number, number, number, number];
  const [, , oh, ow] = out.shape as [number, number, number, number];
  const [sh, sw] = p.strides as [number, number];
  const [dh, dw] = p.dilation as [number, number];
  const [ph, pw] = p.padLo as [number, number];
  const [lh, lw] = p.lhsDilation as [number, number];
  const l = oh * ow;
  const cols = allocate(out.dtype, n * l * taps);
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
