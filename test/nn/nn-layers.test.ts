// Readable examples of nb.nn layers: Linear, Sequential, Conv2d (against a naive loop), pooling, Embedding,
// BatchNorm, LayerNorm, Dropout, Flatten, Lambda, activations, initializers, countParams and summary.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as nn from "../../src/nn/index.js";
import { expectTensor, values } from "../util/approx.js";

type T = nb.Tensor;
const f64 = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });
const randn = (seed: number, shape: number[]) =>
  nb.random.normal(nb.random.key(seed), shape, { dtype: "float64" });

/** Cross-correlation by the definition: loops over every output element and kernel tap. */
function naiveConv(
  x: T,
  w: T,
  b: T | undefined,
  stride: [number, number],
  pad: [number, number],
  dil: [number, number],
): number[] {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, , kh, kw] = w.shape as [number, number, number, number];
  const xv = values(x);
  const wv = values(w);
  const bv = b ? values(b) : undefined;
  const oh = Math.floor((h + 2 * pad[0] - dil[0] * (kh - 1) - 1) / stride[0]) + 1;
  const ow = Math.floor((wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) / stride[1]) + 1;
  const out: number[] = [];
  for (let ni = 0; ni < n; ni++)
    for (let oi = 0; oi < o; oi++)
      for (let y = 0; y < oh; y++)
        for (let z = 0; z < ow; z++) {
          let s = bv ? bv[oi]! : 0;
          for (let ci = 0; ci < c; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const r = y * stride[0] + i * dil[0] - pad[0];
                const q = z * stride[1] + j * dil[1] - pad[1];
                if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                s += xv[((ni * c + ci) * h + r) * wd + q]! * wv[((oi * c + ci) * kh + i) * kw + j]!;
              }
          out.push(s);
        }
  return out;
}

/** Pooling by the definition (padding excluded from max, counted as 0 in the average). */
function naivePool(kind: "max" | "avg", x: T, k: number, stride: number, pad: number): number[] {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const xv = values(x);
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const out: number[] = [];
  for (let p = 0; p < n * c; p++)
    for (let y = 0; y < oh; y++)
      for (let z = 0; z < ow; z++) {
        let m = Number.NEGATIVE_INFINITY;
        let s = 0;
        for (let i = 0; i < k; i++)
          for (let j = 0; j < k; j++) {
            const r = y * stride + i - pad;
            const q = z * stride + j - pad;
            if (r < 0 || r >= h || q < 0 || q >= w) continue;
            m = Math.max(m, xv[(p * h + r) * w + q]!);
            s += xv[(p * h + r) * w + q]!;
          }
        out.push(kind === "max" ? m : s / (k * k));
      }
  return out;
}

const close = (got: number[], want: number[], tol = 1e-9) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `element ${i}`).toBeLessThanOrEqual(tol));
};

describe("Linear", () => {
  it("a Linear from 2 inputs to 3 neurons has 9 parameters", () => {
    expect(nn.countParams(nn.Linear(2, 3))).toBe(9);
    const { params } = nn.Linear(2, 3).init(0);
    expect(params.weight.shape).toEqual([2, 3]);
    expect(params.bias!.shape).toEqual([3]);
    expect(nn.countParams(nn.Linear(2, 3, { bias: false }))).toBe(6);
  });

  it("computes x · weight + bias over any leading dimensions", () => {
    const layer = nn.Linear(2, 2);
    const params = {
      weight: f64([
        [1, 2],
        [3, 4],
      ]),
      bias: f64([10, 20]),
    };
    expectTensor(layer.apply(params, f64([[1, 1]])), [[14, 26]]);
    expect(layer.apply(params, nb.zeros([5, 4, 2], { dtype: "float64" })).shape).toEqual([5, 4, 2]);
  });

  it("the same key gives the same params; init accepts a seed", () => {
    const a = nn.Linear(3, 4).init(nb.random.key(7)).params;
    const b = nn.Linear(3, 4).init(7).params;
    expect(values(a.weight)).toEqual(values(b.weight));
    expect(values(nn.Linear(3, 4).init(8).params.weight)).not.toEqual(values(a.weight));
  });

  it("shape errors name the layer and the shapes", () => {
    const layer = nn.Linear(784, 256);
    const { params } = layer.init(0);
    expect(() => layer.apply(params, nb.zeros([128, 10]))).toThrow(
      "Linear(784→256): expected input with last dimension 784, got [128,10]",
    );
    expect(() => layer.apply(params, nb.zeros([128, 10]))).toThrow(nb.ShapeError);
    expect(() => nn.Linear(2.5, 3)).toThrow("inFeatures must be a positive integer");
    expect(() => layer.apply({ weight: nb.zeros([256, 784]) }, nb.zeros([1, 784]))).toThrow(
      "Linear(784→256): params.weight has shape [256,784], expected [784,256]",
    );
    expect(() => layer.apply({} as nn.LinearParams, nb.zeros([1, 784]))).toThrow(
      'Linear(784→256): params have no tensor "weight"',
    );
  });
});

