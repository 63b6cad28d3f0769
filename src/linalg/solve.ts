// Functions built from the decompositions: solve, inv, det, slogdet, choSolve, eigvalsh, svdvals, lstsq, pinv,
// matrixRank. No derivative code: each differentiates through the primitives it is made of.
// biome-ignore-all lint/complexity/noArguments: each function compares its argument count with the most it takes
import { fmtShape, ShapeError, ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { boolArg, extraArgument, numberArg, optionsArg, type TensorLike } from "../ops/util.js";
import * as lax from "../primitives/lax.js";
import { luSolveCore } from "./decompositions.js";
import {
  batchIndex,
  broadcastBatch,
  checkFinite,
  diagEmbed,
  diagonal,
  dims,
  epsOf,
  eye,
  floatPair,
  matrixArg,
  mm,
  mT,
  opName,
  readValues,
  rhsArg,
  scalar,
} from "./util.js";

/**
 * The LU factors of a square `a` checked for singularity when their values can be read: an exact zero
 * pivot, or one below n·eps·max|a|, is a ValueError naming the pivot and the batch element.
 */
export function factorNonsingular(op: string, a: Tensor): { f: Tensor; perm: Tensor } {
  checkFinite(op, a, "the matrix a");
  const [f, , perm] = lax.lu(a);
  const c = readValues(f);
  const av = c === null ? null : readValues(a);
  if (c !== null && av !== null) {
    const { batch, n } = dims(a);
    const count = n === 0 ? 0 : c.data.length / (n * n);
    const eps = epsOf(a.aval.dtype);
    for (let b = 0; b < count; b++) {
      let amax = 0;
      for (let i = 0; i < n * n; i++) amax = Math.max(amax, Math.abs(av.data[b * n * n + i]!));
      const tol = n * eps * amax;
      for (let k = 0; k < n; k++) {
        const p = c.data[b * n * n + k * n + k]!;
        if (p === 0 || Math.abs(p) < tol)
          throw new ValueError(
            `${op}: the matrix is singular (pivot ${k}${batchIndex(batch, b)} is ${p === 0 ? "0" : `${p.toPrecision(3)}, below n·eps·max|a| = ${tol.toPrecision(3)}`}); ` +
              "a least-squares solution is nb.linalg.lstsq(a, b), the pseudo-inverse nb.linalg.pinv(a)",
          );
      }
    }
  }
  return { f, perm };
}

/**
 * Solves a x = b for square a [..., n, n] by LU with partial pivoting: b is a vector [n] when it is 1-D,
 * otherwise [..., n, k] (NumPy 2's rule); batch dimensions broadcast. A singular a is a ValueError; inside jit
 * or vmap, where values cannot be read, the solution holds Infinity or NaN instead.
 * @example `nb.linalg.solve([[3, 1], [1, 2]], [9, 8]).toArray(); // [2, 3]`
 */
export function solve(a: TensorLike, b: TensorLike): Tensor {
  const op = opName("solve");
  if (arguments.length > 2) extraArgument(op, "a, b", arguments[2], arguments.length);
  const [x, y] = floatPair(op, a, b, ["the matrix a", "b"]);
  matrixArg(op, x!, "the matrix a");
  const r = rhsArg(op, x!, y!, ["the matrix a", "b"]);
  const { f, perm } = factorNonsingular(op, x!);
  return r.restore(luSolveCore(f, perm, r.b, false));
}

/**
 * The inverse of square matrices [..., n, n] (by LU). A singular matrix is a ValueError (Infinity or NaN
 * inside jit or vmap).
 * @example `nb.linalg.inv([[2, 0], [0, 4]]).toArray(); // [[0.5, 0], [0, 0.25]]`
 */
export function inv(a: TensorLike): Tensor {
  const op = opName("inv");
  if (arguments.length > 1) extraArgument(op, "a", arguments[1], arguments.length);
  const x = matrixArg(op, a);
  const { batch, n } = dims(x);
  const { f, perm } = factorNonsingular(op, x);
  return luSolveCore(f, perm, eye(n, x.aval.dtype, batch), false);
}

/** The sign (±1) of the permutation made by the row swaps `pivots` [..., k], in `dtype`. */
function pivotSign(pivots: Tensor, like: Tensor): Tensor {
  const ps = pivots.aval.shape;
  const k = ps[ps.length - 1]!;
  const nd = ps.length;
  const iota = lax.broadcastInDim(lax.fullIota(k), ps, [nd - 1]);
  const swaps = lax.convert(lax.ne(pivots, iota), like.aval.dtype, false);
  const count = lax.reduceSum(swaps, [nd - 1]);
  // (−1)^count = 1 − 2·(count mod 2)
  const two = scalar(like, 2);
  const half = lax.div(count, two);
  const odd = lax.sub(count, lax.mul(two, lax.floor(half)));
  return lax.sub(lax.broadcastTo(scalar(like, 1), odd.aval.shape), lax.mul(two, odd));
}

/**
 * The determinant of square matrices [..., n, n], from the LU factors (sign from the row swaps and the
 * diagonal). Its derivative is det(a)·a⁻ᵀ.
 * @example `nb.linalg.det([[1, 2], [3, 4]]).item(); // -2`
 */
export function det(a: TensorLike): Tensor {
  const op = opName("det");
  if (arguments.length > 1) extraArgument(op, "a", arguments[1], arguments.length);
  const x = matrixArg(op, a);
  const { nd } = dims(x);
  const [f, pivots] = lax.lu(x);
  return lax.mul(pivotSign(pivots, x), lax.reduceProd(diagonal(f), [nd - 2]));
}

export interface Slogdet {
  /** ±1, or 0 for a singular matrix. */
  sign: Tensor;
  /** log|det a| (−Infinity for a singular matrix). */
  logabsdet: Tensor;
}

/**
 * The sign and the log of the absolute value of the determinant, without overflow: det = sign·exp(logabsdet).
 * @example `nb.linalg.slogdet([[1, 2], [3, 4]]).logabsdet.item(); // log 2`
 */
export function slogdet(a: TensorLike): Slogdet {
  const op = opName("slogdet");
  if (arguments.length > 1) extraArgument(op, "a", arguments[1], arguments.length);
  const x = matrixArg(op, a);
  const { nd } = dims(x);
  const [f, pivots] = lax.lu(x);
  const d = diagonal(f);
  const signs = lax.mul(pivotSign(pivots, x), lax.reduceProd(lax.sign(d), [nd - 2]));
  // + 0 turns the −0 of a singular matrix with an odd permutation into 0
  const sign = lax.add(signs, lax.zerosLike(signs));
  const logabsdet = lax.reduceSum(lax.log(lax.abs(d)), [nd - 2]);
  return { sign, logabsdet };
}

/**
 * Solves (L Lᵀ) x = b given the Cholesky factor L of a (`lower: false`: the upper factor U, a = Uᵀ U): b is a
 * vector [n] when it is 1-D, otherwise [..., n, k].
 * @example
 * ```ts
 * const l = nb.linalg.cholesky([[4, 2], [2, 5]]);
 * nb.linalg.choSolve(l, [8, 9]).toArray(); // [1.375, 1.25]
 * ```
 */
export function choSolve(l: TensorLike, b: TensorLike, options?: { lower?: boolean }): Tensor {
  const op = opName("choSolve");
  if (arguments.length > 3) extraArgument(op, "l, b, options?", arguments[3], arguments.length);
  const o = optionsArg(op, options, ["lower"], "nb.linalg.choSolve(u, b, { lower: false })", "third");
  const lower = boolArg(op, "lower", o.lower, true);
  const [x, y] = floatPair(op, l, b, ["the factor l", "b"]);
  matrixArg(op, x!, "the factor l");
  const r = rhsArg(op, x!, y!, ["the factor l", "b"]);
  const solveT = (t: Tensor, transposeA: boolean) =>
    lax.triangularSolve(r.a, t, { leftSide: true, lower, transposeA, unitDiagonal: false });
  // lower: L (Lᵀ x) = b; upper: Uᵀ (U x) = b.
  const z = solveT(r.b, !lower);
  return r.restore(solveT(z, lower));
}

/**
 * The eigenvalues (ascending) of symmetric matrices [..., n, n], reading the lower triangle.
 * @example `nb.linalg.eigvalsh([[2, 1], [1, 2]]).toArray(); // [1, 3]`
 */
export function eigvalsh(a: TensorLike): Tensor {
  const op = opName("eigvalsh");
  if (arguments.length > 1) extraArgument(op, "a", arguments[1], arguments.length);
  const x = matrixArg(op, a);
  return lax.eigh(x, { lower: true })[1];
}

/**
 * The singular values (descending) of matrices [..., m, n].
 * @example `nb.linalg.svdvals([[3, 0], [0, -4]]).toArray(); // [4, 3]`
 */
export function svdvals(a: TensorLike): Tensor {
  const op = opName("svdvals");
  if (arguments.length > 1) extraArgument(op, "a", arguments[1], arguments.length);
  const x = matrixArg(op, a, "the matrix a", false);
  return lax.svd(x, { fullMatrices: false, computeUv: false })[0]!;
}

/** A tolerance option: undefined, or a non-negative number. */
function tolArg(op: string, name: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const t = numberArg(op, name, v);
  if (t < 0) throw new ValueError(`${op}: ${name} must be a non-negative number, got ${t}`);
  return t;
}

/** s [..., k] (descending) with the values at or below rtol·s_max set to 0 and the others inverted. */
function invertedAbove(s: Tensor, rtol: number): { sinv: Tensor; keep: Tensor } {
  const nd = s.aval.shape.length;
  const k = s.aval.shape[nd - 1]!;
  const smax =
    k === 0 ? lax.zerosLike({ ...s.aval, shape: s.aval.shape.slice(0, -1) }) : lax.reduceMax(s, [nd - 1]);
  const cutoff = lax.broadcastInDim(
    lax.stopGradient(lax.mul(smax, scalar(s, rtol))),
    s.aval.shape,
    s.aval.shape.slice(0, -1).map((_, i) => i),
  );
  const keep = lax.gt(s, cutoff);
  const safe = lax.select(keep, s, lax.broadcastTo(scalar(s, 1), s.aval.shape));
  const sinv = lax.select(keep, lax.div(lax.broadcastTo(scalar(s, 1), s.aval.shape), safe), lax.zerosLike(s));
  return { sinv, keep };
}

/**
 * The pseudo-inverse of matrices [..., m, n] from the SVD, singular values at or below rtol·s_max treated as
 * zero (rtol defaults to eps·max(m, n), as NumPy 2 and JAX).
 * @example `nb.linalg.pinv([[1, 0], [0, 0]]).toArray(); // [[1, 0], [0, 0]]`
 */
export function pinv(a: TensorLike, options?: { rtol?: number }): Tensor {
  const op = opName("pinv");
  if (arguments.length > 2) extraArgument(op, "a, options?", arguments[2], arguments.length);
  const o = optionsArg(op, options, ["rtol"], "nb.linalg.pinv(a, { rtol: 1e-10 })");
  const x = matrixArg(op, a, "the matrix a", false);
  const { m, n } = dims(x);
  const rtol = tolArg(op, "rtol", o.rtol) ?? epsOf(x.aval.dtype) * Math.max(m, n);
  const [s, u, vh] = lax.svd(x, { fullMatrices: false, computeUv: true });
  const { sinv } = invertedAbove(s!, rtol);
  // V diag(1/s) Uᵀ
  return mm(mT(vh!), mm(diagEmbed(sinv), mT(u!)));
}

export interface Lstsq {
  /** x minimizing ‖a x − b‖ (the one of least norm when a is rank-deficient): [..., n] or [..., n, k]. */
  solution: Tensor;
  /**
   * ‖a x − b‖² per column ([..., k]; [..., 1] for a vector b) when m > n and a has full rank, else shape [0]
   * (NumPy's meaning; inside jit or vmap, where the rank cannot be read, computed whatever the rank).
   */
  residuals: Tensor;
  /** int32 [...]: the number of singular values above rcond·s_max. */
  rank: Tensor;
  /** [..., min(m, n)], descending. */
  singularValues: Tensor;
}

/**
 * Least squares: the x minimizing ‖a x − b‖₂ (NumPy's lstsq, batched): by the SVD, singular values at or
 * below rcond·s_max treated as zero (rcond defaults to eps·max(m, n)). b is [m] when it is 1-D, otherwise
 * [..., m, k]. The residuals follow NumPy (empty when m ≤ n or rank < n), except inside jit or vmap, where
 * the rank is not known when the function is traced and they are computed whenever m > n.
 * @example `nb.linalg.lstsq([[1, 0], [0, 1], [1, 1]], [1, 1, 0]).solution.toArray(); // [1/3, 1/3]`
 */
export function lstsq(a: TensorLike, b: TensorLike, options?: { rcond?: number }): Lstsq {
  const op = opName("lstsq");
  if (arguments.length > 3) extraArgument(op, "a, b, options?", arguments[3], arguments.length);
  const o = optionsArg(op, options, ["rcond"], "nb.linalg.lstsq(a, b, { rcond: 1e-10 })", "third");
  const [x0, y0] = floatPair(op, a, b, ["the matrix a", "b"]);
  const x1 = matrixArg(op, x0!, "the matrix a", false);
  const { m, n } = dims(x1);
  const rcond = tolArg(op, "rcond", o.rcond) ?? epsOf(x1.aval.dtype) * Math.max(m, n);
  const bs = y0!.aval.shape;
  const vector = bs.length === 1;
  if (bs.length === 0 || bs[bs.length - (vector ? 1 : 2)] !== m)
    throw new ShapeError(
      `${op}: a has shape ${fmtShape(x1.aval.shape)} so b must be [${m}] or [..., ${m}, k], got shape ${fmtShape(bs)}`,
    );
  const [x, y] = broadcastBatch(op, x1, vector ? lax.reshape(y0!, [m, 1]) : y0!, ["the matrix a", "b"]);
  const [s, u, vh] = lax.svd(x, { fullMatrices: false, computeUv: true });
  const { sinv, keep } = invertedAbove(s!, rcond);
  const nd = s!.aval.shape.length;
  const rank = lax.reduceSum(lax.convert(keep, "int32", false), [nd - 1]);
  // x = V diag(1/s) Uᵀ b
  const utb = mm(mT(u!), y);
  const scaled = lax.mul(
    utb,
    lax.broadcastInDim(sinv, utb.aval.shape, [...utb.aval.shape.slice(0, -1).keys()]),
  );
  let solution = mm(mT(vh!), scaled);
  // NumPy: ‖a x − b‖² per column ([..., k], [..., 1] for a vector b) when m > n and a has full rank, else
  // empty. The rank is data: where it cannot be read (jit, vmap) the residuals are computed whatever it is.
  const ranks = m > n ? readValues(rank) : null;
  const fullRank = ranks === null || ranks.data.every((r) => r === n);
  let residuals: Tensor;
  if (m > n && fullRank) {
    const r = lax.sub(mm(x, solution), y);
    residuals = lax.reduceSum(lax.mul(r, r), [r.aval.shape.length - 2]);
  } else residuals = lax.zerosLike({ ...x.aval, shape: [0] });
  if (vector) solution = lax.reshape(solution, solution.aval.shape.slice(0, -1));
  return { solution, residuals, rank, singularValues: s! };
}

/**
 * The rank of matrices [..., m, n]: the number of singular values above `tol`, or above rtol·s_max (rtol
 * defaults to eps·max(m, n)); int32.
 * @example `nb.linalg.matrixRank([[1, 2], [2, 4]]).item(); // 1`
 */
export function matrixRank(a: TensorLike, options?: { rtol?: number; tol?: number }): Tensor {
  const op = opName("matrixRank");
  if (arguments.length > 2) extraArgument(op, "a, options?", arguments[2], arguments.length);
  const o = optionsArg(op, options, ["rtol", "tol"], "nb.linalg.matrixRank(a, { tol: 1e-8 })");
  const x = matrixArg(op, a, "the matrix a", false);
  const { m, n } = dims(x);
  const tol = tolArg(op, "tol", o.tol);
  const rtolGiven = tolArg(op, "rtol", o.rtol);
  if (tol !== undefined && rtolGiven !== undefined)
    throw new ValueError(
      `${op}: give tol (absolute) or rtol (relative to the largest singular value), not both`,
    );
  const s = lax.stopGradient(lax.svd(x, { fullMatrices: false, computeUv: false })[0]!);
  const nd = s.aval.shape.length;
  let keep: Tensor;
  if (tol !== undefined) keep = lax.gt(s, lax.broadcastTo(scalar(s, tol), s.aval.shape));
  else keep = invertedAbove(s, rtolGiven ?? epsOf(x.aval.dtype) * Math.max(m, n)).keep;
  return lax.reduceSum(lax.convert(keep, "int32", false), [nd - 1]);
}
