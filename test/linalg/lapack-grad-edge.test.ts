// Derivatives of nb.linalg in the corners: every triangularSolve variant (the triangle and, with unitDiagonal,
// the diagonal that are not read get an exactly zero gradient), the `upper` / `lower: false` options, repeated
// eigenvalues and singular values (finite where JAX is: functions of the spectrum alone), and det at a singular
// matrix (det is a polynomial: its gradient is the cofactor matrix, as JAX's cofactor solve gives).
// References are closed forms in plain JS float64 on the fixtures' small, well-conditioned matrices; tolerance
// 1e-10 relative unless stated.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import {
  f64,
  fixture,
  inverse,
  la,
  linalg,
  type Mat,
  mat,
  matmul,
  relErr,
  sym,
  transpose,
  within,
} from "./lapack-util.js";

const TOL = 1e-10;
interface Tri {
  kind: string;
  cond: number;
  a: Mat;
  b: Mat;
  x: Mat;
  lower: boolean;
  leftSide: boolean;
  transposeA: boolean;
  unitDiagonal: boolean;
}
const T = fixture<{ triangular: Tri[] }>("solve.json").triangular.filter(
  (c) => c.kind === "well" && c.a.length >= 2 && c.a.length <= 5,
);
const weights = (m: Mat): Mat => m.map((r, i) => r.map((_, j) => Math.cos(1 + 3 * i + 7 * j)));

describe.skipIf(!linalg)("triangularSolve gradients, all 16 variants", () => {
  T.forEach((c, i) => {
    const o = {
      lower: c.lower,
      leftSide: c.leftSide,
      transposeA: c.transposeA,
      unitDiagonal: c.unitDiagonal,
    };
    it(`#${i} n=${c.a.length} ${JSON.stringify(o)}`, () => {
      // The matrix the solve uses: the chosen triangle, unit diagonal if asked, transposed if asked.
      const t = c.a.map((r, p) =>
        r.map((v, q) => (p === q ? (c.unitDiagonal ? 1 : v) : (c.lower ? p > q : p < q) ? v : 0)),
      );
      const op = c.transposeA ? transpose(t) : t;
      const opInvT = transpose(inverse(op));
      const W = weights(c.x);
      // Left: op x = b, ∇_op = −op⁻ᵀ W xᵀ, ∇_b = op⁻ᵀ W. Right: x op = b, ∇_op = −xᵀ W op⁻ᵀ, ∇_b = W op⁻ᵀ.
      const gOp = c.leftSide
        ? matmul(matmul(opInvT, W), transpose(c.x))
        : matmul(matmul(transpose(c.x), W), opInvT);
      const gB = c.leftSide ? matmul(opInvT, W) : matmul(W, opInvT);
      const gT = (c.transposeA ? transpose(gOp) : gOp).map((r, p) =>
        r.map((v, q) => (p === q ? (c.unitDiagonal ? 0 : -v) : (c.lower ? p > q : p < q) ? -v : 0)),
      );
      const L = la();
      const [ga, gb] = nb.grad(
        (a: nb.Tensor, b: nb.Tensor) => nb.sum(nb.mul(f64(W), L.triangularSolve(a, b, o))),
        {
          argnums: [0, 1],
        },
      )(f64(c.a), f64(c.b)) as [nb.Tensor, nb.Tensor];
      const gaM = mat(ga);
      within("∇a", relErr(gaM, gT), TOL * c.cond);
      within("∇b", relErr(mat(gb), gB), TOL * c.cond);
      gaM.forEach((r, p) =>
        r.forEach((v, q) => {
          const unread = p === q ? c.unitDiagonal : c.lower ? p < q : p > q;
          if (unread) expect(v === 0, `∂/∂a[${p}][${q}] = ${v} (not read)`).toBe(true);
        }),
      );
    });
  });
});

interface GradCase {
  fn: string;
  kind: string;
  n: number;
  a: Mat;
  grad: Mat;
  w?: number[];
}
const G = fixture<GradCase[]>("grads.json");

