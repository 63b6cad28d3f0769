// The linear-algebra primitives on their own (derivatives are in the op table): reconstructions to a
// backward error of a few n·eps, orthogonality, pivoting, batching, float32 against float64, vmap against a
// loop, jit against eager, and the errors.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { ValueError } from "../../src/core/errors.js";
import { makeRng } from "../../src/numeric/rng.js";
import * as lax from "../../src/primitives/lax.js";
import { matmul, mT, tril, triu } from "../../src/primitives/linalg.js";
import { expectClose } from "../util/close.js";

type Tensor = nb.Tensor;
const EPS = 2 ** -52;

/** A [..., m, n] float64 tensor of standard normal entries. */
function randn(shape: number[], seed: number, dtype: "float32" | "float64" = "float64"): Tensor {
  const rng = makeRng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return nb.astype(nb.reshape(nb.array(Float64Array.from({ length: n }, () => rng.normal())), shape), dtype);
}

/** Plain float64 matrices of a batch: the data of `t` split into m×n row-major blocks. */
function blocks(t: Tensor): { m: number; n: number; mats: Float64Array[] } {
  const s = t.shape;
  const m = s[s.length - 2]!;
  const n = s[s.length - 1]!;
  const d = Float64Array.from(t.dataSync());
  const mats: Float64Array[] = [];
  for (let o = 0; o < d.length; o += m * n) mats.push(d.subarray(o, o + m * n));
  return { m, n, mats };
}

/** a (m×k) · b (k×n) in float64. */
function mul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) c[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
  return c;
}
const tr = (a: Float64Array, m: number, n: number): Float64Array => {
  const t = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
  return t;
};
const maxAbs = (a: Float64Array) => a.reduce((p, x) => Math.max(p, Math.abs(x)), 0);
const diff = (a: Float64Array, b: Float64Array) => maxAbs(a.map((x, i) => x - b[i]!));

/** x xᵀ + n·I for x [..., n, n]. */
const spd = (x: Tensor) =>
  nb.add(
    matmul(x, mT(x)),
    nb.mul(nb.eye(x.shape.at(-1)!, x.shape.at(-1)!, { dtype: x.dtype }), x.shape.at(-1)!),
  );

