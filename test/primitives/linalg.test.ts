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
