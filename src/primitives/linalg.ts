// The linear-algebra primitives and every rule of theirs: cholesky and triangular_solve (one output each,
// in LINALG like any family), and the decompositions with several outputs, lu, qr, eigh and svd (in
// LINALG_MULTI, merged into the multi-output tables by the assemblers and interpret/control.ts). Their
// float64 kernels live in linalg-kernels.ts. Every derivative rule is written with these primitives and
// dot_general, so derivatives of every order compose; all of them act on the last two axes and batch over
// the leading ones, so the batching rules move the batch dimension to the front.
//
// Derivatives follow the standard results: Cholesky (Murray 2016), triangular solves (implicit
// differentiation), LU, QR, eigh and SVD as JAX's lu_jvp, qr_jvp_rule, eigh_jvp_rule and svd_jvp_rule.
// eigh's and svd's derivatives divide by differences of eigenvalues (singular values): at a repeated one they
// are infinite or NaN, as in JAX.
import { isFloat } from "../core/dtype.js";
import { DTypeError, fmtShape, ShapeError, ValueError } from "../core/errors.js";
import { type KernelMultiPrim, type MultiPrimParams, NO_PARAMS, type NoParams } from "../core/primitives.js";
import { range, shapesEqual } from "../core/shape.js";
import type { Aval, ConcreteTensor, Tensor } from "../core/tensor.js";
import { bind, bindMulti } from "../core/trace.js";
import * as lax from "./lax.js";
import type { TriangularSolveParams } from "./linalg-kernels.js";
import {
  type Dim,
  type FamilyRules,
  type MultiFamilyRules,
  type MultiRule,
  sameDtype,
  toFront,
} from "./rule-helpers.js";
import { binom, full, once, Series, type Term } from "./series.js";
import type { JetRule } from "./series-rules.js";
import { isLin } from "./unbroadcast.js";

export type { TriangularSolveParams };

declare module "../core/primitives.js" {
  interface PrimParams {
    /** cholesky(a): the lower Cholesky factor of a [..., n, n], reading only a's lower triangle. */
    cholesky: NoParams;
    /** triangular_solve(a, b): x with op(a) x = b (leftSide) or x op(a) = b; a [..., n, n] triangular. */
    triangular_solve: TriangularSolveParams;
  }
  interface MultiPrimParams {
    /** lu(a) → (lu, pivots int32, permutation int32): partial pivoting as LAPACK's getrf, a [..., m, n]. */
    lu: NoParams;
    /** qr(a) → (q, r): Householder; q [..., m, m] and r [..., m, n] when fullMatrices, else k = min(m, n) wide. */
    qr: { fullMatrices: boolean };
    /** eigh(a) → (v, w): eigenvectors (columns) and ascending eigenvalues of the symmetric a [..., n, n]. */
    eigh: { lower: boolean };
    /** svd(a) → (s, u, vh), or (s) without computeUv: s descending, a = u diag(s) vh. */
    svd: { fullMatrices: boolean; computeUv: boolean };
  }
}

type T = Tensor;
type Tan = Tensor | null;

// ---- matrix helpers written with primitives ----------------------------------------------------------------

const rank = (x: T | Aval) => ("aval" in x ? x.aval : x).shape.length;

/** x with its last two axes swapped. */
export function mT(x: T): T {
  const r = rank(x);
  const perm = range(r);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return lax.transpose(x, perm);
}

/** The batched matrix product of [..., m, k] and [..., k, n] (equal leading dims). */
export function matmul(a: T, b: T): T {
  const r = rank(a);
  const batch = range(r - 2);
  return lax.dotGeneral(a, b, {
    lhsContract: [r - 1],
    rhsContract: [r - 2],
    lhsBatch: batch,
    rhsBatch: batch,
  });
}

