// Reshaping and rearranging: reshape, transpose, squeeze, concatenate, slicing, padding, tiling, ...
// biome-ignore-all lint/complexity/noArguments: each op compares its argument count with the most it takes, reading no copy of the arguments

import { checkTensorSize } from "../core/config.js";
import { fmtShape, ShapeError, ValueError } from "../core/errors.js";
import { invertPerm, range, sizeOf } from "../core/shape.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import {
  asTensor,
  axesArg,
  axisArg,
  describeValue,
  extraArgument,
  FIRST,
  intListArg,
  numberArg,
  promoteNamed,
  shapeArg,
  type TensorLike,
  tensorListArg,
} from "./util.js";

/** How a message names the i-th tensor of a list argument (concatenate, stack). */
const elementOf = (i: number) => `element ${i} of the first argument`;

/**
 * A new shape for the same elements; one dimension may be −1 (inferred).
 * @example `nb.reshape(nb.arange(6), [2, -1]).shape; // [2, 3]`
 */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  if (arguments.length > 2) extraArgument("reshape", "x, shape", arguments[2], arguments.length);
  const t = asTensor(x, "reshape", FIRST);
  const n = t.size;
  shape = intListArg("reshape", "the new shape", shape, -1);
  const unknown = shape.filter((d) => d === -1).length;
  if (unknown > 1)
    throw new ShapeError(
      `reshape: invalid target shape ${fmtShape(shape)} (use non-negative sizes and at most one -1)`,
    );
  const known = sizeOf(shape.filter((d) => d !== -1));
  const target = shape.map((d) => (d === -1 ? (known === 0 ? 0 : n / known) : d));
  if (sizeOf(target) !== n || !target.every(Number.isInteger))
    throw new ShapeError(
      `reshape: cannot reshape ${fmtShape(t.aval.shape)} (${n} elements) to ${fmtShape(shape)}`,
    );
  return lax.reshape(t, target);
}

/**
 * Permutes dimensions (reverses them by default).
 * @example `nb.transpose(nb.zeros([2, 3])).shape; // [3, 2]`
 */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  if (arguments.length > 2) extraArgument("transpose", "x, perm?", arguments[2], arguments.length);
  const t = asTensor(x, "transpose", FIRST);
  const nd = t.aval.shape.length;
  const given = perm === undefined ? undefined : intListArg("transpose", "perm", perm);
  const p = given === undefined ? range(nd).reverse() : given.map((a) => axisArg("transpose", a, nd));
  if (p.length !== nd || new Set(p).size !== nd)
    throw new ValueError(
      `transpose: [${given?.join(",")}] is not a permutation of the ${nd} axes of ${fmtShape(t.aval.shape)}`,
    );
  return lax.transpose(t, p);
}

/** Swaps the last two axes. @example `nb.matrixTranspose(nb.zeros([5, 2, 3])).shape; // [5, 3, 2]` */
export function matrixTranspose(x: TensorLike): Tensor {
  if (arguments.length > 1) extraArgument("matrixTranspose", "x", arguments[1], arguments.length);
  const t = asTensor(x, "matrixTranspose", FIRST);
  const nd = t.aval.shape.length;
  if (nd < 2)
    throw new ShapeError(`matrixTranspose: needs at least 2 dimensions, got ${fmtShape(t.aval.shape)}`);
  return lax.transpose(t, [...range(nd - 2), nd - 1, nd - 2]);
}

/** Moves an axis to a new position. @example `nb.moveaxis(nb.zeros([2, 3, 4]), 0, -1).shape; // [3, 4, 2]` */
export function moveaxis(x: TensorLike, source: number, destination: number): Tensor {
  if (arguments.length > 3)
    extraArgument("moveaxis", "x, source, destination", arguments[3], arguments.length);
  const t = asTensor(x, "moveaxis", FIRST);
  const nd = t.aval.shape.length;
  return lax.moveAxis(
    t,
    axisArg("moveaxis", source, nd, "source"),
    axisArg("moveaxis", destination, nd, "destination"),
  );
}

/**
 * Inserts size-1 dimensions at `axis`, one axis or several; axes count in the result, as in NumPy.
 * @example `nb.expandDims([1, 2], 0).shape; // [1, 2]`
 * @example `nb.expandDims([1, 2], [0, -1]).shape; // [1, 2, 1]`
 */
