// A generative adversarial network on 2-D toy data: a generator MLP turns Gaussian noise into points, a
// discriminator MLP tells them from samples of a ring of 8 Gaussians, and the two are trained with
// alternating Adam steps on nb.valueAndGrad of their losses. Pictures of real vs generated samples.
// Run: npm run example gan-2d [--quick] [--out DIR]
import * as nb from "nabla";
import { exampleOptions, headline, savePicture, scatterChart } from "./common.js";

const { quick, out } = exampleOptions("gan-2d");
const steps = quick ? 150 : 3000;
const batch = quick ? 128 : 256;
const modes = 8;
const radius = 2;
const sigma = 0.05;
const noiseDim = 4;
const centres = Array.from({ length: modes }, (_, k) => [
  radius * Math.cos((2 * Math.PI * k) / modes),
  radius * Math.sin((2 * Math.PI * k) / modes),
]);
const centresT = nb.array(centres);

/** `n` samples of the ring: a random centre plus N(0, σ²) noise. */
function realSamples(key: nb.Tensor, n: number): nb.Tensor {
  const [kc, kn] = nb.random.split(key);
  const which = nb.random.randint(kc!, [n], 0, modes);
  return nb.add(nb.take(centresT, which, 0), nb.mul(sigma, nb.random.normal(kn!, [n, 2])));
}

const generator = nb.nn.Sequential([
  nb.nn.Linear(noiseDim, 128),
  nb.nn.relu,
  nb.nn.Linear(128, 128),
  nb.nn.relu,
  nb.nn.Linear(128, 2),
]);
const discriminator = nb.nn.Sequential([
  nb.nn.Linear(2, 128),
  nb.nn.leakyRelu,
  nb.nn.Linear(128, 128),
  nb.nn.leakyRelu,
  nb.nn.Linear(128, 1),
]);
type P = nb.nn.Params;
const [kg, kd] = nb.random.split(nb.random.key(0));
let gParams = generator.init(kg!, [1, noiseDim]).params;
let dParams = discriminator.init(kd!, [1, 2]).params;
console.log(`generator ${generator.name}: ${nb.nn.countParams(gParams).toLocaleString("en")} parameters`);
console.log(
  `discriminator ${discriminator.name}: ${nb.nn.countParams(dParams).toLocaleString("en")} parameters`,
);

const logit = (dp: P, x: nb.Tensor) => nb.reshape(discriminator.apply(dp, x), [x.shape[0]!]);
const ones = nb.ones([batch]);
const zeros = nb.zeros([batch]);
// The discriminator learns real → 1, generated → 0; the generated points are constants for it.
const dLoss = (dp: P, real: nb.Tensor, fake: nb.Tensor) =>
  nb.add(nb.nn.binaryCrossEntropy(logit(dp, real), ones), nb.nn.binaryCrossEntropy(logit(dp, fake), zeros));
// The generator uses the non-saturating loss −log D(G(z)) (Goodfellow et al.), strong when D wins.
const gLoss = (gp: P, dp: P, z: nb.Tensor) =>
  nb.nn.binaryCrossEntropy(logit(dp, generator.apply(gp, z)), ones);
const dStep = nb.valueAndGrad(dLoss);
const gStep = nb.valueAndGrad(gLoss);
const dOpt = nb.optim.adam({ learningRate: 1e-3, b1: 0.5 });
const gOpt = nb.optim.adam({ learningRate: 1e-3, b1: 0.5 });
let dState = dOpt.init(dParams);
let gState = gOpt.init(gParams);

const sampleKey = nb.random.key(42);
const fixedNoise = nb.random.normal(sampleKey, [quick ? 500 : 2000, noiseDim]);
const reference = realSamples(nb.random.key(43), fixedNoise.shape[0]!);
const snapshots: { step: number; points: nb.Tensor }[] = [];
const snapshotAt = new Set([0, Math.round(steps / 10), Math.round(steps / 3), steps]);

