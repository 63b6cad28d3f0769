// nb.linalg at sizes past typical kernel block sizes (n = 33, 64, 65, 100, 130, 200), on both backends. The
// inputs are rebuilt here from a seed (M uniform in [−1, 1) by the mulberry32 stream scripts/linalg-fixtures.py
// reproduces, SPD = M Mᵀ/n + I, symmetric = (M + Mᵀ)/2), so only compact LAPACK results are stored
// (large.json): determinants, pivots, diagonals of U, R and L, spectra and solutions. Tolerance rules as in
// lapack-util.ts: backward errors ≤ C·n·EPS, forward errors ≤ C·n·cond·EPS, eigenvalues (Weyl) ≤ C·n·EPS·‖A‖₂.
import * as nb from "nabla";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BACKENDS,
  C_BACK,
  C_FWD,
  EPS,
  EPS32,
  eye,
  f64,
  fixture,
  fro,
  la,
  linalg,
  type Mat,
  mat,
  matmul,
  relErr,
  sub,
  transpose,
  values,
  within,
} from "./lapack-util.js";

interface Large {
  n: number;
  condGeneral: number;
  condSpd: number;
  sign: number;
  logabsdet: number;
  pivots: number[];
  pivotMargin: number;
  luDiag: number[];
  rDiag: number[];
  choleskyDiag: number[];
  logdetSpd: number;
  eigvalsSpd: number[];
  eigvalsSym: number[];
  singularValues: number[];
  solve: number[];
  solveSpd: number[];
}
const CASES = fixture<Large[]>("large.json");

/** mulberry32 (as bench/libs/common.mjs), float64 values uniform in [lo, hi). */
function uniform64(seed: number, size: number, lo: number, hi: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(lo + (hi - lo) * (((t ^ (t >>> 14)) >>> 0) / 4294967296));
  }
  return out;
}
function inputs(n: number) {
  const flatM = uniform64(500 + n, n * n, -1, 1);
  const m: Mat = Array.from({ length: n }, (_, i) => flatM.slice(i * n, (i + 1) * n));
  const mmT = matmul(m, transpose(m));
  const spd = mmT.map((r, i) => r.map((v, j) => v / n + (i === j ? 1 : 0)));
  const sym = m.map((r, i) => r.map((v, j) => 0.5 * (v + m[j]![i]!)));
  return { m, spd, sym, b: uniform64(700 + n, n, -1, 1) };
}
const back = (n: number) => C_BACK * n * EPS;
const fwd = (n: number, cond: number) => C_FWD * n * cond * EPS;
const maxAbsDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

