// checkGrads rows (order 2, forward and reverse, float64) for every nb.nn layer and loss: they are built
// from nabla ops only, so their derivatives of any order come from the same rules.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as nn from "../../src/nn/index.js";

type T = nb.Tensor;
const randn = (seed: number, shape: number[]) =>
  nb.random.normal(nb.random.key(seed), shape, { dtype: "float64" });
const uniform = (seed: number, shape: number[], lo: number, hi: number) =>
  nb.random.uniform(nb.random.key(seed), shape, { dtype: "float64", minval: lo, maxval: hi });
const f64 = { dtype: "float64" as const };

/** A layer as a function of (params, x), checked at its initial params and a random input. */
function layerRow(layer: nn.Layer, shape: number[], options: nn.ApplyOptions = {}): [string, () => void] {
  return [
    layer.name,
    () => {
      const { params, state } = layer.init(1, shape);
      nb.checkGrads(
        (p: nn.Params, x: T) => layer.apply(p, x, { state, ...options }),
        [params, randn(2, shape)],
        {
          order: 2,
        },
      );
    },
  ];
}

const layerRows: [string, () => void][] = [
  layerRow(nn.Linear(3, 2, f64), [4, 3]),
  layerRow(nn.Conv2d(2, 3, 3, { ...f64, padding: 1 }), [2, 2, 4, 4]),
  layerRow(
    nn.Conv2d(1, 2, [2, 3], { ...f64, stride: [2, 1], padding: [1, 0], dilation: [1, 2] }),
    [1, 1, 5, 6],
  ),
  layerRow(nn.MaxPool2d(2), [1, 2, 4, 4]),
  layerRow(nn.MaxPool2d(3, { stride: 2, padding: 1 }), [1, 1, 5, 5]),
  layerRow(nn.AvgPool2d(2, { stride: 1 }), [1, 2, 3, 3]),
  layerRow(nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), [1, 1, 5, 5]),
  layerRow(nn.BatchNorm(3, f64), [5, 3], { train: true }),
  layerRow(nn.BatchNorm(2, f64), [2, 2, 3, 3], { train: true }),
  layerRow(nn.BatchNorm(3, f64), [5, 3]),
  layerRow(nn.LayerNorm(4, f64), [3, 4]),
  layerRow(nn.Dropout(0.3), [4, 5], { train: true, key: nb.random.key(9) }),
  layerRow(nn.Sequential([nn.Linear(3, 4, f64), nn.tanh, nn.Linear(4, 2, f64), nn.gelu]), [5, 3]),
  layerRow(
    nn.Sequential([
      nn.Conv2d(1, 2, 3, { ...f64, padding: 1 }),
      nn.relu,
      nn.MaxPool2d(2),
      nn.Flatten(),
      nn.Linear(8, 3, f64),
    ]),
    [2, 1, 4, 4],
  ),
  layerRow(nn.Lambda(nn.silu, "silu"), [3, 3]),
];

describe("checkGrads of layers (order 2, float64)", () => {
  for (const [name, run] of layerRows) it(name, run);

  it("Embedding (with respect to its table)", () => {
    const emb = nn.Embedding(5, 3, f64);
    const { params } = emb.init(0);
    const ids = nb.array(
      [
        [0, 4],
        [4, 2],
      ],
      { dtype: "int32" },
    );
    nb.checkGrads((p: { weight: T }) => nb.square(emb.apply(p, ids)), [params], { order: 2 });
  });
});

