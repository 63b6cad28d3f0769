// Five optimizers on one problem, L2-regularized softmax regression on the iris flowers (raw measurements
// in cm, so the problem is badly conditioned): full-batch gradient descent, and minibatch SGD, SGD with
// momentum, RMSProp and Adam from nb.optim. The exact minimum comes from Newton's method with nb.hessian;
// the chart shows each optimizer's loss above it, epoch by epoch, on one chart.
// Run: npm run example optimizers [--quick] [--out DIR]
import * as nb from "nabla";
import { exampleOptions, formatValue, headline, savePicture } from "./common.js";

const { quick, out } = exampleOptions("optimizers");
const epochs = quick ? 15 : 100;
const batchSize = 16;
const lambda = 1e-2;

// The four measurements as they come (float64) and a seeded 120 / 30 split.
const iris = await nb.data.iris();
const { train, test } = nb.data.trainTestSplit(
  { x: nb.astype(iris.features, "float64"), y: iris.labels },
  { testSize: 30, seed: 0 },
);
const n = train.x.shape[0]!;

type Params = { w: nb.Tensor; b: nb.Tensor };
const logits = (p: Params, x: nb.Tensor) => nb.add(nb.matmul(x, p.w), p.b);
// Cross-entropy plus (λ/2)‖W‖²: strictly convex in W, so the minimum is a point we can compute.
const loss = (p: Params, x: nb.Tensor, y: nb.Tensor) =>
  nb.add(nb.nn.crossEntropy(logits(p, x), y), nb.mul(lambda / 2, nb.sum(nb.square(p.w))));
const lossAndGrad = nb.valueAndGrad(loss);
const init = (): Params => ({
  w: nb.zeros([4, 3], { dtype: "float64" }),
  b: nb.zeros([3], { dtype: "float64" }),
});

// The minimum by Newton's method on the 15 parameters as one vector: θ ← θ − H⁻¹∇L, H from nb.hessian.
const unflat = (theta: nb.Tensor): Params => ({
  w: nb.reshape(nb.slice(theta, [0], [12]), [4, 3]),
  b: nb.slice(theta, [12], [3]),
});
const flatLoss = (theta: nb.Tensor) => loss(unflat(theta), train.x, train.y);
let theta = nb.zeros([15], { dtype: "float64" });
let newtonSteps = 0;
for (; newtonSteps < 50; newtonSteps++) {
  const g = nb.grad(flatLoss)(theta).toArray() as number[];
  if (Math.hypot(...g) < 1e-12) break;
  const H = nb.hessian(flatLoss)(theta).toArray() as number[][];
  theta = nb.sub(theta, nb.array(solve(H, g), { dtype: "float64" }));
}
const minimum = flatLoss(theta).item();
console.log(
  `L2-regularized softmax regression on iris (λ = ${lambda}): ${n} training flowers, ${test.y.shape[0]} held out`,
);
console.log(`minimum loss ${minimum.toFixed(6)} (Newton with nb.hessian, ${newtonSteps} steps)`);
console.log(`${epochs} epochs, minibatches of ${batchSize} (GD: one full-batch step per epoch)\n`);

// Each learning rate is the best of a sweep over 0.001, 0.003, 0.01, 0.03, … (loss after 100 epochs); the
// next one up diverges or ends higher.
const methods: { name: string; optimizer: nb.optim.GradientTransformation; fullBatch?: boolean }[] = [
  { name: "GD (η = 0.1)", optimizer: nb.optim.sgd({ learningRate: 0.1 }), fullBatch: true },
  { name: "SGD (η = 0.1)", optimizer: nb.optim.sgd({ learningRate: 0.1 }) },
  { name: "momentum (η = 0.01, μ = 0.9)", optimizer: nb.optim.sgd({ learningRate: 0.01, momentum: 0.9 }) },
  { name: "RMSProp (η = 0.03)", optimizer: nb.optim.rmsprop({ learningRate: 0.03 }) },
  { name: "Adam (η = 0.1)", optimizer: nb.optim.adam({ learningRate: 0.1 }) },
];
// Minibatch methods with a constant step keep jumping around the minimum, so "final" is the mean over the
// last tenth of the run.
const tail = Math.max(1, Math.round(epochs / 10));
const finalOf = (curve: number[]) => curve.slice(-tail).reduce((a, b) => a + b, 0) / tail;
console.log(`final loss: the mean over the last ${tail} epochs`);
console.log(`${"method".padEnd(30)}  final loss  above minimum  held-out accuracy`);
const curves: nb.viz.Series[] = [];
const finals: number[] = [];
for (const { name, optimizer, fullBatch } of methods) {
  let params = init();
  let state = optimizer.init(params);
  const curve = [loss(params, train.x, train.y).item()];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const parts = fullBatch ? [train] : nb.nn.batches(train, { batchSize, key: epoch });
    for (const { x, y } of parts) {
      const [, g] = lossAndGrad(params, x, y);
      const [updates, next] = optimizer.update(g, state, params);
      params = nb.optim.applyUpdates(params, updates);
      state = next;
    }
    curve.push(loss(params, train.x, train.y).item());
  }
  const accuracy = nb.nn.accuracy(logits(params, test.x), test.y);
  const final = finalOf(curve);
  const gap = final - minimum;
  console.log(
    `${name.padEnd(30)}  ${final.toFixed(4).padStart(10)}  ${formatValue(gap).padStart(13)}  ${(100 * accuracy).toFixed(1).padStart(16)}%`,
  );
  curves.push({ label: name, x: curve.map((_, i) => i), y: curve.map((l) => l - minimum) });
  finals.push(final);
}
const png = await savePicture(
  out,
  "optimizers",
  nb.viz.lineChart(curves, {
    title: "Five optimizers on regularized softmax regression (iris)",
    xLabel: "epoch (one pass over the 120 training flowers)",
    yLabel: "loss − minimum loss",
    logY: true,
  }),
);
console.log(`wrote ${png}`);
const best = finals.indexOf(Math.min(...finals));
console.log(`lowest final loss: ${methods[best]!.name}`);
headline("best-final-loss", finals[best]!);

/** Solves H x = g by Gaussian elimination with partial pivoting; a tiny ridge covers the direction that
 * softmax leaves flat (adding one constant to every bias). */
function solve(H: number[][], g: number[]): number[] {
  const k = g.length;
  const A = H.map((row, i) => [...row.map((v, j) => v + (i === j ? 1e-10 : 0)), g[i]!]);
  for (let c = 0; c < k; c++) {
    let p = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / A[c]![c]!;
      for (let m = c; m <= k; m++) A[r]![m]! -= f * A[c]![m]!;
    }
  }
  return A.map((row, i) => row[k]! / row[i]!);
}
