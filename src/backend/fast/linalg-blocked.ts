// Blocked Cholesky, triangular solve and LU for the fast backend when the native addon is not loaded
// (browsers, NABLA_NATIVE=0): LAPACK's algorithms, whose large updates are matrix products run by
// dot_general's kernels (the WebAssembly SIMD GEMM, on two threads when large). Cholesky is right-looking
// (dpotrf: the diagonal block by plain loops, the panel by a triangular solve, the trailing update
// A22 −= L21·L21ᵀ as products over the lower triangle); triangular solves are recursive (halves solved in
// turn, the coupling block applied by one product), down to plain substitution for small orders or few
// right-hand sides; LU is dgetrf (a recursive dgetrf2 panel with partial pivoting, its row exchanges applied
// across the row, U12 by a unit lower triangular solve, the trailing update by one product). They compute in
// the storage dtype (float32 stays float32, as LAPACK's s-routines and the native kernels do) and follow the
// contracts of ../native/linalg.ts: in place on row-major data, batched, matrix after matrix.
//
// - potrf: the lower triangle becomes L (the strictly upper triangle is neither read nor written); status per
//   matrix 0, or the 1-based order of the first leading minor that is not positive definite.
// - trsm: op(A)·X = B (leftSide, b [batch, n, k]) or X·op(A) = B (b [batch, k, n]) in place in b, reading
//   only the triangle of A that `lower` names (and not its diagonal when unitDiagonal).
// - getrf: P·A = L·U with 0-based row exchanges, the pivot the first entry of largest magnitude in its
//   column; a zero pivot leaves its column of L zero and the factorization goes on.
import type { DType } from "../../core/dtype.js";
import type { FloatArray, TrsmOptions } from "../native/linalg.js";
import { dotGeneralData } from "./matmul.js";

/**
 * Columns per block of Cholesky and LU (the inner dimension of their trailing updates) for matrices of order
 * n: 128 beat 64 by about 10% on LU at n = 1024 and tied at 512; below, 64.
 */
export const blockFor = (n: number): number => (n >= 512 ? 128 : 64);

const dtypeOf = (a: FloatArray): DType => (a instanceof Float64Array ? "float64" : "float32");

const NT = { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] };
const TN = { lhsContract: [0], rhsContract: [0], lhsBatch: [], rhsBatch: [] };
const NTr = { lhsContract: [1], rhsContract: [1], lhsBatch: [], rhsBatch: [] };

/**
 * op(a)·op(b) as a fresh [M, N] array of a's dtype, by dot_general's kernels: a is [M, K] (or [K, M] when
 * tA), b is [K, N] (or [N, K] when tB); the kernels read either layout in place.
 */
function gemm(a: FloatArray, tA: boolean, b: FloatArray, tB: boolean, M: number, K: number, N: number) {
  const dtype = dtypeOf(a);
  if (tA && tB) throw new Error("gemm: at most one operand transposed");
  // Small products run on dot_general's JavaScript kernel, which wants plain layouts (and would copy a
  // transposed operand through a generated kernel): transpose here.
  if (M * K * N < SMALL_WORK) {
    if (tA) return gemm(transposed(a, K, M), false, b, false, M, K, N);
    if (tB) return gemm(a, false, transposed(b, N, K), false, M, K, N);
  }
  const params = tA ? TN : tB ? NTr : NT;
  const c = dotGeneralData(a, tA ? [K, M] : [M, K], b, tB ? [N, K] : [K, N], params, {
    shape: [M, N],
    dtype,
    weak: false,
  });
  return c as FloatArray;
}

/** Products below this many multiply-adds run on dot_general's JavaScript kernel (matmul.ts's WASM_MIN_WORK). */
const SMALL_WORK = 24 * 24 * 24;

/** The [cols, rows] transpose of the row-major [rows, cols] array x. */
function transposed(x: FloatArray, rows: number, cols: number): FloatArray {
  const out = alloc(x, rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]!;
  return out;
}

/** A zeroed array of `w`'s type. */
const alloc = (w: FloatArray, len: number): FloatArray =>
  w instanceof Float64Array ? new Float64Array(len) : new Float32Array(len);

