// Recurrent layers inside nn.Sequential without a cast: the child contributes its output sequence, its
// params sit under its key with PyTorch's names, and the model trains with nn.fit, its step compiled.
import * as nb from "nabla";
import { describe, expect, it, vi } from "vitest";
import { expectClose } from "../util/close.js";

const randn = (seed: number, shape: number[]) =>
  nb.random.normal(nb.random.key(seed), shape, { dtype: "float64" });

describe("recurrent layers in Sequential", () => {
  it("the model equals the layers applied by hand (LSTM output sequence, then Linear)", () => {
    const lstm = nb.nn.LSTM(3, 5, { batchFirst: true, bidirectional: true, dtype: "float64" });
    const head = nb.nn.Linear(10, 2, { dtype: "float64" });
    const model = nb.nn.Sequential([lstm, head]);
    const { params } = model.init(0, [2, 6, 3]);
    expect(Object.keys(params)).toEqual(["0", "1"]);
    expect(Object.keys(params["0"]!)).toContain("weightIhL0Reverse");
    const x = randn(1, [2, 6, 3]);
    const byHand = head.apply(
      params["1"] as nb.nn.LinearParams,
      lstm.apply(params["0"] as nb.nn.RecurrentParams, x).output,
    );
    expectClose(model.apply(params, x), byHand, { atol: 1e-14, rtol: 1e-14 });
    expect(model.outputShape([2, 6, 3])).toEqual([2, 6, 2]);
    expect(nb.nn.summary(model, [2, 6, 3])).toMatch(/LSTM\(3, 5, bidirectional\)\s+\[2,6,10\]/);
  });

  it("named children, stacked recurrent layers and activations compose; gradients flow to every layer", () => {
    const model = nb.nn.Sequential({
      gru: nb.nn.GRU(2, 4, { dtype: "float64" }),
      act: nb.nn.tanh,
      rnn: nb.nn.RNN(4, 3, { dtype: "float64" }),
    });
    const { params } = model.init(1);
    const x = randn(2, [5, 2]); // unbatched [time, features]
    expect(model.apply(params, x).shape).toEqual([5, 3]);
    const g = nb.grad((p: nb.nn.Params) => nb.sum(nb.square(model.apply(p, x))))(params);
    for (const [k, v] of Object.entries(g) as [string, nb.nn.Params][])
      for (const t of Object.values(v)) expect(nb.sum(nb.abs(t as nb.Tensor)).item(), k).toBeGreaterThan(0);
  });

  it("an LSTM sequence model trains with nn.fit, its step compiled (no eager fallback)", () => {
    const model = nb.nn.Sequential([nb.nn.LSTM(1, 8, { batchFirst: true }), nb.nn.Linear(8, 1)]);
    const { params } = model.init(0, [1, 6, 1]);
    // Target: the running sum of the inputs, at every step.
    const x = nb.random.uniform(nb.random.key(3), [64, 6, 1], { minval: -0.5, maxval: 0.5 });
    const y = nb.cumsum(x, { axis: 1 });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const r = nb.nn.fit({
        model,
        params,
        loss: nb.nn.mse,
        optimizer: nb.optim.adam({ learningRate: 0.02 }),
        data: { x, y },
        epochs: 30,
        batchSize: 16,
        silent: true,
      });
      expect(warn).not.toHaveBeenCalled();
      expect(r.history.loss.at(-1)!).toBeLessThan(r.history.loss[0]! / 5);
    } finally {
      warn.mockRestore();
    }
  });
});
