// Readable examples of every operation, each checked against hand-computed or NumPy-known values.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectTensor } from "../util/approx.js";

const f64 = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });

describe("arithmetic", () => {
  it("add / sub / mul / div broadcast JS numbers and arrays", () => {
    expect(nb.add([1, 2], 10).toArray()).toEqual([11, 12]);
    expect(nb.sub(5, [1, 2]).toArray()).toEqual([4, 3]);
    expect(nb.mul([1, 2], [3, 4]).toArray()).toEqual([3, 8]);
    expect(nb.div([1, 2], 4).toArray()).toEqual([0.25, 0.5]);
    expect(nb.add([[1], [2]], [10, 20]).toArray()).toEqual([
      [11, 21],
      [12, 22],
    ]);
  });

  it("pow, neg, square, abs, sign", () => {
    expect(nb.pow([2, 3], 2).toArray()).toEqual([4, 9]);
    expectTensor(nb.pow(f64([4, 8]), [0.5, 1 / 3]), [2, 2]);
    expect(nb.pow(nb.arange(4), 2).toArray()).toEqual([0, 1, 4, 9]); // int32 stays int32
    expect(nb.neg([1, -2]).toArray()).toEqual([-1, 2]);
    expect(nb.square([3]).toArray()).toEqual([9]);
    expect(nb.abs([-2, 3]).toArray()).toEqual([2, 3]);
    expect(nb.abs(nb.array([-3, 3], { dtype: "int32" })).dtype).toBe("int32");
    expect(nb.sign([-2, 0, 3]).toArray()).toEqual([-1, 0, 1]);
  });

  it("maximum, minimum, clip", () => {
    expect(nb.maximum([1, 5], 3).toArray()).toEqual([3, 5]);
    expect(nb.minimum([1, 5], 3).toArray()).toEqual([1, 3]);
    expect(nb.clip([-2, 0.5, 3], 0, 1).toArray()).toEqual([0, 0.5, 1]);
    expect(nb.clip([[-2, 5]], [0, 1], 3).toArray()).toEqual([[0, 3]]);
    // one bound may be left out, as in NumPy: undefined or null
    expect(nb.clip([-2, 0.5, 3], 0).toArray()).toEqual([0, 0.5, 3]);
    expect(nb.clip([-2, 0.5, 3], undefined, 1).toArray()).toEqual([-2, 0.5, 1]);
  });

  it("floor, ceil, round (ties to even, as NumPy)", () => {
    expect(nb.floor([1.5, -1.5]).toArray()).toEqual([1, -2]);
    expect(nb.ceil([1.5, -1.5]).toArray()).toEqual([2, -1]);
    expect(nb.round([0.5, 1.5, 2.4]).toArray()).toEqual([0, 2, 2]);
    // np.round([-0.5, -1.5, -2.5, 2.5, 3.5]) == [-0, -2, -2, 2, 4]
    expect(nb.round([-0.5, -1.5, -2.5, 2.5, 3.5]).toArray()).toEqual([-0, -2, -2, 2, 4]);
  });
});