/** A copy of rows r0 … r0+rows−1, columns c0 … c0+cols−1 of the row-major matrix at w[o…] (row length ld). */
function block(w: FloatArray, o: number, ld: number, r0: number, rows: number, c0: number, cols: number) {
  const out = alloc(w, rows * cols);
  for (let i = 0; i < rows; i++) {
    const s = o + (r0 + i) * ld + c0;
    out.set(w.subarray(s, s + cols), i * cols);
  }
  return out;
}

// ---- Cholesky --------------------------------------------------------------------------------------------

/** Cholesky of `batch` [n, n] matrices in place in `a` (lower triangle); per-matrix status as potrf's. */
export function blockedPotrf(a: FloatArray, batch: number, n: number, nb = blockFor(n)): Int32Array {
  const info = new Int32Array(batch);
  for (let b = 0; b < batch; b++) info[b] = potrf1(a, b * n * n, n, nb);
  return info;
}

function potrf1(w: FloatArray, o: number, n: number, nb: number): number {
  for (let k = 0; k < n; k += nb) {
    const kb = Math.min(nb, n - k);
    const e = k + kb;
    // The diagonal block (the updates of earlier blocks already applied), column by column.
    for (let j = k; j < e; j++) {
      const rj = o + j * n;
      let d = w[rj + j]!;
      for (let p = k; p < j; p++) d -= w[rj + p]! * w[rj + p]!;
      if (!(d > 0)) return j + 1;
      const ljj = Math.sqrt(d);
      w[rj + j] = ljj;
      for (let i = j + 1; i < e; i++) {
        const ri = o + i * n;
        let s = w[ri + j]!;
        for (let p = k; p < j; p++) s -= w[ri + p]! * w[rj + p]!;
        w[ri + j] = s / ljj;
      }
    }
    if (e === n) break;
    // The panel below it: L21 = A21·L11⁻ᵀ, that is L11·L21ᵀ = A21ᵀ, solved on a transposed copy.
    const m = n - e;
    const l21t = alloc(w, kb * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < kb; j++) l21t[j * m + i] = w[o + (e + i) * n + k + j]!;
    trsm1(w, o + k * n + k, n, kb, false, true, false, l21t, 0, m);
    for (let i = 0; i < m; i++) for (let j = 0; j < kb; j++) w[o + (e + i) * n + k + j] = l21t[j * m + i]!;
    // The trailing matrix: A22 −= L21·L21ᵀ, its lower triangle only, in row strips so that each product
    // stops at the diagonal.
    const l21 = block(w, o, n, e, m, k, kb);
    const strips = Math.max(1, Math.min(4, Math.floor(m / 128)));
    for (let s = 0; s < strips; s++) {
      const r0 = Math.floor((m * s) / strips);
      const r1 = Math.floor((m * (s + 1)) / strips);
      const h = r1 - r0;
      // Rows r0 … r1−1 of L21 times the rows 0 … r1−1 of L21, transposed: [h, r1].
      const c = gemm(l21.subarray(r0 * kb, r1 * kb), false, l21.subarray(0, r1 * kb), true, h, kb, r1);
      for (let i = 0; i < h; i++) {
        const ri = o + (e + r0 + i) * n + e;
        const ci = i * r1;
        for (let j = 0, je = r0 + i; j <= je; j++) w[ri + j]! -= c[ci + j]!;
      }
    }
  }
  return 0;
}

// ---- triangular solve ------------------------------------------------------------------------------------

/**
 * Triangular solves in place in `b` ([batch, n, k] left side, [batch, k, n] right side), as trsm's
 * contract. A right solve X·op(A) = B is the left solve op(A)ᵀ·Xᵀ = Bᵀ on a transposed copy of b.
 */
export function blockedTrsm(
  a: FloatArray,
  b: FloatArray,
  batch: number,
  n: number,
  k: number,
  opts: TrsmOptions,
): void {
  // The system solved is T·Y = C with T = op(A) (left) or op(A)ᵀ (right): T is Aᵀ when `tT`.
  const tT = opts.leftSide ? opts.transposeA : !opts.transposeA;
  const lowerT = tT ? !opts.lower : opts.lower;
  const y = alloc(b, n * k);
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * n * n;
    const bo = bi * n * k;
    if (opts.leftSide) y.set(b.subarray(bo, bo + n * k));
    else for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) y[i * k + c] = b[bo + c * n + i]!;
    trsm1(a, ao, n, n, tT, lowerT, opts.unitDiagonal, y, 0, k);
    if (opts.leftSide) b.set(y, bo);
    else for (let c = 0; c < k; c++) for (let i = 0; i < n; i++) b[bo + c * n + i] = y[i * k + c]!;
  }
}