export function expandDims(x: TensorLike, axis: number | readonly number[]): Tensor {
  if (arguments.length > 2) extraArgument("expandDims", "x, axis", arguments[2], arguments.length);
  const t = asTensor(x, "expandDims", FIRST);
  const s = t.aval.shape;
  if (axis === undefined || axis === null)
    throw new ValueError(
      `expandDims: the axis (the second argument) is required, got ${describeValue(axis)}; write nb.expandDims(x, 0) or nb.expandDims(x, [0, 1])`,
    );
  const rank = s.length + (Array.isArray(axis) ? axis.length : 1);
  const axes = axesArg("expandDims", axis, rank, (a) => `nb.expandDims(x, ${a})`);
  const rest = [...s];
  return lax.reshape(
    t,
    range(rank).map((i) => (axes.includes(i) ? 1 : rest.shift()!)),
  );
}

/** Removes size-1 dimensions (all of them, or the given ones). @example `nb.squeeze(nb.zeros([1, 3, 1])).shape; // [3]` */
export function squeeze(x: TensorLike, axis?: number | readonly number[]): Tensor {
  if (arguments.length > 2) extraArgument("squeeze", "x, axis?", arguments[2], arguments.length);
  const t = asTensor(x, "squeeze", FIRST);
  const s = t.aval.shape;
  const axes =
    axis === undefined || axis === null
      ? range(s.length).filter((i) => s[i] === 1)
      : axesArg("squeeze", axis, s.length, (a) => `nb.squeeze(x, ${a})`);
  for (const a of axes)
    if (s[a] !== 1)
      throw new ShapeError(`squeeze: axis ${a} of shape ${fmtShape(s)} has size ${s[a]}, not 1`);
  return lax.reshape(
    t,
    s.filter((_, i) => !axes.includes(i)),
  );
}

/** Broadcasts to a shape (NumPy rules). @example `nb.broadcastTo([1, 2], [3, 2]).shape; // [3, 2]` */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  if (arguments.length > 2) extraArgument("broadcastTo", "x, shape", arguments[2], arguments.length);
  const t = asTensor(x, "broadcastTo", FIRST);
  shape = shapeArg("broadcastTo", shape, t.aval.dtype);
  const s = t.aval.shape;
  const off = shape.length - s.length;
  if (off < 0 || s.some((d, i) => d !== 1 && d !== shape[i + off]))
    throw new ShapeError(`broadcastTo: cannot broadcast ${fmtShape(s)} to ${fmtShape(shape)}`);
  return lax.broadcastTo(t, shape);
}

/** Joins tensors along an existing axis. @example `nb.concatenate([[1], [2, 3]]).toArray(); // [1, 2, 3]` */
export function concatenate(xs: readonly TensorLike[], axis = 0): Tensor {
  if (arguments.length > 2) extraArgument("concatenate", "xs, axis?", arguments[2], arguments.length);
  tensorListArg("concatenate", "the first argument", xs);
  if (xs.length === 0) throw new ValueError("concatenate: needs at least one tensor");
  const ts = promoteNamed("concatenate", xs, elementOf);
  const nd = ts[0]!.aval.shape.length;
  if (nd === 0) throw new ShapeError("concatenate: scalars cannot be concatenated; use nb.stack");
  const a = axisArg("concatenate", axis, nd, "axis", (v) => `nb.concatenate(xs, ${v})`);
  for (const t of ts)
    if (t.aval.shape.length !== nd || t.aval.shape.some((d, i) => i !== a && d !== ts[0]!.aval.shape[i]))
      throw new ShapeError(
        `concatenate: shapes ${ts.map((u) => fmtShape(u.aval.shape)).join(", ")} must agree except on axis ${a}`,
      );
  return lax.concatenate(ts, a);
}

/** Joins tensors along a new axis. @example `nb.stack([[1, 2], [3, 4]], 1).toArray(); // [[1, 3], [2, 4]]` */
export function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  if (arguments.length > 2) extraArgument("stack", "xs, axis?", arguments[2], arguments.length);
  tensorListArg("stack", "the first argument", xs);
  if (xs.length === 0) throw new ValueError("stack: needs at least one tensor");
  const ts = promoteNamed("stack", xs, elementOf);
  const s0 = ts[0]!.aval.shape;
  for (const t of ts)
    if (fmtShape(t.aval.shape) !== fmtShape(s0))
      throw new ShapeError(
        `stack: all shapes must be equal, got ${ts.map((u) => fmtShape(u.aval.shape)).join(", ")}`,
      );
  const a = axisArg("stack", axis, s0.length + 1, "axis", (v) => `nb.stack(xs, ${v})`);
  return lax.concatenate(
    ts.map((t) => lax.reshape(t, [...s0.slice(0, a), 1, ...s0.slice(a)])),
    a,
  );
}

