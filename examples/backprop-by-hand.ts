// Backpropagation by hand in the smallest network with two weights, x → h = σ(w₁x) → ŷ = σ(w₂h), with the
// loss L = ½(ŷ − y)²: the chain rule written out step by step, checked against nb.grad in float64, then
// used to train the network (hand-derived and automatic updates stay identical).
// Run: npm run example backprop-by-hand [--quick] [--out DIR]
import * as nb from "nabla";
import { exampleOptions, formatValue, headline, savePicture } from "./common.js";

const { quick, out } = exampleOptions("backprop-by-hand");
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** The forward pass, keeping what the backward pass needs. */
function forward(w1: number, w2: number, x: number, y: number) {
  const z1 = w1 * x;
  const h = sigmoid(z1);
  const z2 = w2 * h;
  const yHat = sigmoid(z2);
  return { z1, h, z2, yHat, loss: 0.5 * (yHat - y) ** 2 };
}

/** The backward pass by hand: each line is one link of the chain rule, σ′(z) = σ(z)(1 − σ(z)). */
function backward(w1: number, w2: number, x: number, y: number): [number, number] {
  const { h, yHat } = forward(w1, w2, x, y);
  const dL_dyHat = yHat - y; //                 L = ½(ŷ − y)²
  const dL_dz2 = dL_dyHat * yHat * (1 - yHat); // ŷ = σ(z₂)
  const dL_dw2 = dL_dz2 * h; //                 z₂ = w₂ h
  const dL_dh = dL_dz2 * w2;
  const dL_dz1 = dL_dh * h * (1 - h); //        h = σ(z₁)
  const dL_dw1 = dL_dz1 * x; //                 z₁ = w₁ x
  return [dL_dw1, dL_dw2];
}

// The same loss for nabla: a function of the weights [w₁, w₂] as one float64 tensor.
const lossOf = (w: nb.Tensor, x: number, y: number) => {
  const h = nb.sigmoid(nb.mul(nb.take(w, 0), x));
  const yHat = nb.sigmoid(nb.mul(nb.take(w, 1), h));
  return nb.mul(0.5, nb.square(nb.sub(yHat, y)));
};
const autodiff = (w1: number, w2: number, x: number, y: number): [number, number] =>
  nb
    .grad(lossOf)(nb.array([w1, w2], { dtype: "float64" }), x, y)
    .toArray() as [number, number];

const w1 = 0.8;
const w2 = -1.3;
const x0 = 1.5;
const y0 = 0.9;
const f = forward(w1, w2, x0, y0);
console.log(`w₁ = ${w1}, w₂ = ${w2}, x = ${x0}, y = ${y0}`);
console.log(`forward:  z₁ = w₁x = ${f.z1.toFixed(6)}, h = σ(z₁) = ${f.h.toFixed(6)}`);
console.log(
  `          z₂ = w₂h = ${f.z2.toFixed(6)}, ŷ = σ(z₂) = ${f.yHat.toFixed(6)}, L = ½(ŷ − y)² = ${f.loss.toFixed(6)}`,
);
console.log("backward: ∂L/∂w₂ = (ŷ − y) · ŷ(1 − ŷ) · h");
console.log("          ∂L/∂w₁ = (ŷ − y) · ŷ(1 − ŷ) · w₂ · h(1 − h) · x\n");

// Compare on random weights and examples, some with saturated sigmoids.
const count = quick ? 20 : 200;
const [ka, kb, kc] = nb.random.split(nb.random.key(0), 3);
const ws = nb.random
  .uniform(ka!, [count, 2], { minval: -4, maxval: 4, dtype: "float64" })
  .toArray() as number[][];
const xs = nb.random.uniform(kb!, [count], { minval: -3, maxval: 3, dtype: "float64" }).toArray() as number[];
const ys = nb.random.uniform(kc!, [count], { dtype: "float64" }).toArray() as number[];
console.log(
  `${["w₁", "w₂", "x", "y"].map((h) => h.padStart(6)).join("  ")}   ${["hand ∂L/∂w₁", "∂L/∂w₂", "nb.grad ∂L/∂w₁", "∂L/∂w₂"].map((h, k) => h.padStart(14) + (k === 1 ? "  " : "")).join(" ")}`,
);
let worst = 0;
for (let i = 0; i < count; i++) {
  const [a, b] = ws[i] as [number, number];
  const hand = backward(a, b, xs[i]!, ys[i]!);
  const auto = autodiff(a, b, xs[i]!, ys[i]!);
  worst = Math.max(worst, ...hand.map((v, k) => Math.abs(v - auto[k]!)));
  if (i < 5)
    console.log(
      `${[a, b, xs[i]!, ys[i]!].map((v) => v.toFixed(2).padStart(6)).join("  ")}   ${hand.map((v) => v.toExponential(6).padStart(14)).join(" ")}   ${auto.map((v) => v.toExponential(6).padStart(14)).join(" ")}`,
    );
}
console.log(`… ${count} random points; largest difference ${formatValue(worst)} (float64)`);
if (worst > 1e-12) throw new Error(`backprop-by-hand: hand and automatic gradients differ by ${worst}`);

// Train on examples made by a "teacher" network with w = (1.5, 2): the two weight paths coincide.
const data: [number, number][] = [-2, -1, -0.3, 0.4, 1, 2.5].map((x) => [x, forward(1.5, 2, x, 0).yHat]);
const steps = quick ? 100 : 400;
const rate = 20;
let hand = [0.1, 0.1];
let auto = nb.array([0.1, 0.1], { dtype: "float64" });
const batchLoss = (w: nb.Tensor) => nb.mean(nb.stack(data.map(([x, y]) => lossOf(w, x, y))));
const step = nb.valueAndGrad(batchLoss);
const handLoss: number[] = [];
const autoLoss: number[] = [];
for (let t = 0; t < steps; t++) {
  const g = [0, 0];
  let l = 0;
  for (const [x, y] of data) {
    const [g1, g2] = backward(hand[0]!, hand[1]!, x, y);
    g[0]! += g1 / data.length;
    g[1]! += g2 / data.length;
    l += forward(hand[0]!, hand[1]!, x, y).loss / data.length;
  }
  handLoss.push(l);
  hand = hand.map((w, k) => w - rate * g[k]!);
  const [lt, gt] = step(auto);
  autoLoss.push(lt.item());
  auto = nb.sub(auto, nb.mul(rate, gt));
}
const autoW = auto.toArray() as number[];
const drift = Math.max(...hand.map((w, k) => Math.abs(w - autoW[k]!)));
console.log(
  `\ngradient descent, ${steps} steps (η = ${rate}) on ${data.length} examples: loss ${handLoss[0]!.toFixed(5)} → ${formatValue(handLoss.at(-1)!)}`,
);
console.log(`  weights by hand  [${hand.map((w) => w.toFixed(6)).join(", ")}]`);
console.log(
  `  weights by nabla [${autoW.map((w) => w.toFixed(6)).join(", ")}]   (differ by ${formatValue(drift)})`,
);
const steps0 = handLoss.map((_, i) => i);
const png = await savePicture(
  out,
  "backprop-by-hand",
  nb.viz.lineChart(
    [
      { label: "hand-derived gradients", x: steps0, y: handLoss },
      { label: "nb.grad (drawn on top: the curves coincide)", x: steps0, y: autoLoss },
    ],
    {
      title: "Gradient descent on the two-weight network: loss by step",
      xLabel: "step",
      yLabel: "loss",
      logY: true,
    },
  ),
);
console.log(`wrote ${png}`);
headline("max-grad-diff", worst);
