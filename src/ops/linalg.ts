// Products and contractions: matmul, dot, outer, tensordot, einsum, trace, diag.
// biome-ignore-all lint/complexity/noArguments: each op compares its argument count with the most it takes, reading no copy of the arguments
import { checkTensorSize } from "../core/config.js";
import { fmtShape, ShapeError, ValueError } from "../core/errors.js";
import { broadcastShapes, range } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import {
  describeValue,
  extraArgument,
  intArg,
  nthArgument,
  promoteArgs,
  promoteNamed,
  type TensorLike,
} from "./util.js";

/**
 * Matrix product with NumPy semantics: batched over leading dimensions (broadcast), 1-D operands
 * treated as row/column vectors.
 * @example `nb.matmul([[1, 2], [3, 4]], [[1], [1]]).toArray(); // [[3], [7]]`
 */
export function matmul(a: TensorLike, b: TensorLike): Tensor {
  if (arguments.length > 2) extraArgument("matmul", "a, b", arguments[2], arguments.length);
  const [x, y] = promoteArgs("matmul", a, b);
  const xs = x!.aval.shape;
  const ys = y!.aval.shape;
  if (xs.length === 0 || ys.length === 0)
    throw new ShapeError(
      `matmul: operands must have at least 1 dimension, got ${fmtShape(xs)} @ ${fmtShape(ys)}; use nb.mul for scalars`,
    );
  const xv = xs.length === 1 ? lax.reshape(x!, [1, xs[0]!]) : x!;
  const yv = ys.length === 1 ? lax.reshape(y!, [ys[0]!, 1]) : y!;
  const xm = xv.aval.shape;
  const ym = yv.aval.shape;
  const k1 = xm[xm.length - 1]!;
  const k2 = ym[ym.length - 2]!;
  if (k1 !== k2)
    throw new ShapeError(
      `matmul: ${fmtShape(xs)} @ ${fmtShape(ys)}: inner dimensions ${k1} and ${k2} differ`,
    );
  let out: Tensor;
  if (ym.length === 2) {
    checkTensorSize("matmul", [...xm.slice(0, -1), ym[1]!], x!.aval.dtype);
    out = lax.dotGeneral(xv, yv, {
      lhsContract: [xm.length - 1],
      rhsContract: [0],
      lhsBatch: [],
      rhsBatch: [],
    });
  } else {
    let batch: number[];
    try {
      batch = broadcastShapes("matmul", xm.slice(0, -2), ym.slice(0, -2));
    } catch {
      throw new ShapeError(
        `matmul: ${fmtShape(xs)} @ ${fmtShape(ys)}: batch dimensions ${fmtShape(xm.slice(0, -2))} and ${fmtShape(ym.slice(0, -2))} cannot be broadcast together`,
      );
    }
    checkTensorSize("matmul", [...batch, xm[xm.length - 2]!, ym[ym.length - 1]!], x!.aval.dtype);
    const nb = batch.length;
    const xb = lax.broadcastTo(xv, [...batch, ...xm.slice(-2)]);
    const yb = lax.broadcastTo(yv, [...batch, ...ym.slice(-2)]);
    out = lax.dotGeneral(xb, yb, {
      lhsContract: [nb + 1],
      rhsContract: [nb],
      lhsBatch: range(nb),
      rhsBatch: range(nb),
    });
  }
  const os = out.aval.shape;
  if (xs.length === 1 && ys.length === 1) return lax.reshape(out, []);
  if (xs.length === 1) return lax.reshape(out, [...os.slice(0, -2), os[os.length - 1]!]);
  if (ys.length === 1) return lax.reshape(out, os.slice(0, -1));
  return out;
}

/**
 * NumPy's dot: inner product of vectors, matrix product of matrices, and in general a sum over the last
 * axis of `a` and the second-to-last of `b`.
 * @example `nb.dot([1, 2, 3], [4, 5, 6]).item(); // 32`
 */
