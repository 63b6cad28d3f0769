// Variable-length sequences: padding a list of them into one tensor (with lengths and a mask), and batching
// them by length so that little of each batch is padding.

import type { DType } from "../core/dtype.js";
import { fmtShape, ShapeError, ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { array } from "../ops/creation.js";
import { type Key, permutation, split } from "../ops/random.js";
import { reshape } from "../ops/shape.js";
import { asTensor, type TensorLike } from "../ops/util.js";
import { toKey } from "./layer.js";

export interface PadSequencesOptions {
  /** The fill value. Default 0. */
  value?: number;
  /** Pad (and cut) every sequence to this many steps. Default: the longest sequence. */
  maxLength?: number;
  /** Which steps a sequence longer than maxLength loses: "post" (its last, default) or "pre" (its first). */
  truncating?: "pre" | "post";
  /** Where the fill goes: "post" (after the steps, default, as PyTorch's pad_sequence) or "pre" (before). */
  padding?: "pre" | "post";
  /** Default: the sequences' dtype when they are tensors of one dtype, float32 for JavaScript arrays. */
  dtype?: DType;
}

export interface PaddedSequences {
  /** [N, T, ...features]: the sequences, steps along axis 1. */
  padded: Tensor;
  /** int32 [N]: the number of real steps of each sequence (after truncation). */
  lengths: Tensor;
  /** bool [N, T]: true at real steps, false at padding. */
  mask: Tensor;
}

interface Seq {
  data: ArrayLike<number>;
  steps: number;
  features: number[];
  dtype: DType;
}

function sequencesOf(where: string, seqs: readonly TensorLike[]): Seq[] {
  if (!Array.isArray(seqs) || seqs.length === 0)
    throw new ValueError(`${where}: expected a non-empty array of sequences`);
  const out = seqs.map((s, i): Seq => {
    const t = asTensor(s, where);
    if (t.ndim === 0)
      throw new ShapeError(`${where}: sequence ${i} is a scalar; each sequence needs its steps along axis 0`);
    return { data: t.dataSync(), steps: t.shape[0]!, features: t.shape.slice(1), dtype: t.dtype };
  });
  const f = fmtShape(out[0]!.features);
  out.forEach((s, i) => {
    if (fmtShape(s.features) !== f)
      throw new ShapeError(
        `${where}: every step must have the same shape; sequence 0 has steps of shape ${f}, sequence ${i} of shape ${fmtShape(s.features)}`,
      );
  });
  return out;
}

function padOptions(where: string, options: PadSequencesOptions) {
  const { value = 0, truncating = "post", padding = "post" } = options;
  if (typeof value !== "number")
    throw new ValueError(`${where}: value must be a number, got ${String(value)}`);
  for (const [what, v] of [
    ["truncating", truncating],
    ["padding", padding],
  ] as const)
    if (v !== "pre" && v !== "post")
      throw new ValueError(`${where}: ${what} must be "pre" or "post", got ${String(v)}`);
  if (options.maxLength !== undefined && (!Number.isInteger(options.maxLength) || options.maxLength < 0))
    throw new ValueError(
      `${where}: maxLength must be a non-negative integer, got ${String(options.maxLength)}`,
    );
  return { value, truncating, padding };
}

function padSeqs(where: string, all: readonly Seq[], options: PadSequencesOptions): PaddedSequences {
  const { value, truncating, padding } = padOptions(where, options);
  const t = options.maxLength ?? Math.max(...all.map((s) => s.steps));
  const dtypes = new Set(all.map((s) => s.dtype));
  const dtype = options.dtype ?? (dtypes.size === 1 ? all[0]!.dtype : "float32");
  const n = all.length;
  const per = all[0]!.features.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n * t * per).fill(value);
  const mask = new Uint8Array(n * t);
  const lengths = new Int32Array(n);
  all.forEach((s, i) => {
    const len = Math.min(s.steps, t);
    const from = truncating === "pre" ? s.steps - len : 0; // first step kept
    const to = padding === "pre" ? t - len : 0; // where it goes
    for (let k = 0; k < len * per; k++) data[(i * t + to) * per + k] = s.data[from * per + k]!;
    mask.fill(1, i * t + to, i * t + to + len);
    lengths[i] = len;
  });
  return {
    padded: reshape(array(data, { dtype }), [n, t, ...all[0]!.features]),
    lengths: array(lengths, { dtype: "int32" }),
    mask: reshape(array(mask, { dtype: "bool" }), [n, t]),
  };
}

/**
 * Pads sequences of different lengths (arrays or tensors with the steps along axis 0, e.g. token ids or
 * [steps, features] rows) into one tensor [N, T, ...features], with their lengths and a mask of the real
 * steps — the form nn.LSTM's `lengths`/`mask` and attention's padding masks take. Sequences longer than
 * `maxLength` are cut (`truncating`), shorter ones filled with `value` after (`padding: "post"`) or before
 * (`"pre"`) their steps. The data must be concrete (not traced).
 * @example
 * ```ts
 * const { padded, lengths, mask } = nb.nn.padSequences([[1, 2, 3], [4], [5, 6]], { dtype: "int32" });
 * padded.toArray();  // [[1, 2, 3], [4, 0, 0], [5, 6, 0]]
 * lengths.toArray(); // [3, 1, 2]
 * mask.toArray();    // [[true, true, true], [true, false, false], [true, true, false]]
 * ```
 */
