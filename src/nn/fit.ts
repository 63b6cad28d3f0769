// The training loop: shuffled batches, optimizer steps, metrics, validation, early stopping and NaN detection.

import { TraceError, ValueError } from "../core/errors.js";
import { flatten, unflatten } from "../core/pytree.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import { add, mul } from "../ops/elementwise.js";
import { key as makeKey, split } from "../ops/random.js";
import { asTensor } from "../ops/util.js";
import { clipByGlobalNorm } from "../optim/clip.js";
import { finiteFlag, NonFiniteLossError, nonFiniteUpdate } from "../optim/step.js";
import { applyUpdates, type GradientTransformation, type OptState } from "../optim/transform.js";
import { valueAndGrad } from "../transforms/api.js";
import { jit } from "../transforms/jit.js";
import { batches, type Dataset } from "./data.js";
import { evaluate, forwardOf, type Metrics, type Model, metricsOf } from "./evaluate.js";
import { captureDead, type GradientHealth, gradientHealth } from "./health.js";
import type { Params, State } from "./layer.js";
import { makeProgress } from "./progress.js";

/** What fit records, one entry per epoch unless said otherwise. */
export interface History {
  /** Mean training loss (penalty included) over the epoch's batches, in training mode. */
  loss: number[];
  /** Training metrics by name, averaged over the epoch's batches. */
  metrics: Record<string, number[]>;
  /** Validation loss (empty without validation data). */
  valLoss: number[];
  valMetrics: Record<string, number[]>;
  /** The loss of every optimizer step. */
  stepLoss: number[];
  /** Seconds per epoch. */
  epochTime: number[];
  /** Epochs and steps completed. */
  epochs: number;
  steps: number;
  stopReason: "completed" | "early-stopping" | "non-finite" | "callback";
  /** With early stopping: the epoch (0-based) whose params were kept. */
  bestEpoch?: number;
}

export interface EarlyStoppingOptions {
  /** "valLoss" (default with validation data), "loss", a metric ("accuracy") or "val" + Metric ("valAccuracy"). */
  monitor?: string;
  /** Epochs without improvement before stopping. Default 5. */
  patience?: number;
  /** The smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Default "max" for accuracy-like names, "min" otherwise. */
  mode?: "min" | "max";
  /** Return the params (and state) of the best epoch. Default true. */
  restoreBest?: boolean;
}

/** What `onEpoch` receives after each epoch. */
export interface EpochInfo {
  epoch: number;
  loss: number;
  metrics: Record<string, number>;
  valLoss?: number;
  valMetrics: Record<string, number>;
  params: Params;
  state: State;
  history: History;
}

export interface FitOptions {
  model: Model;
  params: Params;
  /** State of stateful layers (from init); default empty. */
  state?: State;
  /** `(outputs, targets) → scalar`, e.g. nn.crossEntropy. */
  loss: (outputs: Tensor, targets: Tensor) => Tensor;
  optimizer: GradientTransformation;
  /** Resume from a previous optimizer state. */
  optState?: OptState;
  data: Dataset;
  /** Default 1. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Shuffle every epoch. Default true. */
  shuffle?: boolean;
  /** Seeds the shuffling and the training-mode randomness (Dropout). Default 0. */
  seed?: number;
  validation?: Dataset;
  metrics?: Metrics;
  /** Added to the loss: `(params) → scalar`, e.g. `(p) => nb.mul(1e-4, nn.l2Penalty(p))`. */
  penalty?: (params: Params) => Tensor;
  earlyStopping?: EarlyStoppingOptions | boolean;
  /**
   * On a NaN/Inf loss, or an update that would make a parameter NaN/Inf (NonFiniteUpdateError): throw
   * (default), stop and return, or skip the step with a warning.
   */
  onNonFinite?: "throw" | "stop" | "skip";
  /** Record gradient norms per layer (and dead ReLUs) into this recorder, or a new one with `true`. */
  gradientHealth?: GradientHealth | boolean;
  /** Called after each epoch; returning false stops training. */
  onEpoch?: (info: EpochInfo) => unknown;
  /** Receives the output lines instead of the console (no progress bar). */
  log?: (line: string) => void;
  /** No output at all. Default false. */
  silent?: boolean;
  /**
   * Compile the training step (forward, gradient, optimizer update) with nb.jit, once per batch shape.
   * Default true; a step that cannot be traced trains eagerly with a warning. Random layers (Dropout) are
   * compiled too: their key is an argument of the step.
   */
  jit?: boolean;
  /**
   * Gradient accumulation: the gradients of this many consecutive batches are averaged (weighted by batch
   * size) before one optimizer update, so for a mean loss an update equals one step on the concatenated
   * batches. The accumulation happens across calls: each batch's gradient is one compiled call, the
   * average is formed outside, and the update is a second compiled call. A group never spans epochs: a
   * last, shorter group is applied at the end of the epoch. `history.stepLoss` and `history.steps` then
   * count optimizer updates (the loss of an update is its batches' weighted mean). Default 1.
   */
  accumulateSteps?: number;
  /**
   * Rescale the gradients of every update (after accumulation) so their global L2 norm is at most this,
   * as `nb.optim.chain(nb.optim.clipByGlobalNorm(c), optimizer)` would. Gradient health records the
   * gradients before clipping.
   */
  clipGradNorm?: number;
}