describe("cholesky", () => {
  it("factors an SPD batch: L lower, L Lᵀ = a to a few n·eps", () => {
    const a = spd(randn([2, 3, 6, 6], 1));
    const l = lax.cholesky(a);
    expect(l.shape).toEqual([2, 3, 6, 6]);
    const A = blocks(a);
    blocks(l).mats.forEach((L, b) => {
      for (let i = 0; i < 6; i++) for (let j = i + 1; j < 6; j++) expect(L[i * 6 + j]).toBe(0);
      const err = diff(mul(L, tr(L, 6, 6), 6, 6, 6), A.mats[b]!) / maxAbs(A.mats[b]!);
      expect(err).toBeLessThan(6 * 6 * EPS);
    });
  });

  it("reads only the lower triangle", () => {
    const a = spd(randn([4, 4], 2));
    const junk = triu(randn([4, 4], 3), 1);
    expectClose(lax.cholesky(nb.add(a, junk)), lax.cholesky(a), { atol: 0, rtol: 0 });
  });

  it("differentiates as a function of a symmetric matrix: symmetric gradients (as JAX)", () => {
    const a = spd(randn([4, 4], 7));
    const w = randn([4, 4], 8);
    const g = nb.grad((x: Tensor) => nb.sum(nb.mul(lax.cholesky(x), w)))(a);
    expectClose(g, mT(g), { atol: 1e-15, rtol: 1e-13 });
    // Along a symmetric direction it is the derivative of the values.
    const v = nb.add(w, mT(w));
    const [, dl] = nb.jvp((x: Tensor) => lax.cholesky(x), [a], [v]);
    const h = 1e-6;
    const fd = nb.div(
      nb.sub(lax.cholesky(nb.add(a, nb.mul(v, h))), lax.cholesky(nb.sub(a, nb.mul(v, h)))),
      2 * h,
    );
    expectClose(dl, fd, { atol: 1e-8, rtol: 1e-7 });
  });

  it("float32 agrees with float64", () => {
    const a = spd(randn([5, 5], 4));
    expectClose(lax.cholesky(nb.astype(a, "float32")), lax.cholesky(a), { atol: 1e-5, rtol: 1e-5 });
    expect(lax.cholesky(nb.astype(a, "float32")).dtype).toBe("float32");
  });

  it("raises for a matrix that is not positive definite, naming the minor and the batch index", () => {
    const good = spd(randn([3, 3], 5));
    const bad = nb.array(
      [
        [1, 2, 0],
        [2, 1, 0],
        [0, 0, 1],
      ],
      { dtype: "float64" },
    );
    const batch = nb.stack([good, bad]);
    expect(() => lax.cholesky(batch)).toThrow(ValueError);
    expect(() => lax.cholesky(batch)).toThrow(
      /not positive definite: the leading minor of order 2 \(batch index 1/,
    );
    expect(() => lax.cholesky(bad)).toThrow(/cholesky: the float64\[3, 3\] matrix is not positive definite/);
  });

  it("under jit the failing batch member is NaN (values arrive only when the program runs)", () => {
    const good = spd(randn([3, 3], 6));
    const bad = nb.mul(good, -1);
    const out = nb.jit((a: Tensor) => lax.cholesky(a))(nb.stack([good, bad])) as Tensor;
    const [l0, l1] = blocks(out).mats;
    expectClose(nb.array(Array.from(l0!), { dtype: "float64" }), nb.reshape(lax.cholesky(good), [9]), {
      atol: 1e-14,
      rtol: 1e-14,
    });
    expect(Array.from(l1!).every(Number.isNaN)).toBe(true);
  });

  it("under vmap too (as JAX): NaN for the failing member, the others factored", () => {
    const good = spd(randn([3, 3], 9));
    const out = nb.vmap((a: Tensor) => lax.cholesky(a))(nb.stack([good, nb.mul(good, -1)]));
    const [l0, l1] = blocks(out).mats;
    expect(Array.from(l0!).some(Number.isNaN)).toBe(false);
    expect(Array.from(l1!).every(Number.isNaN)).toBe(true);
  });

  it("vmap matches a loop and jit matches eager", () => {
    const xs = [0, 1, 2].map((k) => spd(randn([4, 4], 10 + k)));
    const got = nb.vmap((a: Tensor) => lax.cholesky(a))(nb.stack(xs));
    expectClose(got, nb.stack(xs.map((a) => lax.cholesky(a))), { atol: 0, rtol: 0 });
    expectClose(nb.jit((a: Tensor) => lax.cholesky(a))(xs[0]!), lax.cholesky(xs[0]!), { atol: 0, rtol: 0 });
  });
});

describe("triangular_solve", () => {
  const cases = [true, false].flatMap((leftSide) =>
    [true, false].flatMap((lower) =>
      [true, false].flatMap((transposeA) =>
        [true, false].map((unitDiagonal) => ({ leftSide, lower, transposeA, unitDiagonal })),
      ),
    ),
  );
  for (const p of cases)
    it(`solves ${JSON.stringify(p)} to a backward error of a few n·eps, batched`, () => {
      const n = 5;
      const a = nb.add(randn([2, n, n], 20), nb.mul(nb.eye(n, n, { dtype: "float64" }), 4));
      const b = randn(p.leftSide ? [2, n, 3] : [2, 3, n], 21);
      const x = lax.triangularSolve(a, b, p);
      // The matrix it reads: the triangle, with ones on the diagonal when unit.
      const tri = p.lower ? tril(a, p.unitDiagonal ? -1 : 0) : triu(a, p.unitDiagonal ? 1 : 0);
      const m = p.unitDiagonal ? nb.add(tri, nb.eye(n, n, { dtype: "float64" })) : tri;
      const op = p.transposeA ? mT(m) : m;
      const back = p.leftSide ? matmul(op, x) : matmul(x, op);
      expectClose(back, b, { atol: 50 * n * EPS, rtol: 50 * n * EPS });
      // float32 follows float64.
      const x32 = lax.triangularSolve(nb.astype(a, "float32"), nb.astype(b, "float32"), p);
      expect(x32.dtype).toBe("float32");
      expectClose(x32, x, { atol: 1e-5, rtol: 1e-5 });
    });

  it("refuses mismatched shapes with a ShapeError naming both", () => {
    const a = nb.eye(3, 3, { dtype: "float64" });
    expect(() =>
      lax.triangularSolve(a, nb.zeros([4, 2], { dtype: "float64" }), {
        leftSide: true,
        lower: true,
        transposeA: false,
        unitDiagonal: false,
      }),
    ).toThrow(/triangular_solve: a \[3,3\] and b \[4,2\] do not fit/);
  });
});

/** Max |x| over a flat array, relative to `scale`. */
const rel = (a: Float64Array, b: Float64Array, scale: number) => diff(a, b) / Math.max(scale, 1e-300);
/** ‖QᵀQ − I‖ for the m×c matrix Q. */
const orthErr = (q: Float64Array, m: number, c: number) => {
  const g = mul(tr(q, m, c), q, c, m, c);
  for (let i = 0; i < c; i++) g[i * c + i]! -= 1;
  return maxAbs(g);
};

describe("lu", () => {
  for (const [m, n] of [
    [5, 5],
    [6, 4],
    [3, 5],
  ] as const)
    it(`factors ${m}×${n} with partial pivoting: a[perm] = L U, |L| ≤ 1, batched`, () => {
      const a = randn([2, m, n], 30 + m);
      const [f, piv, perm] = lax.lu(a);
      const k = Math.min(m, n);
      expect(f.shape).toEqual([2, m, n]);
      expect(piv.shape).toEqual([2, k]);
      expect(perm.shape).toEqual([2, m]);
      expect(piv.dtype).toBe("int32");
      const F = blocks(f);
      const A = blocks(a);
      const P = Array.from(perm.dataSync());
      F.mats.forEach((lu, b) => {
        const L = new Float64Array(m * k);
        const U = new Float64Array(k * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < k; j++) L[i * k + j] = i === j ? 1 : i > j ? lu[i * n + j]! : 0;
        for (let i = 0; i < k; i++) for (let j = i; j < n; j++) U[i * n + j] = lu[i * n + j]!;
        expect(maxAbs(L)).toBeLessThanOrEqual(1);
        const pa = new Float64Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) pa[i * n + j] = A.mats[b]![P[b * m + i]! * n + j]!;
        expect(rel(mul(L, U, m, k, n), pa, maxAbs(pa))).toBeLessThan(4 * m * EPS);
      });
    });

  it("pivots on the largest entry of the column (LAPACK's getrf)", () => {
    const a = nb.array(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: "float64" },
    );
    const [f, piv, perm] = lax.lu(a);
    expect(Array.from(piv.dataSync())).toEqual([1, 1]);
    expect(Array.from(perm.dataSync())).toEqual([1, 0]);
    expectClose(f, [
      [3, 4],
      [1 / 3, 2 - 4 / 3],
    ]);
  });
});

