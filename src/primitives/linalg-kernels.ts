// The float64 kernels of the linear-algebra primitives (primitives/linalg.ts): plain loops over one matrix
// of a batch at a time, accumulating in float64 whatever the storage dtype. They are the specification the
// reference backend runs (and the fast backend until blocked kernels replace them). Matrices are row-major;
// a batch of them is contiguous, matrix after matrix.
import { allocate, type DType, type TypedArray } from "../core/dtype.js";
import { range, type Shape, sizeOf } from "../core/shape.js";

/** The number of matrices of a batch of shape [..., m, n]. */
export const batchCount = (shape: Shape): number => sizeOf(shape.slice(0, -2));

/** `work` (float64) stored as `dtype`. */
function stored(work: Float64Array, dtype: DType): TypedArray {
  if (dtype === "float64") return work;
  const out = allocate(dtype, work.length);
  out.set(work);
  return out;
}

// ---- Cholesky --------------------------------------------------------------------------------------------

/**
 * The lower Cholesky factor of the n×n matrix at `a[off..]`, reading only its lower triangle, written to
 * `l[off..]` (zeros above the diagonal). Returns 0, or the order k of the first leading minor that is not
 * positive (then the whole matrix is left NaN, as JAX's kernel does).
 */
export function choleskyInto(a: ArrayLike<number>, l: Float64Array, off: number, n: number): number {
  for (let j = 0; j < n; j++) {
    const rj = off + j * n;
    let d = a[rj + j]!;
    for (let k = 0; k < j; k++) d -= l[rj + k]! * l[rj + k]!;
    if (!(d > 0)) {
      l.fill(Number.NaN, off, off + n * n);
      return j + 1;
    }
    const ljj = Math.sqrt(d);
    l[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = off + i * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= l[ri + k]! * l[rj + k]!;
      l[ri + j] = s / ljj;
    }
  }
  return 0;
}

/** Cholesky factors of a batch [..., n, n]; a member that is not positive definite comes out NaN. */
export function choleskyData(a: ArrayLike<number>, shape: Shape, dtype: DType): TypedArray {
  const n = shape[shape.length - 1]!;
  const work = new Float64Array(a.length);
  for (let b = 0, nb = batchCount(shape); b < nb; b++) choleskyInto(a, work, b * n * n, n);
  return stored(work, dtype);
}

// ---- triangular solve ------------------------------------------------------------------------------------

export interface TriangularSolveParams {
  /** Solve op(a) x = b (true) or x op(a) = b (false). */
  leftSide: boolean;
  /** Read the lower (true) or the upper triangle of a. */
  lower: boolean;
  /** op(a) = aᵀ (true) or a. */
  transposeA: boolean;
  /** Take the diagonal of a as ones (it is not read). */
  unitDiagonal: boolean;
}

/**
 * x with op(a) x = b (leftSide) or x op(a) = b, for a batch: a [..., n, n], b [..., n, k] (left) or
 * [..., k, n] (right), the same leading dims. Only the triangle of a that `lower` names is read.
 */
export function triangularSolveData(
  a: ArrayLike<number>,
  aShape: Shape,
  b: ArrayLike<number>,
  bShape: Shape,
  p: TriangularSolveParams,
  dtype: DType,
): TypedArray {
  const n = aShape[aShape.length - 1]!;
  const r = bShape.length;
  // The right-hand sides: columns of b (left side) or rows of b (right side), read with strides.
  const k = p.leftSide ? bShape[r - 1]! : bShape[r - 2]!;
  // Solving x op(a) = b is solving op(a)ᵀ xᵀ = bᵀ: the matrix M of the system is a or aᵀ.
  const t = p.transposeA === p.leftSide;
  const mLower = t ? !p.lower : p.lower;
  // M[i][j] = t ? a[j][i] : a[i][j], copied row-major per batch member; mLower says which triangle is set.
  const M = new Float64Array(n * n);
  const x = Float64Array.from(b);
  for (let bi = 0, nb = batchCount(aShape); bi < nb; bi++) {
    const ao = bi * n * n;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) M[i * n + j] = t ? a[ao + j * n + i]! : a[ao + i * n + j]!;
    const bo = bi * n * k;
    const order = mLower ? range(n) : range(n).reverse();
    if (p.leftSide)
      // Every right-hand side at once, row by row of x (n×k): row_i = (b_i − Σ_j M_ij row_j) / M_ii.
      for (const i of order) {
        const ri = bo + i * k;
        for (const j of order) {
          if (j === i) break;
          const mij = M[i * n + j]!;
          if (mij === 0) continue;
          const rj = bo + j * k;
          for (let c = 0; c < k; c++) x[ri + c]! -= mij * x[rj + c]!;
        }
        if (!p.unitDiagonal) {
          const d = M[i * n + i]!;
          for (let c = 0; c < k; c++) x[ri + c]! /= d;
        }
      }
    // One system per row of x (k×n): x_i = (b_i − Σ_j M_ij x_j) / M_ii, a dot product along contiguous rows.
    else
      for (let c = 0; c < k; c++) {
        const r = bo + c * n;
        for (const i of order) {
          let s = x[r + i]!;
          const mi = i * n;
          if (mLower) for (let j = 0; j < i; j++) s -= M[mi + j]! * x[r + j]!;
          else for (let j = i + 1; j < n; j++) s -= M[mi + j]! * x[r + j]!;
          x[r + i] = p.unitDiagonal ? s : s / M[mi + i]!;
        }
      }
  }
  return stored(x, dtype);
}

