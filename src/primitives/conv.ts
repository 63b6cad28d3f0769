// The 2-D convolution primitive `conv` (NCHW input, OIHW weight, window strides, zero padding per side,
// kernel dilation, input dilation as JAX's lhs_dilation) and every rule of its: shape, JVP, batching,
// Taylor series, transpose, and the float64 reference kernel. It is bilinear, so its derivatives and its
// transposes are convolutions again (the input's transpose a convolution of the cotangent, dilated by the
// stride, with the flipped kernel), and every order composes. The fast kernels live in the backends.

import type { TypedArray } from "../core/dtype.js";
import { isFloat } from "../core/dtype.js";
import { DTypeError, fmtShape, ShapeError } from "../core/errors.js";
import type { PrimParams } from "../core/primitives.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { addT } from "./binary.js";
import * as lax from "./lax.js";
import { type FamilyRules, loop, sameDtype, type VmapRule } from "./rule-helpers.js";
import { binom, full, type Item, lincomb, Series } from "./series.js";
import type { JetRule } from "./series-rules.js";
import { isLin, shapeOf } from "./unbroadcast.js";

/**
 * Geometry of a convolution, per spatial axis (height, width): the window stride, the zero padding before
 * and after the input, the spacing of kernel taps (dilation) and of input pixels (lhsDilation: lhsDilation
 * − 1 zeros between neighbours, as a transposed convolution's stride).
 */
export interface ConvParams {
  strides: number[];
  padLo: number[];
  padHi: number[];
  dilation: number[];
  lhsDilation: number[];
}

declare module "../core/primitives.js" {
  interface PrimParams {
    /**
     * conv(x, w): cross-correlation of x [N, C, H, W] with w [O, C, KH, KW] into [N, O, OH, OW], x dilated
     * (lhsDilation) and padded with zeros (padLo/padHi per spatial axis), windows `strides` apart, kernel
     * taps `dilation` apart.
     * Declared with its rules in primitives/conv.ts.
     */
    conv: ConvParams;
  }
}

type T = Tensor;

/** Binds conv; the wrapper nn.conv2d checks its arguments and names itself in errors. */
export const conv = (x: Tensor, w: Tensor, params: ConvParams): Tensor => bind("conv", [x, w], params);

/** The length of `n` pixels `ld` apart (ld − 1 zeros between neighbours). */
export const dilatedSize = (n: number, ld: number) => (n === 0 ? 0 : (n - 1) * ld + 1);

/** The output size along one axis: windows of `k` taps `d` apart, `s` apart, over `n` padded by lo + hi. */
export const convOutSize = (n: number, k: number, s: number, d: number, lo: number, hi: number) =>
  Math.floor((n + lo + hi - (d * (k - 1) + 1)) / s) + 1;

/** The output size along spatial axis `a` (0: height, 1: width) of input length n and kernel length k. */
const outSize = (p: ConvParams, a: number, n: number, k: number) =>
  convOutSize(dilatedSize(n, p.lhsDilation[a]!), k, p.strides[a]!, p.dilation[a]!, p.padLo[a]!, p.padHi[a]!);

function convShape(xs: readonly number[], ws: readonly number[], p: ConvParams): number[] {
  const bad = (what: string) =>
    new ShapeError(`conv: ${what}: input ${fmtShape(xs)}, weight ${fmtShape(ws)}, ${JSON.stringify(p)}`);
  if (xs.length !== 4 || ws.length !== 4)
    throw bad("expected an input [N, C, H, W] and a weight [O, C, KH, KW]");
  if (xs[1] !== ws[1]) throw bad("the input's and the weight's channel counts differ");
  const ok = (v: number[], min: number) => v.length === 2 && v.every((a) => Number.isInteger(a) && a >= min);
  if (!ok(p.strides, 1) || !ok(p.dilation, 1) || !ok(p.lhsDilation, 1) || !ok(p.padLo, 0) || !ok(p.padHi, 0))
    throw bad("strides and dilations must be positive and padding non-negative, two of each");
  const out = [0, 1].map((a) => outSize(p, a, xs[2 + a]!, ws[2 + a]!));
  if (out.some((o) => o < 1)) throw bad("the padded input is smaller than the dilated kernel");
  return [xs[0]!, ws[0]!, out[0]!, out[1]!];
}

