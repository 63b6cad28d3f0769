// Hyperparameters by gradient: a learning rate η and a weight decay λ for logistic regression, tuned by
// differentiating the validation loss through the whole unrolled training run. The inner loop is T steps of
// gradient descent, w ← w − η(∇L_train(w) + λw), written as one nb.lax.scan under nb.jit; nb.grad of the
// validation loss after T steps with respect to (log η, log λ) goes back through every step, and since each
// step already holds ∇L_train, that is second-order in the training loss. nb.hessian of the same function is
// third-order in the training loss (the seeds' "third-order terms"); it is checked against finite
// differences of the hypergradient and used for saddle-free Newton steps after Adam. Against a grid search
// over (η, λ) with at least the same number of inner training runs: validation and held-out test loss of
// each, and the validation-loss landscape with the hypergradient path.
// Run: npm run example hypergradients [--quick] [--out DIR]
import * as nb from "nabla";
import { exampleOptions, formatValue, headline, savePicture } from "./common.js";

const { quick, out } = exampleOptions("hypergradients");
const started = performance.now();

// ── Data: seeded synthetic binary classification, 30 features, few training points so that the choice of
// λ (and of η, which with T fixed acts as early stopping) matters. Labels ±1 drawn from a logistic model.
const D = 30;
const N_TRAIN = 60;
const N_VAL = 200;
const N_TEST = 2000;
const T = quick ? 40 : 100; // inner gradient-descent steps
let seed = 12345;
const uniform = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
const wTrue = Array.from({ length: D }, (_, j) => (j < 8 ? 1.5 * normal() : 0.2 * normal()));
const f64 = (v: number[], shape: number[]) => nb.reshape(nb.array(v, { dtype: "float64" }), shape);
function dataset(n: number): { X: nb.Tensor; y: nb.Tensor } {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from({ length: D }, normal);
    const z = row.reduce((s, v, j) => s + v * wTrue[j]!, 0);
    y.push(uniform() < 1 / (1 + Math.exp(-z)) ? 1 : -1);
    x.push(...row);
  }
  return { X: f64(x, [n, D]), y: f64(y, [n]) };
}
const train = dataset(N_TRAIN);
const val = dataset(N_VAL);
const test = dataset(N_TEST);
console.log(
  `logistic regression, ${D} features: ${N_TRAIN} training, ${N_VAL} validation, ${N_TEST} test points (seeded); ` +
    `inner loop ${T} steps of gradient descent`,
);

/** Mean logistic loss log(1 + exp(−y·Xw)). */
const logLoss = (w: nb.Tensor, X: nb.Tensor, y: nb.Tensor) =>
  nb.mean(nb.softplus(nb.neg(nb.mul(y, nb.matmul(X, w)))));
const trainGrad = nb.grad((w: nb.Tensor) => logLoss(w, train.X, train.y));

/** The inner training run: T steps of w ← w − η(∇L_train(w) + λw) from w = 0, η = e^h₀, λ = e^h₁. */
function trainRun(h: nb.Tensor): nb.Tensor {
  const eta = nb.exp(nb.take(h, 0));
  const lambda = nb.exp(nb.take(h, 1));
  const w0 = nb.zeros([D], { dtype: "float64" });
  const [w] = nb.lax.scan(
    (w: nb.Tensor) => [nb.sub(w, nb.mul(eta, nb.add(trainGrad(w), nb.mul(lambda, w)))), null] as const,
    w0,
    null,
    { length: T },
  );
  return w as nb.Tensor;
}
/** The validation loss after training, as a function of h = (log η, log λ). */
const valLoss = (h: nb.Tensor) => logLoss(trainRun(h), val.X, val.y);
const testLoss = (h: nb.Tensor) => logLoss(trainRun(h), test.X, test.y);

const valueAndHypergrad = nb.jit(nb.valueAndGrad(valLoss));
const hyperHessian = nb.jit(nb.hessian(valLoss));
const valJit = nb.jit(valLoss);
const testJit = nb.jit(testLoss);
const valGrid = nb.jit(nb.vmap(valLoss)); // a batch of h's at once, for the picture

const hOf = (eta: number, lambda: number) =>
  nb.array([Math.log(eta), Math.log(lambda)], { dtype: "float64" });
const pair = (t: nb.Tensor) => Array.from(t.dataSync(), Number) as [number, number];
const show = (h: readonly number[]) =>
  `η = ${formatValue(Math.exp(h[0]!))}, λ = ${formatValue(Math.exp(h[1]!))}`;

