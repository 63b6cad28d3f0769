// 2-D max and average pooling on NCHW inputs: reshape-and-reduce for tiling windows (max pooling with
// small windows as elementwise maxima of strided views instead), gather otherwise.
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { customJvp } from "../interpret/custom.js";
import { array } from "../ops/creation.js";
import { div } from "../ops/elementwise.js";
import { max, mean, sum } from "../ops/reduce.js";
import { pad, reshape, slice, take } from "../ops/shape.js";
import { floatArg, type TensorLike } from "../ops/util.js";
import { type ConvParams, conv } from "../primitives/conv.js";
import * as lax from "../primitives/lax.js";
import { type Pair, pair, type Window, windowIndices, windowOf } from "./conv.js";
import { expectRank, type Layer, makeLayer } from "./layer.js";

export interface PoolOptions {
  /** Default: the kernel size (non-overlapping windows). */
  stride?: Pair;
  /** Padding per side (at most half the kernel): −∞ for max pooling, 0 for average pooling. Default 0. */
  padding?: Pair;
}

export interface AvgPoolOptions extends PoolOptions {
  /** Count padded zeros in the average (PyTorch's default). Default true. */
  countIncludePad?: boolean;
}

type Kind = "max" | "avg";

function geometry(name: string, shape: readonly number[], kernel: Pair, options: PoolOptions): Window {
  expectRank(name, shape, [3, 4], "N, C, H, W or C, H, W");
  const k = pair(name, "kernelSize", kernel);
  const stride = pair(name, "stride", options.stride ?? k);
  const padding = pair(name, "padding", options.padding ?? 0);
  if (k.includes(0) || stride.includes(0))
    throw new ValueError(`${name}: kernelSize and stride must be positive`);
  if (padding[0] * 2 > k[0] || padding[1] * 2 > k[1])
    throw new ValueError(
      `${name}: padding ${padding.join("×")} must be at most half the kernel ${k.join("×")}`,
    );
  return windowOf(name, shape[shape.length - 2]!, shape[shape.length - 1]!, k, stride, padding, [1, 1]);
}

/** Elements per window that are not padding, as a constant [OH, OW] tensor. */
function validCounts(h: number, w: number, g: Window, dtype: "float32" | "float64"): Tensor {
  const counts = new Float64Array(g.oh * g.ow);
  const inside = (start: number, k: number, n: number) => Math.min(start + k, n) - Math.max(start, 0);
  for (let oy = 0; oy < g.oh; oy++)
    for (let ox = 0; ox < g.ow; ox++)
      counts[oy * g.ow + ox] =
        inside(oy * g.sh - g.pads[0][0], g.kh, h) * inside(ox * g.sw - g.pads[1][0], g.kw, w);
  return reshape(array(counts, { dtype }), [g.oh, g.ow]);
}

/** Tiling max-pool windows of at most this many elements run as elementwise maxima of strided views. */
const VIEW_MAX_WINDOW = 16;

/** The kh·kw strided views [N, C, OH, OW] of t [N, C, OH·kh, OW·kw], element (a, b) of every window each. */
function windowViews(t: Tensor, kh: number, kw: number): Tensor[] {
  const [n, c, h, w] = t.shape as [number, number, number, number];
  const [oh, ow] = [h / kh, w / kw];
  const six = lax.reshape(t, [n, c, oh, kh, ow, kw]);
  const views: Tensor[] = [];
  for (let a = 0; a < kh; a++)
    for (let b = 0; b < kw; b++)
      views.push(
        lax.reshape(lax.slice(six, [0, 0, 0, a, 0, b], [n, c, oh, a + 1, ow, b + 1]), [n, c, oh, ow]),
      );
  return views;
}

const viewsMax = (t: Tensor, kh: number, kw: number) =>
  windowViews(t, kh, kw).reduce((m, v) => lax.max(m, v));