describe("elementwise maths", () => {
  it("sqrt, exp, log, log1p, expm1", () => {
    expect(nb.sqrt([4, 9]).toArray()).toEqual([2, 3]);
    expect(nb.exp(0).item()).toBe(1);
    expect(nb.log(Math.E).item()).toBe(1);
    expect(nb.log1p(1e-10).item()).toBeCloseTo(1e-10, 20);
    expect(nb.expm1(1e-10).item()).toBeCloseTo(1e-10, 20);
    expectTensor(nb.exp(f64([1, -1])), [Math.E, 1 / Math.E]);
    expectTensor(nb.log(f64([1, 10])), [0, Math.LN10]);
  });

  it("trigonometric and inverse trigonometric", () => {
    expect(nb.sin(0).item()).toBe(0);
    expect(nb.cos(0).item()).toBe(1);
    expect(nb.tan(0).item()).toBe(0);
    expect(nb.asin(1).item()).toBeCloseTo(Math.PI / 2, 12);
    expect(nb.acos(1).item()).toBe(0);
    expect(nb.atan(1).item()).toBeCloseTo(Math.PI / 4, 12);
    expect(nb.sin(Math.PI / 6).item()).toBeCloseTo(0.5, 12);
    expect(nb.cos(Math.PI / 3).item()).toBeCloseTo(0.5, 12);
    expect(nb.tan(Math.PI / 4).item()).toBeCloseTo(1, 12);
    expect(nb.asin(0.5).item()).toBeCloseTo(Math.PI / 6, 12);
    expect(nb.acos(0.5).item()).toBeCloseTo(Math.PI / 3, 12);
  });

  it("atan2 gives the angle in the right quadrant", () => {
    expect(nb.atan2(1, 1).item()).toBeCloseTo(Math.PI / 4, 12);
    const q = (3 * Math.PI) / 4;
    expectTensor(nb.atan2(f64([1, 1, -1, -1]), [1, -1, 1, -1]), [Math.PI / 4, q, -Math.PI / 4, -q]);
  });

  it("hyperbolic functions and erf", () => {
    expect(nb.sinh(0).item()).toBe(0);
    expect(nb.cosh(0).item()).toBe(1);
    expect(nb.tanh(0).item()).toBe(0);
    expect(nb.erf(0).item()).toBe(0);
    expect(nb.sinh(1).item()).toBeCloseTo(1.1752011936438014, 12);
    expect(nb.cosh(1).item()).toBeCloseTo(1.5430806348152437, 12);
    expect(nb.tanh(1).item()).toBeCloseTo(0.7615941559557649, 12);
    // scipy.special.erf([0.5, 1, -2])
    expectTensor(nb.erf(f64([0.5, 1, -2])), [0.5204998778130465, 0.8427007929497149, -0.9953222650189527], {
      atol: 1e-7,
    });
  });

  it("special functions: erfc, erfinv, lgamma, digamma, polygamma", () => {
    expect(nb.erfc(0).item()).toBe(1);
    // Φ(−8) ≈ 6.22e-16 (no cancellation in the lower tail) and Φ(1.96) ≈ 0.975.
    expect(nb.ndtr(0).item()).toBe(0.5);
    expectTensor(nb.ndtr(f64([-8, 1.96])), [6.220960574271785e-16, 0.9750021048517795], {
      rtol: 1e-14,
      atol: 0,
    });
    expect(nb.erfinv(0).item()).toBe(0);
    expect(nb.lgamma(1).item()).toBe(0);
    // Reference values: erfc(5), Γ(4) = 6, ψ(1) = −γ, ψ′(1) = π²/6, ψ″(1) = −2ζ(3).
    expectTensor(nb.erfc(f64([5])), [1.5374597944280349e-12], { rtol: 1e-14, atol: 0 });
    expect(nb.erfinv(f64([0.5])).item()).toBeCloseTo(0.4769362762044699, 14);
    expect(nb.lgamma(f64([4])).item()).toBeCloseTo(Math.log(6), 14);
    expect(nb.digamma(f64([1])).item()).toBeCloseTo(-0.5772156649015329, 14);
    expectTensor(nb.polygamma(f64([1, 2]), f64([1, 1])), [Math.PI ** 2 / 6, -2 * 1.2020569031595942], {
      rtol: 1e-14,
      atol: 0,
    });
    // The order of polygamma takes whole values only: its derivative in n is zero, as for floor.
    expect(
      nb
        .grad((n: nb.Tensor) => nb.polygamma(n, 2))(f64([1]).reshape([]))
        .item(),
    ).toBe(0);
    // The derivative of lgamma is digamma, and so on up the tower.
    expect(
      nb
        .grad(nb.lgamma)(f64([2.5]).reshape([]))
        .item(),
    ).toBeCloseTo(nb.digamma(2.5).item(), 6);
    expect(
      nb
        .derivative(
          nb.digamma,
          2,
        )(f64([2]).reshape([]))
        .item(),
    ).toBeCloseTo(nb.polygamma(2, f64([2])).item(), 12);
  });

  it("activations: sigmoid, relu, leakyRelu, elu, gelu, softplus", () => {
    expect(nb.sigmoid(0).item()).toBe(0.5);
    expect(nb.sigmoid(2).item()).toBeCloseTo(0.8807970779778823, 12);
    expect(nb.relu([-1, 2]).toArray()).toEqual([0, 2]);
    expectTensor(nb.leakyRelu([-1, 2]), [-0.01, 2]);
    expect(nb.leakyRelu(-2, 0.2).item()).toBeCloseTo(-0.4, 12);
    expectTensor(nb.elu([-1, 2]), [-0.632120558828, 2]);
    expect(nb.elu(-2, 0.5).item()).toBeCloseTo(0.5 * (Math.exp(-2) - 1), 12);
    expect(nb.gelu(1).item()).toBeCloseTo(0.8413447460685429, 7);
    // jax.nn.gelu([-1, 0, 2], approximate=False)
    expectTensor(nb.gelu(f64([-1, 0, 2])), [-0.15865525393145707, 0, 1.9544997361036416], { atol: 1e-7 });
    expect(nb.gelu(1, { approximate: true }).item()).toBeCloseTo(0.8411919906082768, 7);
    expect(nb.softplus(0).item()).toBeCloseTo(Math.LN2, 12);
    expect(nb.softplus(2).item()).toBeCloseTo(Math.log1p(Math.exp(2)), 12);
    expect(nb.softplus(1000).item()).toBe(1000);
    expect(nb.softplus(-1000).item()).toBe(0);
  });

  it("integers become float32 for maths defined on reals", () => {
    const r = nb.exp(nb.arange(2));
    expect(r.dtype).toBe("float32");
    expectTensor(r, [1, Math.E]);
  });
});

