// Shared pieces of the derivative table: the row type and domain-aware input generators (away from kinks,
// ties, poles and branch cuts), plus small helpers for writing rows.
import * as nb from "nabla";
import type { Rng } from "../../src/numeric/rng.js";
import * as lax from "../../src/primitives/lax.js";

export type Tensor = nb.Tensor;

export interface OpRow {
  name: string;
  fn: (...args: Tensor[]) => Tensor;
  /** Float64 inputs drawn from the op's domain. */
  args: (rng: Rng) => Tensor[];
  /** Highest derivative order checked (default 3). */
  order?: number;
  modes?: ("fwd" | "rev")[];
  /** Whether the vmap tests apply (default true). */
  vmap?: boolean;
  /** checkGrads tolerances (and step, for rows whose finite differences need a larger one). */
  tol?: { atol: number; rtol: number; eps?: number };
  /** Tolerance of the float32 run against the float64 one (default 1e-4 both). */
  f32Tol?: { atol: number; rtol: number };
}

// ---- input generators ------------------------------------------------------------------------------------

type Band = readonly [number, number];
const size = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

export function fromValues(vals: ArrayLike<number>, shape: readonly number[]): Tensor {
  return nb.reshape(nb.array(Float64Array.from(vals)), shape);
}

/** Uniform draws from the union of bands (a band is picked at random, then a point in it). */
export function bands(rng: Rng, shape: readonly number[], bs: readonly Band[]): Tensor {
  return fromValues(
    Array.from({ length: size(shape) }, () => {
      const [lo, hi] = bs[Math.floor(rng.uniform() * bs.length)]!;
      return lo + (hi - lo) * rng.uniform();
    }),
    shape,
  );
}

export const uni = (rng: Rng, shape: readonly number[], lo: number, hi: number) =>
  bands(rng, shape, [[lo, hi]]);
export const normal = (rng: Rng, shape: readonly number[]) =>
  fromValues(
    Array.from({ length: size(shape) }, () => rng.normal()),
    shape,
  );
/** Values with |x| in [0.3, 2]: away from the kink of abs, relu, sign, ... */
export const nonzero = (rng: Rng, shape: readonly number[]) =>
  bands(rng, shape, [
    [-2, -0.3],
    [0.3, 2],
  ]);

/** Pairwise well separated values in (lo, hi), shuffled: no ties for max, min, argmax, sort-like ops. */
export function distinct(rng: Rng, shape: readonly number[], lo = -2, hi = 2): Tensor {
  const n = size(shape);
  const gap = (hi - lo) / n;
  const vals = Array.from({ length: n }, (_, k) => lo + (k + 0.2 + 0.6 * rng.uniform()) * gap);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [vals[i], vals[j]] = [vals[j]!, vals[i]!];
  }
  return fromValues(vals, shape);
}

/** An integer in [−2, 2] plus a fractional part from `frac`: away from the jumps of floor/ceil/round. */
export const offInteger = (rng: Rng, shape: readonly number[], frac: readonly Band[]) =>
  fromValues(
    Array.from({ length: size(shape) }, () => {
      const [lo, hi] = frac[Math.floor(rng.uniform() * frac.length)]!;
      return Math.floor(rng.uniform() * 5) - 2 + lo + (hi - lo) * rng.uniform();
    }),
    shape,
  );

/** Two tensors that interleave but never come within 0.2 of each other (for max/min/comparisons). */
export function separated(rng: Rng, s1: readonly number[], s2: readonly number[]): Tensor[] {
  return [
    bands(rng, s1, [
      [-2, -1.6],
      [-0.8, -0.4],
      [0.4, 0.8],
      [1.6, 2],
    ]),
    bands(rng, s2, [
      [-1.4, -1],
      [-0.2, 0.2],
      [1, 1.4],
    ]),
  ];
}

export const ints = (vals: number[], shape: readonly number[]) =>
  nb.reshape(nb.array(Int32Array.from(vals)), shape);

// ---- helpers for rows -------------------------------------------------------------------------------------

export const c = (like: Tensor, v: number) => lax.scalarLike(like, v);
export const asFloat = (x: Tensor, like: Tensor) => lax.convert(x, like.dtype);

export const unaryRow = (
  name: string,
  f: (x: Tensor) => Tensor,
  gen: (rng: Rng) => Tensor,
  extra: Partial<OpRow> = {},
): OpRow => ({ name, fn: f, args: (rng) => [gen(rng)], ...extra });

export const S = [3, 4];
