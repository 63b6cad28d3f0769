// 2-D convolution (NCHW, weights [out, in, kh, kw]): the conv primitive behind nn.conv2d and nn.Conv2d, and
// the window geometry and gather indices that pooling shares.
import { fmtShape, ValueError } from "../core/errors.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { add } from "../ops/elementwise.js";
import { split } from "../ops/random.js";
import { reshape } from "../ops/shape.js";
import { floatArg, promoteArgs, type TensorLike } from "../ops/util.js";
import { conv } from "../primitives/conv.js";
import { glorotUniform, type Initializer, zeros } from "./init.js";
import {
  checkParam,
  expectRank,
  floatOption,
  type Layer,
  makeLayer,
  positiveInt,
  shapeError,
} from "./layer.js";

/** A size per spatial axis: one number for both, or [height, width]. */
export type Pair = number | readonly [number, number];

/** Resolved geometry of a windowed operation on [.., H, W]: padding per side, strides, dilations, output size. */
export interface Window {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  /** [[top, bottom], [left, right]]. */
  pads: [[number, number], [number, number]];
  oh: number;
  ow: number;
}

export const pair = (where: string, what: string, v: Pair): [number, number] => {
  const [a, b] = typeof v === "number" ? [v, v] : v;
  if (!Number.isInteger(a) || !Number.isInteger(b) || a! < 0 || b! < 0)
    throw new ValueError(
      `${where}: ${what} must be a non-negative integer or a pair of them, got ${String(v)}`,
    );
  return [a!, b!];
};

/** The window geometry for an input of spatial size h × w, or a ShapeError naming `name`. */
export function windowOf(
  name: string,
  h: number,
  w: number,
  kernel: [number, number],
  stride: [number, number],
  padding: Pair | "same" | "valid",
  dilation: [number, number],
): Window {
  const [kh, kw] = kernel;
  const [dh, dw] = dilation;
  const span = (k: number, d: number) => d * (k - 1) + 1;
  let pads: [[number, number], [number, number]];
  if (padding === "valid")
    pads = [
      [0, 0],
      [0, 0],
    ];
  else if (padding === "same") {
    // TensorFlow's rule: output ⌈size / stride⌉; the odd pixel of padding goes after (as PyTorch too).
    const t = (n: number, k: number, d: number, st: number) =>
      Math.max((Math.ceil(n / st) - 1) * st + span(k, d) - n, 0);
    const th = t(h, kh, dh, stride[0]);
    const tw = t(w, kw, dw, stride[1]);
    pads = [
      [Math.floor(th / 2), Math.ceil(th / 2)],
      [Math.floor(tw / 2), Math.ceil(tw / 2)],
    ];
  } else {
    const [ph, pw] = pair(name, "padding", padding);
    pads = [
      [ph, ph],
      [pw, pw],
    ];
  }
  const oh = Math.floor((h + pads[0][0] + pads[0][1] - span(kh, dh)) / stride[0]) + 1;
  const ow = Math.floor((w + pads[1][0] + pads[1][1] - span(kw, dw)) / stride[1]) + 1;
  if (oh < 1 || ow < 1)
    throw shapeError(
      name,
      `the input's spatial size ${h}×${w} (padded ${h + pads[0][0] + pads[0][1]}×${w + pads[1][0] + pads[1][1]}) is smaller than the ${span(kh, dh)}×${span(kw, dw)} window`,
    );
  return { kh, kw, sh: stride[0], sw: stride[1], dh, dw, pads, oh, ow };
}

const cache = new Map<string, Tensor>();

/**
 * int32 indices [OH·OW, channels·kh·kw] into a padded input flattened to [channels·Hp·Wp]: row l lists
 * the pixels under the window at output position l, channel-major (matching weights [out, in, kh, kw]).
 */
