// Rows of the derivative table for the conv primitive and for nb.nn's conv2d, Conv1d and ConvTranspose2d,
// which are built on it (the input, the weight and the bias are all differentiated), and for max pooling.
import * as nb from "nabla";
import { conv } from "../../src/primitives/conv.js";
import { distinct, normal, type OpRow } from "./op-domains.js";

export const nnConvRows: OpRow[] = [
  {
    name: "conv (unit strides, padding 1)",
    fn: (x, w) =>
      conv(x!, w!, { strides: [1, 1], padLo: [1, 1], padHi: [1, 1], dilation: [1, 1], lhsDilation: [1, 1] }),
    args: (r) => [normal(r, [2, 2, 4, 4]), normal(r, [3, 2, 3, 3])],
  },
  {
    name: "conv (strides, dilation, uneven padding, windows that leave input rows unread)",
    fn: (x, w) =>
      conv(x!, w!, { strides: [2, 3], padLo: [1, 0], padHi: [0, 2], dilation: [1, 2], lhsDilation: [1, 1] }),
    args: (r) => [normal(r, [2, 2, 6, 7]), normal(r, [2, 2, 2, 2])],
  },
  {
    name: "conv (a dilated input, as a transposed convolution's, with strides and padding)",
    fn: (x, w) =>
      conv(x!, w!, { strides: [1, 2], padLo: [2, 0], padHi: [1, 1], dilation: [1, 1], lhsDilation: [2, 3] }),
    args: (r) => [normal(r, [1, 2, 3, 3]), normal(r, [2, 2, 2, 3])],
  },
  {
    name: "nn.conv2d (stride 2, same padding, bias)",
    fn: (x, w, b) => nb.nn.conv2d(x!, w!, { stride: 2, padding: "same", bias: b }),
    args: (r) => [normal(r, [1, 2, 5, 5]), normal(r, [2, 2, 3, 3]), normal(r, [2])],
    order: 2,
  },
  {
    name: "nn.maxPool2d (tiling 2×2 windows as maxima of strided views, a cropped remainder)",
    fn: (x) => nb.nn.maxPool2d(x!, 2),
    args: (r) => [distinct(r, [2, 2, 4, 5])],
  },
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
