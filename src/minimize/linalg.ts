// Small dense linear algebra on row-major Float64Arrays for the optimizers: vector helpers, and Cholesky
// (plain and shifted), LU solves and the symmetric eigendecomposition as thin wrappers over nb.linalg.
import { ValueError } from "../core/errors.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { choSolve, eigh, cholesky as factorCholesky, solve } from "../linalg/index.js";

/** A row-major n×n (or length-n) Float64Array as a float64 tensor, without a copy. */
const f64 = (data: Float64Array, shape: number[]): Tensor =>
  new ConcreteTensor(data, { shape, dtype: "float64", weak: false });

/** A tensor's values as a Float64Array. */
const valuesOf = (t: Tensor): Float64Array => {
  const c = t.concrete();
  return c.data instanceof Float64Array ? c.data : Float64Array.from(c.data);
};

/** Euclidean inner product. */
export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Euclidean norm, scaled so that huge or tiny entries do not overflow or underflow. */
export function norm(a: Float64Array): number {
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale = Math.max(scale, Math.abs(a[i]!));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! / scale) ** 2;
  return scale * Math.sqrt(s);
}

/** a + alpha·b as a new array. */
export function axpy(a: Float64Array, alpha: number, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + alpha * b[i]!;
  return out;
}

/** alpha·a as a new array. */
export function scale(a: Float64Array, alpha: number): Float64Array {
  return a.map((v) => v * alpha);
}

/** A·x for a row-major n×n matrix. */
export function matVec(A: Float64Array, x: Float64Array): Float64Array {
  const n = x.length;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += A[i * n + j]! * x[j]!;
    y[i] = s;
  }
  return y;
}

/** (A + Aᵀ)/2: removes the rounding asymmetry of a Hessian computed by forward-over-reverse. */
export function symmetrize(A: Float64Array, n: number): Float64Array {
  const S = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) S[i * n + j] = 0.5 * (A[i * n + j]! + A[j * n + i]!);
  return S;
}

/**
 * The lower Cholesky factor L (A = LLᵀ) of A + shift·I, or null when that matrix is not positive definite
 * (or has non-finite entries). Reads only the lower triangle of A. nb.linalg.cholesky refuses such a matrix
 * with a ValueError (the values exist here: the optimizers run eagerly), which is the "null" case; a factor
 * with a NaN or non-positive diagonal (what the primitive gives where it cannot check) is null too.
 */
export function cholesky(A: Float64Array, n: number, shift = 0): Float64Array | null {
  let M = A;
  if (shift !== 0) {
    M = A.slice();
    for (let i = 0; i < n; i++) M[i * n + i]! += shift;
  }
  let L: Float64Array;
  try {
    L = valuesOf(factorCholesky(f64(M, [n, n])));
  } catch (e) {
    if (e instanceof ValueError) return null;
    throw e;
  }
  // Where the check cannot run (values not readable when the factor is made) a failed factor is NaN.
  for (let i = 0; i < n; i++) if (!(L[i * n + i]! > 0) || !Number.isFinite(L[i * n + i]!)) return null;
  return L;
}

/** Solves LLᵀx = b given the Cholesky factor L (nb.linalg.choSolve: two triangular solves). */
export function choleskySolve(L: Float64Array, b: Float64Array): Float64Array {
  const n = b.length;
  return valuesOf(choSolve(f64(L, [n, n]), f64(b, [n])));
}

/**
 * Cholesky with an added multiple of the identity (Nocedal & Wright, Algorithm 3.3): the factor of
 * A + τI for the smallest τ in a doubling sequence that makes it positive definite. τ = 0 when A already is.
 */
export function shiftedCholesky(A: Float64Array, n: number): { L: Float64Array; shift: number } {
  let minDiag = Number.POSITIVE_INFINITY;
  let size = 0;
  for (let i = 0; i < n; i++) {
    minDiag = Math.min(minDiag, A[i * n + i]!);
    for (let j = 0; j < n; j++) size = Math.max(size, Math.abs(A[i * n + j]!));
  }
  // β scales with the matrix so the shift is meaningful for tiny and huge curvatures alike.
  const beta = 1e-3 * Math.max(size, 1e-8);
  let shift = minDiag > 0 ? 0 : beta - minDiag;
  for (let tries = 0; tries < 200; tries++) {
    const L = cholesky(A, n, shift);
    if (L) return { L, shift };
    shift = Math.max(2 * shift, beta);
  }
  throw new Error("shiftedCholesky: the matrix has non-finite entries");
}

/** Solves Ax = b by LU with partial pivoting (nb.linalg.solve); null when A is singular to working precision. */
export function luSolve(A: Float64Array, b: Float64Array): Float64Array | null {
  const n = b.length;
  try {
    return valuesOf(solve(f64(A, [n, n]), f64(b, [n])));
  } catch (e) {
    if (e instanceof ValueError) return null;
    throw e;
  }
}

/** Eigenvalues in ascending order and the matching unit eigenvectors (`vectors[k]` is the k-th). */
export interface SymmetricEigen {
  values: Float64Array;
  vectors: Float64Array[];
}

/** Eigendecomposition of a symmetric n×n matrix (symmetrized first) by nb.linalg.eigh. */
export function symmetricEigen(A: Float64Array, n: number): SymmetricEigen {
  const { eigenvalues, eigenvectors } = eigh(f64(symmetrize(A, n), [n, n]));
  const values = valuesOf(eigenvalues);
  const v = valuesOf(eigenvectors);
  const vectors = Array.from({ length: n }, (_, k) =>
    Float64Array.from({ length: n }, (_, i) => v[i * n + k]!),
  );
  return { values: Float64Array.from(values), vectors };
}
