// Norms and matrix functions: norm, cond, matrixPower, expm. No derivative code: each differentiates through
// the primitives it is made of.
// biome-ignore-all lint/complexity/noArguments: each function compares its argument count with the most it takes
import { fmtShape, ShapeError, ValueError } from "../core/errors.js";
import { normalizeAxis, range } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { cond as laxCond } from "../ops/control.js";
import { scan } from "../ops/loops.js";
import { boolArg, describeValue, extraArgument, optionsArg, type TensorLike } from "../ops/util.js";
import * as lax from "../primitives/lax.js";
import { luSolveCore } from "./decompositions.js";
import { factorNonsingular } from "./solve.js";
import { checkFinite, dims, eye, floatTensor, matrixArg, mm, opName, readValues, scalar } from "./util.js";

export type NormOrd = number | "fro" | "nuc";

export interface LinalgNormOptions {
  /**
   * Vector norms (one axis): any number (Σ|x|^p)^(1/p), Infinity (max |x|), -Infinity (min |x|), 0 (the count
   * of non-zeros). Matrix norms (two axes): "fro", "nuc", 1, -1, 2, -2, Infinity, -Infinity.
   */
  ord?: NormOrd | null;
  /** One axis (a vector norm) or two (a matrix norm); by default all axes of a 1-D or 2-D x. */
  axis?: number | readonly number[] | null;
  /** Keep the reduced axes with size 1 (default false). */
  keepdims?: boolean;
}

/** An ord as the user wrote it: "fro", 3, Infinity. */
const showOrd = (ord: unknown): string =>
  typeof ord === "string" ? JSON.stringify(ord) : typeof ord === "number" ? String(ord) : describeValue(ord);

/** |x| summed over `axis` with the axis kept (size 1). */
const absSum = (x: Tensor, axis: number) => keepAxis(lax.reduceSum(lax.abs(x), [axis]), x, axis);
const keepAxis = (r: Tensor, x: Tensor, axis: number) =>
  lax.reshape(
    r,
    x.aval.shape.map((d, i) => (i === axis ? 1 : d)),
  );

/** The vector norm of `ord` over `axis` of x, the axis kept with size 1. */
function vectorNorm(op: string, x: Tensor, ord: NormOrd, axis: number): Tensor {
  if (typeof ord !== "number" || Number.isNaN(ord))
    throw new ValueError(
      `${op}: ord ${showOrd(ord)} is a matrix norm; over one axis ord must be a number (2, 1, Infinity, -Infinity, 0, any p)`,
    );
  const a = lax.abs(x);
  if (ord === Number.POSITIVE_INFINITY || ord === Number.NEGATIVE_INFINITY) {
    if (x.aval.shape[axis] === 0)
      throw new ValueError(
        `${op}: cannot take the ${ord}-norm of an empty axis (shape ${fmtShape(x.aval.shape)})`,
      );
    const r = ord > 0 ? lax.reduceMax(a, [axis]) : lax.reduceMin(a, [axis]);
    return keepAxis(r, x, axis);
  }
  if (ord === 0) {
    const nz = lax.convert(lax.ne(x, lax.zerosLike(x)), x.aval.dtype, false);
    return keepAxis(lax.reduceSum(nz, [axis]), x, axis);
  }
  if (ord === 1) return absSum(x, axis);
  if (ord === 2) return lax.sqrt(keepAxis(lax.reduceSum(lax.mul(x, x), [axis]), x, axis));
  const p = scalar(x, ord);
  const s = keepAxis(lax.reduceSum(lax.pow(a, lax.broadcastTo(p, a.aval.shape)), [axis]), x, axis);
  return lax.pow(s, lax.broadcastTo(scalar(x, 1 / ord), s.aval.shape));
}

/** The singular values of x over axes (r, c), moved last: [..., min] with the other axes in order. */
function svdvalsOver(x: Tensor, r: number, c: number): Tensor {
  const nd = x.aval.shape.length;
  const perm = [...range(nd).filter((i) => i !== r && i !== c), r, c];
  return lax.svd(lax.transpose(x, perm), { fullMatrices: false, computeUv: false })[0]!;
}

