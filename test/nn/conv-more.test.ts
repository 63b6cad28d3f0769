// nn.Conv1d / nn.conv1d and nn.ConvTranspose2d / nn.convTranspose2d against float64 loops written from
// PyTorch's definitions (PyTorch itself is not installed here, so no fixtures from it): jit against eager,
// checkGrads of order 2, shapes, unbatched inputs and error messages.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as nn from "../../src/nn/index.js";
import { values } from "../util/approx.js";
import { expectClose } from "../util/close.js";

type T = nb.Tensor;
const randn = (seed: number, shape: number[]) =>
  nb.random.normal(nb.random.key(seed), shape, { dtype: "float64" });

/** torch.nn.functional.conv1d: out[n, o, l] = b[o] + Σ_c Σ_k x[n, c, l·s + k·d − p] · w[o, c, k]. */
function refConv1d(x: T, w: T, b: T | undefined, s: number, p: number, d: number): number[][][] {
  const [n, c, len] = x.shape as [number, number, number];
  const [o, , k] = w.shape as [number, number, number];
  const xv = values(x);
  const wv = values(w);
  const bv = b ? values(b) : undefined;
  const lo = Math.floor((len + 2 * p - d * (k - 1) - 1) / s) + 1;
  const out: number[][][] = [];
  for (let ni = 0; ni < n; ni++) {
    const rows: number[][] = [];
    for (let oi = 0; oi < o; oi++) {
      const row: number[] = [];
      for (let l = 0; l < lo; l++) {
        let acc = bv ? bv[oi]! : 0;
        for (let ci = 0; ci < c; ci++)
          for (let j = 0; j < k; j++) {
            const q = l * s + j * d - p;
            if (q >= 0 && q < len) acc += xv[(ni * c + ci) * len + q]! * wv[(oi * c + ci) * k + j]!;
          }
        row.push(acc);
      }
      rows.push(row);
    }
    out.push(rows);
  }
  return out;
}

/**
 * torch.nn.functional.conv_transpose2d by scattering: every input pixel (i, j) adds x · w[c, o, a, b] at
 * output row i·s − p + a·d and column j·s − p + b·d; the output is (H − 1)·s − 2p + d(k − 1) + op + 1 tall.
 */
function refConvTranspose2d(
  x: T,
  w: T,
  b: T | undefined,
  s: [number, number],
  p: [number, number],
  op: [number, number],
  d: [number, number],
): { shape: number[]; data: number[] } {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [, o, kh, kw] = w.shape as [number, number, number, number];
  const oh = (h - 1) * s[0] - 2 * p[0] + d[0] * (kh - 1) + op[0] + 1;
  const ow = (wd - 1) * s[1] - 2 * p[1] + d[1] * (kw - 1) + op[1] + 1;
  const xv = values(x);
  const wv = values(w);
  const bv = b ? values(b) : undefined;
  const out = new Array<number>(n * o * oh * ow).fill(0);
  for (let ni = 0; ni < n; ni++)
    for (let oi = 0; oi < o; oi++)
      for (let r = 0; r < oh * ow; r++) out[(ni * o + oi) * oh * ow + r] = bv ? bv[oi]! : 0;
  for (let ni = 0; ni < n; ni++)
    for (let ci = 0; ci < c; ci++)
      for (let i = 0; i < h; i++)
        for (let j = 0; j < wd; j++) {
          const v = xv[((ni * c + ci) * h + i) * wd + j]!;
          for (let oi = 0; oi < o; oi++)
            for (let a = 0; a < kh; a++)
              for (let bb = 0; bb < kw; bb++) {
                const y = i * s[0] - p[0] + a * d[0];
                const z = j * s[1] - p[1] + bb * d[1];
                if (y < 0 || y >= oh || z < 0 || z >= ow) continue;
                out[((ni * o + oi) * oh + y) * ow + z]! += v * wv[((ci * o + oi) * kh + a) * kw + bb]!;
              }
        }
  return { shape: [n, o, oh, ow], data: out };
}

