// The derivative table: one row per primitive and per composite public op, each with inputs drawn from the
// op's domain, driven by test/primitives/derivatives.test.ts. Composite rows live in op-table-composites.ts,
// those of nb.linalg in op-table-linalg.ts.
import * as nb from "nabla";
import * as lax from "../../src/primitives/lax.js";
import { applyUnary, UNARY, UNARY_PRIMS } from "../../src/primitives/unary.js";
import {
  asFloat,
  bands,
  c,
  distinct,
  fromValues,
  ints,
  nonzero,
  normal,
  type OpRow,
  offInteger,
  S,
  separated,
  type Tensor,
  unaryRow,
  uni,
} from "./op-domains.js";
import { composites } from "./op-table-composites.js";
import { linalgComposites } from "./op-table-linalg.js";
import { nnAttentionRows } from "./op-table-nn-attention.js";
import { nnConvRows } from "./op-table-nn-conv.js";
import { recurrentRows } from "./op-table-nn-recurrent.js";

export type { OpRow } from "./op-domains.js";

// ---- primitive rows ---------------------------------------------------------------------------------------

const unaryPrims: OpRow[] = [
  // Every unary primitive of the family, on the inputs its declaration names (discrete ones shifted by
  // random integers, so floor, ceil and round are checked away from their steps on both signs).
  ...UNARY_PRIMS.filter((p) => p !== "stop_gradient").map((p) => {
    const row = UNARY[p];
    return unaryRow(
      p,
      (x) => applyUnary(p, x),
      (r) => (row.discrete ? offInteger(r, S, row.domain) : bands(r, S, row.domain)),
    );
  }),
  // stop_gradient's own derivative (0) disagrees with finite differences (1) by design, so it is checked
  // inside a function whose value does not depend on the stopped quantity: a hand-written logSoftmax with
  // a stopped shift. Its zero derivative is asserted directly in derivatives.test.ts.
  unaryRow(
    "stop_gradient (in a shift-invariant function)",
    (x) => {
      const m = lax.broadcastInDim(lax.stopGradient(lax.reduceMax(x, [1])), x.shape, [0]);
      const z = lax.sub(x, m);
      return lax.sub(z, lax.broadcastInDim(lax.log(lax.reduceSum(lax.exp(z), [1])), x.shape, [0]));
    },
    (r) => uni(r, S, -2, 2),
  ),
];

const cmp = (name: string, op: (x: Tensor, y: Tensor) => Tensor): OpRow => ({
  name: `${name} (times x − y)`,
  fn: (x, y) => lax.mul(asFloat(op(x, y), x), lax.sub(x, y)),
  args: (r) => separated(r, [3, 1], [4]),
});

const binaryPrims: OpRow[] = [
  { name: "add", fn: lax.add, args: (r) => [normal(r, [3, 1]), normal(r, [4])] },
  { name: "sub", fn: lax.sub, args: (r) => [normal(r, [4]), normal(r, [3, 4])] },
  { name: "mul (scalar × matrix)", fn: lax.mul, args: (r) => [normal(r, []), normal(r, S)] },
  { name: "mul", fn: lax.mul, args: (r) => [normal(r, [3, 1]), normal(r, [1, 4])] },
  { name: "div", fn: lax.div, args: (r) => [normal(r, [3, 4]), nonzero(r, [4])] },
  { name: "pow", fn: lax.pow, args: (r) => [uni(r, [3, 1], 0.5, 2), uni(r, [4], -1.5, 2)] },
  {
    name: "pow (constant integer exponent, negative base)",
    fn: (x) => lax.pow(x, c(x, 3)),
    args: (r) => [nonzero(r, S)],
  },
  {
    name: "pow (constant exponents [0,1,2,3], negative base)",
    fn: (x) => lax.pow(x, asFloat(nb.array(Int32Array.from([0, 1, 2, 3])), x)),
    args: (r) => [nonzero(r, S)],
  },
  {
    // x⁰, x¹, x², x³ are smooth at x = 0; their derivatives there must not become NaN at any order.
    name: "pow (constant exponents [0,1,2,3], base with zeros)",
    fn: (x) => lax.pow(x, asFloat(nb.array(Int32Array.from([0, 1, 2, 3])), x)),
    args: (r) => [nb.concatenate([nb.zeros([1, 4], { dtype: "float64" }), nonzero(r, [2, 4])])],
  },
  { name: "max", fn: lax.max, args: (r) => separated(r, [3, 1], [4]) },
  { name: "min", fn: lax.min, args: (r) => separated(r, [4], [3, 1]) },
  { name: "atan2", fn: lax.atan2, args: (r) => [nonzero(r, [3, 4]), nonzero(r, [4])] },
  ...[0, 1, 3].map(
    (n): OpRow => ({
      name: `polygamma (order ${n}, differentiated in x)`,
      fn: (x) => lax.polygamma(c(x, n), x),
      args: (r) => [uni(r, S, 0.5, 4)],
    }),
  ),
  {
    name: "select_n",
    fn: (p, t, f) => lax.select(lax.gt(p, c(p, 0)), t, f),
    args: (r) => [nonzero(r, [3, 1]), normal(r, [3, 4]), normal(r, [4])],
  },
  cmp("eq", (x, y) => lax.eq(lax.floor(x), lax.floor(y))),
  cmp("ne", (x, y) => lax.ne(lax.floor(x), lax.floor(y))),
  cmp("lt", lax.lt),
  cmp("le", lax.le),
  cmp("gt", lax.gt),
  cmp("ge", lax.ge),
];