/** The matrix norm of `ord` over axes (r, c), both kept with size 1. */
function matrixNorm(op: string, x: Tensor, ord: NormOrd, r: number, c: number): Tensor {
  const kept = x.aval.shape.map((d, i) => (i === r || i === c ? 1 : d));
  const [m, n] = [x.aval.shape[r]!, x.aval.shape[c]!];
  // the maximum or minimum over an empty axis has no value (NumPy raises too)
  const empty =
    ord === 2 || ord === -2
      ? m * n === 0
      : ord === 1 || ord === -1
        ? n === 0
        : Math.abs(ord as number) === Infinity && m === 0;
  if (empty)
    throw new ValueError(
      `${op}: the ${showOrd(ord)}-norm of an empty ${m}×${n} matrix has no value (shape ${fmtShape(x.aval.shape)})`,
    );
  if (ord === "fro") return lax.sqrt(lax.reshape(lax.reduceSum(lax.mul(x, x), [r, c].sort()), kept));
  if (ord === 1 || ord === -1) {
    const cols = absSum(x, r);
    const e = ord > 0 ? lax.reduceMax(cols, [c]) : lax.reduceMin(cols, [c]);
    return lax.reshape(e, kept);
  }
  if (ord === Number.POSITIVE_INFINITY || ord === Number.NEGATIVE_INFINITY) {
    const rows = absSum(x, c);
    const e = ord > 0 ? lax.reduceMax(rows, [r]) : lax.reduceMin(rows, [r]);
    return lax.reshape(e, kept);
  }
  if (ord === 2 || ord === -2 || ord === "nuc") {
    const s = svdvalsOver(x, r, c);
    const last = s.aval.shape.length - 1;
    const e =
      ord === "nuc"
        ? lax.reduceSum(s, [last])
        : ord === 2
          ? lax.reduceMax(s, [last])
          : lax.reduceMin(s, [last]);
    return lax.reshape(e, kept);
  }
  throw new ValueError(
    `${op}: ord ${showOrd(ord)} is not a matrix norm; over two axes ord is "fro", "nuc", 1, -1, 2, -2, Infinity or -Infinity`,
  );
}

/**
 * Vector and matrix norms with NumPy's rules: over one axis a vector norm of any order, over two axes a
 * matrix norm ("fro", "nuc", 1, -1, 2, -2, Infinity, -Infinity); with no axis, a 1-D x takes a vector norm and
 * a 2-D x a matrix norm, and with neither ord nor axis the 2-norm of x flattened.
 * @example `nb.linalg.norm([[1, 2], [3, 4]], { ord: 1 }).item(); // 6`
 */
export function norm(x: TensorLike, options?: LinalgNormOptions): Tensor {
  const op = opName("norm");
  if (arguments.length > 2) extraArgument(op, "x, options?", arguments[2], arguments.length);
  const o = optionsArg(
    op,
    options,
    ["ord", "axis", "keepdims"],
    'nb.linalg.norm(x, { ord: "fro", axis: [0, 1] })',
  );
  const keepdims = boolArg(op, "keepdims", o.keepdims);
  const t = floatTensor(op, x, "the first argument");
  const shape = t.aval.shape;
  const nd = shape.length;
  const ord = o.ord ?? undefined; // null as NumPy's None: the default
  if (ord !== undefined && typeof ord !== "number" && ord !== "fro" && ord !== "nuc")
    throw new ValueError(
      `${op}: ord must be a number, Infinity, -Infinity, "fro" or "nuc", got ${describeValue(ord)}`,
    );
  let axes: number[];
  if (o.axis === undefined || o.axis === null) {
    if (ord === undefined) {
      // the 2-norm of x flattened (Frobenius for a matrix)
      const all = range(nd);
      const r = lax.sqrt(lax.reduceSum(lax.mul(t, t), all));
      return keepdims
        ? lax.reshape(
            r,
            shape.map(() => 1),
          )
        : r;
    }
    if (nd !== 1 && nd !== 2)
      throw new ShapeError(
        `${op}: with ord and no axis, x must be 1-D or 2-D, got shape ${fmtShape(shape)}; give the axis (one for a vector norm, two for a matrix norm)`,
      );
    axes = range(nd);
  } else {
    const list = typeof o.axis === "number" ? [o.axis] : Array.isArray(o.axis) ? [...o.axis] : null;
    if (list === null || list.length === 0 || list.length > 2 || list.some((a) => !Number.isInteger(a)))
      throw new ValueError(`${op}: axis must be one integer or two, got ${describeValue(o.axis)}`);
    axes = list.map((a) => normalizeAxis(op, a, nd));
    if (axes.length === 2 && axes[0] === axes[1])
      throw new ValueError(`${op}: the two axes of a matrix norm must differ, got ${describeValue(o.axis)}`);
  }
  const out =
    axes.length === 1
      ? vectorNorm(op, t, ord ?? 2, axes[0]!)
      : matrixNorm(op, t, ord ?? "fro", axes[0]!, axes[1]!);
  return keepdims
    ? out
    : lax.reshape(
        out,
        shape.filter((_, i) => !axes.includes(i)),
      );
}