describe("conv1d", () => {
  const cases: [string, { s: number; p: number; d: number }][] = [
    ["plain", { s: 1, p: 0, d: 1 }],
    ["padding", { s: 1, p: 2, d: 1 }],
    ["stride", { s: 3, p: 1, d: 1 }],
    ["dilation", { s: 1, p: 1, d: 2 }],
    ["all", { s: 2, p: 3, d: 3 }],
  ];
  for (const [label, g] of cases)
    it(`matches PyTorch's definition (${label})`, () => {
      const x = randn(1, [2, 3, 11]);
      const w = randn(2, [4, 3, 3]);
      const b = randn(3, [4]);
      const y = nn.conv1d(x, w, { stride: g.s, padding: g.p, dilation: g.d, bias: b });
      expectClose(y, refConv1d(x, w, b, g.s, g.p, g.d), { atol: 1e-12 });
    });

  it("same and valid padding", () => {
    const x = randn(4, [1, 2, 9]);
    const w = randn(5, [3, 2, 4]);
    expect(nn.conv1d(x, w, { padding: "same" }).shape).toEqual([1, 3, 9]);
    expect(nn.conv1d(x, w, { padding: "same", stride: 2 }).shape).toEqual([1, 3, 5]);
    expectClose(nn.conv1d(x, w, { padding: "valid" }), refConv1d(x, w, undefined, 1, 0, 1));
    // k = 4 pads 3 in all: 1 before and 2 after, as PyTorch's padding="same".
    const same = refConv1d(
      nb.pad(x, [
        [0, 0],
        [0, 0],
        [1, 2],
      ]),
      w,
      undefined,
      1,
      0,
      1,
    );
    expectClose(nn.conv1d(x, w, { padding: "same" }), same, { atol: 1e-12 });
  });

  it("the layer: shapes, parameter count, unbatched input, jit equals eager", () => {
    const conv = nn.Conv1d(3, 5, 3, { stride: 2, padding: 1, dtype: "float64" });
    expect(conv.name).toBe("Conv1d(3→5, 3, stride 2, padding 1)");
    const { params } = conv.init(0);
    expect(params.weight.shape).toEqual([5, 3, 3]);
    expect(nn.countParams(params)).toBe(50);
    const x = randn(6, [2, 3, 10]);
    const y = conv.apply(params, x);
    expect(y.shape).toEqual([2, 5, 5]);
    expect(conv.outputShape([2, 3, 10])).toEqual([2, 5, 5]);
    expectClose(y, refConv1d(x, params.weight, params.bias, 2, 1, 1), { atol: 1e-12 });
    expect(conv.apply(params, randn(6, [3, 10])).shape).toEqual([5, 5]);
    const f = (p: nn.Conv1dParams, v: T) => conv.apply(p, v);
    expectClose(nb.jit(f)(params, x), y, { atol: 1e-12 });
    expectClose(
      nb.jit(nb.grad((p: nn.Conv1dParams) => nb.sum(nb.square(f(p, x)))))(params).weight,
      nb.grad((p: nn.Conv1dParams) => nb.sum(nb.square(f(p, x))))(params).weight,
      { atol: 1e-10 },
    );
  });

  it("checkGrads of order 2 in the input, the weight and the bias", () => {
    const f = (x: T, w: T, b: T) => nn.conv1d(x, w, { stride: 2, padding: 1, dilation: 2, bias: b });
    nb.checkGrads(f, [randn(7, [2, 2, 7]), randn(8, [3, 2, 2]), randn(9, [3])], { order: 2 });
  });

  it("errors name the layer and the argument", () => {
    expect(() => nn.Conv1d(0, 2, 3)).toThrow("Conv1d: inChannels must be a positive integer, got 0");
    expect(() => nn.Conv1d(1, 2, 3, { stride: 0 })).toThrow(
      "Conv1d: stride must be a positive integer, got 0",
    );
    expect(() => nn.Conv1d(1, 2, 3, { padding: -1 })).toThrow(
      "Conv1d: padding must be a non-negative integer",
    );
    expect(() => nn.Conv1d(1, 2, 1.5)).toThrow("Conv1d: kernelSize must be a positive integer");
    const conv = nn.Conv1d(3, 8, 5);
    const { params } = conv.init(0);
    expect(() => conv.apply(params, nb.zeros([2, 1, 28]))).toThrow(
      "Conv1d(3→8, 5): expected input with 3 channels (shape [N, 3, L]), got [2,1,28]",
    );
    expect(() => conv.apply(params, nb.zeros([2, 3, 4]))).toThrow(
      "Conv1d(3→8, 5): the input's length 4 (padded 4) is shorter than the kernel's span 5",
    );
    expect(() => conv.apply(params, nb.zeros([2, 3, 4, 4]))).toThrow("expected input of rank 2 or 3");
    expect(() => nn.conv1d(nb.zeros([1, 2, 5]), nb.zeros([1, 2, 3, 3]))).toThrow(
      "conv1d: expected weight of rank 3 (out, in, k)",
    );
  });
});

