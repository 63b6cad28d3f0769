// Linear regression fitted by gradient descent (nb.grad of the mean squared error) and compared with the
// closed-form least-squares solution from the normal equations (AᵀA) θ = Aᵀy, solved by Cholesky in plain JS.
// Run: npm run example linear-regression [--quick] [--out DIR]
import * as nb from "nabla";
import { exampleOptions, formatValue, headline, savePicture } from "./common.js";

const { quick, out } = exampleOptions("linear-regression");
const n = quick ? 50 : 200;
const steps = quick ? 40 : 200;
const learningRate = 0.2;

// Synthetic data: y = 3 + 2 x₁ − x₂ + 0.5 x₃ + noise, features of different scales.
const trueW = [2, -1, 0.5];
const trueB = 3;
const [kx, kn] = nb.random.split(nb.random.key(0));
const X = nb.mul(
  nb.random.normal(kx!, [n, 3], { dtype: "float64" }),
  nb.array([1, 1.5, 0.7], { dtype: "float64" }),
);
const y = nb.add(
  nb.add(nb.matmul(X, nb.array(trueW, { dtype: "float64" })), trueB),
  nb.mul(0.3, nb.random.normal(kn!, [n], { dtype: "float64" })),
);
console.log(`${n} points, y = 3 + 2·x₁ − x₂ + 0.5·x₃ + noise (σ = 0.3)`);

type Params = { w: nb.Tensor; b: nb.Tensor };
const mse = (p: Params) => nb.mean(nb.square(nb.sub(nb.add(nb.matmul(X, p.w), p.b), y)));

// Gradient descent: θ ← θ − η ∇L(θ), the gradient from nabla.
let params: Params = { w: nb.zeros([3], { dtype: "float64" }), b: nb.zeros([], { dtype: "float64" }) };
const lossAndGrad = nb.valueAndGrad(mse);
const losses: number[] = [];
const trail: number[][] = [];
for (let t = 0; t < steps; t++) {
  const [loss, g] = lossAndGrad(params);
  losses.push(loss.item());
  trail.push([...(params.w.toArray() as number[]), params.b.item()]);
  params = { w: nb.sub(params.w, nb.mul(learningRate, g.w)), b: nb.sub(params.b, nb.mul(learningRate, g.b)) };
}
losses.push(mse(params).item());
trail.push([...(params.w.toArray() as number[]), params.b.item()]);

// Closed form: append a column of ones for the intercept and solve the normal equations.
const A = nb.concatenate([X, nb.ones([n, 1], { dtype: "float64" })], 1);
const AtA = nb.matmul(nb.matrixTranspose(A), A).toArray() as number[][];
const Aty = nb.matmul(nb.matrixTranspose(A), y).toArray() as number[];
const exact = choleskySolve(AtA, Aty);
const exactLoss = mse({
  w: nb.array(exact.slice(0, 3), { dtype: "float64" }),
  b: nb.array(exact[3]!, { dtype: "float64" }),
}).item();

const gd = [...(params.w.toArray() as number[]), params.b.item()];
console.log("\ncoefficient      true   closed form   gradient descent");
["w₁", "w₂", "w₃", "b "].forEach((name, i) =>
  console.log(
    `  ${name}        ${[...trueW, trueB][i]!.toFixed(2).padStart(6)}   ${exact[i]!.toFixed(6).padStart(11)}   ${gd[i]!.toFixed(6).padStart(16)}`,
  ),
);
console.log(
  `\nMSE: closed form ${exactLoss.toFixed(6)}, gradient descent after ${steps} steps ${losses.at(-1)!.toFixed(6)}`,
);
// Both gaps shrink geometrically until they reach float64 round-off (zeros are left off the log axis).
const steps0 = losses.map((_, i) => i);
const png = await savePicture(
  out,
  "linear-regression",
  nb.viz.lineChart(
    [
      { label: "MSE(θₜ) − MSE(θ*)", x: steps0, y: losses.map((l) => l - exactLoss) },
      { label: "‖θₜ − θ*‖", x: steps0, y: trail.map((th) => Math.hypot(...th.map((v, i) => v - exact[i]!))) },
    ],
    {
      title: `Gradient descent (η = ${learningRate}) vs the closed-form solution θ*`,
      xLabel: "step",
      yLabel: "gap to θ*",
      logY: true,
    },
  ),
);
console.log(`wrote ${png}`);
const diff = Math.max(...gd.map((v, i) => Math.abs(v - exact[i]!)));
console.log(`largest |θ_GD − θ*| = ${formatValue(diff)}`);
headline("max-coef-diff", diff);

/** Solves the symmetric positive definite system M x = v by Cholesky factorization M = L Lᵀ. */
function choleskySolve(M: number[][], v: number[]): number[] {
  const k = v.length;
  const L = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < k; i++)
    for (let j = 0; j <= i; j++) {
      let s = M[i]![j]!;
      for (let m = 0; m < j; m++) s -= L[i]![m]! * L[j]![m]!;
      L[i]![j] = i === j ? Math.sqrt(s) : s / L[j]![j]!;
    }
  const z = new Array<number>(k);
  for (let i = 0; i < k; i++) {
    let s = v[i]!;
    for (let m = 0; m < i; m++) s -= L[i]![m]! * z[m]!;
    z[i] = s / L[i]![i]!;
  }
  const x = new Array<number>(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let m = i + 1; m < k; m++) s -= L[m]![i]! * x[m]!;
    x[i] = s / L[i]![i]!;
  }
  return x;
}
