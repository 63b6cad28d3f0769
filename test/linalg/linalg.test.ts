// Values of nb.linalg on random well-conditioned inputs, checked by the identities that define them
// (reconstructions, orthogonality, the normal equations, the Moore–Penrose conditions), batched, with the
// shapes and dtypes of the results; expm against SciPy's values.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectClose } from "../util/close.js";
import { f64, normal, relErr, spd, symmetric, unstack, wellConditioned } from "./helpers.js";

const L = nb.linalg;
const mT = nb.matrixTranspose;
const eye = (n: number) => nb.eye(n, undefined, f64);
const tril = (x: nb.Tensor) => {
  const n = x.shape[x.shape.length - 1]!;
  const m = nb.array(
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j <= i ? 1 : 0))),
    f64,
  );
  return nb.mul(x, m);
};
const triu = (x: nb.Tensor) => mT(tril(mT(x)));
const EPS = 2 ** -52;

describe("cholesky and triangularSolve", () => {
  it("L Lᵀ = a, L lower; the upper factor is Lᵀ; batched", () => {
    const a = spd(1, [3, 5, 5]);
    const l = L.cholesky(a);
    expect(l.shape).toEqual([3, 5, 5]);
    expect(l.dtype).toBe("float64");
    expect(relErr(nb.matmul(l, mT(l)), a)).toBeLessThan(20 * EPS);
    expectClose(tril(l), l);
    expectClose(L.cholesky(a, { upper: true }), mT(l));
  });

  it("reads only the lower triangle", () => {
    const a = spd(2, [4, 4]);
    const junk = nb.add(a, triu(nb.mul(normal(3, [4, 4]), 100)));
    const strictUpper = nb.sub(junk, tril(junk));
    expectClose(L.cholesky(nb.add(tril(a), strictUpper)), L.cholesky(a), { atol: 1e-12 });
  });

  it("every combination of lower, leftSide, transposeA and unitDiagonal solves its system", () => {
    const a = wellConditioned(4, [4, 4]);
    for (const lower of [true, false])
      for (const leftSide of [true, false])
        for (const transposeA of [true, false])
          for (const unitDiagonal of [true, false]) {
            const b = normal(5, leftSide ? [4, 3] : [3, 4]);
            const x = L.triangularSolve(a, b, { lower, leftSide, transposeA, unitDiagonal });
            let t = lower ? tril(a) : triu(a);
            if (unitDiagonal) t = nb.add(nb.sub(t, nb.mul(t, eye(4))), eye(4));
            const op = transposeA ? mT(t) : t;
            const back = leftSide ? nb.matmul(op, x) : nb.matmul(x, op);
            expect(
              relErr(back, b),
              JSON.stringify({ lower, leftSide, transposeA, unitDiagonal }),
            ).toBeLessThan(1e-13);
          }
  });

  it("batch dimensions of a and b broadcast", () => {
    const a = wellConditioned(6, [4, 4]);
    const b = normal(7, [2, 3, 4, 1]);
    const x = L.triangularSolve(a, b);
    expect(x.shape).toEqual([2, 3, 4, 1]);
    expect(relErr(nb.matmul(tril(a), x), b)).toBeLessThan(1e-13);
  });
});

