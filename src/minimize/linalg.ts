// Small dense linear algebra on row-major Float64Arrays: Cholesky (plain and shifted), LU, Jacobi eigensolver.

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

/** The lower Cholesky factor L (A = LLᵀ) of A + shift·I, or null when that matrix is not positive definite. */
export function cholesky(A: Float64Array, n: number, shift = 0): Float64Array | null {
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j]! + shift;
    for (let k = 0; k < j; k++) d -= L[j * n + k]! ** 2;
    if (!(d > 0) || !Number.isFinite(d)) return null;
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = s / ljj;
    }
  }
  return L;
}

/** Solves LLᵀx = b given the Cholesky factor L. */
export function choleskySolve(L: Float64Array, b: Float64Array): Float64Array {
  const n = b.length;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
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

/** Solves Ax = b by LU with partial pivoting; null when A is singular to working precision. */
export function luSolve(A: Float64Array, b: Float64Array): Float64Array | null {
  const n = b.length;
  const M = A.slice();
  const x = b.slice();
  let size = 0;
  for (const v of M) size = Math.max(size, Math.abs(v));
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * n + c]!) > Math.abs(M[p * n + c]!)) p = r;
    const pivot = M[p * n + c]!;
    if (!(Math.abs(pivot) > 1e-14 * size)) return null;
    if (p !== c) {
      for (let k = 0; k < n; k++) [M[c * n + k], M[p * n + k]] = [M[p * n + k]!, M[c * n + k]!];
      [x[c], x[p]] = [x[p]!, x[c]!];
    }
    for (let r = c + 1; r < n; r++) {
      const m = M[r * n + c]! / pivot;
      if (m === 0) continue;
      for (let k = c; k < n; k++) M[r * n + k]! -= m * M[c * n + k]!;
      x[r]! -= m * x[c]!;
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r]!;
    for (let k = r + 1; k < n; k++) s -= M[r * n + k]! * x[k]!;
    x[r] = s / M[r * n + r]!;
  }
  return x;
}

/** Eigenvalues in ascending order and the matching unit eigenvectors (`vectors[k]` is the k-th). */
export interface SymmetricEigen {
  values: Float64Array;
  vectors: Float64Array[];
}

/**
 * Eigendecomposition of a symmetric n×n matrix by cyclic Jacobi rotations: slow (O(n³) per sweep) but
 * accurate to working precision even for tiny eigenvalues, which is what the cubic subproblem needs.
 */
export function symmetricEigen(A: Float64Array, n: number): SymmetricEigen {
  const a = symmetrize(A, n);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const sq = a[i * n + j]! ** 2;
        total += sq;
        if (i !== j) off += sq;
      }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (apq === 0) continue;
        // The rotation angle that zeroes a[p][q]: t = tan θ, the smaller root of t² + 2τt − 1 = 0.
        const tau = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i]! - a[j * n + j]!);
  const values = Float64Array.from(order, (i) => a[i * n + i]!);
  const vectors = order.map((j) => Float64Array.from({ length: n }, (_, k) => v[k * n + j]!));
  return { values, vectors };
}
