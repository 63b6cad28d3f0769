// Rows of the derivative table for nb.nn's attention (built from nabla ops, no derivative code of its own):
// scaledDotProductAttention with masks and MultiHeadAttention as a function of its input and parameters.
import * as nb from "nabla";
import { fromValues, normal, type OpRow } from "./op-domains.js";

const mha = nb.nn.MultiHeadAttention(4, 2, { batchFirst: true });
const mhaCross = nb.nn.MultiHeadAttention(4, 2, { kdim: 3, vdim: 2, bias: false, batchFirst: true });
// Query 0 sees no key (its output is 0 with zero derivatives); the others see some.
const boolMask = nb.array([
  [false, false, false, false],
  [true, false, true, true],
  [true, true, false, true],
]);
const floatMask = fromValues([0.3, -0.5, 0, 1.2, -1, 0.4, 0.1, -0.2, 0.7, 0, -0.3, 0.5], [3, 4]);
const padding = nb.array([
  [false, false, true],
  [false, false, false],
]);

export const nnAttentionRows: OpRow[] = [
  {
    name: "nn.scaledDotProductAttention (causal, float mask)",
    fn: (q, k, v) => nb.nn.scaledDotProductAttention(q!, k!, v!, { causal: true, mask: floatMask }),
    args: (r) => [normal(r, [2, 3, 2]), normal(r, [2, 4, 2]), normal(r, [2, 4, 3])],
    order: 2,
  },
  {
    name: "nn.scaledDotProductAttention (bool mask with a fully masked row)",
    fn: (q, k, v) => nb.nn.scaledDotProductAttention(q!, k!, v!, { mask: boolMask, scale: 0.7 }),
    args: (r) => [normal(r, [3, 2]), normal(r, [4, 2]), normal(r, [4, 2])],
    order: 2,
  },
  {
    name: "nn.MultiHeadAttention (self-attention, causal, key padding)",
    fn: (x, inW, inB, outW, outB) =>
      mha.apply({ inProjWeight: inW!, inProjBias: inB!, outProj: { weight: outW!, bias: outB! } }, x!, {
        causal: true,
        keyPaddingMask: padding,
        needWeights: false,
      }).output,
    args: (r) => [
      normal(r, [2, 3, 4]),
      normal(r, [12, 4]),
      normal(r, [12]),
      normal(r, [4, 4]),
      normal(r, [4]),
    ],
    order: 2,
  },
  {
    name: "nn.MultiHeadAttention (cross-attention, kdim ≠ vdim, no bias)",
    fn: (x, m, wq, wk, wv, outW) =>
      mhaCross.apply(
        { qProjWeight: wq!, kProjWeight: wk!, vProjWeight: wv!, outProj: { weight: outW! } },
        x!,
        { key: m!, value: nb.slice(m!, [0, 0, 0], [-1, -1, 2]), needWeights: false },
      ).output,
    args: (r) => [
      normal(r, [1, 2, 4]),
      normal(r, [1, 3, 3]),
      normal(r, [4, 4]),
      normal(r, [4, 3]),
      normal(r, [4, 2]),
      normal(r, [4, 4]),
    ],
    order: 2,
  },
];