/**
 * The condition number of matrices [..., m, n] in the norm `ord`: s_max/s_min for 2 (the default) and −2 (its
 * inverse), otherwise ‖a‖·‖a⁻¹‖ for square a ("fro", "nuc", 1, -1, Infinity, -Infinity). Infinity for a
 * singular matrix, as NumPy.
 * @example `nb.linalg.cond([[1, 0], [0, 4]]).item(); // 4`
 */
export function cond(a: TensorLike, ord: NormOrd | null = 2): Tensor {
  const op = opName("cond");
  if (arguments.length > 2) extraArgument(op, "a, ord?", arguments[2], arguments.length);
  const order = ord ?? 2; // null as NumPy's None: the 2-norm
  const x = matrixArg(op, a, "the matrix a", false);
  const nd = x.aval.shape.length;
  if (order === 2 || order === -2) {
    const s = lax.svd(x, { fullMatrices: false, computeUv: false })[0]!;
    const hi = lax.reduceMax(s, [nd - 2]);
    const lo = lax.reduceMin(s, [nd - 2]);
    return order === 2 ? lax.div(hi, lo) : lax.div(lo, hi);
  }
  if (
    !(
      order === "fro" ||
      order === "nuc" ||
      order === 1 ||
      order === -1 ||
      order === Infinity ||
      order === -Infinity
    )
  )
    throw new ValueError(
      `${op}: ord must be 2, -2, "fro", "nuc", 1, -1, Infinity or -Infinity, got ${describeValue(order)}`,
    );
  matrixArg(op, x, "the matrix a");
  const { batch, n } = dims(x);
  const [f, , perm] = lax.lu(x);
  const ainv = luSolveCore(f, perm, eye(n, x.aval.dtype, batch), false);
  const r = lax.mul(matrixNorm(op, x, order, nd - 2, nd - 1), matrixNorm(op, ainv, order, nd - 2, nd - 1));
  const rs = lax.reshape(r, batch);
  // A singular matrix makes NaN (0·∞) or ∞ above: ∞, unless a itself holds NaN (as NumPy).
  const finiteA = lax.reduceMin(lax.convert(lax.eq(lax.sub(x, x), lax.zerosLike(x)), x.aval.dtype, false), [
    nd - 2,
    nd - 1,
  ]);
  const bad = lax.ne(rs, rs);
  const inf = lax.broadcastTo(scalar(x, Number.POSITIVE_INFINITY), rs.aval.shape);
  return lax.select(lax.select(bad, lax.gt(finiteA, lax.zerosLike(finiteA)), bad), inf, rs);
}

/**
 * a raised to the integer power n by repeated squaring (n = 0: the identity; n < 0: the power of the inverse,
 * a ValueError for a singular a).
 * @example `nb.linalg.matrixPower([[1, 1], [0, 1]], 3).toArray(); // [[1, 3], [0, 1]]`
 */
export function matrixPower(a: TensorLike, n: number): Tensor {
  const op = opName("matrixPower");
  if (arguments.length > 2) extraArgument(op, "a, n", arguments[2], arguments.length);
  const x = matrixArg(op, a);
  if (typeof n !== "number" || !Number.isInteger(n))
    throw new ValueError(`${op}: n must be an integer (a JavaScript number), got ${describeValue(n)}`);
  const { batch, n: size } = dims(x);
  if (n === 0) return eye(size, x.aval.dtype, batch);
  let base = n < 0 ? invNamed(op, x) : x;
  let k = Math.abs(n);
  let result: Tensor | null = null;
  while (k > 0) {
    if (k & 1) result = result === null ? base : mm(result, base);
    k = Math.floor(k / 2);
    if (k > 0) base = mm(base, base);
  }
  return result!;
}

