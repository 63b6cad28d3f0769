// Examples: attention and transformer blocks with nb.nn, as a user writes them.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("attention and transformers", () => {
  it("scaledDotProductAttention: softmax(q·kᵀ/√E + mask)·v, with masks and causal attention", () => {
    const q = nb.random.normal(nb.random.key(0), [2, 4, 8]); // [batch, L, E]
    const k = nb.random.normal(nb.random.key(1), [2, 6, 8]); // [batch, S, E]
    const v = nb.random.normal(nb.random.key(2), [2, 6, 3]); // [batch, S, Ev]
    expect(nb.nn.scaledDotProductAttention(q, k, v).shape).toEqual([2, 4, 3]);
    // Causal: query i sees keys 0…i.
    const causal = nb.nn.scaledDotProductAttention(q, k, v, { causal: true });
    expect(causal.shape).toEqual([2, 4, 3]);
    // A bool mask says who may attend (true = yes); a query that may attend to nothing gets zeros.
    const mask = nb.array([
      [true, true, false, false, false, false],
      [false, false, false, false, false, false],
      [true, true, true, true, true, true],
      [true, false, true, false, true, false],
    ]);
    const y = nb.nn.scaledDotProductAttention(q, k, v, { mask });
    expect(nb.sum(nb.abs(nb.slice(y, [0, 1, 0], [2, 1, 3]))).item()).toBe(0);
  });

  it("MultiHeadAttention: PyTorch's parameters, masks, and per-head weights", () => {
    const mha = nb.nn.MultiHeadAttention(16, 4, { batchFirst: true });
    const { params } = mha.init(0);
    expect(params.inProjWeight?.shape).toEqual([48, 16]); // [3E, E], as PyTorch's in_proj_weight
    const x = nb.random.normal(nb.random.key(1), [2, 5, 16]);
    const padded = nb.array([
      [false, false, false, true, true], // the last two positions of example 0 are padding
      [false, false, false, false, false],
    ]);
    const { output, weights } = mha.apply(params, x, { keyPaddingMask: padded });
    expect(output.shape).toEqual([2, 5, 16]);
    expect(weights?.shape).toEqual([2, 5, 5]); // averaged over heads
    // Cross-attention: keys and values from another sequence.
    const memory = nb.random.normal(nb.random.key(2), [2, 7, 16]);
    expect(mha.apply(params, x, { key: memory, value: memory }).output.shape).toEqual([2, 5, 16]);
  });

  it("MultiHeadAttention: generating one token at a time with a key/value cache", () => {
    const mha = nb.nn.MultiHeadAttention(8, 2, { batchFirst: true });
    const { params } = mha.init(0);
    const tokens = nb.random.normal(nb.random.key(3), [1, 4, 8]);
    const full = mha.apply(params, tokens, { causal: true }).output;
    let cache: nb.nn.AttentionCache | null = null; // null starts a cache
    const outs: nb.Tensor[] = [];
    for (let t = 0; t < 4; t++) {
      const r: nb.nn.MultiHeadAttentionResult = mha.apply(params, nb.slice(tokens, [0, t, 0], [1, 1, 8]), {
        causal: true,
        cache,
      });
      outs.push(r.output);
      cache = r.cache ?? null;
    }
    const stepwise = nb.concatenate(outs, 1);
    expect(nb.max(nb.abs(nb.sub(stepwise, full))).item()).toBeLessThan(1e-5);
  });

  it("TransformerEncoderLayer: a block with positional encodings, trained with dropout", () => {
    const d = 16;
    const embed = nb.nn.Embedding(20, d);
    const pos = nb.nn.PositionalEmbedding(32, d);
    const block = nb.nn.TransformerEncoderLayer(d, 4, {
      dimFeedforward: 32,
      batchFirst: true,
      normFirst: true,
    });
    const init = {
      embed: embed.init(0).params,
      pos: pos.init(1).params,
      block: block.init(2).params,
    };
    const ids = nb.array([[1, 5, 7, 2]], { dtype: "int32" });
    const forward = (p: typeof init, key: nb.Tensor) => {
      const h = pos.apply(p.pos, embed.apply(p.embed, ids));
      return block.apply(p.block, h, { causal: true, train: true, key });
    };
    expect(forward(init, nb.random.key(4)).shape).toEqual([1, 4, d]);
    const loss = (p: typeof init, key: nb.Tensor) => nb.mean(nb.square(forward(p, key)));
    const grads = nb.jit(nb.grad(loss))(init, nb.random.key(5));
    expect(grads.block.selfAttn.inProjWeight?.shape).toEqual([3 * d, d]);
    // The fixed sinusoidal table works as well: [length, dim], added to the embeddings.
    const table = nb.nn.sinusoidalPositionalEncoding(4, d);
    expect(nb.add(embed.apply(init.embed, ids), table).shape).toEqual([1, 4, d]);
  });

  it("TransformerDecoderLayer: causal self-attention plus cross-attention on the encoder's output", () => {
    const enc = nb.nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, activation: "gelu" });
    const dec = nb.nn.TransformerDecoderLayer(8, 2, { dimFeedforward: 16 });
    const src = nb.random.normal(nb.random.key(0), [6, 2, 8]); // [S, N, E]: PyTorch's default layout
    const tgt = nb.random.normal(nb.random.key(1), [3, 2, 8]); // [L, N, E]
    const memory = enc.apply(enc.init(0).params, src);
    const y = dec.apply(dec.init(1).params, tgt, { memory, causal: true });
    expect(y.shape).toEqual([3, 2, 8]);
  });
});
