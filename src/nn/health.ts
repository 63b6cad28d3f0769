// Gradient health: per-layer gradient norms over steps, with flags for exploding, vanishing and dead-ReLU layers.
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { astype, lessEqual, mul } from "../ops/elementwise.js";
import { max, mean, sum } from "../ops/reduce.js";
import { leafPaths, leavesOf } from "../optim/tree.js";
import { lineChart } from "../viz/index.js";
import type { ApplyOptions, Layer, Params } from "./layer.js";
import type { SequentialLayer } from "./sequential.js";

export interface GradientHealthOptions {
  /** Flag a layer whose gradient norm exceeds this. Default 1e3. */
  explodingNorm?: number;
  /** Flag a layer whose norm grew by this factor over the last `window` records. Default 100. */
  growthFactor?: number;
  /** Records looked back for growth. Default 10. */
  window?: number;
  /** Flag a layer whose gradient norm is below this (vanishing; 0 for a fully dead layer). Default 1e-7. */
  vanishingNorm?: number;
  /** Flag a ReLU when at least this fraction of its units is dead (≤ 0 for every example of a batch). Default 0.5. */
  deadFraction?: number;
  /** The model, to label layers with their types in the report. */
  model?: Layer;
}

/** One problem found, aggregated over the steps where it was seen. */
export interface HealthFlag {
  layer: string;
  kind: "exploding" | "vanishing" | "non-finite" | "dead-relu";
  /** The first step it was seen at, the last, and how many records showed it. */
  firstStep: number;
  lastStep: number;
  count: number;
  /** The worst value seen (a norm, or a dead fraction). */
  value: number;
  message: string;
}

/** Records gradient norms (and dead-ReLU fractions) step by step; see {@link gradientHealth}. */
export interface GradientHealth {
  /** The step of each record. */
  readonly steps: number[];
  /** Gradient norm per layer (dotted params path without the leaf name), one entry per record. */
  readonly norms: Record<string, number[]>;
  /** Dead-unit fraction per ReLU (by path in the model), one entry per record that measured it. */
  readonly dead: Record<string, number[]>;
  readonly options: Required<Omit<GradientHealthOptions, "model">>;
  model?: Layer;
  /** Adds one step: the gradients (same structure as params) and optionally measured dead fractions. */
  record(grads: unknown, info?: { step?: number; dead?: Record<string, number> }): HealthFlag[];
  /** All problems found so far, one entry per layer and kind. */
  flags(): HealthFlag[];
  /** A short text report: a table of norms per layer and the flags. */
  report(): string;
  /** Gradient norms per layer over steps as an SVG line chart (log scale). */
  plot(options?: { title?: string; width?: number; height?: number }): string;
}

/**
 * The fraction of units that are ≤ 0 for every example of the batch, as a scalar tensor. Units are features
 * for [N, F] activations and channels for feature maps [N, C, …] (a filter is dead when it is off at every
 * position of every example).
 */
export function deadFraction(y: Tensor): Tensor {
  const axes = y.ndim >= 3 ? [0, ...Array.from({ length: y.ndim - 2 }, (_, i) => i + 2)] : [0];
  const allOff = lessEqual(max(y, { axis: axes }), 0);
  return mean(astype(allOff, y.dtype));
}

/** Options of `apply` that record the dead fraction of every ReLU into `out` (as tensors). */
export function captureDead(out: Record<string, Tensor>, base: ApplyOptions = {}): ApplyOptions {
  return {
    ...base,
    capture: (path, y, layer) => {
      base.capture?.(path, y, layer);
      if (layer.name === "relu" && y.ndim >= 2) out[path] = deadFraction(y);
    },
  };
}

/**
 * The fraction of dead units of every ReLU in a model on a batch `x`: units (features, or channels of
 * feature maps) that are ≤ 0 for every example. ReLUs are found by identity (`nb.nn.relu` in a Sequential).
 * @example
 * ```ts
 * const model = nb.nn.Sequential([nb.nn.Linear(2, 8), nb.nn.relu, nb.nn.Linear(8, 1)]);
 * const { params } = model.init(0);
 * nb.nn.deadUnits(model, params, nb.random.normal(nb.random.key(1), [64, 2])); // { "1": 0 }
 * ```
 */
