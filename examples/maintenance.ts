// Predictive maintenance on simulated machine sensors: three hourly channels (vibration, temperature,
// pressure) with daily cycles, slow trends and correlated noise, and four kinds of injected faults (spikes,
// level shifts, drift onsets, bursts of oscillation), labelled per 12-hour window. Two detectors:
//   (1) derivatives: each channel, less its hour-of-day profile, is smoothed by a Gaussian kernel
//       s(t) = Σᵢ K(t − tᵢ) yᵢ / Σᵢ K(t − tᵢ), a smooth function of t, and nb.elementwiseDerivatives gives
//       s′(t) and s″(t) exactly at every hour (no finite differences of noisy data, the seeds' rate of change
//       done properly); a window is flagged when a robust z-score (median / MAD of the training part) of s′ or
//       s″ exceeds a threshold chosen on the validation part;
//   (2) an autoencoder (nn.Sequential of Linear layers, 36 → 16 → 4 → 16 → 36) trained with nn.fit on
//       normal windows; a window is flagged when its reconstruction error exceeds a validation-chosen threshold.
// Precision, recall and F1 of each on the held-out test span, against flagging every window; a picture.
// Run: npm run example maintenance [--quick] [--out DIR]
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import * as nb from "nabla";
import { exampleOptions, headline, savePicture, seededUniform, titledSvg } from "./common.js";

const { quick, out } = exampleOptions("maintenance");
const started = performance.now();

// ── Data: seeded sensor series. ─────────────────────────────────────────────────────────────────────────
const DAYS = quick ? 60 : 120;
const N = DAYS * 24; // hours
const WIN = 12; // hours per labelled window
const NW = N / WIN;
const CHANNELS = ["vibration", "temperature", "pressure"] as const;
const C = CHANNELS.length;

const rand = seededUniform(16);
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

// Per channel: level, daily amplitude and phase, trend per day, noise σ (AR(1) with φ = 0.6).
const spec = [
  { level: 2.0, amp: 0.5, phase: 0.3, trend: 0.004, sd: 0.12 },
  { level: 60, amp: 4, phase: 1.6, trend: 0.02, sd: 0.6 },
  { level: 5.0, amp: 0.3, phase: 2.4, trend: -0.002, sd: 0.08 },
];
const y: number[][] = spec.map((s) => {
  let e = 0;
  return Array.from({ length: N }, (_, t) => {
    e = 0.6 * e + Math.sqrt(1 - 0.36) * gauss() * s.sd;
    return s.level + s.amp * Math.sin((2 * Math.PI * t) / 24 + s.phase) + (s.trend * t) / 24 + e;
  });
});

// Faults: one every ~2.5 days on average, of a random kind, on one channel, with sizes in noise σ.
const KINDS = ["spike", "level shift", "drift onset", "oscillation"] as const;
type Kind = (typeof KINDS)[number];
interface Fault {
  kind: Kind;
  channel: number;
  start: number;
  end: number; // exclusive
}
const faults: Fault[] = [];
for (let t = 24 + Math.floor(rand() * 36); t < N - 24; t += 36 + Math.floor(rand() * 48)) {
  const kind = KINDS[Math.floor(rand() * KINDS.length)]!;
  const channel = Math.floor(rand() * C);
  const sd = spec[channel]!.sd;
  const sign = rand() < 0.5 ? -1 : 1;
  const len = kind === "spike" ? 1 + Math.floor(rand() * 2) : 6 + Math.floor(rand() * 13);
  const end = Math.min(N, t + len);
  for (let u = t; u < end; u++) {
    const k = u - t;
    const add =
      kind === "spike"
        ? 6 * sd
        : kind === "level shift"
          ? 4 * sd
          : kind === "drift onset"
            ? (6 * sd * (k + 1)) / len
            : 3 * sd * Math.sin((2 * Math.PI * k) / 5);
    y[channel]![u]! += kind === "oscillation" ? add : sign * add;
  }
  faults.push({ kind, channel, start: t, end });
}
const label = Array.from({ length: NW }, (_, w) =>
  faults.some((f) => f.start < (w + 1) * WIN && f.end > w * WIN),
);
// Chronological split by window: 50% training, 20% validation (thresholds), 30% held-out test.
const trainEnd = Math.round(NW * 0.5);
const valEnd = Math.round(NW * 0.7);
const part = (w: number) => (w < trainEnd ? "train" : w < valEnd ? "val" : "test");
const count = (p: string) => label.filter((l, w) => part(w) === p && l).length;
console.log(
  `${C} sensor channels (${CHANNELS.join(", ")}), hourly over ${DAYS} days (${N} hours), ${faults.length} injected faults ` +
    `(${KINDS.map((k) => `${faults.filter((f) => f.kind === k).length} ${k}`).join(", ")})`,
);
console.log(
  `${NW} windows of ${WIN} h: training ${trainEnd} (${count("train")} faulty), validation ${valEnd - trainEnd} ` +
    `(${count("val")} faulty), test ${NW - valEnd} (${count("test")} faulty)`,
);