/**
 * Splits into `sections` equal parts, or at the given indices, along `axis`.
 * @example `nb.split(nb.arange(6), 3).map((t) => t.toArray()); // [[0, 1], [2, 3], [4, 5]]`
 */
export function split(x: TensorLike, sections: number | readonly number[], axis = 0): Tensor[] {
  if (arguments.length > 3) extraArgument("split", "x, sections, axis?", arguments[3], arguments.length);
  const t = asTensor(x, "split", FIRST);
  const s = t.aval.shape;
  const a = axisArg("split", axis, s.length, "axis", (v) => `nb.split(x, sections, ${v})`);
  const n = s[a]!;
  let cuts: number[];
  if (typeof sections === "number") {
    if (!Number.isInteger(sections) || sections <= 0 || n % sections !== 0 || sections > Math.max(n, 1024))
      throw new ShapeError(
        `split: axis ${a} of shape ${fmtShape(s)} (size ${n}) cannot be split into ${sections} equal parts`,
      );
    cuts = range(sections - 1, 1).map((i) => (i * n) / sections);
  } else if (Array.isArray(sections)) cuts = intListArg("split", "the split indices", sections);
  else
    throw new ValueError(
      `split: sections must be a number of equal parts or an array of split indices, got ${describeValue(sections)}`,
    );
  const bounds = [0, ...cuts.map((c) => Math.min(Math.max(c, 0), n)), n];
  return range(bounds.length - 1).map((i) =>
    lax.slice(
      t,
      s.map((_, j) => (j === a ? bounds[i]! : 0)),
      s.map((d, j) => (j === a ? Math.max(bounds[i]!, bounds[i + 1]!) : d)),
    ),
  );
}

/**
 * A block of `size` starting at `begin` (a size of −1 runs to the end).
 * @example `nb.slice(nb.arange(5), [1], [3]).toArray(); // [1, 2, 3]`
 */
export function slice(
  x: TensorLike,
  begin: readonly number[] | number,
  size?: readonly number[] | number,
): Tensor {
  if (arguments.length > 3) extraArgument("slice", "x, begin, size?", arguments[3], arguments.length);
  const t = asTensor(x, "slice", FIRST);
  const s = t.aval.shape;
  const b = intListArg("slice", "begin", begin);
  const z = size === undefined ? b.map(() => -1) : intListArg("slice", "size", size, -1);
  const start = s.map((d, i) => {
    const v = b[i] ?? 0;
    return v < 0 ? v + d : v;
  });
  const limit = s.map((d, i) => (z[i] === undefined || z[i] === -1 ? d : start[i]! + z[i]!));
  s.forEach((d, i) => {
    if (start[i]! < 0 || limit[i]! > d || limit[i]! < start[i]!)
      throw new ShapeError(
        `slice: begin [${b.join(",")}] with size [${z.join(",")}] does not fit in shape ${fmtShape(s)}`,
      );
  });
  return lax.slice(t, start, limit);
}

/**
 * Picks entries along `axis` by integer indices (of the flattened tensor when no axis is given).
 * Negative indices count from the end.
 * @example `nb.take([10, 20, 30], [2, 0]).toArray(); // [30, 10]`
 */
export function take(x: TensorLike, indices: TensorLike, axis?: number): Tensor {
  if (arguments.length > 3) extraArgument("take", "x, indices, axis?", arguments[3], arguments.length);
  let t = asTensor(x, "take", FIRST);
  if (axis === undefined) t = lax.reshape(t, [t.size]);
  const a = axisArg("take", axis ?? 0, t.aval.shape.length, "axis", (v) => `nb.take(x, indices, ${v})`);
  const given = asTensor(indices, "take", "the second argument (the indices)");
  if (
    given instanceof ConcreteTensor &&
    given.aval.dtype !== "int32" &&
    given.data.some((v) => !Number.isInteger(v))
  )
    throw new ValueError(
      `take: indices must be integers, got ${Array.from(given.data).find((v) => !Number.isInteger(v))}`,
    );
  const idx = given.aval.dtype === "int32" ? given : lax.convert(given, "int32");
  const n = t.aval.shape[a]!;
  const c = idx instanceof ConcreteTensor ? idx.data : [];
  for (const i of c)
    if (i < -n || i >= n)
      throw new ShapeError(
        `take: index ${i} is out of range for axis ${a} of size ${n} (shape ${fmtShape(t.aval.shape)})`,
      );
  return lax.gather(t, idx, a);
}

