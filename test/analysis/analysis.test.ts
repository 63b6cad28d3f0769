// Curvature analysis: Lanczos vs the full Hessian of a small trained network, Hutchinson estimators within
// their statistical error, T[u, v] vs the full third-derivative tensor, sensitivity, Taylor coefficients.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import {
  hessianDiagonal,
  hessianTrace,
  lanczos,
  sensitivity,
  taylorPolynomial,
  thirdOrder,
} from "../../src/analysis/index.js";
import { minimize } from "../../src/minimize/index.js";
import { symmetricEigen } from "../../src/minimize/linalg.js";

type Tensor = nb.Tensor;
const f64 = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });
const data = (t: unknown) => Array.from((t as Tensor).dataSync());

// A 2-4-1 tanh network on 12 points: 17 parameters.
type Params = { w1: Tensor; b1: Tensor; w2: Tensor };
const [kx, ky, kw, kb, kv] = nb.random.split(nb.random.key(42), 5);
const X = nb.random.normal(kx, [12, 2], { dtype: "float64" });
const Y = nb.add(
  nb.sin(nb.sum(X, { axis: 1 })),
  nb.mul(0.1, nb.random.normal(ky, [12], { dtype: "float64" })),
);
const net = (p: Params, x: Tensor) => nb.matmul(nb.tanh(nb.add(nb.matmul(x, p.w1), p.b1)), p.w2);
const loss = (p: Params) => nb.mean(nb.square(nb.sub(net(p, X), Y)));
const init: Params = {
  w1: nb.random.normal(kw, [2, 4], { dtype: "float64" }),
  b1: nb.mul(0.1, nb.random.normal(kb, [4], { dtype: "float64" })),
  w2: nb.random.normal(kv, [4], { dtype: "float64" }),
};
const trained = minimize(loss, init, { method: "lbfgs", maxIter: 60 }).x;
/** The same loss of one flat vector (leaves in pytree order: b1, w1, w2), for nb.hessian. */
const flatLoss = (v: Tensor) =>
  loss({
    b1: nb.slice(v, [0], [4]),
    w1: nb.reshape(nb.slice(v, [4], [8]), [2, 4]),
    w2: nb.slice(v, [12], [4]),
  });
const flatTrained = nb.concatenate([trained.b1, nb.reshape(trained.w1, [8]), trained.w2]);

describe("lanczos", () => {
  const H = Float64Array.from((nb.hessian(flatLoss)(flatTrained) as Tensor).dataSync());
  const exact = Array.from(symmetricEigen(H, 16).values).reverse();

  it("gives the top eigenvalues of a trained network's loss Hessian (full eigendecomposition as reference)", () => {
    const r = lanczos(loss, trained, { k: 3, iterations: 16 });
    r.eigenvalues.forEach((v, i) => expect(v).toBeCloseTo(exact[i], 9));
    r.residuals.forEach((res) => expect(res).toBeLessThan(1e-8));
    // Fewer steps than parameters: the extreme eigenvalue converges first.
    const short = lanczos(loss, trained, { k: 1, iterations: 10, key: nb.random.key(5) });
    expect(Math.abs(short.eigenvalues[0] - exact[0]) / exact[0]).toBeLessThan(1e-6);
  });

  it("returns eigenvectors shaped like the parameters, and the smallest or largest-|λ| ones on request", () => {
    const r = lanczos(loss, trained, { k: 1, iterations: 16 });
    const v = r.eigenvectors[0] as Params;
    expect(v.w1.shape).toEqual([2, 4]);
    const flat = nb.concatenate([v.b1, nb.reshape(v.w1, [8]), v.w2]);
    const Hv = nb.hvp(flatLoss, flatTrained, flat);
    data(Hv).forEach((x, i) => expect(x).toBeCloseTo(r.eigenvalues[0] * data(flat)[i], 8));
    expect(lanczos(loss, trained, { which: "smallest", iterations: 16 }).eigenvalues[0]).toBeCloseTo(
      exact[15],
      9,
    );
    const mag = exact.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a));
    expect(lanczos(loss, trained, { which: "magnitude", iterations: 16 }).eigenvalues[0]).toBeCloseTo(mag, 9);
  });

  it("restarts after an invariant subspace and rejects a bad k", () => {
    // H = diag(1, 2, 3, 4): a start vector on two axes breaks down after 2 steps; a restart finds the rest.
    const f = (x: Tensor) => nb.mul(0.5, nb.sum(nb.mul(f64([1, 2, 3, 4]), nb.square(x))));
    expect(lanczos(f, nb.zeros([4]), { k: 4 }).eigenvalues.map((v) => Number(v.toFixed(10)))).toEqual([
      4, 3, 2, 1,
    ]);
    expect(() => lanczos(f, nb.zeros([4]), { k: 5 })).toThrow("lanczos: k must be an integer from 1 to 4");
  });
});