/** A constant m×n matrix of `like`'s dtype with entries f(i, j). */
function constMatrix(like: T, m: number, n: number, f: (i: number, j: number) => number): ConcreteTensor {
  const c = lax.fullAval({ shape: [m, n], dtype: like.aval.dtype, weak: false }, 0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c.data[i * n + j] = f(i, j);
  return c;
}

/** x (..., m, n) times the m×n constant with entries f(i, j). */
function masked(x: T, f: (i: number, j: number) => number): T {
  const s = x.aval.shape;
  return lax.mul(x, constMatrix(x, s[s.length - 2]!, s[s.length - 1]!, f));
}

/** The entries of x on and below diagonal k (j ≤ i + k), zero elsewhere. */
export const tril = (x: T, k = 0): T => masked(x, (i, j) => (j <= i + k ? 1 : 0));
/** The entries of x on and above diagonal k (j ≥ i + k), zero elsewhere. */
export const triu = (x: T, k = 0): T => masked(x, (i, j) => (j >= i + k ? 1 : 0));

/** The m×n identity (ones on the main diagonal) with `like`'s dtype. */
const eye = (like: T, m: number, n = m): ConcreteTensor =>
  constMatrix(like, m, n, (i, j) => (i === j ? 1 : 0));

/** The diagonal of x [..., n, n] as [..., n]. */
export function diagonal(x: T): T {
  const r = rank(x);
  return lax.reduceSum(
    masked(x, (i, j) => (i === j ? 1 : 0)),
    [r - 1],
  );
}

/** v [..., n] as a row broadcast down the rows of [..., m, n] (row: true) or a column across [..., n, m]. */
function spread(v: T, m: number, row: boolean): T {
  const s = v.aval.shape;
  const lead = s.slice(0, -1);
  const n = s[s.length - 1]!;
  const b = lead.length;
  return row
    ? lax.broadcastInDim(v, [...lead, m, n], [...range(b), b + 1])
    : lax.broadcastInDim(v, [...lead, n, m], [...range(b), b]);
}

const scale = (x: T, c: number): T => (c === 1 ? x : lax.mul(x, lax.scalarLike(x, c)));
const subT = (x: Tan, y: T): T => (x === null ? lax.neg(y) : lax.sub(x, y));

// ---- shape checks --------------------------------------------------------------------------------------------

function floatMatrix(op: string, what: string, a: Aval): void {
  if (!isFloat(a.dtype))
    throw new DTypeError(`${op}: the ${what} must be float32 or float64, got ${a.dtype}; convert it first`);
  if (a.shape.length < 2)
    throw new ShapeError(
      `${op}: the ${what} must have at least two dimensions [..., m, n], got shape ${fmtShape(a.shape)}`,
    );
}

function squareMatrix(op: string, what: string, a: Aval): number {
  floatMatrix(op, what, a);
  const s = a.shape;
  const n = s[s.length - 1]!;
  if (s[s.length - 2] !== n)
    throw new ShapeError(
      `${op}: the ${what} must be square [..., n, n], got shape ${fmtShape(s)}; pass a square matrix (its last two dimensions equal)`,
    );
  return n;
}

// ---- cholesky --------------------------------------------------------------------------------------------------

function choleskyShape([a]: readonly Aval[]): Aval {
  squareMatrix("cholesky", "matrix", a!);
  return { shape: a!.shape, dtype: a!.dtype, weak: false };
}

/**
 * The tangent of the Cholesky factor L of a for a symmetric tangent s of a (Murray 2016):
 * L̇ = L Φ(L⁻¹ s L⁻ᵀ), Φ taking the lower triangle with the diagonal halved.
 */
function choleskyTangent(l: T, s: T): T {
  const y = lax.triangularSolve(l, s, {
    leftSide: true,
    lower: true,
    transposeA: false,
    unitDiagonal: false,
  });
  const z = lax.triangularSolve(l, y, {
    leftSide: false,
    lower: true,
    transposeA: true,
    unitDiagonal: false,
  });
  return matmul(
    l,
    masked(z, (i, j) => (i > j ? 1 : i === j ? 0.5 : 0)),
  );
}

/** (x + xᵀ)/2. */
const sym = (x: T): T => scale(lax.add(x, mT(x)), 0.5);

/**
 * The factor reads only the lower triangle, but its derivative treats a as symmetric (as JAX and PyTorch
 * do): the tangent it sees is (ȧ + ȧᵀ)/2, so gradients are symmetric matrices. Along symmetric directions
 * (every perturbation of a symmetric input that keeps it symmetric) this is the exact derivative.
 */
function choleskyJvp([a]: T[], [da]: Tan[]): [T, Tan] {
  const l = lax.cholesky(a!);
  return [l, da && choleskyTangent(l, sym(da))];
}

/**
 * Term k of L from A_k = Σ_j C(k, j) L_j L_{k−j}ᵀ: L_k is the tangent for sym(A_k) − Σ_{0<j<k} C(k, j) L_j L_{k−j}ᵀ
 * (symmetrized as the JVP is).
 */
const choleskySeries: JetRule<"cholesky"> = ([a], [u], _p, order) => {
  const l = lax.cholesky(a!);
  const s: Series = Series.sequential(order, l.aval, l, (k) => {
    const ak = u!.term(k);
    let m: Tan = ak && sym(full(ak, a!.aval));
    for (let j = 1; j < k; j++) {
      const lj = s.term(j);
      const lkj = s.term(k - j);
      if (lj && lkj) m = subT(m, scale(matmul(full(lj, l.aval), mT(full(lkj, l.aval))), binom(k, j)));
    }
    return m && choleskyTangent(l, m);
  });
  return [l, s];
};

// ---- triangular_solve ------------------------------------------------------------------------------------------

function triangularSolveShape([a, b]: readonly Aval[], p: TriangularSolveParams): Aval {
  const n = squareMatrix("triangular_solve", "matrix a", a!);
  floatMatrix("triangular_solve", "right-hand side b", b!);
  sameDtype("triangular_solve", [a!, b!]);
  const as = a!.shape;
  const bs = b!.shape;
  const r = bs.length;
  const side = p.leftSide ? "[..., n, k] (leftSide)" : "[..., k, n] (right side)";
  if (
    r !== as.length ||
    !shapesEqual(as.slice(0, -2), bs.slice(0, -2)) ||
    bs[p.leftSide ? r - 2 : r - 1] !== n
  )
    throw new ShapeError(
      `triangular_solve: a ${fmtShape(as)} and b ${fmtShape(bs)} do not fit: b must be ${side} with n = ${n} and the same leading dimensions as a; broadcast them first`,
    );
  return { shape: bs, dtype: b!.dtype, weak: false };
}

/** The part of a tangent of a that the solve reads: its triangle, without the diagonal when it is unit. */
function readTriangle(da: T, p: TriangularSolveParams): T {
  const d = p.unitDiagonal ? 1 : 0;
  return p.lower ? tril(da, -d) : triu(da, d);
}

/** op(ȧ) x (left side) or x op(ȧ) (right side), ȧ cut to the triangle the solve reads. */
function opProduct(da: T, x: T, p: TriangularSolveParams): T {
  const m = readTriangle(da, p);
  const op = p.transposeA ? mT(m) : m;
  return p.leftSide ? matmul(op, x) : matmul(x, op);
}

/** op(a) x = b: op(a) ẋ = ḃ − op(ȧ) x (and the same on the right). */
function triangularSolveJvp([a, b]: T[], [da, db]: Tan[], p: TriangularSolveParams): [T, Tan] {
  const x = lax.triangularSolve(a!, b!, p);
  const rhs = da ? subT(db, opProduct(da, x, p)) : db;
  return [x, rhs && lax.triangularSolve(a!, rhs, p)];
}

/**
 * triangular_solve with only b batched (Jacobians of a solve, vmapped right-hand sides): the batch becomes
 * more right-hand sides of the one matrix — columns of b on the left side, rows on the right — instead of
 * copies of a.
 */
function solveBatchedRhs(a: T, b: T, d: number, p: TriangularSolveParams, size: number): [T, Dim] {
  const r = rank(b) - 1; // b's logical rank
  const lead = r - 2;
  // The batch goes next to the axis of right-hand sides it joins: before the last (left) or the second last.
  const at = p.leftSide ? r - 1 : lead;
  const moved = lax.moveAxis(b, d, at);
  const s = moved.aval.shape;
  const merged = p.leftSide
    ? [...s.slice(0, r - 1), size * s[r]!]
    : [...s.slice(0, lead), size * s[lead + 1]!, s[lead + 2]!];
  const x = lax.triangularSolve(a, lax.reshape(moved, merged), p);
  return [lax.reshape(x, s), at];
}

/** The series of x: op(a_0) x_k = b_k − Σ_{j≥1} C(k, j) op(a_j) x_{k−j}. */
const triangularSolveSeries: JetRule<"triangular_solve"> = ([a, b], [u, v], p, order) => {
  const x = lax.triangularSolve(a!, b!, p);
  const s: Series = Series.sequential(order, x.aval, x, (k) => {
    const bk: Term = v!.term(k);
    let rhs: Tan = bk && full(bk, x.aval);
    for (let j = 1; j <= k; j++) {
      const aj = u!.term(j);
      const xkj = s.term(k - j);
      if (aj && xkj) rhs = subT(rhs, scale(opProduct(full(aj, a!.aval), full(xkj, x.aval), p), binom(k, j)));
    }
    return rhs && lax.triangularSolve(a!, rhs, p);
  });
  return [x, s];
};

export const LINALG: FamilyRules<"cholesky" | "triangular_solve", "triangular_solve"> = {
  shape: { cholesky: choleskyShape, triangular_solve: triangularSolveShape },
  jvp: { cholesky: choleskyJvp, triangular_solve: triangularSolveJvp },
  // Batched natively over the leading dims: the batch dimension goes to the front.
  vmap: {
    // Bound without the wrapper's eager check: under vmap a member that is not positive definite comes out
    // NaN, as under jit (and in JAX), rather than failing the whole batch.
    cholesky: ([a], [d], _p, size) => [bind("cholesky", [toFront(a!, d!, size)], NO_PARAMS), 0],
    triangular_solve: ([a, b], [da, db], p, size) => {
      if (da === null) return solveBatchedRhs(a!, b!, db!, p, size);
      return [lax.triangularSolve(toFront(a!, da, size), toFront(b!, db!, size), p), 0];
    },
  },
  jet: { cholesky: choleskySeries, triangular_solve: triangularSolveSeries },
  // Linear in b: x = op(a)⁻¹ b, so b̄ = op(a)⁻ᵀ x̄ (x̄ op(a)⁻ᵀ on the right): the solve with op transposed.
  transpose: {
    triangular_solve: (ct, [a, b], p) => {
      if (isLin(a))
        throw new ValueError("triangular_solve: not linear in the matrix a; only b may be a linear argument");
      return [null, isLin(b) ? lax.triangularSolve(a as T, ct, { ...p, transposeA: !p.transposeA }) : null];
    },
  },
};

// ---- the decompositions with several outputs ------------------------------------------------------------------

const dims = (a: Aval) => {
  const s = a.shape;
  const m = s[s.length - 2]!;
  const n = s[s.length - 1]!;
  return { lead: s.slice(0, -2), m, n, k: Math.min(m, n) };
};
const out = (shape: number[], dtype: Aval["dtype"]): Aval => ({ shape, dtype, weak: false });
const none = <X>(xs: X[]): null[] => xs.map(() => null);

/** Batched natively over the leading dims: the batch dimension goes to the front of the operand. */
const batchFront =
  <P extends KernelMultiPrim>(p: P) =>
  (vals: T[], ds: Dim[], params: MultiPrimParams[P], size: number): [T[], Dim[]] => {
    const outs = bindMulti(p, [toFront(vals[0]!, ds[0]!, size)], params);
    return [outs, outs.map(() => 0)];
  };

/** An int32 m×m constant with entries j (the column index). */
function columnIndex(m: number): ConcreteTensor {
  const c = lax.fullAval({ shape: [m, m], dtype: "int32", weak: false }, 0);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) c.data[i * m + j] = j;
  return c;
}

