// Two character-level language models of first names built from nabla's layers: an nn.LSTM and a small
// causal transformer (nn.TransformerEncoderLayer blocks, pre-norm, with learned positional embeddings), each
// trained by a jit-compiled Adam step. Both are compared on the held-out names (the split of names-rnn) with a
// count-based bigram model in bits per character, their loss curves drawn on one chart, and new names drawn
// from each: the LSTM by a jitted scan, the transformer one letter at a time through the attention layers'
// key/value cache (each step jitted; nb.random inside).
// Run: npm run example names-lm [--quick] [--out DIR]
import * as nb from "nabla";
import { bigramBitsPerChar, exampleOptions, headline, namesCorpus, savePicture } from "./common.js";

const { quick, out } = exampleOptions("names-lm");
const started = performance.now();

// ── Data: every name as ".name" → "name.", padded with "." to one length, 10% held out (as names-rnn). ───
const { all, chars, V, T, nTest, trainNames, train, test } = await namesCorpus();
console.log(
  `${all.length.toLocaleString("en")} names (${trainNames.length.toLocaleString("en")} to train on, ` +
    `${nTest} held out), ${V} symbols, up to ${T} steps a name`,
);

// ── The count-based bigram model: P(next | previous) from the training pairs, add-α smoothed. ────────────
const bigramBits = bigramBitsPerChar(train, test, V);
const uniformBits = Math.log2(V);

// ── The two models, both mapping symbols [B, T] to next-symbol logits [B, T, V]. ─────────────────────────
const E = 16; // the LSTM's symbol embedding
const H = quick ? 32 : 96; // the LSTM's hidden size
const D = quick ? 32 : 64; // the transformer's width
const heads = 4;
const blocks = 2;

const lstmEmb = nb.nn.Embedding(V, E);
const lstm = nb.nn.LSTM(E, H, { batchFirst: true });
const lstmOut = nb.nn.Linear(H, V);
type LstmParams = {
  emb: { weight: nb.Tensor };
  lstm: nb.nn.RecurrentParams;
  out: nb.nn.LinearParams;
};

const tokEmb = nb.nn.Embedding(V, D);
const posEmb = nb.nn.PositionalEmbedding(T, D);
// Pre-norm blocks without dropout; relu here and in the step-by-step decoder below.
const block = nb.nn.TransformerEncoderLayer(D, heads, {
  dimFeedforward: 4 * D,
  dropout: 0,
  normFirst: true,
  batchFirst: true,
});
const finalNorm = nb.nn.LayerNorm(D);
const tfOut = nb.nn.Linear(D, V);
type BlockParams = nb.nn.TransformerEncoderLayerParams;
type TfParams = {
  tok: { weight: nb.Tensor };
  pos: { weight: nb.Tensor };
  blocks: BlockParams[];
  norm: nb.nn.Params;
  out: nb.nn.LinearParams;
};

const [k1, k2, k3, k4, k5, k6, k7] = nb.random.split(nb.random.key(0), 7);
const lstmParams: LstmParams = {
  emb: lstmEmb.init(k1!).params,
  lstm: lstm.init(k2!).params,
  out: lstmOut.init(k3!).params,
};
const tfParams: TfParams = {
  tok: tokEmb.init(k4!).params,
  pos: posEmb.init(k5!).params,
  blocks: nb.random.split(k6!, blocks).map((k) => block.init(k).params),
  norm: finalNorm.init(0).params,
  out: tfOut.init(k7!).params,
};

function lstmLogits(p: LstmParams, x: nb.Tensor): nb.Tensor {
  const { output } = lstm.apply(p.lstm, lstmEmb.apply(p.emb, x)); // [B, T, H]
  return lstmOut.apply(p.out, output);
}

function tfLogits(p: TfParams, x: nb.Tensor): nb.Tensor {
  let h = posEmb.apply(p.pos, tokEmb.apply(p.tok, x)); // [B, T, D]
  for (const b of p.blocks) h = block.apply(b, h, { causal: true });
  return tfOut.apply(p.out, finalNorm.apply(p.norm, h));
}

