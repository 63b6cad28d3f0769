// Contractions of the third-derivative tensor with vectors, T[u, v] and T[u, v, w], without forming T.
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { dot } from "../minimize/linalg.js";
import { flatObjective, type ScalarFn } from "../minimize/objective.js";
import type { AsTensors } from "../minimize/types.js";

/**
 * The third-derivative tensor T = ∂³f of a scalar function at x, contracted with directions:
 * `thirdOrder(f, x, u, v)` is the vector T[u, v] = Σⱼₖ Tᵢⱼₖ uⱼ vₖ (in the structure of x), and
 * `thirdOrder(f, x, u, v, w)` the number T[u, v, w]. `v` defaults to `u`. Computed as a JVP along u of the
 * HVP along v (forward over forward over reverse: one nested pass), so T's n³ entries are never formed.
 * @throws {ValueError} when a direction's structure or shapes differ from x's.
 * @example
 * ```ts
 * const f = (x: nb.Tensor) => nb.sum(nb.pow(x, 3));   // T = diag(6)
 * const x = nb.array([1, 2]);
 * nb.analysis.thirdOrder(f, x, nb.array([1, 1])).toArray();             // T[u, u] = [6, 6]
 * nb.analysis.thirdOrder(f, x, nb.array([1, 0]), undefined, nb.array([1, 0])); // T[e₁, e₁, e₁] = 6
 * ```
 */
export function thirdOrder<T>(f: (x: AsTensors<T>) => Tensor | number, x: T, u: T, v?: T): AsTensors<T>;
export function thirdOrder<T>(
  f: (x: AsTensors<T>) => Tensor | number,
  x: T,
  u: T,
  v: T | undefined,
  w: T,
): number;
export function thirdOrder<T>(
  f: (x: AsTensors<T>) => Tensor | number,
  x: T,
  u: T,
  v?: T,
  w?: T,
): AsTensors<T> | number {
  if (u === undefined) throw new ValueError("thirdOrder: a direction u is required");
  const { objective, x0 } = flatObjective("thirdOrder", f as ScalarFn, x, { jit: false });
  const uf = objective.toFlat(u, "u");
  const vf = v === undefined ? uf : objective.toFlat(v, "v");
  const { Tuv } = objective.hvpAndThird(x0, vf, uf);
  return w === undefined ? (objective.toTree(Tuv) as AsTensors<T>) : dot(Tuv, objective.toFlat(w, "w"));
}
