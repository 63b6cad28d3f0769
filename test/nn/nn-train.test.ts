// Training with nb.nn: batching, fit (end to end on a spiral), early stopping, NaN/Inf detection, BatchNorm and
// Dropout in the loop, gradient health, loss curves, progress output, evaluate and predict.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as nb from "nabla";
import { describe, expect, it, vi } from "vitest";
import { flatten } from "../../src/core/pytree.js";
import * as nn from "../../src/nn/index.js";
import * as optim from "../../src/optim/index.js";
import { values } from "../util/approx.js";

type T = nb.Tensor;

/** Two interleaved spirals of 1.5 turns, `n` points each. */
function spiral(n: number): { x: T; y: T } {
  const xs: number[][] = [];
  const ys: number[] = [];
  for (let c = 0; c < 2; c++)
    for (let i = 0; i < n; i++) {
      const r = (i / n) * 5 + 0.2;
      const t = ((1.5 * i) / n) * 2 * Math.PI + c * Math.PI;
      xs.push([(r * Math.cos(t)) / 5, (r * Math.sin(t)) / 5]);
      ys.push(c);
    }
  return { x: nb.array(xs), y: nb.array(ys, { dtype: "int32" }) };
}

describe("batches and shuffle", () => {
  it("the same key gives the same batches; rows stay paired", () => {
    const data = { x: nb.reshape(nb.arange(20), [10, 2]), y: nb.arange(10) };
    const a = nn.batches(data, { batchSize: 4, key: 3 });
    const b = nn.batches(data, { batchSize: 4, key: 3 });
    expect(a.map((t) => t.x.shape[0])).toEqual([4, 4, 2]);
    expect(a.map((t) => values(t.y))).toEqual(b.map((t) => values(t.y)));
    expect(a.flatMap((t) => values(t.y)).sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const t of a)
      expect(values(nb.take(t.x, [0], 1).reshape([-1]))).toEqual(values(t.y).map((v) => 2 * v));
    expect(nn.batches(data, { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(values(nn.batches(data, { batchSize: 10 })[0]!.y)).toEqual(values(data.y));
    const { x, y } = nn.shuffle(data, 0);
    expect(values(nb.take(x, [0], 1).reshape([-1]))).toEqual(values(y).map((v) => 2 * v));
    expect(() => nn.batches({ x: nb.zeros([3, 2]), y: nb.zeros([4]) })).toThrow(
      "x has 3 examples (shape [3,2]) but y has 4",
    );
  });
});

describe("fit", () => {
  it("an MLP learns two spirals to > 95% training accuracy", () => {
    const data = spiral(100);
    const model = nn.Sequential([nn.Linear(2, 64), nn.relu, nn.Linear(64, 64), nn.relu, nn.Linear(64, 2)]);
    const { params } = model.init(0, [1, 2]);
    const result = nn.fit({
      model,
      params,
      loss: nn.crossEntropy,
      optimizer: optim.adam({ learningRate: 0.02 }),
      data,
      epochs: 40,
      batchSize: 32,
      metrics: ["accuracy"],
      silent: true,
    });
    const { metrics } = nn.evaluate(model, result.params, data, { metrics: ["accuracy"] });
    expect(metrics.accuracy).toBeGreaterThan(0.95);
    expect(result.history.loss.length).toBe(40);
    expect(result.history.stepLoss.length).toBe(40 * 7);
    expect(result.history.loss[39]!).toBeLessThan(result.history.loss[0]! / 5);
    expect(result.history.stopReason).toBe("completed");
  });

  it("is reproducible from the seed", () => {
    const data = spiral(20);
    const model = nn.Sequential([nn.Linear(2, 8), nn.relu, nn.Dropout(0.2), nn.Linear(8, 2)]);
    const { params } = model.init(0);
    const run = () =>
      nn.fit({
        model,
        params,
        loss: nn.crossEntropy,
        optimizer: optim.sgd({ learningRate: 0.1 }),
        data,
        epochs: 2,
        batchSize: 8,
        seed: 5,
        silent: true,
      });
    expect(run().history.stepLoss).toEqual(run().history.stepLoss);
  });

  it("the compiled training step (jit, the default) trains exactly like the eager one", () => {
    const data = spiral(30);
    const model = nn.Sequential([nn.Linear(2, 16), nn.tanh, nn.Linear(16, 2)]);
    const { params } = model.init(1, [1, 2]);
    const lines: string[] = [];
    const run = (jit: boolean) =>
      nn.fit({
        model,
        params,
        loss: nn.crossEntropy,
        optimizer: optim.adam({ learningRate: optim.cosineDecay({ init: 0.05, decaySteps: 20 }) }),
        data,
        epochs: 3,
        batchSize: 16, // 60 examples: a ragged last batch, so two compiled shapes
        jit,
        log: (l) => lines.push(l),
      });
    const [eager, compiled] = [run(false), run(true)];
    // the compiled step really ran: no fallback to eager was reported
    expect(lines.filter((l) => l.includes("jit"))).toEqual([]);
    expect(compiled.history.stepLoss.length).toBe(12);
    compiled.history.stepLoss.forEach((l, i) => {
      expect(l).toBeCloseTo(eager.history.stepLoss[i]!, 5);
    });
    const leaves = (r: typeof eager) => flatten(r.params)[0].flatMap((t) => values(t as T));
    expect(leaves(compiled).length).toBe(2 * 16 + 16 + 16 * 2 + 2);
    leaves(compiled).forEach((v, i) => {
      expect(v).toBeCloseTo(leaves(eager)[i]!, 5);
    });
  });

  it("a model that reads tensor values into JavaScript trains eagerly, with a warning", () => {
    const data = spiral(10);
    const lin = nn.Linear(2, 2);
    // `.item()` needs a value, which a traced tensor does not have
    const model = (p: nn.Params, x: T) => (nb.sum(x).item() > -1e9 ? lin.apply(p as nn.LinearParams, x) : x);
    const lines: string[] = [];
    const r = nn.fit({
      model,
      params: lin.init(0, [1, 2]).params,
      loss: nn.crossEntropy,
      optimizer: optim.sgd({ learningRate: 0.1 }),
      data,
      epochs: 1,
      batchSize: 20,
      log: (l) => lines.push(l),
    });
    expect(r.history.steps).toBe(1);
    expect(lines.join("\n")).toMatch(/fit: the training step cannot run under jit \(.*\); training eagerly/);
  });

  it("early stopping stops after `patience` epochs without improvement and restores the best params", () => {
    const data = spiral(20);
    const model = nn.Linear(2, 2);
    const { params } = model.init(0);
    const seen: number[] = [];
    const result = nn.fit({
      model,
      params,
      loss: nn.crossEntropy,
      // the learning rate grows until the validation loss gets worse
      optimizer: optim.sgd({ learningRate: (s) => 0.01 * 1.6 ** s }),
      data,
      validation: data,
      epochs: 50,
      batchSize: 40,
      earlyStopping: { patience: 3 },
      onEpoch: (info) => {
        seen.push(info.valLoss!);
      },
      silent: true,
    });
    expect(result.history.stopReason).toBe("early-stopping");
    const best = result.history.bestEpoch!;
    expect(seen.length).toBe(best + 4);
    expect(Math.min(...seen)).toBe(seen[best]);
    expect(nn.evaluate(model, result.params, data, { loss: nn.crossEntropy }).loss).toBeCloseTo(
      seen[best]!,
      5,
    );
  });

  it("early stopping on an accuracy maximizes it; unknown monitors are named", () => {
    const data = spiral(10);
    const model = nn.Linear(2, 2);
    const { params } = model.init(0);
    const base = {
      model,
      params,
      loss: nn.crossEntropy,
      optimizer: optim.sgd({ learningRate: 0 }),
      data,
      silent: true,
    };
    const r = nn.fit({
      ...base,
      epochs: 10,
      metrics: ["accuracy"],
      earlyStopping: { monitor: "accuracy", patience: 2 },
    });
    expect(r.history.epochs).toBe(3); // nothing changes with a zero learning rate
    expect(() => nn.fit({ ...base, earlyStopping: { monitor: "valAccuracy" } })).toThrow(
      'fit: earlyStopping cannot monitor "valAccuracy"; available: loss',
    );
  });

  // loss log(w·x) with w = 1: the first SGD step (lr 2, gradient 1) makes w = −1, so step 1 is NaN.
  const nanRun = (onNonFinite?: "throw" | "stop" | "skip", log?: (line: string) => void) =>
    nn.fit({
      model: (p, x) => nb.mul(x, p.w as T),
      params: { w: nb.array([1]) },
      loss: (out) => nb.sum(nb.log(out)),
      optimizer: optim.sgd({ learningRate: 2 }),
      data: { x: nb.ones([3, 1]), y: nb.zeros([3]) },
      batchSize: 1,
      shuffle: false,
      onNonFinite,
      log,
    });

  it("a NaN loss is reported with its step, epoch and batch", () => {
    expect(() => nanRun()).toThrow(nn.NonFiniteLossError);
    expect(() => nanRun()).toThrow(
      "fit: the loss became NaN at step 1 (epoch 1/1, batch 2/3); the last finite loss was 0.0000",
    );
    try {
      nanRun();
    } catch (e) {
      expect((e as nn.NonFiniteLossError).step).toBe(1);
      expect((e as nn.NonFiniteLossError).batch).toBe(1);
    }
  });

  it("onNonFinite: 'stop' returns the last good params; 'skip' warns and goes on", () => {
    const lines: string[] = [];
    const stopped = nanRun("stop", (l) => lines.push(l));
    expect(stopped.history.stopReason).toBe("non-finite");
    expect(values(stopped.params.w as T)).toEqual([-1]);
    expect(lines.some((l) => l.includes("at step 1") && l.includes("training stopped"))).toBe(true);
    const warned: string[] = [];
    const skipped = nanRun("skip", (l) => warned.push(l));
    expect(skipped.history.steps).toBe(1);
    expect(warned.filter((l) => l.includes("(skipped)")).length).toBe(2);
  });

  it("NaN in the data is found before training, naming the example", () => {
    const x = nb.array([
      [1, 2],
      [3, Number.NaN],
    ]);
    const model = nn.Linear(2, 1);
    expect(() =>
      nn.fit({
        model,
        params: model.init(0).params,
        loss: nn.mse,
        optimizer: optim.sgd({ learningRate: 1 }),
        data: { x, y: nb.zeros([2, 1]) },
        silent: true,
      }),
    ).toThrow("fit: data.x contains NaN at example 1 (flat index 3)");
  });

  it("BatchNorm state and Dropout keys flow through the loop; evaluation uses the running statistics", () => {
    const data = spiral(30);
    const model = nn.Sequential([
      nn.Linear(2, 16),
      nn.BatchNorm(16),
      nn.relu,
      nn.Dropout(0.1),
      nn.Linear(16, 2),
    ]);
    const { params, state } = model.init(0, [1, 2]);
    const lines: string[] = [];
    const r = nn.fit({
      model,
      params,
      state,
      loss: nn.crossEntropy,
      optimizer: optim.adam({ learningRate: 0.01 }),
      data,
      validation: data,
      epochs: 2,
      batchSize: 20,
      log: (l) => lines.push(l),
    });
    // a random layer trains through the compiled step, without a warning
    expect(lines.every((l) => l.startsWith("epoch"))).toBe(true);
    const bn = r.state["1"] as nn.Params;
    expect(values(bn.mean as T)).not.toEqual(values((state["1"] as nn.Params).mean as T));
    expect(r.history.valLoss.length).toBe(2);
    const a = nn.predict(model, r.params, data.x, { state: r.state });
    expect(values(a)).toEqual(values(model.apply(r.params, data.x, { state: r.state })));
  });

  it("custom metrics, a penalty, and a plain-function model", () => {
    const data = { x: nb.array([[0], [1], [2], [3]]), y: nb.array([[1], [3], [5], [7]]) };
    const r = nn.fit({
      model: (p, x) => nb.add(nb.matmul(x, p.w as T), p.b as T),
      params: { w: nb.zeros([1, 1]), b: nb.zeros([1]) },
      loss: nn.mse,
      penalty: (p) => nb.mul(1e-6, nn.l2Penalty(p)),
      optimizer: optim.adam({ learningRate: 0.1 }),
      data,
      epochs: 150,
      batchSize: 4,
      metrics: { mae: (out, y) => nn.mae(out, y) },
      silent: true,
    });
    expect(r.history.metrics.mae!.at(-1)!).toBeLessThan(0.05);
  });
});

describe("gradient health", () => {
  it("flags exploding, vanishing and non-finite gradients per layer", () => {
    const h = nn.gradientHealth({ explodingNorm: 100, window: 3, growthFactor: 50 });
    for (let step = 0; step < 3; step++)
      h.record({ a: { w: nb.array([1e-9]) }, b: { w: nb.array([1]) } }, { step });
    const flags = h.record({ a: { w: nb.array([1e-9]) }, b: { w: nb.array([1e3]) } }, { step: 3 });
    expect(flags.map((f) => `${f.layer}:${f.kind}`)).toEqual(["a:vanishing", "b:exploding"]);
    h.record({ a: { w: nb.array([Number.NaN]) }, b: { w: nb.array([60]) } }, { step: 4 });
    const byKind = Object.fromEntries(h.flags().map((f) => [`${f.layer}:${f.kind}`, f]));
    expect(byKind["a:vanishing"]!.count).toBe(4);
    expect(byKind["a:non-finite"]!.firstStep).toBe(4);
    expect(h.norms.b).toEqual([1, 1, 1, 1000, 60]);
    const growth = nn.gradientHealth({ window: 2, growthFactor: 10 });
    for (const v of [1, 1, 20]) growth.record({ l: { w: nb.array([v]) } });
    expect(growth.flags()[0]!.message).toContain(
      'exploding gradients in layer "l": norm grew 20× within 2 steps',
    );
    expect(h.report()).toContain('vanishing gradients in layer "a"');
    expect(h.plot().startsWith("<svg")).toBe(true);
  });

  it("finds dead ReLUs during fit and names the layers in the report", () => {
    const model = nn.Sequential([
      nn.Linear(2, 8, { biasInit: nn.init.constant(-100) }),
      nn.relu,
      nn.Linear(8, 2),
    ]);
    const { params } = model.init(0, [1, 2]);
    const r = nn.fit({
      model,
      params,
      loss: nn.crossEntropy,
      optimizer: optim.sgd({ learningRate: 0.1 }),
      data: spiral(10),
      batchSize: 10,
      gradientHealth: true,
      silent: true,
    });
    const health = r.gradientHealth!;
    expect(health.dead["1"]).toEqual([1, 1]);
    const kinds = health.flags().map((f) => `${f.layer}:${f.kind}`);
    expect(kinds).toContain("1:dead-relu");
    expect(kinds).toContain("0:vanishing"); // nothing flows back through a dead ReLU
    const report = health.report();
    expect(report).toContain("0 (Linear(2→8))");
    expect(report).toContain('dead ReLU units after layer "1" (relu): 100% never active in a batch');
    expect(nn.deadUnits(model, params, spiral(10).x)).toEqual({ "1": 1 });
    // feature maps count channels: a filter is dead when it is off everywhere
    const conv = nn.Sequential([nn.Conv2d(1, 4, 1, { bias: false }), nn.relu]);
    const w = nb.reshape(nb.array([1, -1, -2, 3]), [4, 1, 1, 1]);
    expect(nn.deadUnits(conv, { "0": { weight: w } }, nb.ones([2, 1, 3, 3]))).toEqual({ "1": 0.5 });
  });
});

describe("output and plots", () => {
  const small = () => {
    const model = nn.Linear(2, 2);
    return {
      model,
      params: model.init(0).params,
      loss: nn.crossEntropy,
      optimizer: optim.sgd({ learningRate: 0.1 }),
      data: spiral(8),
    };
  };

  it("one line per epoch to `log` (or the console when not a terminal); nothing when silent", () => {
    const lines: string[] = [];
    nn.fit({
      ...small(),
      epochs: 2,
      metrics: ["accuracy"],
      validation: spiral(4),
      log: (l) => lines.push(l),
    });
    expect(lines.length).toBe(2);
    expect(lines[1]).toMatch(
      /^epoch 2\/2 {2}loss \d\.\d{4} {2}accuracy \d\.\d{4} {2}val loss \d\.\d{4} {2}val accuracy \d\.\d{4} {2}\(\d+\.\d s\)$/,
    );
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      nn.fit({ ...small(), epochs: 1 });
      expect(spy).toHaveBeenCalledTimes(process.stdout.isTTY ? 0 : 1);
      spy.mockClear();
      nn.fit({ ...small(), epochs: 1, silent: true });
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it("lossCurve draws the history as SVG and writes .svg and .png files", async () => {
    const r = nn.fit({ ...small(), epochs: 3, validation: spiral(4), metrics: ["accuracy"], silent: true });
    const svg = nn.lossCurve(r.history, { metrics: ["accuracy"] });
    expect(svg.startsWith("<svg")).toBe(true);
    for (const label of ["training loss", "validation loss", "training accuracy"])
      expect(svg).toContain(label);
    expect(nn.lossCurve(r.history, { steps: true })).toContain("training loss (per step)");
    const dir = mkdtempSync(path.join(tmpdir(), "nabla-nn-"));
    nn.lossCurve(r.history, { file: path.join(dir, "loss.svg") });
    expect(readFileSync(path.join(dir, "loss.svg"), "utf8").startsWith("<svg")).toBe(true);
    await nn.saveLossCurve(r.history, path.join(dir, "loss.png"));
    expect(readFileSync(path.join(dir, "loss.png")).subarray(1, 4).toString()).toBe("PNG");
    expect(() => nn.lossCurve(r.history, { file: "x.png" })).toThrow("use await nn.saveLossCurve");
  });
});
