// The Training view: a small MLP learns a 2-D classification live, with its loss, decision boundary and
// per-layer gradient norms (vanishing and exploding gradients made visible).
import type { TrainProgress } from "../compute/protocol.js";
import type { Activation, Dataset, DatasetKind, OptimizerKind, TrainConfig } from "../compute/training.js";
import { Chart, legendHtml } from "../ui/chart.js";
import { contourSegments } from "../ui/contour.js";
import { announce, clamp, esc, fmt, frow, h, perFrame } from "../ui/dom.js";
import { getChoice, getNumber, setParam } from "../ui/state.js";
import { type ComputeWorker, Superseded } from "../ui/workers.js";

const DATASETS: DatasetKind[] = ["spirals", "moons", "circles", "xor"];
const ACTIVATIONS: Activation[] = ["tanh", "relu", "sigmoid"];
const OPTIMIZERS: OptimizerKind[] = ["adam", "momentum", "sgd"];
const DEF: TrainConfig = {
  dataset: "spirals",
  points: 200,
  noise: 0.1,
  seed: 1,
  activation: "tanh",
  layers: 2,
  width: 16,
  initScale: 1,
  optimizer: "adam",
  lr: 0.02,
};
const RES = 64;
const EXTENT = 1.5;
const MAX_STEPS = 5000;
const CLASS_RGB: [number, number, number][] = [
  [37, 99, 235],
  [234, 88, 12],
];

/** Blue–teal–yellow–red for layers from the input side to the output side. */
function layerColor(l: number, count: number): string {
  const t = count <= 1 ? 0 : l / (count - 1);
  const stops = [
    [49, 54, 149],
    [69, 117, 180],
    [116, 173, 209],
    [253, 174, 97],
    [215, 48, 39],
  ];
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i]!.map((v, k) => Math.round(v + (stops[i + 1]![k]! - v) * f));
  return `rgb(${c.join(",")})`;
}

interface Demo {
  label: string;
  patch: Partial<TrainConfig>;
}
const DEMOS: Demo[] = [
  {
    label: "Healthy (tanh, 2 layers)",
    patch: { activation: "tanh", layers: 2, initScale: 1, optimizer: "adam", lr: 0.02 },
  },
  {
    label: "Vanishing (sigmoid, 6 layers)",
    patch: { activation: "sigmoid", layers: 6, initScale: 1, optimizer: "sgd", lr: 0.5 },
  },
  {
    label: "Exploding (relu, 6 layers, init ×3)",
    patch: { activation: "relu", layers: 6, initScale: 3, optimizer: "sgd", lr: 0.01 },
  },
];