describe("Sequential", () => {
  it("params are keyed by position, skipping layers without params", () => {
    const model = nn.Sequential([nn.Linear(2, 4), nn.relu, nn.Linear(4, 1)]);
    const { params, state } = model.init(0, [1, 2]);
    expect(Object.keys(params)).toEqual(["0", "2"]);
    expect(state).toEqual({});
    expect(model.apply(params, nb.ones([3, 2])).shape).toEqual([3, 1]);
    expect(nn.countParams(params)).toBe(12 + 5);
  });

  it("named layers and nesting give a nested pytree; grad returns the same structure", () => {
    const model = nn.Sequential({
      encoder: nn.Sequential([nn.Linear(3, 4), nn.tanh]),
      head: nn.Linear(4, 2),
    });
    const { params } = model.init(0, [1, 3]);
    expect(Object.keys(params)).toEqual(["encoder", "head"]);
    expect(Object.keys(params.encoder as nn.Params)).toEqual(["0"]);
    const g = nb.grad((p: nn.Params) => nb.sum(model.apply(p, nb.ones([2, 3]))))(params);
    expect(Object.keys(g)).toEqual(["encoder", "head"]);
    expect((((g.encoder as nn.Params)["0"] as nn.Params).weight as nb.Tensor).shape).toEqual([3, 4]);
  });

  it("errors from inside carry the path of the failing layer", () => {
    const model = nn.Sequential([nn.Linear(784, 256), nn.relu, nn.Linear(256, 10)]);
    expect(() => model.init(0, [128, 10])).toThrow(
      'layer "0": Linear(784→256): expected input with last dimension 784, got [128,10]',
    );
    const nested = nn.Sequential({ enc: nn.Sequential([nn.Linear(4, 4), nn.Linear(5, 2)]) });
    expect(() => nested.outputShape([1, 4])).toThrow('layer "enc.1": Linear(5→2)');
  });

  it("capture sees every sublayer's output by path", () => {
    const model = nn.Sequential({ a: nn.Linear(2, 3), act: nn.relu });
    const { params } = model.init(0);
    const seen: string[] = [];
    model.apply(params, nb.ones([1, 2]), {
      capture: (path, y, layer) => seen.push(`${path}:${layer.name}:${y.shape}`),
    });
    expect(seen).toEqual(["a:Linear(2→3):1,3", "act:relu:1,3"]);
  });
});

