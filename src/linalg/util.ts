// Shared pieces of nb.linalg: argument checks that name the function, the argument and the shape; batched
// matrix helpers written with lax wrappers; and the reading of values for the eager checks.
import { type DType, isFloat } from "../core/dtype.js";
import { DTypeError, fmtShape, ShapeError, TraceError, ValueError } from "../core/errors.js";
import { broadcastShapes, range } from "../core/shape.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { asTensor, promoteNamed, type TensorLike } from "../ops/util.js";
import * as lax from "../primitives/lax.js";

/** The name a message gives a function of the namespace: "linalg.solve". */
export const opName = (name: string): string => `linalg.${name}`;

/** Integer and bool tensors become float32 (as other float ops); float32 and float64 stay. */
function toFloat(op: string, t: Tensor, name: string): Tensor {
  const d = t.aval.dtype;
  if (isFloat(d)) return t;
  if (d === "int32" || d === "bool") return lax.convert(t, "float32", false);
  throw new DTypeError(`${op}: ${name} must be a float tensor (float32 or float64), got ${d}`);
}

/** A float tensor with at least `minDims` dimensions; `name` says which argument it is ("the matrix a"). */
export function floatTensor(op: string, x: TensorLike, name: string, minDims = 0): Tensor {
  const t = toFloat(op, asTensor(x, op, name), name);
  if (t.aval.shape.length < minDims)
    throw new ShapeError(
      `${op}: ${name} must have at least ${minDims} dimension${minDims === 1 ? "" : "s"}${minDims === 2 ? " (a matrix [..., m, n], batched over leading dimensions)" : ""}, got shape ${fmtShape(t.aval.shape)}`,
    );
  return t;
}

/** A matrix (batched over leading dimensions) [..., m, n]; `square` requires m = n. */
export function matrixArg(op: string, x: TensorLike, name = "the matrix a", square = true): Tensor {
  const t = floatTensor(op, x, name, 2);
  if (square) checkSquare(op, t, name);
  return t;
}

/** Refuses a non-square [..., m, n]. */
export function checkSquare(op: string, t: Tensor, name: string): void {
  const s = t.aval.shape;
  const m = s[s.length - 2]!;
  const n = s[s.length - 1]!;
  if (m !== n)
    throw new ShapeError(
      `${op}: ${name} must be square [..., n, n], got shape ${fmtShape(s)} (${m}×${n}); use linalg.lstsq or linalg.pinv for a non-square matrix`,
    );
}

/** Two float operands converted to one dtype (float64 if either is). */
export function floatPair(
  op: string,
  a: TensorLike,
  b: TensorLike,
  names: [string, string],
): [Tensor, Tensor] {
  const [x, y] = promoteNamed(op, [a, b], (i) => names[i]!);
  return [toFloat(op, x!, names[0]), toFloat(op, y!, names[1])];
}

/** The number of dimensions, the size of the last two and the batch shape of a matrix tensor. */
export function dims(t: Tensor): { batch: number[]; m: number; n: number; nd: number } {
  const s = t.aval.shape;
  return { batch: s.slice(0, -2), m: s[s.length - 2]!, n: s[s.length - 1]!, nd: s.length };
}

/** Swaps the last two axes. */
export function mT(x: Tensor): Tensor {
  const nd = x.aval.shape.length;
  return lax.transpose(x, [...range(nd - 2), nd - 1, nd - 2]);
}

/** a @ b for [..., m, k] and [..., k, n] with the same batch dimensions. */
export function mm(a: Tensor, b: Tensor): Tensor {
  const nd = a.aval.shape.length;
  const nb = nd - 2;
  return lax.dotGeneral(a, b, {
    lhsContract: [nb + 1],
    rhsContract: [nb],
    lhsBatch: range(nb),
    rhsBatch: range(nb),
  });
}