export function mountTraining(root: HTMLElement, worker: ComputeWorker): { activate(): void } {
  const cfg: TrainConfig = {
    dataset: getChoice("td", DATASETS, DEF.dataset),
    points: Math.round(getNumber("tn", DEF.points, 20, 1000)),
    noise: getNumber("tz", DEF.noise, 0, 1),
    seed: Math.round(getNumber("ts", DEF.seed, 0, 1e6)),
    activation: getChoice("ta", ACTIVATIONS, DEF.activation),
    layers: Math.round(getNumber("tl", DEF.layers, 1, 8)),
    width: Math.round(getNumber("tw", DEF.width, 2, 64)),
    initScale: getNumber("ti", DEF.initScale, 0.05, 10),
    optimizer: getChoice("to", OPTIMIZERS, DEF.optimizer),
    lr: getNumber("tr", DEF.lr, 1e-5, 10),
  };
  let data: Dataset | null = null;
  let boundary: Float64Array | null = null;
  const loss: number[] = [];
  const norms: number[][] = [];
  let step = 0;
  let accuracy = Number.NaN;
  let job: number | null = null;
  let ready: Promise<void> | null = null;

  // ---------- layout ----------
  const sel = <T extends string>(id: string, label: string, options: readonly T[], value: T) =>
    h(
      "select",
      { id, "aria-label": label },
      ...options.map((o) => h("option", { value: o, selected: o === value }, o)),
    );
  const num = (id: string, value: number, min: number, max: number, step: number) =>
    h("input", { id, type: "number", class: "num", value: String(value), min, max, step });
  const datasetSel = sel("t-dataset", "Dataset", DATASETS, cfg.dataset);
  const pointsIn = num("t-points", cfg.points, 20, 1000, 10);
  const noiseIn = h("input", {
    id: "t-noise",
    type: "range",
    min: 0,
    max: 1,
    step: 0.05,
    value: String(cfg.noise),
  });
  const noiseOut = h("output", { for: "t-noise" }, fmt(cfg.noise));
  const seedIn = num("t-seed", cfg.seed, 0, 1e6, 1);
  const layersIn = h("input", {
    id: "t-layers",
    type: "range",
    min: 1,
    max: 8,
    step: 1,
    value: String(cfg.layers),
  });
  const layersOut = h("output", { for: "t-layers" }, String(cfg.layers));
  const widthSel = h(
    "select",
    { id: "t-width", "aria-label": "Width" },
    ...[4, 8, 16, 32, 64].map((w) => h("option", { value: String(w), selected: w === cfg.width }, String(w))),
  );
  const actSel = sel("t-activation", "Activation", ACTIVATIONS, cfg.activation);
  const initIn = h("input", {
    id: "t-init",
    type: "range",
    min: 0.1,
    max: 4,
    step: 0.1,
    value: String(cfg.initScale),
  });
  const initOut = h("output", { for: "t-init" }, fmt(cfg.initScale));
  const optSel = sel("t-optimizer", "Optimizer", OPTIMIZERS, cfg.optimizer);
  const lrIn = num("t-lr", cfg.lr, 1e-5, 10, 0.005);
  const arch = h("div", { class: "hint", id: "t-arch" });
  const trainBtn = h("button", { type: "button", class: "btn primary", id: "t-train" }, "▶ Train");
  const stepBtn = h("button", { type: "button", class: "btn", id: "t-step" }, "Step");
  const resetBtn = h("button", { type: "button", class: "btn", id: "t-reset" }, "Reset");
  const stats = h("div", { class: "stats", id: "t-stats", "aria-live": "polite" });

  const demoButtons = DEMOS.map((d, i) =>
    h("button", { type: "button", class: "btn small", "data-demo": i, onclick: () => applyDemo(d) }, d.label),
  );
  const sidebar = h(
    "aside",
    { class: "sidebar", "aria-label": "Training settings" },
    h(
      "section",
      { class: "group" },
      h("h3", {}, "Data"),
      frow("Dataset", "t-dataset", datasetSel),
      frow("Points", "t-points", pointsIn),
      frow("Noise", "t-noise", noiseIn, noiseOut),
      frow("Seed", "t-seed", seedIn),
    ),
    h(
      "section",
      { class: "group" },
      h("h3", {}, "Network"),
      frow("Hidden layers", "t-layers", layersIn, layersOut),
      frow("Width", "t-width", widthSel),
      frow("Activation", "t-activation", actSel),
      frow("Init scale", "t-init", initIn, initOut),
      arch,
    ),
    h(
      "section",
      { class: "group" },
      h("h3", {}, "Training"),
      frow("Optimizer", "t-optimizer", optSel),
      frow("Step size η", "t-lr", lrIn),
      h("div", { class: "row buttons" }, trainBtn, stepBtn, resetBtn),
      stats,
    ),
    h("section", { class: "group" }, h("h3", {}, "Try"), h("div", { class: "demos" }, ...demoButtons)),
  );

  const boundaryWrap = h("div", { class: "boundary-wrap" });
  const canvas = h("canvas", { class: "heatmap", "aria-hidden": "true" });
  boundaryWrap.append(canvas);
  const bChart = new Chart(boundaryWrap, {
    height: 440,
    ariaLabel: "Decision boundary and training data",
    yDomain: [-EXTENT, EXTENT],
  });
  bChart.root.classList.add("contour");
  const lossChart = new Chart(h("div"), {
    height: 200,
    logY: true,
    robust: false,
    xLabel: "step",
    yLabel: "loss",
    ariaLabel: "Training loss",
  }).enableHover();
  const normLegend = h("div", { class: "legend", id: "t-norm-legend" });
  const normChart = new Chart(h("div"), {
    height: 220,
    logY: true,
    robust: false,
    xLabel: "step",
    yLabel: "‖∂loss/∂layer‖",
    ariaLabel: "Gradient norm per layer",
  }).enableHover();
  const bars = h("div", { class: "bars", id: "t-bars" });
  root.append(
    h(
      "div",
      { class: "panel-grid" },
      sidebar,
      h(
        "div",
        { class: "main" },
        h(
          "div",
          { class: "train-layout" },
          h(
            "section",
            { class: "card", id: "boundary-card" },
            h("h3", {}, "Decision boundary"),
            boundaryWrap,
            h(
              "p",
              { class: "caption" },
              "Background: the network's probability of the orange class; line: where it is ½.",
            ),
          ),
          h(
            "div",
            { class: "train-side" },
            h(
              "section",
              { class: "card", id: "loss-card" },
              h("h3", {}, "Loss (cross-entropy)"),
              lossChart.root,
            ),
            h(
              "section",
              { class: "card", id: "norms-card" },
              h("h3", {}, "Gradient norm per layer"),
              normLegend,
              normChart.root,
              bars,
              h(
                "p",
                { class: "caption" },
                "‖∂loss/∂(W, b)‖ of each layer, input side first. Norms that fall by orders of magnitude towards the input are vanishing gradients; norms that grow are exploding ones.",
              ),
            ),
          ),
        ),
      ),
    ),
  );

  // ---------- drawing ----------
  function paintBoundary(): void {
    if (!boundary) return;
    canvas.width = RES;
    canvas.height = RES;
    const ctx = canvas.getContext("2d")!;
    const img = ctx.createImageData(RES, RES);
    for (let j = 0; j < RES; j++)
      for (let i = 0; i < RES; i++) {
        const p = boundary[j * RES + i]!;
        const c = CLASS_RGB[p >= 0.5 ? 1 : 0]!;
        const a = Math.min(1, Math.abs(p - 0.5) * 2) * 0.55;
        const o = 4 * ((RES - 1 - j) * RES + i);
        img.data[o] = 255 + (c[0] - 255) * a;
        img.data[o + 1] = 255 + (c[1] - 255) * a;
        img.data[o + 2] = 255 + (c[2] - 255) * a;
        img.data[o + 3] = 255;
      }
    ctx.putImageData(img, 0, 0);
  }

  function drawBoundary(): void {
    bChart.xDomain = [-EXTENT, EXTENT];
    bChart.curves = [];
    bChart.overlay = (c) => {
      const s: string[] = [];
      if (boundary) {
        const seg = contourSegments(boundary, RES, RES, 0.5);
        const sx = (i: number) => c.px(-EXTENT + (2 * EXTENT * i) / (RES - 1));
        const sy = (j: number) => c.py(-EXTENT + (2 * EXTENT * j) / (RES - 1));
        let d = "";
        for (let k = 0; k < seg.length; k += 4)
          d += `M${sx(seg[k]!).toFixed(1)},${sy(seg[k + 1]!).toFixed(1)}L${sx(seg[k + 2]!).toFixed(1)},${sy(seg[k + 3]!).toFixed(1)}`;
        if (d) s.push(`<path class="boundary-line" d="${d}"/>`);
      }
      if (data)
        for (let i = 0; i < data.y.length; i++) {
          const [r, g, b] = CLASS_RGB[data.y[i]!]!;
          s.push(
            `<circle class="pt" cx="${c.px(data.X[2 * i]!).toFixed(1)}" cy="${c.py(data.X[2 * i + 1]!).toFixed(1)}" r="3.6" fill="rgb(${r},${g},${b})"/>`,
          );
        }
      return s.join("");
    };
    bChart.onRender = (c) => {
      Object.assign(canvas.style, {
        left: `${c.margin.left}px`,
        top: `${c.margin.top}px`,
        width: `${c.plotWidth}px`,
        height: `${c.plotHeight}px`,
      });
    };
    bChart.render();
  }

  function drawCurves(): void {
    const steps = loss.map((_, i) => i);
    lossChart.curves = [{ id: "loss", label: "loss", color: "#111827", x: steps, y: loss, width: 1.8 }];
    lossChart.xDomain = [0, Math.max(10, loss.length - 1)];
    lossChart.render();
    const L = norms[0]?.length ?? cfg.layers + 1;
    normChart.curves = Array.from({ length: L }, (_, l) => ({
      id: `layer-${l}`,
      label: `layer ${l + 1}`,
      color: layerColor(l, L),
      x: steps,
      y: norms.map((n) => n[l]!),
      width: 1.6,
    }));
    normChart.xDomain = [0, Math.max(10, loss.length - 1)];
    normChart.render();
    normLegend.innerHTML = legendHtml(
      Array.from({ length: L }, (_, l) => ({
        color: layerColor(l, L),
        label: `layer ${l + 1}${l === 0 ? " (input)" : l === L - 1 ? " (output)" : ""}`,
      })),
    );
    const last = norms[norms.length - 1];
    const first = norms[0];
    if (last && first) {
      // Log-scaled bars for the latest norms, a tick for the norms at step 0.
      const logs = [...last, ...first].map((v) => Math.log10(Math.max(v, 1e-12)));
      const lo = Math.min(...logs, -1) - 0.5;
      const hi = Math.max(...logs, 0) + 0.2;
      const pos = (v: number) =>
        clamp(((Math.log10(Math.max(v, 1e-12)) - lo) / (hi - lo)) * 100, 1, 100).toFixed(1);
      bars.innerHTML =
        `<div class="bar-row bar-head"><span></span><span class="hint">now (bar) and at step 0 (tick), log scale</span><span></span></div>` +
        last
          .map(
            (v, l) =>
              `<div class="bar-row"><span class="bar-label">layer ${l + 1}</span><span class="bar-track"><span class="bar" style="width:${pos(v)}%;background:${layerColor(l, L)}"></span><span class="bar-start" style="left:${pos(first[l]!)}%" data-value="${first[l]}" title="at step 0: ${esc(fmt(first[l]!, 3))}"></span></span><span class="bar-value" data-layer="${l}">${esc(fmt(v, 3))}</span></div>`,
          )
          .join("");
    } else bars.innerHTML = "";
    const lastLoss = loss[loss.length - 1];
    stats.innerHTML = `<span>step <b id="t-step-count">${step}</b></span><span>loss <b id="t-loss">${lastLoss === undefined ? "–" : esc(fmt(lastLoss, 4))}</b></span><span>accuracy <b id="t-acc">${Number.isFinite(accuracy) ? `${(accuracy * 100).toFixed(1)}%` : "–"}</b></span>`;
    root.dataset.step = String(step);
  }
  const drawSoon = perFrame(() => {
    drawBoundary();
    drawCurves();
  });

  function describe(): void {
    const sizes = [2, ...Array(cfg.layers).fill(cfg.width), 2];
    const params = sizes.slice(1).reduce((n, s, i) => n + s * (sizes[i]! + 1), 0);
    arch.textContent = `${sizes.join(" → ")} · ${params} parameters · ${cfg.activation}`;
  }

  // ---------- computation ----------
  function writeUrl(): void {
    setParam("td", cfg.dataset, DEF.dataset);
    setParam("tn", cfg.points, DEF.points);
    setParam("tz", cfg.noise, DEF.noise);
    setParam("ts", cfg.seed, DEF.seed);
    setParam("ta", cfg.activation, DEF.activation);
    setParam("tl", cfg.layers, DEF.layers);
    setParam("tw", cfg.width, DEF.width);
    setParam("ti", cfg.initScale, DEF.initScale);
    setParam("to", cfg.optimizer, DEF.optimizer);
    setParam("tr", cfg.lr, DEF.lr);
  }

  function reset(): Promise<void> {
    stop();
    loss.length = 0;
    norms.length = 0;
    step = 0;
    accuracy = Number.NaN;
    root.dataset.step = "0";
    root.dataset.ready = "";
    describe();
    writeUrl();
    const p = worker
      .call("trainReset", { config: { ...cfg }, res: RES, extent: EXTENT }, { timeoutMs: 15_000 })
      .done.then(
        (r) => {
          data = r.data;
          boundary = r.boundary;
          paintBoundary();
          drawSoon();
          root.dataset.ready = "data";
        },
        (e: Error) => {
          if (!(e instanceof Superseded)) stats.textContent = `reset: ${e.message}`;
          throw e;
        },
      );
    ready = p.catch(() => undefined);
    return p;
  }

  function absorb(p: TrainProgress): void {
    for (const s of p.snapshots) {
      loss.push(s.loss);
      norms.push(s.gradNorms);
    }
    step = p.step;
    accuracy = p.accuracy;
    if (p.boundary) {
      boundary = p.boundary;
      paintBoundary();
    }
    drawSoon();
  }

  async function train(steps: number): Promise<void> {
    if (!data) await (ready ?? reset());
    stop();
    const n = Math.min(steps, MAX_STEPS - step);
    if (n <= 0) {
      stats.append(
        h("span", { class: "hint" }, ` Stopped at ${MAX_STEPS} steps; press Reset to start over.`),
      );
      return;
    }
    setRunning(steps > 1);
    const call = worker.call("train", { steps: n, res: RES, extent: EXTENT }, { onProgress: absorb });
    job = call.id;
    try {
      absorb(await call.done);
    } catch (e) {
      if (!(e instanceof Superseded) && (e as Error).name !== "Cancelled")
        stats.textContent = `training: ${(e as Error).message}`;
    } finally {
      if (job === call.id) {
        job = null;
        setRunning(false);
      }
    }
  }

  function stop(): void {
    if (job !== null) worker.cancel(job);
    job = null;
    setRunning(false);
  }

  function setRunning(on: boolean): void {
    trainBtn.textContent = on ? "Pause" : "▶ Train";
    trainBtn.setAttribute("aria-pressed", String(on));
    root.dataset.running = String(on);
  }

  worker.onRestart = () => {
    data = null;
    ready = null;
  };

  // ---------- inputs ----------
  const structural = () => {
    void reset().catch(() => undefined);
  };
  datasetSel.addEventListener("change", () => {
    cfg.dataset = datasetSel.value as DatasetKind;
    structural();
  });
  pointsIn.addEventListener("change", () => {
    cfg.points = Math.round(clamp(Number(pointsIn.value) || DEF.points, 20, 1000));
    pointsIn.value = String(cfg.points);
    structural();
  });
  seedIn.addEventListener("change", () => {
    cfg.seed = Math.round(clamp(Number(seedIn.value) || 0, 0, 1e6));
    seedIn.value = String(cfg.seed);
    structural();
  });
  noiseIn.addEventListener("input", () => {
    cfg.noise = Number(noiseIn.value);
    noiseOut.textContent = fmt(cfg.noise);
  });
  noiseIn.addEventListener("change", structural);
  layersIn.addEventListener("input", () => {
    cfg.layers = Number(layersIn.value);
    layersOut.textContent = String(cfg.layers);
    describe();
  });
  layersIn.addEventListener("change", structural);
  widthSel.addEventListener("change", () => {
    cfg.width = Number(widthSel.value);
    structural();
  });
  actSel.addEventListener("change", () => {
    cfg.activation = actSel.value as Activation;
    structural();
  });
  initIn.addEventListener("input", () => {
    cfg.initScale = Number(initIn.value);
    initOut.textContent = fmt(cfg.initScale);
  });
  initIn.addEventListener("change", structural);
  const liveSettings = () => {
    cfg.optimizer = optSel.value as OptimizerKind;
    const lr = Number(lrIn.value);
    cfg.lr = Number.isFinite(lr) && lr > 0 ? clamp(lr, 1e-5, 10) : DEF.lr;
    writeUrl();
    // Applies at once, even mid-run: the worker reads the settings between steps.
    worker.call("trainSet", { lr: cfg.lr, optimizer: cfg.optimizer });
  };
  optSel.addEventListener("change", liveSettings);
  lrIn.addEventListener("change", liveSettings);
  trainBtn.addEventListener("click", () => {
    if (job !== null) stop();
    else void train(MAX_STEPS);
  });
  stepBtn.addEventListener("click", () => void train(1));
  resetBtn.addEventListener("click", structural);

  function applyDemo(d: Demo): void {
    Object.assign(cfg, d.patch);
    actSel.value = cfg.activation;
    layersIn.value = String(cfg.layers);
    layersOut.textContent = String(cfg.layers);
    initIn.value = String(cfg.initScale);
    initOut.textContent = fmt(cfg.initScale);
    optSel.value = cfg.optimizer;
    lrIn.value = String(cfg.lr);
    announce(d.label);
    void reset()
      .then(() => train(400))
      .catch(() => undefined);
  }

  let started = false;
  return {
    activate() {
      if (!started) {
        started = true;
        describe();
        void reset().catch(() => undefined);
      }
      drawSoon();
    },
  };
}
