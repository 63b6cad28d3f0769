// The dense linear algebra under minimize, and the cubic subproblem solver against brute force (hard case too).
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { solveCubic } from "../../src/minimize/cubic-subproblem.js";
import { lanczosBasis, truncatedCG } from "../../src/minimize/krylov.js";
import {
  cholesky,
  choleskySolve,
  dot,
  luSolve,
  matVec,
  norm,
  shiftedCholesky,
  symmetricEigen,
} from "../../src/minimize/linalg.js";

/** Deterministic normal samples from nabla's generator. */
const randn = (seed: number, n: number) =>
  Float64Array.from(nb.random.normal(nb.random.key(seed), [n], { dtype: "float64" }).dataSync());
function randomSymmetric(seed: number, n: number, shift = 0): Float64Array {
  const r = randn(seed, n * n);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) A[i * n + j] = 0.5 * (r[i * n + j] + r[j * n + i]) + (i === j ? shift : 0);
  return A;
}
/** Q diag(λ) Qᵀ with Q a random rotation (from the eigenvectors of a random symmetric matrix). */
function withEigenvalues(seed: number, lambda: number[]): Float64Array {
  const n = lambda.length;
  const Q = symmetricEigen(randomSymmetric(seed, n), n).vectors;
  const A = new Float64Array(n * n);
  for (let k = 0; k < n; k++)
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A[i * n + j] += lambda[k] * Q[k][i] * Q[k][j];
  return A;
}

describe("dense linear algebra", () => {
  it("symmetricEigen: A v = λ v, orthonormal vectors, ascending values", () => {
    for (const n of [1, 2, 5, 12]) {
      const A = randomSymmetric(n, n);
      const { values, vectors } = symmetricEigen(A, n);
      for (let k = 0; k < n; k++) {
        const r = matVec(A, vectors[k]).map((v, i) => v - values[k] * vectors[k][i]);
        expect(norm(r)).toBeLessThan(1e-12);
        for (let j = 0; j < n; j++) expect(dot(vectors[k], vectors[j])).toBeCloseTo(j === k ? 1 : 0, 12);
        if (k > 0) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]);
      }
    }
  });

  it("Cholesky, LU and the shifted Cholesky of an indefinite matrix", () => {
    const A = randomSymmetric(7, 6, 8);
    const x = randn(8, 6);
    const b = matVec(A, x);
    const L = cholesky(A, 6)!;
    choleskySolve(L, b).forEach((v, i) => expect(v).toBeCloseTo(x[i], 11));
    luSolve(
      randomSymmetric(9, 6).map((v, i) => v + (i % 7 === 0 ? 0 : 0.3 * v)),
      b,
    )!;
    const M = randomSymmetric(10, 6);
    luSolve(M, matVec(M, x))!.forEach((v, i) => expect(v).toBeCloseTo(x[i], 9));
    expect(luSolve(new Float64Array(4), Float64Array.of(1, 1))).toBeNull();
    const indefinite = withEigenvalues(11, [-2, 0.5, 3]);
    expect(cholesky(indefinite, 3)).toBeNull();
    const { shift } = shiftedCholesky(indefinite, 3);
    expect(shift).toBeGreaterThan(2);
    expect(shiftedCholesky(A, 6).shift).toBe(0);
  });

  it("truncated CG solves SPD systems and stops at negative curvature; Lanczos gives an orthonormal basis", () => {
    const A = randomSymmetric(12, 8, 9);
    const g = randn(13, 8);
    const r = truncatedCG((v) => matVec(A, v), g, 1e-12, 50);
    expect(r.negativeCurvature).toBe(false);
    matVec(A, r.s).forEach((v, i) => expect(v).toBeCloseTo(-g[i], 10));
    expect(
      truncatedCG((v) => matVec(withEigenvalues(14, [-1, 1, 2]), v), g.slice(0, 3), 1e-12, 10)
        .negativeCurvature,
    ).toBe(true);
    const basis = lanczosBasis((v) => matVec(A, v), g, 8);
    basis.Q.forEach((q, i) => basis.Q.forEach((p, j) => expect(dot(q, p)).toBeCloseTo(i === j ? 1 : 0, 12)));
  });
});

/** m(s) = gᵀs + ½sᵀHs + (σ/3)‖s‖³. */
const model = (H: Float64Array, g: Float64Array, sigma: number, s: Float64Array) =>
  dot(g, s) + 0.5 * dot(s, matVec(H, s)) + (sigma / 3) * norm(s) ** 3;

/** min over r ≥ 0 of m(r·u) for a unit u: the positive root of a + b r + σ r² = 0, if any. */
function radial(H: Float64Array, g: Float64Array, sigma: number, u: Float64Array): number {
  const a = dot(g, u);
  const b = dot(u, matVec(H, u));
  const disc = b * b - 4 * sigma * a;
  const r = disc >= 0 ? (-b + Math.sqrt(disc)) / (2 * sigma) : 0;
  return r > 0 ? a * r + 0.5 * b * r * r + (sigma / 3) * r ** 3 : 0;
}

