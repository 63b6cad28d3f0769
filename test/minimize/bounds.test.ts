// minimize with bounds: box-constrained quadratics with known solutions (some bounds active), Rosenbrock in a
// box, first-order methods by projection, and argument errors.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { type MethodName, minimize } from "../../src/minimize/index.js";

type Tensor = nb.Tensor;
const f64 = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });
const xs = (r: { x: unknown }) => (r.x as Tensor).toArray() as number[];

// f = ½xᵀAx − bᵀx with b chosen so that x* = [0, 0.7, 1] in the box [0, 2] × [−1, 1] × [−1, 1]: the gradient
// at x* is [0.5, 0, −0.3], so x₀ sits on its lower bound, x₂ on its upper bound and x₁ is free.
const Arows = [
  [4, 1, 0.5],
  [1, 3, -0.2],
  [0.5, -0.2, 2],
];
const xStar = [0, 0.7, 1];
const gStar = [0.5, 0, -0.3];
const bVals = Arows.map((row, i) => row.reduce((s, a, j) => s + a * xStar[j]!, 0) - gStar[i]!);
const A = f64(Arows);
const b = f64(bVals);
const quadratic = (x: Tensor) => nb.sub(nb.mul(0.5, nb.dot(x, nb.matmul(A, x))), nb.dot(b, x));
const box: [number, number][] = [
  [0, 2],
  [-1, 1],
  [-1, 1],
];

const rosenbrock = (p: Tensor) => {
  const [x, y] = [nb.take(p, 0), nb.take(p, 1)];
  return nb.add(nb.square(nb.sub(1, x)), nb.mul(100, nb.square(nb.sub(y, nb.square(x)))));
};

describe("minimize with bounds", () => {
  it("lbfgs finds a box-constrained quadratic's minimum with bounds active on both sides", () => {
    const r = minimize(quadratic, f64([1.5, -0.5, 0]), { method: "lbfgs", bounds: box, tol: 1e-12 });
    expect(r.converged, r.reason).toBe(true);
    xs(r).forEach((v, i) => expect(v).toBeCloseTo(xStar[i]!, 10));
    expect(r.gradNorm).toBeLessThanOrEqual(1e-12);
    // Every iterate stays in the box.
    for (const h of r.history) h.x!.forEach((v, i) => expect(v >= box[i]![0] && v <= box[i]![1]).toBe(true));
  });

  it("projects x0 into the box and accepts one [lo, hi] pair for every element", () => {
    // Separable: ½Σ aᵢ(xᵢ − cᵢ)², minimum clip(c, 0, 1) = [0, 0.3, 1, 1].
    const a = f64([1, 2, 3, 0.5]);
    const c = f64([-1, 0.3, 2, 5]);
    const f = (x: Tensor) => nb.mul(0.5, nb.sum(nb.mul(a, nb.square(nb.sub(x, c)))));
    const r = minimize(f, f64([9, -9, 0.5, 0.5]), { bounds: [0, 1], tol: 1e-12 });
    expect(r.converged).toBe(true);
    expect(r.history[0]!.x).toEqual(Float64Array.of(1, 0, 0.5, 0.5));
    xs(r).forEach((v, i) => expect(v).toBeCloseTo([0, 0.3, 1, 1][i]!, 10));
  });

  it("takes ±Infinity for a missing bound", () => {
    const r = minimize(quadratic, f64([1, 0, 0]), {
      bounds: [
        [0, Infinity],
        [-Infinity, Infinity],
        [-Infinity, 1],
      ],
      tol: 1e-12,
    });
    xs(r).forEach((v, i) => expect(v).toBeCloseTo(xStar[i]!, 10));
  });

  it("lbfgs solves Rosenbrock restricted to x ≤ 0.5: the minimum (0.5, 0.25) on the boundary", () => {
    const r = minimize(rosenbrock, f64([-1.2, 1]), {
      bounds: [
        [-2, 0.5],
        [-1, 2],
      ],
      tol: 1e-10,
    });
    expect(r.converged, r.reason).toBe(true);
    const [x, y] = xs(r);
    expect(x).toBe(0.5);
    expect(y).toBeCloseTo(0.25, 8);
    expect(r.value).toBeCloseTo(0.25, 10);
  });

  it("lbfgs without active bounds matches the unconstrained minimum", () => {
    const r = minimize(rosenbrock, f64([-1.2, 1]), { bounds: [-5, 5], tol: 1e-10 });
    expect(r.converged).toBe(true);
    xs(r).forEach((v) => expect(v).toBeCloseTo(1, 6));
  });

  it.each<[MethodName, number, number]>([
    ["gd", 0.1, 6],
    ["momentum", 0.05, 6],
    ["adam", 0.01, 3],
  ])("%s projects each step into the box", (method, learningRate, digits) => {
    const r = minimize(quadratic, f64([1.5, -0.5, 0]), {
      method,
      learningRate,
      bounds: box,
      tol: 1e-8,
      maxIter: 20000,
    });
    xs(r).forEach((v, i) => expect(v).toBeCloseTo(xStar[i]!, digits));
    for (const h of r.history) h.x!.forEach((v, i) => expect(v >= box[i]![0] && v <= box[i]![1]).toBe(true));
  });

  it("rejects methods that cannot honour bounds, naming the method", () => {
    for (const method of ["newton", "cubic", "halley"] as const)
      expect(() => minimize(quadratic, f64([1, 0, 0]), { method, bounds: box })).toThrow(
        new RegExp(`method "${method}" does not support bounds; use one of lbfgs, gd, momentum, adam`),
      );
  });

  it("rejects malformed bounds", () => {
    const x0 = f64([1, 0, 0]);
    expect(() => minimize(quadratic, x0, { bounds: [[0, 1]] })).toThrow(/3 of them.*got 1 entries/);
    expect(() =>
      minimize(quadratic, x0, {
        bounds: [
          [0, 1],
          [2, 1],
          [0, 1],
        ],
      }),
    ).toThrow(/bounds for element 1 are \[2, 1\]/);
    expect(() =>
      minimize(quadratic, x0, {
        bounds: [
          [0, 1],
          [0, Number.NaN],
          [0, 1],
        ],
      }),
    ).toThrow(/element 1/);
    expect(() => minimize(quadratic, x0, { bounds: [Infinity, Infinity] })).toThrow(/lo < Infinity/);
    expect(() => minimize(quadratic, x0, { bounds: [[0, 1], "x", [0, 1]] as never })).toThrow(
      /bounds\[1\] must be a \[lo, hi\] pair/,
    );
    expect(() => minimize(quadratic, x0, { bounds: 3 as never })).toThrow(/option bounds must be an array/);
  });
});
