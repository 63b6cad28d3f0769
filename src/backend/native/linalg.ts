// Cholesky, triangular solves and LU through the native addon (native/src/linalg.h): blocked, threaded,
// in place on row-major Float32Array/Float64Array data, batched. Beside them, unblocked TypeScript versions
// of the same three (float64 accumulation), which specify the results and serve the tests.
//
// Conventions (LAPACK's, restated for row-major storage):
// - potrf: the lower triangle of each [n, n] matrix becomes L with L·Lᵀ = A; the strictly upper triangle
//   is neither read nor written. Status per matrix: 0, or the 1-based order of the first leading minor that
//   is not positive definite (the factorization of that matrix stops there).
// - trsm: op(A)·X = B (leftSide; b [batch, n, k]) or X·op(A) = B (b [batch, k, n]), solved in place in b;
//   A lower or upper (the other triangle is not read), op(A) = Aᵀ when transposeA, and ones assumed on the
//   diagonal (not read) when unitDiagonal.
// - getrf: each [m, n] matrix becomes L (unit lower, below the diagonal) and U with P·A = L·U, where row i
//   was exchanged with row pivots[b·r + i] (0-based, r = min(m, n)) at step i, in order. The pivot is the
//   first entry of largest magnitude in its column. Status per matrix: 0, or the 1-based index of the
//   first exactly zero pivot (the factorization goes on).
// - syev: eigenvalues (ascending, w [batch, n]) and orthonormal eigenvectors (the columns of v [batch, n,
//   n]) of the symmetric matrices whose lower (or, with lower false, upper) triangle a holds; a is not
//   written. The same contract and ordering as eighData (src/primitives/linalg-kernels.ts), computed in
//   float64 for both types; a vector's sign may differ from eighData's. A matrix with a non-finite entry in
//   the triangle read comes out NaN.

import { engineEnabled } from "../engines.js";
import { threadCount } from "../threads/pool.js";
import { type NativeAddon, nativeAddon } from "./load.js";

export type FloatArray = Float32Array | Float64Array;

/** Which triangular system trsm solves. */
export interface TrsmOptions {
  /** op(A)·X = B when true, X·op(A) = B when false. */
  leftSide: boolean;
  /** A is lower triangular (else upper). */
  lower: boolean;
  /** op(A) = Aᵀ (else A). */
  transposeA: boolean;
  /** The diagonal of A is taken as ones (and not read). */
  unitDiagonal: boolean;
}

/** The factorizations and solves, in place on row-major data (see the conventions above). */
export interface NativeLinalg {
  /** Cholesky of `batch` [n, n] matrices in `a`: per-matrix status (0, or the failing minor's order). */
  potrf(a: FloatArray, batch: number, n: number): Int32Array;
  /** Triangular solves in place in `b` ([batch, n, k] left side, [batch, k, n] right side). */
  trsm(a: FloatArray, b: FloatArray, batch: number, n: number, k: number, opts: TrsmOptions): void;
  /** LU with partial pivoting of `batch` [m, n] matrices; 0-based pivots into `pivots` (batch·min(m, n)). */
  getrf(a: FloatArray, batch: number, m: number, n: number, pivots: Int32Array): Int32Array;
  /** Symmetric eigendecomposition of `batch` [n, n] matrices in `a` into `w` [batch, n] and `v` [batch, n, n]. */
  syev(a: FloatArray, batch: number, n: number, lower: boolean, w: FloatArray, v: FloatArray): void;
}

/** What the addon exports for these (native/src/addon.cc). */
interface LinalgExports {
  potrf(a: FloatArray, batch: number, n: number, threads: number): Int32Array;
  trsm(
    a: FloatArray,
    b: FloatArray,
    batch: number,
    n: number,
    k: number,
    leftSide: boolean,
    lower: boolean,
    transposeA: boolean,
    unitDiagonal: boolean,
    threads: number,
  ): undefined;
  getrf(a: FloatArray, batch: number, m: number, n: number, pivots: Int32Array, threads: number): Int32Array;
  syev(
    a: FloatArray,
    batch: number,
    n: number,
    lower: boolean,
    w: FloatArray,
    v: FloatArray,
    threads: number,
  ): undefined;
}