/** Per-channel convolutions with a kh × kw kernel of ones, on x [N, C, ...] folded to [N·C, 1, ...]. */
function perChannel(x: Tensor, kh: number, kw: number, params: ConvParams, outHw: [number, number]): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const ones = lax.fullAval({ shape: [1, 1, kh, kw], dtype: x.dtype, weak: false }, 1);
  return lax.reshape(conv(lax.reshape(x, [n * c, 1, h, w]), ones, params), [n, c, ...outHw]);
}

/** Each pixel of z [N, C, OH, OW] repeated over its kh × kw window: a transposed convolution with ones. */
const upsample = (z: Tensor, kh: number, kw: number) =>
  perChannel(
    z,
    kh,
    kw,
    {
      strides: [1, 1],
      padLo: [kh - 1, kw - 1],
      padHi: [kh - 1, kw - 1],
      dilation: [1, 1],
      lhsDilation: [kh, kw],
    },
    [z.shape[2]! * kh, z.shape[3]! * kw],
  );

/** The sum over each tiling kh × kw window of x [N, C, OH·kh, OW·kw]: a strided convolution with ones. */
const windowSum = (x: Tensor, kh: number, kw: number) =>
  perChannel(
    x,
    kh,
    kw,
    { strides: [kh, kw], padLo: [0, 0], padHi: [0, 0], dilation: [1, 1], lhsDilation: [1, 1] },
    [x.shape[2]! / kh, x.shape[3]! / kw],
  );

/**
 * Max over tiling kh × kw windows of t [N, C, OH·kh, OW·kw]: one elementwise loop over strided views rather
 * than a reduction over short axes. Its derivative is reduce_max's (ties share it equally): the window sum
 * of dx where x is its window's maximum, divided by how many are; window sums and the repetition of
 * per-window values over their windows (the sum's transpose) are convolutions with a kernel of ones, so
 * the backward pass reads and writes only contiguous arrays.
 */
function tiledMax(t: Tensor, kh: number, kw: number): Tensor {
  const key = `${kh}×${kw}`;
  const cached = tiledMaxFns.get(key);
  if (cached !== undefined) return cached(t);
  const g: (x: Tensor) => Tensor = customJvp(
    (x: Tensor) => viewsMax(x, kh, kw),
    (primals, tangents) => {
      const x = primals[0] as Tensor;
      const dx = tangents[0] as Tensor;
      // The output through this same rule, so that its own derivative shares ties equally too.
      const y: Tensor = g(x);
      const count = windowViews(x, kh, kw)
        .map((v) => lax.convert(lax.eq(v, y), x.dtype, x.aval.weak))
        .reduce((acc, m) => lax.add(acc, m));
      const mask = lax.convert(lax.eq(x, upsample(y, kh, kw)), x.dtype, x.aval.weak);
      return [y, lax.div(windowSum(lax.mul(dx, mask), kh, kw), count)];
    },
  );
  tiledMaxFns.set(key, g);
  return g(t);
}

const tiledMaxFns = new Map<string, (x: Tensor) => Tensor>();

function pool(kind: Kind, x: TensorLike, kernel: Pair, options: AvgPoolOptions, name: string): Tensor {
  const t0 = floatArg(name, x);
  const g = geometry(name, t0.shape, kernel, options);
  const t = t0.ndim === 4 ? t0 : reshape(t0, [1, ...t0.shape]);
  const [n, c, h, w] = t.shape as [number, number, number, number];
  const reduce = kind === "max" ? max : mean;
  const noPad = g.pads.every(([a, b]) => a === 0 && b === 0);
  let y: Tensor;
  if (noPad && g.sh === g.kh && g.sw === g.kw) {
    // Tiling windows: crop the remainder, split each spatial axis into (out, kernel) and reduce the kernels.
    const cropped = slice(t, [0, 0, 0, 0], [n, c, g.oh * g.kh, g.ow * g.kw]);
    y =
      kind === "max" && g.kh * g.kw <= VIEW_MAX_WINDOW
        ? tiledMax(cropped, g.kh, g.kw)
        : reduce(reshape(cropped, [n, c, g.oh, g.kh, g.ow, g.kw]), { axis: [3, 5] });
  } else {
    // Max pooling pads with the lowest finite value (not −∞, so padded gradients stay 0 rather than NaN).
    const low = t.dtype === "float64" ? -Number.MAX_VALUE : -3.4028234663852886e38;
    const tp = pad(t, [[0, 0], [0, 0], ...g.pads], kind === "max" ? low : 0);
    const hp = h + g.pads[0][0] + g.pads[0][1];
    const wp = w + g.pads[1][0] + g.pads[1][1];
    const windows = take(reshape(tp, [n, c, hp * wp]), windowIndices(1, hp, wp, g), 2);
    const reduced =
      kind === "avg" && options.countIncludePad === false
        ? div(sum(windows, { axis: 3 }), reshape(validCounts(h, w, g, t.dtype as "float32"), [g.oh * g.ow]))
        : reduce(windows, { axis: 3 });
    y = reshape(reduced, [n, c, g.oh, g.ow]);
  }
  return t0.ndim === 4 ? y : reshape(y, y.shape.slice(1));
}

