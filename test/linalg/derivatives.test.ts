// Derivatives of nb.linalg against central differences (nb.checkGrads, float64, forward and reverse mode,
// recursively to order 3; order 2 where an SVD or eigendecomposition is inside) on well-conditioned inputs.
// No function has a derivative rule of its own: these check that composing the primitives' rules is right.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectClose } from "../util/close.js";
import { f64, normal, spd, wellConditioned } from "./helpers.js";

const L = nb.linalg;
const T = (x: nb.Tensor) => nb.matrixTranspose(x);
/** x xᵀ + 3I: the derivative checks go through a symmetric positive definite matrix built from x. */
const pd = (x: nb.Tensor) =>
  nb.add(nb.matmul(x, T(x)), nb.mul(nb.eye(x.shape[x.shape.length - 1]!, undefined, f64), 3));
const opts = (order: number) => ({ order, atol: 1e-6, rtol: 1e-5, eps: 1e-4 });

describe("derivatives of order 3", () => {
  const a = wellConditioned(1, [3, 3]);
  const b = normal(2, [3, 2]);
  const x = normal(3, [3, 3]);
  const cases: [string, (...args: nb.Tensor[]) => unknown, nb.Tensor[]][] = [
    ["solve", (a, b) => L.solve(a!, b!), [a, b]],
    [
      "solve (vector b, batched a)",
      (a, b) => L.solve(a!, b!),
      [wellConditioned(4, [2, 3, 3]), normal(5, [3])],
    ],
    ["inv", (a) => L.inv(a!), [a]],
    ["det", (a) => L.det(a!), [a]],
    ["det (batched)", (a) => L.det(a!), [wellConditioned(6, [2, 3, 3])]],
    ["slogdet", (a) => L.slogdet(a!).logabsdet, [a]],
    ["cholesky of x xᵀ + 3I", (x) => L.cholesky(pd(x!)), [x]],
    ["choSolve", (x, b) => L.choSolve(L.cholesky(pd(x!)), b!), [x, b]],
    [
      "choSolve (upper)",
      (x, b) => L.choSolve(L.cholesky(pd(x!), { upper: true }), b!, { lower: false }),
      [x, b],
    ],
    [
      "triangularSolve (upper, right side)",
      (a, b) => L.triangularSolve(a!, T(b!), { lower: false, leftSide: false }),
      [a, b],
    ],
    ["luSolve", (a, b) => L.luSolve(L.lu(a!), b!), [a, b]],
    ["luSolve (transposed)", (a, b) => L.luSolve(L.lu(a!), b!, { transpose: true }), [a, b]],
    ["matrixPower (3 and −2)", (a) => nb.add(L.matrixPower(a!, 3), L.matrixPower(a!, -2)), [a]],
    ["expm (small norm: a low Padé degree)", (x) => L.expm(nb.mul(x!, 0.01)), [x]],
    ["expm (scaled and squared)", (x) => L.expm(nb.mul(x!, 3)), [x]],
    [
      "norm (fro, 1, ∞, vector 3)",
      (x) => [
        L.norm(x!),
        L.norm(x!, { ord: 1 }),
        L.norm(x!, { ord: Infinity }),
        L.norm(x!, { ord: 3, axis: 1 }),
      ],
      [x],
    ],
  ];
  it.each(cases)("%s", (_name, f, args) => {
    nb.checkGrads(f, args, opts(3));
  });
});

describe("derivatives of order 2 (through an SVD or an eigendecomposition)", () => {
  // singular values well apart from each other and from 0 (about 4.4, 2.0, 0.6), so that central differences
  // of second derivatives, which grow like 1/s³, stay accurate
  const x = nb.add(normal(10, [4, 3]), nb.mul(nb.eye(4, 3, f64), 2));
  const b = normal(11, [4, 2]);
  const cases: [string, (...args: nb.Tensor[]) => unknown, nb.Tensor[]][] = [
    ["pinv (tall)", (x) => L.pinv(x!), [x]],
    ["pinv (wide)", (x) => L.pinv(T(x!)), [x]],
    ["lstsq", (x, b) => L.lstsq(x!, b!).solution, [x, b]],
    ["lstsq residuals", (x, b) => L.lstsq(x!, b!).residuals, [x, b]],
    [
      "norm (2, −2, nuc)",
      (x) => [L.norm(x!, { ord: 2 }), L.norm(x!, { ord: -2 }), L.norm(x!, { ord: "nuc" })],
      [x],
    ],
    ["cond", (x) => L.cond(x!), [x]],
    ["eigvalsh", (x) => L.eigvalsh(pd(x!)), [normal(12, [3, 3])]],
    ["svdvals", (x) => L.svdvals(x!), [x]],
  ];
  it.each(cases)("%s", (_name, f, args) => {
    nb.checkGrads(f, args, opts(2));
  });
});