describe("convTranspose2d", () => {
  type G = { s: [number, number]; p: [number, number]; op: [number, number]; d: [number, number] };
  const cases: [string, G][] = [
    ["plain", { s: [1, 1], p: [0, 0], op: [0, 0], d: [1, 1] }],
    ["stride", { s: [2, 3], p: [0, 0], op: [0, 0], d: [1, 1] }],
    ["padding", { s: [2, 2], p: [1, 2], op: [0, 0], d: [1, 1] }],
    ["outputPadding", { s: [2, 3], p: [1, 1], op: [1, 2], d: [1, 1] }],
    ["dilation", { s: [1, 2], p: [0, 1], op: [0, 1], d: [2, 3] }],
    ["padding beyond the kernel", { s: [3, 2], p: [3, 3], op: [2, 1], d: [1, 2] }],
  ];
  for (const [label, g] of cases)
    it(`matches PyTorch's definition (${label})`, () => {
      const x = randn(1, [2, 3, 4, 5]);
      const w = randn(2, [3, 2, 3, 2]);
      const b = randn(3, [2]);
      const y = nn.convTranspose2d(x, w, {
        stride: g.s,
        padding: g.p,
        outputPadding: g.op,
        dilation: g.d,
        bias: b,
      });
      const ref = refConvTranspose2d(x, w, b, g.s, g.p, g.op, g.d);
      expect(y.shape).toEqual(ref.shape);
      expectClose(nb.reshape(y, [y.size]), ref.data, { atol: 1e-12 });
    });

  it("is the transpose of conv2d: ⟨conv2d(u, w), v⟩ = ⟨u, convTranspose2d(v, w)⟩", () => {
    const u = randn(4, [1, 2, 7, 7]);
    const w = randn(5, [3, 2, 3, 3]); // conv2d's [out, in, kh, kw] is convTranspose2d's [in, out, kh, kw]
    const o = { stride: 2, padding: 1 } as const;
    const v = randn(6, nn.conv2d(u, w, o).shape);
    const lhs = nb.sum(nb.mul(nn.conv2d(u, w, o), v)).item();
    const rhs = nb.sum(nb.mul(u, nn.convTranspose2d(v, w, o))).item();
    expect(rhs).toBeCloseTo(lhs, 10);
  });

  it("the layer: PyTorch's weight layout and output size, unbatched input, jit equals eager", () => {
    const up = nn.ConvTranspose2d(4, 2, 4, { stride: 2, padding: 1, dtype: "float64" });
    expect(up.name).toBe("ConvTranspose2d(4→2, 4×4, stride 2×2, padding 1×1)");
    const { params } = up.init(0);
    expect(params.weight.shape).toEqual([4, 2, 4, 4]);
    expect(nn.countParams(params)).toBe(130);
    const x = randn(7, [2, 4, 5, 6]);
    const y = up.apply(params, x);
    expect(y.shape).toEqual([2, 2, 10, 12]);
    expect(up.outputShape([2, 4, 5, 6])).toEqual([2, 2, 10, 12]);
    const ref = refConvTranspose2d(x, params.weight, params.bias, [2, 2], [1, 1], [0, 0], [1, 1]);
    expectClose(nb.reshape(y, [y.size]), ref.data, { atol: 1e-12 });
    expect(up.apply(params, randn(7, [4, 5, 6])).shape).toEqual([2, 10, 12]);
    const f = (p: nn.ConvTranspose2dParams, v: T) => up.apply(p, v);
    expectClose(nb.jit(f)(params, x), y, { atol: 1e-12 });
    const loss = (p: nn.ConvTranspose2dParams) => nb.sum(nb.square(f(p, x)));
    expectClose(nb.jit(nb.grad(loss))(params).weight, nb.grad(loss)(params).weight, { atol: 1e-9 });
  });

  it("checkGrads of order 2 in the input, the weight and the bias", () => {
    const f = (x: T, w: T, b: T) =>
      nn.convTranspose2d(x, w, {
        stride: [2, 1],
        padding: [1, 0],
        outputPadding: [1, 0],
        dilation: [1, 2],
        bias: b,
      });
    nb.checkGrads(f, [randn(8, [1, 2, 3, 3]), randn(9, [2, 2, 2, 2]), randn(10, [2])], { order: 2 });
  });

  it("errors name the layer and the argument", () => {
    expect(() => nn.ConvTranspose2d(2, 0, 3)).toThrow(
      "ConvTranspose2d: outChannels must be a positive integer, got 0",
    );
    expect(() => nn.ConvTranspose2d(2, 2, 3, { stride: 2, outputPadding: 2 })).toThrow(
      "ConvTranspose2d: outputPadding must be smaller than the stride or the dilation",
    );
    expect(() => nn.ConvTranspose2d(2, 2, 3, { padding: -1 })).toThrow("ConvTranspose2d: padding must be");
    const up = nn.ConvTranspose2d(3, 2, 3, { padding: 2 });
    const { params } = up.init(0);
    expect(() => up.apply(params, nb.zeros([1, 2, 4, 4]))).toThrow(
      "ConvTranspose2d(3→2, 3×3, padding 2×2): expected input with 3 channels (shape [N, 3, H, W]), got [1,2,4,4]",
    );
    expect(() => up.apply(params, nb.zeros([1, 3, 1, 1]))).toThrow("leaves an empty output");
    expect(() => nn.convTranspose2d(nb.zeros([1, 2, 3, 3]), nb.zeros([2, 3, 3]))).toThrow(
      "convTranspose2d: expected weight of rank 4 (in, out, kh, kw)",
    );
  });
});