export function deadUnits(
  model: Layer,
  params: Params,
  x: Tensor,
  options: ApplyOptions = {},
): Record<string, number> {
  const out: Record<string, Tensor> = {};
  model.apply(params, x, captureDead(out, options));
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.item()]));
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toExponential(2) : String(v));

/** Groups leaves by layer (their path without the leaf name) and returns each layer's gradient norm. */
function layerNorms(grads: unknown): Record<string, number> {
  const [leaves] = leavesOf(grads, "gradientHealth.record");
  const paths = leafPaths(grads);
  const sq: Record<string, Tensor[]> = {};
  leaves.forEach((g, i) => {
    const p = paths[i]!;
    const cut = p.lastIndexOf(".");
    const layer = cut < 0 ? p || "(root)" : p.slice(0, cut);
    (sq[layer] ??= []).push(sum(mul(g, g)));
  });
  return Object.fromEntries(
    Object.entries(sq).map(([k, ts]) => [k, Math.sqrt(ts.reduce((a, t) => a + t.item(), 0))]),
  );
}

/**
 * A recorder of gradient health. Pass it to `nn.fit({ gradientHealth })` or call `record(grads)` in your
 * own loop; then `report()` prints per-layer gradient norms and flags: exploding (norm above
 * `explodingNorm`, non-finite, or growing `growthFactor`× within `window` steps), vanishing (below
 * `vanishingNorm`) and dead ReLUs (units never active in a batch).
 * @example
 * ```ts
 * const health = nb.nn.gradientHealth();
 * const params = { layer: { w: nb.ones([3]) } };
 * for (let step = 0; step < 3; step++)
 *   health.record(nb.grad((p: typeof params) => nb.sum(nb.square(p.layer.w)))(params), { step });
 * health.norms.layer; // [3.46, 3.46, 3.46]
 * health.flags();     // []
 * console.log(health.report());
 * ```
 */