describe("lu and luSolve", () => {
  it("a[permutation] = L U with partial pivoting; pivots give the same permutation", () => {
    const a = normal(8, [2, 5, 5]);
    const { lu, pivots, permutation } = L.lu(a);
    expect(pivots.dtype).toBe("int32");
    expect(permutation.dtype).toBe("int32");
    expect(pivots.shape).toEqual([2, 5]);
    const l = nb.add(nb.sub(tril(lu), nb.mul(lu, eye(5))), eye(5));
    const u = triu(lu);
    const lus = unstack(nb.matmul(l, u));
    unstack(a).forEach((ai, b) => {
      const perm = unstack(permutation)[b]!;
      expect(relErr(lus[b]!, nb.take(ai, perm, 0))).toBeLessThan(10 * EPS);
      // |L| ≤ 1: partial pivoting
      expect(Math.max(...Array.from(nb.abs(l).dataSync()))).toBeLessThanOrEqual(1);
      // the swaps of pivots, applied in order, make the permutation
      const p = Array.from({ length: 5 }, (_, i) => i);
      (unstack(pivots)[b]!.toArray() as number[]).forEach((q, i) => {
        [p[i], p[q]] = [p[q]!, p[i]!];
      });
      expect(perm.toArray()).toEqual(p);
    });
  });

  it("a rectangular lu", () => {
    const a = normal(9, [3, 5]);
    const { lu, pivots, permutation } = L.lu(a);
    expect(lu.shape).toEqual([3, 5]);
    expect(pivots.shape).toEqual([3]);
    expect(permutation.shape).toEqual([3]);
  });

  it("luSolve solves a x = b and aᵀ x = b, with or without the permutation given", () => {
    const a = wellConditioned(10, [5, 5]);
    const b = normal(11, [5, 2]);
    const f = L.lu(a);
    expect(relErr(nb.matmul(a, L.luSolve(f, b)), b)).toBeLessThan(1e-14);
    expect(relErr(nb.matmul(mT(a), L.luSolve(f, b, { transpose: true })), b)).toBeLessThan(1e-14);
    const bare = { lu: f.lu, pivots: f.pivots };
    expectClose(L.luSolve(bare, b), L.luSolve(f, b), { atol: 1e-14 });
    expectClose(
      L.luSolve(bare, nb.squeeze(nb.slice(b, [0, 0], [5, 1]), 1)),
      nb.squeeze(nb.slice(L.luSolve(f, b), [0, 0], [5, 1]), 1),
      { atol: 1e-14 },
    );
  });
});

describe("qr, eigh and svd", () => {
  for (const [m, n] of [
    [5, 3],
    [3, 5],
    [4, 4],
  ] as const)
    it(`qr of ${m}×${n}: reduced and complete`, () => {
      const a = normal(12 + m, [2, m, n]);
      const k = Math.min(m, n);
      const red = L.qr(a);
      expect(red.q.shape).toEqual([2, m, k]);
      expect(red.r.shape).toEqual([2, k, n]);
      expect(relErr(nb.matmul(red.q, red.r), a)).toBeLessThan(1e-14);
      expect(relErr(nb.matmul(mT(red.q), red.q), nb.broadcastTo(eye(k), [2, k, k]))).toBeLessThan(1e-14);
      const full = L.qr(a, { mode: "complete" });
      expect(full.q.shape).toEqual([2, m, m]);
      expect(full.r.shape).toEqual([2, m, n]);
      expect(relErr(nb.matmul(full.q, full.r), a)).toBeLessThan(1e-14);
      expect(relErr(nb.matmul(mT(full.q), full.q), nb.broadcastTo(eye(m), [2, m, m]))).toBeLessThan(1e-14);
    });

  it("eigh: a V = V diag(w), ascending, orthonormal V; lower: false reads the upper triangle", () => {
    const a = symmetric(20, [3, 6, 6]);
    const { eigenvalues: w, eigenvectors: v } = L.eigh(a);
    expect(w.shape).toEqual([3, 6]);
    expect(relErr(nb.matmul(a, v), nb.mul(v, nb.expandDims(w, 1)))).toBeLessThan(1e-13);
    expect(relErr(nb.matmul(mT(v), v), nb.broadcastTo(eye(6), [3, 6, 6]))).toBeLessThan(1e-13);
    for (const row of w.toArray() as number[][])
      for (let i = 1; i < row.length; i++) expect(row[i]!).toBeGreaterThanOrEqual(row[i - 1]!);
    const upperOnly = triu(a);
    expectClose(L.eigh(upperOnly, { lower: false }).eigenvalues, w, { atol: 1e-12 });
    expectClose(L.eigvalsh(a), w, { atol: 1e-12 });
  });

  for (const [m, n] of [
    [5, 3],
    [3, 5],
  ] as const)
    it(`svd of ${m}×${n}: thin and full, s descending, svdvals`, () => {
      const a = normal(30 + m, [2, m, n]);
      const k = Math.min(m, n);
      const { u, s, vh } = L.svd(a);
      expect([u.shape, s.shape, vh.shape]).toEqual([
        [2, m, k],
        [2, k],
        [2, k, n],
      ]);
      expect(relErr(nb.matmul(nb.mul(u, nb.expandDims(s, 1)), vh), a)).toBeLessThan(1e-14);
      for (const row of s.toArray() as number[][])
        for (let i = 1; i < row.length; i++) expect(row[i]!).toBeLessThanOrEqual(row[i - 1]!);
      const full = L.svd(a, { fullMatrices: true });
      expect([full.u.shape, full.vh.shape]).toEqual([
        [2, m, m],
        [2, n, n],
      ]);
      expect(relErr(nb.matmul(mT(full.u), full.u), nb.broadcastTo(eye(m), [2, m, m]))).toBeLessThan(1e-14);
      expectClose(L.svd(a, { computeUv: false }), s, { atol: 1e-13 });
      expectClose(L.svdvals(a), s, { atol: 1e-13 });
    });
});