/**
 * The pieces of lu's derivative at the factors `outs` of a [..., m, n]: the permutation matrix P, the unit
 * lower L (m×m, padded with the identity), the upper U (n×n, padded likewise) and the map from R = P ȧ (or
 * any m×n right-hand side) to the packed tangent L̇ + U̇ = L·tril(X, −1) + triu(X)·U, X = L⁻¹ R U⁻¹: the
 * unique strictly lower L̇ (m×k) and upper U̇ (k×n) with L̇ U + L U̇ = R.
 */
function luParts(a: T, outs: T[]) {
  const [lu, , perm] = outs;
  const { lead, m, n, k } = dims(a.aval);
  const z = lead.map(() => 0);
  const dtype = a.aval.dtype;
  // P[i][j] = (perm[i] = j): a one-hot matrix, so each batch member has its own permutation.
  const p = lax.convert(lax.eq(spread(perm!, m, false), columnIndex(m)), dtype);
  const lk = tril(lax.slice(lu!, [...z, 0, 0], [...lead, m, k]), -1);
  const l = lax.add(lax.pad(lk, [...z, 0, 0], [...z, 0, m - k]), eye(a, m));
  const uk = triu(lax.slice(lu!, [...z, 0, 0], [...lead, k, n]));
  const u = lax.add(
    lax.pad(uk, [...z, 0, 0], [...z, n - k, 0]),
    constMatrix(a, n, n, (i, j) => (i === j && i >= k ? 1 : 0)),
  );
  const tangent = (r: T): T => {
    const la = lax.triangularSolve(l, r, {
      leftSide: true,
      lower: true,
      transposeA: false,
      unitDiagonal: true,
    });
    const lau = lax.triangularSolve(u, la, {
      leftSide: false,
      lower: false,
      transposeA: false,
      unitDiagonal: false,
    });
    return lax.add(matmul(l, tril(lau, -1)), matmul(triu(lau), u));
  };
  return { p, tangent };
}