export function gradientHealth(options: GradientHealthOptions = {}): GradientHealth {
  const o = {
    explodingNorm: options.explodingNorm ?? 1e3,
    growthFactor: options.growthFactor ?? 100,
    window: options.window ?? 10,
    vanishingNorm: options.vanishingNorm ?? 1e-7,
    deadFraction: options.deadFraction ?? 0.5,
  };
  if (!(o.explodingNorm > o.vanishingNorm))
    throw new ValueError("gradientHealth: explodingNorm must be larger than vanishingNorm");
  const steps: number[] = [];
  const norms: Record<string, number[]> = {};
  const dead: Record<string, number[]> = {};
  const found = new Map<string, HealthFlag>();

  const flag = (layer: string, kind: HealthFlag["kind"], step: number, value: number, why: string) => {
    const id = `${layer}|${kind}`;
    const prev = found.get(id);
    const worse = (a: number, b: number) => (kind === "vanishing" ? Math.min(a, b) : Math.max(a, b));
    const f: HealthFlag = prev
      ? { ...prev, lastStep: step, count: prev.count + 1, value: worse(prev.value, value) }
      : { layer, kind, firstStep: step, lastStep: step, count: 1, value, message: "" };
    f.message = describe(f, why);
    found.set(id, f);
    return f;
  };

  const describe = (f: HealthFlag, why: string): string => {
    const at =
      f.count > 1
        ? `from step ${f.firstStep} (${f.count} records, last ${f.lastStep})`
        : `at step ${f.firstStep}`;
    const where = `layer "${f.layer}"${typeName(f.layer)}`;
    switch (f.kind) {
      case "exploding":
        return `exploding gradients in ${where}: ${why} ${at} — lower the learning rate or clip (optim.clipByGlobalNorm)`;
      case "non-finite":
        return `non-finite gradients in ${where} ${at} — look for log/div of 0 or overflowing activations`;
      case "vanishing":
        return `vanishing gradients in ${where}: norm ${fmt(f.value)} < ${fmt(o.vanishingNorm)} ${at} — check saturating activations (sigmoid/tanh), depth and initialization`;
      case "dead-relu":
        return `dead ReLU units after ${where}: ${(100 * f.value).toFixed(0)}% never active in a batch ${at} — lower the learning rate, use He init or leakyRelu`;
    }
  };

  const typeName = (layer: string): string => {
    const seq = (h.model as Partial<SequentialLayer> | undefined)?.layers;
    const hit = seq?.find(([k]) => k === layer.split(".")[0]);
    return hit && !layer.includes(".") ? ` (${hit[1].name})` : "";
  };

  const h: GradientHealth = {
    steps,
    norms,
    dead,
    options: o,
    model: options.model,
    record(grads, info = {}) {
      const step = info.step ?? (steps.length === 0 ? 0 : steps[steps.length - 1]! + 1);
      const k = steps.length;
      steps.push(step);
      const out: HealthFlag[] = [];
      for (const [layer, v] of Object.entries(layerNorms(grads))) {
        const hist = (norms[layer] ??= new Array<number>(k).fill(Number.NaN));
        hist.push(v);
        if (!Number.isFinite(v)) out.push(flag(layer, "non-finite", step, v, ""));
        else if (v > o.explodingNorm)
          out.push(flag(layer, "exploding", step, v, `norm ${fmt(v)} > ${fmt(o.explodingNorm)}`));
        else if (v < o.vanishingNorm) out.push(flag(layer, "vanishing", step, v, ""));
        else if (hist.length > o.window) {
          const base = Math.min(...hist.slice(-o.window - 1, -1).filter(Number.isFinite));
          if (base > 0 && v / base >= o.growthFactor)
            out.push(
              flag(
                layer,
                "exploding",
                step,
                v,
                `norm grew ${(v / base).toFixed(0)}× within ${o.window} steps (to ${fmt(v)})`,
              ),
            );
        }
      }
      for (const [path, frac] of Object.entries(info.dead ?? {})) {
        (dead[path] ??= []).push(frac);
        if (frac >= o.deadFraction) out.push(flag(path, "dead-relu", step, frac, ""));
      }
      return out;
    },
    flags: () => [...found.values()],
    report() {
      const layers = Object.keys(norms);
      if (steps.length === 0) return "gradient health: nothing recorded yet";
      const rows = [["layer", "first norm", "last norm", "min", "max"]];
      for (const l of layers) {
        const v = norms[l]!.filter((x) => !Number.isNaN(x));
        rows.push([
          l + typeName(l),
          fmt(v[0]!),
          fmt(v[v.length - 1]!),
          fmt(Math.min(...v)),
          fmt(Math.max(...v)),
        ]);
      }
      const w = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
      const lines = [
        `gradient health over ${steps.length} steps (${steps[0]}–${steps[steps.length - 1]}), ${layers.length} layers`,
        ...rows.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(w[j]!) : c.padStart(w[j]!))).join("  ")),
      ];
      for (const [p, fr] of Object.entries(dead))
        lines.push(`ReLU "${p}": ${(100 * fr[fr.length - 1]!).toFixed(0)}% dead units in the last batch`);
      const fl = h.flags();
      lines.push(...(fl.length === 0 ? ["no problems found"] : fl.map((f) => `! ${f.message}`)));
      return lines.join("\n");
    },
    plot(opts = {}) {
      const series = Object.entries(norms).map(([l, v]) => ({ label: l + typeName(l), x: steps, y: v }));
      if (series.length === 0) throw new ValueError("gradientHealth.plot: nothing recorded yet");
      return lineChart(series, {
        title: opts.title ?? "Gradient norm per layer",
        xLabel: "step",
        yLabel: "‖gradient‖",
        logY: true,
        width: opts.width,
        height: opts.height,
      });
    },
  };
  return h;
}