export function windowIndices(channels: number, hp: number, wp: number, g: Window): Tensor {
  const id = [channels, hp, wp, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.oh, g.ow].join(",");
  const hit = cache.get(id);
  if (hit) return hit;
  const k = channels * g.kh * g.kw;
  const idx = new Int32Array(g.oh * g.ow * k);
  let p = 0;
  for (let oy = 0; oy < g.oh; oy++)
    for (let ox = 0; ox < g.ow; ox++)
      for (let c = 0; c < channels; c++)
        for (let i = 0; i < g.kh; i++) {
          const row = c * hp * wp + (oy * g.sh + i * g.dh) * wp + ox * g.sw;
          for (let j = 0; j < g.kw; j++) idx[p++] = row + j * g.dw;
        }
  // Built as data, not by operations: the cache outlives any trace it is first used in (jit), so it must
  // never hold a traced value.
  const t = new ConcreteTensor(idx, { shape: [g.oh * g.ow, k], dtype: "int32", weak: false });
  if (cache.size > 256) cache.clear();
  cache.set(id, t);
  return t;
}

export interface Conv2dOptions {
  /** Default 1. */
  stride?: Pair;
  /** Zero padding per side, or "same" (output size ⌈input / stride⌉, TensorFlow's rule) or "valid" (none). Default 0. */
  padding?: Pair | "same" | "valid";
  /** Spacing between kernel taps. Default 1. */
  dilation?: Pair;
}

/**
 * Checks that an input of shape `s` (channels first, then the spatial dims `spatial` names, e.g. "H, W")
 * has `channels` channels; `name` is the function or layer in the error.
 */
export function expectChannels(name: string, s: readonly number[], channels: number, spatial: string): void {
  const nSpatial = spatial.split(",").length;
  if (s[s.length - nSpatial - 1] !== channels)
    throw shapeError(
      name,
      `expected input with ${channels} channels (shape [N, ${channels}, ${spatial}]), got ${fmtShape(s)}`,
    );
}

/**
 * Applies a batched layer function `f` to `x` of rank `rank` (batched) or `rank` − 1 (one example): an
 * unbatched input gets a leading batch dimension of 1 for `f`, and loses it again in the result.
 */