// ---- LU with partial pivoting ------------------------------------------------------------------------------

/**
 * LU factorization with partial pivoting (LAPACK's getrf, unblocked) of a batch [..., m, n]: the factors in
 * one array (unit L below the diagonal, U on and above), the row swaps (row i was swapped with row
 * pivots[i], 0-based, k = min(m, n) of them) and the permutation they make (a[perm] = L U).
 */
export function luData(
  a: ArrayLike<number>,
  shape: Shape,
  dtype: DType,
): [TypedArray, Int32Array, Int32Array] {
  const m = shape[shape.length - 2]!;
  const n = shape[shape.length - 1]!;
  const k = Math.min(m, n);
  const nb = batchCount(shape);
  const w = Float64Array.from(a);
  const pivots = new Int32Array(nb * k);
  const perm = new Int32Array(nb * m);
  for (let b = 0; b < nb; b++) {
    const o = b * m * n;
    for (let j = 0; j < k; j++) {
      let p = j;
      let big = Math.abs(w[o + j * n + j]!);
      for (let i = j + 1; i < m; i++) {
        const v = Math.abs(w[o + i * n + j]!);
        if (v > big) {
          big = v;
          p = i;
        }
      }
      pivots[b * k + j] = p;
      if (p !== j)
        for (let c = 0; c < n; c++) {
          const t = w[o + j * n + c]!;
          w[o + j * n + c] = w[o + p * n + c]!;
          w[o + p * n + c] = t;
        }
      const d = w[o + j * n + j]!;
      // A zero pivot leaves a zero column below it (U is singular, as getrf reports with info > 0).
      if (d === 0) continue;
      for (let i = j + 1; i < m; i++) {
        const l = (w[o + i * n + j]! /= d);
        if (l !== 0) for (let c = j + 1; c < n; c++) w[o + i * n + c]! -= l * w[o + j * n + c]!;
      }
    }
    for (let i = 0; i < m; i++) perm[b * m + i] = i;
    for (let j = 0; j < k; j++) {
      const p = pivots[b * k + j]!;
      const t = perm[b * m + j]!;
      perm[b * m + j] = perm[b * m + p]!;
      perm[b * m + p] = t;
    }
  }
  return [stored(w, dtype), pivots, perm];
}

// ---- QR (Householder) --------------------------------------------------------------------------------------

/**
 * Householder QR (LAPACK's geqrf then orgqr, unblocked, with LAPACK's reflectors: R's diagonal may be
 * negative) of a batch [..., m, n]: q [..., m, m] and r [..., m, n] when `fullMatrices`, else q [..., m, k]
 * and r [..., k, n], k = min(m, n).
 */
