// Embeddings three ways: a sentiment classifier (Embedding → mean → Linear → sigmoid) on a small hand-written
// corpus, skip-gram vectors of the letters in first names (vowels end up together), and third-order
// derivatives of both losses with respect to one embedding vector, checked against their closed forms.
// Run: npm run example embeddings [--quick] [--out DIR]
import * as nb from "nabla";
import { exampleOptions, formatValue, headline, savePicture, scatterChart } from "./common.js";

const { quick, out } = exampleOptions("embeddings");

// ── 1. Sentiment: 64 short reviews, half positive (1), half negative (0). ──────────────────────────────
const positive = [
  "a great movie with a wonderful cast",
  "i loved every minute of it",
  "the story is beautiful and moving",
  "brilliant acting and a great script",
  "a fun and charming film",
  "the best film i have seen this year",
  "wonderful music and lovely pictures",
  "i really enjoyed this book",
  "an excellent and clever story",
  "the food was delicious and the staff friendly",
  "great service and a lovely room",
  "a delightful evening i would go again",
  "the ending was perfect",
  "funny smart and warm",
  "i love this place",
  "a beautiful and moving book",
  "excellent value and friendly staff",
  "the cast is brilliant and the story clever",
  "highly recommended a real delight",
  "what a wonderful surprise",
  "the best meal we have had in years",
  "charming characters and a happy ending",
  "i enjoyed it from start to finish",
  "a clever funny and beautiful film",
  "the room was clean and the view lovely",
  "great fun for the whole family",
  "a perfect little book",
  "the staff were kind and helpful",
  "an enjoyable story with great characters",
  "i would happily see it again",
  "moving and beautifully acted",
  "simply excellent",
];
const negative = [
  "a boring movie with a terrible cast",
  "i hated every minute of it",
  "the story is dull and silly",
  "awful acting and a bad script",
  "a slow and tedious film",
  "the worst film i have seen this year",
  "terrible music and ugly pictures",
  "i really disliked this book",
  "a stupid and predictable story",
  "the food was cold and the staff rude",
  "bad service and a dirty room",
  "a miserable evening i would never go again",
  "the ending was awful",
  "dull slow and pointless",
  "i hate this place",
  "a boring and silly book",
  "poor value and rude staff",
  "the cast is terrible and the story stupid",
  "not recommended a real waste",
  "what a disappointing mess",
  "the worst meal we have had in years",
  "dull characters and a sad ending",
  "i was bored from start to finish",
  "a predictable boring and ugly film",
  "the room was dirty and the view awful",
  "no fun at all for the family",
  "a pointless little book",
  "the staff were rude and unhelpful",
  "a tedious story with poor characters",
  "i would never see it again",
  "slow and badly acted",
  "simply awful",
];
const sentences = [...positive, ...negative];
const labels = [...positive.map(() => 1), ...negative.map(() => 0)];
const words = nb.data.vocabulary(
  sentences.flatMap((s) => s.split(" ")),
  { specials: ["<pad>"] },
);
const maxLen = Math.max(...sentences.map((s) => s.split(" ").length));
const encode = (s: string) => {
  const ids = s.split(" ").map((w) => words.id(w));
  return [...ids, ...new Array<number>(maxLen - ids.length).fill(0)];
};

// A seeded split: 48 sentences to train on, 16 held out (8 of each class).
const order = nb.random.permutation(nb.random.key(1), 32).dataSync();
const testIdx = [
  ...Array.from(order.slice(0, 8)),
  ...Array.from(order.slice(0, 8), (i) => Number(i) + 32),
].map(Number);
const trainIdx = sentences.map((_, i) => i).filter((i) => !testIdx.includes(i));
const batch = (idx: number[]) => ({
  ids: nb.array(
    idx.map((i) => encode(sentences[i]!)),
    { dtype: "int32" },
  ),
  y: nb.array(idx.map((i) => labels[i]!)),
});
const trainSet = batch(trainIdx);
const testSet = batch(testIdx);

const dim = 16;
const embedding = nb.nn.Embedding(words.size, dim, { init: nb.nn.init.normal(0.3) });
const head = nb.nn.Linear(dim, 1);
type SentimentParams = { emb: { weight: nb.Tensor }; head: nb.nn.LinearParams };
const [ke, kh] = nb.random.split(nb.random.key(0));
let sp: SentimentParams = { emb: embedding.init(ke!).params, head: head.init(kh!).params };

