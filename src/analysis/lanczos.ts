// Extreme Hessian eigenvalues (sharpness) of a scalar function by Lanczos on Hessian-vector products.
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { lanczosBasis, tridiagonal } from "../minimize/krylov.js";
import { norm, symmetricEigen } from "../minimize/linalg.js";
import { type FlatObjective, flatObjective, type ScalarFn } from "../minimize/objective.js";
import type { AsTensors } from "../minimize/types.js";
import { type Key, key as makeKey, normal, split } from "../ops/random.js";

/**
 * Options of {@link lanczos}.
 * @example
 * ```ts
 * const options: nb.analysis.LanczosOptions = { k: 3, iterations: 40, key: nb.random.key(1), which: "largest" };
 * ```
 */
export interface LanczosOptions {
  /** How many eigenvalues (default 1). */
  k?: number;
  /** Lanczos steps = HVPs (default min(n, max(2k + 20, 40))); with n steps the result is exact. */
  iterations?: number;
  /** Random key for the start vector (default nb.random.key(0)). */
  key?: Key;
  /** "largest" (algebraic, default: the sharpness), "smallest", or "magnitude". */
  which?: "largest" | "smallest" | "magnitude";
}

/**
 * Eigenpairs of the Hessian, best first, with residual bounds ‖Hv − λv‖ (small when converged).
 * @example
 * ```ts
 * const r: nb.analysis.LanczosResult = nb.analysis.lanczos((w) => nb.sum(nb.pow(w, 4)), nb.array([1, 2]), { k: 2 });
 * r.eigenvalues; // [48, 12]
 * ```
 */
export interface LanczosResult<T = unknown> {
  eigenvalues: number[];
  /** Unit eigenvectors in the structure of `params`. */
  eigenvectors: T[];
  residuals: number[];
  iterations: number;
}

/** Lanczos on a flat objective at x: eigenvalues and flat vectors (shared with {@link sensitivity}). */
export function lanczosFlat(
  where: string,
  objective: FlatObjective,
  x: Float64Array,
  options: LanczosOptions,
): { values: number[]; vectors: Float64Array[]; residuals: number[]; iterations: number } {
  const n = objective.n;
  const k = options.k ?? 1;
  if (!Number.isInteger(k) || k < 1 || k > n)
    throw new ValueError(
      `${where}: k must be an integer from 1 to ${n} (the number of parameters), got ${k}`,
    );
  const steps = options.iterations ?? Math.min(n, Math.max(2 * k + 20, 40));
  if (!Number.isInteger(steps) || steps < k)
    throw new ValueError(`${where}: iterations must be an integer ≥ k = ${k}, got ${steps}`);
  const which = options.which ?? "largest";
  if (!["largest", "smallest", "magnitude"].includes(which))
    throw new ValueError(`${where}: which must be "largest", "smallest" or "magnitude", got "${which}"`);
  let [k0, rest] = split(options.key ?? makeKey(0));
  const draw = (kk: Key) => Float64Array.from(normal(kk, [n], { dtype: "float64" }).dataSync());
  const restart = () => {
    const [a, b] = split(rest);
    rest = b;
    return draw(a);
  };
  const matvec = (v: Float64Array) => objective.hvp(x, v);
  const basis = lanczosBasis(matvec, draw(k0), Math.min(steps, n), restart);
  const m = basis.alpha.length;
  const eig = symmetricEigen(tridiagonal(basis.alpha, basis.beta), m);
  const order = Array.from({ length: m }, (_, i) => i);
  const score = (i: number) =>
    which === "largest" ? -eig.values[i] : which === "smallest" ? eig.values[i] : -Math.abs(eig.values[i]);
  order.sort((a, b) => score(a) - score(b));
  const chosen = order.slice(0, Math.min(k, m));
  const vectors = chosen.map((i) => {
    const v = new Float64Array(n);
    basis.Q.forEach((q, j) => {
      const c = eig.vectors[i][j];
      for (let t = 0; t < n; t++) v[t] += c * q[t];
    });
    return v.map((t) => t / norm(v));
  });
  // Residuals measured directly (one more HVP each), not by the Lanczos estimate, so they can be trusted.
  const residuals = vectors.map((v, j) => {
    const Hv = matvec(v);
    const lambda = eig.values[chosen[j]];
    return norm(Hv.map((t, i) => t - lambda * v[i]));
  });
  return { values: chosen.map((i) => eig.values[i]), vectors, residuals, iterations: m };
}

/**
 * The top-k eigenvalues (and eigenvectors) of the Hessian of a scalar function at `params` — a tensor or
 * pytree such as a network's weights — by the Lanczos method on Hessian-vector products (forward over
 * reverse, staged once), with full reorthogonalization. The Hessian is never formed: each step costs one HVP.
 * The largest eigenvalue of a trained network's loss Hessian is its *sharpness*. Arithmetic is float64.
 * @throws {ValueError} when k or iterations are out of range, or f is not scalar.
 * @example
 * ```ts
 * const A = nb.array([[2, 1], [1, 3]]);
 * const f = (x: nb.Tensor) => nb.mul(0.5, nb.dot(x, nb.matmul(A, x)));
 * nb.analysis.lanczos(f, nb.zeros([2]), { k: 1 }).eigenvalues; // [3.618…] = (5 + √5) / 2
 * ```
 */
export function lanczos<T>(
  f: (params: AsTensors<T>) => Tensor | number,
  params: T,
  options: LanczosOptions = {},
): LanczosResult<AsTensors<T>> {
  const { objective, x0 } = flatObjective("lanczos", f as ScalarFn, params);
  const r = lanczosFlat("lanczos", objective, x0, options);
  return {
    eigenvalues: r.values,
    eigenvectors: r.vectors.map((v) => objective.toTree(v) as AsTensors<T>),
    residuals: r.residuals,
    iterations: r.iterations,
  };
}