describe("Conv2d", () => {
  const cases: [string, { stride: [number, number]; pad: [number, number]; dil: [number, number] }][] = [
    ["plain", { stride: [1, 1], pad: [0, 0], dil: [1, 1] }],
    ["padding", { stride: [1, 1], pad: [1, 2], dil: [1, 1] }],
    ["stride", { stride: [2, 3], pad: [1, 1], dil: [1, 1] }],
    ["dilation", { stride: [1, 1], pad: [2, 0], dil: [2, 3] }],
    ["all", { stride: [2, 2], pad: [1, 1], dil: [2, 1] }],
  ];
  for (const [label, g] of cases)
    it(`matches a naive loop (${label})`, () => {
      const x = randn(1, [2, 3, 7, 8]);
      const w = randn(2, [4, 3, 3, 2]);
      const b = randn(3, [4]);
      const y = nn.conv2d(x, w, { stride: g.stride, padding: g.pad, dilation: g.dil, bias: b });
      close(values(y), naiveConv(x, w, b, g.stride, g.pad, g.dil));
    });

  it("the layer: shapes, parameter count, same padding, unbatched input", () => {
    const conv = nn.Conv2d(1, 8, 3, { padding: "same", dtype: "float64" });
    const { params } = conv.init(0);
    expect(params.weight.shape).toEqual([8, 1, 3, 3]);
    expect(nn.countParams(params)).toBe(80);
    expect(conv.apply(params, nb.zeros([2, 1, 28, 28])).shape).toEqual([2, 8, 28, 28]);
    expect(conv.apply(params, nb.zeros([1, 28, 28])).shape).toEqual([8, 28, 28]);
    expect(nn.Conv2d(3, 4, 3, { stride: 2, padding: "same" }).outputShape([1, 3, 9, 9])).toEqual([
      1, 4, 5, 5,
    ]);
    const x = randn(4, [1, 1, 5, 5]);
    close(values(conv.apply(params, x)), naiveConv(x, params.weight, params.bias, [1, 1], [1, 1], [1, 1]));
  });

  it("shape errors name the layer", () => {
    const conv = nn.Conv2d(3, 8, 5);
    const { params } = conv.init(0);
    expect(() => conv.apply(params, nb.zeros([2, 1, 28, 28]))).toThrow(
      "Conv2d(3→8, 5×5): expected input with 3 channels (shape [N, 3, H, W]), got [2,1,28,28]",
    );
    expect(() => conv.apply(params, nb.zeros([2, 3, 4, 4]))).toThrow("smaller than the 5×5 window");
    expect(() => conv.apply(params, nb.zeros([3, 28]))).toThrow("expected input of rank 3 or 4");
  });
});