describe("qr", () => {
  for (const [m, n, full] of [
    [5, 3, false],
    [5, 3, true],
    [3, 5, false],
    [4, 4, true],
  ] as const)
    it(`${m}×${n} ${full ? "complete" : "reduced"}: Q orthonormal, R upper, Q R = a`, () => {
      const a = randn([2, m, n], 40 + m + n);
      const [q, r] = lax.qr(a, { fullMatrices: full });
      const k = Math.min(m, n);
      const c = full ? m : k;
      expect(q.shape).toEqual([2, m, c]);
      expect(r.shape).toEqual([2, c, n]);
      const A = blocks(a);
      const R = blocks(r);
      blocks(q).mats.forEach((Q, b) => {
        expect(orthErr(Q, m, c)).toBeLessThan(4 * m * EPS);
        for (let i = 0; i < c; i++)
          for (let j = 0; j < Math.min(i, n); j++) expect(R.mats[b]![i * n + j]).toBe(0);
        expect(rel(mul(Q, R.mats[b]!, m, c, n), A.mats[b]!, maxAbs(A.mats[b]!))).toBeLessThan(8 * m * EPS);
      });
    });
});

describe("eigh", () => {
  it("ascending eigenvalues, orthonormal vectors, V Λ Vᵀ = a to a few n·eps, batched", () => {
    const n = 7;
    const x = randn([3, n, n], 50);
    const a = nb.add(x, mT(x));
    const [v, w] = lax.eigh(a);
    expect(v.shape).toEqual([3, n, n]);
    expect(w.shape).toEqual([3, n]);
    const W = Array.from(w.dataSync());
    const A = blocks(a);
    blocks(v).mats.forEach((V, b) => {
      const ws = W.slice(b * n, (b + 1) * n);
      for (let i = 1; i < n; i++) expect(ws[i]!).toBeGreaterThanOrEqual(ws[i - 1]!);
      expect(orthErr(V, n, n)).toBeLessThan(4 * n * EPS);
      const D = new Float64Array(n * n);
      for (let i = 0; i < n; i++) D[i * n + i] = ws[i]!;
      const back = mul(mul(V, D, n, n, n), tr(V, n, n), n, n, n);
      expect(rel(back, A.mats[b]!, maxAbs(A.mats[b]!))).toBeLessThan(4 * n * EPS);
    });
  });

  it("reads only the named triangle", () => {
    const x = randn([4, 4], 51);
    const a = nb.add(x, mT(x));
    const [, wl] = lax.eigh(nb.add(a, triu(randn([4, 4], 52), 1)));
    const [, wu] = lax.eigh(nb.add(a, tril(randn([4, 4], 53), -1)), { lower: false });
    const [, w] = lax.eigh(a);
    expectClose(wl, w, { atol: 1e-14, rtol: 1e-14 });
    expectClose(wu, w, { atol: 1e-14, rtol: 1e-14 });
  });

  it("float32 agrees with float64", () => {
    const x = randn([5, 5], 54);
    const a = nb.add(x, mT(x));
    const [, w32] = lax.eigh(nb.astype(a, "float32"));
    expect(w32.dtype).toBe("float32");
    expectClose(w32, lax.eigh(a)[1], { atol: 1e-5, rtol: 1e-5 });
  });
});

