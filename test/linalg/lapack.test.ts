// nb.linalg factorizations against LAPACK (NumPy / SciPy float64 fixtures from scripts/linalg-fixtures.py):
// values, invariants (reconstruction, orthogonality, triangularity, ordering, LAPACK's pivots and signs),
// float32, and batching. The tolerance rules are stated in lapack-util.ts.
import * as nb from "nabla";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BACKENDS,
  C_BACK,
  C_FWD,
  caseName,
  EPS,
  EPS32,
  expectColumnsUpToSign,
  eye,
  f32,
  f64,
  fixture,
  gaps,
  la,
  linalg,
  type Mat,
  mat,
  matmul,
  relErr,
  shapeOf,
  sub,
  transpose,
  tril,
  triu,
  values,
  within,
} from "./lapack-util.js";

interface Base {
  kind: string;
  cond: number;
  a: Mat;
}
const D = fixture<{
  cholesky: (Base & { l: Mat; aLowerOnly?: Mat })[];
  lu: (Base & { lu: Mat; pivots: number[]; permutation: number[]; pivotMargin: number })[];
  qr: (Base & { q: Mat; r: Mat; qComplete: Mat; rComplete: Mat })[];
  eigh: (Base & { aLowerOnly: Mat; eigenvalues: number[]; eigenvectors: Mat })[];
  svd: (Base & { u: Mat; s: number[]; vh: Mat })[];
}>("decomp.json");

const backTol = (n: number) => C_BACK * Math.max(n, 1) * EPS;
const fwdTol = (n: number, cond: number) => C_FWD * Math.max(n, 1) * Math.max(cond, 1) * EPS;
const orthErr = (q: Mat) => relErr(matmul(transpose(q), q), eye(shapeOf(q)[1]));