// ── Hypergradient check: nb.grad through the scan against central differences of the validation loss. ──
const h0 = hOf(0.03, 0.3);
const [v0, g0] = valueAndHypergrad(h0);
const fdEps = 1e-5;
const fdGrad = [0, 1].map((i) => {
  const e = [0, 0];
  e[i] = fdEps;
  const hp = nb.add(h0, nb.array(e, { dtype: "float64" }));
  const hm = nb.sub(h0, nb.array(e, { dtype: "float64" }));
  return (valJit(hp).item() - valJit(hm).item()) / (2 * fdEps);
});
const gAd = pair(g0);
const gradRel = Math.max(
  ...gAd.map((g, i) => Math.abs(g - fdGrad[i]!) / Math.max(Math.abs(fdGrad[i]!), 1e-12)),
);
console.log(
  `\nstart ${show(pair(h0))}: validation loss ${v0.item().toFixed(4)}, hypergradient (∂/∂log η, ∂/∂log λ) = ` +
    `(${gAd.map((g) => g.toExponential(4)).join(", ")}); central differences (${fdGrad.map((g) => g.toExponential(4)).join(", ")})`,
);
console.log(`hypergradient vs finite differences: max relative difference ${formatValue(gradRel)}`);

// ── Hyperparameter descent: Adam on the hypergradient, then Newton steps on the Hessian. ────────────────
const ADAM_STEPS = quick ? 12 : 30;
const NEWTON_STEPS = quick ? 4 : 6;
const optimizer = nb.optim.adam({ learningRate: 0.2 });
let h = h0;
let optState = optimizer.init(h);
const path: [number, number][] = [pair(h)];
let innerRuns = 1; // the check above
const hyperStart = performance.now();
for (let s = 0; s < ADAM_STEPS; s++) {
  const [, g] = valueAndHypergrad(h);
  innerRuns++;
  const [updates, st] = optimizer.update(g, optState, h);
  h = nb.optim.applyUpdates(h, updates);
  optState = st;
  path.push(pair(h));
}
const adamVal = valJit(h).item();
console.log(
  `\nAdam (learning rate 0.2), ${ADAM_STEPS} hypergradient steps: ${show(pair(h))}, validation loss ${adamVal.toFixed(4)}`,
);

// The Hessian in (log η, log λ): forward over reverse through the scan, whose body holds ∇L_train, so the
// third derivatives of the training loss enter. Checked against central differences of the hypergradient.
const H = hyperHessian(h);
const Hm = Array.from(H.dataSync(), Number);
const fdH = [0, 1].flatMap((j) => {
  const e = [0, 0];
  e[j] = 1e-4;
  const gp = pair(valueAndHypergrad(nb.add(h, nb.array(e, { dtype: "float64" })))[1]);
  const gm = pair(valueAndHypergrad(nb.sub(h, nb.array(e, { dtype: "float64" })))[1]);
  return [0, 1].map((i) => (gp[i]! - gm[i]!) / 2e-4);
});
// fdH is column-major (column j = ∂g/∂h_j); the Hessian is symmetric, so compare entry by entry transposed.
const fdHrm = [fdH[0]!, fdH[2]!, fdH[1]!, fdH[3]!];
const hessRel =
  Math.max(...Hm.map((v, k) => Math.abs(v - fdHrm[k]!))) / Math.max(...fdHrm.map(Math.abs), 1e-12);
const fmtM = (m: number[]) =>
  `[[${m[0]!.toExponential(3)}, ${m[1]!.toExponential(3)}], [${m[2]!.toExponential(3)}, ${m[3]!.toExponential(3)}]]`;
console.log(`Hessian of the validation loss (nb.hessian through the scan): ${fmtM(Hm)}`);
console.log(`central differences of the hypergradient:                   ${fmtM(fdHrm)}`);
console.log(`Hessian vs finite differences: max difference / max entry ${formatValue(hessRel)}`);

let newtonTaken = 0;
for (let s = 0; s < NEWTON_STEPS; s++) {
  const [v, g] = valueAndHypergrad(h);
  const Hs = Array.from(hyperHessian(h).dataSync(), Number);
  innerRuns++;
  const gv = pair(g);
  // Saddle-free Newton: −V|Λ|⁻¹Vᵀg with the Hessian's eigenvalues made positive (floored at 1% of the
  // largest), inside a trust region of 1 in log units.
  const tr = Hs[0]! + Hs[3]!;
  const disc = Math.sqrt(((Hs[0]! - Hs[3]!) / 2) ** 2 + Hs[1]! ** 2);
  const eig = [tr / 2 + disc, tr / 2 - disc];
  const floor = 0.01 * Math.max(...eig.map(Math.abs));
  let step: [number, number] = [0, 0];
  for (const e of eig) {
    // eigenvector of [[a, b], [b, d]] for e: (b, e − a), or (e − d, b)
    let vec: [number, number] = [Hs[1]!, e - Hs[0]!];
    if (Math.hypot(...vec) < 1e-14) vec = [e - Hs[3]!, Hs[1]!];
    if (Math.hypot(...vec) < 1e-14) vec = eig[0] === e ? [1, 0] : [0, 1];
    const n = Math.hypot(...vec);
    const q: [number, number] = [vec[0] / n, vec[1] / n];
    const c = (q[0] * gv[0] + q[1] * gv[1]) / Math.max(Math.abs(e), floor);
    step = [step[0] - c * q[0], step[1] - c * q[1]];
  }
  if (eig[1]! > 0) newtonTaken++;
  const len = Math.hypot(...step);
  if (len > 1) step = [step[0] / len, step[1] / len];
  const hNew = nb.add(h, nb.array(step, { dtype: "float64" }));
  innerRuns++; // the run that tries the step
  if (valJit(hNew).item() > v.item()) break; // no progress: stop
  h = hNew;
  path.push(pair(h));
}
const hyperSeconds = (performance.now() - hyperStart) / 1000;
const hyperBest = pair(h);
const hyperVal = valJit(h).item();
const hyperTest = testJit(h).item();
const [, gEnd] = valueAndHypergrad(h);
console.log(
  `saddle-free Newton steps on the Hessian: ${path.length - 1 - ADAM_STEPS} (${newtonTaken} at a positive-definite Hessian); final ${show(hyperBest)}, validation loss ${hyperVal.toFixed(4)}, ` +
    `‖hypergradient‖ ${formatValue(Math.hypot(...pair(gEnd)))}; ${innerRuns} inner training runs, ${hyperSeconds.toFixed(1)} s`,
);