/** Logits of a batch of padded sentences: the mean of the word vectors (padding left out), then Linear. */
const logitsOf = (p: SentimentParams, ids: nb.Tensor) => {
  const vectors = embedding.apply(p.emb, ids); // [N, L, dim]
  const mask = nb.expandDims(nb.astype(nb.notEqual(ids, 0), vectors.dtype), -1); // [N, L, 1]
  const mean = nb.div(nb.sum(nb.mul(vectors, mask), { axis: 1 }), nb.sum(mask, { axis: 1 }));
  return nb.reshape(head.apply(p.head, mean), [ids.shape[0]!]);
};
// A small L2 penalty keeps the word vectors from growing without bound on 48 separable sentences.
const sentimentLoss = (p: SentimentParams, ids: nb.Tensor, y: nb.Tensor) =>
  nb.add(nb.nn.binaryCrossEntropy(logitsOf(p, ids), y), nb.mul(3e-3, nb.nn.l2Penalty(p)));

const sentimentSteps = quick ? 60 : 300;
const opt = nb.optim.adam({ learningRate: 0.02 });
let optState = opt.init(sp);
const vg = nb.valueAndGrad(sentimentLoss);
let lastLoss = 0;
for (let t = 0; t < sentimentSteps; t++) {
  const [l, g] = vg(sp, trainSet.ids, trainSet.y);
  const [updates, next] = opt.update(g, optState, sp);
  sp = nb.optim.applyUpdates(sp, updates);
  optState = next;
  lastLoss = l.item();
}
const testProb = nb.sigmoid(logitsOf(sp, testSet.ids)).dataSync();
const accuracy = nb.nn.accuracy(logitsOf(sp, testSet.ids), testSet.y);
console.log(
  `1. Sentiment: Embedding(${words.size} words, ${dim}) → mean → Linear(${dim}→1) → sigmoid, ` +
    `${trainIdx.length} sentences, ${sentimentSteps} Adam steps: training loss ${lastLoss.toFixed(4)} (penalty included)`,
);
console.log(`   held-out accuracy ${(100 * accuracy).toFixed(1)}% on ${testIdx.length} sentences, e.g.`);
const seen = new Set(trainIdx.flatMap((i) => sentences[i]!.split(" ")));
const unseen = (k: number) => sentences[testIdx[k]!]!.split(" ").filter((w) => !seen.has(w));
const wrong = testIdx
  .map((_, k) => k)
  .filter((k) => Number(testProb[k]) > 0.5 !== (labels[testIdx[k]!] === 1));
for (const k of [0, 1, 8, 9, ...wrong.filter((k) => ![0, 1, 8, 9].includes(k))]) {
  const miss = wrong.includes(k)
    ? `  ✗ (label ${labels[testIdx[k]!]}; never seen in training: ${unseen(k).join(", ") || "—"})`
    : "";
  console.log(`     P(positive) = ${Number(testProb[k]).toFixed(3)}  "${sentences[testIdx[k]!]}"${miss}`);
}
// A word's push on the logit is its vector · the head's weights.
const wordScore = nb.matmul(sp.emb.weight, sp.head.weight).dataSync();
const ranked = words.tokens.map((w, i) => [w, Number(wordScore[i])] as const).filter(([w]) => w !== "<pad>");
ranked.sort((a, b) => b[1] - a[1]);
const show = (list: (readonly [string, number])[]) => list.map(([w, s]) => `${w} ${s.toFixed(2)}`).join(", ");
console.log(`   most positive words: ${show(ranked.slice(0, 6))}`);
console.log(`   most negative words: ${show(ranked.slice(-6).reverse())}`);

// ── 2. Skip-gram: each letter of a name predicts its neighbours (window 2), "." marking the ends. ────────
const names = await nb.data.names({ count: quick ? 400 : 4000, seed: 0 });
const chars = nb.data.vocabulary(names.join(""), { specials: ["."] });
const centers: number[] = [];
const contexts: number[] = [];
for (const name of names) {
  const ids = Array.from(chars.encode(`.${name}.`).dataSync(), Number);
  ids.forEach((c, i) => {
    for (let j = i - 2; j <= i + 2; j++)
      if (j !== i && j >= 0 && j < ids.length) {
        centers.push(c);
        contexts.push(ids[j]!);
      }
  });
}
const cDim = 8;
type SkipParams = { input: nb.Tensor; output: nb.Tensor };
const [ki, ko] = nb.random.split(nb.random.key(2));
let gp: SkipParams = {
  input: nb.mul(0.1, nb.random.normal(ki!, [chars.size, cDim])),
  output: nb.mul(0.1, nb.random.normal(ko!, [chars.size, cDim])),
};
/** Cross-entropy of softmax(output · input[center]) against the context letter. */
const skipLoss = (p: SkipParams, c: nb.Tensor, ctx: nb.Tensor) =>
  nb.nn.crossEntropy(nb.matmul(nb.take(p.input, c, 0), nb.matrixTranspose(p.output)), ctx);