/**
 * JAX's lu_jvp: with P ȧ the tangent's rows in pivot order, L (m×m, unit, padded with the identity) and U
 * (n×n, padded likewise), X = L⁻¹ P ȧ U⁻¹ and the factors' tangent is L·tril(X, −1) + triu(X)·U.
 */
function luJvp([a]: T[], [da]: Tan[]): [T[], Tan[]] {
  const outs = lax.lu(a!);
  if (da === null) return [outs, none(outs)];
  const { p, tangent } = luParts(a!, outs);
  return [outs, [tangent(matmul(p, da)), null, null]];
}

/**
 * lu's Taylor series with the pivots fixed: P A_k = Σ_j C(k, j) L_j U_{k−j}, so term k of the packed factors
 * is the JVP's tangent for R_k = P A_k − Σ_{0<j<k} C(k, j) L_j U_{k−j} (L_j the strictly lower m×min(m, n)
 * part of term j, U_j its upper min(m, n)×n part): one solve pair and k + 1 products per term instead of the
 * 2^order evaluations of nested forward mode.
 */
function luSeries([a]: T[], [u]: (Series | null)[], _p: NoParams, order: number): [T[], (Series | null)[]] {
  const outs = lax.lu(a!);
  if (u === null || u === undefined || u.isConstant) return [outs, none(outs)];
  const lu = outs[0]!;
  const { lead, m, n, k: mn } = dims(a!.aval);
  const z = lead.map(() => 0);
  const parts = once(() => luParts(a!, outs));
  const lower = (t: T) => tril(n === mn ? t : lax.slice(t, [...z, 0, 0], [...lead, m, mn]), -1);
  const upper = (t: T) => triu(m === mn ? t : lax.slice(t, [...z, 0, 0], [...lead, mn, n]));
  const s: Series = Series.sequential(order, lu.aval, lu, (k) => {
    const ak = u.term(k);
    const { p, tangent } = parts();
    let r: Tan = ak && matmul(p, full(ak, a!.aval));
    for (let j = 1; j < k; j++) {
      const lj = s.term(j);
      const ukj = s.term(k - j);
      if (lj && ukj)
        r = subT(r, scale(matmul(lower(full(lj, lu.aval)), upper(full(ukj, lu.aval))), binom(k, j)));
    }
    return r && tangent(r);
  });
  return [outs, [s, null, null]];
}

