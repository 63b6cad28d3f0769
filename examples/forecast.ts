import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import * as nb from "nabla";
import { exampleOptions, formatValue, headline, maunaLoaCo2, savePicture, titledSvg } from "./common.js";

const { quick, out } = exampleOptions("forecast");
const started = performance.now();

// ── Data: monthly means (no gaps from May 1964); training from 1965 (1995 with --quick), 2017 on held out.
const rows = maunaLoaCo2();
const SPLIT = 2017;
const FROM = quick ? 1995 : 1965;
const train = rows.filter((r) => r.year >= FROM && r.year < SPLIT);
const test = rows.filter((r) => r.year >= SPLIT);
const H = test.length; // forecast horizon in months
const yTrain = train.map((r) => r.y);
const yTest = test.map((r) => r.y);
console.log(
  `Mauna Loa CO₂ (vega-datasets co2-concentration.csv): ${rows.length} months ${rows[0]!.year}–${rows.at(-1)!.year}; ` +
    `training ${train.length} months ${FROM}–${SPLIT - 1}, held out the ${H} months from ${SPLIT} on`,
);
const rmse = (pred: readonly number[]) =>
  Math.sqrt(pred.reduce((s, p, i) => s + (p - yTest[i]!) ** 2, 0) / H);
const mae = (pred: readonly number[]) => pred.reduce((s, p, i) => s + Math.abs(p - yTest[i]!), 0) / H;
const f64 = (v: number[]) => nb.array(v, { dtype: "float64" });

// ── (1) Simple exponential smoothing, α = 0.3: ℓ ← αy + (1 − α)ℓ; the forecast is the last level. ────────
const ALPHA_FIXED = 0.3;
let level = yTrain[0]!;
for (const y of yTrain) level = ALPHA_FIXED * y + (1 - ALPHA_FIXED) * level;
const sesForecast = Array<number>(H).fill(level);

// ── (2) Additive Holt–Winters, m = 12, in standardized units z = (y − μ)/σ: ───────────────────────────────
//   ŷₜ = ℓₜ₋₁ + bₜ₋₁ + sₜ₋ₘ                        (one step ahead)
//   ℓₜ = α(yₜ − sₜ₋ₘ) + (1 − α)(ℓₜ₋₁ + bₜ₋₁)
//   bₜ = β(ℓₜ − ℓₜ₋₁) + (1 − β)bₜ₋₁
//   sₜ = γ(yₜ − ℓₜ) + (1 − γ)sₜ₋ₘ
// The carry is (ℓ, b, the last 12 seasonal terms, oldest first). α, β, γ = sigmoid of free logits; the 12
// initial seasonal terms are centred (a constant moved between ℓ₀ and s₀ changes no forecast).
const mu = yTrain.reduce((s, y) => s + y, 0) / yTrain.length;
const sigma = Math.sqrt(yTrain.reduce((s, y) => s + (y - mu) ** 2, 0) / yTrain.length);
const zTrain = f64(yTrain.map((y) => (y - mu) / sigma));
type HW = { logits: nb.Tensor; level: nb.Tensor; trend: nb.Tensor; season: nb.Tensor };
type Carry = { l: nb.Tensor; b: nb.Tensor; s: nb.Tensor };

const start = (p: HW): Carry => ({ l: p.level, b: p.trend, s: nb.sub(p.season, nb.mean(p.season)) });
const smoothing = (p: HW) => {
  const g = nb.sigmoid(p.logits);
  return [nb.take(g, 0), nb.take(g, 1), nb.take(g, 2)] as const;
};

/** Runs the recursion over z; returns the final state and the one-step-ahead forecasts. */
function holtWinters(p: HW, z: nb.Tensor): [Carry, nb.Tensor] {
  const [a, b, g] = smoothing(p);
  return nb.lax.scan(
    (c: Carry, y: nb.Tensor) => {
      const sOld = nb.take(c.s, 0);
      const yHat = nb.add(nb.add(c.l, c.b), sOld);
      const l = nb.add(nb.mul(a, nb.sub(y, sOld)), nb.mul(nb.sub(1, a), nb.add(c.l, c.b)));
      const trend = nb.add(nb.mul(b, nb.sub(l, c.l)), nb.mul(nb.sub(1, b), c.b));
      const sNew = nb.add(nb.mul(g, nb.sub(y, l)), nb.mul(nb.sub(1, g), sOld));
      const s = nb.concatenate([nb.slice(c.s, [1], [11]), nb.reshape(sNew, [1])]);
      return [{ l, b: trend, s }, yHat] as const;
    },
    start(p),
    z,
  ) as [Carry, nb.Tensor];
}
const sse = (p: HW) => nb.mean(nb.square(nb.sub(holtWinters(p, zTrain)[1], zTrain)));