const hasLinalg = (addon: NativeAddon): addon is NativeAddon & LinalgExports => {
  const a = addon as NativeAddon & Partial<LinalgExports>;
  return (
    typeof a.potrf === "function" &&
    typeof a.trsm === "function" &&
    typeof a.getrf === "function" &&
    typeof a.syev === "function"
  );
};

const isFloatArray = (a: unknown): a is FloatArray => a instanceof Float32Array || a instanceof Float64Array;

function checkCount(op: string, name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0)
    throw new RangeError(`${op}: ${name} must be a non-negative integer, got ${v}`);
}

function checkLength(op: string, name: string, a: { length: number }, need: number): void {
  if (a.length < need)
    throw new RangeError(`${op}: ${name} has ${a.length} elements, fewer than the ${need} its sizes need`);
}

function checkFloat(op: string, name: string, a: unknown): asserts a is FloatArray {
  if (!isFloatArray(a)) throw new TypeError(`${op}: ${name} must be a Float32Array or Float64Array`);
}

const threads = (): number => (engineEnabled("threads") ? threadCount() : 1);

/** The wrapper made for the addon object last seen (nativeAddon() may be replaced in tests). */
let wrapped: { addon: NativeAddon; linalg: NativeLinalg | null } | undefined;

/** The addon's potrf, trsm, getrf and syev, or null (no addon, NABLA_NATIVE=0, or a build without them). */
export function nativeLinalg(): NativeLinalg | null {
  const addon = nativeAddon();
  if (addon === null) return null;
  if (wrapped?.addon !== addon) wrapped = { addon, linalg: hasLinalg(addon) ? wrap(addon) : null };
  return wrapped.linalg;
}

function wrap(addon: NativeAddon & LinalgExports): NativeLinalg {
  return {
    potrf(a, batch, n) {
      checkFloat("potrf", "a", a);
      checkCount("potrf", "batch", batch);
      checkCount("potrf", "n", n);
      checkLength("potrf", "a", a, batch * n * n);
      return addon.potrf(a, batch, n, threads());
    },
    trsm(a, b, batch, n, k, opts) {
      checkFloat("trsm", "a", a);
      checkFloat("trsm", "b", b);
      if (a.constructor !== b.constructor) throw new TypeError("trsm: a and b must have one type");
      checkCount("trsm", "batch", batch);
      checkCount("trsm", "n", n);
      checkCount("trsm", "k", k);
      checkLength("trsm", "a", a, batch * n * n);
      checkLength("trsm", "b", b, batch * n * k);
      addon.trsm(a, b, batch, n, k, opts.leftSide, opts.lower, opts.transposeA, opts.unitDiagonal, threads());
    },
    getrf(a, batch, m, n, pivots) {
      checkFloat("getrf", "a", a);
      if (!(pivots instanceof Int32Array)) throw new TypeError("getrf: pivots must be an Int32Array");
      checkCount("getrf", "batch", batch);
      checkCount("getrf", "m", m);
      checkCount("getrf", "n", n);
      if (m > 2 ** 31 - 1) throw new RangeError("getrf: too many rows for int32 pivots");
      checkLength("getrf", "a", a, batch * m * n);
      checkLength("getrf", "pivots", pivots, batch * Math.min(m, n));
      return addon.getrf(a, batch, m, n, pivots, threads());
    },
    syev(a, batch, n, lower, w, v) {
      checkFloat("syev", "a", a);
      checkFloat("syev", "w", w);
      checkFloat("syev", "v", v);
      if (a.constructor !== w.constructor || a.constructor !== v.constructor)
        throw new TypeError("syev: a, w and v must have one type");
      checkCount("syev", "batch", batch);
      checkCount("syev", "n", n);
      checkLength("syev", "a", a, batch * n * n);
      checkLength("syev", "w", w, batch * n);
      checkLength("syev", "v", v, batch * n * n);
      addon.syev(a, batch, n, lower, w, v, threads());
    },
  };
}

// ------------------------------------------------------------------ reference (unblocked, float64 sums)