describe("solve, inv, det, slogdet, choSolve", () => {
  it("solve: a vector b, a stack of columns, broadcast batches; backward error near eps", () => {
    const a = wellConditioned(40, [3, 6, 6]);
    const b = normal(41, [6, 2]);
    const x = L.solve(a, b);
    expect(x.shape).toEqual([3, 6, 2]);
    expect(relErr(nb.matmul(a, x), nb.broadcastTo(b, [3, 6, 2]))).toBeLessThan(1e-14);
    const v = normal(42, [6]);
    const xv = L.solve(a, v);
    expect(xv.shape).toEqual([3, 6]);
    expect(
      relErr(nb.squeeze(nb.matmul(a, nb.expandDims(xv, -1)), -1), nb.broadcastTo(v, [3, 6])),
    ).toBeLessThan(1e-14);
  });

  it("solve pivots: a zero in the leading corner is no problem", () => {
    expectClose(
      L.solve(
        nb.array(
          [
            [0, 1],
            [1, 0],
          ],
          f64,
        ),
        [2, 3],
      ),
      [3, 2],
    );
  });

  it("inv: a a⁻¹ = I; batched", () => {
    const a = wellConditioned(43, [2, 5, 5]);
    expect(relErr(nb.matmul(a, L.inv(a)), nb.broadcastTo(eye(5), [2, 5, 5]))).toBeLessThan(1e-14);
  });

  it("det and slogdet: against the 3×3 formula, the product of eigenvalues, signs of permutations", () => {
    const a = normal(44, [3, 3]);
    const [[p, q, r], [s, t, u], [v, w, x]] = a.toArray() as number[][];
    const want = p! * (t! * x! - u! * w!) - q! * (s! * x! - u! * v!) + r! * (s! * w! - t! * v!);
    expect(Math.abs(L.det(a).item() - want)).toBeLessThan(1e-14 * Math.abs(want) + 1e-15);
    const sd = L.slogdet(a);
    expect(sd.sign.item()).toBe(Math.sign(want));
    expect(Math.abs(sd.logabsdet.item() - Math.log(Math.abs(want)))).toBeLessThan(1e-14);
    const sym = spd(45, [6, 6]);
    const prodEig = (L.eigvalsh(sym).toArray() as number[]).reduce((m, e) => m * e, 1);
    expect(relErr(L.det(sym), prodEig)).toBeLessThan(1e-13);
    // an odd permutation, and a singular matrix
    expect(
      L.det(
        nb.array(
          [
            [0, 1, 0],
            [1, 0, 0],
            [0, 0, 1],
          ],
          f64,
        ),
      ).item(),
    ).toBe(-1);
    expect(
      Math.abs(
        L.det(
          nb.array(
            [
              [1, 2],
              [2, 4],
            ],
            f64,
          ),
        ).item(),
      ),
    ).toBe(0);
    const sing = L.slogdet(
      nb.array(
        [
          [1, 2],
          [2, 4],
        ],
        f64,
      ),
    );
    expect(sing.sign.item()).toBe(0);
    expect(sing.logabsdet.item()).toBe(Number.NEGATIVE_INFINITY);
    // slogdet does not overflow where det does
    const big = nb.mul(eye(200), 1e10);
    expect(L.det(big).item()).toBe(Number.POSITIVE_INFINITY);
    expect(Math.abs(L.slogdet(big).logabsdet.item() - 200 * Math.log(1e10))).toBeLessThan(1e-10);
  });

  it("choSolve: with the lower or the upper factor", () => {
    const a = spd(46, [2, 5, 5]);
    const b = normal(47, [5, 3]);
    const want = L.solve(a, b);
    expectClose(L.choSolve(L.cholesky(a), b), want, { atol: 1e-13 });
    expectClose(L.choSolve(L.cholesky(a, { upper: true }), b, { lower: false }), want, { atol: 1e-13 });
    expect(L.choSolve(L.cholesky(a), nb.squeeze(nb.slice(b, [0, 0], [5, 1]), 1)).shape).toEqual([2, 5]);
  });
});