export function dot(a: TensorLike, b: TensorLike): Tensor {
  if (arguments.length > 2) extraArgument("dot", "a, b", arguments[2], arguments.length);
  const [x, y] = promoteArgs("dot", a, b);
  const xs = x!.aval.shape;
  const ys = y!.aval.shape;
  if (xs.length === 0 || ys.length === 0) return lax.mul(x!, y!);
  const rc = ys.length >= 2 ? ys.length - 2 : 0;
  if (xs[xs.length - 1] !== ys[rc])
    throw new ShapeError(
      `dot: ${fmtShape(xs)} · ${fmtShape(ys)}: contracted dimensions ${xs[xs.length - 1]} and ${ys[rc]} differ`,
    );
  checkTensorSize("dot", [...xs.slice(0, -1), ...ys.filter((_, i) => i !== rc)], x!.aval.dtype);
  return lax.dotGeneral(x!, y!, {
    lhsContract: [xs.length - 1],
    rhsContract: [rc],
    lhsBatch: [],
    rhsBatch: [],
  });
}

/** Outer product of two vectors (flattened first). @example `nb.outer([1, 2], [3, 4]).toArray(); // [[3, 4], [6, 8]]` */
export function outer(a: TensorLike, b: TensorLike): Tensor {
  if (arguments.length > 2) extraArgument("outer", "a, b", arguments[2], arguments.length);
  const [x, y] = promoteArgs("outer", a, b);
  checkTensorSize("outer", [x!.size, y!.size], x!.aval.dtype);
  const xf = lax.reshape(x!, [x!.size, 1]);
  const yf = lax.reshape(y!, [1, y!.size]);
  return lax.mul(xf, yf);
}

/**
 * Sums products over `axes`: a count n (last n of `a` with first n of `b`) or explicit pairs.
 * @example `nb.tensordot(nb.ones([2, 3]), nb.ones([3, 4]), 1).shape; // [2, 4]`
 */
export function tensordot(
  a: TensorLike,
  b: TensorLike,
  axes: number | readonly [readonly number[], readonly number[]] = 2,
): Tensor {
  if (arguments.length > 3) extraArgument("tensordot", "a, b, axes?", arguments[3], arguments.length);
  const [x, y] = promoteArgs("tensordot", a, b);
  const xs = x!.aval.shape;
  const ys = y!.aval.shape;
  const intList = (v: unknown) => Array.isArray(v) && v.every((i) => Number.isInteger(i));
  if (typeof axes === "number") intArg("tensordot", "axes", axes, 0, Math.min(xs.length, ys.length));
  else if (!(Array.isArray(axes) && axes.length === 2 && intList(axes[0]) && intList(axes[1])))
    throw new ValueError(
      `tensordot: axes must be a count or two lists of axes (e.g. [[1], [0]]), got ${describeValue(axes)}`,
    );
  const [ax, bx] =
    typeof axes === "number"
      ? [range(axes, xs.length - axes), range(axes)]
      : [axes[0].map((i) => (i < 0 ? i + xs.length : i)), axes[1].map((i) => (i < 0 ? i + ys.length : i))];
  if (ax.length !== bx.length)
    throw new ValueError("tensordot: the two axis lists must have the same length");
  if (new Set(ax).size !== ax.length || new Set(bx).size !== bx.length)
    throw new ValueError(`tensordot: repeated axis in ${describeValue(axes).replace(/^an array /, "")}`);
  ax.forEach((i, k) => {
    if (xs[i] === undefined || ys[bx[k]!] === undefined || xs[i] !== ys[bx[k]!])
      throw new ShapeError(
        `tensordot: axis ${i} of ${fmtShape(xs)} and axis ${bx[k]} of ${fmtShape(ys)} do not match`,
      );
  });
  checkTensorSize(
    "tensordot",
    [...xs.filter((_, i) => !ax.includes(i)), ...ys.filter((_, i) => !bx.includes(i))],
    x!.aval.dtype,
  );
  return lax.dotGeneral(x!, y!, { lhsContract: ax, rhsContract: bx, lhsBatch: [], rhsBatch: [] });
}

/** A mask of shape [n, n] that is true on the diagonal. */
function diagMask(n: number): Tensor {
  const i = lax.fullIota(n);
  return lax.eq(lax.reshape(i, [n, 1]), lax.reshape(i, [1, n]));
}