/** Cholesky, row by row: L[i][j] = (A[i][j] − Σp<j L[i][p]·L[j][p]) / L[j][j]. Same contract as potrf. */
export function referencePotrf(data: FloatArray, batch: number, n: number): Int32Array {
  const info = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const a = Float64Array.from(data.subarray(b * n * n, (b + 1) * n * n));
    const o = 0;
    rows: for (let i = 0; i < n; i++) {
      const ri = o + i * n;
      for (let j = 0; j <= i; j++) {
        const rj = o + j * n;
        let s = a[ri + j];
        for (let p = 0; p < j; p++) s -= a[ri + p] * a[rj + p];
        if (j < i) {
          a[ri + j] = s / a[rj + j];
        } else if (s > 0) {
          a[ri + i] = Math.sqrt(s);
        } else {
          a[ri + i] = s;
          info[b] = i + 1;
          break rows;
        }
      }
    }
    for (let i = 0; i < n; i++) data.set(a.subarray(i * n, i * n + i + 1), b * n * n + i * n);
  }
  return info;
}

/** Triangular solves by substitution, one right-hand side at a time. Same contract as trsm. */
export function referenceTrsm(
  a: FloatArray,
  b: FloatArray,
  batch: number,
  n: number,
  k: number,
  opts: TrsmOptions,
): void {
  // M = op(A); a right solve X·M = B is Mᵀ·Xᵀ = Bᵀ.
  const lowerM = opts.lower !== opts.transposeA;
  const lower = opts.leftSide ? lowerM : !lowerM;
  const x = new Float64Array(n);
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * n * n;
    const bo = bi * n * k;
    // Element (i, j) of the matrix solved against: M or Mᵀ, through A's storage.
    const transposed = opts.transposeA !== !opts.leftSide;
    const at = (i: number, j: number): number => (transposed ? a[ao + j * n + i] : a[ao + i * n + j]);
    // Right-hand side c, element i: B[i][c] (left) or B[c][i] (right).
    const idx = (i: number, c: number): number => (opts.leftSide ? bo + i * k + c : bo + c * n + i);
    for (let c = 0; c < k; c++) {
      for (let t = 0; t < n; t++) {
        const i = lower ? t : n - 1 - t;
        let s = b[idx(i, c)];
        if (lower) for (let p = 0; p < i; p++) s -= at(i, p) * x[p];
        else for (let p = i + 1; p < n; p++) s -= at(i, p) * x[p];
        x[i] = opts.unitDiagonal ? s : s / at(i, i);
      }
      for (let i = 0; i < n; i++) b[idx(i, c)] = x[i];
    }
  }
}

/** LU with partial pivoting, right-looking, one column at a time. Same contract as getrf. */
export function referenceGetrf(
  data: FloatArray,
  batch: number,
  m: number,
  n: number,
  pivots: Int32Array,
): Int32Array {
  const r = Math.min(m, n);
  const info = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const a = Float64Array.from(data.subarray(b * m * n, (b + 1) * m * n));
    const o = 0;
    for (let j = 0; j < r; j++) {
      let p = j;
      let best = Math.abs(a[o + j * n + j]);
      for (let i = j + 1; i < m; i++) {
        const v = Math.abs(a[o + i * n + j]);
        if (v > best) {
          best = v;
          p = i;
        }
      }
      pivots[b * r + j] = p;
      if (a[o + p * n + j] !== 0) {
        if (p !== j)
          for (let c = 0; c < n; c++) {
            const t = a[o + j * n + c];
            a[o + j * n + c] = a[o + p * n + c];
            a[o + p * n + c] = t;
          }
        const d = a[o + j * n + j];
        for (let i = j + 1; i < m; i++) a[o + i * n + j] /= d;
      } else if (info[b] === 0) {
        info[b] = j + 1;
      }
      for (let i = j + 1; i < m; i++) {
        const l = a[o + i * n + j];
        for (let c = j + 1; c < n; c++) a[o + i * n + c] -= l * a[o + j * n + c];
      }
    }
    data.set(a, b * m * n);
  }
  return info;
}
