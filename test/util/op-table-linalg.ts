// Rows of the derivative table for the composite nb.linalg functions (built from the decomposition primitives,
// no derivative code of their own). Inputs are made well conditioned by the row's function — 2·I + 0.25·x, an
// SPD x xᵀ + n·I, a constant that fixes the pivots, separates the singular values or the column sums — so
// the derivatives are checked through that construction too. Functions smooth at such inputs are checked to
// order 3; those built on the SVD or eigh to order 2, as the decompositions' own rows.
import * as nb from "nabla";
import { asFloat, c, fromValues, normal, type OpRow, type Tensor, uni } from "./op-domains.js";

const add = (x: Tensor, y: Tensor) => nb.add(x, y);
/** A constant of x's dtype. */
const constant = (x: Tensor, vals: number[], shape: number[]) => asFloat(fromValues(vals, shape), x);
/** The n×n identity times v in x's dtype. */
const eyeLike = (x: Tensor, n: number, v = 1) =>
  constant(
    x,
    Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? v : 0)),
    [n, n],
  );
/** 2·I + 0.25·x for x [n, n] of normal entries: its singular values stay near 2. */
const wellCond = (x: Tensor) => add(nb.mul(x, c(x, 0.25)), eyeLike(x, x.shape[0]!, 2));
/** x xᵀ + n·I for x [n, n]: symmetric positive definite with eigenvalues at least n. */
const spd = (x: Tensor) => add(nb.matmul(x, nb.transpose(x)), eyeLike(x, x.shape[0]!, x.shape[0]!));
/** 0.2·x + diag(3, 2, 1) (padded): distinct singular values near 3, 2 and 1 for x [4, 3] or [3, 3]. */
const separatedSvals = (x: Tensor) => {
  const [m, n] = x.shape as [number, number];
  const base = Array.from({ length: m * n }, (_, k) => {
    const i = Math.floor(k / n);
    return i === k % n ? 3 - i : 0;
  });
  return add(nb.mul(x, c(x, 0.2)), constant(x, base, [m, n]));
};
/** 0.3·(x + xᵀ) + diag(3, 6, 9, ...): symmetric with eigenvalues apart. */
const symSeparated = (x: Tensor) => {
  const n = x.shape[0]!;
  const d = Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 3 * (1 + k / (n + 1)) : 0));
  return add(nb.mul(add(x, nb.transpose(x)), c(x, 0.3)), constant(x, d, [n, n]));
};
/** 0.1·x plus entries of magnitude ≥ 1 whose column sums (3.5, 7.5, 17) and row sums (7, 9.5, 11.5) are apart. */
const separatedSums = (x: Tensor) =>
  add(nb.mul(x, c(x, 0.1)), constant(x, [1, 2, 4, -1.5, 3, 5, 1, -2.5, 8], [3, 3]));
/** Large off-diagonal entries fix the pivot order (rows 1, 2, 0) so finite differences keep it. */
const fixedPivots = (x: Tensor) =>
  add(nb.mul(x, c(x, 0.3)), constant(x, [0, 0, 4, 4, 1, 0, 1, 4, 0], [3, 3]));
/**
 * A matrix with 1-norm in [3.2, 3.8]: inside the band where expm takes the top Padé degree without scaling in
 * float64 (so the eager choice, made from the values, is the one a staged program makes) and degree 7 in
 * float32, away from the edges where the choice would change under finite differences.
 */
const expmInput = (x: Tensor) =>
  add(nb.mul(x, c(x, 0.1)), constant(x, [1.75, 1.75, 0, 0, 1.75, 1.75, 1.75, 0, 1.75], [3, 3]));

const sq = (r: Parameters<OpRow["args"]>[0]) => normal(r, [3, 3]);

