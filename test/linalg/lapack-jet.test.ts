// Taylor mode (nb.jet / nb.taylorDerivatives) through nb.linalg along a line A + tV, on the float64 fixture
// matrices of grads.json, against closed forms evaluated in plain JS float64 (the inverse by Gauss–Jordan with
// partial pivoting on these small, well-conditioned matrices):
//   dᵏ/dtᵏ log det(A + tV) = (−1)ᵏ⁻¹ (k−1)! tr((A⁻¹V)ᵏ)
//   dᵏ/dtᵏ det(A + tV)     = det(A) · k! · eₖ(μ), μ the eigenvalues of A⁻¹V (eₖ from the power sums by Newton)
//   dᵏ/dtᵏ (A + tV)⁻¹      = (−1)ᵏ k! (A⁻¹V)ᵏ A⁻¹, and solve: the same times b
// and for Cholesky, with no closed form, the identity Σᵢ C(k, i) Lᵢ Lₖ₋ᵢᵀ = dᵏ/dtᵏ (A + tV) (V for k = 1, 0 for
// k ≥ 2), each Lₖ lower triangular. Tolerance: 1e-9 relative (cond ≤ 10, k ≤ 4).
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import {
  EPS,
  f64,
  fixture,
  fro,
  inverse,
  la,
  linalg,
  type Mat,
  mat,
  matmul,
  relErr,
  sub,
  within,
} from "./lapack-util.js";

interface GradCase {
  fn: string;
  kind: string;
  n: number;
  a: Mat;
  v: Mat;
}
const G = fixture<GradCase[]>("grads.json");
const K = 4;
const TOL = 1e-9;

const trace = (a: Mat) => a.reduce((s, r, i) => s + r[i]!, 0);
const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
const scale = (a: Mat, s: number): Mat => a.map((r) => r.map((x) => x * s));
function powers(m: Mat, k: number): Mat[] {
  const out: Mat[] = [m];
  for (let i = 1; i < k; i++) out.push(matmul(out[i - 1]!, m));
  return out;
}

/** d¹…dᴷ of f(A + tV) at t = 0 by Taylor mode, each term as a plain array. */
function jetTerms(f: (a: nb.Tensor) => nb.Tensor, a: Mat, v: Mat): unknown[] {
  const series = [f64(v), ...Array.from({ length: K - 1 }, () => 0)];
  const [, terms] = nb.jet(f, [f64(a)], [series]) as [nb.Tensor, nb.Tensor[]];
  expect(terms.length).toBe(K);
  return terms.map((t) => t.toArray());
}

const spdCases = G.filter((c) => c.fn === "logdetSlogdet" && c.kind === "well" && c.n >= 2 && c.n <= 5);
const genCases = G.filter((c) => c.fn === "logabsdet" && c.kind === "well" && c.n >= 2);

describe.skipIf(!linalg)("Taylor mode through nb.linalg, to order 4", () => {
  it("log det via slogdet and via cholesky", () => {
    for (const c of spdCases) {
      const p = powers(matmul(inverse(c.a), c.v), K);
      const ref = p.map((m, i) => (-1) ** i * fact(i) * trace(m));
      const viaSlogdet = jetTerms((a) => la().slogdet(a).logabsdet, c.a, c.v) as number[];
      const viaChol = jetTerms(
        (a) => nb.mul(2, nb.sum(nb.log(nb.diag(la().cholesky(a))))),
        c.a,
        c.v,
      ) as number[];
      ref.forEach((r, k) => {
        within(`n=${c.n} slogdet d${k + 1}`, Math.abs(viaSlogdet[k]! - r) / Math.max(1, Math.abs(r)), TOL);
        within(`n=${c.n} cholesky d${k + 1}`, Math.abs(viaChol[k]! - r) / Math.max(1, Math.abs(r)), TOL);
      });
    }
  });
  it("det", () => {
    for (const c of genCases) {
      const p = powers(matmul(inverse(c.a), c.v), K).map(trace);
      // Newton's identities: k eₖ = Σᵢ₌₁ᵏ (−1)ⁱ⁻¹ eₖ₋ᵢ pᵢ.
      const e = [1];
      for (let k = 1; k <= K; k++) {
        let s = 0;
        for (let i = 1; i <= k; i++) s += (-1) ** (i - 1) * e[k - i]! * p[i - 1]!;
        e.push(s / k);
      }
      const det0 = la().det(f64(c.a)).item();
      const got = jetTerms((a) => la().det(a), c.a, c.v) as number[];
      for (let k = 1; k <= K; k++) {
        const r = det0 * fact(k) * e[k]!;
        within(`n=${c.n} d${k}`, Math.abs(got[k - 1]! - r) / Math.max(Math.abs(det0), Math.abs(r)), TOL);
      }
    }
  });
  it("inv and solve", () => {
    for (const c of genCases) {
      const ai = inverse(c.a);
      const p = powers(matmul(ai, c.v), K);
      const b = c.a.map((_, i) => [Math.cos(i + 1)]);
      const invTerms = jetTerms((a) => la().inv(a), c.a, c.v) as Mat[];
      const solveTerms = jetTerms((a) => la().solve(a, f64(b)), c.a, c.v) as Mat[];
      p.forEach((m, i) => {
        const k = i + 1;
        const r = scale(matmul(m, ai), (-1) ** k * fact(k));
        within(`inv n=${c.n} d${k}`, relErr(invTerms[i], r), TOL);
        within(`solve n=${c.n} d${k}`, relErr(solveTerms[i], matmul(r, b)), TOL);
      });
    }
  });
  it("cholesky: the Taylor terms satisfy Leibniz's rule for L Lᵀ = A + tV and stay lower triangular", () => {
    for (const c of spdCases) {
      const n = c.n;
      const L0 = mat(la().cholesky(f64(c.a)));
      const Ls = [L0, ...(jetTerms((a) => la().cholesky(a), c.a, c.v) as Mat[])];
      const tr = (m: Mat) => m[0]!.map((_, j) => m.map((r) => r[j]!));
      for (let k = 1; k <= K; k++) {
        Ls[k]!.forEach((row, i) =>
          row.forEach((x, j) => j > i && expect(x === 0, `L${k}[${i}][${j}] = ${x}`).toBe(true)),
        );
        let sum: Mat = Array.from({ length: n }, () => new Array<number>(n).fill(0));
        for (let i = 0; i <= k; i++) {
          const term = scale(matmul(Ls[i]!, tr(Ls[k - i]!)), fact(k) / (fact(i) * fact(k - i)));
          sum = sum.map((r, x) => r.map((y, z) => y + term[x]![z]!));
        }
        const want = k === 1 ? c.v : sum.map((r) => r.map(() => 0));
        const err = fro(sub(sum, want)) / Math.max(fro(c.v), 1);
        within(`n=${n} order ${k}`, err, TOL * fact(k) + 1e3 * n * EPS);
      }
    }
  });
});