export function qrData(
  a: ArrayLike<number>,
  shape: Shape,
  fullMatrices: boolean,
  dtype: DType,
): [TypedArray, TypedArray] {
  const m = shape[shape.length - 2]!;
  const n = shape[shape.length - 1]!;
  const k = Math.min(m, n);
  const qc = fullMatrices ? m : k;
  const nb = batchCount(shape);
  const q = new Float64Array(nb * m * qc);
  const r = new Float64Array(nb * qc * n);
  const w = new Float64Array(m * n);
  const tau = new Float64Array(k);
  for (let b = 0; b < nb; b++) {
    for (let i = 0; i < m * n; i++) w[i] = a[b * m * n + i]!;
    for (let j = 0; j < k; j++) {
      const alpha = w[j * n + j]!;
      let xnorm = 0;
      for (let i = j + 1; i < m; i++) xnorm = Math.hypot(xnorm, w[i * n + j]!);
      if (xnorm === 0) {
        tau[j] = 0;
        continue;
      }
      const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
      tau[j] = (beta - alpha) / beta;
      const sc = 1 / (alpha - beta);
      for (let i = j + 1; i < m; i++) w[i * n + j]! *= sc;
      w[j * n + j] = beta;
      // H = I − τ v vᵀ (v = [1, w[j+1.., j]]) applied to the columns on the right.
      for (let c = j + 1; c < n; c++) {
        let s = w[j * n + c]!;
        for (let i = j + 1; i < m; i++) s += w[i * n + j]! * w[i * n + c]!;
        s *= tau[j]!;
        w[j * n + c]! -= s;
        for (let i = j + 1; i < m; i++) w[i * n + c]! -= s * w[i * n + j]!;
      }
    }
    const ro = b * qc * n;
    for (let i = 0; i < Math.min(qc, m); i++) for (let c = i; c < n; c++) r[ro + i * n + c] = w[i * n + c]!;
    // Q = H_0 ⋯ H_{k−1} applied to the first qc columns of the identity, last reflector first.
    const qo = b * m * qc;
    for (let i = 0; i < Math.min(m, qc); i++) q[qo + i * qc + i] = 1;
    for (let j = k - 1; j >= 0; j--) {
      const t = tau[j]!;
      if (t === 0) continue;
      for (let c = 0; c < qc; c++) {
        let s = q[qo + j * qc + c]!;
        for (let i = j + 1; i < m; i++) s += w[i * n + j]! * q[qo + i * qc + c]!;
        s *= t;
        q[qo + j * qc + c]! -= s;
        for (let i = j + 1; i < m; i++) q[qo + i * qc + c]! -= s * w[i * n + j]!;
      }
    }
  }
  return [stored(q, dtype), stored(r, dtype)];
}

// ---- symmetric eigendecomposition (Householder tridiagonalization, implicit QL) ------------------------------

const EPS = 2 ** -52;
const MAX_SWEEPS = 80;

/**
 * Householder reduction of the symmetric n×n matrix in V to tridiagonal form: diagonal d, subdiagonal
 * e[1..] (EISPACK's tred2, as in JAMA). It runs on the transposed storage (the same matrix, being
 * symmetric), so its inner loops walk contiguous rows, and leaves the transposed transformation in V.
 */