describe("lstsq, pinv, matrixRank, cond", () => {
  it("lstsq: overdetermined (the normal equations), underdetermined (the least-norm solution)", () => {
    const a = normal(50, [7, 3]);
    const b = normal(51, [7, 2]);
    const { solution, residuals, rank, singularValues } = L.lstsq(a, b);
    expect(solution.shape).toEqual([3, 2]);
    expect(rank.item()).toBe(3);
    expect(rank.dtype).toBe("int32");
    expectClose(singularValues, L.svdvals(a), { atol: 1e-13 });
    const normalEq = L.solve(nb.matmul(mT(a), a), nb.matmul(mT(a), b));
    expect(relErr(solution, normalEq)).toBeLessThan(1e-12);
    const res = nb.sub(nb.matmul(a, solution), b);
    expectClose(residuals, nb.sum(nb.mul(res, res), { axis: 0 }), { rtol: 1e-12 });
    const wide = normal(52, [3, 7]);
    const c = normal(53, [3]);
    const under = L.lstsq(wide, c);
    expect(under.residuals.shape).toEqual([0]);
    // least norm: x = aᵀ (a aᵀ)⁻¹ c
    expect(relErr(under.solution, nb.matmul(mT(wide), L.solve(nb.matmul(wide, mT(wide)), c)))).toBeLessThan(
      1e-12,
    );
  });

  it("lstsq on a rank-deficient matrix gives the rank and the least-norm solution", () => {
    const a = nb.array(
      [
        [1, 2],
        [2, 4],
        [3, 6],
      ],
      f64,
    );
    const r = L.lstsq(a, [1, 2, 3]);
    expect(r.rank.item()).toBe(1);
    // NumPy's meaning: no residuals for a rank-deficient a; under jit, where the rank is data, computed anyway
    expect(r.residuals.shape).toEqual([0]);
    const j = nb.jit((m: nb.Tensor) => L.lstsq(m, [1, 2, 3]).residuals)(a);
    expect(j.shape).toEqual([1]);
    expectClose(r.solution, [0.2, 0.4], { atol: 1e-14 });
  });

  it("pinv satisfies the Moore–Penrose conditions; rtol cuts small singular values", () => {
    for (const shape of [
      [6, 4],
      [4, 6],
    ]) {
      const a = normal(54, shape);
      const p = L.pinv(a);
      expect(p.shape).toEqual([shape[1], shape[0]]);
      expect(relErr(nb.matmul(nb.matmul(a, p), a), a)).toBeLessThan(1e-13);
      expect(relErr(nb.matmul(nb.matmul(p, a), p), p)).toBeLessThan(1e-13);
      const ap = nb.matmul(a, p);
      expect(relErr(ap, mT(ap))).toBeLessThan(1e-13);
    }
    expectClose(
      L.pinv(
        nb.array(
          [
            [1, 0],
            [0, 1e-3],
          ],
          f64,
        ),
        { rtol: 1e-2 },
      ),
      [
        [1, 0],
        [0, 0],
      ],
    );
  });

  it("matrixRank with the default, a relative and an absolute tolerance", () => {
    const a = nb.array(
      [
        [1, 0, 0],
        [0, 1e-5, 0],
        [0, 0, 0],
      ],
      f64,
    );
    expect(L.matrixRank(a).item()).toBe(2);
    expect(L.matrixRank(a, { rtol: 1e-3 }).item()).toBe(1);
    expect(L.matrixRank(a, { tol: 1e-6 }).item()).toBe(2);
    expect(L.matrixRank(nb.zeros([2, 3, 3])).toArray()).toEqual([0, 0]);
  });

  it("cond in every norm is ‖a‖·‖a⁻¹‖ (2: s_max/s_min), Infinity for a singular matrix", () => {
    const a = wellConditioned(55, [4, 4]);
    const ai = L.inv(a);
    for (const ord of ["fro", "nuc", 1, -1, Infinity, -Infinity, 2, -2] as const) {
      const want = nb.mul(L.norm(a, { ord }), L.norm(ai, { ord }));
      if (ord === -2)
        expect(relErr(L.cond(a, ord), nb.div(L.norm(a, { ord: -2 }), L.norm(a, { ord: 2 })))).toBeLessThan(
          1e-13,
        );
      else expect(relErr(L.cond(a, ord), want), String(ord)).toBeLessThan(1e-12);
    }
    expect(L.cond(a, null).item()).toBe(L.cond(a).item());
    expect(L.norm(a, { ord: null }).item()).toBe(L.norm(a).item());
    const sing = nb.array(
      [
        [1, 2],
        [2, 4],
      ],
      f64,
    );
    expect(L.cond(sing, 1).item()).toBe(Number.POSITIVE_INFINITY);
    expect(L.cond(sing).item()).toBeGreaterThan(1e15);
  });
});

