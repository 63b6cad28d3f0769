// Rows of the derivative table for the recurrent layers of nb.nn (each direction of each layer a lax.scan):
// the input, the initial state and the weights are the row's arguments, so every one is differentiated.
import * as nb from "nabla";
import { normal, type OpRow, uni } from "./op-domains.js";

type Tensor = nb.Tensor;
const flat = (...ts: Tensor[]) => nb.concatenate(ts.map((t) => nb.reshape(t, [t.size])));
/** Weights in a band where the gates are neither saturated nor linear. */
const w = (r: Parameters<OpRow["args"]>[0], shape: number[]) => uni(r, shape, -0.8, 0.8);

const rnn = nb.nn.RNN(2, 2, { bidirectional: true });
const lstm = nb.nn.LSTM(2, 2);
const lstm2 = nb.nn.LSTM(2, 2, { numLayers: 2, batchFirst: true, bias: false });
const gru = nb.nn.GRU(2, 2, { batchFirst: true });

export const recurrentRows: OpRow[] = [
  {
    name: "nn.RNN (tanh, bidirectional, lengths)",
    fn: (x, wi, wh, bi, bh, wiR, whR, biR, bhR) => {
      const p = { weightIhL0: wi!, weightHhL0: wh!, biasIhL0: bi!, biasHhL0: bh! };
      const q = {
        weightIhL0Reverse: wiR!,
        weightHhL0Reverse: whR!,
        biasIhL0Reverse: biR!,
        biasHhL0Reverse: bhR!,
      };
      const { output, hidden } = rnn.apply({ ...p, ...q }, x!, { lengths: [3, 2] });
      return flat(output, hidden);
    },
    args: (r) => [
      normal(r, [3, 2, 2]),
      ...[0, 1].flatMap(() => [w(r, [2, 2]), w(r, [2, 2]), w(r, [2]), w(r, [2])]),
    ],
    order: 2,
  },
  {
    name: "nn.LSTM (initial state, mask)",
    fn: (x, h0, c0, wi, wh, bi, bh) => {
      const p = { weightIhL0: wi!, weightHhL0: wh!, biasIhL0: bi!, biasHhL0: bh! };
      const mask = [
        [1, 1],
        [0, 1],
        [1, 1],
      ];
      const { output, hidden, cell } = lstm.apply(p, x!, { h0, c0, mask });
      return flat(output, hidden, cell);
    },
    args: (r) => [
      normal(r, [3, 2, 2]),
      w(r, [1, 2, 2]),
      w(r, [1, 2, 2]),
      w(r, [8, 2]),
      w(r, [8, 2]),
      w(r, [8]),
      w(r, [8]),
    ],
    order: 2,
  },
  {
    name: "nn.LSTM (2 layers, batchFirst, no bias)",
    fn: (x, wi0, wh0, wi1, wh1) => {
      const p = { weightIhL0: wi0!, weightHhL0: wh0!, weightIhL1: wi1!, weightHhL1: wh1! };
      const { output, hidden, cell } = lstm2.apply(p, x!);
      return flat(output, hidden, cell);
    },
    args: (r) => [normal(r, [2, 3, 2]), w(r, [8, 2]), w(r, [8, 2]), w(r, [8, 2]), w(r, [8, 2])],
    order: 2,
  },
  {
    name: "nn.GRU (batchFirst, lengths)",
    fn: (x, wi, wh, bi, bh) => {
      const p = { weightIhL0: wi!, weightHhL0: wh!, biasIhL0: bi!, biasHhL0: bh! };
      const { output, hidden } = gru.apply(p, x!, { lengths: [2, 3] });
      return flat(output, hidden);
    },
    args: (r) => [normal(r, [2, 3, 2]), w(r, [6, 2]), w(r, [6, 2]), w(r, [6]), w(r, [6])],
    order: 2,
  },
];
