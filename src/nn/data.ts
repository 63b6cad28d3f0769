// Seeded shuffling and batching of datasets held as tensors (examples along axis 0).
import { fmtShape, ShapeError, ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { array } from "../ops/creation.js";
import { type Key, permutation } from "../ops/random.js";
import { take } from "../ops/shape.js";
import { asTensor, type TensorLike } from "../ops/util.js";
import { toKey } from "./layer.js";

/** A dataset: inputs `x` and targets `y`, examples along axis 0. */
export interface Dataset {
  x: TensorLike;
  y: TensorLike;
}

/** A batch of a dataset, as tensors. */
export interface Batch {
  x: Tensor;
  y: Tensor;
}

function examples(where: string, data: Dataset): [Tensor, Tensor, number] {
  const x = asTensor(data.x, where);
  const y = asTensor(data.y, where);
  if (x.ndim === 0 || y.ndim === 0)
    throw new ShapeError(
      `${where}: x and y need an example axis (axis 0), got ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`,
    );
  if (x.shape[0] !== y.shape[0])
    throw new ShapeError(
      `${where}: x has ${x.shape[0]} examples (shape ${fmtShape(x.shape)}) but y has ${y.shape[0]} (shape ${fmtShape(y.shape)})`,
    );
  return [x, y, x.shape[0]!];
}

const rows = (t: Tensor, idx: Int32Array): Tensor => take(t, array(idx, { dtype: "int32" }), 0);

/**
 * The same random permutation of the examples of `x` and `y` (axis 0), from a key or a seed.
 * @example
 * ```ts
 * const { x, y } = nb.nn.shuffle({ x: nb.arange(5), y: nb.arange(5) }, 0);
 * nb.equal(x, y).toArray(); // all true: rows stay paired
 * ```
 */
export function shuffle(data: Dataset, key: Key | number): Batch {
  const [x, y, n] = examples("shuffle", data);
  const perm = permutation(toKey("shuffle", key), n).dataSync() as Int32Array;
  return { x: rows(x, perm), y: rows(y, perm) };
}

export interface BatchOptions {
  /** Examples per batch. Default 32. */
  batchSize?: number;
  /** Shuffle first with this key or seed (no shuffling without one). */
  key?: Key | number;
  /** Drop a last, smaller batch. Default false. */
  dropLast?: boolean;
}

/** 0, 1, …, n−1 filled by a loop (TypedArray.from with a function builds a JavaScript array per value). */
function iota(n: number): Int32Array {
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  return r;
}

/**
 * Splits a dataset into batches along axis 0, in order or shuffled by a key (the same key gives the same
 * batches). Returns an array of `{ x, y }`.
 * @example
 * ```ts
 * const data = { x: nb.zeros([10, 2]), y: nb.zeros([10]) };
 * nb.nn.batches(data, { batchSize: 4, key: 0 }).map((b) => b.x.shape[0]); // [4, 4, 2]
 * ```
 */
export function batches(data: Dataset, options: BatchOptions = {}): Batch[] {
  const [x, y, n] = examples("batches", data);
  const size = options.batchSize ?? 32;
  if (!Number.isInteger(size) || size <= 0)
    throw new ValueError(`batches: batchSize must be a positive integer, got ${size}`);
  const order =
    options.key === undefined
      ? iota(n)
      : (permutation(toKey("batches", options.key), n).dataSync() as Int32Array);
  const out: Batch[] = [];
  for (let start = 0; start < n; start += size) {
    const idx = order.subarray(start, Math.min(start + size, n));
    if (options.dropLast && idx.length < size) break;
    out.push({ x: rows(x, idx), y: rows(y, idx) });
  }
  return out;
}
