// nn.padSequences and nn.bucketBySequenceLength: padding and truncation on either side, lengths and masks,
// features per step, dtypes, buckets by TensorFlow's boundary rule, determinism with a key, errors.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as nn from "../../src/nn/index.js";
import { expectClose } from "../util/close.js";

const seqs = [[1, 2, 3, 4], [5], [6, 7], []];

describe("padSequences", () => {
  it("pads after the steps by default, to the longest sequence", () => {
    const { padded, lengths, mask } = nn.padSequences(seqs);
    expect(padded.dtype).toBe("float32");
    expect(padded.toArray()).toEqual([
      [1, 2, 3, 4],
      [5, 0, 0, 0],
      [6, 7, 0, 0],
      [0, 0, 0, 0],
    ]);
    expect(lengths.dtype).toBe("int32");
    expect(lengths.toArray()).toEqual([4, 1, 2, 0]);
    expect(mask.dtype).toBe("bool");
    expect(mask.toArray()).toEqual([
      [true, true, true, true],
      [true, false, false, false],
      [true, true, false, false],
      [false, false, false, false],
    ]);
  });

  it("pre and post padding and truncation, a fill value, a dtype", () => {
    const cases: [nn.PadSequencesOptions, number[][], boolean[][]][] = [
      [
        { maxLength: 3, padding: "pre", truncating: "pre", value: -1 },
        [
          [2, 3, 4],
          [-1, -1, 5],
          [-1, 6, 7],
        ],
        [
          [true, true, true],
          [false, false, true],
          [false, true, true],
        ],
      ],
      [
        { maxLength: 3, padding: "pre", truncating: "post", value: -1 },
        [
          [1, 2, 3],
          [-1, -1, 5],
          [-1, 6, 7],
        ],
        [
          [true, true, true],
          [false, false, true],
          [false, true, true],
        ],
      ],
      [
        { maxLength: 3, padding: "post", truncating: "pre", value: 9 },
        [
          [2, 3, 4],
          [5, 9, 9],
          [6, 7, 9],
        ],
        [
          [true, true, true],
          [true, false, false],
          [true, true, false],
        ],
      ],
    ];
    for (const [options, want, wantMask] of cases) {
      const r = nn.padSequences(seqs.slice(0, 3), { ...options, dtype: "int32" });
      expect(r.padded.dtype).toBe("int32");
      expect(r.padded.toArray()).toEqual(want);
      expect(r.mask.toArray()).toEqual(wantMask);
      expect(r.lengths.toArray()).toEqual([3, 1, 2]);
    }
    expect(nn.padSequences([[1, 2]], { maxLength: 0 }).padded.shape).toEqual([1, 0]);
  });

  it("steps with features, tensors keep their dtype", () => {
    const a = nb.array(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { dtype: "float64" },
    );
    const b = nb.array([[7, 8]], { dtype: "float64" });
    const { padded, lengths } = nn.padSequences([a, b], { padding: "pre" });
    expect(padded.dtype).toBe("float64");
    expect(padded.shape).toEqual([2, 3, 2]);
    expectClose(padded, [
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [
        [0, 0],
        [0, 0],
        [7, 8],
      ],
    ]);
    expect(lengths.toArray()).toEqual([3, 1]);
  });

  it("with an LSTM's lengths, a padded batch gives each sequence's own final state", () => {
    const lstm = nn.LSTM(2, 3, { batchFirst: true, dtype: "float64" });
    const { params } = lstm.init(0);
    const raw = [3, 1, 4].map((n, i) => nb.random.normal(nb.random.key(i), [n, 2], { dtype: "float64" }));
    const { padded, lengths } = nn.padSequences(raw);
    const { hidden } = lstm.apply(params, padded, { lengths });
    raw.forEach((s, i) => {
      const alone = lstm.apply(params, nb.expandDims(s, 0)).hidden;
      expectClose(nb.slice(hidden, [0, i, 0], [1, 1, 3]), alone, { atol: 1e-12 });
    });
  });

  it("errors name the helper and the argument", () => {
    expect(() => nn.padSequences([])).toThrow("padSequences: expected a non-empty array of sequences");
    expect(() => nn.padSequences([[1], 2 as never])).toThrow("padSequences: sequence 1 is a scalar");
    expect(() => nn.padSequences([[[1, 2]], [[1, 2, 3]]])).toThrow(
      "padSequences: every step must have the same shape; sequence 0 has steps of shape [2], sequence 1 of shape [3]",
    );
    expect(() => nn.padSequences([[1]], { padding: "left" as never })).toThrow(
      'padSequences: padding must be "pre" or "post", got left',
    );
    expect(() => nn.padSequences([[1]], { maxLength: -1 })).toThrow(
      "padSequences: maxLength must be a non-negative integer, got -1",
    );
  });
});