/** Mean negative log-likelihood (nats) per real character of a batch x, y, m [B, T]. */
function maskedNll(logits: nb.Tensor, y: nb.Tensor, m: nb.Tensor): nb.Tensor {
  const nll = nb.nn.crossEntropy(logits, y, { reduction: "none" }); // [B, T]
  return nb.div(nb.sum(nb.mul(nll, m)), nb.sum(m));
}

interface Trained<P> {
  params: P;
  /** Training loss averaged over windows of steps, and the held-out loss at checkpoints. */
  curve: { step: number; bits: number }[];
  heldOutCurve: { step: number; bits: number }[];
  heldOut: number;
  seconds: number;
}

/** Adam with a cosine-decayed learning rate on random batches; the step is one jitted function. */
function fitModel<P extends nb.optim.Tree>(
  label: string,
  init: P,
  logits: (p: P, x: nb.Tensor) => nb.Tensor,
  options: { steps: number; learningRate: number; batchSize: number; seed: number },
): Trained<P> {
  const { steps, learningRate, batchSize, seed } = options;
  console.log(`${label}: ${nb.nn.countParams(init).toLocaleString("en")} parameters`);
  const loss = (p: P, x: nb.Tensor, y: nb.Tensor, m: nb.Tensor) => maskedNll(logits(p, x), y, m);
  const optimizer = nb.optim.adam({
    learningRate: nb.optim.cosineDecay({ init: learningRate, decaySteps: steps, alpha: 0.05 }),
  });
  const step = nb.jit((p: P, s: nb.optim.OptState, x: nb.Tensor, y: nb.Tensor, m: nb.Tensor) => {
    const [l, g] = nb.valueAndGrad(loss)(p, x, y, m);
    const [updates, next] = optimizer.update(g as P, s, p);
    return [l, nb.optim.applyUpdates(p, updates), next] as const;
  });
  const testLoss = nb.jit(loss);
  const heldOutBits = (p: P) => testLoss(p, test.x, test.y, test.m).item() / Math.LN2;
  let params = init;
  const heldOutCurve: { step: number; bits: number }[] = [];
  let state = optimizer.init(params);
  let key = nb.random.key(seed);
  const curve: { step: number; bits: number }[] = [];
  const every = quick ? 5 : 25;
  let window = 0;
  const t0 = performance.now();
  for (let i = 1; i <= steps; i++) {
    const [kb, next] = nb.random.split(key);
    key = next!;
    const idx = nb.random.randint(kb!, [batchSize], 0, trainNames.length);
    const [l, p, s] = step(
      params,
      state,
      nb.take(train.x, idx, 0),
      nb.take(train.y, idx, 0),
      nb.take(train.m, idx, 0),
    ) as unknown as [nb.Tensor, P, nb.optim.OptState];
    params = p;
    state = s;
    window += l.item() / Math.LN2;
    if (i % every === 0) {
      curve.push({ step: i, bits: window / every });
      window = 0;
    }
    if (i % (quick ? 10 : 50) === 0 || i === steps) heldOutCurve.push({ step: i, bits: heldOutBits(params) });
    if (i === 1 || i % (quick ? 20 : 200) === 0 || i === steps)
      console.log(
        `  step ${String(i).padStart(4)}  training loss ${(l.item() / Math.LN2).toFixed(3)} bits/char`,
      );
  }
  const seconds = (performance.now() - t0) / 1000;
  const heldOut = heldOutCurve.at(-1)!.bits;
  console.log(
    `  ${steps} steps of ${batchSize} names and ${heldOutCurve.length} held-out checks in ${seconds.toFixed(1)} s; ` +
      `held-out ${heldOut.toFixed(3)} bits/char`,
  );
  return { params, curve, heldOutCurve, heldOut, seconds };
}