/** The QR factorizations with a derivative here: reduced with m ≥ n, complete only when square. */
function qrDifferentiable(a: Aval, fullMatrices: boolean): void {
  const { m, n } = dims(a);
  if (m < n || (fullMatrices && m !== n))
    throw new ValueError(
      `qr: the derivative is defined here for the reduced QR of a matrix with m ≥ n (and the complete QR of a square one), got shape ${fmtShape(a.shape)} with fullMatrices ${fullMatrices}; differentiate the reduced QR (fullMatrices: false) of the matrix, or of its transpose when it is wide`,
    );
}

/**
 * JAX's qr_jvp_rule (m ≥ n; complete QR only when square): with C = Qᵀ ȧ R⁻¹ and Ω = tril(C, −1) −
 * tril(C, −1)ᵀ, Q̇ = Q (Ω − C) + ȧ R⁻¹ and Ṙ = (C − Ω) R.
 */
function qrJvp([a]: T[], [da]: Tan[], { fullMatrices }: MultiPrimParams["qr"]): [T[], Tan[]] {
  const outs = lax.qr(a!, { fullMatrices });
  if (da === null) return [outs, none(outs)];
  qrDifferentiable(a!.aval, fullMatrices);
  const [q, r] = outs;
  const dxRinv = lax.triangularSolve(r!, da, {
    leftSide: false,
    lower: false,
    transposeA: false,
    unitDiagonal: false,
  });
  const c = matmul(mT(q!), dxRinv);
  const low = tril(c, -1);
  const omega = lax.sub(low, mT(low));
  return [outs, [lax.add(matmul(q!, lax.sub(omega, c)), dxRinv), matmul(lax.sub(c, omega), r!)]];
}