const otherPrims: OpRow[] = [
  {
    name: "convert_element_type (weak flag only)",
    fn: (x) => lax.convert(x, x.dtype, !x.aval.weak),
    args: (r) => [normal(r, S)],
  },
  {
    name: "convert_element_type (to int32 and back, times x)",
    fn: (x) => lax.mul(x, asFloat(lax.convert(x, "int32"), x)),
    args: (r) => [offInteger(r, S, [[0.2, 0.8]])],
  },
  {
    // Rounding to float32 makes finite differences noisy at small steps; the map is linear, so a large
    // step is exact up to that rounding.
    name: "convert_element_type (through float32)",
    fn: (x) => lax.convert(lax.convert(x, "float32"), x.dtype),
    args: (r) => [normal(r, S)],
    tol: { atol: 1e-4, rtol: 1e-4, eps: 1e-2 },
  },
  { name: "reduce_sum", fn: (x) => lax.reduceSum(x, [0, 2]), args: (r) => [normal(r, [2, 3, 4])] },
  { name: "reduce_sum (size-1 axis)", fn: (x) => lax.reduceSum(x, [1]), args: (r) => [normal(r, [3, 1, 2])] },
  { name: "reduce_max", fn: (x) => lax.reduceMax(x, [1]), args: (r) => [distinct(r, S)] },
  { name: "reduce_max (all axes)", fn: (x) => lax.reduceMax(x, [0, 1]), args: (r) => [distinct(r, S)] },
  { name: "reduce_min", fn: (x) => lax.reduceMin(x, [0]), args: (r) => [distinct(r, S)] },
  { name: "reduce_prod", fn: (x) => lax.reduceProd(x, [1]), args: (r) => [nonzero(r, S)] },
  {
    name: "reduce_prod (two axes)",
    fn: (x) => lax.reduceProd(x, [0, 2]),
    args: (r) => [
      bands(
        r,
        [2, 3, 2],
        [
          [-1.5, -0.5],
          [0.5, 1.5],
        ],
      ),
    ],
  },
  {
    // Π over a row with zeros: ∂/∂xᵢ is the product of the others, which the rule must not compute as y/xᵢ.
    name: "reduce_prod (with zeros)",
    fn: (x) => lax.reduceProd(x, [1]),
    args: (r) => [nb.mul(nonzero(r, S), fromValues([0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 1, 1], S))],
  },
  {
    name: "argmax (times the max)",
    fn: (x) => lax.mul(asFloat(lax.argmax(x, 1), x), lax.reduceMax(x, [1])),
    args: (r) => [distinct(r, S)],
  },
  {
    name: "argmin (times the column)",
    fn: (x) => lax.mul(asFloat(lax.argmin(x, 0), x), x),
    args: (r) => [distinct(r, S)],
  },
  { name: "cumsum", fn: (x) => lax.cumsum(x, 1), args: (r) => [normal(r, S)] },
  { name: "cumsum (reverse)", fn: (x) => lax.cumsum(x, 0, true), args: (r) => [normal(r, S)] },
  {
    name: "dot_general (matrix · vector)",
    fn: (x, y) => lax.dotGeneral(x, y, { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] }),
    args: (r) => [normal(r, [3, 4]), normal(r, [4])],
  },
  {
    name: "dot_general (xᵀ·yᵀ, contracting lhs 0 with rhs 1)",
    fn: (x, y) => lax.dotGeneral(x, y, { lhsContract: [0], rhsContract: [1], lhsBatch: [], rhsBatch: [] }),
    args: (r) => [normal(r, [4, 3]), normal(r, [2, 4])],
  },
  {
    name: "dot_general (batched matmul)",
    fn: (x, y) => lax.dotGeneral(x, y, { lhsContract: [2], rhsContract: [1], lhsBatch: [0], rhsBatch: [0] }),
    args: (r) => [normal(r, [2, 3, 4]), normal(r, [2, 4, 3])],
  },
  {
    name: "dot_general (batch dims in the middle and last)",
    fn: (x, y) => lax.dotGeneral(x, y, { lhsContract: [2], rhsContract: [0], lhsBatch: [1], rhsBatch: [2] }),
    args: (r) => [normal(r, [3, 2, 4]), normal(r, [4, 3, 2])],
  },
  {
    name: "dot_general (two contracting dims, out of order)",
    fn: (x, y) =>
      lax.dotGeneral(x, y, { lhsContract: [2, 1], rhsContract: [0, 2], lhsBatch: [], rhsBatch: [] }),
    args: (r) => [normal(r, [2, 3, 4]), normal(r, [4, 2, 3])],
  },
  {
    name: "dot_general (batch, two contracting dims out of order, free dims on both sides)",
    fn: (x, y) =>
      lax.dotGeneral(x, y, { lhsContract: [3, 0], rhsContract: [0, 3], lhsBatch: [1], rhsBatch: [2] }),
    args: (r) => [normal(r, [4, 2, 2, 3]), normal(r, [3, 3, 2, 4])],
  },
  {
    name: "dot_general (two batch dims, permuted)",
    fn: (x, y) =>
      lax.dotGeneral(x, y, { lhsContract: [3], rhsContract: [2], lhsBatch: [0, 2], rhsBatch: [1, 0] }),
    args: (r) => [normal(r, [2, 4, 3, 2]), normal(r, [3, 2, 2, 3])],
  },
  {
    name: "dot_general (outer product, no contraction)",
    fn: (x, y) => lax.dotGeneral(x, y, { lhsContract: [], rhsContract: [], lhsBatch: [], rhsBatch: [] }),
    args: (r) => [normal(r, [3]), normal(r, [2, 2])],
  },
  { name: "reshape", fn: (x) => lax.reshape(x, [2, 2, 3]), args: (r) => [normal(r, S)] },
  {
    name: "broadcast_in_dim (stretch and add dims)",
    fn: (x) => lax.broadcastInDim(x, [2, 3, 4], [1, 2]),
    args: (r) => [normal(r, [3, 1])],
  },
  {
    name: "broadcast_in_dim (add a trailing dim)",
    fn: (x) => lax.broadcastInDim(x, [3, 4], [0]),
    args: (r) => [normal(r, [3])],
  },
  { name: "transpose", fn: (x) => lax.transpose(x, [2, 0, 1]), args: (r) => [normal(r, [2, 3, 4])] },
  { name: "slice", fn: (x) => lax.slice(x, [1, 0], [3, 3]), args: (r) => [normal(r, [4, 4])] },
  { name: "pad", fn: (x) => lax.pad(x, [1, 0], [0, 2]), args: (r) => [normal(r, [2, 3])] },
  {
    name: "concatenate (three operands)",
    fn: (x, y, z) => lax.concatenate([x, y, z], 1),
    args: (r) => [normal(r, [3, 1]), normal(r, [3, 2]), normal(r, [3, 4])],
  },
  { name: "rev", fn: (x) => lax.rev(x, [0, 2]), args: (r) => [normal(r, [2, 3, 4])] },
  {
    name: "gather (2-D indices with repeats, axis 1)",
    fn: (x) => lax.gather(x, ints([0, 2, 3, 3, 1, 0], [3, 2]), 1),
    args: (r) => [normal(r, S)],
  },
  {
    name: "gather (axis 0, negative index)",
    fn: (x) => lax.gather(x, ints([2, 0, -1, 2], [4]), 0),
    args: (r) => [normal(r, S)],
  },
  {
    // Indices computed from a float input: under vmap they are batched too (gather's batched-index rules).
    name: "gather (indices from argmax of another input)",
    fn: (y, x) => lax.gather(y, lax.argmax(x, 1), 0),
    args: (r) => [normal(r, [4, 3]), distinct(r, [5, 4])],
  },
  {
    name: "scatter_add (indices from argmax of another input)",
    fn: (u, x) => lax.scatterAdd(u, lax.argmax(x, 1), 1, 4),
    args: (r) => [normal(r, [3, 5]), distinct(r, [5, 4])],
  },
  {
    name: "scatter_add (repeated indices, axis 1)",
    fn: (u) => lax.scatterAdd(u, ints([0, 2, 2, 1, 0], [5]), 1, 4),
    args: (r) => [normal(r, [3, 5])],
  },
  {
    name: "scatter_add (2-D indices, axis 0)",
    fn: (u) => lax.scatterAdd(u, ints([1, 1, 0, 2, 1, 0], [2, 3]), 0, 3),
    args: (r) => [normal(r, [2, 3, 4])],
  },
  {
    // Random bits are integers without a derivative; noise drawn from them scales x, so the function is
    // smooth in x with the noise as its (constant) derivative.
    name: "threefry2x32 (as uniform noise times x)",
    fn: (x) =>
      lax.mul(x, nb.random.uniform(nb.random.key(3), x.shape, { dtype: x.dtype as "float32" | "float64" })),
    args: (r) => [normal(r, S)],
  },
  {
    name: "threefry2x32 (normal noise from a split key, plus x²)",
    fn: (x) => {
      const k = nb.random.split(nb.random.key(5))[1]!;
      return lax.add(
        lax.mul(x, x),
        nb.random.normal(k, x.shape, { dtype: x.dtype as "float32" | "float64" }),
      );
    },
    args: (r) => [normal(r, S)],
  },
];