for (const backend of BACKENDS)
  describe.skipIf(!linalg)(`backend ${backend}: n past block sizes`, () => {
    let previous: ReturnType<typeof nb.setBackend> | undefined;
    beforeAll(() => {
      previous = nb.setBackend(backend);
    });
    afterAll(() => {
      if (previous) nb.setBackend(previous);
    });
    for (const c of CASES) {
      const n = c.n;
      it(`n=${n} cholesky, slogdet, solve`, () => {
        const { m, spd, b } = inputs(n);
        const L = mat(la().cholesky(f64(spd)));
        within("cholesky backward", relErr(matmul(L, transpose(L)), spd), back(n));
        within(
          "cholesky diagonal vs LAPACK",
          relErr(
            L.map((r, i) => r[i]!),
            c.choleskyDiag,
          ),
          fwd(n, c.condSpd),
        );
        const s = la().slogdet(f64(m));
        expect(s.sign.item()).toBe(c.sign);
        within(
          "logabsdet",
          Math.abs(s.logabsdet.item() - c.logabsdet),
          fwd(n, c.condGeneral) + 4 * n * EPS * Math.abs(c.logabsdet),
        );
        within(
          "logdet SPD",
          Math.abs(la().slogdet(f64(spd)).logabsdet.item() - c.logdetSpd),
          fwd(n, c.condSpd) * 10,
        );
        within("solve", relErr(values(la().solve(f64(m), f64(b))), c.solve), fwd(n, c.condGeneral));
        within("solve SPD", relErr(values(la().solve(f64(spd), f64(b))), c.solveSpd), fwd(n, c.condSpd));
      });
      it(`n=${n} lu (LAPACK's pivots) and qr (LAPACK's signs)`, () => {
        const { m } = inputs(n);
        const f = la().lu(f64(m));
        if (c.pivotMargin > 1e-8) expect(values(f.pivots)).toEqual(c.pivots);
        const lu = mat(f.lu);
        const perm = values(f.permutation);
        const Lm = lu.map((r, i) => r.map((v, j) => (i === j ? 1 : j < i ? v : 0)));
        const Um = lu.map((r, i) => r.map((v, j) => (j >= i ? v : 0)));
        within(
          "lu backward",
          relErr(
            matmul(Lm, Um),
            perm.map((p) => m[p]!),
          ),
          back(n) * 4,
        );
        within(
          "diag(U) vs getrf",
          relErr(
            lu.map((r, i) => r[i]!),
            c.luDiag,
          ),
          fwd(n, c.condGeneral),
        );
        const { q, r } = la().qr(f64(m));
        const Q = mat(q);
        const R = mat(r);
        within("qr orthogonality", relErr(matmul(transpose(Q), Q), eye(n)), back(n));
        within("qr backward", relErr(matmul(Q, R), m), back(n));
        within(
          "diag(R) vs geqrf, signs included",
          relErr(
            R.map((row, i) => row[i]!),
            c.rDiag,
          ),
          fwd(n, c.condGeneral),
        );
      });
      it(`n=${n} float32: backward errors within float32 rounding`, () => {
        const { m, spd, sym, b } = inputs(n);
        const back32 = C_BACK * n * EPS32;
        const f32 = (x: nb.TensorLike) => nb.array(x, { dtype: "float32" });
        const Lc = la().cholesky(f32(spd));
        expect(Lc.dtype).toBe("float32");
        const Lm = mat(Lc);
        within("cholesky", relErr(matmul(Lm, transpose(Lm)), spd), back32);
        const x = values(la().solve(f32(m), f32(b)));
        const res = matmul(
          m,
          x.map((v) => [v]),
        ).map((r, i) => r[0]! - b[i]!);
        within("solve residual ‖Ax − b‖/(‖A‖‖x‖)", fro(res) / (fro(m) * fro(x)), back32);
        const { q, r } = la().qr(f32(m));
        within("qr", relErr(matmul(mat(q), mat(r)), m), back32);
        const e = la().eigh(f32(sym));
        const w = values(e.eigenvalues);
        const V = mat(e.eigenvectors);
        const anorm = Math.max(...c.eigvalsSym.map(Math.abs));
        within("eigh eigenvalues", maxAbsDiff(w, c.eigvalsSym) / anorm, back32);
        within("eigh orthogonality", relErr(matmul(transpose(V), V), eye(n)), back32);
        const S = values(la().svdvals(f32(m)));
        within("svdvals", maxAbsDiff(S, c.singularValues) / c.singularValues[0]!, back32);
      });
      it(`n=${n} eigh and svd`, () => {
        const { m, spd, sym } = inputs(n);
        for (const [name, a, ref] of [
          ["SPD", spd, c.eigvalsSpd],
          ["symmetric", sym, c.eigvalsSym],
        ] as const) {
          const e = la().eigh(f64(a));
          const w = values(e.eigenvalues);
          const V = mat(e.eigenvectors);
          const anorm = Math.max(...ref.map(Math.abs));
          within(`${name} eigenvalues`, maxAbsDiff(w, ref) / anorm, back(n));
          within(`${name} orthogonality`, relErr(matmul(transpose(V), V), eye(n)), back(n));
          const res = sub(
            matmul(a as Mat, V),
            V.map((r) => r.map((v, j) => v * w[j]!)),
          );
          within(`${name} residual ‖AV − VΛ‖_F/‖A‖₂`, fro(res) / anorm, back(n));
        }
        const sv = la().svd(f64(m));
        const S = values(sv.s);
        within("singular values", maxAbsDiff(S, c.singularValues) / c.singularValues[0]!, back(n));
        const US = mat(sv.u).map((r) => r.map((v, j) => v * S[j]!));
        within("svd backward", relErr(matmul(US, mat(sv.vh)), m), back(n));
      });
    }
  });