describe("matrixPower, expm", () => {
  it("matrixPower against repeated products, negative powers through the inverse", () => {
    const a = nb.div(normal(60, [2, 4, 4]), 2);
    let want = nb.broadcastTo(eye(4), [2, 4, 4]);
    for (let k = 1; k <= 7; k++) {
      want = nb.matmul(want, a);
      expect(relErr(L.matrixPower(a, k), want)).toBeLessThan(1e-13);
    }
    const w = wellConditioned(61, [4, 4]);
    expect(relErr(L.matrixPower(w, -3), L.inv(nb.matmul(nb.matmul(w, w), w)))).toBeLessThan(1e-13);
    expectClose(L.matrixPower(a, 0), nb.broadcastTo(eye(4), [2, 4, 4]));
  });

  it("expm against SciPy's expm (scipy.linalg.expm, float64) at small and large norms", () => {
    // Each case: a, then scipy.linalg.expm(a).
    const cases: [number[][], number[][]][] = [
      [
        [
          [0.1, 0.2],
          [-0.3, 0.05],
        ],
        [
          [1.0727237141656707, 0.21344984212019538],
          [-0.32017476318029303, 1.0193612536356218],
        ],
      ],
      [
        [
          [1, 2, 0],
          [-1, 0.5, 3],
          [0.25, -2, 1],
        ],
        [
          [1.9280789640659288, 0.640751327796067, 3.617760876969915],
          [0.1318444457232053, -1.8498697448530037, 0.9611269916941013],
          [1.3613842265680203, -0.3392712547152412, -0.48376162058068095],
        ],
      ],
      [
        [
          [-20, 30],
          [10, -40],
        ],
        [
          [3.4049947321863815e-5, 3.404994732186379e-5],
          [1.1349982440621271e-5, 1.1349982440621261e-5],
        ],
      ],
      [
        [
          [0, 50],
          [-50, 0],
        ],
        [
          [Math.cos(50), Math.sin(50)],
          [-Math.sin(50), Math.cos(50)],
        ],
      ],
    ];
    for (const [a, want] of cases) expect(relErr(L.expm(nb.array(a, f64)), want)).toBeLessThan(1e-12);
  });

  it("expm: of a diagonal, exp(A) exp(−A) = I, batched matrices of different norms", () => {
    expectClose(
      L.expm(
        nb.array(
          [
            [1, 0],
            [0, -2],
          ],
          f64,
        ),
      ),
      [
        [Math.E, 0],
        [0, Math.exp(-2)],
      ],
      { rtol: 1e-15, atol: 0 },
    );
    const a = nb.mul(normal(62, [3, 5, 5]), nb.reshape(nb.array([0.001, 1, 30], f64), [3, 1, 1]));
    const e = L.expm(a);
    const back = nb.matmul(e, L.expm(nb.neg(a)));
    const [e0, e1] = unstack(back);
    expect(relErr(e0!, eye(5))).toBeLessThan(1e-14);
    expect(relErr(e1!, eye(5))).toBeLessThan(1e-13);
    // each batch member as if alone
    unstack(a).forEach((ai, i) => expect(relErr(unstack(e)[i]!, L.expm(ai))).toBeLessThan(1e-13));
  });
});