describe("bucketBySequenceLength", () => {
  const lens = [1, 5, 2, 6, 1, 3, 7, 2, 4, 9];
  const data = lens.map((n, i) => Array.from({ length: n }, () => i + 1));

  it("buckets by TensorFlow's rule and pads each batch to its longest sequence", () => {
    const batches = nn.bucketBySequenceLength(data, { boundaries: [3, 6], batchSize: 2 });
    // bucket 0: lengths < 3; bucket 1: 3 ≤ length < 6; bucket 2: length ≥ 6.
    expect(batches.map((b) => b.indices)).toEqual([[0, 2], [4, 7], [1, 5], [8], [3, 6], [9]]);
    expect(batches.map((b) => b.bucket)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(batches.map((b) => b.padded.shape[1])).toEqual([2, 2, 5, 4, 7, 9]);
    expect(batches[2]!.padded.toArray()).toEqual([
      [2, 2, 2, 2, 2],
      [6, 6, 6, 0, 0],
    ]);
    expect(batches[2]!.lengths.toArray()).toEqual([5, 3]);
    expect((batches[2]!.mask.toArray() as boolean[][])[1]).toEqual([true, true, true, false, false]);
    // Every sequence appears once.
    expect(batches.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual(lens.map((_, i) => i));
  });

  it("batch sizes per bucket, dropLast, padToBoundary", () => {
    const batches = nn.bucketBySequenceLength(data, {
      boundaries: [3, 6],
      batchSize: [4, 2, 2],
      dropLast: true,
      padToBoundary: true,
    });
    expect(batches.map((b) => b.indices)).toEqual([
      [0, 2, 4, 7],
      [1, 5],
      [3, 6],
    ]);
    expect(batches.map((b) => b.padded.shape)).toEqual([
      [4, 2],
      [2, 5],
      [2, 7],
    ]);
  });

  it("a key shuffles deterministically; every batch stays within one bucket", () => {
    const opts = { boundaries: [3, 6], batchSize: 2, key: 7 };
    const a = nn.bucketBySequenceLength(data, opts);
    const b = nn.bucketBySequenceLength(data, opts);
    const c = nn.bucketBySequenceLength(data, { ...opts, key: nb.random.key(8) });
    expect(a.map((x) => x.indices)).toEqual(b.map((x) => x.indices));
    expect(a.map((x) => x.indices)).not.toEqual(c.map((x) => x.indices));
    for (const batch of [...a, ...c]) {
      const bucketOf = (n: number) => (n < 3 ? 0 : n < 6 ? 1 : 2);
      expect(new Set(batch.indices.map((i) => bucketOf(lens[i]!)))).toEqual(new Set([batch.bucket]));
      batch.indices.forEach((i, r) => {
        expect((batch.lengths.toArray() as number[])[r]).toBe(lens[i]);
      });
    }
    expect(a.flatMap((x) => x.indices).sort((p, q) => p - q)).toEqual(lens.map((_, i) => i));
  });

  it("errors name the helper and the argument", () => {
    expect(() => nn.bucketBySequenceLength(data, { boundaries: [3, 3], batchSize: 2 })).toThrow(
      "bucketBySequenceLength: boundaries must be increasing positive integers, got [3,3]",
    );
    expect(() => nn.bucketBySequenceLength(data, { boundaries: [3], batchSize: [2] })).toThrow(
      "bucketBySequenceLength: batchSize must be a positive integer or 2 of them (one per bucket), got [2]",
    );
    expect(() => nn.bucketBySequenceLength(data, { boundaries: [3], batchSize: 0 })).toThrow(
      "bucketBySequenceLength: batchSize must be",
    );
  });
});
