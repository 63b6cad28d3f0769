// Examples: generation with a cached transformer decoder, and recurrent layers inside Sequential.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("incremental decoding", () => {
  it("TransformerDecoderLayer.applyWithCache: a prompt, then one position per call", () => {
    const dec = nb.nn.TransformerDecoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true, dropout: 0 });
    const { params } = dec.init(0);
    const memory = nb.ones([2, 7, 16]);
    let { output, cache } = dec.applyWithCache(params, nb.ones([2, 3, 16]), {
      memory,
      causal: true,
      cache: null,
    });
    expect(output.shape).toEqual([2, 3, 16]);
    ({ output, cache } = dec.applyWithCache(params, nb.ones([2, 1, 16]), { causal: true, cache }));
    expect(output.shape).toEqual([2, 1, 16]);
    expect(cache.selfAttn.key.shape).toEqual([2, 4, 4, 4]); // batch, heads, positions so far, dModel / nhead
    expect(cache.multiheadAttn.key.shape).toEqual([2, 4, 7, 4]); // the memory, projected once
  });

  it("greedy generation: embed, decode one token with the cache, pick the likeliest next token", () => {
    const vocab = 5;
    const d = 8;
    const embed = nb.nn.Embedding(vocab, d);
    const dec = nb.nn.TransformerDecoderLayer(d, 2, { dimFeedforward: 16, batchFirst: true, dropout: 0 });
    const head = nb.nn.Linear(d, vocab);
    const p = { embed: embed.init(0).params, dec: dec.init(1).params, head: head.init(2).params };
    const memory = nb.random.normal(nb.random.key(3), [1, 4, d]); // an encoder's output
    const pos = nb.nn.sinusoidalPositionalEncoding(16, d);
    let token = 0;
    let cache: nb.nn.DecoderCache | null = null;
    const generated: number[] = [];
    for (let t = 0; t < 6; t++) {
      const x = nb.add(
        embed.apply(p.embed, nb.array([[token]], { dtype: "int32" })),
        nb.slice(pos, [t, 0], [1, d]),
      );
      const r = dec.applyWithCache(p.dec, x, { memory, causal: true, cache });
      cache = r.cache;
      token = nb.argmax(nb.reshape(head.apply(p.head, r.output), [vocab])).item();
      generated.push(token);
    }
    expect(generated).toHaveLength(6);
    expect(cache?.selfAttn.key.shape).toEqual([1, 2, 6, 4]);
  });
});

describe("recurrent layers in a Sequential", () => {
  it("an LSTM goes in as it is and passes on its output sequence", () => {
    const lstm = nb.nn.LSTM(3, 8, { batchFirst: true });
    const model = nb.nn.Sequential([lstm, nb.nn.Linear(8, 1)]);
    const { params } = model.init(0);
    expect(model.apply(params, nb.ones([4, 10, 3])).shape).toEqual([4, 10, 1]);
    // For the final states, call the layer itself on its params: apply returns { output, hidden, cell }.
    const { hidden, cell } = lstm.apply(params["0"] as nb.nn.RecurrentParams, nb.ones([4, 10, 3]));
    expect(hidden.shape).toEqual([1, 4, 8]);
    expect(cell.shape).toEqual([1, 4, 8]);
  });
});
