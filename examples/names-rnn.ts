// A character-level GRU over first names: the recurrence over the letters is nb.lax.scan, the training step
// jit(valueAndGrad(loss)) with the scan inside, trained with Adam. Held-out bits per character against a
// count-based bigram model, then new names drawn by a compiled sampler (nb.random inside a jitted scan, the
// key carried from step to step).
// Run: npm run example names-rnn [--quick] [--out DIR]
import * as nb from "nabla";
import { bigramBitsPerChar, exampleOptions, headline, namesCorpus } from "./common.js";

const { quick } = exampleOptions("names-rnn");

// ── Data: every name as ".name" → "name.", padded with "." to one length, 10% held out. ──────────────────
const { all, chars, V, T, nTest, trainNames, train, test } = await namesCorpus();
console.log(
  `${all.length.toLocaleString("en")} names (${trainNames.length.toLocaleString("en")} to train on, ` +
    `${nTest} held out), ${V} symbols (a–z, "-", and "." for the ends), up to ${T} steps a name`,
);

// ── The count-based bigram model: P(next | previous) from the training pairs, add-α smoothed. ────────────
const bigramBits = bigramBitsPerChar(train, test, V);
const uniformBits = Math.log2(V);

// ── The GRU: embedding → GRU(hidden) → logits over the symbols. ─────────────────────────────────────────
const E = 16;
const H = quick ? 32 : 96;
type Params = {
  emb: nb.Tensor; // [V, E]
  wx: nb.Tensor; // [E, 3H]: update, reset and candidate from the input
  wh: nb.Tensor; // [H, 2H]: update and reset from the state
  wc: nb.Tensor; // [H, H]: candidate from the reset state
  b: nb.Tensor; // [3H]
  wo: nb.Tensor; // [H, V]
  bo: nb.Tensor; // [V]
};
const keys = nb.random.split(nb.random.key(0), 5);
const init = (k: nb.random.Key, shape: number[]) =>
  nb.mul(1 / Math.sqrt(shape[0]!), nb.random.normal(k, shape));
let params: Params = {
  emb: nb.mul(0.3, nb.random.normal(keys[0]!, [V, E])),
  wx: init(keys[1]!, [E, 3 * H]),
  wh: init(keys[2]!, [H, 2 * H]),
  wc: init(keys[3]!, [H, H]),
  b: nb.zeros([3 * H]),
  wo: nb.mul(0.1, init(keys[4]!, [H, V])),
  bo: nb.zeros([V]),
};
console.log(`GRU: embedding ${E}, hidden ${H}, ${nb.nn.countParams(params).toLocaleString("en")} parameters`);

/** One GRU step on a batch: the input's projection `xp` [B, 3H] (bias included) and the state `h` [B, H]. */
function gru(p: Params, h: nb.Tensor, xp: nb.Tensor): nb.Tensor {
  const B = h.shape[0]!;
  const cols = (t: nb.Tensor, k: number) => nb.slice(t, [0, k * H], [B, H]); // the k-th block of H columns
  const hp = nb.matmul(h, p.wh); // [B, 2H]
  const z = nb.sigmoid(nb.add(cols(xp, 0), cols(hp, 0)));
  const r = nb.sigmoid(nb.add(cols(xp, 1), cols(hp, 1)));
  const c = nb.tanh(nb.add(cols(xp, 2), nb.matmul(nb.mul(r, h), p.wc)));
  return nb.add(nb.mul(z, h), nb.mul(nb.sub(1, z), c));
}

/** Mean negative log-likelihood (nats) per real character of a batch x, y, m [B, T]. */
function loss(p: Params, x: nb.Tensor, y: nb.Tensor, m: nb.Tensor): nb.Tensor {
  const B = x.shape[0]!;
  // Time-major inputs [T, B, 3H]: every input's projection at once, outside the recurrence.
  const xp = nb.add(nb.matmul(nb.take(p.emb, nb.transpose(x, [1, 0]), 0), p.wx), p.b);
  const [, hs] = nb.lax.scan(
    (h: nb.Tensor, xt: nb.Tensor) => {
      const next = gru(p, h, xt);
      return [next, next];
    },
    nb.zeros([B, H]),
    xp,
  ) as [nb.Tensor, nb.Tensor]; // hs [T, B, H]
  const logits = nb.add(nb.matmul(hs, p.wo), p.bo); // [T, B, V]
  const nll = nb.nn.crossEntropy(logits, nb.transpose(y, [1, 0]), { reduction: "none" }); // [T, B]
  const mask = nb.transpose(m, [1, 0]);
  return nb.div(nb.sum(nb.mul(nll, mask)), nb.sum(mask));
}