const steps = quick ? 40 : 600;
const lstmRun = fitModel("LSTM", lstmParams, lstmLogits, {
  steps,
  learningRate: 1e-2,
  batchSize: quick ? 64 : 128,
  seed: 1,
});
const tfRun = fitModel("transformer", tfParams, tfLogits, {
  steps,
  learningRate: 3e-3,
  batchSize: quick ? 64 : 128,
  seed: 2,
});

// ── Sampling. The LSTM: a jitted scan carrying (h, c, previous symbol, key). ──────────────────────────────
const nSamples = 10;
const maxLen = T + 4;
/** Gumbel-max: argmax(logits + Gumbel noise) is a draw from softmax(logits). */
const draw = (key: nb.random.Key, logits: nb.Tensor) => {
  const u = nb.random.uniform(key, logits.shape, { minval: 1e-7, maxval: 1 });
  return nb.astype(nb.argmax(nb.sub(logits, nb.log(nb.neg(nb.log(u)))), { axis: -1 }), "int32");
};
const lstmSampler = nb.jit((p: LstmParams, k: nb.random.Key) => {
  const zero = nb.zeros([1, nSamples, H]);
  const [, ids] = nb.lax.scan(
    ([h, c, prev, kk]: [nb.Tensor, nb.Tensor, nb.Tensor, nb.random.Key]) => {
      const [kd, rest] = nb.random.split(kk);
      const x = lstmEmb.apply(p.emb, nb.reshape(prev, [nSamples, 1])); // [S, 1, E]
      const r = lstm.apply(p.lstm, x, { h0: h, c0: c });
      const symbol = draw(kd!, lstmOut.apply(p.out, nb.reshape(r.output, [nSamples, H])));
      return [[r.hidden, r.cell!, symbol, rest!], symbol];
    },
    [zero, zero, nb.zeros([nSamples], { dtype: "int32" }), k],
    null,
    { length: maxLen },
  ) as [unknown, nb.Tensor];
  return ids; // [steps, S]
});
const lstmDrawn = (lstmSampler(lstmRun.params, nb.random.key(42)) as nb.Tensor).toArray() as number[][];

// The transformer: one position at a time, each block's attention reading the keys and values of the
// earlier positions from its cache. The cache grows by one position a step, so the jitted step compiles
// once per length (the position offset is the cache's length, known when tracing).
const mha = nb.nn.MultiHeadAttention(D, heads, { batchFirst: true });
const norm = nb.nn.LayerNorm(D);
const linear = (x: nb.Tensor, l: { weight?: nb.Tensor; bias?: nb.Tensor }) =>
  nb.add(nb.matmul(x, nb.transpose(l.weight!)), l.bias!);
type Cache = nb.nn.AttentionCache;
/** Logits [S, V] for the newest symbols x [S, 1], and the updated caches: a pre-norm block as above. */
function tfStep(p: TfParams, x: nb.Tensor, caches: Cache[] | null): [nb.Tensor, Cache[]] {
  const offset = caches === null ? 0 : caches[0]!.key.shape[2]!;
  let h = posEmb.apply(p.pos, tokEmb.apply(p.tok, x), { offset }); // [S, 1, D]
  const next: Cache[] = [];
  p.blocks.forEach((b, i) => {
    const a = mha.apply(b.selfAttn, norm.apply(b.norm1, h), {
      causal: true,
      needWeights: false,
      cache: caches === null ? null : caches[i]!,
    });
    next.push(a.cache!);
    h = nb.add(h, a.output);
    h = nb.add(h, linear(nb.relu(linear(norm.apply(b.norm2, h), b.linear1)), b.linear2));
  });
  const logits = tfOut.apply(p.out, finalNorm.apply(p.norm, h));
  return [nb.reshape(logits, [x.shape[0]!, V]), next];
}
const firstStep = nb.jit((p: TfParams, k: nb.random.Key) => {
  const [logits, caches] = tfStep(p, nb.zeros([nSamples, 1], { dtype: "int32" }), null);
  return [draw(k, logits), caches] as const;
});
const laterStep = nb.jit((p: TfParams, prev: nb.Tensor, caches: Cache[], k: nb.random.Key) => {
  const [logits, next] = tfStep(p, nb.reshape(prev, [nSamples, 1]), caches);
  return [draw(k, logits), next] as const;
});
const tfDrawn: number[][] = [];
{
  const keys = nb.random.split(nb.random.key(43), T);
  let [symbol, caches] = firstStep(tfRun.params, keys[0]!) as unknown as [nb.Tensor, Cache[]];
  tfDrawn.push(symbol.toArray() as number[]);
  for (let t = 1; t < T; t++) {
    [symbol, caches] = laterStep(tfRun.params, symbol, caches, keys[t]!) as unknown as [nb.Tensor, Cache[]];
    tfDrawn.push(symbol.toArray() as number[]);
  }
}

