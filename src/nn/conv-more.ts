// 1-D convolution (NCL, weights [out, in, k]) and 2-D transposed convolution (NCHW, weights [in, out, kh, kw]),
// both written with the conv primitive (the transposed one dilating its input by the stride): no
// derivative code of their own.
import { fmtShape, NablaError, ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { add } from "../ops/elementwise.js";
import { split } from "../ops/random.js";
import { flip, reshape, slice, transpose } from "../ops/shape.js";
import { floatArg, promoteArgs, type TensorLike } from "../ops/util.js";
import { conv } from "../primitives/conv.js";
import { conv2d, expectChannels, type Pair, pair, withBatchDim } from "./conv.js";
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

/** Options of {@link conv1d} and {@link Conv1d}. */
export interface Conv1dOptions {
  /** Default 1. */
  stride?: number;
  /** Zero padding per side, or "same" (output ⌈length / stride⌉) or "valid" (none). Default 0. */
  padding?: number | "same" | "valid";
  /** Spacing between kernel taps. Default 1. */
  dilation?: number;
}

const nonNegInt = (where: string, what: string, v: unknown, min = 0): number => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min)
    throw new ValueError(
      `${where}: ${what} must be a ${min > 0 ? "positive" : "non-negative"} integer, got ${String(v)}`,
    );
  return v;
};

function conv1dGeometry(where: string, options: Conv1dOptions) {
  const stride = nonNegInt(where, "stride", options.stride ?? 1, 1);
  const dilation = nonNegInt(where, "dilation", options.dilation ?? 1, 1);
  const p = options.padding ?? 0;
  const padding: number | "same" | "valid" =
    p === "same" || p === "valid" ? p : nonNegInt(where, "padding", p);
  return { stride, dilation, padding };
}

/** The output length of a 1-D convolution, or a ShapeError naming `name`. */
function conv1dLength(name: string, l: number, k: number, g: ReturnType<typeof conv1dGeometry>): number {
  const span = g.dilation * (k - 1) + 1;
  if (g.padding === "same") return Math.ceil(l / g.stride);
  const p = g.padding === "valid" ? 0 : g.padding;
  if (l + 2 * p < span)
    throw shapeError(
      name,
      `the input's length ${l} (padded ${l + 2 * p}) is shorter than the kernel's span ${span}`,
    );
  return Math.floor((l + 2 * p - span) / g.stride) + 1;
}

/**
 * 1-D convolution (cross-correlation, as PyTorch's conv1d) of x [N, C, L] with weight [O, C, k], plus an
 * optional bias [O]; output [N, O, L_out] with L_out = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.
 * It is conv2d on a height of 1.
 * @example
 * ```ts
 * const x = nb.ones([1, 1, 5]);
 * const w = nb.ones([2, 1, 3]);
 * nb.nn.conv1d(x, w).toArray(); // [[[3, 3, 3], [3, 3, 3]]]
 * nb.nn.conv1d(x, w, { padding: "same" }).shape; // [1, 2, 5]
 * ```
 */
export function conv1d(
  x: TensorLike,
  weight: TensorLike,
  options: Conv1dOptions & { bias?: TensorLike } = {},
  name = "conv1d",
): Tensor {
  const xt = floatArg(name, x);
  const wt = floatArg(name, weight);
  expectRank(name, xt.shape, [3], "N, C, L");
  if (wt.ndim !== 3)
    throw shapeError(name, `expected weight of rank 3 (out, in, k), got ${fmtShape(wt.shape)}`);
  const [n, c, l] = xt.shape as [number, number, number];
  const [o, ci, k] = wt.shape as [number, number, number];
  if (c !== ci) expectChannels(name, xt.shape, ci, "L");
  const g = conv1dGeometry(name, options);
  conv1dLength(name, l, k, g);
  const y = conv2d(
    reshape(xt, [n, c, 1, l]),
    reshape(wt, [o, c, 1, k]),
    {
      stride: [1, g.stride],
      padding: typeof g.padding === "number" ? [0, g.padding] : g.padding,
      dilation: [1, g.dilation],
      bias: options.bias,
    },
    name,
  );
  return reshape(y, [n, o, y.shape[3]!]);
}

