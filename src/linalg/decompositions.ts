// The decompositions of nb.linalg, each one primitive: cholesky, triangularSolve, lu, luSolve, qr, eigh, svd.
// biome-ignore-all lint/complexity/noArguments: each function compares its argument count with the most it takes
import { DTypeError, fmtShape, ShapeError, ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { asTensor, boolArg, extraArgument, optionsArg, type TensorLike } from "../ops/util.js";
import * as lax from "../primitives/lax.js";
import {
  batchIndex,
  broadcastBatch,
  checkFinite,
  dims,
  floatPair,
  matrixArg,
  mT,
  opName,
  permuteRows,
  readValues,
  rhsArg,
  unpermuteRows,
} from "./util.js";

/**
 * The Cholesky factor of a symmetric positive definite matrix: L lower triangular with a = L Lᵀ (with
 * `upper: true`, U = Lᵀ with a = Uᵀ U). Only the lower triangle of `a` is read. Not positive definite: a
 * ValueError naming the batch element and the failing leading minor; inside jit or vmap, where values cannot
 * be read, the factor holds NaN instead.
 * @example `nb.linalg.cholesky([[4, 2], [2, 5]]).toArray(); // [[2, 0], [1, 2]]`
 */
export function cholesky(a: TensorLike, options?: { upper?: boolean }): Tensor {
  const op = opName("cholesky");
  if (arguments.length > 2) extraArgument(op, "a, options?", arguments[2], arguments.length);
  const x = matrixArg(op, a);
  const o = optionsArg(op, options, ["upper"], "nb.linalg.cholesky(a, { upper: true })");
  const upper = boolArg(op, "upper", o.upper);
  checkFinite(op, x, "the matrix a", true);
  let l: Tensor;
  try {
    l = lax.cholesky(x);
  } catch (e) {
    // the primitive's own eager check: the same message under this function's name
    if (e instanceof ValueError && e.message.startsWith("cholesky: "))
      throw new ValueError(`${op}: ${e.message.slice(10)}`);
    throw e;
  }
  checkPositiveDefinite(op, l);
  return upper ? mT(l) : l;
}

/** After a factorization: a non-finite or non-positive diagonal entry of L names the failing pivot. */
function checkPositiveDefinite(op: string, l: Tensor): void {
  const c = readValues(l);
  if (c === null) return;
  const { batch, n } = dims(l);
  const d = c.data;
  const count = d.length / (n * n);
  for (let b = 0; b < count; b++)
    for (let k = 0; k < n; k++) {
      const v = d[b * n * n + k * n + k]!;
      if (!(v > 0) || !Number.isFinite(v))
        throw new ValueError(
          `${op}: the matrix${batchIndex(batch, b)} is not positive definite (its leading minor of order ${k + 1} is not positive; pivot ${k} fails); ` +
            "a symmetric positive definite matrix is needed (add a multiple of the identity to regularize it)",
        );
    }
}

export interface TriangularSolveOptions {
  /** Whether `a` is lower triangular (default true); only that triangle is read. */
  lower?: boolean;
  /** Solve op(a) x = b (default true) or x op(a) = b. */
  leftSide?: boolean;
  /** op(a) = aᵀ (default false). */
  transposeA?: boolean;
  /** Take the diagonal of `a` as ones without reading it (default false). */
  unitDiagonal?: boolean;
}

/**
 * Solves op(a) x = b (or x op(a) = b with `leftSide: false`) for triangular a [..., n, n]: b is [..., n, k]
 * (left) or [..., k, n] (right); batch dimensions broadcast.
 * @example `nb.linalg.triangularSolve([[2, 0], [1, 1]], [[2], [3]]).toArray(); // [[1], [2]]`
 */
export function triangularSolve(a: TensorLike, b: TensorLike, options?: TriangularSolveOptions): Tensor {
  const op = opName("triangularSolve");
  if (arguments.length > 3) extraArgument(op, "a, b, options?", arguments[3], arguments.length);
  const o = optionsArg(
    op,
    options,
    ["lower", "leftSide", "transposeA", "unitDiagonal"],
    "nb.linalg.triangularSolve(a, b, { lower: false })",
    "third",
  );
  const lower = boolArg(op, "lower", o.lower, true);
  const leftSide = boolArg(op, "leftSide", o.leftSide, true);
  const transposeA = boolArg(op, "transposeA", o.transposeA);
  const unitDiagonal = boolArg(op, "unitDiagonal", o.unitDiagonal);
  const [x, y] = floatPair(op, a, b, ["the matrix a", "b"]);
  matrixArg(op, x!, "the matrix a");
  const bs = y!.aval.shape;
  const n = x!.aval.shape[x!.aval.shape.length - 1]!;
  if (bs.length < 2)
    throw new ShapeError(
      `${op}: b must be a matrix ${leftSide ? `[..., ${n}, k]` : `[..., k, ${n}]`}, got shape ${fmtShape(bs)}; for a vector add an axis (nb.expandDims(b, -1))`,
    );
  const bn = leftSide ? bs[bs.length - 2] : bs[bs.length - 1];
  if (bn !== n)
    throw new ShapeError(
      `${op}: a has shape ${fmtShape(x!.aval.shape)} so b must be ${leftSide ? `[..., ${n}, k]` : `[..., k, ${n}]`}, got shape ${fmtShape(bs)}`,
    );
  const [aa, bb] = broadcastBatch(op, x!, y!, ["a", "b"]);
  return lax.triangularSolve(aa, bb, { leftSide, lower, transposeA, unitDiagonal });
}

export interface LU {
  /** L (unit lower, below the diagonal) and U in one [..., m, n]. */
  lu: Tensor;
  /** int32 [..., min(m, n)]: row i was swapped with row pivots[i] (0-based, as LAPACK's getrf). */
  pivots: Tensor;
  /** int32 [..., m]: a[..., permutation, :] = L U. */
  permutation: Tensor;
}

/**
 * LU factorization with partial pivoting (LAPACK's getrf): `a[..., permutation, :] = L U`.
 * @example `nb.linalg.lu([[1, 2], [3, 4]]).permutation.toArray(); // [1, 0]`
 */
export function lu(a: TensorLike): LU {
  const op = opName("lu");
  if (arguments.length > 1) extraArgument(op, "a", arguments[1], arguments.length);
  const x = matrixArg(op, a, "the matrix a", false);
  const [f, pivots, permutation] = lax.lu(x);
  return { lu: f, pivots, permutation };
}

/** The permutation made by applying the row swaps `pivots` [..., k] to the rows 0..m-1, as int32 [..., m]. */
export function pivotsToPermutation(pivots: Tensor, m: number): Tensor {
  const ps = pivots.aval.shape;
  const k = ps[ps.length - 1]!;
  const batch = ps.slice(0, -1);
  const nd = ps.length;
  const iota = lax.broadcastInDim(lax.fullIota(m), [...batch, m], [nd - 1]);
  let perm: Tensor = iota;
  for (let i = 0; i < k; i++) {
    const start = [...batch.map(() => 0), i];
    const limit = [...batch, i + 1];
    const p = lax.broadcastTo(lax.slice(pivots, start, limit), [...batch, m]);
    const atI = lax.broadcastTo(lax.slice(perm, start, limit), [...batch, m]);
    const onehotP = lax.eq(iota, p);
    const atP = lax.reduceSum(lax.select(onehotP, perm, lax.zerosLike(perm)), [nd - 1]);
    const atPb = lax.broadcastInDim(
      atP,
      [...batch, m],
      batch.map((_, j) => j),
    );
    const isI = lax.eq(iota, lax.broadcastTo(lax.scalarLike(iota, i), [...batch, m]));
    perm = lax.select(isI, atPb, lax.select(onehotP, atI, perm));
  }
  return perm;
}

/** Solves with LU factors: L U x = b[perm] (or, transposed, Uᵀ Lᵀ P x = b). b is [..., n, k]. */
export function luSolveCore(f: Tensor, perm: Tensor, b: Tensor, transpose: boolean): Tensor {
  const [fb, bb] = broadcastBatch("linalg.luSolve", f, b, ["lu", "b"]);
  const batch = fb.aval.shape.slice(0, -2);
  const permB = lax.broadcastTo(perm, [...batch, perm.aval.shape[perm.aval.shape.length - 1]!]);
  if (!transpose) {
    const y = lax.triangularSolve(fb, permuteRows(permB, bb), {
      leftSide: true,
      lower: true,
      transposeA: false,
      unitDiagonal: true,
    });
    return lax.triangularSolve(fb, y, {
      leftSide: true,
      lower: false,
      transposeA: false,
      unitDiagonal: false,
    });
  }
  const y = lax.triangularSolve(fb, bb, {
    leftSide: true,
    lower: false,
    transposeA: true,
    unitDiagonal: false,
  });
  const z = lax.triangularSolve(fb, y, {
    leftSide: true,
    lower: true,
    transposeA: true,
    unitDiagonal: true,
  });
  return unpermuteRows(permB, z);
}

/**
 * Solves a x = b (or aᵀ x = b with `transpose: true`) from the factors of {@link lu}: b is [..., n] only
 * when it is 1-D, otherwise [..., n, k] (NumPy 2's rule, as solve).
 * @example
 * ```ts
 * const f = nb.linalg.lu([[3, 1], [1, 2]]);
 * nb.linalg.luSolve(f, [9, 8]).toArray(); // [2, 3]
 * ```
 */
export function luSolve(
  factors: { lu: TensorLike; pivots: TensorLike; permutation?: TensorLike },
  b: TensorLike,
  options?: { transpose?: boolean },
): Tensor {
  const op = opName("luSolve");
  if (arguments.length > 3) extraArgument(op, "factors, b, options?", arguments[3], arguments.length);
  if (typeof factors !== "object" || factors === null || !("lu" in factors) || !("pivots" in factors))
    throw new ValueError(
      `${op}: the first argument must be the factors { lu, pivots } from nb.linalg.lu(a), got ${factors === null ? "null" : typeof factors}`,
    );
  const o = optionsArg(
    op,
    options,
    ["transpose"],
    "nb.linalg.luSolve(factors, b, { transpose: true })",
    "third",
  );
  const transpose = boolArg(op, "transpose", o.transpose);
  const [f, y] = floatPair(op, factors.lu, b, ["lu", "b"]);
  matrixArg(op, f!, "the factors' lu");
  const n = f!.aval.shape[f!.aval.shape.length - 1]!;
  const piv = asTensor(factors.pivots, op, "the factors' pivots");
  if (piv.aval.dtype !== "int32")
    throw new DTypeError(
      `${op}: the factors' pivots must be int32 (as nb.linalg.lu returns them), got ${piv.aval.dtype}`,
    );
  if (piv.aval.shape[piv.aval.shape.length - 1] !== n)
    throw new ShapeError(
      `${op}: the factors' pivots must be int32 [..., ${n}] (from nb.linalg.lu), got ${piv.aval.dtype} ${fmtShape(piv.aval.shape)}`,
    );
  const perm =
    factors.permutation !== undefined
      ? asTensor(factors.permutation, op, "the factors' permutation")
      : pivotsToPermutation(piv, n);
  const r = rhsArg(op, f!, y!, ["lu", "b"]);
  return r.restore(luSolveCore(r.a, perm, r.b, transpose));
}

export interface QR {
  q: Tensor;
  r: Tensor;
}

/**
 * QR factorization by Householder reflections (LAPACK's geqrf signs, not normalized): "reduced" gives q
 * [..., m, k] and r [..., k, n] with k = min(m, n); "complete" gives q [..., m, m] and r [..., m, n].
 * @example `nb.linalg.qr([[3, 0], [4, 5]]).r.shape; // [2, 2]`
 */
export function qr(a: TensorLike, options?: { mode?: "reduced" | "complete" }): QR {
  const op = opName("qr");
  if (arguments.length > 2) extraArgument(op, "a, options?", arguments[2], arguments.length);
  const o = optionsArg(op, options, ["mode"], 'nb.linalg.qr(a, { mode: "complete" })');
  const mode = o.mode ?? "reduced";
  if (mode !== "reduced" && mode !== "complete")
    throw new ValueError(`${op}: mode must be "reduced" or "complete", got ${JSON.stringify(mode)}`);
  const x = matrixArg(op, a, "the matrix a", false);
  const [q, r] = lax.qr(x, { fullMatrices: mode === "complete" });
  return { q, r };
}

export interface Eigh {
  /** Ascending, [..., n]. */
  eigenvalues: Tensor;
  /** [..., n, n], one eigenvector per column: a V = V diag(w). */
  eigenvectors: Tensor;
}

/**
 * Eigenvalues (ascending) and eigenvectors of a symmetric matrix, reading only its lower triangle (or the
 * upper one with `lower: false`). Derivatives of the eigenvectors are undefined at repeated eigenvalues.
 * @example `nb.linalg.eigh([[2, 1], [1, 2]]).eigenvalues.toArray(); // [1, 3]`
 */
export function eigh(a: TensorLike, options?: { lower?: boolean }): Eigh {
  const op = opName("eigh");
  if (arguments.length > 2) extraArgument(op, "a, options?", arguments[2], arguments.length);
  const o = optionsArg(op, options, ["lower"], "nb.linalg.eigh(a, { lower: false })");
  const lower = boolArg(op, "lower", o.lower, true);
  const x = matrixArg(op, a);
  const [v, w] = lax.eigh(x, { lower });
  return { eigenvalues: w, eigenvectors: v };
}

export interface SVD {
  u: Tensor;
  /** Descending, [..., min(m, n)]. */
  s: Tensor;
  vh: Tensor;
}

export interface SvdOptions {
  /** u [..., m, m] and vh [..., n, n] instead of the thin [..., m, k] and [..., k, n] (default false). */
  fullMatrices?: boolean;
  /** Compute u and vh (default true); false returns the singular values alone. */
  computeUv?: boolean;
}

/**
 * Singular value decomposition a = u diag(s) vh, s descending; with `computeUv: false` the tensor s alone.
 * @example `nb.linalg.svd([[3, 0], [0, -2]]).s.toArray(); // [3, 2]`
 */
export function svd(a: TensorLike, options: SvdOptions & { computeUv: false }): Tensor;
export function svd(a: TensorLike, options?: SvdOptions & { computeUv?: true }): SVD;
export function svd(a: TensorLike, options?: SvdOptions): SVD | Tensor;
export function svd(a: TensorLike, options?: SvdOptions): SVD | Tensor {
  const op = opName("svd");
  if (arguments.length > 2) extraArgument(op, "a, options?", arguments[2], arguments.length);
  const o = optionsArg(
    op,
    options,
    ["fullMatrices", "computeUv"],
    "nb.linalg.svd(a, { fullMatrices: true })",
  );
  const fullMatrices = boolArg(op, "fullMatrices", o.fullMatrices);
  const computeUv = boolArg(op, "computeUv", o.computeUv, true);
  const x = matrixArg(op, a, "the matrix a", false);
  const outs = lax.svd(x, { fullMatrices, computeUv });
  if (!computeUv) return outs[0]!;
  return { s: outs[0]!, u: outs[1]!, vh: outs[2]! };
}
