// The 2-D convolution primitive `conv` (NCHW input, OIHW weight, window strides, zero padding per side,
// kernel dilation) and every rule of its: shape, JVP, batching, Taylor series, transpose, and the float64
// reference kernel. It is bilinear, so its derivatives and its transposes are convolutions again (with the
// input's transpose a convolution of the stride-dilated cotangent with the flipped kernel), and every
// order composes. The fast kernels live in the backends.

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

/** Geometry of a convolution: per spatial axis (height, width), the stride, zero padding and dilation. */
export interface ConvParams {
  strides: number[];
  padLo: number[];
  padHi: number[];
  dilation: number[];
}

declare module "../core/primitives.js" {
  interface PrimParams {
    /**
     * conv(x, w): cross-correlation of x [N, C, H, W] with w [O, C, KH, KW] into [N, O, OH, OW], x padded
     * with zeros (padLo/padHi per spatial axis), windows `strides` apart, kernel taps `dilation` apart.
     * Declared with its rules in primitives/conv.ts.
     */
    conv: ConvParams;
  }
}

type T = Tensor;

/** Binds conv; the wrapper nn.conv2d checks its arguments and names itself in errors. */
export const conv = (x: Tensor, w: Tensor, params: ConvParams): Tensor => bind("conv", [x, w], params);

/** The output size along one axis: windows of `k` taps `d` apart, `s` apart, over `n` padded by lo + hi. */
export const convOutSize = (n: number, k: number, s: number, d: number, lo: number, hi: number) =>
  Math.floor((n + lo + hi - (d * (k - 1) + 1)) / s) + 1;

function convShape(xs: readonly number[], ws: readonly number[], p: ConvParams): number[] {
  const bad = (what: string) =>
    new ShapeError(`conv: ${what}: input ${fmtShape(xs)}, weight ${fmtShape(ws)}, ${JSON.stringify(p)}`);
  if (xs.length !== 4 || ws.length !== 4)
    throw bad("expected an input [N, C, H, W] and a weight [O, C, KH, KW]");
  if (xs[1] !== ws[1]) throw bad("the input's and the weight's channel counts differ");
  const ok = (v: number[], min: number) => v.length === 2 && v.every((a) => Number.isInteger(a) && a >= min);
  if (!ok(p.strides, 1) || !ok(p.dilation, 1) || !ok(p.padLo, 0) || !ok(p.padHi, 0))
    throw bad("strides and dilation must be positive and padding non-negative, two of each");
  const out = [0, 1].map((a) =>
    convOutSize(xs[2 + a]!, ws[2 + a]!, p.strides[a]!, p.dilation[a]!, p.padLo[a]!, p.padHi[a]!),
  );
  if (out.some((o) => o < 1)) throw bad("the padded input is smaller than the dilated kernel");
  return [xs[0]!, ws[0]!, out[0]!, out[1]!];
}

/** Pads (positive) or crops (negative) each trailing spatial axis of x [.., H, W]. */
function padOrCrop(x: T, lo: number[], hi: number[]): T {
  const s = x.aval.shape;
  const lead = s.length - 2;
  const z = new Array<number>(lead).fill(0);
  const padded = lax.pad(
    x,
    [...z, ...lo.map((v) => Math.max(v, 0))],
    [...z, ...hi.map((v) => Math.max(v, 0))],
  );
  const ps = padded.aval.shape;
  return lax.slice(
    padded,
    [...z, ...lo.map((v) => Math.max(-v, 0))],
    [...ps.slice(0, lead), ...hi.map((v, a) => ps[lead + a]! - Math.max(-v, 0))],
  );
}

/**
 * The input's cotangent: ct [N, O, OH, OW] with stride − 1 zeros inserted between its pixels, correlated
 * with the kernel flipped and its channel axes swapped, padded so that output pixel y lines up with input
 * pixel y (a transposed convolution).
 */
function transposeInput(ct: T, w: T, xShape: readonly number[], p: ConvParams): T {
  const [n, o, oh, ow] = ct.aval.shape as [number, number, number, number];
  const [, , kh, kw] = w.aval.shape as [number, number, number, number];
  const [sh, sw] = p.strides as [number, number];
  // Stride dilation: [N, O, OH, 1, OW, 1] padded by stride − 1 after each pixel, the trailing zeros cut.
  let d = ct;
  if (sh > 1 || sw > 1) {
    const r = lax.pad(
      lax.reshape(ct, [n, o, oh, 1, ow, 1]),
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, sh - 1, 0, sw - 1],
    );
    d = lax.slice(
      lax.reshape(r, [n, o, oh * sh, ow * sw]),
      [0, 0, 0, 0],
      [n, o, (oh - 1) * sh + 1, (ow - 1) * sw + 1],
    );
  }
  const span = [0, 1].map((a) => p.dilation[a]! * ([kh, kw][a]! - 1) + 1);
  const lo = [0, 1].map((a) => span[a]! - 1 - p.padLo[a]!);
  const hi = [0, 1].map((a) => xShape[2 + a]! + p.padLo[a]! - d.aval.shape[2 + a]!);
  const wf = lax.rev(lax.transpose(w, [1, 0, 2, 3]), [2, 3]);
  const dp = padOrCrop(d, lo, hi);
  return conv(dp, wf, { strides: [1, 1], padLo: [0, 0], padHi: [0, 0], dilation: [...p.dilation] });
}

/**
 * The weight's cotangent: w̄[o, c, i, j] = Σ ct[n, o, y, x]·x_pad[n, c, y·s + i·d, x·s + j·d], a convolution
 * of the input (batch and channel axes swapped, so N is summed as channels) with the cotangent as kernel,
 * the roles of stride and dilation exchanged; rows and columns no window reaches are cut first.
 */
function transposeWeight(ct: T, x: T, wShape: readonly number[], p: ConvParams): T {
  const [, , oh, ow] = ct.aval.shape as [number, number, number, number];
  const xs = x.aval.shape;
  const out = [oh, ow];
  // Padding after the input so that the output is exactly KH × KW (negative: the input is cropped).
  const hi = [0, 1].map(
    (a) =>
      (wShape[2 + a]! - 1) * p.dilation[a]! + (out[a]! - 1) * p.strides[a]! + 1 - xs[2 + a]! - p.padLo[a]!,
  );
  // A padding so wide that no window reaches the input: the weight gets no gradient.
  if (hi.some((h, a) => xs[2 + a]! + h < 1)) return lax.zerosLike({ ...ct.aval, shape: [...wShape] });
  const xc = padOrCrop(
    x,
    [0, 0],
    hi.map((h) => Math.min(h, 0)),
  );
  const r = conv(lax.transpose(xc, [1, 0, 2, 3]), lax.transpose(ct, [1, 0, 2, 3]), {
    strides: [...p.dilation],
    padLo: [...p.padLo],
    padHi: hi.map((h) => Math.max(h, 0)),
    dilation: [...p.strides],
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
 * order of weight × padded input, accumulated in float64 from 0 (padding contributes 0·w, so a non-finite
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
  const oh = convOutSize(h, kh, sh, dh, ph, p.padHi[0]!);
  const ow = convOutSize(wd, kw, sw, dw, pw, p.padHi[1]!);
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
              const y = oy * sh + i * dh - ph;
              const rowIn = y >= 0 && y < h;
              for (let j = 0; j < kw; j++) {
                const xx = ox * sw + j * dw - pw;
                const v = rowIn && xx >= 0 && xx < wd ? x[xb + y * wd + xx]! : 0;
                acc += w[wb + i * kw + j]! * v;
              }
            }
          }
          out[q++] = acc;
        }
  return out;
}