const skipSteps = quick ? 40 : 400;
const skipBatch = 1024;
const skipOpt = nb.optim.adam({ learningRate: 0.03 });
let skipState = skipOpt.init(gp);
const skipVg = nb.valueAndGrad(skipLoss);
const allCenters = nb.array(centers, { dtype: "int32" });
const allContexts = nb.array(contexts, { dtype: "int32" });
let skipKey = nb.random.key(3);
let firstSkipLoss = 0;
let lastSkipLoss = 0;
for (let t = 0; t < skipSteps; t++) {
  const [k, next] = nb.random.split(skipKey);
  skipKey = next!;
  const idx = nb.random.randint(k!, [skipBatch], 0, centers.length);
  const [l, g] = skipVg(gp, nb.take(allCenters, idx), nb.take(allContexts, idx));
  const [updates, s] = skipOpt.update(g, skipState, gp);
  gp = nb.optim.applyUpdates(gp, updates);
  skipState = s;
  if (t === 0) firstSkipLoss = l.item();
  lastSkipLoss = l.item();
}
console.log(
  `\n2. Skip-gram letter vectors (${cDim}-d) from ${names.length} names, ${centers.length.toLocaleString("en")} ` +
    `(letter, neighbour) pairs, ${skipSteps} Adam steps: loss ${firstSkipLoss.toFixed(3)} → ${lastSkipLoss.toFixed(3)} ` +
    `(uniform guessing: ${Math.log(chars.size).toFixed(3)})`,
);
const vectors = gp.input.toArray() as number[][];
const unit = vectors.map((v) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
});
const cosine = (a: number, b: number) => unit[a]!.reduce((s, x, i) => s + x * unit[b]![i]!, 0);
const nearest = (a: number, k: number) =>
  chars.tokens
    .map((_, b) => b)
    .filter((b) => b !== a)
    .sort((x, y) => cosine(a, y) - cosine(a, x))
    .slice(0, k);
for (const ch of ["a", "e", "o", "n", "t", "."])
  console.log(
    `   nearest to "${ch}": ${nearest(chars.id(ch), 4)
      .map((b) => `${chars.tokens[b]} ${cosine(chars.id(ch), b).toFixed(2)}`)
      .join(", ")}`,
  );
const vowels = new Set(["a", "e", "i", "o", "u", "y"]);
const vowelIds = chars.tokens.map((t, i) => [t, i] as const).filter(([t]) => vowels.has(t));
const vowelHits = vowelIds.filter(([, i]) => vowels.has(chars.tokens[nearest(i, 1)[0]!]!)).length;
console.log(`   ${vowelHits} of ${vowelIds.length} vowels (a e i o u y) have a vowel as nearest neighbour`);
const letters = chars.tokens.map((t, i) => [t, i] as const).filter(([t]) => /^[a-z]$/.test(t));
const picture = await savePicture(
  out,
  "embeddings-letters",
  lettersChart(
    letters.map(([, i]) => unit[i]!),
    letters.map(([t]) => t),
  ),
);
console.log(`   wrote ${picture}`);

// ── 3. Third-order derivatives with respect to one embedding vector. ───────────────────────────────────
console.log("\n3. Third derivatives with respect to one embedding vector e (float64)");
// (a) Sentiment: the loss of one held-out sentence as a function of the vector of one of its words.
const f64 = (t: nb.Tensor) => nb.astype(t, "float64");
const sentence = sentences[testIdx[0]!]!;
const word = sentence
  .split(" ")
  .sort((a, b) => Math.abs(wordScore[words.id(b)]!) - Math.abs(wordScore[words.id(a)]!))[0]!;
const wid = words.id(word);
const ids = sentence.split(" ").map((w) => words.id(w));
const E = f64(sp.emb.weight);
const w = f64(nb.reshape(sp.head.weight, [dim]));
const b = f64(sp.head.bias!);
const y = labels[testIdx[0]!]!;
const others = nb.sum(
  nb.take(
    E,
    nb.array(
      ids.filter((i) => i !== wid),
      { dtype: "int32" },
    ),
    0,
  ),
  { axis: 0 },
);
const count = ids.filter((i) => i === wid).length;
const lossOfWord = (e: nb.Tensor) => {
  const z = nb.add(nb.dot(nb.div(nb.add(others, nb.mul(count, e)), ids.length), w), b);
  return nb.nn.binaryCrossEntropy(nb.reshape(z, [1]), nb.array([y], { dtype: "float64" }));
};
const e0 = nb.take(E, wid, 0);
const T = nb.derivative(lossOfWord, 3)(e0); // [dim, dim, dim]
const Tmixed = nb.jacfwd(nb.jacfwd(nb.grad(lossOfWord)))(e0);
// z is linear in e with ∂z/∂e = u = (count/n)·w, and L = softplus(z) − y z, so L‴ = σ″(z) u⊗u⊗u,
// σ″ = s(1 − s)(1 − 2s): a rank-one tensor.
const z0 = nb.add(nb.dot(nb.div(nb.add(others, nb.mul(count, e0)), ids.length), w), b).item();
const s0 = 1 / (1 + Math.exp(-z0));
const u = nb.mul(count / ids.length, w);
const closed = nb.mul(s0 * (1 - s0) * (1 - 2 * s0), nb.einsum("i,j,k->ijk", u, u, u));
const errA = nb.max(nb.abs(nb.sub(T, closed))).item();
const errMixed = nb.max(nb.abs(nb.sub(T, Tmixed))).item();
console.log(`   (a) sentiment loss of "${sentence}" (label ${y}) as a function of the vector of "${word}":`);
console.log(
  `       nb.derivative(loss, 3)(e) has shape [${T.shape}]; the logit is linear in e, so the tensor is`,
);
console.log("       σ″(z)·u⊗u⊗u with u = ∂z/∂e (rank one, σ″ = s(1−s)(1−2s)):");
console.log(
  `       max |autodiff − closed form| = ${formatValue(errA)}, |T| max = ${formatValue(nb.max(nb.abs(T)).item())}; jacfwd∘jacfwd∘grad agrees to ${formatValue(errMixed)}`,
);