// Start: α, β, γ = 0.3, 0.05, 0.3; level and trend from the first two years, season from the first year.
const z0 = Array.from(zTrain.dataSync(), Number);
const year1 = z0.slice(0, 12);
const year2 = z0.slice(12, 24);
const avg = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const logit = (q: number) => Math.log(q / (1 - q));
const hw0: HW = {
  logits: f64([0.3, 0.05, 0.3].map(logit)),
  level: nb.array(avg(year1), { dtype: "float64" }),
  trend: nb.array((avg(year2) - avg(year1)) / 12, { dtype: "float64" }),
  season: f64(year1.map((v) => v - avg(year1))),
};
const hwStart = performance.now();
const fit = nb.optim.minimize(sse, hw0, { method: "lbfgs", maxIter: quick ? 60 : 200 });
const hwSeconds = (performance.now() - hwStart) / 1000;
const [alphaFit, betaFit, gammaFit] = Array.from(nb.sigmoid(fit.x.logits).dataSync(), Number) as [
  number,
  number,
  number,
];
const oneStep = (v: number) => Math.sqrt(v) * sigma;
const gradNorm = Math.sqrt(
  Object.values(nb.grad(sse)(fit.x)).reduce((s, g) => s + nb.sum(nb.square(g)).item(), 0),
);
console.log(
  `\nHolt–Winters: L-BFGS on the mean one-step-ahead squared error over ${train.length} months (17 parameters), ` +
    `RMSE ${oneStep(sse(hw0).item()).toFixed(3)} → ${oneStep(fit.value).toFixed(3)} ppm in ${fit.iterations} iterations ` +
    `(${fit.reason}), ‖∇‖ = ${formatValue(gradNorm)}, ${hwSeconds.toFixed(1)} s`,
);
console.log(
  `fitted α = ${formatValue(alphaFit)} (level), β = ${formatValue(betaFit)} (trend), γ = ${formatValue(gammaFit)} (season)`,
);
// Forecast h months on from the last state: ℓ + h·b + the seasonal term of that month.
const [last] = holtWinters(fit.x, zTrain);
const lastL = last.l.item();
const lastB = last.b.item();
const lastS = Array.from(last.s.dataSync(), Number);
const hwForecast = Array.from(
  { length: H },
  (_, i) => (lastL + (i + 1) * lastB + lastS[i % 12]!) * sigma + mu,
);

// ── (3) LSTM: the past W months, each minus the latest and divided by a scale, predict the next month's
// change. Trained with Adam under jit on the windows that end in 1985 or later (CO₂ grows faster than it did
// in the 1960s, and a model of the whole span underestimates the recent rise); forecasts feed themselves back.
const W = 24;
const LSTM_FROM = 1985;
const HIDDEN = quick ? 16 : 32;
const STEPS = quick ? 100 : 600;
const diffs = yTrain.slice(12).map((y, i) => y - yTrain[i]!);
const SCALE = Math.sqrt(avg(diffs.map((d) => d * d))); // the RMS of 12-month changes, ppm
const windowOf = (v: readonly number[], end: number) => {
  const ref = v[end - 1]!;
  return v.slice(end - W, end).map((x) => (x - ref) / SCALE);
};
const xs: number[][] = [];
const ys: number[] = [];
for (
  let end = Math.max(
    W,
    train.findIndex((r) => r.year >= LSTM_FROM),
  );
  end < yTrain.length;
  end++
) {
  xs.push(windowOf(yTrain, end));
  ys.push((yTrain[end]! - yTrain[end - 1]!) / SCALE);
}
const X = nb.reshape(nb.array(xs.flat()), [xs.length, W, 1]);
const Y = nb.reshape(nb.array(ys), [ys.length, 1]);
const lstm = nb.nn.LSTM(1, HIDDEN, { batchFirst: true });
const head = nb.nn.Linear(HIDDEN, 1);
type Net = { lstm: nb.nn.RecurrentParams; head: nb.nn.LinearParams };
const [kl, kh] = nb.random.split(nb.random.key(0));
let net: Net = { lstm: lstm.init(kl!).params, head: head.init(kh!).params };
const predictNet = (p: Net, x: nb.Tensor) => {
  const { hidden } = lstm.apply(p.lstm, x); // [1, B, HIDDEN]
  return head.apply(p.head, nb.squeeze(hidden, 0)); // [B, 1]
};
const netLoss = (p: Net, x: nb.Tensor, y: nb.Tensor) => nb.mean(nb.square(nb.sub(predictNet(p, x), y)));
const step = nb.jit(nb.valueAndGrad(netLoss));
const optimizer = nb.optim.adam({ learningRate: nb.optim.cosineDecay({ init: 1e-2, decaySteps: STEPS }) });
let optState = optimizer.init(net);
const BATCH = Math.min(128, xs.length);
let key = nb.random.key(1);
const lstmStart = performance.now();
let lossValue = 0;
for (let s = 1; s <= STEPS; s++) {
  const [kb, next] = nb.random.split(key);
  key = next!;
  const idx = nb.random.randint(kb!, [BATCH], 0, xs.length);
  const [l, g] = step(net, nb.take(X, idx, 0), nb.take(Y, idx, 0));
  const [updates, st] = optimizer.update(g, optState, net);
  net = nb.optim.applyUpdates(net, updates);
  optState = st;
  lossValue = l.item();
}
const lstmSeconds = (performance.now() - lstmStart) / 1000;
const fullLoss = netLoss(net, X, Y).item();
console.log(
  `\nLSTM(1→${HIDDEN}) + Linear(${HIDDEN}→1), windows of ${W} months (${xs.length} of them), ${nb.nn.countParams(net)} parameters: ` +
    `${STEPS} Adam steps of ${BATCH} in ${lstmSeconds.toFixed(1)} s, last batch loss ${lossValue.toFixed(4)}, ` +
    `one-step RMSE on the training windows ${(Math.sqrt(fullLoss) * SCALE).toFixed(3)} ppm`,
);
const predictOne = nb.jit((p: Net, x: nb.Tensor) => predictNet(p, x));
const history = [...yTrain];
const lstmForecast: number[] = [];
for (let i = 0; i < H; i++) {
  const x = nb.reshape(nb.array(windowOf(history, history.length)), [1, W, 1]);
  const next = history.at(-1)! + predictOne(net, x).item() * SCALE;
  lstmForecast.push(next);
  history.push(next);
}