/** Every ld-th pixel of each spatial axis of x [N, C, (H − 1)·ld + 1, ...]: the inverse of lhs dilation. */
function subsample(x: T, ld: number[]): T {
  if (ld[0] === 1 && ld[1] === 1) return x;
  const [n, c, hd, wd] = x.aval.shape as [number, number, number, number];
  const [h, w] = [Math.floor((hd - 1) / ld[0]!) + 1, Math.floor((wd - 1) / ld[1]!) + 1];
  const padded = lax.pad(x, [0, 0, 0, 0], [0, 0, h * ld[0]! - hd, w * ld[1]! - wd]);
  const six = lax.reshape(padded, [n, c, h, ld[0]!, w, ld[1]!]);
  return lax.reshape(lax.slice(six, [0, 0, 0, 0, 0, 0], [n, c, h, 1, w, 1]), [n, c, h, w]);
}

/**
 * The input's cotangent: ct [N, O, OH, OW] dilated by the stride (lhsDilation), correlated with the kernel
 * flipped and its channel axes swapped, padded so that output pixel y lines up with (dilated) input pixel
 * y (a transposed convolution); padding that would be negative becomes a crop of the output. With the
 * input itself dilated, only its own pixels are kept.
 */
function transposeInput(ct: T, w: T, xShape: readonly number[], p: ConvParams): T {
  const [, , oh, ow] = ct.aval.shape as [number, number, number, number];
  const [, , kh, kw] = w.aval.shape as [number, number, number, number];
  const xd = [0, 1].map((a) => dilatedSize(xShape[2 + a]!, p.lhsDilation[a]!));
  const ld = [dilatedSize(oh, p.strides[0]!), dilatedSize(ow, p.strides[1]!)];
  const span = [0, 1].map((a) => p.dilation[a]! * ([kh, kw][a]! - 1) + 1);
  const lo = [0, 1].map((a) => span[a]! - 1 - p.padLo[a]!);
  const hi = [0, 1].map((a) => xd[a]! + p.padLo[a]! - ld[a]!);
  const wf = lax.rev(lax.transpose(w, [1, 0, 2, 3]), [2, 3]);
  const full = conv(ct, wf, {
    strides: [1, 1],
    padLo: lo.map((v) => Math.max(v, 0)),
    padHi: hi.map((v) => Math.max(v, 0)),
    dilation: [...p.dilation],
    lhsDilation: [...p.strides],
  });
  const fs = full.aval.shape;
  const from = lo.map((v) => Math.max(-v, 0));
  const cropped = lax.slice(
    full,
    [0, 0, from[0]!, from[1]!],
    [fs[0]!, fs[1]!, from[0]! + xd[0]!, from[1]! + xd[1]!],
  );
  return subsample(cropped, p.lhsDilation);
}

/**
 * The weight's cotangent: w̄[o, c, i, j] = Σ ct[n, o, y, x]·x_dp[n, c, y·s + i·d, x·s + j·d] (x_dp the
 * dilated, padded input), a convolution of the input (batch and channel axes swapped, so N is summed as
 * channels) with the cotangent as kernel, the roles of stride and dilation exchanged; input rows and columns
 * no window reaches are cut first, so that the output is exactly KH × KW.
 */
function transposeWeight(ct: T, x: T, wShape: readonly number[], p: ConvParams): T {
  const [, , oh, ow] = ct.aval.shape as [number, number, number, number];
  const xs = x.aval.shape;
  const out = [oh, ow];
  // The length of dilated input the windows reach, padding before it excluded.
  const reach = [0, 1].map(
    (a) => (wShape[2 + a]! - 1) * p.dilation[a]! + (out[a]! - 1) * p.strides[a]! + 1 - p.padLo[a]!,
  );
  // A padding so wide that no window reaches the input: the weight gets no gradient.
  if (reach.some((r) => r < 1)) return lax.zerosLike({ ...ct.aval, shape: [...wShape] });
  // Input pixels within reach, and the padding after them that makes the output KH × KW.
  const keep = [0, 1].map((a) => Math.min(xs[2 + a]!, Math.floor((reach[a]! - 1) / p.lhsDilation[a]!) + 1));
  const xc = lax.slice(x, [0, 0, 0, 0], [xs[0]!, xs[1]!, keep[0]!, keep[1]!]);
  const r = conv(lax.transpose(xc, [1, 0, 2, 3]), lax.transpose(ct, [1, 0, 2, 3]), {
    strides: [...p.dilation],
    padLo: [...p.padLo],
    padHi: [0, 1].map((a) => reach[a]! - dilatedSize(keep[a]!, p.lhsDilation[a]!)),
    dilation: [...p.strides],
    lhsDilation: [...p.lhsDilation],
  });
  return lax.transpose(r, [1, 0, 2, 3]);
}