export const linalgComposites: OpRow[] = [
  {
    name: "nb.linalg.solve (2·I + 0.25·x, matrix b)",
    fn: (a, b) => nb.linalg.solve(wellCond(a), b),
    args: (r) => [sq(r), normal(r, [3, 2])],
  },
  { name: "nb.linalg.inv", fn: (a) => nb.linalg.inv(wellCond(a)), args: (r) => [sq(r)] },
  { name: "nb.linalg.det", fn: (a) => nb.linalg.det(wellCond(a)), args: (r) => [sq(r)] },
  {
    name: "nb.linalg.slogdet (logabsdet)",
    fn: (a) => nb.linalg.slogdet(wellCond(a)).logabsdet,
    args: (r) => [sq(r)],
  },
  {
    name: "nb.linalg.choSolve (factor of x xᵀ + 3I)",
    fn: (a, b) => nb.linalg.choSolve(nb.linalg.cholesky(spd(a)), b),
    args: (r) => [sq(r), normal(r, [3, 2])],
  },
  {
    name: "nb.linalg.choSolve (upper factor, vector b)",
    fn: (a, b) => nb.linalg.choSolve(nb.linalg.cholesky(spd(a), { upper: true }), b, { lower: false }),
    args: (r) => [sq(r), normal(r, [3])],
  },
  {
    name: "nb.linalg.luSolve",
    fn: (a, b) => nb.linalg.luSolve(nb.linalg.lu(fixedPivots(a)), b),
    args: (r) => [sq(r), normal(r, [3, 2])],
  },
  {
    name: "nb.linalg.luSolve (transposed)",
    fn: (a, b) => nb.linalg.luSolve(nb.linalg.lu(wellCond(a)), b, { transpose: true }),
    args: (r) => [sq(r), normal(r, [3, 2])],
  },
  { name: "nb.linalg.expm", fn: (a) => nb.linalg.expm(expmInput(a)), args: (r) => [uni(r, [3, 3], -1, 1)] },
  {
    name: "nb.linalg.norm (fro)",
    fn: (a) => nb.linalg.norm(a, { ord: "fro" }),
    args: (r) => [normal(r, [3, 4])],
  },
  {
    name: "nb.linalg.norm (1)",
    fn: (a) => nb.linalg.norm(separatedSums(a), { ord: 1 }),
    args: (r) => [uni(r, [3, 3], -1, 1)],
  },
  {
    name: "nb.linalg.norm (Infinity)",
    fn: (a) => nb.linalg.norm(separatedSums(a), { ord: Number.POSITIVE_INFINITY }),
    args: (r) => [uni(r, [3, 3], -1, 1)],
  },
  {
    name: "nb.linalg.norm (2)",
    fn: (a) => nb.linalg.norm(separatedSvals(a), { ord: 2 }),
    args: (r) => [normal(r, [4, 3])],
    order: 2,
  },
  {
    name: "nb.linalg.norm (nuc)",
    fn: (a) => nb.linalg.norm(separatedSvals(a), { ord: "nuc" }),
    args: (r) => [normal(r, [4, 3])],
    order: 2,
  },
  {
    name: "nb.linalg.pinv (4×3)",
    fn: (a) => nb.linalg.pinv(separatedSvals(a)),
    args: (r) => [normal(r, [4, 3])],
    order: 2,
  },
  {
    name: "nb.linalg.lstsq (solution, 4×3)",
    fn: (a, b) => nb.linalg.lstsq(separatedSvals(a), b).solution,
    args: (r) => [normal(r, [4, 3]), normal(r, [4, 2])],
    order: 2,
  },
  {
    name: "nb.linalg.matrixPower (3)",
    fn: (a) => nb.linalg.matrixPower(wellCond(a), 3),
    args: (r) => [sq(r)],
  },
  {
    name: "nb.linalg.matrixPower (-2)",
    fn: (a) => nb.linalg.matrixPower(wellCond(a), -2),
    args: (r) => [sq(r)],
  },
  {
    name: "nb.linalg.cond (2)",
    fn: (a) => nb.linalg.cond(separatedSvals(a)),
    args: (r) => [normal(r, [4, 3])],
    order: 2,
  },
  {
    name: "nb.linalg.cond (fro)",
    fn: (a) => nb.linalg.cond(wellCond(a), "fro"),
    args: (r) => [sq(r)],
  },
  {
    name: "nb.linalg.eigvalsh",
    fn: (a) => nb.linalg.eigvalsh(symSeparated(a)),
    args: (r) => [normal(r, [4, 4])],
    order: 2,
  },
  {
    name: "nb.linalg.svdvals (4×3)",
    fn: (a) => nb.linalg.svdvals(separatedSvals(a)),
    args: (r) => [normal(r, [4, 3])],
    order: 2,
  },
];
