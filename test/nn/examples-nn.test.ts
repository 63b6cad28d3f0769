// Examples: a network with nb.nn, trained with nb.optim, as a user writes it.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("nb.nn and nb.optim", () => {
  it("builds a model whose parameters are a plain object, and counts them", () => {
    const model = nb.nn.Sequential([nb.nn.Linear(2, 3), nb.nn.relu, nb.nn.Linear(3, 1)]);
    const { params } = model.init(0);
    expect(nb.nn.countParams(nb.nn.Linear(2, 3))).toBe(9);
    expect(nb.nn.countParams(params)).toBe(9 + 4);
    expect(model.apply(params, nb.ones([5, 2])).shape).toEqual([5, 1]);
  });

  it("takes gradient steps with an optax-style optimizer", () => {
    const model = nb.nn.Linear(1, 1);
    let { params } = model.init(0);
    const x = nb.array([[0], [1], [2], [3]]);
    const y = nb.array([[1], [3], [5], [7]]);
    const loss = (p: typeof params) => nb.nn.mse(model.apply(p, x), y);
    const opt = nb.optim.adam({ learningRate: 0.1 });
    let state = opt.init(params);
    const first = loss(params).item();
    for (let i = 0; i < 200; i++) {
      const g = nb.grad(loss)(params);
      const [updates, s] = opt.update(g, state, params);
      params = nb.optim.applyUpdates(params, updates);
      state = s;
    }
    expect(loss(params).item()).toBeLessThan(first / 100);
  });
});
