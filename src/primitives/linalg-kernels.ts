// The float64 kernels of the linear-algebra primitives (primitives/linalg.ts): plain loops over one matrix
// of a batch at a time, accumulating in float64 whatever the storage dtype. They are the specification the
// reference backend runs (and the fast backend until blocked kernels replace them). Matrices are row-major;
// a batch of them is contiguous, matrix after matrix.
import { allocate, type DType, type TypedArray } from "../core/dtype.js";
import { type Shape, sizeOf } from "../core/shape.js";

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
  const along = p.leftSide ? k : 1; // stride between consecutive unknowns of one system
  const across = p.leftSide ? 1 : n; // stride between systems
  // Solving x op(a) = b is solving op(a)ᵀ xᵀ = bᵀ: the matrix M of the system is a or aᵀ.
  const t = p.transposeA === p.leftSide;
  const mLower = t ? !p.lower : p.lower;
  // M[i][j] = t ? a[j][i] : a[i][j]; mLower says which triangle of M is set.
  const x = new Float64Array(b.length);
  for (let bi = 0, nb = batchCount(aShape); bi < nb; bi++) {
    const ao = bi * n * n;
    const bo = bi * n * k;
    const m = (i: number, j: number) => (t ? a[ao + j * n + i]! : a[ao + i * n + j]!);
    for (let c = 0; c < k; c++) {
      const base = bo + c * across;
      if (mLower)
        for (let i = 0; i < n; i++) {
          let s = b[base + i * along]!;
          for (let j = 0; j < i; j++) s -= m(i, j) * x[base + j * along]!;
          x[base + i * along] = p.unitDiagonal ? s : s / m(i, i);
        }
      else
        for (let i = n - 1; i >= 0; i--) {
          let s = b[base + i * along]!;
          for (let j = i + 1; j < n; j++) s -= m(i, j) * x[base + j * along]!;
          x[base + i * along] = p.unitDiagonal ? s : s / m(i, i);
        }
    }
  }
  return stored(x, dtype);
}