/** The inverse with the singularity check naming `op`. */
function invNamed(op: string, x: Tensor): Tensor {
  const { batch, n } = dims(x);
  const { f, perm } = factorNonsingular(op, x);
  return luSolveCore(f, perm, eye(n, x.aval.dtype, batch), false);
}

// Padé coefficients b_0..b_m of degree m (Higham 2005, Table 2.3 and (2.10)).
const PADE: Record<number, number[]> = {
  3: [120, 60, 12, 1],
  5: [30240, 15120, 3360, 420, 30, 1],
  7: [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1],
  9: [17643225600, 8821612800, 2075673600, 302702400, 30270240, 2162160, 110880, 3960, 90, 1],
  13: [
    64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000, 10559470521600,
    670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1,
  ],
};
// θ_m: the largest 1-norm for which the Padé approximant of degree m is accurate to unit roundoff
// (Higham 2005, Table 2.3 for double; the single-precision values as JAX and SciPy use them).
const THETA64: [number, number][] = [
  [3, 1.495585217958292e-2],
  [5, 2.53939833006323e-1],
  [7, 9.504178996162932e-1],
  [9, 2.097847961257068],
  [13, 5.371920351148152],
];
const THETA32: [number, number][] = [
  [3, 4.258730016922831e-1],
  [5, 1.880152677804762],
  [7, 3.92572478313866],
];

/** The most squarings under jit or vmap, where their count is data: 1-norms up to θ·2^40 are handled. */
const MAX_SQUARINGS = 40;

/** U and V of the Padé approximant of degree m at A (exp(A) ≈ (V − U)⁻¹ (V + U)). */
function padeUV(A: Tensor, m: number): [Tensor, Tensor] {
  const b = PADE[m]!;
  const { batch, n } = dims(A);
  const I = eye(n, A.aval.dtype, batch);
  const c = (k: number, t: Tensor) => lax.mul(lax.broadcastTo(scalar(A, b[k]!), t.aval.shape), t);
  const add = (...ts: Tensor[]) => ts.reduce((s, t) => lax.add(s, t));
  const A2 = mm(A, A);
  if (m === 13) {
    const A4 = mm(A2, A2);
    const A6 = mm(A4, A2);
    const u1 = mm(A6, add(c(13, A6), c(11, A4), c(9, A2)));
    const U = mm(A, add(u1, c(7, A6), c(5, A4), c(3, A2), c(1, I)));
    const v1 = mm(A6, add(c(12, A6), c(10, A4), c(8, A2)));
    const V = add(v1, c(6, A6), c(4, A4), c(2, A2), c(0, I));
    return [U, V];
  }
  const powers = [I, A2];
  for (let k = 2; 2 * k <= m; k++) powers.push(mm(powers[k - 1]!, A2));
  const U = mm(A, add(...powers.map((p, k) => c(2 * k + 1, p))));
  const V = add(...powers.map((p, k) => c(2 * k, p)));
  return [U, V];
}

/** (V − U)⁻¹ (V + U) by LU (no singularity check: V − U is well conditioned for the norms used). */
function padeQuotient(U: Tensor, V: Tensor): Tensor {
  const [f, , perm] = lax.lu(lax.sub(V, U));
  return luSolveCore(f, perm, lax.add(V, U), false);
}

/**
 * The matrix exponential of square matrices [..., n, n]: Padé approximation with scaling and squaring
 * (Higham 2005). The 1-norm chooses the degree (3 to 13 in float64, 3 to 7 in float32) and the number s of
 * squarings: A is scaled by 2^−s so its norm is at most θ_m. When the values can be read (outside jit and
 * vmap, and under grad) both are chosen from them; inside jit or vmap the top degree is used with s computed
 * as data per matrix, and the squarings run as a loop of at most 40 conditional steps (nb.lax.scan over
 * nb.lax.cond), so 1-norms above θ·2⁴⁰ give NaN there.
 * @example `nb.linalg.expm([[0, 1], [0, 0]]).toArray(); // [[1, 1], [0, 1]]`
 */