// jit_call: a jitted function called under a transformation is a call of its program (traced once per
// signature), which each transformation transforms; the second row nests one call in another.
const jitSinSquareTanh = nb.jit((y: Tensor) => lax.add(lax.mul(lax.sin(y), lax.mul(y, y)), lax.tanh(y)));
const jitPair = nb.jit((u: Tensor, v: Tensor) => [lax.mul(jitSinSquareTanh(u), v), lax.exp(lax.mul(u, v))]);
const callPrims: OpRow[] = [
  { name: "jit_call (jit of sin·x² + tanh)", fn: (x) => jitSinSquareTanh(x), args: (r) => [normal(r, S)] },
  {
    name: "jit_call (two operands, a pair of outputs, a nested call)",
    fn: (x, y) => {
      const [a, b] = jitPair(x, y) as Tensor[];
      return lax.add(a!, lax.mul(b!, b!));
    },
    args: (r) => [normal(r, S), uni(r, S, -1, 1)],
  },
];

// cond: the branches are traced to programs; the predicate (or index) reads an element kept away from the
// points where it changes, so finite differences stay within one branch.
const at00 = (x: Tensor) => lax.reshape(lax.slice(x, [0, 0], [1, 1]), []);
const controlPrims: OpRow[] = [
  {
    name: "cond (branches sin·x and x², predicate from the data)",
    fn: (x) =>
      nb.lax.cond(
        lax.gt(at00(x), lax.scalarLike(x, 0)),
        (y: Tensor) => lax.mul(lax.sin(y), y),
        (y: Tensor) => lax.mul(y, y),
        x,
      ) as Tensor,
    args: (r) => [
      bands(r, S, [
        [-2, -0.5],
        [0.5, 2],
      ]),
    ],
  },
  {
    name: "cond (constant predicate, two operands, a pair of outputs)",
    fn: (x, y) => {
      const [a, b] = nb.lax.cond(
        nb.array(true),
        (u: Tensor, v: Tensor) => [lax.mul(lax.sin(u), v), lax.exp(u)],
        (u: Tensor, v: Tensor) => [lax.mul(u, v), v],
        x,
        y,
      ) as Tensor[];
      return lax.add(a!, lax.mul(b!, b!));
    },
    args: (r) => [normal(r, S), normal(r, S)],
  },
  {
    name: "cond (switch over three branches, index from the data, closing over an input)",
    fn: (x, y) => {
      const x00 = at00(x);
      const index = lax.add(
        lax.convert(lax.gt(x00, lax.scalarLike(x, 0)), "int32"),
        lax.convert(lax.gt(x00, lax.scalarLike(x, 1)), "int32"),
      );
      return nb.lax.switch(
        index,
        [
          (a: Tensor) => lax.mul(a, x),
          (a: Tensor) => lax.sin(lax.add(a, x)),
          (a: Tensor) => lax.mul(lax.exp(a), lax.mul(x, x)),
        ],
        y,
      ) as Tensor;
    },
    args: (r) => [
      bands(r, S, [
        [-2, -0.5],
        [0.3, 0.7],
        [1.3, 2],
      ]),
      uni(r, S, -1, 1),
    ],
  },
];