// Each channel less its hour-of-day profile (the training part's mean by hour).
const residual: number[][] = y.map((series) => {
  const hours = trainEnd * WIN;
  const profile = Array.from({ length: 24 }, (_, h) => {
    let s = 0;
    let n = 0;
    for (let t = h; t < hours; t += 24) {
      s += series[t]!;
      n++;
    }
    return s / n;
  });
  // Then less a straight line fitted to the training hours (the slow trend), scaled by the remaining spread.
  const d = series.map((v, t) => v - profile[t % 24]!);
  const tm = (hours - 1) / 2;
  const dm = d.slice(0, hours).reduce((s, v) => s + v, 0) / hours;
  let sxy = 0;
  let sxx = 0;
  for (let t = 0; t < hours; t++) {
    sxy += (t - tm) * (d[t]! - dm);
    sxx += (t - tm) ** 2;
  }
  const r = d.map((v, t) => v - dm - (sxy / sxx) * (t - tm));
  const sd = Math.sqrt(r.slice(0, hours).reduce((s, v) => s + v * v, 0) / hours);
  return r.map((v) => v / sd);
});

// ── Scoring helpers. ────────────────────────────────────────────────────────────────────────────────────
interface Scores {
  precision: number;
  recall: number;
  f1: number;
}
function scoresOf(flags: readonly boolean[], which: string): Scores {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  flags.forEach((f, w) => {
    if (part(w) !== which) return;
    if (f && label[w]) tp++;
    else if (f) fp++;
    else if (label[w]) fn++;
  });
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}
/** The threshold on window scores with the best F1 on the validation windows. */
function chooseThreshold(score: readonly number[]): number {
  const candidates = [...new Set(score.filter((_, w) => part(w) === "val"))].sort((a, b) => a - b);
  let best = { f1: -1, threshold: Number.POSITIVE_INFINITY };
  for (const c of candidates) {
    const f1 = scoresOf(
      score.map((s) => s >= c),
      "val",
    ).f1;
    if (f1 > best.f1) best = { f1, threshold: c };
  }
  return best.threshold;
}
const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

// ── Detector 1: derivatives of a Gaussian-kernel smooth. ────────────────────────────────────────────────
const BANDWIDTH = 1.0; // hours
const grid = nb.array(
  Array.from({ length: N }, (_, t) => t),
  { dtype: "float64" },
);
const Y = nb.transpose(nb.array(residual, { dtype: "float64" })); // [N, C]
/** s(t) for every time in t [M]: [M, C]; row i depends on t[i] alone. */
const smooth = (t: nb.Tensor) => {
  const d = nb.sub(nb.reshape(t, [-1, 1]), nb.reshape(grid, [1, N]));
  const k = nb.exp(nb.mul(-0.5 / BANDWIDTH ** 2, nb.square(d))); // [M, N]
  return nb.div(nb.matmul(k, Y), nb.sum(k, { axis: 1, keepdims: true }));
};
const derivStart = performance.now();
const [s0, s1, s2] = nb.elementwiseDerivatives<nb.Tensor>(smooth, grid, 2) as [
  nb.Tensor,
  nb.Tensor,
  nb.Tensor,
];
// A check of one point against nb.derivative of the scalar function t ↦ s(t) for the first channel.
const probe = 100.25;
const scalarSmooth = (t: nb.Tensor) => nb.take(nb.reshape(smooth(nb.reshape(t, [1])), [C]), 0);
const d2probe = nb
  .derivative(
    scalarSmooth,
    2,
  )(nb.array(probe, { dtype: "float64" }))
  .item();
const d2batch = nb
  .take(
    nb.reshape(nb.elementwiseDerivatives<nb.Tensor>(smooth, nb.array([probe], { dtype: "float64" }), 2)[2]!, [
      C,
    ]),
    0,
  )
  .item();