export function expm(a: TensorLike): Tensor {
  const op = opName("expm");
  if (arguments.length > 1) extraArgument(op, "a", arguments[1], arguments.length);
  const x = matrixArg(op, a);
  checkFinite(op, x, "the matrix a");
  const { batch, n, nd } = dims(x);
  if (n === 0) return x;
  const thetas = x.aval.dtype === "float64" ? THETA64 : THETA32;
  const [topDegree, topTheta] = thetas[thetas.length - 1]!;
  // The 1-norm per matrix (the largest column sum of |A|), without derivative: it only picks the scheme.
  const norm1 = lax.stopGradient(lax.reduceMax(lax.reduceSum(lax.abs(x), [nd - 2]), [nd - 2]));
  // s per matrix: max(0, ⌈log2(‖A‖₁/θ)⌉)
  const sOf = (t: Tensor): Tensor => {
    const ratio = lax.div(t, lax.broadcastTo(scalar(t, topTheta), t.aval.shape));
    const l2 = lax.div(lax.log(ratio), lax.broadcastTo(scalar(t, Math.LN2), t.aval.shape));
    return lax.max(lax.ceil(l2), lax.zerosLike(t));
  };
  const scaleBy = (s: Tensor): Tensor => {
    const two = lax.broadcastTo(scalar(x, 2), s.aval.shape);
    const f = lax.pow(two, lax.neg(s));
    return lax.mul(x, lax.broadcastInDim(f, x.aval.shape, range(batch.length)));
  };
  const known = readValues(norm1);
  if (known !== null) {
    const norms = Array.from(known.data);
    const biggest = norms.reduce((m, v) => Math.max(m, v), 0);
    const small = thetas.find(([, th]) => biggest <= th);
    if (small !== undefined) {
      const [U, V] = padeUV(x, small[0]);
      return padeQuotient(U, V);
    }
    const s = sOf(norm1);
    const sv = readValues(s)!.data;
    const steps = Array.from(sv).reduce((m, v) => Math.max(m, v), 0);
    const [U, V] = padeUV(scaleBy(s), topDegree);
    let R = padeQuotient(U, V);
    for (let i = 0; i < steps; i++) {
      const sq = mm(R, R);
      if (batch.length === 0 || sv.every((v) => v > i)) R = sq;
      else {
        const more = lax.broadcastInDim(
          lax.gt(s, lax.broadcastTo(scalar(s, i), s.aval.shape)),
          R.aval.shape,
          range(batch.length),
        );
        R = lax.select(more, sq, R);
      }
    }
    return R;
  }
  // Inside jit or vmap: s as data, the squarings as a bounded loop of conditional steps.
  const s = sOf(norm1);
  const [U, V] = padeUV(scaleBy(s), topDegree);
  const R0 = padeQuotient(U, V);
  const sMax = batch.length === 0 ? s : lax.reduceMax(s, range(batch.length));
  const steps = lax.convert(lax.fullIota(MAX_SQUARINGS), x.aval.dtype, false);
  const [R] = scan(
    (R: Tensor, i: Tensor) => {
      const next = laxCond(
        lax.lt(i, sMax),
        (r: Tensor) => {
          const sq = mm(r, r);
          if (batch.length === 0) return sq;
          const more = lax.broadcastInDim(
            lax.lt(lax.broadcastTo(i, s.aval.shape), s),
            r.aval.shape,
            range(batch.length),
          );
          return lax.select(more, sq, r);
        },
        (r: Tensor) => r,
        R,
      ) as Tensor;
      return [next, null];
    },
    R0,
    steps,
  ) as [Tensor, unknown];
  const tooBig = lax.broadcastInDim(
    lax.gt(s, lax.broadcastTo(scalar(s, MAX_SQUARINGS), s.aval.shape)),
    R.aval.shape,
    range(batch.length),
  );
  return lax.select(tooBig, lax.broadcastTo(scalar(x, Number.NaN), R.aval.shape), R);
}