// ── Grid search with at least the same budget: a k × k grid, log-spaced, k² ≥ the runs used above (a run
// that also gave a hypergradient or a Hessian counts as one; the finite-difference checks are not counted).
const ETA_RANGE: [number, number] = [Math.log(0.01), Math.log(8)];
const LAMBDA_RANGE: [number, number] = [Math.log(1e-4), Math.log(1)];
const k = Math.ceil(Math.sqrt(innerRuns));
const lin = (r: [number, number], n: number, i: number) => r[0] + ((r[1] - r[0]) * i) / (n - 1);
let gridBest = { val: Number.POSITIVE_INFINITY, h: [0, 0] as [number, number] };
for (let i = 0; i < k; i++)
  for (let j = 0; j < k; j++) {
    const hh: [number, number] = [lin(ETA_RANGE, k, i), lin(LAMBDA_RANGE, k, j)];
    const v = valJit(nb.array(hh, { dtype: "float64" })).item();
    if (v < gridBest.val) gridBest = { val: v, h: hh };
  }
const gridTest = testJit(nb.array(gridBest.h, { dtype: "float64" })).item();
console.log(
  `\ngrid search, ${k} × ${k} = ${k * k} inner training runs over η ∈ [0.01, 8], λ ∈ [1e-4, 1] (log-spaced): ` +
    `best ${show(gridBest.h)}, validation loss ${gridBest.val.toFixed(4)}`,
);

// ── Picture: the validation loss over (log10 η, log10 λ) from a finer grid (vmapped), with the path. ────
const M = quick ? 21 : 41;
const hs: number[] = [];
for (let i = 0; i < M; i++)
  for (let j = 0; j < M; j++) hs.push(lin(ETA_RANGE, M, i), lin(LAMBDA_RANGE, M, j));
const landscape = Array.from(valGrid(f64(hs, [M * M, 2])).dataSync(), Number);
const LN10 = Math.log(10);
const cellOf = (r: [number, number], x: number) => ((x * LN10 - r[0]) / (r[1] - r[0])) * (M - 1);
const surface = (x: number, y: number) => {
  // bilinear interpolation of the sampled landscape, x = log10 η, y = log10 λ
  const u = Math.min(Math.max(cellOf(ETA_RANGE, x), 0), M - 1 - 1e-9);
  const v = Math.min(Math.max(cellOf(LAMBDA_RANGE, y), 0), M - 1 - 1e-9);
  const i = Math.floor(u);
  const j = Math.floor(v);
  const a = u - i;
  const b = v - j;
  const at = (p: number, q: number) => Math.min(landscape[p * M + q]!, 5);
  return (
    (1 - a) * (1 - b) * at(i, j) +
    a * (1 - b) * at(i + 1, j) +
    (1 - a) * b * at(i, j + 1) +
    a * b * at(i + 1, j + 1)
  );
};
const svg = nb.analysis.contourChart(surface, {
  xRange: [ETA_RANGE[0] / LN10, ETA_RANGE[1] / LN10],
  yRange: [LAMBDA_RANGE[0] / LN10, LAMBDA_RANGE[1] / LN10],
  paths: [
    {
      label: `hypergradient path (Adam, then Newton): val ${hyperVal.toFixed(3)}`,
      points: path.map(([a, b]) => [a / LN10, b / LN10]),
    },
  ],
  marker: [gridBest.h[0] / LN10, gridBest.h[1] / LN10],
  markerLabel: `grid-search best (${k}×${k}): val ${gridBest.val.toFixed(3)}`,
  logLevels: true,
  title: `Validation loss after ${T} training steps over log10 η (x) and log10 λ (y)`,
  width: 760,
  height: 560,
});
const png = await savePicture(out, "hypergradients", svg);
console.log(`wrote ${png}`);
console.log(`time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(
  `grid search: validation ${gridBest.val.toFixed(4)}, test ${gridTest.toFixed(4)} (${k * k} runs); ` +
    `hypergradients: validation ${hyperVal.toFixed(4)}, test ${hyperTest.toFixed(4)} (${innerRuns} runs)`,
);
headline("hypergradient-test-loss", hyperTest);
