// Rows of the derivative table for nb.nn's Conv1d and ConvTranspose2d (conv2d's pad + gather + tensordot,
// no derivative code of their own): the input, the weight and the bias are all differentiated.
import * as nb from "nabla";
import { normal, type OpRow } from "./op-domains.js";

export const nnConvRows: OpRow[] = [
  {
    name: "nn.conv1d (stride, padding, dilation, bias)",
    fn: (x, w, b) => nb.nn.conv1d(x!, w!, { stride: 2, padding: 1, dilation: 2, bias: b }),
    args: (r) => [normal(r, [2, 2, 6]), normal(r, [3, 2, 2]), normal(r, [3])],
    order: 2,
  },
  {
    name: "nn.convTranspose2d (stride, padding, outputPadding, dilation, bias)",
    fn: (x, w, b) =>
      nb.nn.convTranspose2d(x!, w!, {
        stride: [2, 1],
        padding: [1, 0],
        outputPadding: [1, 0],
        dilation: [1, 2],
        bias: b,
      }),
    args: (r) => [normal(r, [1, 2, 3, 2]), normal(r, [2, 2, 2, 2]), normal(r, [2])],
    order: 2,
  },
];