/** Parameters of {@link Conv1d}: `weight` [out, in, k] and `bias` [out]. */
export type Conv1dParams = { weight: Tensor; bias?: Tensor };

interface LayerExtras {
  bias?: boolean;
  weightInit?: Initializer;
  biasInit?: Initializer;
  dtype?: "float32" | "float64";
}

/**
 * A 1-D convolution layer on [N, C, L] inputs (PyTorch's layout) with weights [out, in, k], stride, zero
 * padding (or "same"/"valid") and dilation. Unbatched [C, L] inputs are accepted too.
 * @example
 * ```ts
 * const conv = nb.nn.Conv1d(4, 8, 3, { padding: 1 });
 * const { params } = conv.init(0);
 * conv.apply(params, nb.zeros([2, 4, 50])).shape; // [2, 8, 50]
 * nb.nn.countParams(params);                      // 104
 * ```
 */
export function Conv1d(
  inChannels: number,
  outChannels: number,
  kernelSize: number,
  options: Conv1dOptions & LayerExtras = {},
): Layer<Conv1dParams> {
  positiveInt("Conv1d", "inChannels", inChannels);
  positiveInt("Conv1d", "outChannels", outChannels);
  positiveInt("Conv1d", "kernelSize", kernelSize);
  const g = conv1dGeometry("Conv1d", options);
  const { bias = true, weightInit = glorotUniform, biasInit = zeros } = options;
  const dtype = floatOption("Conv1d", options.dtype);
  const extra = [
    g.stride !== 1 ? `stride ${g.stride}` : "",
    g.padding !== 0 ? `padding ${g.padding}` : "",
    g.dilation !== 1 ? `dilation ${g.dilation}` : "",
  ].filter((s) => s !== "");
  const name = `Conv1d(${inChannels}→${outChannels}, ${kernelSize}${extra.map((s) => `, ${s}`).join("")})`;
  const check = (s: readonly number[]) => {
    expectRank(name, s, [2, 3], "N, C, L or C, L");
    expectChannels(name, s, inChannels, "L");
    return conv1dLength(name, s[s.length - 1]!, kernelSize, g);
  };
  return makeLayer<Conv1dParams>({
    name,
    stochastic: false,
    init: (key) => {
      const fan = { dtype, fanIn: inChannels * kernelSize, fanOut: outChannels * kernelSize };
      const [kw, kb] = split(key);
      const params: Conv1dParams = { weight: weightInit(kw!, [outChannels, inChannels, kernelSize], fan) };
      if (bias) params.bias = biasInit(kb!, [outChannels], fan);
      return { params, state: {} };
    },
    forward: (p, state, x) => {
      check(x.shape);
      checkParam(name, "weight", p.weight, [outChannels, inChannels, kernelSize]);
      if (p.bias !== undefined) checkParam(name, "bias", p.bias, [outChannels]);
      return [withBatchDim(x, 3, (b) => conv1d(b, p.weight, { ...g, bias: p.bias }, name)), state];
    },
    outputShape: (s) => [...s.slice(0, -2), outChannels, check(s)],
  });
}

/** Options of {@link convTranspose2d} and {@link ConvTranspose2d}. */
export interface ConvTranspose2dOptions {
  /** Default 1. */
  stride?: Pair;
  /** PyTorch's padding: dilation·(k − 1) − padding zeros around the input, so the output shrinks by 2·padding. Default 0. */
  padding?: Pair;
  /** Extra rows/columns on the bottom/right of the output (less than the stride or the dilation). Default 0. */
  outputPadding?: Pair;
  /** Spacing between kernel taps. Default 1. */
  dilation?: Pair;
}

interface TransposeGeometry {
  stride: [number, number];
  padding: [number, number];
  outputPadding: [number, number];
  dilation: [number, number];
}