// (b) Skip-gram: L(e) = logsumexp(O e) − o_ctx·e. Derivatives of a log-partition function are cumulants:
// ∇L = E[o] − o_ctx, ∇²L = Cov[o], ∇³L = E[(o − E o)⊗³] under p = softmax(O e).
const O = f64(gp.output);
const center = chars.id("a");
const ctx = chars.id("n");
const skipOfVector = (e: nb.Tensor) => nb.sub(nb.logSumExp(nb.matmul(O, e)), nb.dot(nb.take(O, ctx, 0), e));
const ea = nb.take(f64(gp.input), center, 0);
const T3 = nb.derivative(skipOfVector, 3)(ea);
const p = nb.softmax(nb.matmul(O, ea));
const centred = nb.sub(O, nb.matmul(p, O));
const cumulant = nb.einsum("v,vi,vj,vk->ijk", p, centred, centred, centred);
const errB = nb.max(nb.abs(nb.sub(T3, cumulant))).item();
const sym = nb.max(nb.abs(nb.sub(T3, nb.transpose(T3, [2, 0, 1])))).item();
console.log(
  `   (b) skip-gram loss of the pair ("a" → "n") as a function of the vector of "a": a log-sum-exp, whose`,
);
console.log("       third derivative is the third central moment of the output vectors under the softmax:");
console.log(
  `       max |autodiff − E[(o − E o)⊗³]| = ${formatValue(errB)}; symmetric under index permutation to ${formatValue(sym)}`,
);
const worst = Math.max(errA, errB, errMixed);
if (worst > 1e-10) throw new Error(`embeddings: third derivatives differ from the closed forms by ${worst}`);

headline("accuracy", accuracy);

/** Unit letter vectors projected on their two principal directions, vowels and consonants in two colours. */
function lettersChart(v: number[][], tokens: readonly string[]): string {
  const d = v[0]!.length;
  const mean = Array.from({ length: d }, (_, j) => v.reduce((s, r) => s + r[j]!, 0) / v.length);
  const X = v.map((r) => r.map((x, j) => x - mean[j]!));
  const cov = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => X.reduce((s, r) => s + r[i]! * r[j]!, 0)),
  );
  // Power iteration with deflation gives the top two eigenvectors of the covariance.
  const axes: number[][] = [];
  for (let k = 0; k < 2; k++) {
    let q = Array.from({ length: d }, (_, j) => Math.cos(j + k));
    for (let it = 0; it < 200; it++) {
      let next = cov.map((row) => row.reduce((s, c, j) => s + c * q[j]!, 0));
      for (const a of axes) {
        const dotA = next.reduce((s, x, j) => s + x * a[j]!, 0);
        next = next.map((x, j) => x - dotA * a[j]!);
      }
      const n = Math.hypot(...next);
      q = next.map((x) => x / n);
    }
    axes.push(q);
  }
  const proj = X.map((r) => axes.map((a) => r.reduce((s, x, j) => s + x * a[j]!, 0)));
  const group = (keep: (t: string) => boolean, label: string, color: string) => {
    const idx = tokens.map((t, i) => [t, i] as const).filter(([t]) => keep(t));
    return {
      label,
      color,
      r: 4,
      opacity: 0.9,
      x: idx.map(([, i]) => proj[i]![0]!),
      y: idx.map(([, i]) => proj[i]![1]!),
      text: idx.map(([t]) => t),
    };
  };
  return scatterChart(
    [group((t) => vowels.has(t), "vowels", "#d62728"), group((t) => !vowels.has(t), "consonants", "#1f77b4")],
    {
      title: "Skip-gram letter vectors (unit length), first two principal components",
      width: 680,
      height: 560,
    },
  );
}