const derivSeconds = (performance.now() - derivStart) / 1000;
console.log(
  `\nderivative detector: Gaussian-kernel smooth (bandwidth ${BANDWIDTH} h) of each deseasonalized channel, ` +
    `s, s′, s″ at all ${N} hours by nb.elementwiseDerivatives in ${derivSeconds.toFixed(1)} s ` +
    `(s″ at t = ${probe}: ${d2batch.toFixed(6)}, nb.derivative(s, 2): ${d2probe.toFixed(6)})`,
);
const rows = (t: nb.Tensor) => {
  const v = Array.from(t.dataSync(), Number);
  return Array.from({ length: C }, (_, c) => Array.from({ length: N }, (_, i) => v[i * C + c]!));
};
const smoothRows = rows(s0);
/** Robust z-scores: (x − median) / (1.4826 · MAD), both from the training hours. */
const robustZ = (series: number[]) => {
  const tr = series.slice(0, trainEnd * WIN);
  const m = median(tr);
  const mad = 1.4826 * median(tr.map((v) => Math.abs(v - m)));
  return series.map((v) => Math.abs(v - m) / mad);
};
const z1 = rows(s1).map(robustZ);
const z2 = rows(s2).map(robustZ);
const derivScore = Array.from({ length: NW }, (_, w) => {
  let m = 0;
  for (let c = 0; c < C; c++)
    for (let t = w * WIN; t < (w + 1) * WIN; t++) m = Math.max(m, z1[c]![t]!, z2[c]![t]!);
  return m;
});
const derivThreshold = chooseThreshold(derivScore);
const derivFlags = derivScore.map((s) => s >= derivThreshold);
console.log(`  flag a window when max robust |z| of s′ or s″ ≥ ${derivThreshold.toFixed(2)} (validation F1)`);

// ── Detector 2: an autoencoder on 12-hour windows of the three residual channels. ───────────────────────
const windowAt = (start: number) => {
  const v: number[] = [];
  for (let c = 0; c < C; c++) for (let t = start; t < start + WIN; t++) v.push(residual[c]![t]!);
  return v;
};
const isNormal = (start: number) => !faults.some((f) => f.start < start + WIN && f.end > start);
const trainWindows: number[][] = [];
for (let s = 0; s + WIN <= trainEnd * WIN; s += 2) if (isNormal(s)) trainWindows.push(windowAt(s));
const D = C * WIN;
const model = nb.nn.Sequential([
  nb.nn.Linear(D, 16),
  nb.nn.tanh,
  nb.nn.Linear(16, 4),
  nb.nn.tanh,
  nb.nn.Linear(4, 16),
  nb.nn.tanh,
  nb.nn.Linear(16, D),
]);
const { params } = model.init(0, [1, D]);
const X = nb.array(trainWindows);
const EPOCHS = quick ? 30 : 80;
const aeStart = performance.now();
const result = nb.nn.fit({
  model,
  params,
  loss: nb.nn.mse,
  optimizer: nb.optim.adam({ learningRate: 3e-3 }),
  data: { x: X, y: X },
  epochs: EPOCHS,
  batchSize: 32,
  silent: true,
});
const aeSeconds = (performance.now() - aeStart) / 1000;
const lossHistory = result.history.loss as number[] | undefined;
const allWindows = nb.array(Array.from({ length: NW }, (_, w) => windowAt(w * WIN)));
const recon = nb.nn.predict(model, result.params, allWindows);
const aeScore = Array.from(nb.mean(nb.square(nb.sub(recon, allWindows)), { axis: 1 }).dataSync(), Number);
const aeThreshold = chooseThreshold(aeScore);
const aeFlags = aeScore.map((s) => s >= aeThreshold);
console.log(
  `\nautoencoder ${model.name}, ${nb.nn.countParams(result.params)} parameters, on ${trainWindows.length} normal ` +
    `training windows (stride 2 h): ${EPOCHS} epochs of Adam in ${aeSeconds.toFixed(1)} s` +
    (lossHistory ? `, loss ${lossHistory[0]!.toFixed(4)} → ${lossHistory.at(-1)!.toFixed(4)}` : ""),
);
console.log(
  `  flag a window when its mean squared reconstruction error ≥ ${aeThreshold.toFixed(4)} (validation F1)`,
);

// ── Held-out test span. ─────────────────────────────────────────────────────────────────────────────────
const trivial = scoresOf(
  label.map(() => true),
  "test",
);
const deriv = scoresOf(derivFlags, "test");
const ae = scoresOf(aeFlags, "test");
const recallByKind = (flags: readonly boolean[]) =>
  KINDS.map((k) => {
    const fs = faults.filter((f) => f.kind === k && part(Math.floor(f.start / WIN)) === "test");
    const hit = fs.filter((f) => {
      for (let w = Math.floor(f.start / WIN); w * WIN < f.end; w++) if (flags[w]) return true;
      return false;
    }).length;
    return `${k} ${hit}/${fs.length}`;
  }).join(", ");