describe("Hutchinson estimators", () => {
  // f = ½xᵀAx + Σ x⁴/12 at x: H = A + diag(x²).
  const A = f64([
    [3, 1, -0.5, 0.2],
    [1, 2, 0.3, 0],
    [-0.5, 0.3, 4, 1],
    [0.2, 0, 1, 1],
  ]);
  const x = f64([0.5, -1, 2, 0]);
  const f = (v: Tensor) => nb.add(nb.mul(0.5, nb.dot(v, nb.matmul(A, v))), nb.div(nb.sum(nb.pow(v, 4)), 12));
  const H = (nb.hessian(f)(x) as Tensor).toArray() as number[][];
  const diag = H.map((row, i) => row[i]);
  const offSq = H.map((row, i) => row.reduce((s, v, j) => s + (i === j ? 0 : v * v), 0));

  it("hessianDiagonal is within 4 standard errors, with the predicted standard error", () => {
    const samples = 400;
    const r = hessianDiagonal(f, x, { samples, key: nb.random.key(1) });
    const est = data(r.estimate);
    const err = data(r.stdError);
    est.forEach((e, i) => expect(Math.abs(e - diag[i])).toBeLessThan(4 * err[i] + 1e-12));
    // Var(zᵢ(Hz)ᵢ) = Σ_{j≠i} Hᵢⱼ²: the reported error matches it to sampling accuracy.
    err.forEach((e, i) => expect(e / Math.sqrt(offSq[i] / samples)).toBeGreaterThan(0.8));
    err.forEach((e, i) => expect(e / Math.sqrt(offSq[i] / samples)).toBeLessThan(1.2));
  });

  it("hessianTrace is within 4 standard errors, seeded, and exact for a diagonal Hessian", () => {
    const trace = diag.reduce((a, b) => a + b, 0);
    const r = hessianTrace(f, x, { samples: 300, key: nb.random.key(2) });
    expect(Math.abs(r.estimate - trace)).toBeLessThan(4 * r.stdError);
    expect(hessianTrace(f, x, { samples: 300, key: nb.random.key(2) }).estimate).toBe(r.estimate);
    expect(hessianTrace(f, x, { samples: 300, key: nb.random.key(3) }).estimate).not.toBe(r.estimate);
    const cubes = (v: Tensor) => nb.sum(nb.pow(v, 3));
    const exact = hessianTrace(cubes, f64([1, 2, 3]), { samples: 5 });
    expect([exact.estimate, exact.stdError]).toEqual([36, 0]);
  });
});

describe("thirdOrder", () => {
  const [ka, ku, kv, kw] = nb.random.split(nb.random.key(9), 4);
  const A = nb.random.normal(ka, [3, 3], { dtype: "float64" });
  const f = (x: Tensor) => nb.sum(nb.tanh(nb.matmul(A, x)));
  const x = f64([0.3, -0.2, 0.5]);
  const [u, v, w] = [ku, kv, kw].map((k) => nb.random.normal(k, [3], { dtype: "float64" }));
  const T = nb.derivative(f, 3)(x) as Tensor;

  it("T[u, v] and T[u, v, w] match contractions of the full nb.derivative(f, 3) tensor", () => {
    const Tuv = nb.einsum("ijk,j,k->i", T, u, v);
    data(thirdOrder(f, x, u, v)).forEach((t, i) => expect(t).toBeCloseTo(data(Tuv)[i], 12));
    data(thirdOrder(f, x, u)).forEach((t, i) =>
      expect(t).toBeCloseTo(data(nb.einsum("ijk,j,k->i", T, u, u))[i], 12),
    );
    const Tuvw = nb.einsum("ijk,i,j,k->", T, w, u, v).item();
    expect(thirdOrder(f, x, u, v, w)).toBeCloseTo(Tuvw, 12);
  });

  it("works on pytrees and rejects a direction of another shape", () => {
    const g = (p: { a: Tensor; b: Tensor }) => nb.mul(nb.sum(nb.pow(p.a, 3)), nb.exp(p.b));
    const p = { a: f64([1, 2]), b: f64(0) };
    // T[e_b, e_b, e_b] = Σa³ eᵇ = 9.
    const eb = { a: nb.zeros([2], { dtype: "float64" }), b: f64(1) };
    expect(thirdOrder(g, p, eb, eb, eb)).toBeCloseTo(9, 12);
    expect(() => thirdOrder(f, x, nb.ones([2]))).toThrow(
      "thirdOrder: u must have the structure and shapes of x0",
    );
  });
});

