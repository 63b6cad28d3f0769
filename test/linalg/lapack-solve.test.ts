// nb.linalg solves and derived functions against LAPACK (NumPy / SciPy float64 fixtures from
// scripts/linalg-fixtures.py), and the error behaviours of the spec. Tolerance rules: lapack-util.ts
// (forward error ≤ C·n·cond·EPS for solves; residual ‖Ax − b‖ ≤ C·n·EPS·‖A‖‖x‖ for a backward-stable solve).
import * as nb from "nabla";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BACKENDS,
  C_BACK,
  C_FWD,
  caseName,
  EPS,
  EPS32,
  f32,
  f64,
  fixture,
  flat,
  fro,
  la,
  linalg,
  type Mat,
  mat,
  matmul,
  type Ord,
  relErr,
  shapeOf,
  sub,
  values,
  within,
} from "./lapack-util.js";

interface Base {
  kind: string;
  cond: number;
  a: Mat;
}
const S = fixture<{
  triangular: (Base & {
    b: Mat;
    x: Mat;
    lower: boolean;
    leftSide: boolean;
    transposeA: boolean;
    unitDiagonal: boolean;
  })[];
  solve: (Base & { b1: number[]; x1: number[]; b2: Mat; x2: Mat })[];
  inv: (Base & { inv: Mat })[];
  det: (Base & { det: number | null; sign: number; logabsdet: number })[];
  choSolve: { kind: string; cond: number; l: Mat; u: Mat; b: Mat; x: Mat }[];
  lstsq: (Base & {
    b: number[] | Mat;
    solution: number[] | Mat;
    residuals: number[];
    rank: number;
    singularValues: number[];
  })[];
  pinv: (Base & { pinv: Mat })[];
}>("solve.json");
const M = fixture<{
  eigvalsh: (Base & { w: number[] })[];
  svdvals: (Base & { s: number[] })[];
  matrixRank: { kind: string; a: Mat; rank: number; tol?: number }[];
  cond: (Base & { values: Record<string, number> })[];
  matrixPower: (Base & { powers: Record<string, Mat> })[];
  expm: { kind: string; norm1: number; a: Mat; expm: Mat }[];
  norm: {
    x: unknown;
    ord: number | string | null;
    axis: number | number[] | null;
    keepdims: boolean;
    value: unknown;
  }[];
}>("misc.json");