/** Keeps the diagonal of axes (p, q) of `t`, dropping q. */
function takeDiagonal(t: Tensor, p: number, q: number): Tensor {
  const s = t.aval.shape;
  const n = s[p]!;
  const mask = lax.broadcastInDim(diagMask(n), s, [p, q]);
  const picked = lax.select(mask, t, lax.zerosLike(t));
  return lax.reduceSum(picked, [q]);
}

/**
 * Sum of the diagonal of a matrix (of the first two axes).
 * @example `nb.trace([[1, 2], [3, 4]]).item(); // 5`
 */
export function trace(a: TensorLike): Tensor {
  if (arguments.length > 1) extraArgument("trace", "a", arguments[1], arguments.length);
  const [x] = promoteArgs("trace", a);
  const s = x!.aval.shape;
  if (s.length < 2) throw new ShapeError(`trace: needs at least 2 dimensions, got ${fmtShape(s)}`);
  const k = Math.min(s[0]!, s[1]!);
  const sq = lax.slice(
    x!,
    s.map(() => 0),
    s.map((d, i) => (i < 2 ? k : d)),
  );
  return lax.reduceSum(takeDiagonal(sq, 0, 1), [0]);
}

/**
 * The diagonal of a matrix, or a diagonal matrix from a vector.
 * @example `nb.diag([1, 2]).toArray(); // [[1, 0], [0, 2]]`
 */
export function diag(a: TensorLike): Tensor {
  if (arguments.length > 1) extraArgument("diag", "a", arguments[1], arguments.length);
  const [x] = promoteArgs("diag", a);
  const s = x!.aval.shape;
  if (s.length === 1) {
    const n = s[0]!;
    return lax.select(
      diagMask(n),
      lax.broadcastInDim(x!, [n, n], [1]),
      lax.zerosLike({ ...x!.aval, shape: [n, n] }),
    );
  }
  if (s.length !== 2) throw new ShapeError(`diag: expects a vector or a matrix, got shape ${fmtShape(s)}`);
  const k = Math.min(s[0]!, s[1]!);
  return takeDiagonal(lax.slice(x!, [0, 0], [k, k]), 0, 1);
}

/**
 * Einstein summation: `"ij,jk->ik"`, `"ii->i"`, `"bij,bjk->bik"`, `"i,i->"`, `"...ij,...jk->...ik"`, implicit
 * output (`"ij,jk"`). Contractions are done pairwise left to right with dot_general.
 * @example `nb.einsum("ij,j->i", [[1, 2], [3, 4]], [1, 1]).toArray(); // [3, 7]`
 */
