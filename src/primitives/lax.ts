// The primitive-level API (like jax.lax): one thin typed wrapper per primitive, plus constants.
// Derivative, batching and transpose rules are written with these, so they are differentiable themselves.
import { allocate, type DType } from "../core/dtype.js";
import { ValueError } from "../core/errors.js";
import { NO_PARAMS, type PrimParams } from "../core/primitives.js";
import { invertPerm, range, type Shape, shapesEqual } from "../core/shape.js";
import { type Aval, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { bind, bindMulti } from "../core/trace.js";
import type { BinaryPrim, ComparePrim } from "./binary.js";
import type { TriangularSolveParams } from "./linalg-kernels.js";
import type { UnaryPrim } from "./unary.js";

const u = (p: UnaryPrim) => (x: Tensor) => bind(p, [x], NO_PARAMS);
const b = (p: BinaryPrim | ComparePrim) => (x: Tensor, y: Tensor) => bind(p, [x, y], NO_PARAMS);

export const neg = u("neg");
export const sign = u("sign");
export const floor = u("floor");
export const ceil = u("ceil");
export const round = u("round");
export const abs = u("abs");
export const exp = u("exp");
export const log = u("log");
export const expm1 = u("expm1");
export const log1p = u("log1p");
export const sqrt = u("sqrt");
export const sin = u("sin");
export const cos = u("cos");
export const tan = u("tan");
export const asin = u("asin");
export const acos = u("acos");
export const atan = u("atan");
export const sinh = u("sinh");
export const cosh = u("cosh");
export const tanh = u("tanh");
export const logistic = u("logistic");
export const erf = u("erf");
export const stopGradient = u("stop_gradient");
export const erfc = u("erfc");
export const erfinv = u("erfinv");
export const lgamma = u("lgamma");
export const digamma = u("digamma");

export const add = b("add");
export const sub = b("sub");
export const mul = b("mul");
export const div = b("div");
export const pow = b("pow");
export const max = b("max");
export const min = b("min");
export const atan2 = b("atan2");
/** ψ⁽ⁿ⁾(x): polygamma(n, x), the n-th derivative of digamma (n a whole number ≥ 0; constant in n, as floor is). */
export const polygamma = b("polygamma");
export const eq = b("eq");
export const ne = b("ne");
export const lt = b("lt");
export const le = b("le");
export const gt = b("gt");
export const ge = b("ge");

/** where(pred, onTrue, onFalse). */
export const select = (pred: Tensor, onTrue: Tensor, onFalse: Tensor): Tensor =>
  bind("select_n", [pred, onFalse, onTrue], NO_PARAMS);

export const convert = (x: Tensor, dtype: DType, weak = false): Tensor =>
  x.aval.dtype === dtype && x.aval.weak === weak ? x : bind("convert_element_type", [x], { dtype, weak });

const reducer =
  (p: "reduce_sum" | "reduce_max" | "reduce_min" | "reduce_prod") => (x: Tensor, axes: readonly number[]) =>
    axes.length === 0 ? x : bind(p, [x], { axes: [...axes] });
export const reduceSum = reducer("reduce_sum");
export const reduceMax = reducer("reduce_max");
export const reduceMin = reducer("reduce_min");
export const reduceProd = reducer("reduce_prod");
export const argmax = (x: Tensor, axis: number) => bind("argmax", [x], { axis });
export const argmin = (x: Tensor, axis: number) => bind("argmin", [x], { axis });
export const cumsum = (x: Tensor, axis: number, reverse = false) => bind("cumsum", [x], { axis, reverse });

export const dotGeneral = (x: Tensor, y: Tensor, params: PrimParams["dot_general"]) =>
  bind("dot_general", [x, y], params);

export const reshape = (x: Tensor, shape: Shape) =>
  shapesEqual(x.aval.shape, shape) ? x : bind("reshape", [x], { shape: [...shape] });
export const broadcastInDim = (x: Tensor, shape: Shape, broadcastDims: readonly number[]) =>
  shapesEqual(x.aval.shape, shape)
    ? x
    : bind("broadcast_in_dim", [x], { shape: [...shape], broadcastDims: [...broadcastDims] });
export const transpose = (x: Tensor, perm: readonly number[]) =>
  perm.every((p, i) => p === i) ? x : bind("transpose", [x], { perm: [...perm] });
export const slice = (x: Tensor, start: readonly number[], limit: readonly number[]) =>
  start.every((s, i) => s === 0 && limit[i] === x.aval.shape[i])
    ? x
    : bind("slice", [x], { start: [...start], limit: [...limit] });
export const pad = (x: Tensor, lo: readonly number[], hi: readonly number[]) =>
  lo.every((l, i) => l === 0 && hi[i] === 0) ? x : bind("pad", [x], { lo: [...lo], hi: [...hi] });
export const concatenate = (xs: readonly Tensor[], axis: number) =>
  xs.length === 1 ? xs[0]! : bind("concatenate", xs, { axis });
export const rev = (x: Tensor, axes: readonly number[]) =>
  axes.length === 0 ? x : bind("rev", [x], { axes: [...axes] });
export const gather = (x: Tensor, indices: Tensor, axis: number, oob?: string) =>
  bind("gather", [x, indices], oob === undefined ? { axis } : { axis, oob });
export const scatterAdd = (updates: Tensor, indices: Tensor, axis: number, size: number) =>
  bind("scatter_add", [updates, indices], { axis, size });
/** Threefry-2x32 of int32[..., 2] counters under int32[..., 2] keys (leading axes broadcast). */
export const threefry2x32 = (key: Tensor, count: Tensor) => bind("threefry2x32", [key, count], NO_PARAMS);

/**
 * The lower Cholesky factor L of a [..., n, n] (a = L Lᵀ), reading only the lower triangle of a; its
 * derivative treats a as symmetric (the tangent is symmetrized, as in JAX). In eager evaluation a matrix
 * that is not positive definite raises a ValueError naming the batch index and the failing leading minor;
 * under jit (where values arrive only when the program runs) and under vmap the failing batch member comes
 * out NaN instead, as in JAX.
 */
export function cholesky(a: Tensor): Tensor {
  const l = bind("cholesky", [a], NO_PARAMS);
  if (a instanceof ConcreteTensor && l instanceof ConcreteTensor) checkPositiveDefinite(a, l);
  return l;
}

/** Raises for the first batch member whose factor is NaN though its lower triangle is finite. */
function checkPositiveDefinite(a: ConcreteTensor, l: ConcreteTensor): void {
  const s = a.aval.shape;
  const n = s[s.length - 1]!;
  const ad = a.data;
  const ld = l.data;
  for (let off = 0, b = 0; off < ld.length; off += n * n, b++) {
    if (!Number.isNaN(ld[off]!) && (n === 0 || !Number.isNaN(ld[off + n * n - 1]!))) continue;
    let finite = true;
    for (let i = 0; i < n && finite; i++)
      for (let j = 0; j <= i; j++) if (!Number.isFinite(ad[off + i * n + j]!)) finite = false;
    if (!finite) continue;
    // The failing order: the first k whose leading k×k minor has no Cholesky factor.
    let k = 1;
    const diag = new Float64Array(n * n);
    for (let j = 0; j < n; j++) {
      let d = ad[off + j * n + j]!;
      for (let q = 0; q < j; q++) d -= diag[j * n + q]! ** 2;
      if (!(d > 0)) {
        k = j + 1;
        break;
      }
      const ljj = Math.sqrt(d);
      diag[j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let t = ad[off + i * n + j]!;
        for (let q = 0; q < j; q++) t -= diag[i * n + q]! * diag[j * n + q]!;
        diag[i * n + j] = t / ljj;
      }
    }
    const where = s.length > 2 ? ` (batch index ${b} of ${s.slice(0, -2).join("×")})` : "";
    throw new ValueError(
      `cholesky: the ${a.aval.dtype}[${s.join(", ")}] matrix is not positive definite: the leading minor of order ${k}${where} is not positive; pass a symmetric positive-definite matrix (adding a small multiple of the identity regularizes a nearly singular one)`,
    );
  }
}

/**
 * x with op(a) x = b (leftSide) or x op(a) = b, op(a) = aᵀ when transposeA; a [..., n, n] reads only the
 * triangle `lower` names (and not its diagonal when unitDiagonal); b is [..., n, k] (left) or [..., k, n]
 * (right) with the same leading dims as a.
 */
export const triangularSolve = (a: Tensor, b: Tensor, params: TriangularSolveParams): Tensor =>
  bind("triangular_solve", [a, b], {
    leftSide: params.leftSide,
    lower: params.lower,
    transposeA: params.transposeA,
    unitDiagonal: params.unitDiagonal,
  });

/**
 * LU factorization with partial pivoting (LAPACK's getrf) of a [..., m, n]: `[lu, pivots, permutation]`,
 * lu holding unit L below the diagonal and U on and above it, pivots int32 [..., min(m, n)] (row i was
 * swapped with row pivots[i]) and permutation int32 [..., m] with a[permutation] = L U.
 */
export const lu = (a: Tensor): [Tensor, Tensor, Tensor] =>
  bindMulti("lu", [a], NO_PARAMS) as [Tensor, Tensor, Tensor];

/**
 * Householder QR of a [..., m, n]: `[q, r]`, q [..., m, k] and r [..., k, n] (k = min(m, n)), or q
 * [..., m, m] and r [..., m, n] with fullMatrices. R's diagonal has LAPACK's signs (not made positive).
 */
export const qr = (a: Tensor, { fullMatrices = false }: { fullMatrices?: boolean } = {}): [Tensor, Tensor] =>
  bindMulti("qr", [a], { fullMatrices }) as [Tensor, Tensor];

/**
 * The eigendecomposition of the symmetric a [..., n, n] given by its lower (default) or upper triangle:
 * `[v, w]`, eigenvectors as the columns of v and eigenvalues w [..., n] ascending, a v = v diag(w). Its
 * derivative treats a as symmetric (the tangent is symmetrized, as cholesky's and JAX's); the eigenvectors'
 * derivative is infinite or NaN at a repeated eigenvalue.
 */
export const eigh = (a: Tensor, { lower = true }: { lower?: boolean } = {}): [Tensor, Tensor] =>
  bindMulti("eigh", [a], { lower }) as [Tensor, Tensor];

export interface SvdParams {
  /** u [..., m, m] and vh [..., n, n] (true) or the thin u [..., m, k], vh [..., k, n] (default). */
  fullMatrices?: boolean;
  /** Whether u and vh are computed (default true). */
  computeUv?: boolean;
}

/**
 * The singular value decomposition a = u diag(s) vh of a [..., m, n]: `[s, u, vh]`, or `[s]` with
 * computeUv false; s [..., k] descending (k = min(m, n)).
 */
export function svd(a: Tensor, params?: SvdParams & { computeUv?: true }): [Tensor, Tensor, Tensor];
export function svd(a: Tensor, params: SvdParams & { computeUv: false }): [Tensor];
export function svd(a: Tensor, params?: SvdParams): [Tensor] | [Tensor, Tensor, Tensor];
export function svd(
  a: Tensor,
  { fullMatrices = false, computeUv = true }: SvdParams = {},
): [Tensor] | [Tensor, Tensor, Tensor] {
  return bindMulti("svd", [a], { fullMatrices, computeUv }) as [Tensor] | [Tensor, Tensor, Tensor];
}

/** Broadcasts `x` to `shape` with NumPy's right-aligned rule. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const off = shape.length - x.aval.shape.length;
  return broadcastInDim(x, shape, range(x.aval.shape.length, off));
}

/** Moves dimension `from` of `x` to position `to`. */
export function moveAxis(x: Tensor, from: number, to: number): Tensor {
  if (from === to) return x;
  const perm = range(x.aval.shape.length).filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transpose(x, perm);
}

export { invertPerm };

/** A concrete scalar with the dtype (and weak flag) of `like`. */
export function scalarLike(like: Aval | Tensor, value: number): ConcreteTensor {
  const a = "aval" in like ? like.aval : like;
  const data = allocate(a.dtype, 1);
  data[0] = value;
  return new ConcreteTensor(data, { shape: [], dtype: a.dtype, weak: a.weak });
}

/** A concrete tensor of `aval`'s shape and dtype filled with `value`. */
export function fullAval(a: Aval, value: number): ConcreteTensor {
  const data = allocate(
    a.dtype,
    a.shape.reduce((n, d) => n * d, 1),
  );
  if (value !== 0) data.fill(value);
  return new ConcreteTensor(data, { shape: [...a.shape], dtype: a.dtype, weak: a.weak });
}

/** A concrete int32 vector [0, 1, ..., n−1]. */
export function fullIota(n: number): ConcreteTensor {
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  return new ConcreteTensor(data, { shape: [n], dtype: "int32", weak: false });
}

export const zerosLike = (x: Aval | Tensor): ConcreteTensor => fullAval("aval" in x ? x.aval : x, 0);