const convVmap: VmapRule<"conv"> = (vals, dims, p, size) => {
  const [x, w] = vals as [T, T];
  const [dx, dw] = dims;
  if (dx !== null && dw !== null) return loop("conv")(vals, dims, p, size);
  if (dx !== null && dx !== undefined) {
    // The batch joins N.
    const f = lax.moveAxis(x, dx, 0);
    const s = f.aval.shape;
    const y = conv(lax.reshape(f, [s[0]! * s[1]!, ...s.slice(2)]), w, p);
    return [lax.reshape(y, [s[0]!, s[1]!, ...y.aval.shape.slice(1)]), 0];
  }
  if (dw !== null && dw !== undefined) {
    // The batch joins O: the output's channel axis splits back into (batch, O).
    const f = lax.moveAxis(w, dw, 0);
    const s = f.aval.shape;
    const y = conv(x, lax.reshape(f, [s[0]! * s[1]!, ...s.slice(2)]), p);
    const ys = y.aval.shape;
    return [lax.reshape(y, [ys[0]!, s[0]!, s[1]!, ...ys.slice(2)]), 1];
  }
  return [conv(x, w, p), null];
};

/** conv is bilinear: the Leibniz rule with the convolution as the product. */
const convSeries: JetRule<"conv"> = ([a, b], [u, v], params, order) => {
  const out = conv(a!, b!, params);
  const s = Series.direct(order, out.aval, out, (m) => {
    const items: Item[] = [];
    for (let i = 0; i <= m; i++) {
      const bj = v!.term(m - i);
      const ai = bj && u!.term(i);
      if (ai && bj) items.push([binom(m, i), conv(full(ai, a!.aval), full(bj, b!.aval), params)]);
    }
    return lincomb(out.aval, items);
  });
  return [out, s];
};

export const CONV: FamilyRules<"conv", "conv"> = {
  shape: {
    conv: ([x, w], p) => {
      sameDtype("conv", [x!, w!]);
      if (!isFloat(x!.dtype)) throw new DTypeError(`conv: expects float operands, got ${x!.dtype}`);
      return { shape: convShape(x!.shape, w!.shape, p), dtype: x!.dtype, weak: x!.weak && w!.weak };
    },
  },
  jvp: {
    conv: ([x, w], [dx, dw], p) => [conv(x!, w!, p), addT(dx && conv(dx, w!, p), dw && conv(x!, dw, p))],
  },
  vmap: { conv: convVmap },
  jet: { conv: convSeries },
  transpose: {
    conv: (ct, [x, w], p) => [
      isLin(x) ? transposeInput(ct, w as T, shapeOf(x), p) : null,
      isLin(w) ? transposeWeight(ct, x as T, shapeOf(w), p) : null,
    ],
  },
};

/**
 * The reference kernel: for every output pixel, the sum over (channel, kernel row, kernel column) in that
 * order of weight × dilated, padded input, accumulated in float64 from 0 (padding contributes 0·w, so a non-finite
 * weight gives NaN there as a product with an explicit zero would).
 */
export function convData(
  x: TypedArray,
  xShape: readonly number[],
  w: TypedArray,
  wShape: readonly number[],
  p: PrimParams["conv"],
  out: TypedArray,
): TypedArray {
  const [n, c, h, wd] = xShape as [number, number, number, number];
  const [o, , kh, kw] = wShape as [number, number, number, number];
  const [sh, sw] = p.strides as [number, number];
  const [dh, dw] = p.dilation as [number, number];
  const [ph, pw] = p.padLo as [number, number];
  const [lh, lw] = p.lhsDilation as [number, number];
  const oh = outSize(p, 0, h, kh);
  const ow = outSize(p, 1, wd, kw);
  let q = 0;
  for (let b = 0; b < n; b++)
    for (let f = 0; f < o; f++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let acc = 0;
          for (let ch = 0; ch < c; ch++) {
            const xb = (b * c + ch) * h * wd;
            const wb = (f * c + ch) * kh * kw;
            for (let i = 0; i < kh; i++) {
              const yd = oy * sh + i * dh - ph;
              const y = yd / lh;
              const rowIn = yd >= 0 && y < h && yd % lh === 0;
              for (let j = 0; j < kw; j++) {
                const xd = ox * sw + j * dw - pw;
                const xx = xd / lw;
                const v = rowIn && xd >= 0 && xx < wd && xd % lw === 0 ? x[xb + y * wd + xx]! : 0;
                acc += w[wb + i * kw + j]! * v;
              }
            }
          }
          out[q++] = acc;
        }
  return out;
}