export interface FitResult {
  params: Params;
  state: State;
  optState: OptState;
  history: History;
  gradientHealth?: GradientHealth;
}

/** Throws when concrete float data holds NaN or ±Infinity, naming the example. */
function checkData(where: string, t: Tensor): void {
  if (!(t instanceof ConcreteTensor) || (t.dtype !== "float32" && t.dtype !== "float64")) return;
  const i = t.data.findIndex((v) => !Number.isFinite(v));
  if (i < 0) return;
  const per = t.size / (t.shape[0] || 1);
  throw new ValueError(
    `fit: ${where} contains ${t.data[i]} at example ${Math.floor(i / per)} (flat index ${i})`,
  );
}

const fmt = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
const capital = (s: string) => s[0]!.toUpperCase() + s.slice(1);

/**
 * Trains a model: for each epoch, shuffles the data (seeded), runs an optimizer step per batch in training
 * mode, then evaluates on `validation`. Shows a progress bar on a terminal and a line per epoch otherwise
 * (`log` to redirect, `silent` to hide). A NaN/Inf loss throws `NonFiniteLossError` naming the step, and
 * an update that would write NaN/Inf into the params (NaN gradients under a finite loss) throws its
 * subclass `NonFiniteUpdateError` naming the parameters, the params left as they were (or stops/skips, by
 * `onNonFinite`). Returns the new params, state, optimizer state and history.
 * @example
 * ```ts
 * const model = nb.nn.Sequential([nb.nn.Linear(2, 16), nb.nn.tanh, nb.nn.Linear(16, 2)]);
 * const { params } = model.init(0, [1, 2]);
 * const x = nb.array([[0, 0], [0, 1], [1, 0], [1, 1]]);
 * const y = nb.array([0, 1, 1, 0], { dtype: "int32" });
 * const result = nb.nn.fit({
 *   model, params, loss: nb.nn.crossEntropy, optimizer: nb.optim.adam({ learningRate: 0.05 }),
 *   data: { x, y }, epochs: 200, batchSize: 4, metrics: ["accuracy"], silent: true,
 * });
 * result.history.metrics.accuracy.at(-1); // 1
 * ```
 */