/**
 * Max pooling over kernel windows of x [N, C, H, W] (or [C, H, W]). Ties share the gradient equally.
 * @example
 * ```ts
 * const x = nb.reshape(nb.arange(16), [1, 1, 4, 4]);
 * nb.nn.maxPool2d(x, 2).toArray(); // [[[[5, 7], [13, 15]]]]
 * ```
 */
export function maxPool2d(x: TensorLike, kernelSize: Pair, options: PoolOptions = {}): Tensor {
  return pool("max", x, kernelSize, options, "maxPool2d");
}

/**
 * Average pooling over kernel windows of x [N, C, H, W] (or [C, H, W]).
 * @example
 * ```ts
 * const x = nb.reshape(nb.arange(16), [1, 1, 4, 4]);
 * nb.nn.avgPool2d(x, 2).toArray(); // [[[[2.5, 4.5], [10.5, 12.5]]]]
 * ```
 */
export function avgPool2d(x: TensorLike, kernelSize: Pair, options: AvgPoolOptions = {}): Tensor {
  return pool("avg", x, kernelSize, options, "avgPool2d");
}

function poolLayer(kind: Kind, kernelSize: Pair, options: AvgPoolOptions): Layer {
  const k = pair(kind === "max" ? "MaxPool2d" : "AvgPool2d", "kernelSize", kernelSize);
  const extra = [
    options.stride !== undefined ? `stride ${pair("pool", "stride", options.stride).join("×")}` : "",
    options.padding ? `padding ${pair("pool", "padding", options.padding).join("×")}` : "",
  ].filter((s) => s !== "");
  const name = `${kind === "max" ? "MaxPool2d" : "AvgPool2d"}(${k.join("×")}${extra.map((s) => `, ${s}`).join("")})`;
  return makeLayer({
    name,
    stochastic: false,
    init: () => ({ params: {}, state: {} }),
    forward: (_p, state, x) => [pool(kind, x, kernelSize, options, name), state],
    outputShape: (s) => {
      const g = geometry(name, s, kernelSize, options);
      return [...s.slice(0, -2), g.oh, g.ow];
    },
  });
}

/**
 * A max-pooling layer (no parameters); stride defaults to the kernel size.
 * @example
 * ```ts
 * nb.nn.MaxPool2d(2).apply({}, nb.zeros([8, 16, 28, 28])).shape; // [8, 16, 14, 14]
 * ```
 */
export function MaxPool2d(kernelSize: Pair, options: PoolOptions = {}): Layer {
  return poolLayer("max", kernelSize, options);
}

/**
 * An average-pooling layer (no parameters); stride defaults to the kernel size.
 * @example
 * ```ts
 * nb.nn.AvgPool2d(2, { stride: 1 }).apply({}, nb.zeros([1, 3, 5, 5])).shape; // [1, 3, 4, 4]
 * ```
 */
export function AvgPool2d(kernelSize: Pair, options: AvgPoolOptions = {}): Layer {
  return poolLayer("avg", kernelSize, options);
}