function transposeGeometry(where: string, options: ConvTranspose2dOptions): TransposeGeometry {
  const stride = pair(where, "stride", options.stride ?? 1);
  const dilation = pair(where, "dilation", options.dilation ?? 1);
  if (stride.includes(0) || dilation.includes(0))
    throw new ValueError(`${where}: stride and dilation must be positive`);
  const padding = pair(where, "padding", options.padding ?? 0);
  const outputPadding = pair(where, "outputPadding", options.outputPadding ?? 0);
  for (let i = 0; i < 2; i++)
    if (outputPadding[i]! >= Math.max(stride[i]!, dilation[i]!))
      throw new ValueError(
        `${where}: outputPadding must be smaller than the stride or the dilation, got outputPadding ${outputPadding.join("×")} with stride ${stride.join("×")} and dilation ${dilation.join("×")}`,
      );
  return { stride, padding, outputPadding, dilation };
}

/** PyTorch's output size: (in − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1. */
function transposeSize(name: string, h: number, w: number, k: [number, number], g: TransposeGeometry) {
  const size = (n: number, i: number) =>
    (n - 1) * g.stride[i]! - 2 * g.padding[i]! + g.dilation[i]! * (k[i]! - 1) + g.outputPadding[i]! + 1;
  const oh = size(h, 0);
  const ow = size(w, 1);
  if (oh < 1 || ow < 1)
    throw shapeError(
      name,
      `the padding ${g.padding.join("×")} leaves an empty output (${oh}×${ow}) for input ${h}×${w}`,
    );
  return [oh, ow] as const;
}

/**
 * 2-D transposed convolution (PyTorch's conv_transpose2d, the gradient of conv2d with respect to its input)
 * of x [N, C_in, H, W] with weight [C_in, C_out, kh, kw], plus an optional bias [C_out]. The output is
 * [N, C_out, OH, OW] with OH = (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1. Written as
 * one convolution of the input dilated by the stride (zeros between its pixels), padded, with the flipped
 * kernel.
 * @example
 * ```ts
 * const x = nb.ones([1, 1, 2, 2]);
 * const w = nb.ones([1, 3, 2, 2]);
 * nb.nn.convTranspose2d(x, w, { stride: 2 }).shape; // [1, 3, 4, 4]
 * nb.nn.convTranspose2d(x, w).toArray()[0][0];      // [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
 * ```
 */
export function convTranspose2d(
  x: TensorLike,
  weight: TensorLike,
  options: ConvTranspose2dOptions & { bias?: TensorLike } = {},
  name = "convTranspose2d",
): Tensor {
  const xt = floatArg(name, x);
  const wt = floatArg(name, weight);
  expectRank(name, xt.shape, [4], "N, C, H, W");
  if (wt.ndim !== 4)
    throw shapeError(name, `expected weight of rank 4 (in, out, kh, kw), got ${fmtShape(wt.shape)}`);
  const [n, c, h, w] = xt.shape as [number, number, number, number];
  const [ci, o, kh, kw] = wt.shape as [number, number, number, number];
  if (c !== ci) expectChannels(name, xt.shape, ci, "H, W");
  const g = transposeGeometry(name, options);
  const [oh, ow] = transposeSize(name, h, w, [kh, kw], g);
  // The input dilated by the stride (lhsDilation), then a full correlation: dilation·(k − 1) padding per
  // side, less `padding` (a crop of the output where that is negative), outputPadding more at the end.
  const lo = [g.dilation[0] * (kh - 1) - g.padding[0], g.dilation[1] * (kw - 1) - g.padding[1]];
  const hi = [lo[0]! + g.outputPadding[0], lo[1]! + g.outputPadding[1]];
  const [xc, wc] = promoteArgs(name, xt, wt) as [Tensor, Tensor];
  const kernel = flip(transpose(wc, [1, 0, 2, 3]), [2, 3]);
  const full = conv(xc, kernel, {
    strides: [1, 1],
    padLo: lo.map((v) => Math.max(v, 0)),
    padHi: hi.map((v) => Math.max(v, 0)),
    dilation: [...g.dilation],
    lhsDilation: [...g.stride],
  });
  const [top, left] = [Math.max(-lo[0]!, 0), Math.max(-lo[1]!, 0)];
  const y = slice(full, [0, 0, top, left], [n, o, oh, ow]);
  if (y.shape[2] !== oh || y.shape[3] !== ow)
    throw new NablaError(`${name}: the output is ${fmtShape(y.shape)} instead of ${oh}×${ow}; this is a bug`);
  return options.bias === undefined ? y : add(y, reshape(floatArg(name, options.bias), [o, 1, 1]));
}