export function einsum(spec: string, ...operands: TensorLike[]): Tensor {
  if (typeof spec !== "string")
    throw new ValueError(
      `einsum: the first argument is the subscripts string (e.g. "ij,jk->ik"), got ${describeValue(spec)}`,
    );
  if (operands.length === 0) throw new ValueError(`einsum: "${spec}" needs at least one operand`);
  const ts = promoteNamed("einsum", operands, (i) => nthArgument(i + 1));
  const clean = spec.replace(/\s+/g, "");
  const [lhs, rhsGiven] = clean.includes("->") ? clean.split("->") : [clean, undefined];
  const inputs = lhs!.split(",");
  if (inputs.length !== ts.length)
    throw new ValueError(`einsum: "${spec}" names ${inputs.length} operand(s) but ${ts.length} were given`);
  // Expand "..." into fresh capital letters, right-aligned (broadcast dims of size 1 are stretched).
  const ellNd = Math.max(
    0,
    ...inputs.map((s, i) => (s.includes("...") ? ts[i]!.aval.shape.length - (s.length - 3) : 0)),
  );
  const ell = range(ellNd)
    .map((i) => String.fromCharCode(65 + i))
    .join("");
  const subs = inputs.map((s, i) => {
    if (!s.includes("...")) return s;
    const n = ts[i]!.aval.shape.length - (s.length - 3);
    if (n < 0)
      throw new ShapeError(
        `einsum: operand ${i} of shape ${fmtShape(ts[i]!.aval.shape)} has fewer dimensions than "${s}"`,
      );
    return s.replace("...", ell.slice(ellNd - n));
  });
  for (const [i, s] of subs.entries()) {
    if (!/^[a-zA-Z]*$/.test(s))
      throw new ValueError(`einsum: bad subscripts "${inputs[i]}" in "${spec}" (use letters and "...")`);
    if (s.length !== ts[i]!.aval.shape.length)
      throw new ShapeError(
        `einsum: subscripts "${inputs[i]}" have ${s.length} letters but operand ${i} has shape ${fmtShape(ts[i]!.aval.shape)}`,
      );
  }
  const sizes = new Map<string, number>();
  subs.forEach((s, i) =>
    [...s].forEach((c, j) => {
      const d = ts[i]!.aval.shape[j]!;
      const prev = sizes.get(c);
      if (prev === undefined || prev === 1) sizes.set(c, d);
      else if (d !== prev && d !== 1)
        throw new ShapeError(
          `einsum: index "${c}" has size ${prev} in one operand and ${d} in operand ${i} ("${spec}")`,
        );
    }),
  );
  let out: string;
  if (rhsGiven !== undefined) {
    out = rhsGiven.replace("...", ell);
    for (const c of out)
      if (!sizes.has(c))
        throw new ValueError(`einsum: output index "${c}" does not appear in the inputs of "${spec}"`);
  } else {
    const counts = new Map<string, number>();
    for (const s of subs) for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    out =
      ell +
      [...counts.keys()]
        .filter((c) => counts.get(c) === 1 && !ell.includes(c))
        .sort()
        .join("");
  }
  checkTensorSize(
    "einsum",
    [...out].map((c) => sizes.get(c)!),
    ts[0]!.aval.dtype,
  );
  // Per operand: take repeated-index diagonals, stretch size-1 dims, sum indices used nowhere else.
  let ops = ts.map((t, i) => {
    let s = subs[i]!;
    let v = t;
    for (let j = 0; j < s.length; j++) {
      const k = s.indexOf(s[j]!, j + 1);
      if (k >= 0) {
        v = takeDiagonal(v, j, k);
        s = s.slice(0, k) + s.slice(k + 1);
        j--;
      }
    }
    const full = [...s].map((c) => sizes.get(c)!);
    if (full.some((d, j) => d !== v.aval.shape[j])) v = lax.broadcastInDim(v, full, range(s.length));
    return { v, s };
  });
  const usedElsewhere = (c: string, self: number) =>
    out.includes(c) || ops.some((o, j) => j !== self && o.s.includes(c));
  ops = ops.map((o, i) => {
    const axes = [...o.s].flatMap((c, j) => (usedElsewhere(c, i) ? [] : [j]));
    return { v: lax.reduceSum(o.v, axes), s: [...o.s].filter((_, j) => !axes.includes(j)).join("") };
  });
  let acc = ops[0]!;
  for (let i = 1; i < ops.length; i++) {
    const b = ops[i]!;
    const later =
      out +
      ops
        .slice(i + 1)
        .map((o) => o.s)
        .join("");
    const shared = [...acc.s].filter((c) => b.s.includes(c));
    const batch = shared.filter((c) => later.includes(c));
    const contract = shared.filter((c) => !later.includes(c));
    const v = lax.dotGeneral(acc.v, b.v, {
      lhsContract: contract.map((c) => acc.s.indexOf(c)),
      rhsContract: contract.map((c) => b.s.indexOf(c)),
      lhsBatch: batch.map((c) => acc.s.indexOf(c)),
      rhsBatch: batch.map((c) => b.s.indexOf(c)),
    });
    const s =
      batch.join("") +
      [...acc.s].filter((c) => !shared.includes(c)).join("") +
      [...b.s].filter((c) => !shared.includes(c)).join("");
    acc = { v, s };
  }
  // Sum what the output drops, then order as the output says.
  const drop = [...acc.s].flatMap((c, j) => (out.includes(c) ? [] : [j]));
  const v = lax.reduceSum(acc.v, drop);
  const s = [...acc.s].filter((c) => out.includes(c));
  return lax.transpose(
    v,
    [...out].map((c) => s.indexOf(c)),
  );
}