describe("norm", () => {
  const x = normal(70, [3, 4]);
  const rows = x.toArray() as number[][];
  const cols = rows[0]!.map((_, j) => rows.map((r) => r[j]!));
  const abs = (v: number[]) => v.map(Math.abs);
  const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

  it("vector norms over one axis: every ord", () => {
    for (const [ord, f] of [
      [2, (v: number[]) => Math.sqrt(sum(v.map((t) => t * t)))],
      [1, (v: number[]) => sum(abs(v))],
      [3, (v: number[]) => sum(abs(v).map((t) => t ** 3)) ** (1 / 3)],
      [0.5, (v: number[]) => sum(abs(v).map((t) => t ** 0.5)) ** 2],
      [-1, (v: number[]) => sum(abs(v).map((t) => 1 / t)) ** -1],
      [Infinity, (v: number[]) => Math.max(...abs(v))],
      [-Infinity, (v: number[]) => Math.min(...abs(v))],
      [0, (v: number[]) => v.filter((t) => t !== 0).length],
    ] as [number, (v: number[]) => number][]) {
      expectClose(L.norm(x, { ord, axis: 1 }), rows.map(f), { rtol: 1e-14 }, `ord ${ord}`);
      expectClose(L.norm(x, { ord, axis: 0, keepdims: true }), [cols.map(f)], { rtol: 1e-14 }, `ord ${ord}`);
      expectClose(L.norm(rows[0]!, { ord }), f(rows[0]!), { rtol: 1e-6 }, `ord ${ord}`);
    }
  });

  it("matrix norms: fro, nuc, ±1, ±2, ±Infinity; over any two axes", () => {
    const s = L.svdvals(x).toArray() as number[];
    const want: [nb.linalg.NormOrd, number][] = [
      ["fro", Math.sqrt(sum(rows.flat().map((t) => t * t)))],
      ["nuc", sum(s)],
      [2, s[0]!],
      [-2, s[s.length - 1]!],
      [1, Math.max(...cols.map((c) => sum(abs(c))))],
      [-1, Math.min(...cols.map((c) => sum(abs(c))))],
      [Infinity, Math.max(...rows.map((r) => sum(abs(r))))],
      [-Infinity, Math.min(...rows.map((r) => sum(abs(r))))],
    ];
    for (const [ord, v] of want) {
      expectClose(L.norm(x, { ord }), v, { rtol: 1e-13 }, `ord ${ord}`);
      // the same matrix as axes (2, 0) of a 3-D tensor, keepdims
      const t3 = nb.transpose(nb.expandDims(x, 1), [2, 1, 0]);
      expectClose(L.norm(t3, { ord, axis: [2, 0], keepdims: true }), [[[v]]], { rtol: 1e-13 }, `ord ${ord}`);
    }
    // axis [1, 0] is the transpose: its 1-norm is the ∞-norm
    expectClose(L.norm(x, { ord: 1, axis: [1, 0] }), L.norm(x, { ord: Infinity }), { rtol: 1e-15 });
  });

  it("defaults: the 2-norm of everything flattened; dtype kept; integers become float32", () => {
    const t = normal(71, [2, 3, 4]);
    expectClose(L.norm(t), Math.sqrt(sum(Array.from(t.dataSync()).map((v) => v * v))), { rtol: 1e-14 });
    expect(L.norm(t, { keepdims: true }).shape).toEqual([1, 1, 1]);
    expect(L.norm(t).dtype).toBe("float64");
    expect(L.norm([3, 4]).dtype).toBe("float32");
  });
});

describe("dtypes", () => {
  it("float32 in, float32 out; integer input becomes float32; float64 stays float64", () => {
    const a32 = wellConditioned(80, [4, 4], "float32");
    for (const r of [
      L.inv(a32),
      L.det(a32),
      L.expm(a32),
      L.pinv(a32),
      L.cholesky(spd(81, [3, 3], "float32")),
    ])
      expect(r.dtype).toBe("float32");
    expect(
      L.solve(
        [
          [2, 0],
          [0, 4],
        ],
        [2, 4],
      ).dtype,
    ).toBe("float32");
    expect(
      L.solve(
        nb.array(
          [
            [2, 0],
            [0, 4],
          ],
          f64,
        ),
        [2, 4],
      ).dtype,
    ).toBe("float64");
    expect(
      L.solve(
        [
          [2, 0],
          [0, 4],
        ],
        nb.array([2, 4], f64),
      ).dtype,
    ).toBe("float64");
    expect(L.lu(a32).pivots.dtype).toBe("int32");
  });
});
