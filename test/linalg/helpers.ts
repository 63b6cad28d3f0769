// Inputs and measures shared by the nb.linalg tests: seeded random matrices (general, well conditioned,
// symmetric positive definite), the largest relative error of a reconstruction.
import * as nb from "nabla";

export const f64 = { dtype: "float64" } as const;

/** Standard normal entries of `shape`, float64 unless `dtype` says otherwise. */
export function normal(seed: number, shape: number[], dtype: nb.DType = "float64"): nb.Tensor {
  return nb.random.normal(nb.random.key(seed), shape, { dtype: dtype as "float64" });
}

/** Normal entries plus n·I on the trailing square: well conditioned (and nonsingular) with high probability. */
export function wellConditioned(seed: number, shape: number[], dtype: nb.DType = "float64"): nb.Tensor {
  const n = shape[shape.length - 1]!;
  return nb.add(normal(seed, shape, dtype), nb.mul(nb.eye(n, undefined, { dtype: dtype as "float64" }), n));
}

/** x xᵀ + n·I: symmetric positive definite. */
export function spd(seed: number, shape: number[], dtype: nb.DType = "float64"): nb.Tensor {
  const x = normal(seed, shape, dtype);
  const n = shape[shape.length - 1]!;
  return nb.add(
    nb.matmul(x, nb.matrixTranspose(x)),
    nb.mul(nb.eye(n, undefined, { dtype: dtype as "float64" }), n),
  );
}

/** x + xᵀ: symmetric. */
export function symmetric(seed: number, shape: number[], dtype: nb.DType = "float64"): nb.Tensor {
  const x = normal(seed, shape, dtype);
  return nb.add(x, nb.matrixTranspose(x));
}

/** max |a − b| / max(max |b|, tiny): the relative error of a against b in the max norm. */
export function relErr(a: nb.Tensor, b: nb.Tensor | nb.TensorLike): number {
  const x = a.dataSync();
  const y = (b instanceof nb.Tensor ? b : nb.array(b as nb.TensorLike, f64)).dataSync();
  if (x.length !== y.length) throw new Error(`relErr: ${x.length} vs ${y.length} elements`);
  let e = 0;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    e = Math.max(e, Math.abs(x[i]! - y[i]!));
    m = Math.max(m, Math.abs(y[i]!));
  }
  return e / Math.max(m, 1e-300);
}

/** The tensor of row-major values `t` broken into its batch members (the leading axis). */
export function unstack(t: nb.Tensor): nb.Tensor[] {
  return Array.from({ length: t.shape[0]! }, (_, i) =>
    nb.squeeze(
      nb.slice(
        t,
        t.shape.map((_, d) => (d === 0 ? i : 0)),
        t.shape.map((s, d) => (d === 0 ? 1 : s)),
      ),
      0,
    ),
  );
}