describe("derivatives against their closed forms", () => {
  it("d det(a) = det(a) · tr(a⁻¹ da): the gradient is det(a) a⁻ᵀ", () => {
    const a = wellConditioned(20, [4, 4]);
    expectClose(nb.grad(L.det)(a), nb.mul(L.det(a), T(L.inv(a))), { rtol: 1e-12, atol: 1e-12 });
    expectClose(nb.grad((m: nb.Tensor) => L.slogdet(m).logabsdet)(a), T(L.inv(a)), {
      rtol: 1e-12,
      atol: 1e-13,
    });
  });

  it("d log det of an SPD matrix by Cholesky: 2 Σ log diag L has gradient a⁻¹", () => {
    const a = spd(21, [4, 4]);
    const logdet = (m: nb.Tensor) => nb.mul(nb.sum(nb.log(nb.diag(L.cholesky(m)))), 2);
    const g = nb.grad(logdet)(a);
    // the Cholesky reads the lower triangle: the gradient, symmetrized, is a⁻¹
    expectClose(nb.mul(nb.add(g, T(g)), 0.5), L.inv(a), { rtol: 1e-10, atol: 1e-12 });
  });

  it("d expm(t a)/dt = a expm(t a)", () => {
    const a = nb.mul(normal(22, [3, 3]), 2);
    const t = nb.array(0.7, f64);
    const d = nb.jvp((s: nb.Tensor) => L.expm(nb.mul(a, s)), [t], [nb.array(1, f64)])[1];
    expectClose(d, nb.matmul(a, L.expm(nb.mul(a, t))), { rtol: 1e-11, atol: 1e-12 });
  });

  it("a gradient inside jit: the same as eager (expm's squarings as a loop of conditional steps)", () => {
    const a = nb.mul(normal(23, [3, 3]), 4);
    const f = (m: nb.Tensor) => nb.sum(nb.mul(L.expm(m), L.expm(m)));
    const g = nb.grad(f)(a);
    expectClose(nb.jit(nb.grad(f))(a), g, { rtol: 1e-10, atol: 1e-10 });
    expectClose(nb.grad(nb.jit(f))(a), g, { rtol: 1e-10, atol: 1e-10 });
    expect(g.dtype).toBe("float64");
  });
});

describe("Taylor series (nb.jet) through the compositions", () => {
  // a + t·d along a line: the k-th term is the k-th derivative in t at t = 0
  const a = wellConditioned(40, [3, 3]);
  const d = normal(41, [3, 3]);
  const line = (f: (m: nb.Tensor) => nb.Tensor) => nb.jet(f, [a], [[d, nb.zerosLike(d), nb.zerosLike(d)]]);

  it("inv: the terms are k!·(−a⁻¹d)ᵏ a⁻¹", () => {
    const [value, terms] = line((m) => L.inv(m)) as [nb.Tensor, nb.Tensor[]];
    const ai = L.inv(a);
    const step = nb.neg(nb.matmul(ai, d));
    expectClose(value, ai, { rtol: 1e-12, atol: 1e-14 });
    let want = ai;
    let factorial = 1;
    terms.forEach((term, k) => {
      want = nb.matmul(step, want);
      factorial *= k + 1;
      expectClose(term, nb.mul(want, factorial), { rtol: 1e-10, atol: 1e-12 });
    });
  });

  it("det and slogdet: the third derivative of det(a + t d) is 6·det(d); solve matches inv", () => {
    const [, terms] = line((m) => L.det(m)) as [nb.Tensor, nb.Tensor[]];
    expectClose(terms[2]!, nb.mul(L.det(d), 6), { rtol: 1e-10, atol: 1e-10 });
    const [, logTerms] = line((m) => L.slogdet(m).logabsdet) as [nb.Tensor, nb.Tensor[]];
    // d/dt log|det(a + t d)| = tr((a + t d)⁻¹ d)
    expectClose(logTerms[0]!, nb.trace(nb.matmul(L.inv(a), d)), { rtol: 1e-12, atol: 1e-13 });
    const b = normal(42, [3]);
    const [, sTerms] = line((m) => L.solve(m, b)) as [nb.Tensor, nb.Tensor[]];
    const [, iTerms] = line((m) => L.inv(m)) as [nb.Tensor, nb.Tensor[]];
    sTerms.forEach((term, k) => expectClose(term, nb.matmul(iTerms[k]!, b), { rtol: 1e-10, atol: 1e-12 }));
  });
});
