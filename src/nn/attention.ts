// Attention: scaledDotProductAttention, MultiHeadAttention (PyTorch's parameter layout, key/value caching)
// and positional encodings (sinusoidal and learned).
import { getDefaultFloat } from "../core/convert.js";
import { fmtShape, ShapeError, ValueError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { array } from "../ops/creation.js";
import { add, astype, div, exp, greater, mul, sub, where } from "../ops/elementwise.js";
import { matmul } from "../ops/linalg.js";
import { bernoulli, type Key, split } from "../ops/random.js";
import { max, mean, sum } from "../ops/reduce.js";
import { concatenate, reshape, slice, transpose } from "../ops/shape.js";
import { asTensor, floatArg, type TensorLike } from "../ops/util.js";
import { stopGradient } from "../transforms/api.js";
import { glorotUniform, type Initializer, normal, uniform, zeros } from "./init.js";
import {
  type ApplyOptions,
  checkParam,
  floatOption,
  type Layer,
  makeLayer,
  positiveInt,
  shapeError,
  toKey,
} from "./layer.js";

type DT = "float32" | "float64" | undefined;

export interface AttentionOptions {
  /**
   * A bool mask (true = may attend, PyTorch's `attn_mask` of F.scaled_dot_product_attention) or a float mask
   * added to the scores (use −Infinity to block); broadcast against [..., L, S].
   */
  mask?: TensorLike;
  /** Query i attends to keys j ≤ i (top-left aligned, PyTorch's `is_causal`); combined with `mask` if both are given. */
  causal?: boolean;
  /** Multiplies q·kᵀ. Default 1/√E. */
  scale?: number;
  /** Dropout rate on the attention weights (needs `key`). Default 0. */
  dropout?: number;
  /** Randomness for `dropout`. */
  key?: Key;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Swaps the last two axes. */
const swapLast = (t: Tensor) => {
  const p = range(t.ndim);
  p[t.ndim - 2] = t.ndim - 1;
  p[t.ndim - 1] = t.ndim - 2;
  return transpose(t, p);
};

/** A bool [L, S] mask with true where query i (at position offset + i) may see key j: j ≤ offset + i. */
export function causalMask(l: number, s: number, offset = 0): Tensor {
  const data = new Uint8Array(l * s);
  for (let i = 0; i < l; i++) for (let j = 0; j < s; j++) data[i * s + j] = j <= offset + i ? 1 : 0;
  return reshape(astype(array(data, { dtype: "int32" }), "bool"), [l, s]);
}

/** The additive or bool mask and causal mask of `attend`, resolved to one bool mask and one float bias. */
interface Masks {
  allowed?: Tensor;
  bias?: Tensor;
}

function andMasks(a: Tensor | undefined, b: Tensor): Tensor {
  return a === undefined ? b : where(a, b, false);
}

/**
 * Softmax over the last axis with blocked entries (allowed false) left out; a row with nothing allowed (or
 * every score −Infinity) gives zeros, not NaN. The shift by the row maximum is a constant of the derivative.
 */
function maskedSoftmax(s: Tensor, allowed: Tensor | undefined): Tensor {
  const blocked = allowed === undefined ? s : where(allowed, s, -Infinity);
  const m = stopGradient(max(blocked, { axis: -1, keepdims: true }));
  const mSafe = where(greater(m, -Infinity), m, 0);
  let e = exp(sub(blocked, mSafe));
  if (allowed !== undefined) e = where(allowed, e, 0);
  const d = sum(e, { axis: -1, keepdims: true });
  return div(e, where(greater(d, 0), d, 1));
}

/** Attention with the weights returned too (used by MultiHeadAttention). */
export function attend(
  op: string,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  masks: Masks,
  scale: number,
  dropout: number,
  key: Key | undefined,
): [Tensor, Tensor] {
  let s = mul(matmul(q, swapLast(k)), scale);
  if (masks.bias !== undefined) s = add(s, masks.bias);
  let p = maskedSoftmax(s, masks.allowed);
  if (dropout > 0) {
    if (key === undefined)
      throw new ValueError(`${op}: dropout ${dropout} needs randomness: pass a key (nb.random.key(seed))`);
    const keep = bernoulli(key, 1 - dropout, p.shape);
    p = where(keep, dropout === 1 ? p : div(p, 1 - dropout), 0);
  }
  return [matmul(p, v), p];
}

/** Resolves a user mask (bool: true = attend; float: added) and a causal flag. */
function resolveMask(
  op: string,
  mask: TensorLike | undefined,
  causal: Tensor | undefined,
  like: Tensor,
): Masks {
  let allowed = causal;
  let bias: Tensor | undefined;
  if (mask !== undefined && mask !== null) {
    const m = asTensor(mask, op, "options.mask");
    if (m.dtype === "bool") allowed = andMasks(allowed, m);
    else if (m.dtype === "float32" || m.dtype === "float64") bias = astype(m, like.dtype);
    else
      throw new ValueError(
        `${op}: options.mask must be a bool tensor (true = attend) or a float tensor added to the scores, got ${m.dtype}`,
      );
  }
  return { allowed, bias };
}

/**
 * Scaled dot-product attention with PyTorch's F.scaled_dot_product_attention semantics:
 * softmax(q·kᵀ·scale + mask)·v for q [..., L, E], k [..., S, E], v [..., S, Ev] → [..., L, Ev] (leading
 * dimensions broadcast). `mask` is bool (true = attend) or float (added to the scores); `causal` lets query
 * i see keys j ≤ i. The softmax subtracts the row maximum. Departing from PyTorch (which gives NaN), a query
 * whose keys are all masked out gets weights 0 and so an output of zeros, with zero gradients.
 * @example
 * ```ts
 * const q = nb.ones([2, 3, 4]); // [batch, L, E]
 * const kv = nb.ones([2, 5, 4]);
 * nb.nn.scaledDotProductAttention(q, kv, kv, { causal: true }).shape; // [2, 3, 4]
 * ```
 */
export function scaledDotProductAttention(
  q: TensorLike,
  k: TensorLike,
  v: TensorLike,
  options: AttentionOptions = {},
): Tensor {
  const op = "scaledDotProductAttention";
  const qt = floatArg(op, q, "q");
  const kt = floatArg(op, k, "k");
  const vt = floatArg(op, v, "v");
  for (const [n, t] of [
    ["q", qt],
    ["k", kt],
    ["v", vt],
  ] as const)
    if (t.ndim < 2)
      throw shapeError(op, `${n} must have shape [..., length, features], got ${fmtShape(t.shape)}`);
  const e = qt.shape[qt.ndim - 1]!;
  const l = qt.shape[qt.ndim - 2]!;
  const s = kt.shape[kt.ndim - 2]!;
  if (kt.shape[kt.ndim - 1] !== e)
    throw shapeError(
      op,
      `q ${fmtShape(qt.shape)} and k ${fmtShape(kt.shape)} must have the same last dimension`,
    );
  if (vt.shape[vt.ndim - 2] !== s)
    throw shapeError(
      op,
      `k ${fmtShape(kt.shape)} and v ${fmtShape(vt.shape)} must have the same length (axis -2)`,
    );
  const { scale = 1 / Math.sqrt(e), dropout = 0, causal = false } = options;
  if (!(dropout >= 0 && dropout <= 1))
    throw new ValueError(`${op}: dropout must be in [0, 1], got ${dropout}`);
  const masks = resolveMask(op, options.mask, causal ? causalMask(l, s) : undefined, qt);
  try {
    return attend(op, qt, kt, vt, masks, scale, dropout, options.key)[0];
  } catch (err) {
    if (err instanceof ShapeError && !err.message.startsWith(op))
      throw shapeError(
        op,
        `q ${fmtShape(qt.shape)}, k ${fmtShape(kt.shape)} and v ${fmtShape(vt.shape)} (with options.mask) do not fit: ${err.message}`,
      );
    throw err;
  }
}

// ---- MultiHeadAttention ------------------------------------------------------------------------------------

export interface MultiHeadAttentionOptions {
  /** Feature size of the keys. Default embedDim. */
  kdim?: number;
  /** Feature size of the values. Default embedDim. */
  vdim?: number;
  /** Learned biases of the input and output projections. Default true. */
  bias?: boolean;
  /** Dropout rate on the attention weights in training mode. Default 0. */
  dropout?: number;
  /** Inputs [N, L, E] instead of PyTorch's default [L, N, E]. Default false (as PyTorch). */
  batchFirst?: boolean;
  dtype?: "float32" | "float64";
}

/**
 * Parameters in PyTorch's layout (weights [out, in]): `inProjWeight` [3E, E] and `inProjBias` [3E] when
 * kdim = vdim = E, else `qProjWeight` [E, E], `kProjWeight` [E, kdim], `vProjWeight` [E, vdim]; and
 * `outProj: { weight [E, E], bias [E] }`.
 */
export type MultiHeadAttentionParams = {
  inProjWeight?: Tensor;
  qProjWeight?: Tensor;
  kProjWeight?: Tensor;
  vProjWeight?: Tensor;
  inProjBias?: Tensor;
  outProj: { weight: Tensor; bias?: Tensor };
};

/** Projected keys and values of earlier steps, [N, H, S, E/H] ([H, S, E/H] unbatched). */
export interface AttentionCache {
  key: Tensor;
  value: Tensor;
}

export interface MultiHeadAttentionApplyOptions {
  /** Keys [S, N, kdim] ([N, S, kdim] batch-first, [S, kdim] unbatched). Default the query (self-attention). */
  key?: TensorLike;
  /** Values, shaped like `key` with vdim features. Default `key`. */
  value?: TensorLike;
  /** Bool [N, S] (true = padding, ignored, as PyTorch) or float [N, S] added to the scores. */
  keyPaddingMask?: TensorLike;
  /** Bool [L, S] or [N·H, L, S] (true = NOT allowed, as PyTorch's MultiheadAttention) or float (added). */
  attnMask?: TensorLike;
  /** Query i sees keys up to its own position (counting cached keys). Default false. */
  causal?: boolean;
  /** Also return the attention weights. Default true (as PyTorch). */
  needWeights?: boolean;
  /** Weights averaged over heads ([N, L, S]) rather than per head ([N, H, L, S]). Default true. */
  averageWeights?: boolean;
  /** Keys and values of earlier calls (null to start a cache); the result then has the updated cache. */
  cache?: AttentionCache | null;
  /**
   * The cache already holds every key and value (cross-attention on an encoder output projected by an
   * earlier call): nothing is projected or appended, `key` and `value` must be omitted, and the result's
   * cache is the one given. Needs `cache`. Default false.
   */
  staticCache?: boolean;
  /** Training mode (dropout on the attention weights). */
  train?: boolean;
  /** Randomness for dropout in training mode (`key` is the attention keys here). */
  dropoutKey?: Key;
}

export interface MultiHeadAttentionResult {
  output: Tensor;
  weights?: Tensor;
  cache?: AttentionCache;
}

/** Multi-head attention: init like a layer, apply returns `{ output, weights?, cache? }`. */
export interface MultiHeadAttention {
  readonly name: string;
  readonly embedDim: number;
  readonly numHeads: number;
  init(key: Key | number): { params: MultiHeadAttentionParams; state: Record<string, never> };
  apply(
    params: MultiHeadAttentionParams,
    query: TensorLike,
    options?: MultiHeadAttentionApplyOptions,
  ): MultiHeadAttentionResult;
}

/** x · wᵀ + b with PyTorch's [out, in] weight layout. */
export const linearT = (x: Tensor, w: Tensor, b?: Tensor): Tensor => {
  const y = matmul(x, transpose(w));
  return b === undefined ? y : add(y, b);
};

/** PyTorch's default Linear init: weight and bias U(±1/√in). */
export const torchLinearInit = (key: Key, out: number, inp: number, bias: boolean, dtype: DT) => {
  const [kw, kb] = split(key);
  const b = 1 / Math.sqrt(inp);
  const p: { weight: Tensor; bias?: Tensor } = { weight: uniform(-b, b)(kw!, [out, inp], { dtype }) };
  if (bias) p.bias = uniform(-b, b)(kb!, [out], { dtype });
  return p;
};

/**
 * Multi-head attention with PyTorch's nn.MultiheadAttention parameters and semantics: inputs [L, N, E]
 * (or [N, L, E] with `batchFirst`, or unbatched [L, E]); masks where true means blocked (`keyPaddingMask`,
 * bool `attnMask`), as PyTorch; returns `{ output, weights }` with weights averaged over heads.
 * For generation, pass `cache: null` on the first call and the returned `cache` on each following one:
 * with `causal: true`, decoding one token at a time equals the causal pass over the whole sequence. For
 * cross-attention on a fixed encoder output, project it once with `{ key: memory, cache: null }` and pass
 * that cache afterwards with `staticCache: true` (nothing is appended).
 * A query whose keys are all masked gets an output equal to the output projection's bias (no NaN).
 * @example
 * ```ts
 * const mha = nb.nn.MultiHeadAttention(8, 2, { batchFirst: true });
 * const { params } = mha.init(0);
 * const x = nb.ones([3, 5, 8]);
 * const { output, weights } = mha.apply(params, x, { causal: true });
 * output.shape; weights?.shape; // [3, 5, 8], [3, 5, 5]
 * ```
 */
export function MultiHeadAttention(
  embedDim: number,
  numHeads: number,
  options: MultiHeadAttentionOptions = {},
): MultiHeadAttention {
  const where0 = "MultiHeadAttention";
  positiveInt(where0, "embedDim", embedDim);
  positiveInt(where0, "numHeads", numHeads);
  if (embedDim % numHeads !== 0)
    throw new ValueError(`${where0}: numHeads (${numHeads}) must divide embedDim (${embedDim})`);
  const { kdim = embedDim, vdim = embedDim, bias = true, dropout = 0, batchFirst = false } = options;
  positiveInt(where0, "kdim", kdim);
  positiveInt(where0, "vdim", vdim);
  if (!(dropout >= 0 && dropout <= 1))
    throw new ValueError(`${where0}: dropout must be in [0, 1], got ${dropout}`);
  const dtype = floatOption(where0, options.dtype);
  const E = embedDim;
  const H = numHeads;
  const D = E / H;
  const packed = kdim === E && vdim === E;
  const name = `MultiHeadAttention(${E}, ${H})`;
  const layout = batchFirst ? "[N, L, features]" : "[L, N, features]";

  const init = (k: Key | number) => {
    const [k1, k2, k3, k4] = split(toKey(name, k), 4);
    const params: MultiHeadAttentionParams = {
      outProj: { weight: torchLinearInit(k4!, E, E, false, dtype).weight },
    };
    if (packed) params.inProjWeight = glorotUniform(k1!, [3 * E, E], { dtype, fanIn: E, fanOut: 3 * E });
    else {
      params.qProjWeight = glorotUniform(k1!, [E, E], { dtype, fanIn: E, fanOut: E });
      params.kProjWeight = glorotUniform(k2!, [E, kdim], { dtype, fanIn: kdim, fanOut: E });
      params.vProjWeight = glorotUniform(k3!, [E, vdim], { dtype, fanIn: vdim, fanOut: E });
    }
    if (bias) {
      params.inProjBias = zeros(0, [3 * E], { dtype });
      params.outProj.bias = zeros(0, [E], { dtype });
    }
    return { params, state: {} as Record<string, never> };
  };

  /** [N, L, F] batch-first (adding N = 1 when unbatched), checking the feature size. */
  const toBatchFirst = (what: string, t: Tensor, feat: number, batched: boolean): Tensor => {
    const want = batched ? 3 : 2;
    if (t.ndim !== want || t.shape[t.ndim - 1] !== feat) {
      throw shapeError(
        name,
        `${what} must be ${batched ? layout : "[L, features]"} with ${feat} features, got ${fmtShape(t.shape)}`,
      );
    }
    if (!batched) return reshape(t, [1, ...t.shape]);
    return batchFirst ? t : transpose(t, [1, 0, 2]);
  };

  const apply = (
    p: MultiHeadAttentionParams,
    query: TensorLike,
    o: MultiHeadAttentionApplyOptions = {},
  ): MultiHeadAttentionResult => {
    if (p === null || typeof p !== "object" || p instanceof Tensor || p.outProj === undefined)
      throw new ValueError(`${name}: params must be the object returned by init(key).params`);
    const q0 = floatArg(name, query, "query");
    if (q0.ndim !== 2 && q0.ndim !== 3)
      throw shapeError(name, `query must be ${layout} or unbatched [L, features], got ${fmtShape(q0.shape)}`);
    const batched = q0.ndim === 3;
    const q = toBatchFirst("query", q0, E, batched);
    const staticCache = o.staticCache ?? false;
    if (typeof staticCache !== "boolean")
      throw new ValueError(`${name}: options.staticCache must be true or false, got ${String(staticCache)}`);
    if (staticCache && (o.cache === undefined || o.cache === null))
      throw new ValueError(
        `${name}: options.staticCache needs options.cache, the keys and values returned by an earlier call (make them with { key: memory, cache: null })`,
      );
    if (staticCache && (o.key !== undefined || o.value !== undefined))
      throw new ValueError(
        `${name}: with options.staticCache the keys and values come from options.cache; omit options.key and options.value`,
      );
    if (o.key instanceof Tensor && o.key.dtype !== "float32" && o.key.dtype !== "float64")
      throw new ValueError(
        `${name}: options.key is the attention keys (a float tensor), got ${o.key.dtype} ${fmtShape(o.key.shape)}; pass randomness for dropout as options.dropoutKey`,
      );
    const N = q.shape[0]!;
    const L = q.shape[1]!;

    // Projections (PyTorch: x·Wᵀ + b, the packed weight split in thirds).
    let wq: Tensor;
    let wk: Tensor;
    let wv: Tensor;
    if (packed) {
      checkParam(name, "inProjWeight", p.inProjWeight, [3 * E, E]);
      wq = slice(p.inProjWeight!, [0, 0], [E, E]);
      wk = slice(p.inProjWeight!, [E, 0], [E, E]);
      wv = slice(p.inProjWeight!, [2 * E, 0], [E, E]);
    } else {
      checkParam(name, "qProjWeight", p.qProjWeight, [E, E]);
      checkParam(name, "kProjWeight", p.kProjWeight, [E, kdim]);
      checkParam(name, "vProjWeight", p.vProjWeight, [E, vdim]);
      [wq, wk, wv] = [p.qProjWeight!, p.kProjWeight!, p.vProjWeight!];
    }
    checkParam(name, "outProj.weight", p.outProj.weight, [E, E]);
    let bq: Tensor | undefined;
    let bk: Tensor | undefined;
    let bv: Tensor | undefined;
    if (p.inProjBias !== undefined) {
      checkParam(name, "inProjBias", p.inProjBias, [3 * E]);
      bq = slice(p.inProjBias, [0], [E]);
      bk = slice(p.inProjBias, [E], [E]);
      bv = slice(p.inProjBias, [2 * E], [E]);
    }
    if (p.outProj.bias !== undefined) checkParam(name, "outProj.bias", p.outProj.bias, [E]);
    /** [N, T, E] → [N, H, T, D]. */
    const heads = (t: Tensor) => transpose(reshape(t, [N, t.shape[1]!, H, D]), [0, 2, 1, 3]);
    const qh = heads(linearT(q, wq, bq));

    /** The cache's keys and values as [N, H, S, D] in the query's dtype, checked. */
    const fromCache = (c: AttentionCache): [Tensor, Tensor] => {
      const ck =
        c.key instanceof Tensor ? (batched ? c.key : reshape(c.key, [1, ...c.key.shape])) : undefined;
      const cv =
        c.value instanceof Tensor ? (batched ? c.value : reshape(c.value, [1, ...c.value.shape])) : undefined;
      const want = batched ? `[${N},${H},S,${D}]` : `[${H},S,${D}]`;
      if (
        ck === undefined ||
        cv === undefined ||
        ck.ndim !== 4 ||
        ck.shape[0] !== N ||
        ck.shape[1] !== H ||
        ck.shape[3] !== D
      )
        throw shapeError(
          name,
          `options.cache must be { key, value } of shape ${want} as returned by apply, got key ${c.key instanceof Tensor ? fmtShape(c.key.shape) : String(c.key)}`,
        );
      if (fmtShape(cv.shape) !== fmtShape(ck.shape))
        throw shapeError(
          name,
          `options.cache.value ${fmtShape(cv.shape)} must match cache.key ${fmtShape(ck.shape)}`,
        );
      return [astype(ck, qh.dtype), astype(cv, qh.dtype)];
    };

    let kh: Tensor;
    let vh: Tensor;
    if (staticCache) [kh, vh] = fromCache(o.cache!);
    else {
      const kIn = o.key === undefined ? q0 : floatArg(name, o.key, "options.key");
      const vIn = o.value === undefined ? kIn : floatArg(name, o.value, "options.value");
      const kx = toBatchFirst("options.key", kIn, o.key === undefined ? E : kdim, batched);
      const vx = toBatchFirst(
        "options.value",
        vIn,
        o.value === undefined && o.key === undefined ? E : vdim,
        batched,
      );
      if (kx.shape[0] !== N || vx.shape[0] !== N || kx.shape[1] !== vx.shape[1])
        throw shapeError(
          name,
          `query ${fmtShape(q0.shape)}, key ${fmtShape(kIn.shape)} and value ${fmtShape(vIn.shape)} disagree on the batch size or key length`,
        );
      kh = heads(linearT(kx, wk, bk));
      vh = heads(linearT(vx, wv, bv));
      // The cache holds earlier projected keys and values, [N, H, S, D] ([H, S, D] unbatched).
      if (o.cache !== undefined && o.cache !== null) {
        const [ck, cv] = fromCache(o.cache);
        kh = concatenate([astype(ck, kh.dtype), kh], 2);
        vh = concatenate([astype(cv, vh.dtype), vh], 2);
      }
    }
    const S = kh.shape[2]!;

    // Masks: everything becomes a bool "allowed" [.., L, S] and/or a float bias.
    let allowed = o.causal ? causalMask(L, S, S - L) : undefined;
    let biasMask: Tensor | undefined;
    const addMask = (
      what: string,
      m0: TensorLike | undefined,
      shapeFor: (m: Tensor) => number[] | undefined,
    ) => {
      if (m0 === undefined || m0 === null) return;
      const m = asTensor(m0, name, what);
      const target = shapeFor(m);
      if (target === undefined)
        throw shapeError(
          name,
          `${what} has shape ${fmtShape(m.shape)}; ${what === "options.keyPaddingMask" ? `expected ${fmtShape(batched ? [N, S] : [S])}` : `expected ${fmtShape([L, S])} or ${fmtShape([N * H, L, S])}`}`,
        );
      const r = reshape(m, target);
      if (m.dtype === "bool") allowed = andMasks(allowed, where(r, false, true));
      else if (m.dtype === "float32" || m.dtype === "float64") {
        const f = astype(r, q.dtype);
        biasMask = biasMask === undefined ? f : add(biasMask, f);
      } else throw new ValueError(`${name}: ${what} must be a bool or float tensor, got ${m.dtype}`);
    };
    addMask("options.keyPaddingMask", o.keyPaddingMask, (m) => {
      const ok = batched
        ? m.ndim === 2 && m.shape[0] === N && m.shape[1] === S
        : m.ndim === 1 && m.shape[0] === S;
      return ok ? [N, 1, 1, S] : undefined;
    });
    addMask("options.attnMask", o.attnMask, (m) => {
      if (m.ndim === 2 && m.shape[0] === L && m.shape[1] === S) return [1, 1, L, S];
      if (m.ndim === 3 && m.shape[0] === N * H && m.shape[1] === L && m.shape[2] === S) return [N, H, L, S];
      return undefined;
    });

    const rate = o.train ? dropout : 0;
    const [ctx, w] = attend(
      name,
      qh,
      kh,
      vh,
      { allowed, bias: biasMask },
      1 / Math.sqrt(D),
      rate,
      o.dropoutKey,
    );
    // [N, H, L, D] → [N, L, E] → output projection → the input layout.
    const merged = reshape(transpose(ctx, [0, 2, 1, 3]), [N, L, E]);
    let out = linearT(merged, p.outProj.weight, p.outProj.bias);
    if (!batched) out = reshape(out, [L, E]);
    else if (!batchFirst) out = transpose(out, [1, 0, 2]);
    const result: MultiHeadAttentionResult = { output: out };
    if (o.needWeights ?? true) {
      const avg = (o.averageWeights ?? true) ? mean(w, { axis: 1 }) : w;
      result.weights = batched ? avg : reshape(avg, avg.shape.slice(1));
    }
    if (staticCache) result.cache = o.cache!;
    else if (o.cache !== undefined) {
      result.cache = batched
        ? { key: kh, value: vh }
        : { key: reshape(kh, kh.shape.slice(1)), value: reshape(vh, vh.shape.slice(1)) };
    }
    return result;
  };

  return { name, embedDim: E, numHeads: H, init, apply, toString: () => name } as MultiHeadAttention;
}

// ---- positional encodings ----------------------------------------------------------------------------------

/**
 * The sinusoidal positional encoding of "Attention Is All You Need": a [length, dim] table with
 * PE[p, 2i] = sin(p / 10000^(2i/dim)) and PE[p, 2i+1] = cos(p / 10000^(2i/dim)).
 * @example
 * ```ts
 * const pe = nb.nn.sinusoidalPositionalEncoding(50, 16); // [50, 16]
 * pe.toArray()[0]; // [0, 1, 0, 1, …]
 * ```
 */
export function sinusoidalPositionalEncoding(
  length: number,
  dim: number,
  options: { base?: number; dtype?: "float32" | "float64" } = {},
): Tensor {
  const op = "sinusoidalPositionalEncoding";
  positiveInt(op, "length", length);
  positiveInt(op, "dim", dim);
  const { base = 10000 } = options;
  const dtype = floatOption(op, options.dtype);
  const data = new Float64Array(length * dim);
  for (let pos = 0; pos < length; pos++)
    for (let i = 0; i < dim; i++) {
      const angle = pos / base ** ((2 * Math.floor(i / 2)) / dim);
      data[pos * dim + i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  const t = reshape(array(data, { dtype: "float64" }), [length, dim]);
  const want = dtype ?? (getDefaultFloat() as "float32" | "float64");
  return want === "float64" ? t : astype(t, want);
}

/** Options of {@link PositionalEmbedding}'s apply: ApplyOptions plus the position of the first element. */
export interface PositionalEmbeddingApplyOptions extends ApplyOptions {
  /** Position of the first element (for decoding step by step). Default 0. */
  offset?: number;
}

/** A {@link PositionalEmbedding} layer: apply takes an `offset`. */
export type PositionalEmbeddingLayer = Layer<{ weight: Tensor }> & {
  apply(params: { weight: Tensor }, x: TensorLike, options?: PositionalEmbeddingApplyOptions): Tensor;
};

/**
 * A learned positional embedding: adds `weight[offset + t]` ([maxLength, dim], N(0, 0.02²) at init, as
 * GPT-2) to element t along the sequence axis of x [..., L, dim] (`axis`, default −2; 0 for [L, N, dim]).
 * @example
 * ```ts
 * const pos = nb.nn.PositionalEmbedding(128, 16);
 * const { params } = pos.init(0);
 * pos.apply(params, nb.zeros([4, 10, 16])).shape; // [4, 10, 16]
 * ```
 */
export function PositionalEmbedding(
  maxLength: number,
  dim: number,
  options: { axis?: number; init?: Initializer; dtype?: "float32" | "float64" } = {},
): PositionalEmbeddingLayer {
  positiveInt("PositionalEmbedding", "maxLength", maxLength);
  positiveInt("PositionalEmbedding", "dim", dim);
  const dtype = floatOption("PositionalEmbedding", options.dtype);
  const name = `PositionalEmbedding(${maxLength}, ${dim})`;
  const axisOf = (s: readonly number[]) => {
    const a = options.axis ?? -2;
    const ax = a < 0 ? a + s.length : a;
    if (s.length < 2 || s[s.length - 1] !== dim || ax < 0 || ax >= s.length - 1)
      throw shapeError(
        name,
        `expected input [..., length, ${dim}] with the sequence on axis ${a}, got ${fmtShape(s)}`,
      );
    return ax;
  };
  return makeLayer<{ weight: Tensor }>({
    name,
    stochastic: false,
    init: (key) => ({
      params: { weight: (options.init ?? normal(0.02))(key, [maxLength, dim], { dtype }) },
      state: {},
    }),
    forward: (p, state, x0, o) => {
      const x = floatArg(name, x0);
      const ax = axisOf(x.shape);
      checkParam(name, "weight", p.weight, [maxLength, dim]);
      const offset = (o as PositionalEmbeddingApplyOptions).offset ?? 0;
      const L = x.shape[ax]!;
      if (!Number.isInteger(offset) || offset < 0 || offset + L > maxLength)
        throw shapeError(
          name,
          `positions ${offset}…${offset + L - 1} do not fit in maxLength ${maxLength} (input ${fmtShape(x.shape)}, offset ${offset})`,
        );
      const table = slice(p.weight, [offset, 0], [L, dim]);
      const bshape = x.shape.map((_d, i) => (i === ax ? L : i === x.ndim - 1 ? dim : 1));
      return [add(x, reshape(table, bshape)), state];
    },
    outputShape: (s) => {
      axisOf(s);
      return [...s];
    },
  }) as PositionalEmbeddingLayer;
}