/** Parameters of {@link ConvTranspose2d}: `weight` [in, out, kh, kw] (PyTorch's layout) and `bias` [out]. */
export type ConvTranspose2dParams = { weight: Tensor; bias?: Tensor };

/**
 * A 2-D transposed convolution layer ("deconvolution", upsampling) on NCHW inputs with PyTorch's weight
 * layout [in, out, kh, kw] and output size (H − 1)·stride − 2·padding + dilation·(kh − 1) + outputPadding + 1.
 * Unbatched [C, H, W] inputs are accepted too.
 * @example
 * ```ts
 * const up = nb.nn.ConvTranspose2d(8, 4, 4, { stride: 2, padding: 1 });
 * const { params } = up.init(0);
 * up.apply(params, nb.zeros([2, 8, 7, 7])).shape; // [2, 4, 14, 14]
 * params.weight.shape;                            // [8, 4, 4, 4]
 * ```
 */
export function ConvTranspose2d(
  inChannels: number,
  outChannels: number,
  kernelSize: Pair,
  options: ConvTranspose2dOptions & LayerExtras = {},
): Layer<ConvTranspose2dParams> {
  positiveInt("ConvTranspose2d", "inChannels", inChannels);
  positiveInt("ConvTranspose2d", "outChannels", outChannels);
  const [kh, kw] = pair("ConvTranspose2d", "kernelSize", kernelSize);
  if (kh === 0 || kw === 0) throw new ValueError("ConvTranspose2d: kernelSize must be positive");
  const g = transposeGeometry("ConvTranspose2d", options);
  const { bias = true, weightInit = glorotUniform, biasInit = zeros } = options;
  const dtype = floatOption("ConvTranspose2d", options.dtype);
  const nonUnit = (v: [number, number], d: number) => v[0] !== d || v[1] !== d;
  const extra = [
    nonUnit(g.stride, 1) ? `stride ${g.stride.join("×")}` : "",
    nonUnit(g.padding, 0) ? `padding ${g.padding.join("×")}` : "",
    nonUnit(g.outputPadding, 0) ? `outputPadding ${g.outputPadding.join("×")}` : "",
    nonUnit(g.dilation, 1) ? `dilation ${g.dilation.join("×")}` : "",
  ].filter((s) => s !== "");
  const name = `ConvTranspose2d(${inChannels}→${outChannels}, ${kh}×${kw}${extra.map((s) => `, ${s}`).join("")})`;
  const check = (s: readonly number[]) => {
    expectRank(name, s, [3, 4], "N, C, H, W or C, H, W");
    expectChannels(name, s, inChannels, "H, W");
    return transposeSize(name, s[s.length - 2]!, s[s.length - 1]!, [kh, kw], g);
  };
  return makeLayer<ConvTranspose2dParams>({
    name,
    stochastic: false,
    init: (key) => {
      // PyTorch computes the fans of the [in, out, kh, kw] weight as if it were [out, in, kh, kw].
      const fan = { dtype, fanIn: outChannels * kh * kw, fanOut: inChannels * kh * kw };
      const [k0, kb] = split(key);
      const params: ConvTranspose2dParams = {
        weight: weightInit(k0!, [inChannels, outChannels, kh, kw], fan),
      };
      if (bias) params.bias = biasInit(kb!, [outChannels], fan);
      return { params, state: {} };
    },
    forward: (p, state, x) => {
      check(x.shape);
      checkParam(name, "weight", p.weight, [inChannels, outChannels, kh, kw]);
      if (p.bias !== undefined) checkParam(name, "bias", p.bias, [outChannels]);
      return [withBatchDim(x, 4, (b) => convTranspose2d(b, p.weight, { ...g, bias: p.bias }, name)), state];
    },
    outputShape: (s) => {
      const [oh, ow] = check(s);
      return [...s.slice(0, -3), outChannels, oh, ow];
    },
  });
}