const lossAndGrad = nb.jit(nb.valueAndGrad(loss));
const testLoss = nb.jit(loss);
const steps = quick ? 20 : 600;
const batchSize = 128;
const optimizer = nb.optim.adam({
  learningRate: quick ? 1e-2 : nb.optim.cosineDecay({ init: 1e-2, decaySteps: steps }),
});
let state = optimizer.init(params);
let key = nb.random.key(1);
const nTrain = trainNames.length;
const t0 = performance.now();
let firstStep = 0;
for (let step = 1; step <= steps; step++) {
  const [kb, next] = nb.random.split(key);
  key = next!;
  const idx = nb.random.randint(kb!, [batchSize], 0, nTrain);
  const [l, g] = lossAndGrad(
    params,
    nb.take(train.x, idx, 0),
    nb.take(train.y, idx, 0),
    nb.take(train.m, idx, 0),
  );
  const [updates, s] = optimizer.update(g, state, params);
  params = nb.optim.applyUpdates(params, updates);
  state = s;
  const value = l.item();
  if (step === 1) firstStep = performance.now();
  if (step === 1 || step % (quick ? 10 : 100) === 0 || step === steps)
    console.log(
      `  step ${String(step).padStart(4)}  training loss ${(value / Math.LN2).toFixed(3)} bits/char`,
    );
}
const t1 = performance.now();
const msPerStep = steps > 1 ? (t1 - firstStep) / (steps - 1) : t1 - t0;
console.log(
  `${steps} Adam steps of ${batchSize} names in ${((t1 - t0) / 1000).toFixed(1)} s ` +
    `(${msPerStep.toFixed(1)} ms a step after the first, which compiles)`,
);
const rnnBits = testLoss(params, test.x, test.y, test.m).item() / Math.LN2;

// ── A compiled sampler: the scan carries the state, the previous symbol and the random key. ─────────────
const nSamples = 10;
const sampler = nb.jit((p: Params, k: nb.random.Key) => {
  const [, ids] = nb.lax.scan(
    ([h, prev, kk]: [nb.Tensor, nb.Tensor, nb.random.Key]) => {
      const [draw, rest] = nb.random.split(kk);
      const nextH = gru(p, h, nb.add(nb.matmul(nb.take(p.emb, prev, 0), p.wx), p.b));
      const logits = nb.add(nb.matmul(nextH, p.wo), p.bo); // [S, V]
      // Gumbel-max: argmax(logits + Gumbel noise) is a draw from softmax(logits).
      const u = nb.random.uniform(draw!, [nSamples, V], { minval: 1e-7, maxval: 1 });
      const symbol = nb.astype(nb.argmax(nb.sub(logits, nb.log(nb.neg(nb.log(u)))), { axis: -1 }), "int32");
      return [[nextH, symbol, rest!], symbol];
    },
    [nb.zeros([nSamples, H]), nb.zeros([nSamples], { dtype: "int32" }), k],
    null,
    { length: T + 4 },
  ) as [unknown, nb.Tensor];
  return ids; // [steps, S]
});
const drawn = (sampler(params, nb.random.key(42)) as nb.Tensor).toArray() as number[][];
const trainSet = new Set(trainNames);
const samples = Array.from({ length: nSamples }, (_, s) => {
  const ids = drawn.map((row) => row[s]!);
  const end = ids.indexOf(0);
  return chars.decode(end < 0 ? ids : ids.slice(0, end)).join("");
});
console.log(
  `sampled names: ${samples.map((n) => (trainSet.has(n) ? `${n}*` : n)).join(", ")}  (* = in the training set)`,
);

console.log(
  `held-out bits per character: uniform ${uniformBits.toFixed(3)}, bigram ${bigramBits.toFixed(3)}, GRU ${rnnBits.toFixed(3)}`,
);
headline("bits-per-char", rnnBits);
