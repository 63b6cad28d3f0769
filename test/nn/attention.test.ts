// Attention layers against an independent float64 reference: PyTorch's documented equations for
// F.scaled_dot_product_attention, nn.MultiheadAttention and nn.TransformerEncoderLayer / DecoderLayer,
// written as plain loops over numbers. PyTorch is not installed here, so the reference is these loops
// rather than PyTorch outputs; the parameters use PyTorch's names and [out, in] layout so they would load
// a PyTorch state dict as is.
import * as nb from "nabla";
import { describe, expect, it, vi } from "vitest";
import { expectClose } from "../util/close.js";

type T = nb.Tensor;
type M = number[][];
const f64 = { dtype: "float64" as const };
const randn = (seed: number, shape: number[]) => nb.random.normal(nb.random.key(seed), shape, f64);
const TOL = { atol: 1e-12, rtol: 1e-10 };

// ---- the reference: plain loops ----------------------------------------------------------------------------

const mat = (t: T): M => t.toArray() as M;
const mm = (a: M, b: M): M => a.map((r) => b[0]!.map((_, j) => r.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const tr = (a: M): M => a[0]!.map((_, j) => a.map((r) => r[j]!));
/** x·Wᵀ + b, PyTorch's Linear. */
const lin = (x: M, w: M, b?: number[]): M => mm(x, tr(w)).map((r) => r.map((v, j) => v + (b ? b[j]! : 0)));
const cols = (a: M, from: number, n: number): M => a.map((r) => r.slice(from, from + n));
const rows = (a: M, from: number, n: number): M => a.slice(from, from + n);

/**
 * softmax(q kᵀ·scale + bias) v with allowed[i][j] false meaning blocked; a row with nothing allowed gives
 * zero weights (nabla's documented choice; PyTorch gives NaN).
 */
function refAttention(
  q: M,
  k: M,
  v: M,
  scale: number,
  allowed?: (i: number, j: number) => boolean,
  bias?: M,
) {
  const w = q.map((qi, i) => {
    const s = k.map(
      (kj, j) => qi.reduce((acc, x, e) => acc + x * kj[e]!, 0) * scale + (bias ? bias[i]![j]! : 0),
    );
    const ok = s.map((x, j) => (allowed ? allowed(i, j) : true) && x !== -Infinity);
    const m = Math.max(...s.filter((_, j) => ok[j]));
    const e = s.map((x, j) => (ok[j] ? Math.exp(x - m) : 0));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((x) => (z > 0 ? x / z : 0));
  });
  return { out: mm(w, v), w };
}

interface RefMhaOptions {
  kpm?: boolean[][]; // [N][S], true = padding
  attnMask?: M | boolean[][]; // [L][S], bool true = blocked, or float added
  causal?: boolean;
}

/** PyTorch's multi_head_attention_forward on batch-first nested arrays [N][L][E]. */
function refMha(p: nb.nn.MultiHeadAttentionParams, H: number, q: M[], k: M[], v: M[], o: RefMhaOptions = {}) {
  const E = q[0]![0]!.length;
  const D = E / H;
  const wq = p.inProjWeight ? rows(mat(p.inProjWeight), 0, E) : mat(p.qProjWeight!);
  const wk = p.inProjWeight ? rows(mat(p.inProjWeight), E, E) : mat(p.kProjWeight!);
  const wv = p.inProjWeight ? rows(mat(p.inProjWeight), 2 * E, E) : mat(p.vProjWeight!);
  const b = p.inProjBias ? (p.inProjBias.toArray() as number[]) : undefined;
  const outW = mat(p.outProj.weight);
  const outB = p.outProj.bias ? (p.outProj.bias.toArray() as number[]) : undefined;
  const outs: M[] = [];
  const weights: M[] = [];
  for (let n = 0; n < q.length; n++) {
    const Q = lin(q[n]!, wq, b?.slice(0, E));
    const K = lin(k[n]!, wk, b?.slice(E, 2 * E));
    const V = lin(v[n]!, wv, b?.slice(2 * E));
    const L = Q.length;
    const S = K.length;
    const allowed = (i: number, j: number) => {
      if (o.kpm?.[n]?.[j]) return false;
      if (o.causal && j > i + S - L) return false;
      const a = o.attnMask?.[i]?.[j];
      return a !== true;
    };
    const bias = o.attnMask && typeof o.attnMask[0]![0] === "number" ? (o.attnMask as M) : undefined;
    const headsOut: M[] = [];
    const wAvg: M = Array.from({ length: L }, () => new Array<number>(S).fill(0));
    for (let h = 0; h < H; h++) {
      const r = refAttention(
        cols(Q, h * D, D),
        cols(K, h * D, D),
        cols(V, h * D, D),
        1 / Math.sqrt(D),
        allowed,
        bias,
      );
      headsOut.push(r.out);
      r.w.forEach((row, i) => row.forEach((x, j) => (wAvg[i]![j]! += x / H)));
    }
    const concat = headsOut[0]!.map((_, i) => headsOut.flatMap((hm) => hm[i]!));
    outs.push(lin(concat, outW, outB));
    weights.push(wAvg);
  }
  return { out: outs, w: weights };
}

const refLayerNorm = (x: M, p: nb.nn.Params, eps = 1e-5): M => {
  const w = (p.weight as T).toArray() as number[];
  const b = (p.bias as T).toArray() as number[];
  return x.map((r) => {
    const mu = r.reduce((a, c) => a + c, 0) / r.length;
    const v = r.reduce((a, c) => a + (c - mu) ** 2, 0) / r.length;
    return r.map((c, j) => ((c - mu) / Math.sqrt(v + eps)) * w[j]! + b[j]!);
  });
};
const erf = (x: number) => {
  // erf by its Maclaurin series (|x| small here) with enough terms for float64.
  let s = 0;
  let term = x;
  for (let n = 0; n < 200; n++) {
    s += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * s;
};
const acts = {
  relu: (x: number) => Math.max(0, x),
  gelu: (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
};
const addM = (a: M, b: M): M => a.map((r, i) => r.map((x, j) => x + b[i]![j]!));
const refFf = (p: nb.nn.TransformerEncoderLayerParams, x: M, act: (x: number) => number) =>
  lin(
    lin(x, mat(p.linear1.weight), p.linear1.bias?.toArray() as number[]).map((r) => r.map(act)),
    mat(p.linear2.weight),
    p.linear2.bias?.toArray() as number[],
  );

/** PyTorch's TransformerEncoderLayer.forward in evaluation mode, batch-first. */
function refEncoder(
  p: nb.nn.TransformerEncoderLayerParams,
  H: number,
  x: M[],
  normFirst: boolean,
  act: "relu" | "gelu",
  o: RefMhaOptions = {},
) {
  const a = acts[act];
  return x.map((xn, n) => {
    const sa = (h: M) =>
      refMha(p.selfAttn, H, [h], [h], [h], { ...o, kpm: o.kpm ? [o.kpm[n]!] : undefined }).out[0]!;
    if (normFirst) {
      const y = addM(xn, sa(refLayerNorm(xn, p.norm1)));
      return addM(y, refFf(p, refLayerNorm(y, p.norm2), a));
    }
    const y = refLayerNorm(addM(xn, sa(xn)), p.norm1);
    return refLayerNorm(addM(y, refFf(p, y, a)), p.norm2);
  });
}

/** PyTorch's TransformerDecoderLayer.forward in evaluation mode, batch-first, causal self-attention. */
function refDecoder(p: nb.nn.TransformerDecoderLayerParams, H: number, x: M[], mem: M[], normFirst: boolean) {
  const a = acts.relu;
  return x.map((xn, n) => {
    const sa = (h: M) => refMha(p.selfAttn, H, [h], [h], [h], { causal: true }).out[0]!;
    const ca = (h: M) => refMha(p.multiheadAttn, H, [h], [mem[n]!], [mem[n]!]).out[0]!;
    if (normFirst) {
      let y = addM(xn, sa(refLayerNorm(xn, p.norm1)));
      y = addM(y, ca(refLayerNorm(y, p.norm2)));
      return addM(y, refFf(p, refLayerNorm(y, p.norm3), a));
    }
    let y = refLayerNorm(addM(xn, sa(xn)), p.norm1);
    y = refLayerNorm(addM(y, ca(y)), p.norm2);
    return refLayerNorm(addM(y, refFf(p, y, a)), p.norm3);
  });
}

const batchOf = (t: T): M[] => t.toArray() as M[];
/** Params with random (not zero) biases, so the checks see every term. */
function randomize<P>(params: P, seed: number): P {
  let s = seed;
  return nb.treeMap((t) => nb.add(t as T, nb.mul(0.3, randn(s++, (t as T).shape))), params) as P;
}

// ---- scaledDotProductAttention -----------------------------------------------------------------------------

describe("nn.scaledDotProductAttention", () => {
  const q = randn(1, [2, 3, 4]);
  const k = randn(2, [2, 5, 4]);
  const v = randn(3, [2, 5, 6]);
  const ref = (allowed?: (i: number, j: number) => boolean, bias?: M, scale = 0.5) =>
    [0, 1].map((b) => refAttention(batchOf(q)[b]!, batchOf(k)[b]!, batchOf(v)[b]!, scale, allowed, bias).out);

  it("matches the reference without a mask, [..., L, E] × [..., S, E] → [..., L, Ev]", () => {
    const y = nb.nn.scaledDotProductAttention(q, k, v);
    expect(y.shape).toEqual([2, 3, 6]);
    expectClose(y, ref(), TOL);
    expectClose(
      nb.nn.scaledDotProductAttention(q, k, v, { scale: 0.3 }),
      ref(undefined, undefined, 0.3),
      TOL,
    );
  });

  it("bool mask (true = attend), float mask (added) and causal (top-left aligned)", () => {
    const maskVals = [
      [true, false, true, true, false],
      [false, true, true, false, true],
      [true, true, false, false, false],
    ];
    const y = nb.nn.scaledDotProductAttention(q, k, v, { mask: nb.array(maskVals) });
    expectClose(
      y,
      ref((i, j) => maskVals[i]![j]!),
      TOL,
    );
    const bias = mat(randn(4, [3, 5]));
    expectClose(
      nb.nn.scaledDotProductAttention(q, k, v, { mask: nb.array(bias, f64) }),
      ref(undefined, bias),
      TOL,
    );
    expectClose(
      nb.nn.scaledDotProductAttention(q, k, v, { causal: true }),
      ref((i, j) => j <= i),
      TOL,
    );
    const both = nb.nn.scaledDotProductAttention(q, k, v, { causal: true, mask: nb.array(maskVals) });
    expectClose(
      both,
      ref((i, j) => j <= i && maskVals[i]![j]!),
      TOL,
    );
  });

  it("a fully masked row gives zeros and finite gradients, not NaN (bool or −Infinity)", () => {
    const mask = nb.array([
      [false, false, false, false, false],
      [true, true, true, true, true],
      [true, false, false, false, false],
    ]);
    const y = nb.nn.scaledDotProductAttention(q, k, v, { mask });
    expectClose(nb.slice(y, [0, 0, 0], [2, 1, 6]), nb.zeros([2, 1, 6], f64), { atol: 0, rtol: 0 });
    const inf = nb.where(mask, 0, -Infinity);
    expectClose(nb.nn.scaledDotProductAttention(q, k, v, { mask: inf }), y, TOL);
    const g = nb.grad((a: T, b: T, c: T) => nb.sum(nb.nn.scaledDotProductAttention(a, b, c, { mask })), {
      argnums: [0, 1, 2],
    })(q, k, v) as T[];
    for (const t of g) expect(t.dataSync().every(Number.isFinite)).toBe(true);
  });

  it("broadcasts leading dimensions (heads)", () => {
    const qh = randn(5, [2, 3, 4, 4]);
    const kh = randn(6, [2, 1, 5, 4]);
    const vh = randn(7, [2, 1, 5, 3]);
    const y = nb.nn.scaledDotProductAttention(qh, kh, vh);
    expect(y.shape).toEqual([2, 3, 4, 3]);
    const y01 = refAttention(
      mat(nb.squeeze(nb.slice(qh, [0, 1], [1, 1]), [0, 1])),
      mat(nb.squeeze(nb.slice(kh, [0], [1]), [0, 1])),
      mat(nb.squeeze(nb.slice(vh, [0], [1]), [0, 1])),
      0.5,
    ).out;
    expectClose(nb.squeeze(nb.slice(y, [0, 1], [1, 1]), [0, 1]), y01, TOL);
  });

  it("dropout on the weights: reproducible with a key, the identity in expectation, needs a key", () => {
    const a = nb.nn.scaledDotProductAttention(q, k, v, { dropout: 0.5, key: nb.random.key(3) });
    const b = nb.nn.scaledDotProductAttention(q, k, v, { dropout: 0.5, key: nb.random.key(3) });
    expectClose(a, b, { atol: 0, rtol: 0 });
    expect(() => nb.nn.scaledDotProductAttention(q, k, v, { dropout: 0.5 })).toThrow(
      /scaledDotProductAttention: dropout 0.5 needs randomness/,
    );
  });

  it("errors name the function and the argument", () => {
    expect(() => nb.nn.scaledDotProductAttention(q, randn(1, [2, 5, 3]), v)).toThrow(
      /scaledDotProductAttention: q .* and k .* same last dimension/,
    );
    expect(() => nb.nn.scaledDotProductAttention(q, k, randn(1, [2, 4, 6]))).toThrow(
      /scaledDotProductAttention: k .* and v .* same length/,
    );
    expect(() => nb.nn.scaledDotProductAttention(nb.ones([4]), k, v)).toThrow(
      /scaledDotProductAttention: q must have shape/,
    );
    expect(() =>
      nb.nn.scaledDotProductAttention(q, k, v, { mask: nb.ones([3, 5], { dtype: "int32" }) }),
    ).toThrow(/options.mask must be a bool/);
    expect(() => nb.nn.scaledDotProductAttention(q, k, v, { mask: nb.ones([4, 4]) })).toThrow(
      /scaledDotProductAttention/,
    );
  });
});

// ---- MultiHeadAttention ------------------------------------------------------------------------------------

describe("nn.MultiHeadAttention", () => {
  const E = 8;
  const H = 2;
  const mha = nb.nn.MultiHeadAttention(E, H, { dtype: "float64", batchFirst: true });
  const params = randomize(mha.init(0).params, 100);
  const x = randn(11, [2, 4, E]);
  const mem = randn(12, [2, 5, E]);

  it("has PyTorch's parameter layout", () => {
    const p = mha.init(0).params;
    expect(p.inProjWeight!.shape).toEqual([3 * E, E]);
    expect(p.inProjBias!.shape).toEqual([3 * E]);
    expect(p.outProj.weight.shape).toEqual([E, E]);
    expect(p.outProj.bias!.shape).toEqual([E]);
    const sep = nb.nn.MultiHeadAttention(E, H, { kdim: 3, vdim: 5 }).init(0).params;
    expect([sep.qProjWeight!.shape, sep.kProjWeight!.shape, sep.vProjWeight!.shape]).toEqual([
      [E, E],
      [E, 3],
      [E, 5],
    ]);
    expect(nb.nn.MultiHeadAttention(E, H, { bias: false }).init(0).params.inProjBias).toBeUndefined();
  });

  it("self- and cross-attention match the reference, with averaged and per-head weights", () => {
    const r = mha.apply(params, x);
    const want = refMha(params, H, batchOf(x), batchOf(x), batchOf(x));
    expectClose(r.output, want.out, TOL, "self output");
    expectClose(r.weights!, want.w, TOL, "self weights");
    const c = mha.apply(params, x, { key: mem, value: mem });
    const wantC = refMha(params, H, batchOf(x), batchOf(mem), batchOf(mem));
    expectClose(c.output, wantC.out, TOL, "cross output");
    const per = mha.apply(params, x, { key: mem, averageWeights: false }).weights!;
    expect(per.shape).toEqual([2, H, 4, 5]);
    expectClose(nb.mean(per, { axis: 1 }), wantC.w, TOL, "per-head weights");
    expect(mha.apply(params, x, { needWeights: false }).weights).toBeUndefined();
  });

  it("masks: key padding (true = ignored), bool attnMask (true = blocked), float attnMask, causal", () => {
    const kpm = [
      [false, false, true, true, false],
      [false, true, false, false, false],
    ];
    const am = [
      [false, true, false, false, false],
      [false, false, false, true, false],
      [true, false, false, false, false],
      [false, false, false, false, false],
    ];
    const got = mha.apply(params, x, {
      key: mem,
      value: mem,
      keyPaddingMask: nb.array(kpm),
      attnMask: nb.array(am),
    });
    const want = refMha(params, H, batchOf(x), batchOf(mem), batchOf(mem), { kpm, attnMask: am });
    expectClose(got.output, want.out, TOL, "padding + bool mask");
    expectClose(got.weights!, want.w, TOL, "padding + bool mask weights");
    const fm = mat(randn(13, [4, 5]));
    const gotF = mha.apply(params, x, { key: mem, value: mem, attnMask: nb.array(fm, f64) });
    expectClose(
      gotF.output,
      refMha(params, H, batchOf(x), batchOf(mem), batchOf(mem), { attnMask: fm }).out,
      TOL,
      "float mask",
    );
    const gotC = mha.apply(params, x, {
      causal: true,
      keyPaddingMask: nb.array([
        [false, false, false, true],
        [false, false, false, false],
      ]),
    });
    const wantC = refMha(params, H, batchOf(x), batchOf(x), batchOf(x), {
      causal: true,
      kpm: [
        [false, false, false, true],
        [false, false, false, false],
      ],
    });
    expectClose(gotC.output, wantC.out, TOL, "causal + padding");
    // [N·H, L, S] masks, PyTorch's 3-d form: the same mask for every head equals the 2-d mask.
    const am3 = nb.broadcastTo(nb.array(am), [2 * H, 4, 5]);
    expectClose(
      mha.apply(params, x, { key: mem, attnMask: am3 }).output,
      mha.apply(params, x, { key: mem, attnMask: nb.array(am) }).output,
      TOL,
    );
  });

  it("sequence-first layout (PyTorch's default), unbatched inputs, kdim ≠ vdim ≠ embedDim", () => {
    const seqFirst = nb.nn.MultiHeadAttention(E, H, { dtype: "float64" });
    const y = seqFirst.apply(params, nb.transpose(x, [1, 0, 2]), { key: nb.transpose(mem, [1, 0, 2]) });
    expectClose(nb.transpose(y.output, [1, 0, 2]), mha.apply(params, x, { key: mem }).output, TOL);
    expect(y.weights!.shape).toEqual([2, 4, 5]);
    const x0 = nb.squeeze(nb.slice(x, [0], [1]), 0);
    const u = mha.apply(params, x0);
    expect(u.output.shape).toEqual([4, E]);
    expectClose(u.output, batchOf(mha.apply(params, x).output)[0], TOL);
    const other = nb.nn.MultiHeadAttention(E, 4, { kdim: 3, vdim: 5, dtype: "float64", batchFirst: true });
    const po = randomize(other.init(1).params, 200);
    const kk = randn(14, [2, 6, 3]);
    const vv = randn(15, [2, 6, 5]);
    expectClose(
      other.apply(po, x, { key: kk, value: vv }).output,
      refMha(po, 4, batchOf(x), batchOf(kk), batchOf(vv)).out,
      TOL,
    );
  });

  it("key/value caching: decoding one token at a time equals the full causal pass", () => {
    const full = mha.apply(params, x, { causal: true }).output;
    let cache: nb.nn.AttentionCache | null = null;
    const steps: T[] = [];
    for (let t = 0; t < 4; t++) {
      const r = mha.apply(params, nb.slice(x, [0, t, 0], [2, 1, E]), { causal: true, cache });
      steps.push(r.output);
      cache = r.cache!;
      expect(cache.key.shape).toEqual([2, H, t + 1, E / H]);
    }
    expectClose(nb.concatenate(steps, 1), full, TOL, "token by token");
    // A prompt of 2 tokens, then 2 single tokens.
    const first = mha.apply(params, nb.slice(x, [0, 0, 0], [2, 2, E]), { causal: true, cache: null });
    const r2 = mha.apply(params, nb.slice(x, [0, 2, 0], [2, 1, E]), { causal: true, cache: first.cache });
    const r3 = mha.apply(params, nb.slice(x, [0, 3, 0], [2, 1, E]), { causal: true, cache: r2.cache });
    expectClose(nb.concatenate([first.output, r2.output, r3.output], 1), full, TOL, "prompt then tokens");
    // Unbatched, under jit (one compiled step per cache length).
    const step = nb.jit((p: nb.nn.MultiHeadAttentionParams, xt: T, ck: T, cv: T) => {
      const r = mha.apply(p, xt, { causal: true, cache: { key: ck, value: cv } });
      return [r.output, r.cache!.key, r.cache!.value];
    });
    const x0 = nb.squeeze(nb.slice(x, [0], [1]), 0);
    const r0 = mha.apply(params, nb.slice(x0, [0, 0], [1, E]), { causal: true, cache: null });
    let [ck, cv] = [r0.cache!.key, r0.cache!.value];
    const outs = [r0.output];
    for (let t = 1; t < 4; t++) {
      const [o, k2, v2] = step(params, nb.slice(x0, [t, 0], [1, E]), ck, cv) as T[];
      outs.push(o!);
      [ck, cv] = [k2!, v2!];
    }
    expectClose(
      nb.concatenate(outs, 0),
      mha.apply(params, x0, { causal: true }).output,
      TOL,
      "unbatched under jit",
    );
  });

  it("jit agrees with eager, for the output and the gradient", () => {
    const f = (p: nb.nn.MultiHeadAttentionParams, a: T, m: T) =>
      nb.sum(
        nb.square(
          mha.apply(p, a, {
            key: m,
            causal: false,
            keyPaddingMask: nb.array([
              [false, false, false, false, true],
              [false, false, false, false, false],
            ]),
          }).output,
        ),
      );
    expectClose(nb.jit(f)(params, x, mem), f(params, x, mem), { atol: 1e-12, rtol: 1e-12 });
    const g = nb.grad(f);
    const gj = nb.jit(g);
    const want = g(params, x, mem);
    const got = gj(params, x, mem);
    expectClose(got.inProjWeight!, want.inProjWeight!, { atol: 1e-12, rtol: 1e-10 });
    expectClose(got.outProj.weight, want.outProj.weight, { atol: 1e-12, rtol: 1e-10 });
  });

  it("vmap over examples of unbatched inputs equals the batched call", () => {
    const per = nb.vmap((a: T, m: T) => mha.apply(params, a, { key: m, causal: true }).output)(x, mem);
    expectClose(per, mha.apply(params, x, { key: mem, causal: true }).output, TOL);
    const sdpa = nb.vmap((a: T, b: T) => nb.nn.scaledDotProductAttention(a, b, b, { causal: true }))(x, x);
    expectClose(sdpa, nb.nn.scaledDotProductAttention(x, x, x, { causal: true }), TOL);
  });

  it("dropout in training mode needs dropoutKey and is reproducible; evaluation is deterministic", () => {
    const d = nb.nn.MultiHeadAttention(E, H, { dropout: 0.5, dtype: "float64", batchFirst: true });
    const a = d.apply(params, x, { train: true, dropoutKey: nb.random.key(1) }).output;
    expectClose(d.apply(params, x, { train: true, dropoutKey: nb.random.key(1) }).output, a, {
      atol: 0,
      rtol: 0,
    });
    expect(() => d.apply(params, x, { train: true })).toThrow(/needs randomness/);
    expectClose(d.apply(params, x).output, mha.apply(params, x).output, TOL);
  });

  it("bad input errors name the layer and the argument", () => {
    expect(() => nb.nn.MultiHeadAttention(10, 3)).toThrow(
      /MultiHeadAttention: numHeads \(3\) must divide embedDim \(10\)/,
    );
    expect(() => nb.nn.MultiHeadAttention(0, 1)).toThrow(
      /MultiHeadAttention: embedDim must be a positive integer/,
    );
    expect(() => mha.apply(params, randn(1, [2, 4, 6]))).toThrow(
      /MultiHeadAttention\(8, 2\): query must be \[N, L, features\] with 8 features, got \[2,4,6\]/,
    );
    expect(() => mha.apply(params, x, { key: randn(1, [3, 5, E]) })).toThrow(
      /MultiHeadAttention\(8, 2\): query .* disagree on the batch size/,
    );
    expect(() => mha.apply(params, x, { key: mem, value: randn(1, [2, 4, E]) })).toThrow(
      /disagree on the batch size or key length/,
    );
    expect(() => mha.apply(params, x, { keyPaddingMask: nb.array([[true, false]]) })).toThrow(
      /options.keyPaddingMask has shape \[1,2\]; expected \[2,4\]/,
    );
    expect(() => mha.apply(params, x, { attnMask: nb.ones([3, 3]) })).toThrow(
      /options.attnMask has shape \[3,3\]/,
    );
    expect(() => mha.apply(params, x, { key: nb.random.key(0) })).toThrow(
      /options.key is the attention keys.*options.dropoutKey/,
    );
    expect(() => mha.apply({ ...params, inProjWeight: nb.ones([3, 3]) }, x)).toThrow(
      /params.inProjWeight has shape \[3,3\], expected \[24,8\]/,
    );
    expect(() => mha.apply(params, x, { cache: { key: nb.ones([2, 2]), value: nb.ones([2, 2]) } })).toThrow(
      /options.cache must be/,
    );
  });
});

// ---- Transformer layers ------------------------------------------------------------------------------------

describe("nn.TransformerEncoderLayer and nn.TransformerDecoderLayer", () => {
  const d = 8;
  const x = randn(21, [2, 5, d]);
  const mem = randn(22, [2, 3, d]);
  for (const normFirst of [false, true])
    for (const activation of ["relu", "gelu"] as const)
      it(`the encoder matches PyTorch's equations (${normFirst ? "pre" : "post"}-norm, ${activation})`, () => {
        const enc = nb.nn.TransformerEncoderLayer(d, 2, {
          dimFeedforward: 12,
          normFirst,
          activation,
          batchFirst: true,
          dtype: "float64",
        });
        const p = randomize(enc.init(3).params, 300);
        expectClose(enc.apply(p, x), refEncoder(p, 2, batchOf(x), normFirst, activation), TOL);
        const kpm = [
          [false, false, false, false, true],
          [false, false, false, false, false],
        ];
        const got = enc.apply(p, x, { causal: true, keyPaddingMask: nb.array(kpm) });
        expectClose(got, refEncoder(p, 2, batchOf(x), normFirst, activation, { causal: true, kpm }), TOL);
      });

  for (const normFirst of [false, true])
    it(`the decoder matches PyTorch's equations (${normFirst ? "pre" : "post"}-norm)`, () => {
      const dec = nb.nn.TransformerDecoderLayer(d, 2, {
        dimFeedforward: 12,
        normFirst,
        batchFirst: true,
        dtype: "float64",
      });
      const p = randomize(dec.init(4).params, 400);
      expect(Object.keys(p).sort()).toEqual([
        "linear1",
        "linear2",
        "multiheadAttn",
        "norm1",
        "norm2",
        "norm3",
        "selfAttn",
      ]);
      expectClose(
        dec.apply(p, x, { memory: mem, causal: true }),
        refDecoder(p, 2, batchOf(x), batchOf(mem), normFirst),
        TOL,
      );
    });

  it("PyTorch's defaults: dimFeedforward 2048, sequence-first inputs, dropout 0.1 in training only", () => {
    const enc = nb.nn.TransformerEncoderLayer(d, 2);
    const { params } = enc.init(0);
    expect(params.linear1.weight.shape).toEqual([2048, d]);
    expect(params.linear2.weight.shape).toEqual([d, 2048]);
    expect(enc.stochastic).toBe(true);
    const xs = nb.astype(nb.transpose(x, [1, 0, 2]), "float32");
    expect(enc.apply(params, xs).shape).toEqual([5, 2, d]);
    const a = enc.apply(params, xs, { train: true, key: nb.random.key(5) });
    expect(a.dataSync().some((v, i) => v !== enc.apply(params, xs).dataSync()[i])).toBe(true);
    expect(() => enc.apply(params, xs, { train: true })).toThrow(
      /TransformerEncoderLayer\(8, 2\): training mode with dropout 0.1 needs randomness/,
    );
  });

  it("jit agrees with eager for a training step (forward and gradient, with dropout)", () => {
    const enc = nb.nn.TransformerEncoderLayer(d, 2, {
      dimFeedforward: 16,
      batchFirst: true,
      dtype: "float64",
    });
    const { params } = enc.init(0);
    const loss = (p: nb.nn.TransformerEncoderLayerParams, a: T, key: T) =>
      nb.sum(nb.square(enc.apply(p, a, { train: true, key, causal: true })));
    const g = nb.valueAndGrad(loss);
    const [v0, g0] = g(params, x, nb.random.key(2));
    const [v1, g1] = nb.jit(g)(params, x, nb.random.key(2));
    expectClose(v1, v0, { atol: 1e-10, rtol: 1e-10 });
    expectClose(g1.linear1.weight, g0.linear1.weight, { atol: 1e-10, rtol: 1e-9 });
    expectClose(g1.selfAttn.inProjWeight!, g0.selfAttn.inProjWeight!, { atol: 1e-10, rtol: 1e-9 });
  });

  it("vmap over examples equals the batched call", () => {
    const enc = nb.nn.TransformerEncoderLayer(d, 2, {
      dimFeedforward: 16,
      batchFirst: true,
      dtype: "float64",
    });
    const { params } = enc.init(0);
    const per = nb.vmap((a: T) => enc.apply(params, a, { causal: true }))(x);
    expectClose(per, enc.apply(params, x, { causal: true }), TOL);
  });

  it("bad input errors name the layer and the argument", () => {
    expect(() => nb.nn.TransformerEncoderLayer(10, 4)).toThrow(
      /TransformerEncoderLayer: nhead \(4\) must divide dModel \(10\)/,
    );
    expect(() => nb.nn.TransformerDecoderLayer(8, 2, { activation: "tanh" as "relu" })).toThrow(
      /TransformerDecoderLayer: activation must be/,
    );
    const enc = nb.nn.TransformerEncoderLayer(d, 2, { dimFeedforward: 4, batchFirst: true });
    const { params } = enc.init(0);
    expect(() => enc.apply(params, nb.ones([2, 5, 6]))).toThrow(
      /TransformerEncoderLayer\(8, 2\): input must be \[N, L, dModel\]/,
    );
    const dec = nb.nn.TransformerDecoderLayer(d, 2, { dimFeedforward: 4, batchFirst: true });
    const pd = dec.init(0).params;
    expect(() => dec.apply(pd, nb.ones([2, 5, d]))).toThrow(
      /TransformerDecoderLayer\(8, 2\): apply needs the encoder output as options.memory/,
    );
    expect(() => dec.apply(pd, nb.ones([2, 5, d]), { memory: nb.ones([2, 5, 3]) })).toThrow(
      /options.memory must be/,
    );
  });
});

// ---- positional encodings and gradients --------------------------------------------------------------------

describe("positional encodings", () => {
  it("sinusoidalPositionalEncoding follows the paper's formula", () => {
    const pe = nb.nn.sinusoidalPositionalEncoding(6, 5, f64);
    const want = Array.from({ length: 6 }, (_, p) =>
      Array.from({ length: 5 }, (_, i) => {
        const a = p / 10000 ** ((2 * Math.floor(i / 2)) / 5);
        return i % 2 === 0 ? Math.sin(a) : Math.cos(a);
      }),
    );
    expectClose(pe, want, TOL);
    expect(() => nb.nn.sinusoidalPositionalEncoding(0, 4)).toThrow(/sinusoidalPositionalEncoding: length/);
  });

  it("PositionalEmbedding adds learned rows, from an offset, along the sequence axis", () => {
    const pos = nb.nn.PositionalEmbedding(10, 4, f64);
    const { params } = pos.init(0);
    const x = randn(1, [2, 3, 4]);
    const w = params.weight;
    expectClose(pos.apply(params, x), nb.add(x, nb.slice(w, [0, 0], [3, 4])), TOL);
    expectClose(pos.apply(params, x, { offset: 2 }), nb.add(x, nb.slice(w, [2, 0], [3, 4])), TOL);
    const seqFirst = nb.nn.PositionalEmbedding(10, 4, { axis: 0, dtype: "float64" });
    expectClose(
      seqFirst.apply(params, nb.transpose(x, [1, 0, 2])),
      nb.transpose(pos.apply(params, x), [1, 0, 2]),
      TOL,
    );
    expect(() => pos.apply(params, x, { offset: 8 })).toThrow(
      /PositionalEmbedding\(10, 4\): positions 8…10 do not fit in maxLength 10/,
    );
    expect(() => pos.apply(params, nb.ones([2, 3, 5]))).toThrow(
      /PositionalEmbedding\(10, 4\): expected input \[..., length, 4\]/,
    );
  });
});

describe("gradients (checkGrads order 2, float64)", () => {
  it("scaledDotProductAttention with a causal and a float mask", () => {
    const fm = randn(9, [3, 4]);
    nb.checkGrads(
      (q: T, k: T, v: T) => nb.nn.scaledDotProductAttention(q, k, v, { causal: true, mask: fm }),
      [randn(1, [2, 3, 2]), randn(2, [2, 4, 2]), randn(3, [2, 4, 3])],
      { order: 2 },
    );
  });

  it("MultiHeadAttention (params and inputs, padding mask)", () => {
    const mha = nb.nn.MultiHeadAttention(4, 2, { dtype: "float64", batchFirst: true });
    const p = randomize(mha.init(0).params, 50);
    const kpm = nb.array([
      [false, false, true],
      [false, false, false],
    ]);
    nb.checkGrads(
      (pp: nb.nn.MultiHeadAttentionParams, a: T, m: T) =>
        mha.apply(pp, a, { key: m, keyPaddingMask: kpm }).output,
      [p, randn(1, [2, 2, 4]), randn(2, [2, 3, 4])],
      { order: 2 },
    );
  });

  for (const normFirst of [false, true])
    it(`TransformerEncoderLayer and TransformerDecoderLayer (${normFirst ? "pre" : "post"}-norm, gelu)`, () => {
      const o = {
        dimFeedforward: 6,
        normFirst,
        activation: "gelu" as const,
        batchFirst: true,
        dtype: "float64" as const,
      };
      const enc = nb.nn.TransformerEncoderLayer(4, 2, o);
      nb.checkGrads(
        (p: nb.nn.TransformerEncoderLayerParams, a: T) => enc.apply(p, a, { causal: true }),
        [randomize(enc.init(0).params, 60), randn(1, [1, 3, 4])],
        { order: 2 },
      );
      const dec = nb.nn.TransformerDecoderLayer(4, 2, o);
      nb.checkGrads(
        (p: nb.nn.TransformerDecoderLayerParams, a: T, m: T) => dec.apply(p, a, { memory: m, causal: true }),
        [randomize(dec.init(1).params, 70), randn(2, [1, 2, 4]), randn(3, [1, 3, 4])],
        { order: 2 },
      );
    });
});

describe("in a model", () => {
  it("a transformer block in Sequential trains with nn.fit, its step compiled (no eager fallback)", () => {
    const model = nb.nn.Sequential([
      nb.nn.PositionalEmbedding(8, 8),
      nb.nn.TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }),
      nb.nn.Flatten(),
      nb.nn.Linear(32, 2),
    ]);
    const { params } = model.init(0, [1, 4, 8]);
    const x = nb.random.normal(nb.random.key(1), [32, 4, 8]);
    const y = nb.astype(nb.greater(nb.sum(x, { axis: [1, 2] }), 0), "int32");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const r = nb.nn.fit({
        model,
        params,
        loss: nb.nn.crossEntropy,
        optimizer: nb.optim.adam({ learningRate: 0.01 }),
        data: { x, y },
        epochs: 20,
        batchSize: 8,
        silent: true,
      });
      expect(warn).not.toHaveBeenCalled();
      expect(r.history.loss.at(-1)!).toBeLessThan(r.history.loss[0]! / 10);
    } finally {
      warn.mockRestore();
    }
  });
});