describe("sensitivity", () => {
  it("gives the gradient norm, Hessian norm and third directional derivative of a model's output", () => {
    const x = f64([0.4, -0.7]);
    const s = sensitivity(net, trained, x);
    const y = (input: Tensor) => net(trained, input);
    const g = data(nb.grad(y)(x));
    const gn = Math.hypot(...g);
    expect(s.output).toBeCloseTo(y(x).item(), 12);
    expect(s.gradientNorm).toBeCloseTo(gn, 12);
    const H = Float64Array.from((nb.hessian(y)(x) as Tensor).dataSync());
    const eig = symmetricEigen(H, 2).values;
    expect(s.hessianNorm).toBeCloseTo(Math.max(Math.abs(eig[0]), Math.abs(eig[1])), 10);
    const u = g.map((t) => t / gn);
    const uHu = u[0] * (H[0] * u[0] + H[1] * u[1]) + u[1] * (H[2] * u[0] + H[3] * u[1]);
    expect(s.curvature).toBeCloseTo(uHu, 10);
    const T = nb.derivative(y, 3)(x) as Tensor;
    const ut = f64(u);
    expect(s.thirdOrder).toBeCloseTo(nb.einsum("ijk,i,j,k->", T, ut, ut, ut).item(), 10);
    expect(s.inputSize).toBe(2);
  });

  it("sums a vector output unless told otherwise", () => {
    const model = (p: Tensor, x: Tensor) => nb.mul(p, nb.square(x)); // y = [p₀x₀², p₁x₁²]
    const s = sensitivity(model, f64([1, 3]), f64([1, 1]));
    expect(s.gradientNorm).toBeCloseTo(Math.hypot(2, 6), 12);
    const first = sensitivity(model, f64([1, 3]), f64([1, 1]), { reduce: (y) => nb.take(y, 0) });
    expect(first.gradientNorm).toBeCloseTo(2, 12);
  });
});

describe("taylorPolynomial", () => {
  it("has the coefficients 1/k! for exp at 0 and eˣ⁰/k! at x0 = 1", () => {
    let fact = 1;
    taylorPolynomial(nb.exp, 0, 6).coefficients.forEach((c, k) => {
      fact *= Math.max(k, 1);
      expect(c).toBeCloseTo(1 / fact, 14);
    });
    const t = taylorPolynomial(nb.exp, 1, 4);
    expect(t.coefficients[4]).toBeCloseTo(Math.E / 24, 14);
    expect(t.p(1.1)).toBeCloseTo(Math.exp(1.1), 6);
  });

  it("has the coefficients 0, 1, 0, −1/6, 0, 1/120, 0, −1/5040 for sin at 0", () => {
    const t = taylorPolynomial(nb.sin, 0, 7);
    const want = [0, 1, 0, -1 / 6, 0, 1 / 120, 0, -1 / 5040];
    t.coefficients.forEach((c, k) => expect(c).toBeCloseTo(want[k], 14));
    expect(t.derivatives).toEqual([0, 1, 0, -1, 0, 1, 0, -1].map((d) => expect.closeTo(d, 14)));
    expect(Math.abs(t.p(0.5) - Math.sin(0.5))).toBeLessThan(0.5 ** 9 / 362880);
  });

  it("rejects a bad degree", () => {
    expect(() => taylorPolynomial(nb.sin, 0, -1)).toThrow("taylorPolynomial: degree must be an integer");
  });
});
