// Incremental decoding with TransformerDecoderLayer.applyWithCache (and MultiHeadAttention's staticCache):
// feeding a sequence in pieces must give the full causal pass, to rounding, in both norm placements and
// layouts, eagerly and under jit; the encoder memory is projected once.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectClose } from "../util/close.js";

type T = nb.Tensor;
const TOL = { atol: 1e-12, rtol: 1e-12 };
const randn = (seed: number, shape: number[]) =>
  nb.random.normal(nb.random.key(seed), shape, { dtype: "float64" });
/** Every parameter drawn afresh (init leaves biases at 0 and norms at 1, which would hide mistakes). */
const randomize = <P>(params: P, seed: number): P =>
  nb.treeMap((leaf, i) => nb.mul(randn(seed + i, (leaf as T).shape), 0.5), params);

const E = 8;
const NH = 2;
const N = 2;
const Lt = 5;
const S = 4;

describe("TransformerDecoderLayer.applyWithCache", () => {
  for (const normFirst of [false, true])
    for (const batchFirst of [true, false])
      it(`a prompt then one position per call equals the full causal pass (${normFirst ? "pre" : "post"}-norm, ${batchFirst ? "batch-first" : "sequence-first"})`, () => {
        const dec = nb.nn.TransformerDecoderLayer(E, NH, {
          dimFeedforward: 12,
          dropout: 0,
          normFirst,
          batchFirst,
          activation: "gelu",
          dtype: "float64",
        });
        const params = randomize(dec.init(0).params, 100);
        const seqAxis = batchFirst ? 1 : 0;
        const layout = (a: number, b: number) => (batchFirst ? [a, b, E] : [b, a, E]);
        const x = randn(1, layout(N, Lt));
        const memory = randn(2, layout(N, S));
        const memoryKeyPaddingMask = nb.array([
          [false, false, false, false],
          [false, false, true, true],
        ]);
        const full = dec.apply(params, x, { memory, memoryKeyPaddingMask, causal: true });
        const piece = (from: number, len: number) => {
          const start = [0, 0, 0];
          const size = layout(N, Lt);
          start[seqAxis] = from;
          size[seqAxis] = len;
          return nb.slice(x, start, size);
        };
        const first = dec.applyWithCache(params, piece(0, 2), {
          memory,
          memoryKeyPaddingMask,
          causal: true,
          cache: null,
        });
        expect(first.cache.selfAttn.key.shape).toEqual([N, NH, 2, E / NH]);
        expect(first.cache.multiheadAttn.key.shape).toEqual([N, NH, S, E / NH]);
        const outs = [first.output];
        let cache = first.cache;
        for (let t = 2; t < Lt; t++) {
          // memory is omitted: its keys and values come from the cache.
          const r = dec.applyWithCache(params, piece(t, 1), { memoryKeyPaddingMask, causal: true, cache });
          expect(r.cache.multiheadAttn).toBe(first.cache.multiheadAttn); // projected once, never redone
          expect(r.cache.selfAttn.key.shape).toEqual([N, NH, t + 1, E / NH]);
          outs.push(r.output);
          cache = r.cache;
        }
        expectClose(nb.concatenate(outs, seqAxis), full, TOL, "pieces");
      });

  it("one compiled step per cache length under jit, unbatched, equals the full pass", () => {
    const dec = nb.nn.TransformerDecoderLayer(E, NH, { dimFeedforward: 12, dropout: 0, dtype: "float64" });
    const params = randomize(dec.init(1).params, 200);
    const x = randn(3, [Lt, E]);
    const memory = randn(4, [S, E]);
    const full = dec.apply(params, x, { memory, causal: true });
    const step = nb.jit((p: nb.nn.TransformerDecoderLayerParams, xt: T, cache: nb.nn.DecoderCache) =>
      dec.applyWithCache(p, xt, { causal: true, cache }),
    );
    const first = dec.applyWithCache(params, nb.slice(x, [0, 0], [1, E]), {
      memory,
      causal: true,
      cache: null,
    });
    expect(first.cache.selfAttn.key.shape).toEqual([NH, 1, E / NH]);
    const outs = [first.output];
    let cache = first.cache;
    for (let t = 1; t < Lt; t++) {
      const r = step(params, nb.slice(x, [t, 0], [1, E]), cache);
      outs.push(r.output);
      cache = r.cache;
    }
    expectClose(nb.concatenate(outs, 0), full, TOL, "under jit");
  });

  it("tgtKeyPaddingMask covers the cached positions", () => {
    const dec = nb.nn.TransformerDecoderLayer(E, NH, {
      dimFeedforward: 12,
      dropout: 0,
      batchFirst: true,
      dtype: "float64",
    });
    const params = randomize(dec.init(2).params, 300);
    const x = randn(5, [N, 3, E]);
    const memory = randn(6, [N, S, E]);
    const pad = nb.array([
      [false, true, false],
      [false, false, false],
    ]);
    const full = dec.apply(params, x, { memory, causal: true, tgtKeyPaddingMask: pad });
    const r1 = dec.applyWithCache(params, nb.slice(x, [0, 0, 0], [N, 2, E]), {
      memory,
      causal: true,
      tgtKeyPaddingMask: nb.slice(pad, [0, 0], [N, 2]),
      cache: null,
    });
    const r2 = dec.applyWithCache(params, nb.slice(x, [0, 2, 0], [N, 1, E]), {
      causal: true,
      tgtKeyPaddingMask: pad,
      cache: r1.cache,
    });
    expectClose(nb.concatenate([r1.output, r2.output], 1), full, TOL);
  });

  it("errors name the layer, the argument and the fix", () => {
    const dec = nb.nn.TransformerDecoderLayer(E, NH, { dimFeedforward: 12, dropout: 0 });
    const { params } = dec.init(0);
    const x = nb.ones([2, 1, E]);
    expect(() => dec.applyWithCache(params, x, { cache: null })).toThrow(
      /TransformerDecoderLayer\(8, 2\): the first call of applyWithCache needs the encoder output as options.memory/,
    );
    expect(() => dec.applyWithCache(params, x, {} as unknown as nb.nn.DecoderCacheApplyOptions)).toThrow(
      /applyWithCache needs options.cache: null on the first call/,
    );
    expect(() =>
      dec.applyWithCache(params, x, { cache: { selfAttn: 1 } as unknown as nb.nn.DecoderCache }),
    ).toThrow(/options.cache must be null or the \{ selfAttn, multiheadAttn \} cache/);
    expect(() => dec.apply(params, x, { memory: nb.ones([3, E]) })).toThrow(
      /both be batched or both unbatched/,
    );
  });
});

describe("MultiHeadAttention staticCache", () => {
  const mha = nb.nn.MultiHeadAttention(E, NH, { batchFirst: true, dtype: "float64" });
  const params = randomize(mha.init(0).params, 400);
  const q = randn(7, [N, 3, E]);
  const mem = randn(8, [N, S, E]);

  it("cross-attention on keys and values projected by an earlier call equals the direct call", () => {
    const direct = mha.apply(params, q, { key: mem });
    const { cache } = mha.apply(params, nb.slice(q, [0, 0, 0], [N, 1, E]), { key: mem, cache: null });
    const r = mha.apply(params, q, { cache: cache!, staticCache: true });
    expectClose(r.output, direct.output, TOL, "output");
    expectClose(r.weights, direct.weights, TOL, "weights");
    expect(r.cache).toBe(cache);
  });

  it("needs a cache and no key or value", () => {
    expect(() => mha.apply(params, q, { staticCache: true })).toThrow(
      /MultiHeadAttention\(8, 2\): options.staticCache needs options.cache/,
    );
    const { cache } = mha.apply(params, q, { key: mem, cache: null });
    expect(() => mha.apply(params, q, { key: mem, cache: cache!, staticCache: true })).toThrow(
      /omit options.key and options.value/,
    );
  });
});