/** Systems of at most this order, or with fewer right-hand sides than SMALL_K, are solved by substitution. */
const TRSM_BASE = 16;
const SMALL_K = 4;

/**
 * T·Y = C in place in y (n rows of length k from y[yo…]), T the n×n triangle at a[ao…] (row length lda),
 * read transposed when tT, lower or upper (of T), unit diagonal or not. Recursive: the first half solved,
 * its contribution to the other half subtracted with one matrix product, the other half solved.
 */
function trsm1(
  a: FloatArray,
  ao: number,
  lda: number,
  n: number,
  tT: boolean,
  lower: boolean,
  unit: boolean,
  y: FloatArray,
  yo: number,
  k: number,
): void {
  if (n <= TRSM_BASE || k < SMALL_K) {
    substitute(a, ao, lda, n, tT, lower, unit, y, yo, k);
    return;
  }
  const n1 = n >> 1;
  const n2 = n - n1;
  // Lower: rows 0…n1−1 first, then the n2 below them; upper: the other way round.
  const [s0, sl, d0, dl] = lower ? [0, n1, n1, n2] : [n1, n2, 0, n1];
  trsm1(a, ao + s0 * lda + s0, lda, sl, tT, lower, unit, y, yo + s0 * k, k);
  // T[d0…, s0…] (dl × sl): those rows of A, or (tT) the rows s0… of A over columns d0…, read transposed.
  const t = tT ? block(a, ao, lda, s0, sl, d0, dl) : block(a, ao, lda, d0, dl, s0, sl);
  const c = gemm(t, tT, y.subarray(yo + s0 * k, yo + (s0 + sl) * k), false, dl, sl, k);
  const off = yo + d0 * k;
  for (let q = 0, len = dl * k; q < len; q++) y[off + q]! -= c[q]!;
  trsm1(a, ao + d0 * lda + d0, lda, dl, tT, lower, unit, y, yo + d0 * k, k);
}

/** trsm1 by substitution: each row of Y from the rows solved before it. */
function substitute(
  a: FloatArray,
  ao: number,
  lda: number,
  n: number,
  tT: boolean,
  lower: boolean,
  unit: boolean,
  y: FloatArray,
  yo: number,
  k: number,
): void {
  for (let s = 0; s < n; s++) {
    const i = lower ? s : n - 1 - s;
    const ri = yo + i * k;
    const j0 = lower ? 0 : i + 1;
    const j1 = lower ? i : n;
    for (let j = j0; j < j1; j++) {
      const tij = tT ? a[ao + j * lda + i]! : a[ao + i * lda + j]!;
      if (tij === 0) continue;
      const rj = yo + j * k;
      for (let c = 0; c < k; c++) y[ri + c]! -= tij * y[rj + c]!;
    }
    if (!unit) {
      const d = a[ao + i * lda + i]!;
      for (let c = 0; c < k; c++) y[ri + c]! /= d;
    }
  }
}

// ---- LU with partial pivoting ------------------------------------------------------------------------------

/**
 * LU with partial pivoting of `batch` [m, n] matrices in place in `a`, 0-based row exchanges into `pivots`
 * (batch·min(m, n)), as getrf's contract (dgetrf: panel factorization with pivoting, the exchanges applied
 * across the row, U12 by a unit lower triangular solve, the trailing matrix updated by a product).
 */
export function blockedGetrf(
  a: FloatArray,
  batch: number,
  m: number,
  n: number,
  pivots: Int32Array,
  nb = blockFor(Math.min(m, n)),
): void {
  const r = Math.min(m, n);
  for (let b = 0; b < batch; b++) getrf1(a, b * m * n, m, n, pivots, b * r, nb);
}

function swapRows(w: FloatArray, o: number, n: number, i: number, p: number, c0: number, c1: number): void {
  const ri = o + i * n;
  const rp = o + p * n;
  for (let c = c0; c < c1; c++) {
    const t = w[ri + c]!;
    w[ri + c] = w[rp + c]!;
    w[rp + c] = t;
  }
}

