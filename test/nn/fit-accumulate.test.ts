// nn.fit's accumulateSteps (gradients of k batches averaged before one update) and clipGradNorm (global-norm
// clipping per update): each checked against the training it must equal.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { flatten } from "../../src/core/pytree.js";
import * as nn from "../../src/nn/index.js";
import * as optim from "../../src/optim/index.js";
import { expectTreeClose } from "../util/close.js";

type T = nb.Tensor;
const randn = (seed: number, shape: number[]) =>
  nb.random.normal(nb.random.key(seed), shape, { dtype: "float64" });

/** The Euclidean distance between two param trees. */
function distance(p: nn.Params, q: nn.Params): number {
  const a = flatten(p)[0] as T[];
  const b = flatten(q)[0] as T[];
  return Math.sqrt(a.reduce((s, t, i) => s + nb.sum(nb.square(nb.sub(t, b[i]!))).item(), 0));
}

const model = nn.Sequential([
  nn.Linear(3, 4, { dtype: "float64" }),
  nn.tanh,
  nn.Linear(4, 2, { dtype: "float64" }),
]);
const init = model.init(0, [1, 3]).params;

function train(n: number, options: Partial<nn.FitOptions>): nn.FitResult {
  return nn.fit({
    model,
    params: init,
    loss: nn.mse,
    optimizer: optim.sgd({ learningRate: 0.3 }),
    data: { x: randn(1, [n, 3]), y: randn(2, [n, 2]) },
    shuffle: false,
    silent: true,
    ...options,
  });
}

describe("fit: accumulateSteps", () => {
  it("k batches accumulated equal one step on their concatenation (mean loss)", () => {
    for (const jit of [true, false]) {
      const acc = train(8, { batchSize: 2, accumulateSteps: 4, jit });
      const whole = train(8, { batchSize: 8 });
      expect(acc.history.steps).toBe(1);
      expect(acc.history.stepLoss).toHaveLength(1);
      expect(acc.history.stepLoss[0]).toBeCloseTo(whole.history.stepLoss[0]!, 12);
      expect(acc.history.loss[0]).toBeCloseTo(whole.history.loss[0]!, 12);
      expectTreeClose(acc.params, whole.params, { atol: 1e-12 });
    }
  });

  it("batches of unequal size are weighted by their size", () => {
    const acc = train(7, { batchSize: 3, accumulateSteps: 3 }); // 3 + 3 + 1
    expectTreeClose(acc.params, train(7, { batchSize: 7 }).params, { atol: 1e-12 });
  });

  it("a last, shorter group is applied at the end of each epoch", () => {
    // 10 examples in batches of 2, groups of 3 batches: updates on examples 0–5 and 6–9, every epoch.
    const acc = train(10, { batchSize: 2, accumulateSteps: 3, epochs: 3 });
    const big = train(10, { batchSize: 6, epochs: 3 });
    expect(acc.history.steps).toBe(6);
    expectTreeClose(acc.params, big.params, { atol: 1e-12 });
    expectTreeClose(acc.optState, big.optState, { atol: 1e-12 });
  });

  it("with adam and shuffling: equal to one step per group of the same shuffled batches", () => {
    const opts = { optimizer: optim.adam({ learningRate: 0.01 }), shuffle: true, epochs: 2, seed: 3 };
    const acc = train(12, { ...opts, batchSize: 3, accumulateSteps: 4 });
    // The shuffled order depends only on the seed, so batches of 12 see the same examples per epoch.
    const big = train(12, { ...opts, batchSize: 12 });
    expectTreeClose(acc.params, big.params, { atol: 1e-10 });
  });

  it("a non-finite loss in a group: stops, or skips that batch", () => {
    const logLoss = (o: T, y: T) => nb.mean(nb.log(nb.add(nb.sum(nb.mul(o, y)), 0.1)));
    const warn: string[] = [];
    const r = train(8, {
      batchSize: 2,
      accumulateSteps: 2,
      loss: logLoss,
      onNonFinite: "stop",
      silent: false,
      log: (l) => warn.push(l),
    });
    expect(r.history.stopReason).toBe("non-finite");
    const skipped = train(8, {
      batchSize: 2,
      accumulateSteps: 2,
      loss: logLoss,
      onNonFinite: "skip",
      silent: false,
      log: (l) => warn.push(l),
    });
    expect(skipped.history.stopReason).toBe("completed");
    expect(warn.some((l) => l.includes("(skipped)"))).toBe(true);
    expect(() => train(8, { batchSize: 2, accumulateSteps: 2, loss: logLoss })).toThrow(
      nn.NonFiniteLossError,
    );
  });

  it("rejects a bad value", () => {
    expect(() => train(4, { accumulateSteps: 0 })).toThrow(
      "fit: accumulateSteps must be a positive integer, got 0",
    );
    expect(() => train(4, { accumulateSteps: 1.5 })).toThrow(
      "fit: accumulateSteps must be a positive integer",
    );
  });
});

describe("fit: clipGradNorm", () => {
  it("equals chaining optim.clipByGlobalNorm before the optimizer", () => {
    const adam = () => optim.adam({ learningRate: 0.05 });
    for (const jit of [true, false]) {
      const clipped = train(16, { batchSize: 4, epochs: 2, optimizer: adam(), clipGradNorm: 0.05, jit });
      const chained = train(16, {
        batchSize: 4,
        epochs: 2,
        optimizer: optim.chain(optim.clipByGlobalNorm(0.05), adam()),
        jit,
      });
      expectTreeClose(clipped.params, chained.params, { atol: 1e-12 });
      // The bound binds: without it the result differs.
      const free = train(16, { batchSize: 4, epochs: 2, optimizer: adam() });
      expect(distance(free.params, clipped.params)).toBeGreaterThan(1e-3);
    }
  });

  it("clips the accumulated gradient, once per update", () => {
    const sgd = optim.sgd({ learningRate: 0.3 });
    const acc = train(8, { batchSize: 2, accumulateSteps: 4, clipGradNorm: 0.01 });
    const whole = train(8, { batchSize: 8, optimizer: optim.chain(optim.clipByGlobalNorm(0.01), sgd) });
    expectTreeClose(acc.params, whole.params, { atol: 1e-12 });
    // The step is exactly 0.3 · 0.01 long in parameter space.
    expect(distance(acc.params, init)).toBeCloseTo(0.003, 12);
  });

  it("rejects a bad value", () => {
    expect(() => train(4, { clipGradNorm: 0 })).toThrow("fit: clipGradNorm must be a positive number, got 0");
  });
});