// Every case runs on each backend: "fast" (the default, WebAssembly / native kernels where they exist) and
// "reference" (the plain TypeScript specification).
for (const backend of BACKENDS)
  describe(`backend ${backend}`, () => {
    let previous: ReturnType<typeof nb.setBackend> | undefined;
    beforeAll(() => {
      previous = nb.setBackend(backend);
    });
    afterAll(() => {
      if (previous) nb.setBackend(previous);
    });
    it("runs on that backend", () => expect(nb.getBackend().name).toBe(backend));
    describe.skipIf(!linalg)("linalg.cholesky vs LAPACK potrf", () => {
      D.cholesky.forEach((c, i) => {
        it(`${caseName(c, i)} cond ${c.cond.toExponential(0)}`, () => {
          const n = c.a.length;
          const t = la().cholesky(f64(c.a));
          expect(t.dtype).toBe("float64");
          expect(t.shape).toEqual([n, n]);
          const l = mat(t);
          expect(
            triu(l, 1)
              .flat()
              .every((v) => v === 0),
            "strictly upper part is zero",
          ).toBe(true);
          for (let k = 0; k < n; k++) expect(l[k]![k]!, "positive diagonal").toBeGreaterThan(0);
          within("backward ‖A − LLᵀ‖/‖A‖", relErr(matmul(l, transpose(l)), c.a), backTol(n));
          within("forward ‖L − L_lapack‖/‖L‖", relErr(l, c.l), fwdTol(n, c.cond));
        });
      });
      it("reads only the lower triangle (upper poisoned)", () => {
        for (const c of D.cholesky.filter((c) => c.aLowerOnly && c.a.length > 1)) {
          const l = mat(la().cholesky(f64(c.aLowerOnly!)));
          within(`n=${c.a.length}`, relErr(l, c.l), fwdTol(c.a.length, c.cond));
        }
      });
      it("upper: U with A = UᵀU equals Lᵀ", () => {
        for (const c of D.cholesky.slice(0, 8)) {
          const u = mat(la().cholesky(f64(c.a), { upper: true }));
          expect(tril(u, -1)).toEqual(tril(u, -1).map((r) => r.map(() => 0)));
          within(`n=${c.a.length}`, relErr(u, transpose(c.l)), fwdTol(c.a.length, c.cond));
        }
      });
      it("float32 input gives float32 within float32 tolerance", () => {
        for (const c of D.cholesky.filter((c) => c.kind === "well")) {
          const n = c.a.length;
          const t = la().cholesky(f32(c.a));
          expect(t.dtype).toBe("float32");
          within(`n=${n}`, relErr(mat(t), c.l), C_FWD * n * c.cond * EPS32);
        }
      });
    });

    describe.skipIf(!linalg)("linalg.lu vs LAPACK getrf (scipy.linalg.lu_factor)", () => {
      D.lu.forEach((c, i) => {
        it(`${caseName(c, i)} cond ${c.cond.toExponential(0)}`, () => {
          const [m, n] = shapeOf(c.a);
          const k = Math.min(m, n);
          const { lu, pivots, permutation } = la().lu(f64(c.a));
          expect(lu.dtype).toBe("float64");
          expect(lu.shape).toEqual([m, n]);
          expect(pivots.dtype).toBe("int32");
          expect(pivots.shape).toEqual([k]);
          expect(permutation.dtype).toBe("int32");
          expect(permutation.shape).toEqual([m]);
          const p = values(pivots);
          const perm = values(permutation);
          // Pivots equal LAPACK's when no step is a near-tie (margin between the two largest candidates).
          if (c.pivotMargin > 1e-6) expect(p, "0-based getrf pivots").toEqual(c.pivots);
          expect(
            [...perm].sort((x, y) => x - y),
            "permutation is a permutation",
          ).toEqual([...Array(m).keys()]);
          // permutation follows from the pivots (row swaps applied in order).
          const fromPiv = [...Array(m).keys()];
          p.forEach((pi, r) => {
            [fromPiv[r], fromPiv[pi]] = [fromPiv[pi]!, fromPiv[r]!];
          });
          expect(perm, "permutation = the pivots' row swaps").toEqual(fromPiv);
          const f = mat(lu);
          const L = Array.from({ length: m }, (_, r) =>
            Array.from({ length: k }, (_, j) => (r === j ? 1 : r > j ? f[r]![j]! : 0)),
          );
          const U = Array.from({ length: k }, (_, r) =>
            Array.from({ length: n }, (_, j) => (j >= r ? f[r]![j]! : 0)),
          );
          for (let r = 0; r < m; r++)
            for (let j = 0; j < Math.min(r, k); j++)
              expect(Math.abs(L[r]![j]!), "partial pivoting: |L| ≤ 1").toBeLessThanOrEqual(1);
          const pa = perm.map((r) => c.a[r]!);
          within("backward ‖A[perm] − LU‖/‖A‖", relErr(matmul(L, U), pa), backTol(Math.max(m, n)) * 4);
          if (c.pivotMargin > 1e-6)
            within("forward vs getrf", relErr(f, c.lu), fwdTol(Math.max(m, n), c.cond));
        });
      });
      it("a singular matrix factors without error, as getrf does (U has a zero pivot)", () => {
        const { lu, pivots } = la().lu(
          f64([
            [1, 2],
            [2, 4],
          ]),
        );
        expect(values(pivots)).toEqual([1, 1]);
        expect(mat(lu)).toEqual([
          [2, 4],
          [0.5, 0],
        ]);
      });
      it("luSolve solves A x = b and Aᵀ x = b; b [n] stays a vector", () => {
        for (const c of D.lu.filter(
          (c) => c.a.length === c.a[0]!.length && c.a.length >= 2 && c.kind === "well",
        )) {
          const n = c.a.length;
          const fac = la().lu(f64(c.a));
          const b = Array.from({ length: n }, (_, i) => Math.sin(i + 1));
          const x = la().luSolve(fac, f64(b));
          expect(x.shape).toEqual([n]);
          const xs = values(x);
          within(
            "A x = b",
            relErr(
              matmul(
                c.a,
                xs.map((v) => [v]),
              ).map((r) => r[0]!),
              b,
            ),
            fwdTol(n, c.cond),
          );
          const xt = values(la().luSolve(fac, f64(b), { transpose: true }));
          within(
            "Aᵀ x = b",
            relErr(
              matmul(
                transpose(c.a),
                xt.map((v) => [v]),
              ).map((r) => r[0]!),
              b,
            ),
            fwdTol(n, c.cond),
          );
          const bm = b.map((v) => [v, 2 * v]);
          const xm = la().luSolve(fac, f64(bm));
          expect(xm.shape).toEqual([n, 2]);
          within("A X = B", relErr(matmul(c.a, mat(xm)), bm), fwdTol(n, c.cond));
        }
      });
    });

    describe.skipIf(!linalg)("linalg.qr vs LAPACK geqrf/orgqr (numpy.linalg.qr)", () => {
      D.qr.forEach((c, i) => {
        it(`${caseName(c, i)} reduced, cond ${c.cond.toExponential(0)}`, () => {
          const [m, n] = shapeOf(c.a);
          const k = Math.min(m, n);
          const { q, r } = la().qr(f64(c.a));
          expect(q.shape).toEqual([m, k]);
          expect(r.shape).toEqual([k, n]);
          const Q = mat(q);
          const R = mat(r);
          expect(tril(R, -1), "R upper trapezoidal").toEqual(tril(R, -1).map((row) => row.map(() => 0)));
          within("orthogonality ‖QᵀQ − I‖", orthErr(Q), backTol(m));
          within("backward ‖A − QR‖/‖A‖", relErr(matmul(Q, R), c.a), backTol(Math.max(m, n)));
          // LAPACK's sign convention (Householder, not normalized): the factors themselves equal LAPACK's.
          within("R vs LAPACK", relErr(R, c.r), fwdTol(Math.max(m, n), c.cond));
          within("Q vs LAPACK", relErr(Q, c.q), fwdTol(Math.max(m, n), c.cond));
        });
        it(`${caseName(c, i)} complete`, () => {
          const [m, n] = shapeOf(c.a);
          const { q, r } = la().qr(f64(c.a), { mode: "complete" });
          expect(q.shape).toEqual([m, m]);
          expect(r.shape).toEqual([m, n]);
          const Q = mat(q);
          const R = mat(r);
          expect(tril(R, -1)).toEqual(tril(R, -1).map((row) => row.map(() => 0)));
          within("orthogonality", orthErr(Q), backTol(m));
          within("backward", relErr(matmul(Q, R), c.a), backTol(Math.max(m, n)));
          within("R vs LAPACK", relErr(R, c.rComplete), fwdTol(Math.max(m, n), c.cond));
          within("Q vs LAPACK (orgqr)", relErr(Q, c.qComplete), fwdTol(Math.max(m, n), c.cond));
        });
      });
      it("an upper-triangular input gives Q = I and R = A, signs kept (geqrf's τ = 0 when a column is done)", () => {
        const a = [
          [-2, 1, 3],
          [0, 5, -1],
          [0, 0, -4],
        ];
        const { q, r } = la().qr(f64(a));
        expect(relErr(mat(q), eye(3))).toBe(0);
        expect(relErr(mat(r), a)).toBe(0);
        const tall = la().qr(f64([...a, [0, 0, 0]]));
        expect(relErr(mat(tall.q), [...eye(3), [0, 0, 0]])).toBe(0);
        expect(relErr(mat(tall.r), a)).toBe(0);
      });
      it("float32", () => {
        for (const c of D.qr.filter((c) => c.kind === "well")) {
          const [m, n] = shapeOf(c.a);
          const { q, r } = la().qr(f32(c.a));
          expect(q.dtype).toBe("float32");
          expect(r.dtype).toBe("float32");
          within(`${m}×${n} backward`, relErr(matmul(mat(q), mat(r)), c.a), C_BACK * Math.max(m, n) * EPS32);
          within(`${m}×${n} R`, relErr(mat(r), c.r), C_FWD * Math.max(m, n) * c.cond * EPS32);
        }
      });
    });

    describe.skipIf(!linalg)("linalg.eigh vs LAPACK syevd (numpy.linalg.eigh)", () => {
      D.eigh.forEach((c, i) => {
        it(`${caseName(c, i)} cond ${c.cond.toExponential(0)}`, () => {
          const n = c.a.length;
          const { eigenvalues, eigenvectors } = la().eigh(f64(c.a));
          expect(eigenvalues.shape).toEqual([n]);
          expect(eigenvectors.shape).toEqual([n, n]);
          expect(eigenvalues.dtype).toBe("float64");
          const w = values(eigenvalues);
          const V = mat(eigenvectors);
          const anorm = Math.max(...c.eigenvalues.map(Math.abs));
          for (let j = 1; j < n; j++) expect(w[j]!, "ascending").toBeGreaterThanOrEqual(w[j - 1]!);
          const wErr = Math.max(...w.map((v, j) => Math.abs(v - c.eigenvalues[j]!)));
          within("eigenvalues (Weyl) / ‖A‖", wErr / anorm, backTol(n));
          within("orthogonality", orthErr(V), backTol(n));
          const AV = matmul(c.a, V);
          const VW = V.map((r) => r.map((v, j) => v * w[j]!));
          within("residual ‖AV − VΛ‖_F/‖A‖₂", Math.hypot(...sub(AV, VW).flat()) / anorm, backTol(n));
          const g = gaps(c.eigenvalues);
          expectColumnsUpToSign(
            "eigenvectors",
            V,
            c.eigenvectors,
            g.map((gi) => (backTol(n) * anorm) / gi),
          );
        });
      });
      it("reads only the lower triangle (strict upper poisoned), and lower: false reads the upper", () => {
        for (const c of D.eigh.slice(1, 8)) {
          const n = c.a.length;
          const w = values(la().eigh(f64(c.aLowerOnly)).eigenvalues);
          const anorm = Math.max(...c.eigenvalues.map(Math.abs));
          within(
            `n=${n} lower`,
            Math.max(...w.map((v, j) => Math.abs(v - c.eigenvalues[j]!))) / anorm,
            backTol(n),
          );
          const wu = values(la().eigh(f64(transpose(c.aLowerOnly)), { lower: false }).eigenvalues);
          within(
            `n=${n} upper`,
            Math.max(...wu.map((v, j) => Math.abs(v - c.eigenvalues[j]!))) / anorm,
            backTol(n),
          );
        }
      });
      it("float32", () => {
        for (const c of D.eigh.filter((c) => c.kind === "well")) {
          const n = c.a.length;
          const r = la().eigh(f32(c.a));
          expect(r.eigenvalues.dtype).toBe("float32");
          expect(r.eigenvectors.dtype).toBe("float32");
          const w = values(r.eigenvalues);
          const anorm = Math.max(...c.eigenvalues.map(Math.abs));
          within(
            `n=${n}`,
            Math.max(...w.map((v, j) => Math.abs(v - c.eigenvalues[j]!))) / anorm,
            C_BACK * n * EPS32,
          );
          within(`n=${n} orthogonality`, orthErr(mat(r.eigenvectors)), C_BACK * n * EPS32);
        }
      });
      it("eigvalsh equals eigh's eigenvalues", () => {
        for (const c of D.eigh.slice(0, 10)) {
          const w = values(la().eigvalsh(f64(c.a)));
          const anorm = Math.max(...c.eigenvalues.map(Math.abs));
          within(
            `n=${c.a.length}`,
            Math.max(...w.map((v, j) => Math.abs(v - c.eigenvalues[j]!))) / anorm,
            backTol(c.a.length),
          );
        }
      });
    });

    describe.skipIf(!linalg)("linalg.svd vs LAPACK gesdd (numpy.linalg.svd)", () => {
      D.svd.forEach((c, i) => {
        it(`${caseName(c, i)} cond ${c.cond.toExponential(0)}`, () => {
          const [m, n] = shapeOf(c.a);
          const k = Math.min(m, n);
          const { u, s, vh } = la().svd(f64(c.a));
          expect(u.shape).toEqual([m, k]);
          expect(s.shape).toEqual([k]);
          expect(vh.shape).toEqual([k, n]);
          const S = values(s);
          const U = mat(u);
          const VH = mat(vh);
          for (let j = 1; j < k; j++) expect(S[j]!, "descending").toBeLessThanOrEqual(S[j - 1]!);
          for (const v of S) expect(v).toBeGreaterThanOrEqual(0);
          const smax = c.s[0]!;
          within(
            "singular values (Weyl) / σ₁",
            Math.max(...S.map((v, j) => Math.abs(v - c.s[j]!))) / smax,
            backTol(Math.max(m, n)),
          );
          within("UᵀU = I", orthErr(U), backTol(m));
          within("V Vᵀ = I", orthErr(transpose(VH)), backTol(n));
          const US = U.map((r) => r.map((v, j) => v * S[j]!));
          within("backward ‖A − UΣVᴴ‖/‖A‖", relErr(matmul(US, VH), c.a), backTol(Math.max(m, n)));
          // Up to sign, paired: column j of U and row j of Vᴴ flip together.
          const g = gaps(c.s, m !== n);
          const tols = g.map((gi) => (backTol(Math.max(m, n)) * smax) / gi);
          for (let j = 0; j < k; j++) {
            if (!(tols[j]! < 0.1)) continue;
            const uj = U.map((r) => r[j]!);
            const ur = c.u.map((r) => r[j]!);
            const sign = uj.reduce((acc, v, t) => acc + v * ur[t]!, 0) < 0 ? -1 : 1;
            within(
              `u column ${j}`,
              relErr(
                uj.map((v) => v * sign),
                ur,
              ),
              tols[j]!,
            );
            within(
              `vh row ${j} (same sign as u)`,
              relErr(
                VH[j]!.map((v) => v * sign),
                c.vh[j]!,
              ),
              tols[j]!,
            );
          }
        });
      });
      it("rank-deficient inputs: U and V keep orthonormal columns, zero singular values stay ≈ 0 (as gesdd)", () => {
        // Singular values from numpy.linalg.svd.
        const cases: [Mat, number[]][] = [
          [
            [
              [1, 2, 3, 4],
              [2, 4, 6, 8],
              [1, 0, 1, 0],
              [2, 0, 2, 0],
            ],
            [12.361274161380173, 2.6830767986017134, 0, 0],
          ],
          [
            [
              [1, 2, 3],
              [2, 4, 6],
              [3, 6, 9],
              [0, 0, 0],
              [1, 2, 3],
            ],
            [14.491376746189438, 0, 0],
          ],
          [
            [
              [0, 0, 0],
              [0, 1, 0],
              [0, 0, 0],
            ],
            [1, 0, 0],
          ],
          [
            [
              [1, 1, 0, 0],
              [1, 1, 0, 0],
              [0, 0, 2, 2],
              [0, 0, 2, 2],
            ],
            [4, 2, 0, 0],
          ],
        ];
        for (const [a, sRef] of cases) {
          const [m, n] = shapeOf(a);
          const { u, s, vh } = la().svd(f64(a));
          const S = values(s);
          const what = `${m}×${n} rank ${sRef.filter((x) => x > 0).length}`;
          within(
            `${what} singular values`,
            Math.max(...S.map((v, j) => Math.abs(v - sRef[j]!))) / sRef[0]!,
            backTol(Math.max(m, n)),
          );
          within(`${what} UᵀU = I`, orthErr(mat(u)), backTol(m));
          within(`${what} V Vᵀ = I`, orthErr(transpose(mat(vh))), backTol(n));
          const US = mat(u).map((r) => r.map((v, j) => v * S[j]!));
          within(`${what} backward`, relErr(matmul(US, mat(vh)), a), backTol(Math.max(m, n)));
        }
      });
      it("fullMatrices: u [m, m], vh [n, n], both orthogonal, same leading part", () => {
        for (const c of D.svd.filter((c) => c.a.length !== c.a[0]!.length)) {
          const [m, n] = shapeOf(c.a);
          const k = Math.min(m, n);
          const { u, s, vh } = la().svd(f64(c.a), { fullMatrices: true });
          expect(u.shape).toEqual([m, m]);
          expect(vh.shape).toEqual([n, n]);
          expect(s.shape).toEqual([k]);
          within(`${m}×${n} U orth`, orthErr(mat(u)), backTol(m));
          within(`${m}×${n} V orth`, orthErr(transpose(mat(vh))), backTol(n));
          const S = values(s);
          const U = mat(u).map((r) => r.slice(0, k).map((v, j) => v * S[j]!));
          within(`${m}×${n} backward`, relErr(matmul(U, mat(vh).slice(0, k)), c.a), backTol(Math.max(m, n)));
        }
      });
      it("computeUv: false and svdvals give the singular values", () => {
        for (const c of D.svd.slice(0, 12)) {
          const [m, n] = shapeOf(c.a);
          const s1 = la().svd(f64(c.a), { computeUv: false });
          expect(s1.shape).toEqual([Math.min(m, n)]);
          within(`${m}×${n} computeUv false`, relErr(values(s1), c.s), backTol(Math.max(m, n)));
          within(`${m}×${n} svdvals`, relErr(values(la().svdvals(f64(c.a))), c.s), backTol(Math.max(m, n)));
        }
      });
      it("float32", () => {
        for (const c of D.svd.filter((c) => c.kind === "well")) {
          const [m, n] = shapeOf(c.a);
          const r = la().svd(f32(c.a));
          expect(r.s.dtype).toBe("float32");
          within(`${m}×${n}`, relErr(values(r.s), c.s), C_BACK * Math.max(m, n) * EPS32);
        }
      });
    });

    // ---------------------------------------------------------------- batching: [2, 3, n, n] equals per-matrix results
    type T4 = Mat[][];
    const B = fixture<{
      aGeneral: T4;
      aSpd: T4;
      aSym: T4;
      b: T4;
      cholesky: T4;
      solve: T4;
      solveBroadcastB: T4;
      inv: T4;
      det: number[][];
      sign: number[][];
      logabsdet: number[][];
      eigenvalues: number[][][];
      eigenvectors: T4;
      s: number[][][];
      q: T4;
      r: T4;
      lu: T4;
      pivots: number[][][];
      expm: T4;
      triangularSolve: T4;
    }>("batched.json");

    describe.skipIf(!linalg)("batched [2, 3, 4, 4] inputs equal per-matrix results and LAPACK's", () => {
      const n = 4;
      const tol = fwdTol(n, 100);
      const each = (f: (i: number, j: number) => void) => {
        for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) f(i, j);
      };
      const slice = (t: nb.Tensor, i: number, j: number) => (t.toArray() as unknown[][])[i]![j];
      it("cholesky", () => {
        const t = la().cholesky(f64(B.aSpd));
        expect(t.shape).toEqual([2, 3, n, n]);
        within("vs LAPACK", relErr(t.toArray(), B.cholesky), tol);
        each((i, j) =>
          within(
            `[${i},${j}] vs single`,
            relErr(slice(t, i, j), la().cholesky(f64(B.aSpd[i]![j]!)).toArray()),
            tol,
          ),
        );
      });
      it("solve (and b broadcast over the batch)", () => {
        const t = la().solve(f64(B.aGeneral), f64(B.b));
        expect(t.shape).toEqual([2, 3, n, 2]);
        within("vs LAPACK", relErr(t.toArray(), B.solve), tol);
        each((i, j) =>
          within(
            `[${i},${j}]`,
            relErr(slice(t, i, j), la().solve(f64(B.aGeneral[i]![j]!), f64(B.b[i]![j]!)).toArray()),
            tol,
          ),
        );
        const tb = la().solve(f64(B.aGeneral), f64(B.b[0]![0]!));
        expect(tb.shape).toEqual([2, 3, n, 2]);
        within("broadcast b", relErr(tb.toArray(), B.solveBroadcastB), tol);
      });
      it("solve with a vector b ([n], ndim 1) under a batch of matrices gives [..., n] (NumPy 2's rule)", () => {
        const v = [1, -2, 0.5, 3];
        const t = la().solve(f64(B.aGeneral), f64(v));
        expect(t.shape).toEqual([2, 3, n]);
        each((i, j) =>
          within(
            `[${i},${j}]`,
            relErr(slice(t, i, j), la().solve(f64(B.aGeneral[i]![j]!), f64(v)).toArray()),
            tol,
          ),
        );
      });
      it("NumPy 2's rule: b [k, n] (ndim 2) is one matrix, not a batch of vectors", () => {
        // a [2, 3, 4, 4] with b [3, 4]: b is a 3×4 matrix, whose 3 rows do not match a's 4: ShapeError (NumPy 2
        // raises too; NumPy 1 would have read b as a batch of vectors).
        expect(() => la().solve(f64(B.aGeneral), f64(B.b[0]!.map((m) => m.map((r) => r[0]!))))).toThrow(
          nb.ShapeError,
        );
        // a [3, 4, 4] with b [4, 4]: b is one 4×4 matrix, broadcast over the batch: x [3, 4, 4].
        const bm = B.aGeneral[1]![0]!;
        const x = la().solve(f64(B.aGeneral[0]!), f64(bm));
        expect(x.shape).toEqual([3, n, n]);
        for (let j = 0; j < 3; j++)
          within(
            `[${j}]`,
            relErr(
              slice(x.reshape([1, 3, n, n]), 0, j),
              la().solve(f64(B.aGeneral[0]![j]!), f64(bm)).toArray(),
            ),
            tol,
          );
      });
      it("inv, det, slogdet", () => {
        within("inv", relErr(la().inv(f64(B.aGeneral)).toArray(), B.inv), tol);
        const d = la().det(f64(B.aGeneral));
        expect(d.shape).toEqual([2, 3]);
        within("det", relErr(d.toArray(), B.det), tol);
        const s = la().slogdet(f64(B.aGeneral));
        expect(s.sign.toArray()).toEqual(B.sign);
        within("logabsdet", relErr(s.logabsdet.toArray(), B.logabsdet), tol);
      });
      it("eigh, svd, qr", () => {
        const e = la().eigh(f64(B.aSym));
        expect(e.eigenvectors.shape).toEqual([2, 3, n, n]);
        within("eigenvalues", relErr(e.eigenvalues.toArray(), B.eigenvalues), backTol(n) * 10);
        each((i, j) => {
          const one = la().eigh(f64(B.aSym[i]![j]!));
          within(
            `[${i},${j}] values`,
            relErr(slice(e.eigenvalues, i, j), one.eigenvalues.toArray()),
            backTol(n),
          );
          const g = gaps(B.eigenvalues[i]![j]!);
          expectColumnsUpToSign(
            `[${i},${j}] vectors`,
            slice(e.eigenvectors, i, j) as Mat,
            B.eigenvectors[i]![j]!,
            g.map((x) => (backTol(n) * 10) / x),
          );
        });
        const s = la().svd(f64(B.aGeneral));
        expect(s.u.shape).toEqual([2, 3, n, n]);
        within("singular values", relErr(s.s.toArray(), B.s), backTol(n));
        const q = la().qr(f64(B.aGeneral));
        within("qr q", relErr(q.q.toArray(), B.q), tol);
        within("qr r", relErr(q.r.toArray(), B.r), tol);
      });
      it("lu, expm, triangularSolve", () => {
        const f = la().lu(f64(B.aGeneral));
        expect(f.pivots.shape).toEqual([2, 3, n]);
        expect(f.pivots.toArray()).toEqual(B.pivots);
        within("lu", relErr(f.lu.toArray(), B.lu), tol);
        within("expm", relErr(la().expm(f64(B.aGeneral)).toArray(), B.expm), 1e-12);
        const l = la().cholesky(f64(B.aSpd));
        within(
          "triangularSolve",
          relErr(la().triangularSolve(l, f64(B.b)).toArray(), B.triangularSolve),
          tol,
        );
      });
      it("every function under jit, and under vmap over 3 matrices, equals eager per-matrix calls", () => {
        const L = la();
        const gen = B.aGeneral[0]!;
        const spdm = B.aSpd[0]!;
        const rhs = B.b[0]!;
        const ops: [string, Mat[], (a: nb.Tensor, b: nb.Tensor) => nb.Tensor][] = [
          ["cholesky", spdm, (a) => L.cholesky(a)],
          ["cholesky upper", spdm, (a) => L.cholesky(a, { upper: true })],
          ["triangularSolve", spdm, (a, b) => L.triangularSolve(L.cholesky(a), b)],
          ["lu.lu", gen, (a) => L.lu(a).lu],
          ["lu.pivots", gen, (a) => L.lu(a).pivots],
          ["luSolve", gen, (a, b) => L.luSolve(L.lu(a), b)],
          ["qr.r", gen, (a) => L.qr(a).r],
          ["qr complete q", gen, (a) => L.qr(a, { mode: "complete" }).q],
          ["eigh values", spdm, (a) => L.eigh(a).eigenvalues],
          ["svd s", gen, (a) => L.svd(a).s],
          ["solve", gen, (a, b) => L.solve(a, b)],
          ["inv", gen, (a) => L.inv(a)],
          ["det", gen, (a) => L.det(a)],
          ["slogdet", gen, (a) => L.slogdet(a).logabsdet],
          ["choSolve", spdm, (a, b) => L.choSolve(L.cholesky(a), b)],
          ["eigvalsh", spdm, (a) => L.eigvalsh(a)],
          ["svdvals", gen, (a) => L.svdvals(a)],
          ["lstsq", gen, (a, b) => L.lstsq(a, b).solution],
          ["pinv", gen, (a) => L.pinv(a)],
          ["matrixRank", gen, (a) => L.matrixRank(a)],
          ["cond", gen, (a) => L.cond(a)],
          ["matrixPower 3", gen, (a) => L.matrixPower(a, 3)],
          ["matrixPower -2", gen, (a) => L.matrixPower(a, -2)],
          ["expm", gen, (a) => L.expm(a)],
          ["norm nuc", gen, (a) => L.norm(a, { ord: "nuc" })],
          ["norm 2", gen, (a) => L.norm(a, { ord: 2 })],
        ];
        for (const [name, as, f] of ops) {
          const eager = as.map((a, k) => f(f64(a), f64(rhs[k]!)).toArray());
          const jitted = nb.jit(f);
          as.forEach((a, k) =>
            within(`${name} jit [${k}]`, relErr(jitted(f64(a), f64(rhs[k]!)).toArray(), eager[k]), 1e-12),
          );
          const mapped = nb.vmap(f)(f64(as), f64(rhs)) as nb.Tensor;
          within(`${name} vmap`, relErr(mapped.toArray(), eager), 1e-12);
        }
      });
      it("vmap over a batch equals the batched call", () => {
        const v = nb.vmap((a: nb.Tensor) => la().cholesky(a))(f64(B.aSpd[0]!));
        within("vmap cholesky", relErr(v.toArray(), B.cholesky[0]), tol);
        const s = nb.vmap((a: nb.Tensor, b: nb.Tensor) => la().solve(a, b))(
          f64(B.aGeneral[1]!),
          f64(B.b[1]!),
        );
        within("vmap solve", relErr(s.toArray(), B.solve[1]), tol);
      });
    });
  });