describe("comparisons, where, astype", () => {
  it("comparisons give bool tensors", () => {
    expect(nb.equal([1, 2], 2).toArray()).toEqual([false, true]);
    expect(nb.notEqual([1, 2], 2).toArray()).toEqual([true, false]);
    expect(nb.less([1, 2], 2).toArray()).toEqual([true, false]);
    expect(nb.lessEqual([1, 2], 2).toArray()).toEqual([true, true]);
    expect(nb.greater([1, 2], 1).toArray()).toEqual([false, true]);
    expect(nb.greaterEqual([1, 2], 2).toArray()).toEqual([false, true]);
    expect(nb.less(nb.arange(3), 1.5).toArray()).toEqual([true, true, false]);
    expect(nb.equal([1, 2], 2).dtype).toBe("bool");
  });

  it("where picks by a condition, with broadcasting; non-bool conditions mean != 0", () => {
    expect(nb.where(nb.greater([1, -1], 0), 1, -1).toArray()).toEqual([1, -1]);
    expect(nb.where([1, 0, 2], [1, 2, 3], [10, 20, 30]).toArray()).toEqual([1, 20, 3]);
    expect(nb.where([[true], [false]], [1, 2], 0).toArray()).toEqual([
      [1, 2],
      [0, 0],
    ]);
  });

  it("astype converts (float → int truncates toward zero, non-zero → true)", () => {
    expect(nb.astype([1.7, -1.7], "int32").toArray()).toEqual([1, -1]);
    expect(nb.astype([0, 2, -1], "bool").toArray()).toEqual([false, true, true]);
    expect(nb.astype(nb.arange(2), "float64").dtype).toBe("float64");
  });
});