/** Broadcasts the batch dimensions of two matrix tensors against each other. */
export function broadcastBatch(op: string, a: Tensor, b: Tensor, names: [string, string]): [Tensor, Tensor] {
  const as = a.aval.shape;
  const bs = b.aval.shape;
  let batch: number[];
  try {
    batch = broadcastShapes(op, as.slice(0, -2), bs.slice(0, -2));
  } catch {
    throw new ShapeError(
      `${op}: the batch dimensions of ${names[0]} ${fmtShape(as)} and ${names[1]} ${fmtShape(bs)} cannot be broadcast together`,
    );
  }
  return [lax.broadcastTo(a, [...batch, ...as.slice(-2)]), lax.broadcastTo(b, [...batch, ...bs.slice(-2)])];
}

/** The identity [..., n, n] of `dtype` with the given batch shape. */
export function eye(n: number, dtype: DType, batch: readonly number[] = []): Tensor {
  const i = lax.fullIota(n);
  const mask = lax.eq(lax.reshape(i, [n, 1]), lax.reshape(i, [1, n]));
  const one = lax.convert(mask, dtype, false);
  return batch.length === 0 ? one : lax.broadcastTo(one, [...batch, n, n]);
}

/** The diagonal [..., k] of [..., m, n], k = min(m, n). */
export function diagonal(x: Tensor): Tensor {
  const { batch, m, n, nd } = dims(x);
  const k = Math.min(m, n);
  const sq = lax.slice(x, [...batch.map(() => 0), 0, 0], [...batch, k, k]);
  const i = lax.fullIota(k);
  const mask = lax.broadcastInDim(
    lax.eq(lax.reshape(i, [k, 1]), lax.reshape(i, [1, k])),
    [...batch, k, k],
    [nd - 2, nd - 1],
  );
  return lax.reduceSum(lax.select(mask, sq, lax.zerosLike(sq)), [nd - 1]);
}

/** The square matrices [..., n, n] with `v` [..., n] on the diagonal. */
export function diagEmbed(v: Tensor): Tensor {
  const s = v.aval.shape;
  const n = s[s.length - 1]!;
  const nd = s.length + 1;
  const shape = [...s.slice(0, -1), n, n];
  const i = lax.fullIota(n);
  const mask = lax.broadcastInDim(lax.eq(lax.reshape(i, [n, 1]), lax.reshape(i, [1, n])), shape, [
    nd - 2,
    nd - 1,
  ]);
  const full = lax.broadcastInDim(v, shape, [...range(nd - 2), nd - 1]);
  return lax.select(mask, full, lax.zerosLike({ ...v.aval, shape }));
}

/**
 * Row indices into b [..., n, k] flattened to [B·n, k]: perm [..., n] offset by n per batch member, as one
 * int32 vector [B·n] (a gather or scatter along axis 0 then moves whole rows, O(n·k) per matrix).
 */
function flatRows(perm: Tensor): { idx: Tensor; rows: number } {
  const ps = perm.aval.shape;
  const n = ps[ps.length - 1]!;
  const batch = ps.slice(0, -1);
  const count = batch.reduce((a, d) => a * d, 1);
  if (batch.length === 0) return { idx: perm, rows: n };
  const p2 = lax.reshape(perm, [count, n]);
  const base = lax.mul(lax.fullIota(count), lax.scalarLike(perm, n));
  const off = lax.add(p2, lax.broadcastInDim(base, [count, n], [0]));
  return { idx: lax.reshape(off, [count * n]), rows: count * n };
}

/** The rows of b [..., n, k] permuted: row i of the result is row perm[i] of b (perm int32 [..., n]). */
export function permuteRows(perm: Tensor, b: Tensor): Tensor {
  const bs = b.aval.shape;
  const k = bs[bs.length - 1]!;
  const { idx, rows } = flatRows(perm);
  return lax.reshape(lax.gather(lax.reshape(b, [rows, k]), idx, 0), bs);
}

/** The rows of b [..., n, k] put back: row perm[i] of the result is row i of b (the inverse of permuteRows). */
export function unpermuteRows(perm: Tensor, b: Tensor): Tensor {
  const bs = b.aval.shape;
  const k = bs[bs.length - 1]!;
  const { idx, rows } = flatRows(perm);
  return lax.reshape(lax.scatterAdd(lax.reshape(b, [rows, k]), idx, 0, rows), bs);
}