/**
 * qr's Taylor series: with B_k = A_k − Σ_{0<j<k} C(k, j) Q_j R_{k−j} = Q_0 R_k + Q_k R_0 and, from QᵀQ = I,
 * Ω + Ωᵀ = −S for Ω = Q_0ᵀ Q_k and S = Σ_{0<j<k} C(k, j) Q_jᵀ Q_{k−j}: with C = Q_0ᵀ B_k R_0⁻¹ (whose strictly
 * lower triangle is Ω's, R_k R_0⁻¹ being upper), Ω = tril(C, −1) − tril(C, −1)ᵀ − (triu(S, 1) + diag(S)/2),
 * R_k = (C − Ω) R_0 and Q_k = B_k R_0⁻¹ − Q_0 (C − Ω): the JVP's formulas when S = 0.
 */
function qrSeries(
  [a]: T[],
  [u]: (Series | null)[],
  { fullMatrices }: MultiPrimParams["qr"],
  order: number,
): [T[], (Series | null)[]] {
  const outs = lax.qr(a!, { fullMatrices });
  if (u === null || u === undefined || u.isConstant) return [outs, none(outs)];
  qrDifferentiable(a!.aval, fullMatrices);
  const [q0, r0] = outs as [T, T];
  const steps: { q: Tan; r: Tan }[] = [];
  const step = (k: number): { q: Tan; r: Tan } => {
    const known = steps[k];
    if (known !== undefined) return known;
    const ak = u.term(k);
    let b: Tan = ak && full(ak, a!.aval);
    let sm: Tan = null;
    for (let j = 1; j < k; j++) {
      const qt = q.term(j);
      if (qt === null) continue;
      const qj = full(qt, q0.aval);
      const qkj = q.term(k - j);
      const rkj = r.term(k - j);
      if (rkj) b = subT(b, scale(matmul(qj, full(rkj, r0.aval)), binom(k, j)));
      if (qkj) {
        const p = scale(matmul(mT(qj), full(qkj, q0.aval)), binom(k, j));
        sm = sm === null ? p : lax.add(sm, p);
      }
    }
    let res: { q: Tan; r: Tan };
    if (b === null && sm === null) res = { q: null, r: null };
    else {
      const bk = b ?? lax.zerosLike(a!);
      const bRinv = lax.triangularSolve(r0, bk, {
        leftSide: false,
        lower: false,
        transposeA: false,
        unitDiagonal: false,
      });
      const c = matmul(mT(q0), bRinv);
      const low = tril(c, -1);
      let omega = lax.sub(low, mT(low));
      if (sm !== null)
        omega = lax.sub(
          omega,
          masked(sm, (i, j) => (i < j ? 1 : i === j ? 0.5 : 0)),
        );
      const cw = lax.sub(c, omega);
      res = { q: lax.sub(bRinv, matmul(q0, cw)), r: matmul(cw, r0) };
    }
    steps[k] = res;
    return res;
  };
  const q: Series = Series.sequential(order, q0.aval, q0, (k) => step(k).q);
  const r: Series = Series.sequential(order, r0.aval, r0, (k) => step(k).r);
  return [outs, [q, r]];
}

/**
 * eigh's JVP: with S = Vᵀ ȧ V (ȧ symmetrized, (ȧ + ȧᵀ)/2, as cholesky's and JAX's: gradients are symmetric
 * although the kernel reads one triangle), ẇ = diag(S) and
 * V̇ = V (F ∘ S), F_ij = 1/(w_j − w_i) off the diagonal and 0 on it — infinite at a repeated eigenvalue.
 */
function eighJvp([a]: T[], [da]: Tan[], { lower }: MultiPrimParams["eigh"]): [T[], Tan[]] {
  const outs = lax.eigh(a!, { lower });
  if (da === null) return [outs, none(outs)];
  const [v, w] = outs;
  const n = dims(a!.aval).n;
  const s = matmul(matmul(mT(v!), sym(da)), v!);
  const i = eye(a!, n);
  const f = lax.sub(
    lax.div(lax.scalarLike(a!, 1), lax.add(lax.sub(spread(w!, n, true), spread(w!, n, false)), i)),
    i,
  );
  return [outs, [matmul(v!, lax.mul(f, s)), diagonal(s)]];
}