describe("pooling", () => {
  it("max and average pooling of tiling windows", () => {
    const x = nb.reshape(nb.arange(16), [1, 1, 4, 4]);
    expectTensor(nn.maxPool2d(x, 2), [
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
    expectTensor(nn.avgPool2d(x, 2), [
      [
        [
          [2.5, 4.5],
          [10.5, 12.5],
        ],
      ],
    ]);
  });

  for (const [k, s, p] of [
    [3, 1, 1],
    [3, 2, 1],
    [2, 1, 0],
    [2, 2, 1],
    [2, 2, 0],
  ] as const)
    it(`match naive loops (kernel ${k}, stride ${s}, padding ${p})`, () => {
      const x = randn(5, [2, 3, 7, 6]);
      close(values(nn.maxPool2d(x, k, { stride: s, padding: p })), naivePool("max", x, k, s, p));
      close(values(nn.avgPool2d(x, k, { stride: s, padding: p })), naivePool("avg", x, k, s, p));
    });

  it("average pooling can exclude padding from the count", () => {
    const y = nn.avgPool2d(nb.ones([1, 1, 3, 3], { dtype: "float64" }), 2, {
      stride: 1,
      padding: 1,
      countIncludePad: false,
    });
    expect(values(y).every((v) => Math.abs(v - 1) < 1e-12)).toBe(true);
  });

  it("layers report their output shape", () => {
    expect(nn.MaxPool2d(2).outputShape([8, 16, 28, 28])).toEqual([8, 16, 14, 14]);
    expect(nn.AvgPool2d(3, { stride: 2, padding: 1 }).outputShape([1, 2, 7, 7])).toEqual([1, 2, 4, 4]);
    expect(() => nn.MaxPool2d(2).apply({}, nb.zeros([4, 4]))).toThrow(
      "MaxPool2d(2×2): expected input of rank 3 or 4",
    );
  });
});

describe("Embedding, Flatten, Lambda", () => {
  it("Embedding looks up rows and rejects ids out of range", () => {
    const emb = nn.Embedding(10, 4);
    const { params } = emb.init(0);
    const y = emb.apply(params, nb.array([[1, 2, 3]], { dtype: "int32" }));
    expect(y.shape).toEqual([1, 3, 4]);
    expect(values(nb.take(y, [0], 0).reshape([3, 4])).slice(0, 4)).toEqual(values(params.weight).slice(4, 8));
    expect(() => emb.apply(params, nb.array([12], { dtype: "int32" }))).toThrow(
      "Embedding(10, 4): id 12 is not an integer in [0, 10)",
    );
  });

  it("Flatten keeps the batch axis; Lambda wraps a function and infers its output shape", () => {
    expect(nn.Flatten().apply({}, nb.zeros([8, 16, 7, 7])).shape).toEqual([8, 784]);
    const twice = nn.Lambda((x) => nb.concatenate([x, x], -1), "twice");
    expect(twice.outputShape([2, 3])).toEqual([2, 6]);
    expect(nn.Sequential([nn.Linear(3, 2), twice, nn.Linear(4, 1)]).outputShape([5, 3])).toEqual([5, 1]);
  });
});

describe("BatchNorm and LayerNorm", () => {
  it("BatchNorm in training mode normalizes with batch statistics and updates the running ones", () => {
    const bn = nn.BatchNorm(2, { dtype: "float64" });
    const { params, state } = bn.init(0);
    const x = f64([
      [1, 10],
      [3, 20],
      [5, 30],
    ]);
    const [y, s] = bn.applyWithState(params, state, x, { train: true });
    // per feature: mean 3 and 20, biased variance 8/3 and 200/3
    expectTensor(y, [
      [-2 / Math.sqrt(8 / 3 + 1e-5), -10 / Math.sqrt(200 / 3 + 1e-5)],
      [0, 0],
      [2 / Math.sqrt(8 / 3 + 1e-5), 10 / Math.sqrt(200 / 3 + 1e-5)],
    ]);
    // running ← 0.9·running + 0.1·batch, with the unbiased variance (4 and 100)
    expectTensor(s.mean as T, [0.3, 2]);
    expectTensor(s.var as T, [0.9 + 0.4, 0.9 + 10]);
  });

  it("BatchNorm in evaluation mode uses the running statistics (and needs them)", () => {
    const bn = nn.BatchNorm(2, { dtype: "float64" });
    const { params } = bn.init(0);
    const state = { mean: f64([1, 2]), var: f64([4, 9]) };
    expectTensor(bn.apply(params, f64([[3, 2]]), { state }), [[2 / Math.sqrt(4 + 1e-5), 0]]);
    expect(() => bn.apply(params, f64([[3, 2]]))).toThrow(
      "BatchNorm(2): evaluation mode uses the running statistics",
    );
    expect(() => bn.apply(params, f64([[1, 2, 3]]), { state })).toThrow(
      "BatchNorm(2): expected input [N, 2]",
    );
  });

  it("BatchNorm state threads through Sequential; conv feature maps normalize per channel", () => {
    const model = nn.Sequential([
      nn.Conv2d(1, 2, 3, { dtype: "float64" }),
      nn.BatchNorm(2, { dtype: "float64" }),
    ]);
    const { params, state } = model.init(0, [1, 1, 5, 5]);
    expect(Object.keys(state)).toEqual(["1"]);
    const [y, s] = model.applyWithState(params, state, randn(1, [4, 1, 5, 5]), { train: true });
    const m = nb.mean(y, { axis: [0, 2, 3] });
    expectTensor(m, [0, 0], { atol: 1e-9 });
    expect(values((s["1"] as nn.Params).mean as T)).not.toEqual([0, 0]);
  });

  it("LayerNorm normalizes the last dimensions", () => {
    const ln = nn.LayerNorm(4, { dtype: "float64" });
    const { params } = ln.init(0);
    const y = ln.apply(params, f64([[1, 2, 3, 4]]));
    const sd = Math.sqrt(1.25 + 1e-5);
    expectTensor(y, [[-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd]]);
    expect(() => ln.apply(params, nb.zeros([2, 3]))).toThrow(
      "LayerNorm(4): expected input ending in [4], got [2,3]",
    );
  });
});

describe("Dropout", () => {
  it("is deterministic by key, scales kept units, and is the identity in evaluation", () => {
    const drop = nn.Dropout(0.5);
    const x = nb.ones([1000]);
    const a = drop.apply({}, x, { train: true, key: nb.random.key(1) });
    const b = drop.apply({}, x, { train: true, key: nb.random.key(1) });
    const c = drop.apply({}, x, { train: true, key: nb.random.key(2) });
    expect(values(a)).toEqual(values(b));
    expect(values(a)).not.toEqual(values(c));
    expect(new Set(values(a))).toEqual(new Set([0, 2]));
    expect(Math.abs(nb.mean(a).item() - 1)).toBeLessThan(0.1);
    expect(values(drop.apply({}, x))).toEqual(values(x));
    expect(() => drop.apply({}, x, { train: true })).toThrow("Dropout(0.5): training mode needs randomness");
  });

  it("inside Sequential each Dropout gets its own key", () => {
    const model = nn.Sequential([nn.Dropout(0.5), nn.Dropout(0.5)]);
    const y1 = model.apply({}, nb.ones([64]), { train: true, key: nb.random.key(3) });
    const y2 = model.apply({}, nb.ones([64]), { train: true, key: nb.random.key(3) });
    expect(values(y1)).toEqual(values(y2));
    expect(new Set(values(y1))).toEqual(new Set([0, 4]));
  });
});

describe("activations and initializers", () => {
  it("activations are the nabla functions, usable as layers", () => {
    expectTensor(nn.relu([-1, 2]), [0, 2]);
    expectTensor(nn.leakyRelu([-1, 2]), [-0.01, 2]);
    expectTensor(nn.sigmoid([0]), [0.5]);
    expectTensor(nn.tanh([0]), [0]);
    expectTensor(nn.softmax([1, 1]), [0.5, 0.5]);
    expectTensor(nn.gelu([1]), [0.841345], { atol: 1e-5 });
    expectTensor(nn.elu([-1]), [Math.expm1(-1)]);
    expectTensor(nn.silu([1]), [1 / (1 + Math.exp(-1))]);
    const model = nn.Sequential([nn.sigmoid, nn.softmax]);
    expectTensor(model.apply({}, f64([[0, 0]])), [[0.5, 0.5]]);
  });

  it("initializers have the variance their names promise", () => {
    const k = nb.random.key(0);
    const v = (t: T) => nb.variance(t).item();
    expect(v(nn.init.glorotNormal(k, [300, 200])) / (2 / 500)).toBeCloseTo(1, 1);
    expect(v(nn.init.glorotUniform(k, [300, 200])) / (2 / 500)).toBeCloseTo(1, 1);
    expect(v(nn.init.heNormal(k, [300, 200])) / (2 / 300)).toBeCloseTo(1, 1);
    expect(v(nn.init.kaimingUniform(k, [300, 200])) / (2 / 300)).toBeCloseTo(1, 1);
    expect(v(nn.init.heNormal(k, [64, 8, 3, 3])) / (2 / 72)).toBeCloseTo(1, 1);
    expect(v(nn.init.normal(0.02)(k, [100, 100])) / 0.0004).toBeCloseTo(1, 1);
    expect(values(nn.init.zeros(k, [3]))).toEqual([0, 0, 0]);
    expect(nn.init.xavierUniform(k, [2, 2], { dtype: "float64" }).dtype).toBe("float64");
    expect(nn.init.fansOf([16, 8, 3, 3])).toEqual({ fanIn: 72, fanOut: 144 });
  });

  it("summary lists layers, output shapes and parameter counts", () => {
    const model = nn.Sequential([
      nn.Conv2d(1, 8, 3),
      nn.relu,
      nn.MaxPool2d(2),
      nn.Flatten(),
      nn.Linear(8 * 13 * 13, 10),
    ]);
    const text = nn.summary(model, [1, 1, 28, 28]);
    expect(text).toContain("Conv2d(1→8, 3×3)");
    expect(text).toContain("[1,8,13,13]");
    expect(text).toContain(`total ${(80 + 1352 * 10 + 10).toLocaleString("en-US")} parameters`);
  });
});

describe("which layers draw random numbers", () => {
  it("only models with a random layer split keys (so deterministic models compile with jit)", () => {
    const plain = nb.nn.Sequential([nb.nn.Linear(2, 3), nb.nn.relu, nb.nn.LayerNorm(3)]);
    const noisy = nb.nn.Sequential([nb.nn.Linear(2, 3), nb.nn.Dropout(0.5)]);
    expect([plain.stochastic, noisy.stochastic]).toEqual([false, true]);
    // a custom layer that does not say gets a key
    const custom = nb.nn.makeLayer({
      name: "Noise",
      init: () => ({ params: {}, state: {} }),
      forward: (_p, s, x, o) => [nb.add(x, nb.random.normal(o.key!, x.shape)), s],
      outputShape: (s) => [...s],
    });
    expect(nb.nn.Sequential([custom]).stochastic).toBe(true);
    const { params } = plain.init(0, [1, 2]);
    const step = nb.jit((x: nb.Tensor, k: nb.Tensor) => plain.apply(params, x, { train: true, key: k }));
    expect(step(nb.ones([4, 2]), nb.random.key(1)).shape).toEqual([4, 3]);
  });
});