export function padSequences(
  seqs: readonly TensorLike[],
  options: PadSequencesOptions = {},
): PaddedSequences {
  return padSeqs("padSequences", sequencesOf("padSequences", seqs), options);
}

export interface BucketOptions extends Omit<PadSequencesOptions, "maxLength"> {
  /**
   * Increasing lengths that split the sequences into buckets: bucket 0 holds lengths below boundaries[0],
   * bucket i lengths in [boundaries[i − 1], boundaries[i]), the last bucket the rest (TensorFlow's rule).
   */
  boundaries: readonly number[];
  /** Sequences per batch: one number, or one per bucket (boundaries.length + 1 of them). */
  batchSize: number | readonly number[];
  /** Shuffle within buckets and the order of the batches with this key or seed (no shuffling without). */
  key?: Key | number;
  /** Drop each bucket's last, smaller batch. Default false. */
  dropLast?: boolean;
  /** Pad to the bucket's upper boundary − 1 (fixed shapes per bucket, so jit compiles once each) instead of the batch's longest sequence. Default false. */
  padToBoundary?: boolean;
}

/** A batch from {@link bucketBySequenceLength}: padded sequences and their positions in the input. */
export interface SequenceBatch extends PaddedSequences {
  /** Positions of the batch's sequences in the input list (to pick targets: nb.take(y, indices, 0)). */
  indices: number[];
  /** The bucket the batch came from. */
  bucket: number;
}

/**
 * Groups sequences of similar length into batches, each padded only to its own longest sequence (or to its
 * bucket's boundary with `padToBoundary`), so a batch is mostly real steps. Without a key, sequences keep
 * their input order within a bucket and batches come bucket by bucket; with a key, both are shuffled, and
 * the same key gives the same batches.
 * @example
 * ```ts
 * const seqs = [[1], [2, 2, 2, 2, 2], [3, 3], [4, 4, 4, 4, 4, 4], [5]];
 * const batches = nb.nn.bucketBySequenceLength(seqs, { boundaries: [3], batchSize: 2 });
 * batches.map((b) => b.indices);      // [[0, 2], [4], [1, 3]]
 * batches.map((b) => b.padded.shape); // [[2, 2], [1, 1], [2, 6]]
 * ```
 */
export function bucketBySequenceLength(seqs: readonly TensorLike[], options: BucketOptions): SequenceBatch[] {
  const where = "bucketBySequenceLength";
  const all = sequencesOf(where, seqs);
  padOptions(where, options);
  const { boundaries, dropLast = false } = options ?? {};
  if (
    !Array.isArray(boundaries) ||
    boundaries.some((b, i) => !Number.isInteger(b) || b <= 0 || (i > 0 && b <= boundaries[i - 1]!))
  )
    throw new ValueError(
      `${where}: boundaries must be increasing positive integers, got ${JSON.stringify(boundaries)}`,
    );
  const nb = boundaries.length + 1;
  const sizes =
    typeof options.batchSize === "number" ? new Array<number>(nb).fill(options.batchSize) : options.batchSize;
  if (!Array.isArray(sizes) || sizes.length !== nb || sizes.some((s) => !Number.isInteger(s) || s <= 0))
    throw new ValueError(
      `${where}: batchSize must be a positive integer or ${nb} of them (one per bucket), got ${JSON.stringify(options.batchSize)}`,
    );
  let order: ArrayLike<number> = all.map((_, i) => i);
  let batchKey: Key | undefined;
  if (options.key !== undefined) {
    const [k1, k2] = split(toKey(where, options.key));
    order = permutation(k1!, all.length).dataSync();
    batchKey = k2;
  }
  const buckets: number[][] = Array.from({ length: nb }, () => []);
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!;
    let b = 0;
    while (b < boundaries.length && all[i]!.steps >= boundaries[b]!) b++;
    buckets[b]!.push(i);
  }
  const groups: { bucket: number; indices: number[] }[] = [];
  buckets.forEach((members, b) => {
    const size = sizes[b]!;
    for (let s = 0; s < members.length; s += size) {
      const indices = members.slice(s, s + size);
      if (dropLast && indices.length < size) break;
      groups.push({ bucket: b, indices });
    }
  });
  const ordered =
    batchKey === undefined || groups.length < 2
      ? groups
      : Array.from(permutation(batchKey, groups.length).dataSync(), (g) => groups[g]!);
  return ordered.map(({ bucket, indices }) => {
    const members = indices.map((i) => all[i]!);
    const longest = Math.max(...members.map((s) => s.steps));
    const maxLength = options.padToBoundary && bucket < boundaries.length ? boundaries[bucket]! - 1 : longest;
    const p = padSeqs(where, members, { ...options, maxLength: Math.max(maxLength, longest) });
    return { ...p, indices, bucket };
  });
}