/**
 * The values of `t` when they can be read here: outside every transformation, and under grad, jvp and
 * jacobians (where the value without its derivative is read); `null` inside jit, vmap and staged programs,
 * where the values do not exist yet. The eager checks (singular, not positive definite) run on these.
 */
export function readValues(t: Tensor): ConcreteTensor | null {
  if (t instanceof ConcreteTensor) return t;
  try {
    const v = lax.stopGradient(t);
    return v instanceof ConcreteTensor ? v : v.concrete();
  } catch (e) {
    if (e instanceof TraceError) return null;
    throw e;
  }
}

/** The position of batch element `b` in `batch` as an index the user writes: "[1, 0]"; "" for no batch. */
export function batchIndex(batch: readonly number[], b: number): string {
  if (batch.length === 0) return "";
  const idx: number[] = [];
  let r = b;
  for (let i = batch.length - 1; i >= 0; i--) {
    idx.unshift(r % batch[i]!);
    r = Math.floor(r / batch[i]!);
  }
  return ` of batch [${idx.join(", ")}]`;
}

/**
 * Refuses NaN or Infinity in the values of `t` (when they can be read), naming `op` and `name`; with
 * `lowerOnly`, only the lower triangle of each matrix is looked at (the part a Cholesky factorization reads).
 */
export function checkFinite(op: string, t: Tensor, name: string, lowerOnly = false): void {
  const c = readValues(t);
  if (c === null) return;
  const d = c.data;
  const s = c.aval.shape;
  const n = s[s.length - 1] ?? 1;
  for (let i = 0; i < d.length; i++)
    if (!Number.isFinite(d[i]!) && !(lowerOnly && i % n > Math.floor(i / n) % n))
      throw new ValueError(
        `${op}: ${name} holds ${d[i]} (at flat index ${i} of shape ${fmtShape(c.aval.shape)}); it must hold finite numbers`,
      );
}

/** Machine epsilon of a float dtype. */
export const epsOf = (dtype: DType): number => (dtype === "float64" ? 2 ** -52 : 2 ** -23);

/** A scalar of `like`'s dtype (strong). */
export const scalar = (like: Tensor, value: number): Tensor =>
  lax.scalarLike({ ...like.aval, weak: false }, value);

/**
 * b as a stack of columns for a solve with a [..., n, n]: b [n] or [..., n, k] (NumPy 2: b is a vector only
 * when it is 1-D), batch dimensions broadcast; `restore` turns the solution back to b's layout.
 */
export function rhsArg(
  op: string,
  a: Tensor,
  b: Tensor,
  names: [string, string],
): { a: Tensor; b: Tensor; restore: (x: Tensor) => Tensor } {
  const n = a.aval.shape[a.aval.shape.length - 1]!;
  const bs = b.aval.shape;
  if (bs.length === 0)
    throw new ShapeError(
      `${op}: ${names[1]} must be a vector [n] or a stack of columns [..., n, k], got a scalar (shape [])`,
    );
  if (bs.length === 1) {
    if (bs[0] !== n)
      throw new ShapeError(
        `${op}: ${names[1]} has shape ${fmtShape(bs)} but ${names[0]} has shape ${fmtShape(a.aval.shape)}; a vector b must have length ${n}`,
      );
    const [aa, bb] = broadcastBatch(op, a, lax.reshape(b, [n, 1]), names);
    return { a: aa, b: bb, restore: (x) => lax.reshape(x, x.aval.shape.slice(0, -1)) };
  }
  if (bs[bs.length - 2] !== n)
    throw new ShapeError(
      `${op}: ${names[1]} has shape ${fmtShape(bs)} but ${names[0]} has shape ${fmtShape(a.aval.shape)}; b must be [..., ${n}, k] (a 1-D b is one vector [${n}]; for a batch of vectors add a last axis of size 1)`,
    );
  const [aa, bb] = broadcastBatch(op, a, b, names);
  return { a: aa, b: bb, restore: (x) => x };
}