describe("reductions", () => {
  const A = [
    [1, 2],
    [3, 4],
  ];
  const B = [
    [1, 5],
    [3, 2],
  ];
  const C = [
    [1, 5],
    [7, 2],
  ];

  it("sum (all axes, one axis, keepdims; bool and int sum to int32)", () => {
    expect(nb.sum(A, { axis: 0 }).toArray()).toEqual([4, 6]);
    expect(nb.sum(A).item()).toBe(10);
    expect(nb.sum(A, { axis: -1, keepdims: true }).toArray()).toEqual([[3], [7]]);
    expect(nb.sum(A, { axis: [0, 1] }).item()).toBe(10);
    const b = nb.sum([true, true, false]);
    expect(b.dtype).toBe("int32");
    expect(b.item()).toBe(2);
  });

  it("the option types", () => {
    const reduce: nb.ReduceOptions = { axis: [0], keepdims: true };
    const arg: nb.ArgOptions = { axis: 0 };
    const varOpts: nb.VarianceOptions = { ddof: 1 };
    const normOpts: nb.NormOptions = { ord: 1, axis: 1 };
    expect(nb.sum([[1, 2]], reduce).toArray()).toEqual([[1, 2]]);
    expect(nb.argmax(C, arg).toArray()).toEqual([1, 0]);
    expect(nb.variance([1, 3], varOpts).item()).toBe(2);
    expect(nb.norm([[1, -2]], normOpts).toArray()).toEqual([3]);
  });

  it("mean, prod, max, min", () => {
    expect(nb.mean([1, 2, 3, 4]).item()).toBe(2.5);
    expect(nb.mean(A, { axis: 1 }).toArray()).toEqual([1.5, 3.5]);
    expect(nb.mean(nb.arange(4)).dtype).toBe("float32");
    expect(nb.prod([1, 2, 3, 4]).item()).toBe(24);
    expect(nb.prod(A, { axis: 1 }).toArray()).toEqual([2, 12]);
    expect(nb.max(B, { axis: 1 }).toArray()).toEqual([5, 3]);
    expect(nb.max(B, { axis: 0, keepdims: true }).toArray()).toEqual([[3, 5]]);
    expect(nb.min([3, 1, 2]).item()).toBe(1);
  });

  it("argmax / argmin (first index on ties, flattened without an axis)", () => {
    expect(nb.argmax([1, 5, 3]).item()).toBe(1);
    expect(nb.argmin([4, 1, 3]).item()).toBe(1);
    expect(nb.argmax([2, 7, 7]).item()).toBe(1);
    expect(nb.argmax(C).item()).toBe(2);
    const a = nb.argmax(C, { axis: 1, keepdims: true });
    expect(a.dtype).toBe("int32");
    expect(a.toArray()).toEqual([[1], [0]]);
  });

  it("variance and std (ddof 0 by default, as NumPy)", () => {
    expect(nb.variance([1, 2, 3, 4]).item()).toBe(1.25);
    expect(nb.variance(f64([1, 2, 3, 4]), { ddof: 1 }).item()).toBeCloseTo(5 / 3, 12);
    expect(nb.std([1, 3]).item()).toBe(1);
    const rows = [
      [1, 3],
      [2, 6],
    ];
    expect(nb.std(rows, { axis: 1 }).toArray()).toEqual([1, 2]);
  });

  it("logSumExp is stable for large inputs", () => {
    expect(nb.logSumExp(f64([1000, 1000])).item()).toBeCloseTo(1000 + Math.LN2, 10);
    expect(nb.logSumExp([1000, 1000]).item()).toBeCloseTo(1000 + Math.LN2, 3); // float32
    const rows = f64([
      [0, 0],
      [1, 1],
    ]);
    expectTensor(nb.logSumExp(rows, { axis: 1 }), [Math.LN2, 1 + Math.LN2]);
    expect(nb.logSumExp(rows, { axis: 1, keepdims: true }).shape).toEqual([2, 1]);
    expect(nb.logSumExp(f64([-1000, -1000])).item()).toBeCloseTo(-1000 + Math.LN2, 10);
  });

  it("cumsum (flattened, along an axis, reversed)", () => {
    expect(nb.cumsum([1, 2, 3]).toArray()).toEqual([1, 3, 6]);
    expect(nb.cumsum(A).toArray()).toEqual([1, 3, 6, 10]);
    expect(nb.cumsum(A, { axis: 1 }).toArray()).toEqual([
      [1, 3],
      [3, 7],
    ]);
    expect(nb.cumsum([1, 2, 3], { reverse: true }).toArray()).toEqual([6, 5, 3]);
  });

  it("norm: 2 by default, and other orders", () => {
    expect(nb.norm([3, 4]).item()).toBe(5);
    const rows = [
      [3, 4],
      [6, 8],
    ];
    expect(nb.norm(rows, { axis: 1 }).toArray()).toEqual([5, 10]);
    expect(nb.norm(rows, { ord: "fro" }).item()).toBeCloseTo(Math.sqrt(125), 5);
    expect(nb.norm([3, -4], { ord: 1 }).item()).toBe(7);
    expect(nb.norm([3, -4], { ord: Infinity }).item()).toBe(4);
    expect(nb.norm([3, -4], { ord: -Infinity }).item()).toBe(3);
    expect(nb.norm(f64([3, -4]), { ord: 3 }).item()).toBeCloseTo(Math.cbrt(91), 12);
  });
});