function tridiagonalize(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[j * n + n - 1]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[j * n + i - 1]!;
        V[j * n + i] = 0;
        V[i * n + j] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k]! /= scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[i * n + j] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[j * n + k]! * d[k]!;
          e[k]! += V[j * n + k]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j]! /= h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j]! -= hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[j * n + k]! -= f * e[k]! + g * d[k]!;
        d[j] = V[j * n + i - 1]!;
        V[j * n + i] = 0;
      }
    }
    d[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    V[i * n + n - 1] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[(i + 1) * n + k]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[(i + 1) * n + k]! * V[j * n + k]!;
        for (let k = 0; k <= i; k++) V[j * n + k]! -= g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[(i + 1) * n + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[j * n + n - 1]!;
    V[j * n + n - 1] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/**
 * Eigenvalues d and vectors of the symmetric tridiagonal matrix (d, e) by implicit QL with Wilkinson-like
 * shifts (EISPACK's tql2, as in JAMA), rotating the rows of Vt (the transposed vectors, so the rotations
 * run along contiguous rows).
 */
function tridiagonalQL(Vt: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && !(Math.abs(e[m]!) <= EPS * tst1)) m++;
    if (m > l) {
      for (let iter = 0; iter < 60; iter++) {
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          const ri = i * n;
          const rj = (i + 1) * n;
          for (let k = 0; k < n; k++) {
            const x = Vt[rj + k]!;
            const y = Vt[ri + k]!;
            Vt[rj + k] = s * y + c * x;
            Vt[ri + k] = c * y - s * x;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(Math.abs(e[l]!) > EPS * tst1)) break;
      }
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors (columns) of the symmetric matrices a batch
 * [..., n, n] holds in its lower (or upper) triangle: Householder reduction to tridiagonal form, then
 * implicit QL (LAPACK's steqr family), to a backward error of a few n·eps. A member with a non-finite entry
 * in the triangle read comes out NaN. Returns v [..., n, n] and w [..., n].
 */
export function eighData(
  a: ArrayLike<number>,
  shape: Shape,
  lower: boolean,
  dtype: DType,
): [TypedArray, TypedArray] {
  const n = shape[shape.length - 1]!;
  const nb = batchCount(shape);
  const vOut = new Float64Array(nb * n * n);
  const wOut = new Float64Array(nb * n);
  const V = new Float64Array(n * n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let b = 0; b < nb; b++) {
    const o = b * n * n;
    let finite = true;
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const x = lower ? a[o + i * n + j]! : a[o + j * n + i]!;
        if (!Number.isFinite(x)) finite = false;
        V[i * n + j] = x;
        V[j * n + i] = x;
      }
    if (!finite) {
      vOut.fill(Number.NaN, o, o + n * n);
      wOut.fill(Number.NaN, b * n, (b + 1) * n);
      continue;
    }
    if (n === 0) continue;
    tridiagonalize(V, d, e, n);
    tridiagonalQL(V, d, e, n);
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i]! - d[j]!);
    order.forEach((src, dst) => {
      wOut[b * n + dst] = d[src]!;
      for (let i = 0; i < n; i++) vOut[o + i * n + dst] = V[src * n + i]!;
    });
  }
  return [stored(vOut, dtype), stored(wOut, dtype)];
}

// ---- singular value decomposition (one-sided Jacobi) -------------------------------------------------------

/**
 * Columns c0.. of the M×C matrix U (row-major) whose flag is false replaced by unit vectors orthogonal to
 * every other column (Gram–Schmidt on the standard basis, twice), so U's columns are orthonormal.
 */
function completeBasis(U: Float64Array, M: number, C: number, ok: boolean[]): void {
  const v = new Float64Array(M);
  let cand = 0;
  for (let j = 0; j < C; j++) {
    if (ok[j]) continue;
    for (; cand < M; cand++) {
      v.fill(0);
      v[cand] = 1;
      for (let pass = 0; pass < 2; pass++)
        for (let c = 0; c < C; c++) {
          if (!ok[c]) continue;
          let d = 0;
          for (let i = 0; i < M; i++) d += U[i * C + c]! * v[i]!;
          for (let i = 0; i < M; i++) v[i]! -= d * U[i * C + c]!;
        }
      let nrm = 0;
      for (let i = 0; i < M; i++) nrm = Math.hypot(nrm, v[i]!);
      if (nrm > 0.5) {
        for (let i = 0; i < M; i++) U[i * C + j] = v[i]! / nrm;
        ok[j] = true;
        cand++;
        break;
      }
    }
  }
}

/**
 * The SVD a = u diag(s) vh of a batch [..., m, n] by one-sided Jacobi (Hestenes) rotations on the columns
 * of a (of aᵀ when m < n), which gives singular values to high relative accuracy. s descending [..., k];
 * u [..., m, m or k] and vh [..., n or k, n] (k = min(m, n)), `fullMatrices` choosing the first sizes; a
 * zero singular value's vectors (and the columns beyond k) complete the bases orthonormally.
 */
export function svdData(
  a: ArrayLike<number>,
  shape: Shape,
  fullMatrices: boolean,
  computeUv: boolean,
  dtype: DType,
): TypedArray[] {
  const m = shape[shape.length - 2]!;
  const n = shape[shape.length - 1]!;
  const k = Math.min(m, n);
  const nb = batchCount(shape);
  const flip = m < n;
  const M = flip ? n : m;
  const N = k;
  const uc = fullMatrices ? m : k;
  const vr = fullMatrices ? n : k;
  const sOut = new Float64Array(nb * k);
  const uOut = new Float64Array(computeUv ? nb * m * uc : 0);
  const vOut = new Float64Array(computeUv ? nb * vr * n : 0);
  const W = new Float64Array(M * N);
  const V = new Float64Array(N * N);
  for (let b = 0; b < nb; b++) {
    const o = b * m * n;
    // W = a (M×N), or aᵀ when a is wide, stored by columns (as V) so the rotations run along contiguous memory.
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) W[flip ? i * M + j : j * M + i] = a[o + i * n + j]!;
    V.fill(0);
    for (let i = 0; i < N; i++) V[i * N + i] = 1;
    // A column whose squared norm is below eps²‖a‖² is rounding noise: rotating it against the others would
    // only stir the noise, so such pairs are left (its singular value is zero to working precision).
    let fro2 = 0;
    for (let i = 0; i < M * N; i++) fro2 += W[i]! * W[i]!;
    const tiny = EPS * EPS * fro2;
    for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      let rotated = false;
      for (let p = 0; p < N - 1; p++)
        for (let q = p + 1; q < N; q++) {
          let alpha = 0;
          let beta = 0;
          let gamma = 0;
          for (let i = 0; i < M; i++) {
            const x = W[p * M + i]!;
            const y = W[q * M + i]!;
            alpha += x * x;
            beta += y * y;
            gamma += x * y;
          }
          if (
            gamma === 0 ||
            alpha <= tiny ||
            beta <= tiny ||
            !(Math.abs(gamma) > EPS * Math.sqrt(alpha * beta))
          )
            continue;
          rotated = true;
          const zeta = (beta - alpha) / (2 * gamma);
          const t =
            Math.abs(zeta) > 1e150
              ? 1 / (2 * zeta)
              : (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
          const c = 1 / Math.sqrt(1 + t * t);
          const s = c * t;
          for (let i = 0; i < M; i++) {
            const x = W[p * M + i]!;
            const y = W[q * M + i]!;
            W[p * M + i] = c * x - s * y;
            W[q * M + i] = s * x + c * y;
          }
          for (let i = 0; i < N; i++) {
            const x = V[p * N + i]!;
            const y = V[q * N + i]!;
            V[p * N + i] = c * x - s * y;
            V[q * N + i] = s * x + c * y;
          }
        }
      if (!rotated) break;
    }
    const norms = Array.from({ length: N }, (_, j) => {
      let s = 0;
      for (let i = 0; i < M; i++) s = Math.hypot(s, W[j * M + i]!);
      return s;
    });
    const order = Array.from({ length: N }, (_, j) => j).sort((i, j) => norms[j]! - norms[i]!);
    order.forEach((src, dst) => {
      sOut[b * k + dst] = norms[src]!;
    });
    if (!computeUv) continue;
    // Left vectors of W (M × cols), right vectors of W (N × N), in the sorted order.
    const cols = flip ? vr : uc;
    const left = new Float64Array(M * cols);
    const ok = new Array<boolean>(cols).fill(false);
    // Singular values at the rounding level of the largest have noise for vectors: those are completed
    // orthonormally instead (as LAPACK's are, whatever their direction).
    const floor = EPS * Math.max(M, N) * (norms[order[0]!] ?? 0);
    order.forEach((src, dst) => {
      const sv = norms[src]!;
      if (!(sv > floor)) return;
      for (let i = 0; i < M; i++) left[i * cols + dst] = W[src * M + i]! / sv;
      ok[dst] = true;
    });
    completeBasis(left, M, cols, ok);
    const right = new Float64Array(N * N);
    order.forEach((src, dst) => {
      for (let i = 0; i < N; i++) right[i * N + dst] = V[src * N + i]!;
    });
    const uo = b * m * uc;
    const vo = b * vr * n;
    if (!flip) {
      // a = left Σ rightᵀ: u = left (m × uc), vh = rightᵀ (n × n, k = n).
      uOut.set(left, uo);
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) vOut[vo + i * n + j] = right[j * N + i]!;
    } else {
      // aᵀ = left Σ rightᵀ: u = right (m × m, k = m), vh = leftᵀ (vr × n).
      uOut.set(right, uo);
      for (let i = 0; i < vr; i++) for (let j = 0; j < n; j++) vOut[vo + i * n + j] = left[j * vr + i]!;
    }
  }
  const s = stored(sOut, dtype);
  return computeUv ? [s, stored(uOut, dtype), stored(vOut, dtype)] : [s];
}