// scan and while: the body is traced once to a program. The scan rows close over an input (a constant of
// the body), carry a tuple, walk xs forwards and backwards and stack their ys; the while row's trip count
// depends on no input, so finite differences stay on one count.
const loopPrims: OpRow[] = [
  {
    name: "scan (a tanh recurrence over 5 steps, carry and outputs)",
    fn: (x, y) => {
      const [h, ys] = nb.lax.scan(
        (c: Tensor) => {
          const next = lax.tanh(lax.add(lax.mul(c, lax.scalarLike(c, 0.7)), x));
          return [next, lax.mul(next, c)];
        },
        y,
        null,
        { length: 5 },
      ) as [Tensor, Tensor];
      return lax.add(h, lax.reduceSum(ys, [0]));
    },
    args: (r) => [uni(r, S, -1, 1), uni(r, S, -1, 1)],
    // Five nested tanh make the third finite difference the least accurate part of the check.
    tol: { atol: 5e-4, rtol: 5e-4 },
  },
  {
    name: "scan (reverse, over the rows of xs, a pair of carries)",
    fn: (x, y) => {
      const v = lax.reshape(lax.slice(y, [0, 0], [1, 4]), [4]);
      const [[a, b], ys] = nb.lax.scan(
        ([p, q]: [Tensor, Tensor], row: Tensor) => [
          [lax.add(lax.mul(lax.sin(p), row), q), lax.mul(q, lax.cos(row))],
          lax.mul(p, row),
        ],
        [v, lax.exp(v)],
        x,
        { reverse: true },
      ) as [[Tensor, Tensor], Tensor];
      return lax.add(lax.broadcastInDim(lax.mul(a, b), [3, 4], [1]), ys);
    },
    args: (r) => [uni(r, S, -1, 1), uni(r, S, -1, 1)],
  },
  {
    name: "scan (foriLoop: four steps of a logistic map with the index as a weight)",
    fn: (x) =>
      nb.lax.foriLoop(
        0,
        4,
        (i: Tensor, c: Tensor) =>
          lax.mul(lax.mul(c, lax.sub(lax.scalarLike(c, 1), c)), lax.add(lax.convert(i, x.dtype), x)),
        lax.logistic(x),
      ) as Tensor,
    args: (r) => [uni(r, S, 0.5, 1)],
  },
  {
    name: "while (doubling three times, forward mode)",
    fn: (x) => {
      const [, out] = nb.lax.whileLoop(
        ([i]: [Tensor, Tensor]) => lax.lt(i, lax.scalarLike(i, 3)),
        ([i, c]: [Tensor, Tensor]) => [lax.add(i, lax.scalarLike(i, 1)), lax.mul(lax.sin(c), x)],
        [nb.array(0, { dtype: "int32" }), x],
      ) as [Tensor, Tensor];
      return out;
    },
    args: (r) => [uni(r, S, -1, 1)],
    modes: ["fwd"],
  },
];

