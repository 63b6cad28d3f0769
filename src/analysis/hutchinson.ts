// Hutchinson estimators of the Hessian's diagonal and trace from Rademacher probes and HVPs.
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { type FlatObjective, flatObjective, type ScalarFn } from "../minimize/objective.js";
import type { AsTensors } from "../minimize/types.js";
import { bernoulli, type Key, key as makeKey } from "../ops/random.js";

/**
 * Options of {@link hessianDiagonal} and {@link hessianTrace}.
 * @example
 * ```ts
 * const options: nb.analysis.HutchinsonOptions = { samples: 500, key: nb.random.key(7) };
 * ```
 */
export interface HutchinsonOptions {
  /** Number of probe vectors = HVPs (default 100). */
  samples?: number;
  /** Random key for the probes (default nb.random.key(0)). */
  key?: Key;
}

/**
 * An unbiased estimate with its standard error (the sample standard deviation over √samples).
 * @example
 * ```ts
 * const f = (x: nb.Tensor) => nb.sum(nb.square(x));
 * const t: nb.analysis.HutchinsonResult<number> = nb.analysis.hessianTrace(f, nb.ones([3]));
 * t.estimate; // 6
 * ```
 */
export interface HutchinsonResult<T> {
  estimate: T;
  stdError: T;
  samples: number;
}

/** z ⊙ Hz (diagonal) or zᵀHz (trace) for each Rademacher probe z, as rows. */
function probe(
  where: string,
  f: ScalarFn,
  x: unknown,
  options: HutchinsonOptions,
  reduce: boolean,
): { objective: FlatObjective; rows: Float64Array[] } {
  const samples = options.samples ?? 100;
  if (!Number.isInteger(samples) || samples < 2)
    throw new ValueError(`${where}: samples must be an integer ≥ 2 (for a standard error), got ${samples}`);
  const { objective, x0 } = flatObjective(where, f, x);
  const n = objective.n;
  const signs = bernoulli(options.key ?? makeKey(0), 0.5, [samples, n]).dataSync();
  const rows: Float64Array[] = [];
  for (let s = 0; s < samples; s++) {
    const z = Float64Array.from({ length: n }, (_, i) => (signs[s * n + i] ? 1 : -1));
    const Hz = objective.hvp(x0, z);
    const row = z.map((zi, i) => zi * Hz[i]);
    rows.push(reduce ? Float64Array.of(row.reduce((a, b) => a + b, 0)) : row);
  }
  return { objective, rows };
}

/** Column means and standard errors of the rows. */
function meanAndError(rows: Float64Array[]): [Float64Array, Float64Array] {
  const m = rows.length;
  const n = rows[0].length;
  const mean = new Float64Array(n);
  const err = new Float64Array(n);
  for (const r of rows) for (let i = 0; i < n; i++) mean[i] += r[i] / m;
  for (const r of rows) for (let i = 0; i < n; i++) err[i] += (r[i] - mean[i]) ** 2;
  for (let i = 0; i < n; i++) err[i] = Math.sqrt(err[i] / (m - 1) / m);
  return [mean, err];
}

/**
 * Estimates diag(H) of a scalar function at x as the mean of z ⊙ Hz over random sign vectors z (Bekas,
 * Kokiopoulou & Saad 2007): E[zᵢ(Hz)ᵢ] = Hᵢᵢ since E[zᵢzⱼ] = δᵢⱼ, with variance Σ_{j≠i} Hᵢⱼ² per probe.
 * Each probe costs one HVP; the Hessian is never formed. Results have the structure of x.
 * @example
 * ```ts
 * const f = (x: nb.Tensor) => nb.sum(nb.pow(x, 3));     // diagonal Hessian 6x: estimates are exact
 * nb.analysis.hessianDiagonal(f, nb.array([1, 2]), { samples: 10 }).estimate.toArray(); // [6, 12]
 * ```
 */
export function hessianDiagonal<T>(
  f: (x: AsTensors<T>) => Tensor | number,
  x: T,
  options: HutchinsonOptions = {},
): HutchinsonResult<AsTensors<T>> {
  const { objective, rows } = probe("hessianDiagonal", f as ScalarFn, x, options, false);
  const [mean, err] = meanAndError(rows);
  return {
    estimate: objective.toTree(mean) as AsTensors<T>,
    stdError: objective.toTree(err) as AsTensors<T>,
    samples: rows.length,
  };
}

/**
 * Hutchinson's estimate of tr(H) = E[zᵀHz] over random sign vectors z, the minimum-variance choice among
 * i.i.d. probes (variance 2 Σ_{i≠j} Hᵢⱼ² per probe). Each probe costs one HVP.
 * @example
 * ```ts
 * const f = (x: nb.Tensor) => nb.sum(nb.square(x));   // H = 2I
 * nb.analysis.hessianTrace(f, nb.ones([5])).estimate; // 10
 * ```
 */
export function hessianTrace<T>(
  f: (x: AsTensors<T>) => Tensor | number,
  x: T,
  options: HutchinsonOptions = {},
): HutchinsonResult<number> {
  const { rows } = probe("hessianTrace", f as ScalarFn, x, options, true);
  const [mean, err] = meanAndError(rows);
  return { estimate: mean[0], stdError: err[0], samples: rows.length };
}