describe("svd", () => {
  for (const [m, n, full] of [
    [6, 4, false],
    [4, 6, false],
    [6, 4, true],
    [4, 6, true],
    [5, 5, false],
  ] as const)
    it(`${m}×${n} ${full ? "full" : "thin"}: descending s, orthonormal u and v, u Σ vh = a`, () => {
      const a = randn([2, m, n], 60 + m + 2 * n);
      const [s, u, vh] = lax.svd(a, { fullMatrices: full });
      const k = Math.min(m, n);
      const uc = full ? m : k;
      const vr = full ? n : k;
      expect(s.shape).toEqual([2, k]);
      expect(u.shape).toEqual([2, m, uc]);
      expect(vh.shape).toEqual([2, vr, n]);
      const S = Array.from(s.dataSync());
      const A = blocks(a);
      const VH = blocks(vh);
      blocks(u).mats.forEach((U, b) => {
        const ss = S.slice(b * k, (b + 1) * k);
        for (let i = 1; i < k; i++) expect(ss[i]!).toBeLessThanOrEqual(ss[i - 1]!);
        expect(orthErr(U, m, uc)).toBeLessThan(4 * Math.max(m, n) * EPS);
        expect(orthErr(tr(VH.mats[b]!, vr, n), n, vr)).toBeLessThan(4 * Math.max(m, n) * EPS);
        const D = new Float64Array(uc * vr);
        for (let i = 0; i < k; i++) D[i * vr + i] = ss[i]!;
        const back = mul(mul(U, D, m, uc, vr), VH.mats[b]!, m, vr, n);
        expect(rel(back, A.mats[b]!, maxAbs(A.mats[b]!))).toBeLessThan(8 * Math.max(m, n) * EPS);
      });
      const [s2] = lax.svd(a, { computeUv: false });
      expectClose(s2, s, { atol: 0, rtol: 0 });
    });

  it("a rank-deficient matrix: zero singular values with orthonormal completed vectors", () => {
    const x = randn([5, 2], 70);
    const a = matmul(x, mT(x));
    const [s, u] = lax.svd(a);
    const S = Array.from(s.dataSync());
    expect(S.slice(2).every((v) => v < 1e-14 * S[0]!)).toBe(true);
    expect(orthErr(blocks(u).mats[0]!, 5, 5)).toBeLessThan(1e-14);
  });

  it("exactly rank-deficient (repeated rows): singular values at rounding level get orthonormal vectors", () => {
    const a = nb.array(
      [
        [1, 2, 3, 4],
        [2, 4, 6, 8],
        [1, 0, 1, 0],
        [2, 0, 2, 0],
      ],
      { dtype: "float64" },
    );
    const [s, u, vh] = lax.svd(a);
    const S = Array.from(s.dataSync());
    expect(S[2]! + S[3]!).toBeLessThan(1e-14 * S[0]!);
    expect(orthErr(blocks(u).mats[0]!, 4, 4)).toBeLessThan(1e-14);
    expect(orthErr(tr(blocks(vh).mats[0]!, 4, 4), 4, 4)).toBeLessThan(1e-14);
    expectClose(matmul(nb.mul(u, s), vh), a, { atol: 1e-14, rtol: 1e-14 });
  });
});