// The cached decoder must agree with the full causal pass: feed both the first held-out names.
{
  const x = nb.slice(test.x, [0, 0], [4, T]);
  const full = tfLogits(tfRun.params, x); // [4, T, V]
  let caches: Cache[] | null = null;
  let worst = 0;
  for (let t = 0; t < T; t++) {
    const [logits, next] = tfStep(tfRun.params, nb.slice(x, [0, t], [4, 1]), caches);
    caches = next;
    const ref = nb.reshape(nb.slice(full, [0, t, 0], [4, 1, V]), [4, V]);
    worst = Math.max(worst, nb.max(nb.abs(nb.sub(logits, ref))).item());
  }
  console.log(
    `cached decoding against the full causal pass: largest logit difference ${worst.toExponential(1)}`,
  );
}

const trainSet = new Set(trainNames);
const names = (drawn: number[][]) =>
  Array.from({ length: nSamples }, (_, s) => {
    const ids = drawn.map((row) => row[s]!);
    const end = ids.indexOf(0);
    const name = chars.decode(end < 0 ? ids : ids.slice(0, end)).join("");
    return trainSet.has(name) ? `${name}*` : name;
  }).join(", ");
console.log(`LSTM names: ${names(lstmDrawn)}`);
console.log(`transformer names: ${names(tfDrawn)}  (* = in the training set)`);

// ── The picture: training loss of both models (averaged over windows of steps), held-out loss at ────────
// checkpoints, and the bigram.
const line = (label: string, c: { step: number; bits: number }[]) => ({
  label,
  x: c.map((p) => p.step),
  y: c.map((p) => p.bits),
});
const png = await savePicture(
  out,
  "names-lm",
  nb.viz.lineChart(
    [
      line("LSTM (training)", lstmRun.curve),
      line("transformer (training)", tfRun.curve),
      line("LSTM (held out)", lstmRun.heldOutCurve),
      line("transformer (held out)", tfRun.heldOutCurve),
      { label: "bigram (held out)", x: [0, steps], y: [bigramBits, bigramBits] },
    ],
    {
      title: "Character-level language models of first names",
      xLabel: "Adam step (batches of names)",
      yLabel: "bits per character",
    },
  ),
);
console.log(`wrote ${png}`);

console.log(
  `held-out bits per character: uniform ${uniformBits.toFixed(3)}, bigram ${bigramBits.toFixed(3)}, ` +
    `LSTM ${lstmRun.heldOut.toFixed(3)} (${(lstmRun.heldOut / bigramBits).toFixed(3)} × bigram), ` +
    `transformer ${tfRun.heldOut.toFixed(3)} (${(tfRun.heldOut / bigramBits).toFixed(3)} × bigram)`,
);
console.log(`total time ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`bigram-bits-per-char: ${bigramBits.toFixed(4)}`);
console.log(`lstm-bits-per-char: ${lstmRun.heldOut.toFixed(4)}`);
headline("transformer-bits-per-char", tfRun.heldOut);