let key = nb.random.key(1);
const t0 = performance.now();
for (let t = 0; t <= steps; t++) {
  if (snapshotAt.has(t)) snapshots.push({ step: t, points: generator.apply(gParams, fixedNoise) });
  if (t === steps) break;
  const [k1, k2, k3, next] = nb.random.split(key, 4);
  key = next!;
  const real = realSamples(k1!, batch);
  const fake = generator.apply(gParams, nb.random.normal(k2!, [batch, noiseDim]));
  const [dl, dg] = dStep(dParams, real, fake);
  const [du, ds] = dOpt.update(dg, dState, dParams);
  dParams = nb.optim.applyUpdates(dParams, du);
  dState = ds;
  const [gl, gg] = gStep(gParams, dParams, nb.random.normal(k3!, [batch, noiseDim]));
  const [gu, gs] = gOpt.update(gg, gState, gParams);
  gParams = nb.optim.applyUpdates(gParams, gu);
  gState = gs;
  if ((t + 1) % Math.max(1, Math.round(steps / 6)) === 0)
    console.log(
      `  step ${String(t + 1).padStart(5)}  discriminator loss ${dl.item().toFixed(3)}  generator loss ${gl.item().toFixed(3)}  ` +
        `(${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
}

// How well the samples match: each generated point belongs to its nearest mode; it is "good" within 3σ.
const generated = snapshots.at(-1)!.points.toArray() as number[][];
const counts = new Array<number>(modes).fill(0);
let good = 0;
for (const [x, y] of generated) {
  const dist = centres.map(([cx, cy]) => Math.hypot(x! - cx!, y! - cy!));
  const k = dist.indexOf(Math.min(...dist));
  if (dist[k]! < 3 * sigma) {
    good++;
    counts[k]!++;
  }
}
const covered = counts.filter((c) => c >= 0.02 * generated.length).length;
// Total variation between the generated share of each mode (bad points count as a ninth bin) and 1/8 each.
const share = [...counts.map((c) => c / generated.length), 1 - good / generated.length];
const tv = 0.5 * share.reduce((s, p, k) => s + Math.abs(p - (k < modes ? 1 / modes : 0)), 0);
console.log(`\n${generated.length} generated points:`);
console.log(
  `  ${((100 * good) / generated.length).toFixed(1)}% within 3σ of a mode; per mode: ${counts.join(" ")}`,
);
console.log(`  modes covered (≥ 2% of the points): ${covered} of ${modes}`);
console.log(`  total variation from the true mode distribution: ${tv.toFixed(3)} (0 is a perfect match)`);

const panel = (s: { step: number; points: nb.Tensor }) => {
  const pts = s.points.toArray() as number[][];
  const ref = reference.toArray() as number[][];
  return scatterChart(
    [
      {
        label: "real",
        x: ref.map((p) => p[0]!),
        y: ref.map((p) => p[1]!),
        color: "#999999",
        r: 1.5,
        opacity: 0.5,
      },
      {
        label: "generated",
        x: pts.map((p) => p[0]!),
        y: pts.map((p) => p[1]!),
        color: "#d62728",
        r: 1.5,
        opacity: 0.6,
      },
    ],
    { title: `step ${s.step}`, width: 340, height: 340, domain: [-3, 3], legend: false },
  );
};
const width = 340 * snapshots.length;
const svg =
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="380" font-family="DejaVu Sans, sans-serif">` +
  `<rect width="100%" height="100%" fill="white"/>` +
  `<text x="12" y="24" font-size="16" font-weight="bold">A GAN learning a ring of ${modes} Gaussians: real (gray) and generated (red) samples</text>` +
  snapshots.map((s, i) => panel(s).replace("<svg", `<svg x="${340 * i}" y="36"`)).join("") +
  "</svg>";
const png = await savePicture(out, "gan-2d", svg);
console.log(`wrote ${png}`);
headline("mode-tv-distance", tv);