describe("softmax and logSoftmax", () => {
  it("examples", () => {
    expect(nb.softmax([1, 1]).toArray()).toEqual([0.5, 0.5]);
    expectTensor(nb.logSoftmax([0, 0]), [-Math.LN2, -Math.LN2]);
  });

  it("match scipy.special.softmax / log_softmax", () => {
    // scipy.special.softmax([1, 2, 3])
    expectTensor(nb.softmax(f64([1, 2, 3])), [0.09003057317038046, 0.24472847105479767, 0.6652409557748219]);
    expectTensor(nb.logSoftmax(f64([1, 2, 3])), [-2.40760596444438, -1.40760596444438, -0.4076059644443803]);
  });

  it("along a chosen axis, and stable for large inputs", () => {
    expectTensor(
      nb.softmax(
        [
          [0, 0],
          [0, 0],
        ],
        0,
      ),
      [
        [0.5, 0.5],
        [0.5, 0.5],
      ],
    );
    expectTensor(nb.softmax([1000, 1000]), [0.5, 0.5]);
    expectTensor(nb.logSoftmax([1000, 0]), [0, -1000]);
  });
});

describe("shape operations", () => {
  const A = [
    [1, 2],
    [3, 4],
  ];
  const R = [
    [1, 2, 3],
    [4, 5, 6],
  ];

  it("reshape (with -1), transpose, matrixTranspose, moveaxis", () => {
    expect(nb.reshape(nb.arange(6), [2, -1]).shape).toEqual([2, 3]);
    expect(nb.reshape(nb.arange(6), [3, 2]).toArray()).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(nb.transpose(nb.zeros([2, 3])).shape).toEqual([3, 2]);
    expect(nb.transpose(nb.zeros([2, 3, 4]), [1, 2, 0]).shape).toEqual([3, 4, 2]);
    expect(nb.matrixTranspose(nb.zeros([5, 2, 3])).shape).toEqual([5, 3, 2]);
    expect(nb.moveaxis(nb.zeros([2, 3, 4]), 0, -1).shape).toEqual([3, 4, 2]);
    expect(nb.moveaxis(R, 0, 1).toArray()).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  });

  it("expandDims, squeeze, broadcastTo", () => {
    expect(nb.expandDims([1, 2], 0).shape).toEqual([1, 2]);
    expect(nb.expandDims([1, 2], -1).shape).toEqual([2, 1]);
    // several axes at once, each counted in the result
    expect(nb.expandDims([1, 2], [0, -1]).shape).toEqual([1, 2, 1]);
    expect(nb.squeeze(nb.zeros([1, 3, 1])).shape).toEqual([3]);
    expect(nb.squeeze(nb.zeros([1, 3, 1]), 0).shape).toEqual([3, 1]);
    expect(nb.broadcastTo([1, 2], [3, 2]).shape).toEqual([3, 2]);
    expect(nb.broadcastTo([[1], [2]], [2, 3]).toArray()).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
  });

  it("concatenate and stack", () => {
    expect(nb.concatenate([[1], [2, 3]]).toArray()).toEqual([1, 2, 3]);
    const col1 = [[1], [2]];
    const col2 = [[3], [4]];
    expect(nb.concatenate([col1, col2], 1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(nb.concatenate([nb.arange(2), nb.array([0.5])]).toArray()).toEqual([0, 1, 0.5]);
    expect(nb.stack(A, 1).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(nb.stack(A).toArray()).toEqual(A);
    expect(nb.stack([1, 2, 3]).shape).toEqual([3]);
  });

  it("split into equal parts or at indices", () => {
    expect(nb.split(nb.arange(6), 3).map((t) => t.toArray())).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(nb.split(nb.arange(5), [1, 3]).map((t) => t.toArray())).toEqual([[0], [1, 2], [3, 4]]);
    const cols = nb.split(R, 3, 1).map((t) => t.toArray());
    expect(cols).toEqual([
      [[1], [4]],
      [[2], [5]],
      [[3], [6]],
    ]);
  });

  it("slice: begin and size (−1 runs to the end, negative begins count from the end)", () => {
    expect(nb.slice(nb.arange(5), [1], [3]).toArray()).toEqual([1, 2, 3]);
    expect(nb.slice(nb.arange(5), -2).toArray()).toEqual([3, 4]);
    const x = nb.reshape(nb.arange(12), [3, 4]);
    expect(nb.slice(x, [1, 1], [2, -1]).toArray()).toEqual([
      [5, 6, 7],
      [9, 10, 11],
    ]);
  });

  it("take by indices (flattened, along an axis, negative indices)", () => {
    expect(nb.take([10, 20, 30], [2, 0]).toArray()).toEqual([30, 10]);
    expect(nb.take([10, 20, 30], [-1]).toArray()).toEqual([30]);
    const idx = [
      [0, 1],
      [2, 2],
    ];
    expect(nb.take([10, 20, 30], idx).toArray()).toEqual([
      [10, 20],
      [30, 30],
    ]);
    expect(nb.take(R, [2, 0], 1).toArray()).toEqual([
      [3, 1],
      [6, 4],
    ]);
  });

  it("pad, flip, tile", () => {
    expect(nb.pad([1, 2], [[1, 2]]).toArray()).toEqual([0, 1, 2, 0, 0]);
    expect(nb.pad([1, 2], [1, 1], 9).toArray()).toEqual([9, 1, 2, 9]);
    const widths: [number, number][] = [
      [1, 0],
      [0, 1],
    ];
    expect(nb.pad(A, widths, 9).toArray()).toEqual([
      [9, 9, 9],
      [1, 2, 9],
      [3, 4, 9],
    ]);
    expect(nb.flip([1, 2, 3]).toArray()).toEqual([3, 2, 1]);
    expect(nb.flip(A, 1).toArray()).toEqual([
      [2, 1],
      [4, 3],
    ]);
    expect(nb.flip(A).toArray()).toEqual([
      [4, 3],
      [2, 1],
    ]);
    expect(nb.tile([1, 2], 2).toArray()).toEqual([1, 2, 1, 2]);
    expect(nb.tile([[1, 2]], [2, 2]).toArray()).toEqual([
      [1, 2, 1, 2],
      [1, 2, 1, 2],
    ]);
  });
});

describe("linear algebra", () => {
  const A = [
    [1, 2],
    [3, 4],
  ];
  const B = [
    [5, 6],
    [7, 8],
  ];
  const R = [
    [1, 2, 3],
    [4, 5, 6],
  ];

  it("matmul: matrices, vectors, batches with broadcasting", () => {
    expect(nb.matmul(A, [[1], [1]]).toArray()).toEqual([[3], [7]]);
    // np.array([[1, 2], [3, 4]]) @ np.array([[5, 6], [7, 8]])
    expect(nb.matmul(A, B).toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(nb.matmul([1, 2], [3, 4]).item()).toBe(11);
    expect(nb.matmul(A, [1, 1]).toArray()).toEqual([3, 7]);
    expect(nb.matmul([1, 1], A).toArray()).toEqual([4, 6]);
    expect(nb.matmul(nb.ones([4, 2, 3]), nb.ones([3, 5])).shape).toEqual([4, 2, 5]);
    expect(nb.matmul(nb.ones([4, 1, 2, 3]), nb.ones([5, 3, 2])).shape).toEqual([4, 5, 2, 2]);
    const batch = nb.matmul(nb.reshape(nb.arange(8), [2, 2, 2]), nb.eye(2, 2, { dtype: "int32" }));
    expect(batch.toArray()).toEqual(nb.reshape(nb.arange(8), [2, 2, 2]).toArray());
    expect(batch.dtype).toBe("int32");
  });

  it("dot, outer, tensordot", () => {
    expect(nb.dot([1, 2, 3], [4, 5, 6]).item()).toBe(32);
    expect(nb.dot(A, [1, 1]).toArray()).toEqual([3, 7]);
    expect(nb.dot(2, [1, 2]).toArray()).toEqual([2, 4]);
    expect(nb.outer([1, 2], [3, 4]).toArray()).toEqual([
      [3, 4],
      [6, 8],
    ]);
    expect(nb.outer([[1, 2]], [3]).shape).toEqual([2, 1]);
    expect(nb.tensordot(nb.ones([2, 3]), nb.ones([3, 4]), 1).shape).toEqual([2, 4]);
    expect(nb.tensordot(A, A).item()).toBe(30);
    // Aᵀ A via explicit axis pairs
    expect(nb.tensordot(A, A, [[0], [0]]).toArray()).toEqual([
      [10, 14],
      [14, 20],
    ]);
  });

  it("trace and diag", () => {
    expect(nb.trace(A).item()).toBe(5);
    expect(nb.trace(R).item()).toBe(6);
    expect(nb.diag([1, 2]).toArray()).toEqual([
      [1, 0],
      [0, 2],
    ]);
    expect(nb.diag(R).toArray()).toEqual([1, 5]);
  });

  it("einsum: products, traces, diagonals, batches, ellipsis, implicit output", () => {
    expect(nb.einsum("ij,j->i", A, [1, 1]).toArray()).toEqual([3, 7]);
    expect(nb.einsum("ij,jk->ik", A, B).toArray()).toEqual([
      [19, 22],
      [43, 50],
    ]);
    expect(nb.einsum("ii->", A).item()).toBe(5);
    expect(nb.einsum("ii->i", A).toArray()).toEqual([1, 4]);
    expect(nb.einsum("ij->ji", A).toArray()).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(nb.einsum("i,j->ij", [1, 2], [3, 4]).toArray()).toEqual([
      [3, 4],
      [6, 8],
    ]);
    expect(nb.einsum("i,i->", [1, 2], [3, 4]).item()).toBe(11);
    expect(nb.einsum("ij,jk", A, nb.eye(2)).toArray()).toEqual(A);
    const batched = nb.einsum("bij,bjk->bik", nb.ones([2, 2, 3]), nb.ones([2, 3, 1]));
    expect(batched.toArray()).toEqual([
      [[3], [3]],
      [[3], [3]],
    ]);
    expect(nb.einsum("...ij,...jk->...ik", nb.ones([4, 2, 3]), nb.ones([3, 5])).shape).toEqual([4, 2, 5]);
  });
});