/**
 * eigh's Taylor series: A V = V W and VᵀV = I give, for Ω = V_0ᵀ V_k (so V_k = V_0 Ω) and
 * M = Σ_{j=1}^{k} C(k, j) V_0ᵀ A_j V_{k−j} − Σ_{0<j<k} C(k, j) V_0ᵀ V_j W_{k−j} (A_j symmetrized, as the JVP),
 * M = Ω W_0 − W_0 Ω + W_k: w_k = diag(M), Ω = F ∘ M off the diagonal (F as the JVP's) and −S/2 on it, where
 * S = Σ_{0<j<k} C(k, j) V_jᵀ V_{k−j} (from the k-th derivative of VᵀV = I).
 */
function eighSeries(
  [a]: T[],
  [u]: (Series | null)[],
  { lower }: MultiPrimParams["eigh"],
  order: number,
): [T[], (Series | null)[]] {
  const outs = lax.eigh(a!, { lower });
  if (u === null || u === undefined || u.isConstant) return [outs, none(outs)];
  const [v0, w0] = outs as [T, T];
  const n = dims(a!.aval).n;
  const f = once(() => {
    const i = eye(a!, n);
    return lax.sub(
      lax.div(lax.scalarLike(a!, 1), lax.add(lax.sub(spread(w0, n, true), spread(w0, n, false)), i)),
      i,
    );
  });
  const v0t = once(() => mT(v0));
  const steps: { v: Tan; w: Tan }[] = [];
  const step = (k: number): { v: Tan; w: Tan } => {
    const known = steps[k];
    if (known !== undefined) return known;
    let m: Tan = null;
    let sm: Tan = null;
    const plus = (x: Tan, y: T) => (x === null ? y : lax.add(x, y));
    for (let j = 1; j <= k; j++) {
      const aj = u.term(j);
      const vkj = k === j ? v0 : v.term(k - j);
      if (aj && vkj)
        m = plus(m, scale(matmul(v0t(), matmul(sym(full(aj, a!.aval)), full(vkj, v0.aval))), binom(k, j)));
      if (j === k) break;
      const vj = v.term(j);
      const wkj = w.term(k - j);
      if (vj && wkj) {
        const vtv = matmul(v0t(), full(vj, v0.aval));
        m = subT(m, scale(lax.mul(vtv, spread(full(wkj, w0.aval), n, true)), binom(k, j)));
      }
      if (vj && vkj) sm = plus(sm, scale(matmul(mT(full(vj, v0.aval)), full(vkj, v0.aval)), binom(k, j)));
    }
    let res: { v: Tan; w: Tan };
    if (m === null && sm === null) res = { v: null, w: null };
    else {
      let omega: Tan = m && lax.mul(f(), m);
      if (sm !== null)
        omega = subT(
          omega,
          masked(sm, (i, j) => (i === j ? 0.5 : 0)),
        );
      res = { v: matmul(v0, omega!), w: m && diagonal(m) };
    }
    steps[k] = res;
    return res;
  };
  const v: Series = Series.sequential(order, v0.aval, v0, (k) => step(k).v);
  const w: Series = Series.sequential(order, w0.aval, w0, (k) => step(k).w);
  return [outs, [v, w]];
}

/**
 * JAX's svd_jvp_rule for real matrices (thin factors; full ones only when square): with S = Uᵀ ȧ V,
 * ṡ = diag(S), F_ij = 1/(s_j² − s_i²) off the diagonal (0 where the difference is 0),
 * U̇ = U (F ∘ (S Σ + Σ Sᵀ)) + (I − U Uᵀ) ȧ V Σ⁻¹ and V̇ = V (F ∘ (Σ S + Sᵀ Σ)) + (I − V Vᵀ) ȧᵀ U Σ⁻¹.
 */