const labels = nb.array([0, 2, 1, 2], { dtype: "int32" });
const lossRows: [string, (a: T, b: T) => T, T[]][] = [
  ["mse", (p, t) => nn.mse(p, t), [randn(1, [4, 3]), randn(2, [4, 3])]],
  ["mae", (p, t) => nn.mae(p, t), [randn(1, [4, 3]), randn(2, [4, 3])]],
  ["huber", (p, t) => nn.huber(p, t, { delta: 0.7 }), [randn(1, [4, 3]), randn(2, [4, 3])]],
  ["crossEntropy (class indices)", (z) => nn.crossEntropy(z, labels), [randn(3, [4, 3])]],
  [
    "crossEntropy (probabilities)",
    (z, p) => nn.crossEntropy(z, p),
    [randn(3, [4, 3]), nb.softmax(randn(4, [4, 3]))],
  ],
  [
    "crossEntropy (label smoothing)",
    (z) => nn.crossEntropy(z, labels, { labelSmoothing: 0.1 }),
    [randn(3, [4, 3])],
  ],
  ["binaryCrossEntropy", (p, t) => nn.binaryCrossEntropy(p, t), [randn(5, [6]), uniform(6, [6], 0, 1)]],
  ["logLoss", (p, t) => nn.logLoss(p, t), [uniform(7, [6], 0.1, 0.9), uniform(8, [6], 0, 1)]],
  ["hinge", (s) => nn.hinge(s, nb.array([1, -1, 1, -1, 1, -1])), [randn(9, [6])]],
  ["l1Penalty", (w, b) => nn.l1Penalty({ w, b }), [randn(10, [3, 2]), randn(11, [2])]],
  [
    "l2Penalty",
    (w, b) => nn.l2Penalty({ w, b }, { filter: (path) => path === "w" }),
    [randn(10, [3, 2]), randn(11, [2])],
  ],
];

describe("checkGrads of losses (order 2, float64)", () => {
  for (const [name, f, args] of lossRows) it(name, () => nb.checkGrads(f, args, { order: 2 }));
});

describe("transformations compose with layers", () => {
  it("per-example gradients of a small CNN with vmap equal a loop over examples", () => {
    const model = nn.Sequential([
      nn.Conv2d(1, 2, 3, { ...f64, padding: 1 }),
      nn.relu,
      nn.AvgPool2d(2),
      nn.Flatten(0),
      nn.Linear(8, 3, f64),
    ]);
    const { params } = model.init(0, [1, 4, 4]);
    const x = randn(1, [3, 1, 4, 4]);
    const y = nb.array([0, 2, 1], { dtype: "int32" });
    const lossOne = (p: nn.Params, xi: T, yi: T) => nn.crossEntropy(model.apply(p, xi), yi);
    const perExample = nb.vmap(nb.grad(lossOne), { inAxes: [null, 0, 0] })(params, x, y);
    for (let i = 0; i < 3; i++) {
      const gi = nb.grad(lossOne)(params, nb.take(x, i, 0), nb.take(y, i, 0));
      const a = nb.take((perExample["4"] as nn.Params).weight as T, i, 0);
      expect(nb.max(nb.abs(nb.sub(a, (gi["4"] as nn.Params).weight as T))).item()).toBeLessThan(1e-12);
      const c = nb.take((perExample["0"] as nn.Params).weight as T, i, 0);
      expect(nb.max(nb.abs(nb.sub(c, (gi["0"] as nn.Params).weight as T))).item()).toBeLessThan(1e-12);
    }
  });

  it("a Hessian-vector product through a conv layer (forward over reverse)", () => {
    const conv = nn.Conv2d(1, 1, 2, f64);
    const { params } = conv.init(0);
    const x = randn(2, [1, 1, 3, 3]);
    const f = (w: T) => nb.sum(nb.square(nb.tanh(conv.apply({ weight: w, bias: params.bias! }, x))));
    const v = randn(3, [1, 1, 2, 2]);
    const [, hv] = nb.jvp(nb.grad(f), [params.weight], [v]);
    const h = nb.hessian(f)(params.weight) as T;
    const want = nb.einsum("abcdefgh,efgh->abcd", h, v);
    expect(nb.max(nb.abs(nb.sub(hv as T, want))).item()).toBeLessThan(1e-10);
  });
});
