// Seeded shuffles and train/test splits of datasets whose tensors share their first (example) axis.
import { allocate } from "../core/dtype.js";
import { fmtShape, ShapeError, ValueError } from "../core/errors.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import { key, permutation } from "../ops/random.js";

/** A permutation of 0 … n−1 from nb.random, so a seed means the same thing here as everywhere else. */
export function shuffleIndices(n: number, seed: number, op: string): Int32Array {
  if (!Number.isInteger(seed)) throw new ValueError(`${op}: seed must be an integer, got ${seed}`);
  return permutation(key(seed), n).concrete().data as Int32Array;
}

/** Rows `idx` of `t` along its first axis, copied. */
function takeRows(t: Tensor, idx: Int32Array): Tensor {
  const c = t.concrete();
  const [, ...rest] = c.aval.shape;
  const row = rest.reduce((a, b) => a * b, 1);
  const out = allocate(c.aval.dtype, idx.length * row);
  idx.forEach((from, to) => out.set(c.data.subarray(from * row, (from + 1) * row), to * row));
  return new ConcreteTensor(out, { shape: [idx.length, ...rest], dtype: c.aval.dtype, weak: false });
}

/** Options of {@link trainTestSplit}. */
export interface SplitOptions {
  /** The test set: a fraction in (0, 1) of the examples, or a whole number of them. Default 0.2. */
  testSize?: number;
  /** Seed of the shuffle (default 0): the same seed always gives the same split. */
  seed?: number;
}

/**
 * Splits a dataset (an object of tensors whose first axis indexes the examples, such as
 * `{ images, labels }`) into shuffled train and test parts with a seeded permutation. The default
 * `testSize` 0.2 splits the 10,000 MNIST digits 8,000 / 2,000.
 * @throws {ShapeError} when the tensors disagree on the number of examples; {ValueError} for a bad testSize.
 * @example
 * ```ts
 * const iris = await nb.data.iris();
 * const dataset = { x: iris.features, y: iris.labels };
 * const { train, test } = nb.data.trainTestSplit(dataset, { testSize: 30, seed: 1 });
 * train.x.shape; // [120, 4]
 * test.y.shape;  // [30]
 * ```
 */
export function trainTestSplit<T extends { [K in keyof T]: Tensor }>(
  dataset: T,
  options: SplitOptions = {},
): { train: T; test: T } {
  const op = "trainTestSplit";
  const data = dataset as Record<string, Tensor>;
  const names = Object.keys(data);
  if (names.length === 0) throw new ValueError(`${op}: give an object of tensors such as { images, labels }`);
  for (const k of names)
    if (!(data[k] instanceof Tensor) || data[k]!.ndim === 0)
      throw new ValueError(`${op}: "${k}" must be a tensor with an example axis first`);
  const n = data[names[0]!]!.shape[0]!;
  const disagree = names.filter((k) => data[k]!.shape[0] !== n);
  if (disagree.length > 0)
    throw new ShapeError(
      `${op}: every tensor needs the same number of examples (first axis); got ` +
        names.map((k) => `${k} ${fmtShape(data[k]!.shape)}`).join(", "),
    );
  const size = options.testSize ?? 0.2;
  const nTest = size > 0 && size < 1 ? Math.round(n * size) : size;
  if (!Number.isInteger(nTest) || nTest < 0 || nTest > n)
    throw new ValueError(
      `${op}: testSize must be a fraction in (0, 1) or a whole number from 0 to ${n} (the number of ` +
        `examples), got ${size}`,
    );
  const perm = shuffleIndices(n, options.seed ?? 0, op);
  const testIdx = perm.subarray(0, nTest);
  const trainIdx = perm.subarray(nTest);
  const part = (idx: Int32Array): T =>
    Object.fromEntries(names.map((k) => [k, takeRows(data[k]!, idx)])) as T;
  return { train: part(trainIdx), test: part(testIdx) };
}
