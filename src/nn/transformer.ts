// Transformer blocks with PyTorch's structure: TransformerEncoderLayer and TransformerDecoderLayer, post-norm
// (PyTorch's default) or pre-norm (normFirst).
import { fmtShape, ValueError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { add, div, gelu, relu, where } from "../ops/elementwise.js";
import { bernoulli, type Key, split } from "../ops/random.js";
import { floatArg, type TensorLike } from "../ops/util.js";
import {
  type AttentionCache,
  linearT,
  type MultiHeadAttentionParams,
  MultiHeadAttention as makeMha,
  torchLinearInit,
} from "./attention.js";
import {
  type ApplyOptions,
  floatOption,
  type Layer,
  makeLayer,
  type Params,
  positiveInt,
  shapeError,
} from "./layer.js";
import { LayerNorm } from "./norm.js";

export interface TransformerLayerOptions {
  /** Hidden size of the feed-forward block. Default 2048. */
  dimFeedforward?: number;
  /** Dropout rate (attention weights, feed-forward, residual branches) in training mode. Default 0.1. */
  dropout?: number;
  /** Feed-forward activation. Default "relu". */
  activation?: "relu" | "gelu" | ((x: Tensor) => Tensor);
  /** Pre-norm (LayerNorm before each block) instead of PyTorch's default post-norm. Default false. */
  normFirst?: boolean;
  /** Inputs [N, L, E] instead of [L, N, E]. Default false (as PyTorch). */
  batchFirst?: boolean;
  /** LayerNorm's eps. Default 1e-5. */
  layerNormEps?: number;
  /** Biases in the linear and norm layers. Default true. */
  bias?: boolean;
  dtype?: "float32" | "float64";
}

/** Options of TransformerEncoderLayer's apply. */
export interface EncoderApplyOptions extends ApplyOptions {
  /** Self-attention mask [L, L] or [N·H, L, L] (bool true = blocked, or float added), as PyTorch's src_mask. */
  mask?: TensorLike;
  /** [N, L] bool, true = padding (PyTorch's src_key_padding_mask). */
  keyPaddingMask?: TensorLike;
  /** Causal self-attention. */
  causal?: boolean;
}

/** Options of TransformerDecoderLayer's apply. */
export interface DecoderApplyOptions extends ApplyOptions {
  /**
   * The encoder output [S, N, E] ([N, S, E] batch-first, [S, E] unbatched). Required, except in
   * `applyWithCache` after the first call, which reads its keys and values from the cache.
   */
  memory?: TensorLike;
  tgtMask?: TensorLike;
  memoryMask?: TensorLike;
  tgtKeyPaddingMask?: TensorLike;
  memoryKeyPaddingMask?: TensorLike;
  /** Causal self-attention (PyTorch's tgt_is_causal). */
  causal?: boolean;
}

type LinearT = { weight: Tensor; bias?: Tensor };
export type TransformerEncoderLayerParams = {
  selfAttn: MultiHeadAttentionParams;
  linear1: LinearT;
  linear2: LinearT;
  norm1: Params;
  norm2: Params;
};
export type TransformerDecoderLayerParams = TransformerEncoderLayerParams & {
  multiheadAttn: MultiHeadAttentionParams;
  norm3: Params;
};

function common(where0: string, dModel: number, nhead: number, o: TransformerLayerOptions) {
  positiveInt(where0, "dModel", dModel);
  positiveInt(where0, "nhead", nhead);
  if (dModel % nhead !== 0)
    throw new ValueError(`${where0}: nhead (${nhead}) must divide dModel (${dModel})`);
  const { dimFeedforward = 2048, dropout = 0.1, normFirst = false, batchFirst = false, bias = true } = o;
  positiveInt(where0, "dimFeedforward", dimFeedforward);
  if (!(dropout >= 0 && dropout <= 1))
    throw new ValueError(`${where0}: dropout must be in [0, 1], got ${dropout}`);
  const dtype = floatOption(where0, o.dtype);
  const act = o.activation ?? "relu";
  const activation =
    act === "relu" ? relu : act === "gelu" ? gelu : typeof act === "function" ? act : undefined;
  if (activation === undefined)
    throw new ValueError(`${where0}: activation must be "relu", "gelu" or a function, got ${String(act)}`);
  const mha = makeMha(dModel, nhead, { dropout, batchFirst, bias, dtype });
  const norm = LayerNorm(dModel, { eps: o.layerNormEps ?? 1e-5, affine: true, dtype });
  const drop = (x: Tensor, train: boolean | undefined, key: Key | undefined): Tensor => {
    if (!train || dropout === 0) return x;
    const keep = bernoulli(key!, 1 - dropout, x.shape);
    return where(keep, dropout === 1 ? x : div(x, 1 - dropout), 0);
  };
  const needKey = (name: string, o2: ApplyOptions) => {
    if (o2.train && dropout > 0 && o2.key === undefined)
      throw new ValueError(
        `${name}: training mode with dropout ${dropout} needs randomness: pass { train: true, key: nb.random.key(seed) }`,
      );
  };
  const check = (name: string, what: string, s: readonly number[]) => {
    if ((s.length !== 3 && s.length !== 2) || s[s.length - 1] !== dModel)
      throw shapeError(
        name,
        `${what} must be ${batchFirst ? "[N, L, dModel]" : "[L, N, dModel]"} or [L, dModel] with dModel ${dModel}, got ${fmtShape(s)}`,
      );
  };
  const ffInit = (k1: Key, k2: Key) => ({
    linear1: torchLinearInit(k1, dimFeedforward, dModel, bias, dtype),
    linear2: torchLinearInit(k2, dModel, dimFeedforward, bias, dtype),
  });
  const ff = (
    p: { linear1: LinearT; linear2: LinearT },
    x: Tensor,
    train: boolean | undefined,
    key: Key | undefined,
  ) =>
    linearT(
      drop(activation(linearT(x, p.linear1.weight, p.linear1.bias)), train, key),
      p.linear2.weight,
      p.linear2.bias,
    );
  const normInit = () => norm.init(0).params;
  return { mha, norm, drop, needKey, check, ffInit, ff, normInit, normFirst, dropout };
}

/** An encoder layer: apply takes {@link EncoderApplyOptions}. */
export type TransformerEncoderLayer = Layer<TransformerEncoderLayerParams> & {
  apply(params: TransformerEncoderLayerParams, x: TensorLike, options?: EncoderApplyOptions): Tensor;
};
/**
 * The key/value cache of a {@link TransformerDecoderLayer} for incremental decoding, named after the
 * attention blocks' params: `selfAttn` grows by the new positions on every call, `multiheadAttn` holds the
 * encoder memory's keys and values, projected once on the first call. Each is an {@link AttentionCache}
 * ([N, nhead, S, dModel/nhead], without N for unbatched input); the whole cache is a pytree of tensors, so it
 * passes through jit.
 */
export interface DecoderCache {
  selfAttn: AttentionCache;
  multiheadAttn: AttentionCache;
}

/** Options of TransformerDecoderLayer's applyWithCache: those of apply and the cache. */
export interface DecoderCacheApplyOptions extends DecoderApplyOptions {
  /**
   * The cache returned by the previous call, or null on the first call (which projects `memory`). Later
   * calls read the memory's keys and values from the cache, so `memory` may be omitted there (a memory
   * given again is not read). `tgtMask` and `tgtKeyPaddingMask` then cover the cached positions too:
   * [L, cached + L] and [N, cached + L].
   */
  cache: DecoderCache | null;
}

/** What TransformerDecoderLayer's applyWithCache returns: the output for the new positions and the cache. */
export interface DecoderCacheResult {
  output: Tensor;
  cache: DecoderCache;
}

/** A decoder layer: apply takes {@link DecoderApplyOptions} (with `memory`); applyWithCache decodes incrementally. */
export type TransformerDecoderLayer = Layer<TransformerDecoderLayerParams> & {
  apply(params: TransformerDecoderLayerParams, x: TensorLike, options?: DecoderApplyOptions): Tensor;
  /**
   * Incremental decoding: runs the layer on the new target positions x ([L, N, dModel], [N, L, dModel]
   * batch-first, or [L, dModel]), attending to the positions of earlier calls through `options.cache`
   * (null on the first call) and returning the output for x with the updated cache. With `causal: true`,
   * feeding a sequence in pieces (a prompt, then one token per call) gives the outputs of `apply` on the
   * whole sequence with `causal: true`.
   */
  applyWithCache(
    params: TransformerDecoderLayerParams,
    x: TensorLike,
    options: DecoderCacheApplyOptions,
  ): DecoderCacheResult;
};

/**
 * PyTorch's nn.TransformerEncoderLayer: self-attention and a feed-forward block (linear1 → activation →
 * dropout → linear2), each with dropout on its residual branch, LayerNorm after each (post-norm, default)
 * or before (`normFirst`). Parameter names follow PyTorch's (selfAttn, linear1, linear2, norm1, norm2) and
 * linear weights its [out, in] layout.
 * @example
 * ```ts
 * const enc = nb.nn.TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true });
 * const { params } = enc.init(0);
 * enc.apply(params, nb.ones([2, 5, 16]), { causal: true }).shape; // [2, 5, 16]
 * ```
 */
export function TransformerEncoderLayer(
  dModel: number,
  nhead: number,
  options: TransformerLayerOptions = {},
): TransformerEncoderLayer {
  const c = common("TransformerEncoderLayer", dModel, nhead, options);
  const name = `TransformerEncoderLayer(${dModel}, ${nhead})`;
  return makeLayer<TransformerEncoderLayerParams>({
    name,
    stochastic: c.dropout > 0,
    init: (key) => {
      const [ka, k1, k2] = split(key, 3);
      return {
        params: {
          selfAttn: c.mha.init(ka!).params,
          ...c.ffInit(k1!, k2!),
          norm1: c.normInit(),
          norm2: c.normInit(),
        },
        state: {},
      };
    },
    forward: (p, state, x, o0) => {
      const o = o0 as EncoderApplyOptions;
      c.check(name, "input", x.shape);
      c.needKey(name, o);
      const train = o.train;
      const keys = train && c.dropout > 0 ? split(o.key!, 4) : [];
      const sa = (h: Tensor) =>
        c.drop(
          c.mha.apply(p.selfAttn, h, {
            attnMask: o.mask,
            keyPaddingMask: o.keyPaddingMask,
            causal: o.causal,
            needWeights: false,
            train,
            dropoutKey: keys[0],
          }).output,
          train,
          keys[1],
        );
      const ffb = (h: Tensor) => c.drop(c.ff(p, h, train, keys[2]), train, keys[3]);
      const n1 = (h: Tensor) => c.norm.apply(p.norm1, h);
      const n2 = (h: Tensor) => c.norm.apply(p.norm2, h);
      let y: Tensor;
      if (c.normFirst) {
        y = add(x, sa(n1(x)));
        y = add(y, ffb(n2(y)));
      } else {
        y = n1(add(x, sa(x)));
        y = n2(add(y, ffb(y)));
      }
      return [y, state];
    },
    outputShape: (s) => {
      c.check(name, "input", s);
      return [...s];
    },
  }) as TransformerEncoderLayer;
}

/**
 * PyTorch's nn.TransformerDecoderLayer: self-attention, cross-attention on `options.memory` and a
 * feed-forward block, post-norm (default) or pre-norm (`normFirst`); parameters selfAttn, multiheadAttn,
 * linear1, linear2, norm1, norm2, norm3 as in PyTorch. For generation, `applyWithCache` decodes a few
 * positions at a time with a key/value cache (see {@link DecoderCache}): the memory is projected once and
 * each call adds its positions to the self-attention cache.
 * @example
 * ```ts
 * const dec = nb.nn.TransformerDecoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true });
 * const { params } = dec.init(0);
 * const memory = nb.ones([2, 7, 16]);
 * dec.apply(params, nb.ones([2, 5, 16]), { memory, causal: true }).shape; // [2, 5, 16]
 *
 * // Token by token: a prompt of 3 positions, then one position per call.
 * let { output, cache } = dec.applyWithCache(params, nb.ones([2, 3, 16]), { memory, causal: true, cache: null });
 * ({ output, cache } = dec.applyWithCache(params, nb.ones([2, 1, 16]), { causal: true, cache }));
 * output.shape;               // [2, 1, 16]
 * cache.selfAttn.key.shape;   // [2, 4, 4, 4]: batch, heads, positions so far, dModel / nhead
 * ```
 */
export function TransformerDecoderLayer(
  dModel: number,
  nhead: number,
  options: TransformerLayerOptions = {},
): TransformerDecoderLayer {
  const c = common("TransformerDecoderLayer", dModel, nhead, options);
  const name = `TransformerDecoderLayer(${dModel}, ${nhead})`;

  /** The layer on x; with `cache` (null to start one) the attention blocks read and return their caches. */
  const run = (
    p: TransformerDecoderLayerParams,
    x: Tensor,
    o: DecoderApplyOptions,
    cache: DecoderCache | null | undefined,
  ): [Tensor, DecoderCache | undefined] => {
    c.check(name, "input", x.shape);
    const cached = cache !== undefined && cache !== null;
    let memory: Tensor | undefined;
    if (!cached) {
      if (o.memory === undefined)
        throw new ValueError(
          `${name}: ${cache === null ? "the first call of applyWithCache" : "apply"} needs the encoder output as options.memory`,
        );
      memory = floatArg(name, o.memory, "options.memory");
      c.check(name, "options.memory", memory.shape);
      if (memory.ndim !== x.ndim)
        throw shapeError(
          name,
          `input ${fmtShape(x.shape)} and options.memory ${fmtShape(memory.shape)} must both be batched or both unbatched`,
        );
    }
    c.needKey(name, o);
    const train = o.train;
    const keys = train && c.dropout > 0 ? split(o.key!, 6) : [];
    let selfCache: AttentionCache | undefined;
    let crossCache: AttentionCache | undefined;
    const sa = (h: Tensor) => {
      const r = c.mha.apply(p.selfAttn, h, {
        attnMask: o.tgtMask,
        keyPaddingMask: o.tgtKeyPaddingMask,
        causal: o.causal,
        needWeights: false,
        train,
        dropoutKey: keys[0],
        ...(cache === undefined ? {} : { cache: cache === null ? null : cache.selfAttn }),
      });
      selfCache = r.cache;
      return c.drop(r.output, train, keys[1]);
    };
    const ca = (h: Tensor) => {
      const r = c.mha.apply(p.multiheadAttn, h, {
        // The memory is projected once (cache null starts the cross-attention cache) and read back after.
        ...(cached
          ? { cache: cache.multiheadAttn, staticCache: true }
          : { key: memory, value: memory, ...(cache === null ? { cache: null } : {}) }),
        attnMask: o.memoryMask,
        keyPaddingMask: o.memoryKeyPaddingMask,
        needWeights: false,
        train,
        dropoutKey: keys[2],
      });
      crossCache = r.cache;
      return c.drop(r.output, train, keys[3]);
    };
    const ffb = (h: Tensor) => c.drop(c.ff(p, h, train, keys[4]), train, keys[5]);
    const n = (q: Params, h: Tensor) => c.norm.apply(q, h);
    let y: Tensor;
    if (c.normFirst) {
      y = add(x, sa(n(p.norm1, x)));
      y = add(y, ca(n(p.norm2, y)));
      y = add(y, ffb(n(p.norm3, y)));
    } else {
      y = n(p.norm1, add(x, sa(x)));
      y = n(p.norm2, add(y, ca(y)));
      y = n(p.norm3, add(y, ffb(y)));
    }
    return [y, cache === undefined ? undefined : { selfAttn: selfCache!, multiheadAttn: crossCache! }];
  };

  const layer = makeLayer<TransformerDecoderLayerParams>({
    name,
    stochastic: c.dropout > 0,
    init: (key) => {
      const [ka, kc, k1, k2] = split(key, 4);
      return {
        params: {
          selfAttn: c.mha.init(ka!).params,
          multiheadAttn: c.mha.init(kc!).params,
          ...c.ffInit(k1!, k2!),
          norm1: c.normInit(),
          norm2: c.normInit(),
          norm3: c.normInit(),
        },
        state: {},
      };
    },
    forward: (p, state, x, o) => [run(p, x, o as DecoderApplyOptions, undefined)[0], state],
    outputShape: (s) => {
      c.check(name, "input", s);
      return [...s];
    },
  });
  const applyWithCache = (
    params: TransformerDecoderLayerParams,
    x: TensorLike,
    options: DecoderCacheApplyOptions,
  ): DecoderCacheResult => {
    if (options === null || typeof options !== "object" || !("cache" in options))
      throw new ValueError(
        `${name}: applyWithCache needs options.cache: null on the first call, then the cache it returned`,
      );
    const cache = options.cache;
    if (
      cache !== null &&
      (typeof cache !== "object" ||
        !(cache.selfAttn?.key instanceof Tensor) ||
        !(cache.multiheadAttn?.key instanceof Tensor))
    )
      throw new ValueError(
        `${name}: options.cache must be null or the { selfAttn, multiheadAttn } cache returned by applyWithCache, got ${String(cache)}`,
      );
    if (params === null || typeof params !== "object" || params instanceof Tensor)
      throw new ValueError(`${name}: params must be the object returned by init(key).params`);
    const [output, next] = run(params, floatArg(name, x), options, cache);
    return { output, cache: next! };
  };
  return Object.assign(layer, { applyWithCache }) as TransformerDecoderLayer;
}