function svdJvp([a]: T[], [da]: Tan[], { fullMatrices, computeUv }: MultiPrimParams["svd"]): [T[], Tan[]] {
  const outs = lax.svd(a!, { fullMatrices, computeUv });
  if (da === null) return [outs, none(outs)];
  const { m, n, k } = dims(a!.aval);
  if (computeUv && fullMatrices && m !== n)
    throw new ValueError(
      `svd: the derivative of the full u and vh of a non-square matrix is not defined here (shape ${fmtShape(a!.aval.shape)}); differentiate the thin SVD (fullMatrices: false), or the singular values alone (computeUv: false)`,
    );
  const [s, u, vh] = computeUv ? outs : lax.svd(a!, { fullMatrices: false, computeUv: true });
  const ut = mT(u!);
  const v = mT(vh!);
  const dS = matmul(matmul(ut, da), v);
  const ds = diagonal(dS);
  if (!computeUv) return [outs, [ds]];
  const dtype = a!.aval.dtype;
  const sRow = spread(s!, k, true); // [i][j] = s_j
  const sCol = spread(s!, k, false); // [i][j] = s_i
  const diffs = lax.mul(lax.add(sRow, sCol), lax.sub(sRow, sCol));
  const zeros = lax.convert(lax.eq(diffs, lax.scalarLike(diffs, 0)), dtype);
  const f = lax.sub(lax.div(lax.scalarLike(a!, 1), lax.add(diffs, zeros)), zeros);
  const dSS = lax.mul(sRow, dS);
  const SdS = lax.mul(sCol, dS);
  let du = matmul(u!, lax.mul(f, lax.add(dSS, mT(dSS))));
  let dv = matmul(v, lax.mul(f, lax.add(SdS, mT(SdS))));
  if (m > n) {
    const dAV = matmul(da, v);
    du = lax.add(du, lax.div(lax.sub(dAV, matmul(u!, matmul(ut, dAV))), spread(s!, m, true)));
  }
  if (n > m) {
    const dAU = matmul(mT(da), u!);
    dv = lax.add(dv, lax.div(lax.sub(dAU, matmul(v, matmul(vh!, dAU))), spread(s!, n, true)));
  }
  return [outs, [ds, du, mT(dv)]];
}

function luShape([a]: readonly Aval[]): Aval[] {
  floatMatrix("lu", "matrix", a!);
  const { lead, m, k } = dims(a!);
  return [out([...a!.shape], a!.dtype), out([...lead, k], "int32"), out([...lead, m], "int32")];
}

function qrShape([a]: readonly Aval[], { fullMatrices }: MultiPrimParams["qr"]): Aval[] {
  floatMatrix("qr", "matrix", a!);
  const { lead, m, n, k } = dims(a!);
  const c = fullMatrices ? m : k;
  return [out([...lead, m, c], a!.dtype), out([...lead, c, n], a!.dtype)];
}

function eighShape([a]: readonly Aval[]): Aval[] {
  const n = squareMatrix("eigh", "matrix", a!);
  const { lead } = dims(a!);
  return [out([...lead, n, n], a!.dtype), out([...lead, n], a!.dtype)];
}

function svdShape([a]: readonly Aval[], { fullMatrices, computeUv }: MultiPrimParams["svd"]): Aval[] {
  floatMatrix("svd", "matrix", a!);
  const { lead, m, n, k } = dims(a!);
  const s = out([...lead, k], a!.dtype);
  if (!computeUv) return [s];
  return [
    s,
    out([...lead, m, fullMatrices ? m : k], a!.dtype),
    out([...lead, fullMatrices ? n : k, n], a!.dtype),
  ];
}

const multiRule = <P extends KernelMultiPrim>(
  p: P,
  shape: MultiRule<MultiPrimParams[P]>["shape"],
  jvp: MultiRule<MultiPrimParams[P]>["jvp"],
  jet: MultiRule<MultiPrimParams[P]>["jet"] = null,
): MultiRule<MultiPrimParams[P]> => ({ shape, jvp, vmap: batchFront(p), jet });

/**
 * The decompositions with several outputs. lu, qr and eigh have Taylor rules of their own; svd's series come
 * from nested forward mode (jet: null). Integer outputs (lu's pivots and permutation) get no tangent.
 */
export const LINALG_MULTI: MultiFamilyRules<KernelMultiPrim> = {
  lu: multiRule("lu", luShape, luJvp, luSeries),
  qr: multiRule("qr", qrShape, qrJvp, qrSeries),
  eigh: multiRule("eigh", eighShape, eighJvp, eighSeries),
  svd: multiRule("svd", svdShape, svdJvp),
};