// Linear algebra: inputs are made well conditioned by the row's function (an SPD matrix x xᵀ + n·I, a
// triangle with a shifted diagonal), so the derivatives are checked through that construction too.
const mm = (a: Tensor, b: Tensor) =>
  lax.dotGeneral(a, b, { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] });
const tr = (a: Tensor) => lax.transpose(a, [1, 0]);
const eyeLike = (x: Tensor, n: number, v = 1) =>
  lax.mul(
    asFloat(
      fromValues(
        Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0)),
        [n, n],
      ),
      x,
    ),
    c(x, v),
  );
/** x xᵀ + n·I for x [n, n]: symmetric positive definite with eigenvalues at least n. */
const spd = (x: Tensor) => lax.add(mm(x, tr(x)), eyeLike(x, x.shape[0]!, x.shape[0]!));
/** x + 4·I: a triangle of it (either) is well conditioned for x of normal entries. */
const shifted = (x: Tensor) => lax.add(x, eyeLike(x, x.shape[0]!, 4));
/** A constant of x's dtype. */
const constant = (x: Tensor, vals: number[], shape: number[]) => asFloat(fromValues(vals, shape), x);
/** The diagonal matrix diag(d) in x's dtype. */
const diagonal = (x: Tensor, d: number[]) =>
  constant(
    x,
    Array.from({ length: d.length * d.length }, (_, k) =>
      k % (d.length + 1) === 0 ? d[k / (d.length + 1)]! : 0,
    ),
    [d.length, d.length],
  );