describe.skipIf(!linalg)("options of symmetric-input functions keep their derivatives", () => {
  it("log det through cholesky(upper: true) has gradient A⁻¹", () => {
    for (const c of G.filter((c) => c.fn === "logdetCholesky" && c.kind === "well")) {
      const f = (a: nb.Tensor) => nb.mul(2, nb.sum(nb.log(nb.diag(la().cholesky(a, { upper: true })))));
      within(`n=${c.n}`, relErr(sym(mat(nb.grad(f)(f64(c.a)))), c.grad), TOL * 10);
    }
  });
  it("sum(w · eigenvalues) through eigh(lower: false) has gradient V diag(w) Vᵀ", () => {
    for (const c of G.filter((c) => c.fn === "eigvalshWeighted" && c.kind === "well")) {
      const w = c.w!;
      const f = (a: nb.Tensor) => nb.sum(nb.mul(f64(w), la().eigh(a, { lower: false }).eigenvalues));
      within(`n=${c.n}`, relErr(sym(mat(nb.grad(f)(f64(c.a)))), c.grad), TOL * 10);
    }
  });
});

/** A rotation-like orthogonal matrix from two plane rotations (exact structure, no fixture needed). */
function orthogonal(n: number, seed: number): Mat {
  let q: Mat = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  for (let k = 0; k + 1 < n; k++) {
    const th = seed + 0.7 * k;
    const g: Mat = q.map((_, i) => q.map((_, j) => (i === j ? 1 : 0)));
    g[k]![k] = Math.cos(th);
    g[k + 1]![k + 1] = Math.cos(th);
    g[k]![k + 1] = -Math.sin(th);
    g[k + 1]![k] = Math.sin(th);
    q = matmul(q, g);
  }
  return q;
}

describe.skipIf(!linalg)(
  "repeated eigenvalues and singular values: spectral functions stay finite (as JAX)",
  () => {
    it("∇ sum(eigvalsh(A)) = I at A = I and at a matrix with a double eigenvalue", () => {
      const f = (a: nb.Tensor) => nb.sum(la().eigvalsh(a));
      const I3 = [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ];
      within("A = I", relErr(mat(nb.grad(f)(f64(I3))), I3), TOL);
      const q = orthogonal(3, 0.4);
      const a = matmul(
        matmul(q, [
          [2, 0, 0],
          [0, 2, 0],
          [0, 0, 5],
        ]),
        transpose(q),
      );
      within("double eigenvalue", relErr(sym(mat(nb.grad(f)(f64(sym(a))))), I3), TOL);
      // w equal on the repeated pair: ∇ = P₁₂ + 3 P₃, P the spectral projectors.
      const g = (x: nb.Tensor) => nb.sum(nb.mul(f64([1, 1, 3]), la().eigvalsh(x)));
      const p3 = q.map((r) => r.map((_, j) => r[2]! * q[j]![2]!));
      const ref = I3.map((r, i) => r.map((v, j) => v + 2 * p3[i]![j]!));
      within("weighted, double eigenvalue", relErr(sym(mat(nb.grad(g)(f64(sym(a))))), ref), TOL);
    });
    it("∇ ‖A‖_nuc = Q at an orthogonal Q (all singular values 1), through svdvals and norm", () => {
      const q = orthogonal(4, 1.1);
      const viaSvdvals = mat(nb.grad((a: nb.Tensor) => nb.sum(la().svdvals(a)))(f64(q)));
      within("svdvals", relErr(viaSvdvals, q), TOL);
      const viaNorm = mat(nb.grad((a: nb.Tensor) => la().norm(a, { ord: "nuc" }))(f64(q)));
      within("norm nuc", relErr(viaNorm, q), TOL);
    });
    it("eigenvalue tangents by jvp are finite at A = I and sum to tr(V)", () => {
      const I2 = [
        [1, 0],
        [0, 1],
      ];
      const V = [
        [0.3, 0.1],
        [0.1, -0.2],
      ];
      const [, t] = nb.jvp((a: nb.Tensor) => la().eigvalsh(a), [f64(I2)], [f64(V)]) as [nb.Tensor, nb.Tensor];
      const got = Array.from(t.dataSync() as Float64Array);
      // At a repeated eigenvalue the tangents depend on the basis chosen, but they are finite and, as the trace
      // is linear, sum to tr(V).
      for (const v of got) expect(Number.isFinite(v), `tangent ${v}`).toBe(true);
      within("Σ tangents = tr V", Math.abs(got[0]! + got[1]! - 0.1), TOL);
    });
  },
);