/** The global minimum by brute force over directions (a fine grid, then a local refinement). */
function bruteForce(H: Float64Array, g: Float64Array, sigma: number): number {
  const n = g.length;
  const dir = (t: number, p: number) =>
    n === 2
      ? Float64Array.of(Math.cos(t), Math.sin(t))
      : Float64Array.of(Math.sin(p) * Math.cos(t), Math.sin(p) * Math.sin(t), Math.cos(p));
  const value = (t: number, p: number) => radial(H, g, sigma, dir(t, p));
  let best = { v: Number.POSITIVE_INFINITY, t: 0, p: 0 };
  const [nt, np] = n === 2 ? [20000, 1] : [400, 200];
  for (let i = 0; i < nt; i++)
    for (let j = 0; j < np; j++) {
      const t = (2 * Math.PI * i) / nt;
      const p = n === 2 ? 0 : (Math.PI * (j + 0.5)) / np;
      const v = value(t, p);
      if (v < best.v) best = { v, t, p };
    }
  // Pattern search around the best grid direction.
  for (let h = 0.02; h > 1e-10; h /= 2)
    for (let improved = true; improved; ) {
      improved = false;
      for (const [dt, dp] of [
        [h, 0],
        [-h, 0],
        [0, h],
        [0, -h],
      ]) {
        if (n === 2 && dp !== 0) continue;
        const v = value(best.t + dt, best.p + dp);
        if (v < best.v) {
          best = { v, t: best.t + dt, p: best.p + dp };
          improved = true;
        }
      }
    }
  return best.v;
}

/** The characterization of the global minimizer: (H + μI)s = −g, μ = σ‖s‖, H + μI ⪰ 0. */
function expectGlobalOptimality(
  H: Float64Array,
  g: Float64Array,
  sigma: number,
  s: Float64Array,
  mu: number,
) {
  const n = g.length;
  expect(mu).toBeCloseTo(sigma * norm(s), 10);
  const r = matVec(H, s).map((v, i) => v + mu * s[i] + g[i]);
  expect(norm(r)).toBeLessThan(1e-9 * Math.max(1, norm(g)));
  expect(symmetricEigen(H, n).values[0] + mu).toBeGreaterThan(-1e-9);
}

describe("cubic subproblem: exact global minimizer", () => {
  const cases = Array.from({ length: 12 }, (_, i) => {
    const n = i % 2 === 0 ? 2 : 3;
    return { seed: 100 + i, n, sigma: [0.1, 1, 5][i % 3] };
  });
  it.each(cases)(
    "random problem: seed $seed, n = $n, σ = $sigma — matches brute force",
    ({ seed, n, sigma }) => {
      const H = randomSymmetric(seed, n);
      const g = randn(seed + 1000, n);
      const step = solveCubic(H, g, sigma);
      expectGlobalOptimality(H, g, sigma, step.s, step.mu);
      const m = model(H, g, sigma, step.s);
      expect(step.model).toBeCloseTo(m, 12);
      const brute = bruteForce(H, g, sigma);
      expect(m).toBeLessThanOrEqual(brute + 1e-12);
      expect(brute - m).toBeLessThan(1e-8 * Math.max(1, Math.abs(m)));
    },
  );

  it.each([
    { name: "2-D, g ⟂ the negative eigenvector", lambda: [-1, 2], gEig: [0, 1], sigma: 1 },
    { name: "3-D, repeated negative eigenvalue", lambda: [-2, -2, 1], gEig: [0, 0, 0.5], sigma: 2 },
    { name: "3-D, zero gradient at a saddle", lambda: [-0.5, 1, 3], gEig: [0, 0, 0], sigma: 0.3 },
  ])("hard case: $name", ({ lambda, gEig, sigma }) => {
    const n = lambda.length;
    const H = withEigenvalues(n * 31, lambda);
    const { vectors } = symmetricEigen(H, n);
    const g = new Float64Array(n);
    gEig.forEach((c, k) => vectors[k].forEach((v, i) => (g[i] += c * v)));
    const step = solveCubic(H, g, sigma);
    expect(step.hardCase).toBe(true);
    expect(step.mu).toBeCloseTo(-lambda[0], 10);
    expectGlobalOptimality(H, g, sigma, step.s, step.mu);
    const m = model(H, g, sigma, step.s);
    expect(m).toBeLessThan(0);
    const brute = bruteForce(H, g, sigma);
    expect(m).toBeLessThanOrEqual(brute + 1e-12);
    expect(brute - m).toBeLessThan(1e-8);
  });

  it("a positive definite H and small σ give nearly the Newton step", () => {
    const H = withEigenvalues(5, [1, 4]);
    const g = Float64Array.of(0.3, -0.2);
    const step = solveCubic(H, g, 1e-9);
    const newton = choleskySolve(cholesky(H, 2)!, g).map((v) => -v);
    step.s.forEach((v, i) => expect(v).toBeCloseTo(newton[i], 8));
    expect(solveCubic(H, new Float64Array(2), 1).s).toEqual(new Float64Array(2));
  });
});
