// Examples: variable-length sequences padded (nb.nn.padSequences) and batched by length
// (nb.nn.bucketBySequenceLength) for recurrent models, and nn.fit with gradient accumulation and clipping.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("sequences", () => {
  it("pads token ids into a batch with lengths and a mask", () => {
    const options: nb.nn.PadSequencesOptions = { dtype: "int32", maxLength: 4, padding: "post" };
    const { padded, lengths, mask }: nb.nn.PaddedSequences = nb.nn.padSequences(
      [[5, 3, 8], [2], [7, 7, 1, 4, 9]],
      options,
    );
    expect(padded.toArray()).toEqual([
      [5, 3, 8, 0],
      [2, 0, 0, 0],
      [7, 7, 1, 4], // cut to maxLength (truncating: "post" keeps the first steps)
    ]);
    expect(lengths.toArray()).toEqual([3, 1, 4]);
    expect((mask.toArray() as boolean[][])[1]).toEqual([true, false, false, false]);
    // Embed the ids, run a GRU that stops at each sequence's end.
    const embed = nb.nn.Embedding(10, 4);
    const gru = nb.nn.GRU(4, 6, { batchFirst: true });
    const x = embed.apply(embed.init(0).params, padded);
    expect(gru.apply(gru.init(1).params, x, { lengths }).hidden.shape).toEqual([1, 3, 6]);
  });

  it("batches by length and trains a GRU on the buckets", () => {
    // Sequences of 1–12 random numbers; the target is whether their sum is positive.
    const lens = Array.from({ length: 48 }, (_, i) => 1 + ((i * 7) % 12));
    const seqs = lens.map((n, i) => nb.random.normal(nb.random.key(i), [n, 1]));
    const y = nb.array(
      seqs.map((s) => (nb.sum(s).item() > 0 ? 1 : 0)),
      { dtype: "int32" },
    );
    const gru = nb.nn.GRU(1, 8, { batchFirst: true });
    const head = nb.nn.Linear(8, 2);
    let params = { gru: gru.init(0).params, head: head.init(1).params };
    const opt = nb.optim.adam({ learningRate: 0.03 });
    let optState = opt.init(params);
    const lossOf = (p: typeof params, x: nb.Tensor, lengths: nb.Tensor, target: nb.Tensor) => {
      const { hidden } = gru.apply(p.gru, x, { lengths });
      return nb.nn.crossEntropy(head.apply(p.head, nb.squeeze(hidden, 0)), target);
    };
    // One compiled step per bucket shape: padToBoundary fixes the length within a bucket.
    const step = nb.jit(nb.valueAndGrad(lossOf));
    let first = 0;
    let last = 0;
    for (let epoch = 0; epoch < 15; epoch++) {
      const options: nb.nn.BucketOptions = {
        boundaries: [5, 9],
        batchSize: 16,
        key: epoch,
        dropLast: true,
        padToBoundary: true,
      };
      const batches: nb.nn.SequenceBatch[] = nb.nn.bucketBySequenceLength(seqs, options);
      let total = 0;
      for (const b of batches) {
        const target = nb.take(y, b.indices, 0);
        const [loss, grads] = step(params, b.padded, b.lengths, target);
        const [updates, next] = opt.update(grads, optState, params);
        params = nb.optim.applyUpdates(params, updates);
        optState = next;
        total += loss.item() / batches.length;
      }
      if (epoch === 0) first = total;
      last = total;
    }
    expect(last).toBeLessThan(first);
  });

  it("fit with gradient accumulation and clipping: 4 batches of 8 per update, norm at most 1", () => {
    const { padded, lengths } = nb.nn.padSequences(
      [3, 5, 2, 4].flatMap((n) => Array.from({ length: 8 }, (_, i) => Array(n).fill(i / 8))),
    );
    const model = nb.nn.Sequential([nb.nn.Linear(5, 8), nb.nn.tanh, nb.nn.Linear(8, 1)]);
    const { params } = model.init(0, [1, 5]);
    const result = nb.nn.fit({
      model,
      params,
      loss: nb.nn.mse,
      optimizer: nb.optim.sgd({ learningRate: 0.1 }),
      data: { x: padded, y: nb.reshape(nb.astype(lengths, "float32"), [32, 1]) },
      batchSize: 8,
      accumulateSteps: 4, // the gradients of 4 batches averaged: one update per 32 examples
      clipGradNorm: 1, // as nb.optim.chain(nb.optim.clipByGlobalNorm(1), optimizer)
      epochs: 20,
      silent: true,
    });
    expect(result.history.steps).toBe(20); // one update per epoch
    expect(result.history.loss.at(-1)!).toBeLessThan(result.history.loss[0]!);
  });
});