console.log(`\nheld-out test span: ${NW - valEnd} windows (${count("test")} with a fault)`);
console.log(
  `${"detector".padEnd(28)} ${"precision".padStart(9)} ${"recall".padStart(7)} ${"F1".padStart(7)}`,
);
for (const [name, s] of [
  ["flag every window", trivial],
  ["derivatives (s′, s″)", deriv],
  ["autoencoder", ae],
] as const)
  console.log(
    `${name.padEnd(28)} ${s.precision.toFixed(3).padStart(9)} ${s.recall.toFixed(3).padStart(7)} ${s.f1.toFixed(3).padStart(7)}`,
  );
console.log(`faults caught, derivatives: ${recallByKind(derivFlags)}`);
console.log(`faults caught, autoencoder: ${recallByKind(aeFlags)}`);

// ── Picture: the test span, each channel standardized, true faults shaded, flagged windows as bars. ─────
const t0 = valEnd * WIN;
const points = CHANNELS.flatMap((name, c) =>
  Array.from({ length: N - t0 }, (_, i) => ({ t: (t0 + i) / 24, v: residual[c]![t0 + i]!, channel: name })),
);
const smoothPoints = CHANNELS.flatMap((name, c) =>
  Array.from({ length: N - t0 }, (_, i) => ({ t: (t0 + i) / 24, v: smoothRows[c]![t0 + i]!, channel: name })),
);
const truth = faults
  .filter((f) => f.end > t0)
  .map((f) => ({ x1: f.start / 24, x2: f.end / 24, channel: CHANNELS[f.channel]! }));
const bars = (flags: readonly boolean[], lo: number, hi: number) =>
  flags.flatMap((f, w) =>
    f && w >= valEnd
      ? CHANNELS.map((channel) => ({ x1: (w * WIN) / 24, x2: ((w + 1) * WIN) / 24, y1: lo, y2: hi, channel }))
      : [],
  );
const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>");
const chart = Plot.plot({
  document: document as unknown as Document,
  width: 900,
  height: 560,
  marginTop: 56,
  marginLeft: 50,
  marginRight: 90,
  x: { label: "day", grid: true },
  y: { label: null, grid: true, domain: [-6, 9] },
  fy: { label: null, domain: [...CHANNELS] },
  marks: [
    Plot.frame({ strokeOpacity: 0.25 }),
    Plot.rectX(truth, { x1: "x1", x2: "x2", fy: "channel", fill: "#e45756", fillOpacity: 0.35, inset: -1.5 }),
    Plot.line(points, { x: "t", y: "v", fy: "channel", stroke: "#999", strokeWidth: 0.8 }),
    Plot.line(smoothPoints, { x: "t", y: "v", fy: "channel", stroke: "#222", strokeWidth: 1.2 }),
    Plot.rect(bars(derivFlags, 5.2, 6.6), {
      x1: "x1",
      x2: "x2",
      y1: "y1",
      y2: "y2",
      fy: "channel",
      fill: "#1f77b4",
      inset: 0.5,
    }),
    Plot.rect(bars(aeFlags, 7.2, 8.6), {
      x1: "x1",
      x2: "x2",
      y1: "y1",
      y2: "y2",
      fy: "channel",
      fill: "#2ca02c",
      inset: 0.5,
    }),
  ],
}) as unknown as SVGSVGElement;
const legend: [string, string][] = [
  ["#e45756", "injected fault"],
  ["#222", "kernel smooth"],
  ["#1f77b4", "12-h window flagged by s′, s″ (lower bars)"],
  ["#2ca02c", "by the autoencoder (upper bars)"],
];
const title = `Test span, deseasonalized channels (σ units): F1 derivatives ${deriv.f1.toFixed(2)}, autoencoder ${ae.f1.toFixed(2)}, flag-all ${trivial.f1.toFixed(2)}`;
const png = await savePicture(out, "maintenance", titledSvg(chart, title, legend, { x: 50, legendY: 38 }));
console.log(`wrote ${png}`);
console.log(`time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(
  `test F1: flag every window ${trivial.f1.toFixed(3)}, derivatives ${deriv.f1.toFixed(3)}, autoencoder ${ae.f1.toFixed(3)}`,
);
headline("derivative-precision", deriv.precision, 3);
headline("derivative-recall", deriv.recall, 3);
headline("autoencoder-precision", ae.precision, 3);
headline("autoencoder-recall", ae.recall, 3);
headline("derivative-f1", deriv.f1, 3);
headline("autoencoder-f1", ae.f1, 3);