describe("the decompositions under jit and vmap", () => {
  const a = randn([3, 4, 4], 80);
  const sym = nb.add(a, mT(a));
  const cases: [string, (x: Tensor) => Tensor[], Tensor][] = [
    ["lu", (x) => lax.lu(x), a],
    ["qr", (x) => lax.qr(x), a],
    ["eigh", (x) => lax.eigh(x), sym],
    ["svd", (x) => lax.svd(x), a],
  ];
  for (const [name, f, x] of cases) {
    it(`${name}: jit gives eager's values`, () => {
      const got = nb.jit(f)(x) as Tensor[];
      const want = f(x);
      got.forEach((g, i) => expectClose(g, want[i]!, { atol: 0, rtol: 0 }, `${name} output ${i}`));
    });
    it(`${name}: vmap matches a loop`, () => {
      const got = nb.vmap(f)(x) as Tensor[];
      const per = [0, 1, 2].map((b) => f(lax.reshape(lax.slice(x, [b, 0, 0], [b + 1, 4, 4]), [4, 4])));
      got.forEach((g, i) =>
        expectClose(g, nb.stack(per.map((o) => o[i]!)), { atol: 0, rtol: 0 }, `${name} output ${i}`),
      );
    });
  }
});

describe("derivatives through jit", () => {
  const x = randn([4, 4], 90);
  const sym = nb.add(x, mT(x));
  const w = randn([4, 4], 91);
  const weighted = (t: Tensor) => nb.sum(nb.mul(t, w));
  const cases: [string, (a: Tensor) => Tensor, Tensor][] = [
    [
      "cholesky",
      (a) => weighted(lax.cholesky(nb.add(matmul(a, mT(a)), nb.mul(nb.eye(4, 4, { dtype: "float64" }), 4)))),
      x,
    ],
    [
      "triangular_solve",
      (a) =>
        weighted(
          lax.triangularSolve(nb.add(a, nb.mul(nb.eye(4, 4, { dtype: "float64" }), 4)), w, {
            leftSide: true,
            lower: true,
            transposeA: false,
            unitDiagonal: false,
          }),
        ),
      x,
    ],
    ["lu", (a) => weighted(lax.lu(nb.add(a, nb.mul(nb.eye(4, 4, { dtype: "float64" }), 6)))[0]), x],
    ["qr", (a) => weighted(lax.qr(a)[1]), x],
    ["eigh", (a) => nb.sum(nb.mul(lax.eigh(a)[1], nb.array([1, -2, 3, 0.5], { dtype: "float64" }))), sym],
    [
      "svd",
      (a) =>
        nb.sum(nb.mul(lax.svd(a, { computeUv: false })[0], nb.array([1, -2, 3, 0.5], { dtype: "float64" }))),
      x,
    ],
  ];
  for (const [name, f, a] of cases)
    it(`${name}: jit(grad(f)) and grad(jit(f)) give grad(f)`, () => {
      const g = nb.grad(f)(a);
      expectClose(nb.jit(nb.grad(f))(a), g, { atol: 1e-13, rtol: 1e-11 }, "jit(grad)");
      expectClose(nb.grad(nb.jit(f))(a), g, { atol: 1e-13, rtol: 1e-11 }, "grad(jit)");
    });
});

describe("errors name the op, the argument, the shape and the remedy", () => {
  it("shapes and dtypes", () => {
    expect(() => lax.cholesky(randn([2, 3], 1))).toThrow(
      /cholesky: the matrix must be square \[\.\.\., n, n\], got shape \[2,3\]/,
    );
    expect(() => lax.eigh(randn([3], 1))).toThrow(/eigh: the matrix must have at least two dimensions/);
    expect(() => lax.lu(nb.zeros([2, 2], { dtype: "int32" }))).toThrow(
      /lu: the matrix must be float32 or float64, got int32/,
    );
  });

  it("derivatives that are not defined here say what to differentiate instead", () => {
    const wide = randn([2, 3], 2);
    expect(() => nb.grad((a: Tensor) => nb.sum(lax.qr(a)[1]))(wide)).toThrow(/qr: the derivative .* m ≥ n/);
    expect(() => nb.grad((a: Tensor) => nb.sum(lax.svd(a, { fullMatrices: true })[1]))(wide)).toThrow(
      /svd: the derivative of the full u and vh of a non-square matrix/,
    );
  });
});
