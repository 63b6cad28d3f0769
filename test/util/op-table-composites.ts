// Rows of the derivative table for the composite public ops (built from primitives, no derivative code).
import * as nb from "nabla";
import { bands, distinct, nonzero, normal, type OpRow, S, separated, uni } from "./op-domains.js";

const checkpointed = nb.checkpoint((x: nb.Tensor, y: nb.Tensor) => nb.tanh(nb.mul(nb.sin(x), y)));
// sin(x)·y with its VJP written by hand: the residuals are x and y, the backward pass uses them at every order.
const sinTimes = nb.customVjp(
  (x: nb.Tensor, y: nb.Tensor) => nb.mul(nb.sin(x), y),
  (x: nb.Tensor, y: nb.Tensor) => [nb.mul(nb.sin(x), y), [x, y] as const],
  ([x, y], ct) => [nb.mul(ct, nb.mul(nb.cos(x), y)), nb.mul(ct, nb.sin(x))],
);

// ---- composite rows ---------------------------------------------------------------------------------------

export const composites: OpRow[] = [
  { name: "nb.add (number operand)", fn: (x) => nb.add(x, 2.5), args: (r) => [normal(r, S)] },
  { name: "nb.sub", fn: (x, y) => nb.sub(x, y), args: (r) => [normal(r, [3, 1]), normal(r, [4])] },
  { name: "nb.mul (number operand)", fn: (x) => nb.mul(-1.5, x), args: (r) => [normal(r, S)] },
  { name: "nb.div (number numerator)", fn: (x) => nb.div(2, x), args: (r) => [nonzero(r, S)] },
  { name: "nb.pow (number exponent)", fn: (x) => nb.pow(x, 2.5), args: (r) => [uni(r, S, 0.5, 2)] },
  { name: "nb.square", fn: (x) => nb.square(x), args: (r) => [normal(r, S)] },
  { name: "nb.sigmoid", fn: (x) => nb.sigmoid(x), args: (r) => [uni(r, S, -3, 3)] },
  { name: "nb.relu", fn: (x) => nb.relu(x), args: (r) => [nonzero(r, S)] },
  { name: "nb.leakyRelu", fn: (x) => nb.leakyRelu(x, 0.1), args: (r) => [nonzero(r, S)] },
  { name: "nb.elu", fn: (x) => nb.elu(x, 1.5), args: (r) => [nonzero(r, S)] },
  { name: "nb.gelu (erf)", fn: (x) => nb.gelu(x), args: (r) => [uni(r, S, -3, 3)] },
  { name: "nb.gelu (tanh)", fn: (x) => nb.gelu(x, { approximate: true }), args: (r) => [uni(r, S, -3, 3)] },
  { name: "nb.softplus", fn: (x) => nb.softplus(x), args: (r) => [nonzero(r, S)] },
  // The custom_linear primitive (residuals as inputs, closures for its map and transpose).
  {
    name: "custom_linear (through nb.customVjp)",
    fn: (x, y) => sinTimes(x, y),
    args: (r) => [normal(r, S), normal(r, S)],
    // A custom VJP defines reverse mode only.
    modes: ["rev"],
  },
  // A rematerialized jit_call: reverse mode keeps its operands and reruns its program.
  {
    name: "nb.checkpoint",
    fn: (x, y) => checkpointed(x, y),
    args: (r) => [normal(r, S), normal(r, S)],
  },
  {
    name: "nb.clip (tensor bounds)",
    fn: (x, lo, hi) => nb.clip(x, lo, hi),
    args: (r) => [
      bands(
        r,
        [3, 4],
        [
          [-2, -0.8],
          [-0.3, 0.3],
          [0.8, 2],
        ],
      ),
      uni(r, [3, 1], -0.6, -0.4),
      uni(r, [4], 0.4, 0.6),
    ],
  },
  { name: "nb.clip (number bounds)", fn: (x) => nb.clip(x, -0.5, 0.5), args: (r) => [nonzero(r, S)] },
  {
    name: "nb.where",
    fn: (p, x, y) => nb.where(nb.greater(p, 0), x, y),
    args: (r) => [nonzero(r, [4]), normal(r, [3, 1]), normal(r, [3, 4])],
  },
  { name: "nb.maximum", fn: (x, y) => nb.maximum(x, y), args: (r) => separated(r, [3, 1], [4]) },
  { name: "nb.minimum", fn: (x, y) => nb.minimum(x, y), args: (r) => separated(r, [3, 4], [4]) },
  { name: "nb.atan2", fn: (y, x) => nb.atan2(y, x), args: (r) => [nonzero(r, [3, 1]), nonzero(r, [4])] },
  { name: "nb.atan2 (scalars)", fn: (y, x) => nb.atan2(y, x), args: (r) => [nonzero(r, []), nonzero(r, [])] },
  { name: "nb.sum", fn: (x) => nb.sum(x), args: (r) => [normal(r, [2, 3, 4])] },
  {
    name: "nb.sum (axis, keepdims)",
    fn: (x) => nb.sum(x, { axis: -1, keepdims: true }),
    args: (r) => [normal(r, [2, 3, 4])],
  },
  { name: "nb.mean (axes)", fn: (x) => nb.mean(x, { axis: [0, 2] }), args: (r) => [normal(r, [2, 3, 4])] },
  { name: "nb.prod", fn: (x) => nb.prod(x, { axis: 0 }), args: (r) => [nonzero(r, S)] },
  { name: "nb.max", fn: (x) => nb.max(x), args: (r) => [distinct(r, S)] },
  {
    name: "nb.max (axis, keepdims)",
    fn: (x) => nb.max(x, { axis: 1, keepdims: true }),
    args: (r) => [distinct(r, S)],
  },
  { name: "nb.min (axis)", fn: (x) => nb.min(x, { axis: 0 }), args: (r) => [distinct(r, S)] },
  { name: "nb.variance", fn: (x) => nb.variance(x), args: (r) => [normal(r, S)] },
  {
    name: "nb.variance (axis, ddof 1)",
    fn: (x) => nb.variance(x, { axis: 1, ddof: 1 }),
    args: (r) => [normal(r, S)],
  },
  { name: "nb.std (axis)", fn: (x) => nb.std(x, { axis: 0 }), args: (r) => [normal(r, S)] },
  { name: "nb.logSumExp", fn: (x) => nb.logSumExp(x), args: (r) => [uni(r, S, -2, 2)] },
  {
    name: "nb.logSumExp (axis, keepdims)",
    fn: (x) => nb.logSumExp(x, { axis: 0, keepdims: true }),
    args: (r) => [uni(r, S, -2, 2)],
  },
  { name: "nb.cumsum (flattened)", fn: (x) => nb.cumsum(x), args: (r) => [normal(r, S)] },
  {
    name: "nb.cumsum (axis, reverse)",
    fn: (x) => nb.cumsum(x, { axis: -1, reverse: true }),
    args: (r) => [normal(r, S)],
  },
  { name: "nb.norm (2)", fn: (x) => nb.norm(x), args: (r) => [normal(r, S)] },
  {
    name: "nb.norm (fro, axis)",
    fn: (x) => nb.norm(x, { ord: "fro", axis: 1 }),
    args: (r) => [normal(r, S)],
  },
  { name: "nb.norm (1)", fn: (x) => nb.norm(x, { ord: 1 }), args: (r) => [nonzero(r, S)] },
  {
    name: "nb.norm (Infinity, axis)",
    fn: (x) => nb.norm(x, { ord: Number.POSITIVE_INFINITY, axis: 1 }),
    args: (r) => [distinct(r, S, 0.3, 3)],
  },
  {
    name: "nb.norm (-Infinity)",
    fn: (x) => nb.norm(x, { ord: Number.NEGATIVE_INFINITY }),
    args: (r) => [distinct(r, S, 0.3, 3)],
  },
  {
    name: "nb.norm (3, keepdims)",
    fn: (x) => nb.norm(x, { ord: 3, keepdims: true }),
    args: (r) => [nonzero(r, S)],
  },
  { name: "nb.norm (1.5)", fn: (x) => nb.norm(x, { ord: 1.5, axis: 0 }), args: (r) => [nonzero(r, S)] },
  { name: "nb.matmul", fn: (x, y) => nb.matmul(x, y), args: (r) => [normal(r, [3, 4]), normal(r, [4, 2])] },
  {
    name: "nb.matmul (3-D @ 2-D)",
    fn: (x, y) => nb.matmul(x, y),
    args: (r) => [normal(r, [2, 3, 4]), normal(r, [4, 2])],
  },
  {
    name: "nb.matmul (batched, broadcasting)",
    fn: (x, y) => nb.matmul(x, y),
    args: (r) => [normal(r, [2, 1, 3, 4]), normal(r, [3, 4, 2])],
  },
  {
    name: "nb.matmul (1-D @ 2-D)",
    fn: (x, y) => nb.matmul(x, y),
    args: (r) => [normal(r, [4]), normal(r, [4, 2])],
  },
  {
    name: "nb.matmul (2-D @ 1-D)",
    fn: (x, y) => nb.matmul(x, y),
    args: (r) => [normal(r, [3, 4]), normal(r, [4])],
  },
  {
    name: "nb.matmul (1-D @ 1-D)",
    fn: (x, y) => nb.matmul(x, y),
    args: (r) => [normal(r, [4]), normal(r, [4])],
  },
  {
    name: "nb.matmul (1-D @ 3-D)",
    fn: (x, y) => nb.matmul(x, y),
    args: (r) => [normal(r, [4]), normal(r, [2, 4, 3])],
  },
  {
    name: "nb.matmul (3-D @ 1-D)",
    fn: (x, y) => nb.matmul(x, y),
    args: (r) => [normal(r, [2, 3, 4]), normal(r, [4])],
  },
  {
    name: "nb.matmul ([1,4] @ [4,1])",
    fn: (x, y) => nb.matmul(x, y),
    args: (r) => [normal(r, [1, 4]), normal(r, [4, 1])],
  },
  { name: "nb.dot (vectors)", fn: (x, y) => nb.dot(x, y), args: (r) => [normal(r, [4]), normal(r, [4])] },
  {
    name: "nb.dot (matrices)",
    fn: (x, y) => nb.dot(x, y),
    args: (r) => [normal(r, [3, 4]), normal(r, [4, 2])],
  },
  {
    name: "nb.dot (2-D · 3-D)",
    fn: (x, y) => nb.dot(x, y),
    args: (r) => [normal(r, [3, 4]), normal(r, [2, 4, 3])],
  },
  { name: "nb.outer", fn: (x, y) => nb.outer(x, y), args: (r) => [normal(r, [3]), normal(r, [2, 2])] },
  {
    name: "nb.tensordot (axes 1)",
    fn: (x, y) => nb.tensordot(x, y, 1),
    args: (r) => [normal(r, [2, 3]), normal(r, [3, 4])],
  },
  {
    name: "nb.tensordot (axes 2)",
    fn: (x, y) => nb.tensordot(x, y),
    args: (r) => [normal(r, [2, 3, 4]), normal(r, [3, 4, 2])],
  },
  {
    name: "nb.tensordot (explicit pairs)",
    fn: (x, y) =>
      nb.tensordot(x, y, [
        [0, 2],
        [1, 0],
      ]),
    args: (r) => [normal(r, [2, 3, 4]), normal(r, [4, 2])],
  },
  { name: 'nb.einsum ("ii->i")', fn: (x) => nb.einsum("ii->i", x), args: (r) => [normal(r, [3, 3])] },
  {
    name: 'nb.einsum ("ii", implicit trace)',
    fn: (x) => nb.einsum("ii", x),
    args: (r) => [normal(r, [3, 3])],
  },
  {
    name: 'nb.einsum ("ij,jk->ik")',
    fn: (x, y) => nb.einsum("ij,jk->ik", x, y),
    args: (r) => [normal(r, [3, 4]), normal(r, [4, 2])],
  },
  {
    name: 'nb.einsum ("bij,bjk->bik")',
    fn: (x, y) => nb.einsum("bij,bjk->bik", x, y),
    args: (r) => [normal(r, [2, 3, 4]), normal(r, [2, 4, 2])],
  },
  {
    name: 'nb.einsum ("...ij,...jk->...ik", broadcasting)',
    fn: (x, y) => nb.einsum("...ij,...jk->...ik", x, y),
    args: (r) => [normal(r, [2, 3, 4]), normal(r, [4, 2])],
  },
  {
    name: 'nb.einsum ("...ij,...jk->...ik", size-1 batch dim stretched)',
    fn: (x, y) => nb.einsum("...ij,...jk->...ik", x, y),
    args: (r) => [normal(r, [1, 3, 4]), normal(r, [2, 4, 2])],
  },
  {
    name: 'nb.einsum ("ij,ij->ij", elementwise)',
    fn: (x, y) => nb.einsum("ij,ij->ij", x, y),
    args: (r) => [normal(r, S), normal(r, S)],
  },
  {
    name: 'nb.einsum ("i,j->ij", outer)',
    fn: (x, y) => nb.einsum("i,j->ij", x, y),
    args: (r) => [normal(r, [3]), normal(r, [4])],
  },
  {
    name: 'nb.einsum ("iij->j", diagonal then sum)',
    fn: (x) => nb.einsum("iij->j", x),
    args: (r) => [normal(r, [3, 3, 2])],
  },
  {
    name: 'nb.einsum ("ij,jk", implicit output)',
    fn: (x, y) => nb.einsum("ij,jk", x, y),
    args: (r) => [normal(r, [3, 4]), normal(r, [4, 2])],
  },
  {
    name: 'nb.einsum ("ij,jk,kl->il", three operands)',
    fn: (x, y, z) => nb.einsum("ij,jk,kl->il", x, y, z),
    args: (r) => [normal(r, [2, 3]), normal(r, [3, 4]), normal(r, [4, 2])],
  },
  {
    name: 'nb.einsum ("bi,bi->b")',
    fn: (x, y) => nb.einsum("bi,bi->b", x, y),
    args: (r) => [normal(r, S), normal(r, S)],
  },
  { name: 'nb.einsum ("ij->ji")', fn: (x) => nb.einsum("ij->ji", x), args: (r) => [normal(r, S)] },
  {
    name: 'nb.einsum ("ij,j->i")',
    fn: (x, y) => nb.einsum("ij,j->i", x, y),
    args: (r) => [normal(r, S), normal(r, [4])],
  },
  { name: "nb.trace", fn: (x) => nb.trace(x), args: (r) => [normal(r, [3, 3])] },
  { name: "nb.trace (rectangular, 3-D)", fn: (x) => nb.trace(x), args: (r) => [normal(r, [3, 4, 2])] },
  { name: "nb.diag (vector → matrix)", fn: (x) => nb.diag(x), args: (r) => [normal(r, [3])] },
  { name: "nb.diag (matrix → vector)", fn: (x) => nb.diag(x), args: (r) => [normal(r, S)] },
  { name: "nb.reshape (-1)", fn: (x) => nb.reshape(x, [2, -1]), args: (r) => [normal(r, S)] },
  { name: "nb.transpose (default)", fn: (x) => nb.transpose(x), args: (r) => [normal(r, [2, 3, 4])] },
  {
    name: "nb.transpose (negative perm)",
    fn: (x) => nb.transpose(x, [1, -1, 0]),
    args: (r) => [normal(r, [2, 3, 4])],
  },
  { name: "nb.expandDims", fn: (x) => nb.expandDims(x, -1), args: (r) => [normal(r, S)] },
  { name: "nb.squeeze", fn: (x) => nb.squeeze(x), args: (r) => [normal(r, [3, 1, 4, 1])] },
  { name: "nb.broadcastTo", fn: (x) => nb.broadcastTo(x, [2, 3, 4]), args: (r) => [normal(r, [3, 1])] },
  {
    name: "nb.concatenate (axis -1)",
    fn: (x, y) => nb.concatenate([x, y], -1),
    args: (r) => [normal(r, [3, 2]), normal(r, [3, 3])],
  },
  {
    name: "nb.stack (axis 1)",
    fn: (x, y, z) => nb.stack([x, y, z], 1),
    args: (r) => [normal(r, S), normal(r, S), normal(r, S)],
  },
  { name: "nb.split (middle of 3)", fn: (x) => nb.split(x, 3, 1)[1]!, args: (r) => [normal(r, [2, 6])] },
  { name: "nb.split (at indices)", fn: (x) => nb.split(x, [1, 3])[2]!, args: (r) => [normal(r, [4, 3])] },
  { name: "nb.slice", fn: (x) => nb.slice(x, [1, -3], [2, 2]), args: (r) => [normal(r, S)] },
  {
    name: "nb.take (axis 1, repeats and negatives)",
    fn: (x) => nb.take(x, [3, -4, 3], 1),
    args: (r) => [normal(r, S)],
  },
  {
    name: "nb.take (flattened)",
    fn: (x) =>
      nb.take(x, [
        [0, 11],
        [5, 5],
      ]),
    args: (r) => [normal(r, S)],
  },
  {
    name: "nb.take (indices from argmin of another input)",
    fn: (y, x) => nb.take(y, nb.argmin(x, { axis: 0 }), 1),
    args: (r) => [normal(r, [2, 4]), distinct(r, [4, 3])],
  },
  {
    name: "nb.pad (value 1.5)",
    fn: (x) =>
      nb.pad(
        x,
        [
          [1, 0],
          [2, 1],
        ],
        1.5,
      ),
    args: (r) => [normal(r, [2, 3])],
  },
  { name: "nb.flip (axis)", fn: (x) => nb.flip(x, 1), args: (r) => [normal(r, S)] },
  { name: "nb.flip (all)", fn: (x) => nb.flip(x), args: (r) => [normal(r, [2, 3, 2])] },
  { name: "nb.tile", fn: (x) => nb.tile(x, [2, 1, 2]), args: (r) => [normal(r, [2, 3])] },
  { name: "nb.softmax", fn: (x) => nb.softmax(x), args: (r) => [uni(r, S, -2, 2)] },
  { name: "nb.softmax (axis 0)", fn: (x) => nb.softmax(x, 0), args: (r) => [uni(r, S, -2, 2)] },
  { name: "nb.logSoftmax", fn: (x) => nb.logSoftmax(x), args: (r) => [uni(r, S, -2, 2)] },
  {
    name: "nb.logSoftmax (axes [0,1])",
    fn: (x) => nb.logSoftmax(x, [0, 1]),
    args: (r) => [uni(r, [2, 3, 2], -2, 2)],
  },
];
