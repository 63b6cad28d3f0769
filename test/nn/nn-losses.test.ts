// Readable examples of the nb.nn losses, penalties and accuracy; numerical stability at logits of ±1e4.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as nn from "../../src/nn/index.js";
import { expectTensor, values } from "../util/approx.js";

type T = nb.Tensor;
const f64 = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });
const finite = (t: T) => values(t).every(Number.isFinite);

describe("regression losses", () => {
  it("mse, mae and huber by hand", () => {
    expect(nn.mse([1, 2, 3], [1, 2, 5]).item()).toBeCloseTo(4 / 3, 6);
    expect(nn.mae([1, 2, 3], [1, 2, 5]).item()).toBeCloseTo(2 / 3, 6);
    expect(nn.huber([0, 0], [0.5, 3]).item()).toBeCloseTo((0.125 + 2.5) / 2, 6);
    expect(nn.huber([0], [3], { delta: 2 }).item()).toBeCloseTo(2 * (3 - 1), 6);
  });

  it("reductions: mean (default), sum, none", () => {
    expect(nn.mse([1, 2], [0, 0], { reduction: "sum" }).item()).toBe(5);
    expectTensor(nn.mae([1, -2], [0, 0], { reduction: "none" }), [1, 2]);
  });

  it("refuses predictions and targets of different shapes (no silent [N,1] × [N] broadcast)", () => {
    expect(() => nn.mse(nb.zeros([4, 1]), nb.zeros([4]))).toThrow(
      "mse: predictions [4,1] and targets [4] must have the same shape",
    );
    expect(nn.mse(nb.ones([3]), 1).item()).toBe(0);
  });
});