describe.skipIf(!linalg)("det at a singular matrix", () => {
  it("∇ det(A) is the cofactor matrix at a rank n−1 matrix (finite, as JAX)", () => {
    const a = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ];
    // cof[i][j] = (−1)^{i+j} minor(i, j)
    const cof = a.map((_, i) =>
      a.map((__, j) => {
        const m = a.filter((_r, p) => p !== i).map((r) => r.filter((_c, q) => q !== j));
        return (-1) ** (i + j) * (m[0]![0]! * m[1]![1]! - m[0]![1]! * m[1]![0]!);
      }),
    );
    const g = mat(nb.grad((x: nb.Tensor) => la().det(x))(f64(a)));
    within("cofactors", relErr(g, cof), 1e-8);
  });
});

describe.skipIf(!linalg)("vector norm gradients: ∇‖x‖_p = sign(x)|x|^(p−1) / ‖x‖_p^(p−1)", () => {
  const x = [0.7, -1.3, 0.2, 2.1, -0.45, 1.05];
  const pnorm = (v: number[], p: number) => v.reduce((s, t) => s + Math.abs(t) ** p, 0) ** (1 / p);
  for (const p of [1, 2, 3, 0.5, -1, Infinity, -Infinity]) {
    it(`ord ${p}`, () => {
      const g = Array.from(
        nb
          .grad((v: nb.Tensor) => la().norm(v, { ord: p }))(f64(x))
          .dataSync() as Float64Array,
      );
      let ref: number[];
      if (p === Infinity || p === -Infinity) {
        const abs = x.map(Math.abs);
        const k = abs.indexOf(p === Infinity ? Math.max(...abs) : Math.min(...abs));
        ref = x.map((v, i) => (i === k ? Math.sign(v) : 0));
      } else {
        const nrm = pnorm(x, p);
        ref = x.map((v) => Math.sign(v) * Math.abs(v) ** (p - 1) * nrm ** (1 - p));
      }
      within(`ord ${p}`, relErr(g, ref), TOL);
    });
  }
  it("ord 3 along axis 1 of a matrix, keepdims", () => {
    const m = [x.slice(0, 3), x.slice(3)];
    const g = mat(
      nb.grad((a: nb.Tensor) => nb.sum(la().norm(a, { ord: 3, axis: 1, keepdims: true })))(f64(m)),
    );
    const ref = m.map((row) => {
      const nrm = pnorm(row, 3);
      return row.map((v) => Math.sign(v) * v * v * nrm ** -2);
    });
    within("rows", relErr(g, ref), TOL);
  });
});

describe.skipIf(!linalg)(
  "lstsq residuals: min over x of ‖Ax − b‖², so ∇_b = 2r and ∇_A = −2 r xᵀ (r = b − Ax)",
  () => {
    const cases = fixture<{
      lstsq: { kind: string; a: Mat; b: number[] | Mat; solution: number[] | Mat; residuals: number[] }[];
    }>("solve.json").lstsq.filter((c) => c.kind === "well" && c.residuals.length > 0);
    cases.forEach((c, i) => {
      it(`#${i} ${c.a.length}×${c.a[0]!.length}`, () => {
        const b = (Array.isArray(c.b[0]) ? c.b : (c.b as number[]).map((v) => [v])) as Mat;
        const x = (
          Array.isArray(c.solution[0]) ? c.solution : (c.solution as number[]).map((v) => [v])
        ) as Mat;
        const ax = matmul(c.a, x);
        const r = b.map((row, p) => row.map((v, q) => v - ax[p]![q]!));
        const f = (a: nb.Tensor, bb: nb.Tensor) => nb.sum(la().lstsq(a, bb).residuals);
        const [ga, gb] = nb.grad(f, { argnums: [0, 1] })(f64(c.a), f64(c.b)) as [nb.Tensor, nb.Tensor];
        const gbRef = r.map((row) => row.map((v) => 2 * v));
        const gaRef = matmul(r, transpose(x)).map((row) => row.map((v) => -2 * v));
        within("∇b", relErr(flatten(gb.toArray()), gbRef.flat()), 1e-9);
        within("∇A", relErr(mat(ga), gaRef), 1e-9);
      });
    });
  },
);
const flatten = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flatten) : [x as number]);
