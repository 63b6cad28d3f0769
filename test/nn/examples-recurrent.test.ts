// Examples: recurrent layers (nb.nn.RNN, nb.nn.LSTM, nb.nn.GRU) as a user writes them.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("recurrent layers", () => {
  it("runs an LSTM over a padded batch and reads the last states", () => {
    const options: nb.nn.RecurrentOptions = { batchFirst: true, bidirectional: true };
    const lstm: nb.nn.RecurrentLayer<nb.nn.LSTMOutput> = nb.nn.LSTM(8, 16, options);
    const { params } = lstm.init(0);
    const x = nb.random.normal(nb.random.key(1), [4, 10, 8]); // [batch, time, features]
    const padded: nb.nn.RecurrentApplyOptions = { lengths: [10, 7, 3, 1] }; // or a mask [batch, time]
    const { output, hidden, cell } = lstm.apply(params, x, padded);
    expect(output.shape).toEqual([4, 10, 32]); // both directions, concatenated
    expect(hidden.shape).toEqual([2, 4, 16]); // h_n of each direction
    expect(cell.shape).toEqual([2, 4, 16]);
    expect(Object.keys(params)).toContain("weightIhL0Reverse"); // PyTorch's names: weight_ih_l0_reverse
  });

  it("stacks GRU layers and continues from a state", () => {
    const gru = nb.nn.GRU(4, 6, { numLayers: 2 });
    const { params } = gru.init(0);
    const first = gru.apply(params, nb.ones([5, 3, 4])); // [time, batch, features]
    const next = gru.apply(params, nb.ones([5, 3, 4]), { h0: first.hidden });
    expect(next.output.shape).toEqual([5, 3, 6]);
    expect(gru.apply(params, nb.ones([5, 4])).output.shape).toEqual([5, 6]); // unbatched
  });

  it("trains an RNN under jit: one compiled loop per direction", () => {
    const rnnOptions: nb.nn.RNNOptions = { nonlinearity: "tanh" };
    const rnn = nb.nn.RNN(1, 8, rnnOptions);
    const head = nb.nn.Linear(8, 1);
    let params = { rnn: rnn.init(0).params, head: head.init(1).params };
    const x = nb.reshape(nb.sin(nb.linspace(0, 6, 20)), [20, 1, 1]);
    const loss = (p: { rnn: nb.nn.RecurrentParams; head: nb.nn.LinearParams }) => {
      const { hidden }: nb.nn.RecurrentOutput = rnn.apply(p.rnn, x);
      return nb.nn.mse(head.apply(p.head, nb.squeeze(hidden, 0)), nb.array([[0.5]]));
    };
    const step = nb.jit(nb.valueAndGrad(loss));
    const opt = nb.optim.adam({ learningRate: 0.05 });
    let state = opt.init(params);
    const first = loss(params).item();
    for (let i = 0; i < 30; i++) {
      const [, g] = step(params);
      const [u, s] = opt.update(g, state, params);
      params = nb.optim.applyUpdates(params, u);
      state = s;
    }
    expect(loss(params).item()).toBeLessThan(first / 10);
  });
});