/**
 * Pads with a constant: `widths[i] = [before, after]` for each axis (or one pair for all).
 * @example `nb.pad([1, 2], [[1, 2]]).toArray(); // [0, 1, 2, 0, 0]`
 */
export function pad(
  x: TensorLike,
  widths: readonly (readonly [number, number])[] | readonly [number, number],
  value = 0,
): Tensor {
  if (arguments.length > 3) extraArgument("pad", "x, widths, value?", arguments[3], arguments.length);
  const t = asTensor(x, "pad", FIRST);
  const nd = t.aval.shape.length;
  const isPair = (p: unknown): boolean => Array.isArray(p) && p.length === 2;
  if (!Array.isArray(widths) || !(isPair(widths) || widths.every(isPair)))
    throw new ValueError(
      `pad: widths must be one [before, after] pair or one pair per axis (e.g. [[1, 1], [0, 2]]), got ${describeValue(widths)}`,
    );
  numberArg("pad", "the fill value", value, false);
  const w =
    typeof widths[0] === "number" || !Array.isArray(widths[0])
      ? range(nd).map(() => widths as unknown as readonly [number, number])
      : (widths as readonly (readonly [number, number])[]);
  if (w.length !== nd)
    throw new ShapeError(
      `pad: got ${w.length} width pairs for a tensor of rank ${nd} (shape ${fmtShape(t.aval.shape)})`,
    );
  if (w.some(([l, h]) => !Number.isInteger(l) || !Number.isInteger(h) || l < 0 || h < 0))
    throw new ValueError("pad: widths must be non-negative integers");
  const lo = w.map((p) => p[0]);
  const hi = w.map((p) => p[1]);
  checkTensorSize(
    "pad",
    t.aval.shape.map((d, i) => d + lo[i]! + hi[i]!),
    t.aval.dtype,
  );
  const padded = lax.pad(t, lo, hi);
  if (value === 0) return padded;
  // x inside, value outside (selected, so an infinite or NaN fill never touches the inside).
  const inside = lax.pad(lax.fullAval({ shape: t.aval.shape, dtype: "bool", weak: false }, 1), lo, hi);
  return lax.select(inside, padded, lax.fullAval(padded.aval, value));
}

/** Reverses the order of elements along axes (all by default). @example `nb.flip([1, 2, 3]).toArray(); // [3, 2, 1]` */
export function flip(x: TensorLike, axis?: number | readonly number[]): Tensor {
  if (arguments.length > 2) extraArgument("flip", "x, axis?", arguments[2], arguments.length);
  const t = asTensor(x, "flip", FIRST);
  return lax.rev(
    t,
    axesArg("flip", axis, t.aval.shape.length, (a) => `nb.flip(x, ${a})`),
  );
}

/** Repeats the tensor `reps` times along each axis. @example `nb.tile([1, 2], 2).toArray(); // [1, 2, 1, 2]` */
export function tile(x: TensorLike, reps: number | readonly number[]): Tensor {
  if (arguments.length > 2) extraArgument("tile", "x, reps", arguments[2], arguments.length);
  let t = asTensor(x, "tile", FIRST);
  const r = intListArg("tile", "reps", reps, 0);
  const nd = Math.max(r.length, t.aval.shape.length);
  const s = [...new Array(nd - t.aval.shape.length).fill(1), ...t.aval.shape];
  const rr = [...new Array(nd - r.length).fill(1), ...r];
  checkTensorSize(
    "tile",
    s.map((d, i) => d * rr[i]!),
    t.aval.dtype,
  );
  t = lax.reshape(t, s);
  // [a, b] → [r0, a, r1, b] → [r0·a, r1·b]
  const big = s.flatMap((d, i) => [rr[i]!, d]);
  const b = lax.broadcastInDim(
    t,
    big,
    range(nd).map((i) => 2 * i + 1),
  );
  return lax.reshape(
    b,
    s.map((d, i) => d * rr[i]!),
  );
}

export { invertPerm };