function getrf1(
  w: FloatArray,
  o: number,
  m: number,
  n: number,
  piv: Int32Array,
  po: number,
  nb: number,
): void {
  const r = Math.min(m, n);
  for (let j0 = 0; j0 < r; j0 += nb) {
    const j1 = Math.min(r, j0 + nb);
    const kb = j1 - j0;
    // The panel: rows j0 … m−1 of columns j0 … j1−1 (exchanges within its columns; pivots from row j0).
    getrf2(w, o + j0 * n + j0, n, m - j0, kb, piv, po + j0);
    for (let j = j0; j < j1; j++) piv[po + j]! += j0;
    // The panel's exchanges, in order, on the columns left and right of it.
    for (let j = j0; j < j1; j++) {
      const p = piv[po + j]!;
      if (p === j) continue;
      swapRows(w, o, n, j, p, 0, j0);
      swapRows(w, o, n, j, p, j1, n);
    }
    if (j1 === n) continue;
    const nn = n - j1;
    // U12 = L11⁻¹·A12 (L11 unit lower).
    const u12 = block(w, o, n, j0, kb, j1, nn);
    trsm1(w, o + j0 * n + j0, n, kb, false, true, true, u12, 0, nn);
    for (let i = 0; i < kb; i++) w.set(u12.subarray(i * nn, (i + 1) * nn), o + (j0 + i) * n + j1);
    // A22 −= L21·U12.
    const mm = m - j1;
    if (mm === 0) continue;
    const c = gemm(block(w, o, n, j1, mm, j0, kb), false, u12, false, mm, kb, nn);
    for (let i = 0; i < mm; i++) {
      const ri = o + (j1 + i) * n + j1;
      const ci = i * nn;
      for (let q = 0; q < nn; q++) w[ri + q]! -= c[ci + q]!;
    }
  }
}

/** Panels of at most this many columns are factored column by column. */
const GETRF_BASE = 8;

/**
 * LU with partial pivoting of the M×N matrix (M ≥ N) at w[off…] with row length ld, recursively (LAPACK's
 * dgetrf2): the left half factored, its exchanges applied to the right half, A12 = L11⁻¹·A12, A22 −=
 * A21·A12, A22 factored, its exchanges applied to the left half. Exchanges are 0-based from row 0, in
 * piv[po…], and move only the matrix's own columns.
 */
function getrf2(
  w: FloatArray,
  off: number,
  ld: number,
  M: number,
  N: number,
  piv: Int32Array,
  po: number,
): void {
  if (N <= GETRF_BASE) {
    for (let j = 0; j < N; j++) {
      let p = j;
      let big = Math.abs(w[off + j * ld + j]!);
      for (let i = j + 1; i < M; i++) {
        const v = Math.abs(w[off + i * ld + j]!);
        if (v > big) {
          big = v;
          p = i;
        }
      }
      piv[po + j] = p;
      if (p !== j) swapRows(w, off, ld, j, p, 0, N);
      const rj = off + j * ld;
      const d = w[rj + j]!;
      if (d === 0) continue;
      for (let i = j + 1; i < M; i++) {
        const ri = off + i * ld;
        const l = (w[ri + j]! /= d);
        if (l !== 0) for (let c = j + 1; c < N; c++) w[ri + c]! -= l * w[rj + c]!;
      }
    }
    return;
  }
  const n1 = N >> 1;
  const n2 = N - n1;
  getrf2(w, off, ld, M, n1, piv, po);
  for (let j = 0; j < n1; j++) {
    const p = piv[po + j]!;
    if (p !== j) swapRows(w, off, ld, j, p, n1, N);
  }
  const a12 = block(w, off, ld, 0, n1, n1, n2);
  trsm1(w, off, ld, n1, false, true, true, a12, 0, n2);
  for (let i = 0; i < n1; i++) w.set(a12.subarray(i * n2, (i + 1) * n2), off + i * ld + n1);
  const m2 = M - n1;
  const c = gemm(block(w, off, ld, n1, m2, 0, n1), false, a12, false, m2, n1, n2);
  for (let i = 0; i < m2; i++) {
    const ri = off + (n1 + i) * ld + n1;
    const ci = i * n2;
    for (let q = 0; q < n2; q++) w[ri + q]! -= c[ci + q]!;
  }
  getrf2(w, off + n1 * ld + n1, ld, m2, n2, piv, po + n1);
  for (let j = n1; j < N; j++) {
    const p = (piv[po + j]! += n1);
    if (p !== j) swapRows(w, off, ld, j, p, 0, n1);
  }
}