describe("classification losses", () => {
  it("crossEntropy with class indices equals −log softmax of the true class", () => {
    const logits = f64([
      [2, 0, 0],
      [0, 1, 0],
    ]);
    const want = (-Math.log(Math.exp(2) / (Math.exp(2) + 2)) - Math.log(Math.E / (Math.E + 2))) / 2;
    expect(nn.crossEntropy(logits, nb.array([0, 1], { dtype: "int32" })).item()).toBeCloseTo(want, 12);
    expect(nn.crossEntropy(logits, [0, 1]).item()).toBeCloseTo(want, 12);
    expect(
      nn
        .crossEntropy(
          logits,
          f64([
            [1, 0, 0],
            [0, 1, 0],
          ]),
        )
        .item(),
    ).toBeCloseTo(want, 12);
  });

  it("crossEntropy label smoothing mixes in the uniform distribution", () => {
    const logits = f64([[2, 0, 0]]);
    const soft = f64([[0.9 + 0.1 / 3, 0.1 / 3, 0.1 / 3]]);
    expect(nn.crossEntropy(logits, [0], { labelSmoothing: 0.1 }).item()).toBeCloseTo(
      nn.crossEntropy(logits, soft).item(),
      12,
    );
  });

  it("crossEntropy is finite and exact at logits of ±1e4, with finite gradients", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const logits = nb.array(
        [
          [1e4, -1e4, 0],
          [-1e4, 1e4, 0],
          [0, 0, 0],
        ],
        { dtype },
      );
      const y = nb.array([0, 0, 2], { dtype: "int32" });
      const l = nn.crossEntropy(logits, y, { reduction: "none" });
      expectTensor(l, [0, 2e4, Math.log(3)], { rtol: 1e-6, atol: 1e-6 });
      const g = nb.grad((z: T) => nn.crossEntropy(z, y))(logits) as T;
      expect(finite(g)).toBe(true);
      expectTensor(
        g,
        [
          [0, 0, 0],
          [-1 / 3, 1 / 3, 0],
          [1 / 9, 1 / 9, -2 / 9],
        ],
        { atol: 1e-6 },
      );
    }
  });

  it("crossEntropy tolerates −∞ logits (masks) of other classes", () => {
    const logits = f64([[0, Number.NEGATIVE_INFINITY, 0]]);
    expect(nn.crossEntropy(logits, [0]).item()).toBeCloseTo(Math.log(2), 12);
    expect(nn.crossEntropy(logits, f64([[1, 0, 0]])).item()).toBeCloseTo(Math.log(2), 12);
  });

  it("crossEntropy names bad labels and shapes", () => {
    expect(() => nn.crossEntropy(nb.zeros([2, 3]), [0, 3])).toThrow(
      "crossEntropy: label 3 is not a class index in [0, 3)",
    );
    expect(() => nn.crossEntropy(nb.zeros([2, 3]), [0, 1, 2])).toThrow(
      "crossEntropy: logits [2,3] need labels of shape [2] (class indices) or [2,3] (probabilities, one-hot), got [3]",
    );
  });

  it("binaryCrossEntropy on logits is stable at ±1e4", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const z = nb.array([0, 1e4, -1e4, 1e4, -1e4], { dtype });
      const y = nb.array([1, 1, 0, 0, 1], { dtype });
      expectTensor(nn.binaryCrossEntropy(z, y, { reduction: "none" }), [Math.log(2), 0, 0, 1e4, 1e4], {
        rtol: 1e-6,
      });
      const g = nb.grad((t: T) => nn.binaryCrossEntropy(t, y, { reduction: "sum" }))(z) as T;
      expectTensor(g, [-0.5, 0, 0, 1, -1], { atol: 1e-6 }); // sigmoid(z) − y
    }
  });

  it("logLoss on probabilities clips 0 and 1", () => {
    expect(nn.logLoss([0.9, 0.2], [1, 0]).item()).toBeCloseTo((-Math.log(0.9) - Math.log(0.8)) / 2, 6);
    const l = nn.logLoss(f64([0, 1]), f64([1, 0]));
    expect(Number.isFinite(l.item())).toBe(true);
    expect(l.item()).toBeCloseTo(-Math.log(1e-7), 5);
  });

  it("hinge with ±1 labels, and 0/1 labels mapped to ±1", () => {
    expect(nn.hinge([2, 0.5, -1], [1, 1, 1]).item()).toBeCloseTo(2.5 / 3, 6);
    expect(nn.hinge([2, -0.5], [1, 0]).item()).toBeCloseTo(nn.hinge([2, -0.5], [1, -1]).item(), 12);
    expect(() => nn.hinge([1], [2])).toThrow("hinge: labels must be −1 or +1");
    expect(Number.isFinite(nn.hinge([1e4, -1e4], [1, 1]).item())).toBe(true);
  });
});

describe("penalties and accuracy", () => {
  it("L1 and L2 penalties sum over all parameters, or those a filter keeps", () => {
    const params = { layer: { weight: f64([[1, -2]]), bias: f64([3]) } };
    expect(nn.l1Penalty(params).item()).toBe(6);
    expect(nn.l2Penalty(params).item()).toBe(14);
    expect(nn.l2Penalty(params, { filter: (_path, w) => w.ndim > 1 }).item()).toBe(5);
    expect(nn.l1Penalty(params, { filter: (path) => path.endsWith("bias") }).item()).toBe(3);
    const g = nb.grad((p: typeof params) => nn.l2Penalty(p))(params);
    expectTensor(g.layer.weight, [[2, -4]]);
  });

  it("accuracy: argmax for several outputs, a threshold for one", () => {
    expect(
      nn.accuracy(
        [
          [2, 1],
          [0, 3],
          [1, 0],
        ],
        [0, 1, 1],
      ),
    ).toBeCloseTo(2 / 3, 12);
    expect(
      nn.accuracy(
        [
          [2, 1],
          [0, 3],
        ],
        [
          [1, 0],
          [0, 1],
        ],
      ),
    ).toBe(1);
    expect(nn.accuracy([3, -1], [1, 1])).toBe(0.5);
    expect(nn.accuracy([[0.7], [0.4]], [1, 1], { threshold: 0.5 })).toBe(0.5);
    expect(() => nn.accuracy([[1, 2]], [[0, 1, 2]])).toThrow("accuracy: outputs [1,2] need labels [1]");
  });
});