const fwdTol = (n: number, cond: number) => C_FWD * Math.max(n, 1) * Math.max(cond, 1) * EPS;
const col = (v: number[]): Mat => v.map((x) => [x]);

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
    describe.skipIf(!linalg)("linalg.triangularSolve vs LAPACK trsm (scipy.linalg.solve_triangular)", () => {
      S.triangular.forEach((c, i) => {
        const o = `lower=${c.lower} left=${c.leftSide} transposeA=${c.transposeA} unit=${c.unitDiagonal}`;
        it(`${caseName(c, i)} ${o}, cond ${c.cond.toExponential(0)}`, () => {
          // The other triangle (and the diagonal when unitDiagonal) of `a` holds junk: it must not be read.
          const x = la().triangularSolve(f64(c.a), f64(c.b), {
            lower: c.lower,
            leftSide: c.leftSide,
            transposeA: c.transposeA,
            unitDiagonal: c.unitDiagonal,
          });
          expect(x.shape).toEqual(shapeOf(c.x));
          expect(x.dtype).toBe("float64");
          within("forward", relErr(mat(x), c.x), fwdTol(c.a.length, c.cond));
        });
      });
      it("float32", () => {
        for (const c of S.triangular.filter((c) => c.kind === "well" && c.a.length <= 8)) {
          const o = {
            lower: c.lower,
            leftSide: c.leftSide,
            transposeA: c.transposeA,
            unitDiagonal: c.unitDiagonal,
          };
          const x = la().triangularSolve(f32(c.a), f32(c.b), o);
          expect(x.dtype).toBe("float32");
          within(JSON.stringify(o), relErr(mat(x), c.x), C_FWD * c.a.length * c.cond * EPS32);
        }
      });
      it("batch dimensions broadcast between a and b", () => {
        const c = S.triangular.find(
          (c) => c.kind === "well" && c.a.length === 3 && c.leftSide && !c.unitDiagonal,
        )!;
        const o = { lower: c.lower, transposeA: c.transposeA };
        const x = la().triangularSolve(f64([c.a, c.a]), f64(c.b), o);
        expect(x.shape).toEqual([2, 3, 2]);
        const x2 = la().triangularSolve(f64(c.a), f64([c.b, c.b, c.b]), o);
        expect(x2.shape).toEqual([3, 3, 2]);
        within("broadcast a", relErr(x.toArray(), [c.x, c.x]), fwdTol(3, c.cond));
        within("broadcast b", relErr(x2.toArray(), [c.x, c.x, c.x]), fwdTol(3, c.cond));
      });
    });

    describe.skipIf(!linalg)("linalg.solve vs LAPACK gesv (numpy.linalg.solve)", () => {
      S.solve.forEach((c, i) => {
        it(`${caseName(c, i)} cond ${c.cond.toExponential(0)}`, () => {
          const n = c.a.length;
          const x1 = la().solve(f64(c.a), f64(c.b1));
          expect(x1.shape, "b [n] (ndim 1) gives x [n]").toEqual([n]);
          const v1 = values(x1);
          within("forward, vector b", relErr(v1, c.x1), fwdTol(n, c.cond));
          const r1 = sub(matmul(c.a, col(v1)), col(c.b1));
          within("backward residual ‖Ax − b‖/(‖A‖‖x‖)", fro(r1) / (fro(c.a) * fro(v1)), C_BACK * n * EPS);
          const x2 = la().solve(f64(c.a), f64(c.b2));
          expect(x2.shape).toEqual([n, 3]);
          within("forward, matrix b", relErr(mat(x2), c.x2), fwdTol(n, c.cond));
        });
      });
      it("float32", () => {
        for (const c of S.solve.filter((c) => c.kind === "well")) {
          const x = la().solve(f32(c.a), f32(c.b2));
          expect(x.dtype).toBe("float32");
          within(`n=${c.a.length}`, relErr(mat(x), c.x2), C_FWD * c.a.length * c.cond * EPS32);
        }
      });
    });

    describe.skipIf(!linalg)("linalg.inv, det, slogdet vs LAPACK", () => {
      S.inv.forEach((c, i) => {
        it(`inv ${caseName(c, i)} cond ${c.cond.toExponential(0)}`, () => {
          const x = la().inv(f64(c.a));
          expect(x.shape).toEqual(shapeOf(c.a));
          within("forward", relErr(mat(x), c.inv), fwdTol(c.a.length, c.cond));
        });
      });
      S.det.forEach((c, i) => {
        it(`det/slogdet ${caseName(c, i)} cond ${c.cond.toExponential(0)}`, () => {
          const n = c.a.length;
          const d = la().det(f64(c.a));
          expect(d.shape).toEqual([]);
          expect(d.dtype).toBe("float64");
          if (c.det === null) expect(Math.abs(d.item())).toBe(Number.POSITIVE_INFINITY);
          else if (c.det === 0) expect(d.item()).toBe(0);
          else within("det relative", Math.abs(d.item() - c.det) / Math.abs(c.det), fwdTol(n, c.cond));
          const { sign, logabsdet } = la().slogdet(f64(c.a));
          expect(sign.item(), "sign").toBe(c.sign);
          // logabsdet is an absolute error: d log|det| = tr(A⁻¹ dA) ≤ n·cond·EPS.
          // (plus the rounding of the sum of n logarithms).
          within(
            "logabsdet",
            Math.abs(logabsdet.item() - c.logabsdet),
            fwdTol(n, c.cond) + 4 * n * EPS * Math.abs(c.logabsdet),
          );
        });
      });
      it("singular matrices: det 0, slogdet sign 0 and logabsdet −Infinity (NumPy), no error", () => {
        const a = [
          [1, 2],
          [2, 4],
        ];
        expect(la().det(f64(a)).item() === 0, "det is ±0").toBe(true);
        const s = la().slogdet(f64(a));
        expect(s.sign.item()).toBe(0);
        expect(s.logabsdet.item()).toBe(Number.NEGATIVE_INFINITY);
      });
      it("float32", () => {
        for (const c of S.det.filter((c) => c.kind === "well")) {
          const d = la().det(f32(c.a));
          expect(d.dtype).toBe("float32");
          within(
            `n=${c.a.length}`,
            Math.abs(d.item() - c.det!) / Math.abs(c.det!),
            C_FWD * c.a.length * c.cond * EPS32,
          );
        }
      });
    });

    describe.skipIf(!linalg)("linalg.choSolve vs scipy.linalg.cho_solve", () => {
      S.choSolve.forEach((c, i) => {
        it(`${caseName(c, i)} n=${c.l.length} cond ${c.cond.toExponential(0)}`, () => {
          const n = c.l.length;
          within("lower", relErr(mat(la().choSolve(f64(c.l), f64(c.b))), c.x), fwdTol(n, c.cond));
          within(
            "upper",
            relErr(mat(la().choSolve(f64(c.u), f64(c.b), { lower: false })), c.x),
            fwdTol(n, c.cond),
          );
        });
      });
    });

    describe.skipIf(!linalg)("linalg.lstsq vs numpy.linalg.lstsq (gelsd)", () => {
      S.lstsq.forEach((c, i) => {
        it(`${caseName(c, i)} b ${Array.isArray(c.b[0]) ? "matrix" : "vector"}, cond ${c.cond.toExponential(0)}`, () => {
          const [m, n] = shapeOf(c.a);
          const r = la().lstsq(f64(c.a), f64(c.b));
          const rank = typeof r.rank === "number" ? r.rank : r.rank.item();
          expect(rank, "rank").toBe(c.rank);
          expect(r.solution.shape).toEqual(Array.isArray(c.b[0]) ? [n, (c.b[0] as number[]).length] : [n]);
          within(
            "singular values",
            relErr(values(r.singularValues), c.singularValues),
            C_BACK * Math.max(m, n) * EPS,
          );
          // Rank-deficient and wide: the minimum-norm solution; conditioning is that of the retained part.
          within(
            "solution",
            relErr(r.solution.toArray(), c.solution),
            fwdTol(Math.max(m, n), c.kind === "rank-deficient" ? 100 : c.cond),
          );
          // Residuals: squared 2-norms per column when m > n and full rank, else empty (NumPy's meaning).
          expect(r.residuals.shape, "residuals shape").toEqual([c.residuals.length]);
          if (c.residuals.length)
            within("residuals", relErr(values(r.residuals), c.residuals), fwdTol(Math.max(m, n), c.cond));
        });
      });
    });

    describe.skipIf(!linalg)("linalg.pinv, matrixRank, cond, eigvalsh, svdvals", () => {
      S.pinv.forEach((c, i) => {
        it(`pinv ${caseName(c, i)} cond ${c.cond.toExponential(0)}`, () => {
          const [m, n] = shapeOf(c.a);
          const p = la().pinv(f64(c.a));
          expect(p.shape).toEqual([n, m]);
          within(
            "forward",
            relErr(mat(p), c.pinv),
            fwdTol(Math.max(m, n), c.kind === "rank-deficient" ? 100 : c.cond),
          );
        });
      });
      it("matrixRank (NumPy's default tolerance σ₁·max(m, n)·EPS, and tol)", () => {
        for (const c of M.matrixRank) {
          const r = la().matrixRank(f64(c.a), c.tol === undefined ? {} : { tol: c.tol });
          expect(r.dtype).toBe("int32");
          expect(r.item(), `${c.kind} ${c.a.length}×${c.a[0]!.length}`).toBe(c.rank);
        }
      });
      it("cond for every ord", () => {
        for (const c of M.cond) {
          const n = c.a.length;
          for (const [name, v] of Object.entries(c.values)) {
            const ord: Ord =
              name === "fro" ? "fro" : name === "inf" ? Infinity : name === "-inf" ? -Infinity : Number(name);
            const got = la().cond(f64(c.a), ord).item();
            within(`${c.kind} n=${n} ord=${name}`, Math.abs(got - v) / v, fwdTol(n, c.cond));
          }
          within(
            `${c.kind} n=${n} default ord is 2`,
            Math.abs(la().cond(f64(c.a)).item() - c.values["2"]!) / c.values["2"]!,
            fwdTol(n, c.cond),
          );
        }
      });
      it("eigvalsh and svdvals", () => {
        for (const c of M.eigvalsh) {
          const w = values(la().eigvalsh(f64(c.a)));
          const anorm = Math.max(...c.w.map(Math.abs));
          within(
            `eigvalsh ${c.kind} n=${c.a.length}`,
            Math.max(...w.map((v, j) => Math.abs(v - c.w[j]!))) / anorm,
            C_BACK * c.a.length * EPS,
          );
        }
        for (const c of M.svdvals) {
          const s = values(la().svdvals(f64(c.a)));
          within(
            `svdvals ${c.kind}`,
            Math.max(...s.map((v, j) => Math.abs(v - c.s[j]!))) / c.s[0]!,
            C_BACK * c.a.length * EPS,
          );
        }
      });
    });

    const O = fixture<{
      pinv: { cond: number; a: Mat; rtol: number; pinv: Mat }[];
      matrixRank: { cond: number; a: Mat; rtol: number; rank: number }[];
      lstsq: {
        cond: number;
        a: Mat;
        b: Mat;
        rcond: number;
        solution: Mat;
        residuals: number[];
        rank: number;
        singularValues: number[];
      }[];
    }>("options.json");

    describe.skipIf(!linalg)(
      "rtol, tol and rcond: singular values below the cutoff are dropped as NumPy does",
      () => {
        O.pinv.forEach((c, i) => {
          it(`pinv #${i} ${c.a.length}×${c.a[0]!.length} cond ${c.cond.toExponential(0)} rtol ${c.rtol}`, () => {
            const p = la().pinv(f64(c.a), { rtol: c.rtol });
            // The retained part has condition number ≤ 1/rtol.
            within("forward", relErr(mat(p), c.pinv), fwdTol(8, Math.min(c.cond, 1 / c.rtol)));
          });
        });
        it("matrixRank with rtol", () => {
          for (const c of O.matrixRank)
            expect(
              la().matrixRank(f64(c.a), { rtol: c.rtol }).item(),
              `cond ${c.cond.toExponential(0)} rtol ${c.rtol}`,
            ).toBe(c.rank);
        });
        O.lstsq.forEach((c, i) => {
          it(`lstsq #${i} ${c.a.length}×${c.a[0]!.length} rcond ${c.rcond}`, () => {
            const r = la().lstsq(f64(c.a), f64(c.b), { rcond: c.rcond });
            const rank = typeof r.rank === "number" ? r.rank : r.rank.item();
            expect(rank, "rank").toBe(c.rank);
            within(
              "solution",
              relErr(r.solution.toArray(), c.solution),
              fwdTol(8, Math.min(c.cond, 1 / c.rcond)),
            );
            expect(r.residuals.shape, "residuals shape").toEqual([c.residuals.length]);
          });
        });
      },
    );

    describe.skipIf(!linalg)("linalg.matrixPower, expm, norm", () => {
      it("matrixPower (negative powers through inv)", () => {
        for (const c of M.matrixPower) {
          const n = c.a.length;
          for (const [p, ref] of Object.entries(c.powers)) {
            const got = la().matrixPower(f64(c.a), Number(p));
            expect(got.shape).toEqual([n, n]);
            expect(got.dtype).toBe("float64");
            within(
              `n=${n} p=${p}`,
              relErr(mat(got), ref),
              fwdTol(n, c.cond ** Math.max(1, Math.abs(Number(p)))) * 4,
            );
          }
        }
      });
      M.expm.forEach((c, i) => {
        it(`expm ${caseName(c, i)} ‖A‖₁ = ${c.norm1.toPrecision(2)} vs scipy.linalg.expm`, () => {
          const n = c.a.length;
          const e = la().expm(f64(c.a));
          expect(e.shape).toEqual([n, n]);
          // Padé 13 with scaling and squaring: relative error about n·EPS·max(1, ‖A‖₁) (Higham 2005).
          within("relative", relErr(mat(e), c.expm), 1e3 * n * EPS * Math.max(1, c.norm1));
        });
      });
      it("expm float32", () => {
        for (const c of M.expm.filter((c) => c.norm1 <= 5)) {
          const e = la().expm(f32(c.a));
          expect(e.dtype).toBe("float32");
          within(`n=${c.a.length}`, relErr(mat(e), c.expm), 1e2 * c.a.length * EPS32 * Math.max(1, c.norm1));
        }
      });
      M.norm.forEach((c, i) => {
        const ordOf = (o: number | string | null): Ord | undefined =>
          o === null ? undefined : o === "Infinity" ? Infinity : o === "-Infinity" ? -Infinity : (o as Ord);
        const axis =
          c.axis === null ? undefined : Array.isArray(c.axis) ? (c.axis as [number, number]) : c.axis;
        it(`norm #${i} x ${JSON.stringify(shapeOfNested(c.x))} ord=${c.ord} axis=${JSON.stringify(c.axis)} keepdims=${c.keepdims}`, () => {
          const options: { ord?: Ord; axis?: number | [number, number]; keepdims?: boolean } = {};
          const ord = ordOf(c.ord);
          if (ord !== undefined) options.ord = ord;
          if (axis !== undefined) options.axis = axis;
          if (c.keepdims) options.keepdims = true;
          const got = la().norm(f64(c.x as nb.TensorLike), options);
          expect(got.shape).toEqual(shapeOfNested(c.value));
          const ref = flat(c.value);
          const g = values(got);
          // Norms are well conditioned except ord −2 (σ_min) and negative / fractional vector ords near zeros.
          const cond = c.ord === -2 || c.ord === "nuc" ? 1e8 : 1;
          g.forEach((v, k) => {
            if (ref[k] === 0) expect(v).toBe(0);
            else within(`entry ${k}`, Math.abs(v - ref[k]!) / Math.abs(ref[k]!), fwdTol(8, cond));
          });
        });
      });
    });

    function shapeOfNested(x: unknown): number[] {
      const s: number[] = [];
      let v = x;
      while (Array.isArray(v)) {
        s.push(v.length);
        v = v[0];
      }
      return s;
    }

    // ---------------------------------------------------------------- errors the spec requires
    const message = (f: () => unknown): { error: unknown; text: string } => {
      try {
        f();
      } catch (error) {
        return { error, text: (error as Error).message };
      }
      return { error: undefined, text: "" };
    };

    describe.skipIf(!linalg)("errors", () => {
      const notPd6 = () => {
        // Leading minors of order 1–4 are positive, order 5 is not (a₅₅ makes it indefinite).
        const a: number[][] = Array.from({ length: 6 }, (_, i) =>
          Array.from({ length: 6 }, (_, j) => (i === j ? 2 : 0.1)),
        );
        a[4]![4] = -1;
        return a;
      };
      it("cholesky of a non-square matrix: ShapeError naming the op and the shape", () => {
        const { error, text } = message(() =>
          la().cholesky(
            f64([
              [1, 2, 3],
              [4, 5, 6],
            ]),
          ),
        );
        expect(error).toBeInstanceOf(nb.ShapeError);
        expect(text).toContain("linalg.cholesky");
        expect(text).toMatch(/2\D{1,4}3/);
      });
      it("cholesky of a vector: ShapeError", () => {
        expect(() => la().cholesky(f64([1, 2]))).toThrow(nb.ShapeError);
      });
      it("cholesky of a non-PD matrix: ValueError naming the leading minor of order 5", () => {
        const { error, text } = message(() => la().cholesky(f64(notPd6())));
        expect(error).toBeInstanceOf(nb.ValueError);
        expect(text).toContain("linalg.cholesky");
        expect(text).toMatch(/\b5\b/);
        expect(text).toMatch(/pivot|minor/i);
      });
      it("cholesky non-PD in a batch names the batch index", () => {
        const good = Array.from({ length: 6 }, (_, i) =>
          Array.from({ length: 6 }, (_, j) => (i === j ? 2 : 0.1)),
        );
        const { error, text } = message(() => la().cholesky(f64([good, good, notPd6()])));
        expect(error).toBeInstanceOf(nb.ValueError);
        expect(text).toMatch(/batch/i);
        expect(text).toMatch(/\b2\b/);
        expect(text).toMatch(/\b5\b/);
      });
      it("cholesky non-PD under jit and vmap: NaN, no error (as JAX)", () => {
        const j = nb.jit((a: nb.Tensor) => la().cholesky(a))(f64(notPd6()));
        expect(values(j).some(Number.isNaN)).toBe(true);
        const v = nb.vmap((a: nb.Tensor) => la().cholesky(a))(f64([notPd6()]));
        expect(values(v).some(Number.isNaN)).toBe(true);
      });
      it("non-finite input: ValueError in eager mode", () => {
        const bad = [
          [1, Number.NaN],
          [Number.NaN, 1],
        ];
        expect(() => la().cholesky(f64(bad))).toThrow(nb.ValueError);
        expect(() => la().solve(f64(bad), f64([1, 1]))).toThrow(nb.ValueError);
      });
      it("solve with an exactly singular matrix: ValueError 'singular'", () => {
        const { error, text } = message(() =>
          la().solve(
            f64([
              [1, 2],
              [2, 4],
            ]),
            f64([1, 1]),
          ),
        );
        expect(error).toBeInstanceOf(nb.ValueError);
        expect(text).toContain("linalg.solve");
        expect(text).toMatch(/singular/);
      });
      it("solve with a pivot below n·eps·max|a|: ValueError; a tiny but well-conditioned matrix is fine", () => {
        const a = [
          [1, 1],
          [1, 1 + 2 ** -52],
        ];
        expect(() => la().solve(f64(a), f64([1, 2]))).toThrow(nb.ValueError);
        const tiny = [
          [1e-200, 0],
          [0, 2e-200],
        ];
        const x = values(la().solve(f64(tiny), f64([1e-200, 1e-200])));
        within("tiny", relErr(x, [1, 0.5]), 4 * EPS);
      });
      it("the singularity threshold is relative to max|a|: just above it solves, just below it throws", () => {
        // n = 2, max|a| ≈ 1: threshold 2·EPS; a pivot of 8·EPS is a (badly conditioned) regular matrix.
        const above = [
          [1, 1],
          [1, 1 + 8 * EPS],
        ];
        const x = values(la().solve(f64(above), f64([2, 2 + 8 * EPS])));
        within("x = [1, 1] (exact in floating point here)", relErr(x, [1, 1]), 1e-12);
        // max|a| = 1e10: threshold 2·EPS·1e10 ≈ 4.4e-6. A pivot of 1e-5 is regular, 1e-7 is "singular".
        const xd = values(
          la().solve(
            f64([
              [1e10, 0],
              [0, 1e-5],
            ]),
            f64([1e10, 1e-5]),
          ),
        );
        within("diag(1e10, 1e-5)", relErr(xd, [1, 1]), 4 * EPS);
        expect(() =>
          la().solve(
            f64([
              [1e10, 0],
              [0, 1e-7],
            ]),
            f64([1, 1]),
          ),
        ).toThrow(nb.ValueError);
      });
      it("nearly singular but regular matrices (cond 1e12 to 1e14) are factored and solved, as LAPACK does", () => {
        // A = Q diag(s) Qᵀ with Q a product of plane rotations, s from 1 down to 1/cond: potrf and getrf succeed.
        const n = 6;
        let q: Mat = Array.from({ length: n }, (_, i) =>
          Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
        );
        for (let k = 0; k < 2 * n; k++) {
          const [p, r] = [k % n, (k * 3 + 1) % n];
          if (p === r) continue;
          const th = 0.3 + 0.77 * k;
          q = q.map((row) => {
            const out = [...row];
            out[p] = Math.cos(th) * row[p]! - Math.sin(th) * row[r]!;
            out[r] = Math.sin(th) * row[p]! + Math.cos(th) * row[r]!;
            return out;
          });
        }
        for (const cond of [1e12, 1e13, 1e14]) {
          const sv = Array.from({ length: n }, (_, i) => cond ** (-i / (n - 1)));
          const a = matmul(
            q.map((r) => r.map((v, j) => v * sv[j]!)),
            q[0]!.map((_, j) => q.map((r) => r[j]!)),
          ).map((r, i, m) => r.map((v, j) => 0.5 * (v + m[j]![i]!)));
          const l = mat(la().cholesky(f64(a)));
          const llt = matmul(
            l,
            l[0]!.map((_, j) => l.map((r) => r[j]!)),
          );
          within(`cond ${cond} cholesky backward`, relErr(llt, a), C_BACK * n * EPS);
          const b = Array.from({ length: n }, (_, i) => Math.cos(i));
          const x = values(la().solve(f64(a), f64(b)));
          const res = sub(matmul(a, col(x)), col(b));
          within(`cond ${cond} solve residual`, fro(res) / (fro(a) * fro(x)), C_BACK * n * EPS);
          expect(values(la().inv(f64(a))).every(Number.isFinite)).toBe(true);
        }
      });
      it("solve singular in a batch names the batch index", () => {
        const { error, text } = message(() =>
          la().solve(
            f64([
              [
                [1, 0],
                [0, 1],
              ],
              [
                [1, 2],
                [2, 4],
              ],
            ]),
            f64([
              [[1], [1]],
              [[1], [1]],
            ]),
          ),
        );
        expect(error).toBeInstanceOf(nb.ValueError);
        expect(text).toMatch(/singular/);
        expect(text).toMatch(/batch\D*1\b/);
      });
      it("solve singular under jit: no error, non-finite values", () => {
        const x = nb.jit((a: nb.Tensor, b: nb.Tensor) => la().solve(a, b))(
          f64([
            [1, 2],
            [2, 4],
          ]),
          f64([1, 1]),
        );
        expect(values(x).some((v) => !Number.isFinite(v))).toBe(true);
      });
      it("non-square inputs: ShapeError naming the op", () => {
        const r = f64([
          [1, 2, 3],
          [4, 5, 6],
        ]);
        for (const [name, f] of [
          ["inv", () => la().inv(r)],
          ["det", () => la().det(r)],
          ["slogdet", () => la().slogdet(r)],
          ["eigh", () => la().eigh(r)],
          ["solve", () => la().solve(r, f64([1, 1]))],
          ["expm", () => la().expm(r)],
          ["matrixPower", () => la().matrixPower(r, 2)],
        ] as const) {
          const { error, text } = message(f);
          expect(error, name).toBeInstanceOf(nb.ShapeError);
          expect(text, name).toContain(name);
        }
      });
      it("solve with mismatched b: ShapeError", () => {
        expect(() =>
          la().solve(
            f64([
              [1, 0],
              [0, 1],
            ]),
            f64([1, 2, 3]),
          ),
        ).toThrow(nb.ShapeError);
        expect(() =>
          la().triangularSolve(
            f64([
              [1, 0],
              [0, 1],
            ]),
            f64([[1], [2], [3]]),
          ),
        ).toThrow(nb.ShapeError);
      });
      it("dtypes: integer input is promoted to float32; float64 stays float64", () => {
        const ai = nb.array(
          [
            [4, 2],
            [2, 3],
          ],
          { dtype: "int32" },
        );
        const l = la().cholesky(ai);
        expect(l.dtype).toBe("float32");
        within(
          "int32 cholesky",
          relErr(mat(l), [
            [2, 0],
            [1, Math.SQRT2],
          ]),
          4 * EPS32,
        );
        expect(la().det(ai).dtype).toBe("float32");
        expect(
          la().det(
            f64([
              [4, 2],
              [2, 3],
            ]),
          ).dtype,
        ).toBe("float64");
      });
      it("plain JS arrays are accepted (TensorLike) and become float32, like other float ops", () => {
        const d = la().det([
          [1, 2],
          [3, 4],
        ]);
        expect(d.dtype).toBe("float32");
        expect(Math.abs(d.item() + 2)).toBeLessThan(4 * EPS32);
        const x = la().solve(
          [
            [2, 0],
            [0, 4],
          ],
          [1, 1],
        );
        expect(x.dtype).toBe("float32");
        expect(values(x)).toEqual([0.5, 0.25]);
        expect(la().norm([3, 4]).item()).toBe(5);
      });
      it("luSolve with non-integer pivots: DTypeError", () => {
        const fac = la().lu(
          f64([
            [4, 2],
            [2, 3],
          ]),
        );
        expect(() => la().luSolve({ lu: fac.lu, pivots: f64(values(fac.pivots)) }, f64([1, 1]))).toThrow(
          nb.DTypeError,
        );
      });
      it("matrixPower with a non-integer power throws", () => {
        expect(() =>
          la().matrixPower(
            f64([
              [1, 0],
              [0, 1],
            ]),
            1.5,
          ),
        ).toThrow(nb.NablaError);
      });
    });
  });