export function fit(options: FitOptions): FitResult {
  const { loss, optimizer, penalty, epochs = 1, batchSize = 32, seed = 0, shuffle = true } = options;
  if (typeof loss !== "function")
    throw new ValueError("fit: loss must be a function (outputs, targets) → scalar");
  if (!optimizer || typeof optimizer.update !== "function")
    throw new ValueError(
      "fit: optimizer must be a gradient transformation, e.g. nb.optim.adam({ learningRate: 1e-3 })",
    );
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new ValueError(`fit: epochs must be a non-negative integer, got ${epochs}`);
  const accumulate = options.accumulateSteps ?? 1;
  if (!Number.isInteger(accumulate) || accumulate < 1)
    throw new ValueError(`fit: accumulateSteps must be a positive integer, got ${String(accumulate)}`);
  const clipNorm = options.clipGradNorm;
  if (clipNorm !== undefined && !(typeof clipNorm === "number" && clipNorm > 0))
    throw new ValueError(`fit: clipGradNorm must be a positive number, got ${String(clipNorm)}`);
  const clipper = clipNorm === undefined ? null : clipByGlobalNorm(clipNorm);
  const forward = forwardOf(options.model);
  const x = asTensor(options.data.x, "fit");
  const y = asTensor(options.data.y, "fit");
  checkData("data.x", x);
  checkData("data.y", y);
  const ms = metricsOf(options.metrics);
  const out = makeProgress(options);
  const onNonFinite = options.onNonFinite ?? "throw";
  const health =
    options.gradientHealth === true
      ? gradientHealth()
      : options.gradientHealth
        ? options.gradientHealth
        : undefined;
  if (health && health.model === undefined && typeof options.model !== "function")
    health.model = options.model;

  const es = options.earlyStopping === true ? {} : options.earlyStopping || undefined;
  const monitor = es?.monitor ?? (options.validation ? "valLoss" : "loss");
  const known = ["loss", ...ms.map(([k]) => k)];
  const monitorable = [...known, ...(options.validation ? known.map((k) => `val${capital(k)}`) : [])];
  if (es && !monitorable.includes(monitor))
    throw new ValueError(
      `fit: earlyStopping cannot monitor "${monitor}"; available: ${monitorable.join(", ")}`,
    );
  const maximize = es?.mode ? es.mode === "max" : /acc/i.test(monitor);

  const history: History = {
    loss: [],
    metrics: Object.fromEntries(ms.map(([k]) => [k, []])),
    valLoss: [],
    valMetrics: Object.fromEntries(ms.map(([k]) => [k, []])),
    stepLoss: [],
    epochTime: [],
    epochs: 0,
    steps: 0,
    stopReason: "completed",
  };
  let params = options.params;
  let state = options.state ?? {};
  let optState = options.optState ?? optimizer.init(params);
  let best = { value: Number.NaN, epoch: -1, params, state };
  let wait = 0;
  let iteration = 0; // batches attempted, skipped ones included: the step named in messages

  const lossOf = (p: Params, s: State, xb: Tensor, yb: Tensor, k: Tensor) => {
    const dead: Record<string, Tensor> = {};
    const applyOpts = health ? captureDead(dead, { train: true, key: k }) : { train: true, key: k };
    const [o, s2] = forward(p, s, xb, applyOpts);
    const l = penalty ? add(loss(o, yb), penalty(p)) : loss(o, yb);
    return [l, { outputs: o, state: s2, dead }] as const;
  };
  const vg = valueAndGrad(lossOf, { hasAux: true });
  /** The loss of a batch, what the model produced and the gradients. */
  const gradStep = (p: Params, s: State, xb: Tensor, yb: Tensor, k: Tensor) => {
    const [[l, aux], grads] = vg(p, s, xb, yb, k);
    return {
      loss: l as Tensor,
      aux: aux as { outputs: Tensor; state: State; dead: Record<string, Tensor> },
      grads: grads as Params,
    };
  };
  /** One optimizer update from gradients (clipped first with clipGradNorm). */
  const updateStep = (p: Params, o: OptState, grads: Params) => {
    const g = clipper ? (clipper.update(grads, null)[0] as Params) : grads;
    const [updates, nextOpt] = optimizer.update(g, o, p);
    const next = applyUpdates(p, updates);
    // 0 when the new params are all finite (fused into the update loops under jit).
    return { params: next, optState: nextOpt, finite: finiteFlag(next) };
  };
  /** One optimizer step: the loss, what the model produced, the gradients and the updated params. */
  const trainStep = (p: Params, s: State, o: OptState, xb: Tensor, yb: Tensor, k: Tensor) => {
    const r = gradStep(p, s, xb, yb, k);
    return { ...r, ...updateStep(p, o, r.grads) };
  };
  // Compiled once per batch shape; a step that cannot be traced (a model reading tensor values into
  // JavaScript control flow) falls back to running eagerly, with a warning. The step's key is an argument
  // like the batch, so a layer that draws random numbers (Dropout) gets a new mask every step from one
  // compiled program.
  // With accumulation, the gradient and the update are compiled separately.
  let useJit = options.jit !== false;
  const compiledOrEager = <A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => R) => {
    const compiled = useJit ? jit(fn) : null;
    let ran = false;
    return (...args) => {
      if (!useJit || compiled === null) return fn(...args);
      try {
        const r = compiled(...args);
        ran = true;
        return r;
      } catch (e) {
        if (!(e instanceof TraceError) || ran) throw e;
        useJit = false;
        out.warn(
          `fit: the training step cannot run under jit (${e.message}); training eagerly (pass jit: false to skip the attempt)`,
        );
        return fn(...args);
      }
    };
  };
  const runStep = compiledOrEager(trainStep);
  const runGrad = compiledOrEager(gradStep);
  const runUpdate = compiledOrEager(updateStep);
  /** Gradients of a group of batches averaged with weights m_i / Σ m. */
  const averageGrads = (group: readonly { grads: Params; m: number }[]): Params => {
    const total = group.reduce((a, g) => a + g.m, 0);
    const [first, def] = flatten(group[0]!.grads, "fit");
    const rest = group.map((g) => flatten(g.grads, "fit")[0]);
    const leaves = first.map((_, i) =>
      rest.reduce<Tensor>((acc, ls, j) => {
        const term = mul(ls[i] as Tensor, group[j]!.m / total);
        return j === 0 ? term : add(acc, term);
      }, first[i] as Tensor),
    );
    return unflatten<Params>(def, leaves);
  };
  const epochKeys = split(makeKey(seed), Math.max(epochs, 1));

  for (let epoch = 0; epoch < epochs; epoch++) {
    const t0 = Date.now();
    const [kShuffle, kTrain] = split(epochKeys[epoch]!);
    const bs = batches({ x, y }, { batchSize, key: shuffle ? kShuffle : undefined });
    const stepKeys = split(kTrain!, bs.length);
    let lossSum = 0;
    let seen = 0;
    const sums: Record<string, number> = Object.fromEntries(ms.map(([k]) => [k, 0]));
    let stop: History["stopReason"] | undefined;
    /**
     * Handles a NaN/Inf loss or a non-finite update: throws, or warns and says whether to stop ("stop")
     * or skip ("skip").
     */
    const nonFinite = (value: number, badUpdate: Error | null, step: number, b: number) => {
      const last = history.stepLoss.length > 0 ? history.stepLoss[history.stepLoss.length - 1]! : undefined;
      const msg =
        badUpdate !== null
          ? badUpdate.message
          : `fit: the loss became ${value} at step ${step} (epoch ${epoch + 1}/${epochs}, batch ${b + 1}/${bs.length})` +
            (last === undefined ? "" : `; the last finite loss was ${fmt(last)}`) +
            ". The update was not applied. Lower the learning rate, clip gradients (clipGradNorm) or look for NaN/Inf in the data";
      if (onNonFinite === "throw") {
        if (badUpdate !== null) {
          badUpdate.message += '; pass onNonFinite: "stop" to return the params instead';
          throw badUpdate;
        }
        throw new NonFiniteLossError(
          `${msg}; pass onNonFinite: "stop" to return the params instead`,
          step,
          value,
          epoch,
          b,
        );
      }
      out.warn(onNonFinite === "skip" ? `${msg} (skipped)` : `${msg} (training stopped)`);
      return onNonFinite;
    };
    const position = (b: number) => ({
      epoch,
      batch: b,
      text: `epoch ${epoch + 1}/${epochs}, batch ${b + 1}/${bs.length}`,
    });
    /** Records a batch's loss and metrics into the epoch's sums. */
    const count = (value: number, outputs: Tensor, yb: Tensor, m: number) => {
      lossSum += value * m;
      seen += m;
      for (const [k, f] of ms) {
        const v = f(outputs, yb);
        sums[k]! += (v instanceof Tensor ? v.item() : v) * m;
      }
    };
    /** Gradients of the batches since the last update (with accumulateSteps > 1). */
    let group: { grads: Params; m: number; loss: number; dead: Record<string, Tensor> }[] = [];
    for (let b = 0; b < bs.length; b++) {
      const { x: xb, y: yb } = bs[b]!;
      const m = xb.shape[0]!;
      if (accumulate > 1) {
        const r = runGrad(params, state, xb, yb, stepKeys[b]!);
        const value = r.loss.item();
        const step = iteration++;
        if (!Number.isFinite(value)) {
          // The batch's gradients are dropped; the rest of its group is still applied.
          if (nonFinite(value, null, step, b) === "stop") {
            stop = "non-finite";
            break;
          }
        } else {
          state = r.aux.state;
          count(value, r.aux.outputs, yb, m);
          group.push({ grads: r.grads, m, loss: value, dead: r.aux.dead });
        }
        if (group.length < accumulate && b < bs.length - 1) continue;
        if (group.length === 0) continue;
        const grads = group.length === 1 ? group[0]!.grads : averageGrads(group);
        const total = group.reduce((a, g) => a + g.m, 0);
        const loss = group.reduce((a, g) => a + (g.loss * g.m) / total, 0);
        const dead = group[group.length - 1]!.dead;
        group = [];
        const u = runUpdate(params, optState, grads);
        const badUpdate =
          u.finite.item() !== 0
            ? nonFiniteUpdate("fit", step, loss, params, u.params, grads, position(b))
            : null;
        if (badUpdate !== null) {
          if (nonFinite(loss, badUpdate, step, b) === "stop") {
            stop = "non-finite";
            break;
          }
          continue;
        }
        if (health)
          health.record(grads, {
            step,
            dead: Object.fromEntries(Object.entries(dead).map(([k, v]) => [k, v.item()])),
          });
        params = u.params;
        optState = u.optState;
        history.stepLoss.push(loss);
        history.steps++;
        out.update(b + 1, bs.length, `epoch ${epoch + 1}/${epochs}`, `loss ${fmt(lossSum / seen)}`);
        continue;
      }
      const r = runStep(params, state, optState, xb, yb, stepKeys[b]!);
      const value = r.loss.item();
      const step = iteration++;
      // A finite loss can still come with NaN gradients (√ at 0, 0·∞): the update must not reach the params.
      const badUpdate =
        Number.isFinite(value) && r.finite.item() !== 0
          ? nonFiniteUpdate("fit", step, value, params, r.params, r.grads, position(b))
          : null;
      if (!Number.isFinite(value) || badUpdate !== null) {
        if (nonFinite(value, badUpdate, step, b) === "stop") {
          stop = "non-finite";
          break;
        }
        continue;
      }
      const a = r.aux;
      if (health)
        health.record(r.grads, {
          step,
          dead: Object.fromEntries(Object.entries(a.dead).map(([k, v]) => [k, v.item()])),
        });
      params = r.params;
      optState = r.optState;
      state = a.state;
      count(value, a.outputs, yb, m);
      history.stepLoss.push(value);
      history.steps++;
      out.update(b + 1, bs.length, `epoch ${epoch + 1}/${epochs}`, `loss ${fmt(lossSum / seen)}`);
    }
    if (seen === 0) {
      // Every batch was skipped, or the first one stopped training: nothing to report for this epoch.
      if (stop) {
        history.stopReason = stop;
        break;
      }
      continue;
    }
    const metrics = Object.fromEntries(ms.map(([k]) => [k, sums[k]! / seen]));
    history.loss.push(lossSum / seen);
    for (const [k] of ms) history.metrics[k]!.push(metrics[k]!);
    let valLoss: number | undefined;
    const valMetrics: Record<string, number> = {};
    if (options.validation) {
      const v = evaluate(options.model, params, options.validation, {
        loss: penalty ? (o, t) => add(loss(o, t), penalty(params)) : loss,
        metrics: options.metrics,
        batchSize: Math.max(batchSize, 256),
        state,
      });
      valLoss = v.loss;
      history.valLoss.push(v.loss);
      for (const [k] of ms) history.valMetrics[k]!.push((valMetrics[k] = v.metrics[k]!));
    }
    const seconds = (Date.now() - t0) / 1000;
    history.epochTime.push(seconds);
    history.epochs++;
    const parts = [`epoch ${epoch + 1}/${epochs}`, `loss ${fmt(lossSum / seen)}`];
    for (const [k] of ms) parts.push(`${k} ${fmt(metrics[k]!)}`);
    if (valLoss !== undefined) parts.push(`val loss ${fmt(valLoss)}`);
    for (const [k] of ms) if (k in valMetrics) parts.push(`val ${k} ${fmt(valMetrics[k]!)}`);
    out.line(`${parts.join("  ")}  (${seconds.toFixed(1)} s)`);
    if (stop) {
      history.stopReason = stop;
      break;
    }
    const info: EpochInfo = {
      epoch,
      loss: lossSum / seen,
      metrics,
      valLoss,
      valMetrics,
      params,
      state,
      history,
    };
    if (options.onEpoch?.(info) === false) {
      history.stopReason = "callback";
      break;
    }
    if (es) {
      const val = monitor.startsWith("val")
        ? monitor === "valLoss"
          ? valLoss!
          : valMetrics[monitor[3]!.toLowerCase() + monitor.slice(4)]!
        : monitor === "loss"
          ? lossSum / seen
          : metrics[monitor]!;
      const delta = es.minDelta ?? 0;
      const better =
        Number.isNaN(best.value) || (maximize ? val > best.value + delta : val < best.value - delta);
      if (better) {
        best = { value: val, epoch, params, state };
        wait = 0;
      } else if (++wait >= (es.patience ?? 5)) {
        history.stopReason = "early-stopping";
        out.line(
          `early stopping: no improvement of ${monitor} for ${wait} epochs (best ${fmt(best.value)} at epoch ${best.epoch + 1})`,
        );
        break;
      }
    }
  }
  if (es && best.epoch >= 0) {
    history.bestEpoch = best.epoch;
    if (es.restoreBest ?? true) ({ params, state } = best);
  }
  const result: FitResult = { params, state, optState, history };
  if (health) result.gradientHealth = health;
  return result;
}