export function withBatchDim(x: Tensor, rank: number, f: (batched: Tensor) => Tensor): Tensor {
  if (x.ndim === rank) return f(x);
  const y = f(reshape(x, [1, ...x.shape]));
  return reshape(y, y.shape.slice(1));
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's conv2d) of x [N, C, H, W] with weight [O, C, kh, kw],
 * plus an optional bias [O]; output [N, O, OH, OW]. One `conv` primitive, which is differentiable to any
 * order (its derivatives are convolutions again) and works under vmap, jit and jet.
 * @example
 * ```ts
 * const x = nb.ones([1, 1, 4, 4]);
 * const w = nb.ones([2, 1, 3, 3]);
 * nb.nn.conv2d(x, w, { padding: 1 }).shape; // [1, 2, 4, 4]
 * nb.nn.conv2d(x, w).toArray();             // every entry 9
 * ```
 */
export function conv2d(
  x: TensorLike,
  weight: TensorLike,
  options: Conv2dOptions & { bias?: TensorLike } = {},
  name = "conv2d",
): Tensor {
  const xt = floatArg(name, x);
  const wt = floatArg(name, weight);
  expectRank(name, xt.shape, [4], "N, C, H, W");
  if (wt.ndim !== 4)
    throw shapeError(name, `expected weight of rank 4 (out, in, kh, kw), got ${fmtShape(wt.shape)}`);
  const [, c, h, w] = xt.shape as [number, number, number, number];
  const [o, ci, kh, kw] = wt.shape as [number, number, number, number];
  if (c !== ci) expectChannels(name, xt.shape, ci, "H, W");
  const g = windowOf(
    name,
    h,
    w,
    [kh, kw],
    pair(name, "stride", options.stride ?? 1),
    options.padding ?? 0,
    pair(name, "dilation", options.dilation ?? 1),
  );
  if (g.sh === 0 || g.sw === 0 || g.dh === 0 || g.dw === 0)
    throw new ValueError(`${name}: stride and dilation must be positive`);
  const [xc, wc] = promoteArgs(name, xt, wt) as [Tensor, Tensor];
  const out = conv(xc, wc, {
    strides: [g.sh, g.sw],
    padLo: [g.pads[0][0], g.pads[1][0]],
    padHi: [g.pads[0][1], g.pads[1][1]],
    dilation: [g.dh, g.dw],
    lhsDilation: [1, 1],
  });
  return options.bias === undefined ? out : add(out, reshape(floatArg(name, options.bias), [o, 1, 1]));
}

/** Parameters of {@link Conv2d}: `weight` [out, in, kh, kw] and `bias` [out]. */
export type Conv2dParams = { weight: Tensor; bias?: Tensor };

/**
 * A 2-D convolution layer on NCHW inputs with weights [out, in, kh, kw] (PyTorch's layout), stride,
 * zero padding (or "same"/"valid") and dilation. Unbatched [C, H, W] inputs are accepted too.
 * @example
 * ```ts
 * const conv = nb.nn.Conv2d(1, 8, 3, { padding: 1 });
 * const { params } = conv.init(0);
 * conv.apply(params, nb.zeros([2, 1, 28, 28])).shape; // [2, 8, 28, 28]
 * nb.nn.countParams(params);                          // 80
 * ```
 */
export function Conv2d(
  inChannels: number,
  outChannels: number,
  kernelSize: Pair,
  options: Conv2dOptions & {
    bias?: boolean;
    weightInit?: Initializer;
    biasInit?: Initializer;
    dtype?: "float32" | "float64";
  } = {},
): Layer<Conv2dParams> {
  positiveInt("Conv2d", "inChannels", inChannels);
  positiveInt("Conv2d", "outChannels", outChannels);
  const [kh, kw] = pair("Conv2d", "kernelSize", kernelSize);
  const stride = pair("Conv2d", "stride", options.stride ?? 1);
  const dilation = pair("Conv2d", "dilation", options.dilation ?? 1);
  if (kh === 0 || kw === 0 || stride.includes(0) || dilation.includes(0))
    throw new ValueError("Conv2d: kernelSize, stride and dilation must be positive");
  const padding = options.padding ?? 0;
  const { bias = true, weightInit = glorotUniform, biasInit = zeros } = options;
  const dtype = floatOption("Conv2d", options.dtype);
  const extra = [
    stride[0] !== 1 || stride[1] !== 1 ? `stride ${stride.join("×")}` : "",
    padding !== 0 ? `padding ${typeof padding === "object" ? padding.join("×") : padding}` : "",
    dilation[0] !== 1 || dilation[1] !== 1 ? `dilation ${dilation.join("×")}` : "",
  ].filter((s) => s !== "");
  const name = `Conv2d(${inChannels}→${outChannels}, ${kh}×${kw}${extra.map((s) => `, ${s}`).join("")})`;
  const check = (s: readonly number[]) => {
    expectRank(name, s, [3, 4], "N, C, H, W or C, H, W");
    expectChannels(name, s, inChannels, "H, W");
    return windowOf(name, s[s.length - 2]!, s[s.length - 1]!, [kh, kw], stride, padding, dilation);
  };
  return makeLayer<Conv2dParams>({
    name,
    stochastic: false,
    init: (key) => {
      const fanIn = inChannels * kh * kw;
      const fan = { dtype, fanIn, fanOut: outChannels * kh * kw };
      const [kw0, kb] = split(key);
      const params: Conv2dParams = { weight: weightInit(kw0!, [outChannels, inChannels, kh, kw], fan) };
      if (bias) params.bias = biasInit(kb!, [outChannels], fan);
      return { params, state: {} };
    },
    forward: (p, state, x) => {
      check(x.shape);
      checkParam(name, "weight", p.weight, [outChannels, inChannels, kh, kw]);
      if (p.bias !== undefined) checkParam(name, "bias", p.bias, [outChannels]);
      const y = withBatchDim(x, 4, (b) =>
        conv2d(b, p.weight, { stride, padding, dilation, bias: p.bias }, name),
      );
      return [y, state];
    },
    outputShape: (s) => {
      const g = check(s);
      return [...s.slice(0, -3), outChannels, g.oh, g.ow];
    },
  });
}