// ── Held-out errors. ──────────────────────────────────────────────────────────────────────────────────────
const results = [
  { name: `exponential smoothing (α = ${ALPHA_FIXED})`, pred: sesForecast },
  { name: "Holt–Winters (fitted)", pred: hwForecast },
  { name: "LSTM", pred: lstmForecast },
].map((r) => ({ ...r, rmse: rmse(r.pred), mae: mae(r.pred) }));
console.log(`\nheld-out ${H} months (${SPLIT}–${test.at(-1)!.year}), ppm:`);
console.log(`${"model".padEnd(32)} ${"RMSE".padStart(7)} ${"MAE".padStart(7)}`);
for (const r of results)
  console.log(`${r.name.padEnd(32)} ${r.rmse.toFixed(3).padStart(7)} ${r.mae.toFixed(3).padStart(7)}`);
const [ses, hw, net_] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
console.log(
  `Holt–Winters vs fixed-α smoothing: RMSE ${hw.rmse.toFixed(3)} vs ${ses.rmse.toFixed(3)} ppm, ` +
    `${(ses.rmse / hw.rmse).toFixed(1)}× lower (${(100 * (1 - hw.rmse / ses.rmse)).toFixed(1)}% less)`,
);

// ── Picture: 2010 on, the observed months and the three forecasts over the held-out span. ───────────────
const PLOT_FROM = 2010;
const observed = rows.filter((r) => r.t >= PLOT_FROM);
const lines = results.flatMap((r, k) =>
  test.map((p, i) => ({ t: p.t, y: r.pred[i]!, model: ["ses", "hw", "lstm"][k]! })),
);
const colors: Record<string, string> = { ses: "#e45756", hw: "#1f77b4", lstm: "#2ca02c" };
const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>");
const chart = Plot.plot({
  document: document as unknown as Document,
  width: 820,
  height: 460,
  marginTop: 50,
  marginLeft: 50,
  insetTop: 8,
  x: { label: "year", grid: true, tickFormat: "d" },
  y: { label: null, grid: true },
  color: { domain: Object.keys(colors), range: Object.values(colors) },
  marks: [
    Plot.frame({ strokeOpacity: 0.25 }),
    Plot.ruleX([SPLIT], { stroke: "#888", strokeDasharray: "4,3" }),
    Plot.line(observed, { x: "t", y: "y", stroke: "#bbb", strokeWidth: 1 }),
    Plot.dot(observed, { x: "t", y: "y", r: 2, fill: "#222" }),
    Plot.line(lines, { x: "t", y: "y", z: "model", stroke: "model", strokeWidth: 2 }),
  ],
}) as unknown as SVGSVGElement;
const legend: [string, string][] = [
  ["#222", "observed"],
  [colors.ses!, `exponential smoothing, α = ${ALPHA_FIXED}`],
  [colors.hw!, `Holt–Winters, fitted α, β, γ`],
  [colors.lstm!, "LSTM, autoregressive"],
];
const title =
  `Mauna Loa CO₂ (ppm), forecasts from ${SPLIT}: held-out RMSE ${ses.rmse.toFixed(2)}, ` +
  `${hw.rmse.toFixed(2)} and ${net_.rmse.toFixed(2)} ppm`;
const png = await savePicture(out, "forecast", titledSvg(chart, title, legend, { x: 50, charWidth: 7 }));
console.log(`wrote ${png}`);
console.log(`time: ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(
  `held-out RMSE: exponential smoothing ${ses.rmse.toFixed(3)}, Holt–Winters ${hw.rmse.toFixed(3)}, LSTM ${net_.rmse.toFixed(3)} ppm`,
);
headline("holt-winters-rmse", hw.rmse);
