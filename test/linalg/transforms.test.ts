// nb.linalg under the transformations: vmap against a loop over the batch, jit against eager, and float32
// against float64 (the same function in both precisions agrees to float32's accuracy).
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectClose, stackRaw } from "../util/close.js";
import { normal, relErr, spd, symmetric, unstack, wellConditioned } from "./helpers.js";

const L = nb.linalg;
const f32 = (t: nb.Tensor) => nb.astype(t, "float32");

// name, function of tensors to one tensor, inputs (float64, a leading batch axis of 3 on every input)
type Row = [string, (...args: nb.Tensor[]) => nb.Tensor, () => nb.Tensor[]];
const rows: Row[] = [
  ["cholesky", (a) => L.cholesky(a!), () => [spd(1, [3, 4, 4])]],
  ["cholesky (upper)", (a) => L.cholesky(a!, { upper: true }), () => [spd(1, [3, 4, 4])]],
  [
    "triangularSolve",
    (a, b) => L.triangularSolve(a!, b!),
    () => [wellConditioned(2, [3, 4, 4]), normal(3, [3, 4, 2])],
  ],
  [
    "triangularSolve (upper, right, transposed)",
    (a, b) => L.triangularSolve(a!, b!, { lower: false, leftSide: false, transposeA: true }),
    () => [wellConditioned(2, [3, 4, 4]), normal(3, [3, 2, 4])],
  ],
  ["lu (packed factors)", (a) => L.lu(a!).lu, () => [normal(4, [3, 4, 4])]],
  [
    "lu (permutation as floats)",
    (a) => nb.astype(L.lu(a!).permutation, "float64"),
    () => [normal(4, [3, 4, 4])],
  ],
  ["luSolve", (a, b) => L.luSolve(L.lu(a!), b!), () => [wellConditioned(5, [3, 4, 4]), normal(6, [3, 4, 2])]],
  [
    "luSolve (pivots only, transposed)",
    (a, b) => {
      const f = L.lu(a!);
      return L.luSolve({ lu: f.lu, pivots: f.pivots }, b!, { transpose: true });
    },
    () => [wellConditioned(5, [3, 4, 4]), normal(6, [3, 4, 1])],
  ],
  ["solve", (a, b) => L.solve(a!, b!), () => [wellConditioned(7, [3, 4, 4]), normal(8, [3, 4, 1])]],
  ["inv", (a) => L.inv(a!), () => [wellConditioned(9, [3, 4, 4])]],
  ["det", (a) => L.det(a!), () => [normal(10, [3, 4, 4])]],
  ["slogdet", (a) => L.slogdet(a!).logabsdet, () => [normal(10, [3, 4, 4])]],
  ["choSolve", (l, b) => L.choSolve(l!, b!), () => [L.cholesky(spd(11, [3, 4, 4])), normal(12, [3, 4, 2])]],
  ["qr (r, absolute values)", (a) => nb.abs(L.qr(a!).r), () => [normal(13, [3, 5, 3])]],
  ["eigvalsh", (a) => L.eigvalsh(a!), () => [symmetric(14, [3, 4, 4])]],
  ["svdvals", (a) => L.svdvals(a!), () => [normal(15, [3, 5, 3])]],
  ["pinv", (a) => L.pinv(a!), () => [normal(16, [3, 5, 3])]],
  ["lstsq", (a, b) => L.lstsq(a!, b!).solution, () => [normal(17, [3, 5, 3]), normal(18, [3, 5, 1])]],
  ["matrixRank", (a) => nb.astype(L.matrixRank(a!), "float64"), () => [normal(19, [3, 4, 4])]],
  ["cond", (a) => L.cond(a!), () => [wellConditioned(20, [3, 4, 4])]],
  ["cond (1)", (a) => L.cond(a!, 1), () => [wellConditioned(20, [3, 4, 4])]],
  ["matrixPower (5)", (a) => L.matrixPower(a!, 5), () => [nb.div(normal(21, [3, 4, 4]), 2)]],
  ["matrixPower (−2)", (a) => L.matrixPower(a!, -2), () => [wellConditioned(22, [3, 4, 4])]],
  ["expm (small)", (a) => L.expm(a!), () => [nb.mul(normal(23, [3, 4, 4]), 0.01)]],
  ["expm (large)", (a) => L.expm(a!), () => [nb.mul(normal(24, [3, 4, 4]), 5)]],
  ["norm (nuc)", (a) => L.norm(a!, { ord: "nuc", axis: [-2, -1] }), () => [normal(25, [3, 4, 3])]],
  ["norm (1)", (a) => L.norm(a!, { ord: 1, axis: [-2, -1] }), () => [normal(25, [3, 4, 3])]],
  ["norm (vector 3)", (a) => L.norm(a!, { ord: 3, axis: -1 }), () => [normal(26, [3, 5])]],
];

const tol = { atol: 1e-12, rtol: 1e-10 };

describe("vmap against a loop over the batch", () => {
  it.each(rows)("%s", (_name, f, make) => {
    const args = make();
    const batched = nb.vmap(f)(...args) as nb.Tensor;
    const looped = stackRaw(
      unstack(args[0]!).map((_, i) => f(...args.map((a) => unstack(a)[i]!))),
      0,
    );
    expectClose(batched, looped, tol);
  });
});

describe("jit against eager", () => {
  it.each(rows)("%s", (_name, f, make) => {
    const args = make();
    expectClose(nb.jit(f)(...args), f(...args), tol);
  });

  it("expm under jit: every norm in a batch gets its own number of squarings", () => {
    const a = nb.mul(
      normal(30, [4, 3, 3]),
      nb.reshape(nb.array([1e-3, 1, 40, 300], { dtype: "float64" }), [4, 1, 1]),
    );
    const j = nb.jit(L.expm)(a);
    unstack(a).forEach((ai, i) => expect(relErr(unstack(j)[i]!, L.expm(ai))).toBeLessThan(1e-12));
  });
});

describe("float32 against float64", () => {
  it.each(rows)("%s", (name, f, make) => {
    const args = make();
    const want = f(...args);
    const got = f(...args.map((a) => (a.dtype === "float64" ? f32(a) : a)));
    expect(got.dtype).toBe(name.includes("as floats") || name === "matrixRank" ? "float64" : "float32");
    expect(relErr(got, want)).toBeLessThan(name.startsWith("cond") || name.includes("large") ? 1e-4 : 2e-5);
  });
});