/** [w; v∘v; V diag(w²) Vᵀ]: what eigh gives that does not depend on the eigenvectors' signs. */
function eighParts([v, w]: [Tensor, Tensor]): Tensor {
  const n = w.shape[0]!;
  const w2 = lax.mul(w, w);
  const vw = lax.mul(v, lax.broadcastInDim(w2, [n, n], [1]));
  return lax.concatenate([lax.reshape(w, [1, n]), lax.mul(v, v), mm(vw, tr(v))], 0);
}
/** [s; u∘u; U diag(s³) Vh] (s padded as a row of u's width): independent of the singular vectors' signs. */
function svdParts([s, u, vh]: [Tensor, Tensor, Tensor]): Tensor {
  const [m, k] = u.shape as [number, number];
  const n = vh.shape[1]!;
  const s3 = lax.mul(s, lax.mul(s, s));
  const us = lax.mul(u, lax.broadcastInDim(s3, [m, k], [1]));
  const w = Math.max(k, n);
  const pad = (t: Tensor) => lax.pad(t, [0, 0], [0, w - t.shape[1]!]);
  return lax.concatenate([pad(lax.reshape(s, [1, k])), pad(lax.mul(u, u)), pad(mm(us, vh))], 0);
}
const ts = (leftSide: boolean, lower: boolean, transposeA: boolean, unitDiagonal: boolean) => ({
  leftSide,
  lower,
  transposeA,
  unitDiagonal,
});
const linalgPrims: OpRow[] = [
  { name: "cholesky (of x xᵀ + 3I)", fn: (x) => lax.cholesky(spd(x)), args: (r) => [normal(r, [3, 3])] },
  {
    name: "triangular_solve (left, lower)",
    fn: (a, b) => lax.triangularSolve(shifted(a), b, ts(true, true, false, false)),
    args: (r) => [normal(r, [3, 3]), normal(r, [3, 2])],
  },
  {
    name: "triangular_solve (left, upper, transposed)",
    fn: (a, b) => lax.triangularSolve(shifted(a), b, ts(true, false, true, false)),
    args: (r) => [normal(r, [3, 3]), normal(r, [3, 2])],
  },
  {
    name: "triangular_solve (right, lower, transposed, unit diagonal)",
    fn: (a, b) => lax.triangularSolve(shifted(a), b, ts(false, true, true, true)),
    args: (r) => [normal(r, [3, 3]), normal(r, [2, 3])],
  },
  {
    name: "triangular_solve (right, upper)",
    fn: (a, b) => lax.triangularSolve(shifted(a), b, ts(false, false, false, false)),
    args: (r) => [normal(r, [3, 3]), normal(r, [2, 3])],
  },
  {
    // Large entries off the diagonal fix the pivot order (rows 1, 2, 0) so finite differences keep it.
    name: "lu (3×3, pivoting fixed by the structure)",
    fn: (x) => lax.lu(lax.add(lax.mul(x, c(x, 0.3)), constant(x, [0, 0, 4, 4, 1, 0, 1, 4, 0], [3, 3])))[0],
    args: (r) => [normal(r, [3, 3])],
  },
  {
    name: "lu (4×3, tall)",
    fn: (x) =>
      lax.lu(lax.add(lax.mul(x, c(x, 0.3)), constant(x, [0, 0, 4, 4, 1, 0, 1, 4, 0, 1, 1, 1], [4, 3])))[0],
    args: (r) => [normal(r, [4, 3])],
  },
  {
    name: "lu (2×3, wide)",
    fn: (x) => lax.lu(lax.add(lax.mul(x, c(x, 0.3)), constant(x, [0, 4, 1, 4, 0, 1], [2, 3])))[0],
    args: (r) => [normal(r, [2, 3])],
  },
  {
    name: "qr (4×3 reduced: q stacked on r)",
    fn: (x) => {
      const [q, rr] = lax.qr(lax.add(x, constant(x, [3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0], [4, 3])));
      return lax.concatenate([q, rr], 0);
    },
    args: (r) => [normal(r, [4, 3])],
    order: 2,
  },
  {
    name: "qr (3×3 complete)",
    fn: (x) => {
      const [q, rr] = lax.qr(shifted(x), { fullMatrices: true });
      return lax.concatenate([q, rr], 0);
    },
    args: (r) => [normal(r, [3, 3])],
    order: 2,
  },
  {
    // Eigenvectors are defined up to sign: the row returns w, v∘v and V diag(w²) Vᵀ, which do not depend on
    // it. The diagonal 3·[1, 2, 3, 4] keeps the eigenvalues apart.
    name: "eigh (w, v∘v and V diag(w²) Vᵀ of a symmetric matrix with separated eigenvalues)",
    fn: (x) => {
      const a = lax.add(lax.mul(lax.add(x, tr(x)), c(x, 0.3)), diagonal(x, [3, 6, 9, 12]));
      return eighParts(lax.eigh(a));
    },
    args: (r) => [normal(r, [4, 4])],
    order: 2,
  },
  {
    name: "eigh (upper triangle)",
    fn: (x) =>
      eighParts(
        lax.eigh(lax.add(lax.mul(lax.add(x, tr(x)), c(x, 0.25)), diagonal(x, [2, 5, 8])), { lower: false }),
      ),
    args: (r) => [normal(r, [3, 3])],
    order: 2,
  },
  {
    // Singular vectors are defined up to a common sign per pair: s, u∘u and U diag(s³) Vh do not depend on it.
    name: "svd (4×3 thin: s, u∘u and U diag(s³) Vh)",
    fn: (x) =>
      svdParts(
        lax.svd(lax.add(lax.mul(x, c(x, 0.2)), constant(x, [3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0], [4, 3]))),
      ),
    args: (r) => [normal(r, [4, 3])],
    order: 2,
  },
  {
    name: "svd (3×4 thin, wide)",
    fn: (x) =>
      svdParts(
        lax.svd(lax.add(lax.mul(x, c(x, 0.2)), constant(x, [3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0], [3, 4]))),
      ),
    args: (r) => [normal(r, [3, 4])],
    order: 2,
  },
  {
    name: "svd (singular values only)",
    fn: (x) =>
      lax.svd(lax.add(lax.mul(x, c(x, 0.2)), constant(x, [3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0], [4, 3])), {
        computeUv: false,
      })[0],
    args: (r) => [normal(r, [4, 3])],
    order: 2,
  },
];

/** Every row: primitives first, then composite ops. */
export const opTable: readonly OpRow[] = [
  ...unaryPrims,
  ...binaryPrims,
  ...otherPrims,
  ...callPrims,
  ...controlPrims,
  ...loopPrims,
  ...linalgPrims,
  ...composites,
  ...linalgComposites,
  ...recurrentRows,
  ...nnAttentionRows,
  ...nnConvRows,
];
