// The native symmetric eigensolver (native/src/eigh.cc through src/backend/native/linalg.ts's syev) against
// the TypeScript kernel eighData: eigenvalues equal to c·n·eps·‖A‖, vectors equal up to sign where the
// eigenvalues are apart, backward error ‖A·V − V·Λ‖ and orthogonality ‖VᵀV − I‖ within c·n·eps; sizes
// around the strip and block boundaries, batches, both triangles, float64 and float32; repeated eigenvalues
// (identity, repeated blocks, a zero matrix) still giving orthonormal vectors; matrices scaled near the
// ends of the float64 range; non-finite input; argument checks. Skipped without the addon.
import { describe, expect, it } from "vitest";
import { type FloatArray, nativeLinalg } from "../../src/backend/native/linalg.js";
import { makeRng } from "../../src/numeric/rng.js";
import { eighData } from "../../src/primitives/linalg-kernels.js";

const rng = makeRng(9041);
const linalg = nativeLinalg();

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const TYPES: Ctor[] = [Float64Array, Float32Array];
const eps = (Arr: Ctor): number => (Arr === Float64Array ? 2 ** -52 : 2 ** -23);
const dtypeOf = (Arr: Ctor): "float64" | "float32" => (Arr === Float64Array ? "float64" : "float32");

/** `batch` random symmetric [n, n] matrices (entries in [−1, 1)), rounded to Arr. */
function symmetric(Arr: Ctor, batch: number, n: number): FloatArray {
  const a = new Arr(batch * n * n);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        const x = rng.uniform() * 2 - 1;
        a[b * n * n + i * n + j] = x;
        a[b * n * n + j * n + i] = x;
      }
  return a;
}

/** Q·diag(lam)·Qᵀ with Q a random orthogonal matrix (Gram–Schmidt on a random one, twice). */
function withEigenvalues(lam: number[]): Float64Array {
  const n = lam.length;
  const q = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) q[i] = rng.uniform() * 2 - 1;
  for (let c = 0; c < n; c++)
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < c; p++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += q[i * n + c] * q[i * n + p];
        for (let i = 0; i < n; i++) q[i * n + c] -= d * q[i * n + p];
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += q[i * n + c] ** 2;
      for (let i = 0; i < n; i++) q[i * n + c] /= Math.sqrt(s);
    }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * lam[k] * q[j * n + k];
      a[i * n + j] = s;
    }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j];
  return a;
}

const maxAbs = (a: ArrayLike<number>, o: number, len: number): number => {
  let m = 0;
  for (let i = 0; i < len; i++) m = Math.max(m, Math.abs(a[o + i]));
  return m;
};

/** max |A·V − V·Λ| / max(‖A‖max, tiny) and max |VᵀV − I| for member b (A read in float64, full). */
function errors(a: FloatArray, w: FloatArray, v: FloatArray, n: number, b: number): [number, number] {
  const o = b * n * n;
  let res = 0;
  let orth = 0;
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[o + i * n + j] * v[o + j * n + k];
      res = Math.max(res, Math.abs(s - v[o + i * n + k] * w[b * n + k]));
    }
  for (let k = 0; k < n; k++)
    for (let l = 0; l < n; l++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += v[o + j * n + k] * v[o + j * n + l];
      orth = Math.max(orth, Math.abs(s - (k === l ? 1 : 0)));
    }
  return [res / Math.max(maxAbs(a, o, n * n), Number.MIN_VALUE), orth];
}

function run(L: NonNullable<typeof linalg>, a: FloatArray, batch: number, n: number, lower = true) {
  const Arr = a.constructor as Ctor;
  const w = new Arr(batch * n);
  const v = new Arr(batch * n * n);
  const before = a.slice();
  L.syev(a, batch, n, lower, w, v);
  expect(Array.from(a)).toEqual(Array.from(before));
  return { w, v };
}

describe.skipIf(linalg === null)("native syev", () => {
  const L = linalg as NonNullable<typeof linalg>;

  for (const Arr of TYPES)
    it(`matches eighData on random symmetric matrices (${dtypeOf(Arr)})`, () => {
      const e = eps(Arr);
      for (const n of [1, 2, 3, 17, 64, 65, 200]) {
        const batch = n <= 65 ? 3 : 1;
        const a = symmetric(Arr, batch, n);
        const { w, v } = run(L, a, batch, n);
        const [vRef, wRef] = eighData(a, [batch, n, n], true, dtypeOf(Arr));
        for (let b = 0; b < batch; b++) {
          const norm = maxAbs(a, b * n * n, n * n) * n;
          let gapMin = Number.POSITIVE_INFINITY;
          for (let k = 0; k < n; k++) {
            const x = w[b * n + k];
            expect(Math.abs(x - wRef[b * n + k]), `n=${n} b=${b} k=${k}`).toBeLessThan(
              4 * n * e * norm + 1e-300,
            );
            if (k > 0) {
              expect(x, "ascending").toBeGreaterThanOrEqual(w[b * n + k - 1]);
              gapMin = Math.min(gapMin, x - w[b * n + k - 1]);
            }
          }
          const [res, orth] = errors(a, w, v, n, b);
          expect(res, `residual n=${n}`).toBeLessThan(4 * n * e);
          expect(orth, `orthogonality n=${n}`).toBeLessThan(4 * n * e);
          // vectors agree with the reference up to sign, to about eps·‖A‖/gap
          const tol = Math.min(0.5, (64 * n * e * norm) / gapMin) + 16 * n * e;
          for (let k = 0; k < n; k++) {
            let dot = 0;
            for (let i = 0; i < n; i++) dot += v[b * n * n + i * n + k] * vRef[b * n * n + i * n + k];
            const s = dot < 0 ? -1 : 1;
            let diff = 0;
            for (let i = 0; i < n; i++) {
              const o = b * n * n + i * n + k;
              diff = Math.max(diff, Math.abs(v[o] - s * vRef[o]));
            }
            expect(diff, `vector n=${n} k=${k}`).toBeLessThan(tol);
          }
        }
      }
    });

  for (const Arr of TYPES)
    it(`reads only the triangle asked for (${dtypeOf(Arr)})`, () => {
      const n = 33;
      const a = symmetric(Arr, 2, n);
      const lowerOnly = a.slice();
      const upperOnly = a.slice();
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            if (j > i) lowerOnly[b * n * n + i * n + j] = Number.NaN;
            if (j < i) upperOnly[b * n * n + i * n + j] = Number.NaN;
          }
      const full = run(L, a, 2, n);
      const lo = run(L, lowerOnly, 2, n, true);
      const up = run(L, upperOnly, 2, n, false);
      expect(Array.from(lo.w)).toEqual(Array.from(full.w));
      expect(Array.from(lo.v)).toEqual(Array.from(full.v));
      // the upper triangle is the transpose, so the same matrix: same results to rounding
      for (let i = 0; i < 2 * n; i++) expect(Math.abs(up.w[i] - full.w[i])).toBeLessThan(8 * n * eps(Arr));
      for (let b = 0; b < 2; b++) {
        const [res, orth] = errors(a, up.w, up.v, n, b);
        expect(res).toBeLessThan(4 * n * eps(Arr));
        expect(orth).toBeLessThan(4 * n * eps(Arr));
      }
    });

  for (const Arr of TYPES)
    it(`gives orthonormal vectors for repeated eigenvalues (${dtypeOf(Arr)})`, () => {
      const e = eps(Arr);
      const cases: [string, number, Float64Array][] = [];
      for (const n of [1, 5, 64, 130]) {
        const id = new Float64Array(n * n);
        for (let i = 0; i < n; i++) id[i * n + i] = 1;
        cases.push([`identity ${n}`, n, id]);
      }
      cases.push(["zero 20", 20, new Float64Array(400)]);
      // block diagonal with one 4×4 block repeated: every eigenvalue four times over
      const blk = symmetric(Float64Array, 1, 4);
      const rep = new Float64Array(16 * 16);
      for (let r = 0; r < 4; r++)
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 4; j++) rep[(4 * r + i) * 16 + 4 * r + j] = blk[i * 4 + j];
      cases.push(["repeated blocks 16", 16, rep]);
      cases.push([
        "clusters 70",
        70,
        withEigenvalues(Array.from({ length: 70 }, (_, k) => [-2, 0, 1, 3][k % 4])),
      ]);
      for (const [label, n, m] of cases) {
        const a = Arr.from(m);
        const { w, v } = run(L, a, 1, n);
        const [, wRef] = eighData(a, [n, n], true, dtypeOf(Arr));
        const norm = Math.max(maxAbs(a, 0, n * n) * n, 1);
        for (let k = 0; k < n; k++) expect(Math.abs(w[k] - wRef[k]), label).toBeLessThan(4 * n * e * norm);
        const [res, orth] = errors(a, w, v, n, 0);
        expect(res, label).toBeLessThan(4 * n * e);
        expect(orth, label).toBeLessThan(4 * n * e);
      }
    });

  it("keeps its accuracy for matrices scaled far from 1 (1e±300, 1e±155)", () => {
    const n = 40;
    const base = symmetric(Float64Array, 1, n);
    for (const f of [1e300, 1e-300, 1e155, 1e-155]) {
      const a = base.map((x) => x * f);
      const { w, v } = run(L, a, 1, n);
      const [res, orth] = errors(a, w, v, n, 0);
      expect(res, `scale ${f}`).toBeLessThan(4 * n * eps(Float64Array));
      expect(orth, `scale ${f}`).toBeLessThan(4 * n * eps(Float64Array));
    }
  });

  it("a batch mixes sizes of work: many small matrices at once", () => {
    const n = 24;
    const batch = 40;
    const a = symmetric(Float64Array, batch, n);
    const { w, v } = run(L, a, batch, n);
    for (let b = 0; b < batch; b++) {
      const [res, orth] = errors(a, w, v, n, b);
      expect(res).toBeLessThan(4 * n * eps(Float64Array));
      expect(orth).toBeLessThan(4 * n * eps(Float64Array));
    }
  });

  it("fills a member with a non-finite entry in its triangle with NaN, and leaves the others alone", () => {
    const n = 6;
    const a = symmetric(Float64Array, 2, n);
    a[n * n + 4 * n + 1] = Number.POSITIVE_INFINITY;
    a[2] = Number.NaN; // upper triangle of member 0: not read
    const { w, v } = run(L, a, 2, n);
    expect(Array.from(w.subarray(n)).every(Number.isNaN)).toBe(true);
    expect(Array.from(v.subarray(n * n)).every(Number.isNaN)).toBe(true);
    expect(Array.from(w.subarray(0, n)).every(Number.isFinite)).toBe(true);
  });

  it("handles empty sizes", () => {
    const w = new Float64Array(0);
    L.syev(new Float64Array(0), 0, 5, true, w, new Float64Array(0));
    L.syev(new Float64Array(0), 3, 0, true, w, new Float64Array(0));
  });

  it("checks its arguments", () => {
    const a = new Float64Array(9);
    expect(() => L.syev(a, 1, 3, true, new Float64Array(2), new Float64Array(9))).toThrow(RangeError);
    expect(() => L.syev(a, 1, 3, true, new Float64Array(3), new Float64Array(8))).toThrow(RangeError);
    expect(() => L.syev(new Float64Array(8), 1, 3, true, new Float64Array(3), new Float64Array(9))).toThrow(
      RangeError,
    );
    expect(() => L.syev(a, 1, 3, true, new Float32Array(3), new Float64Array(9))).toThrow(TypeError);
    expect(() => L.syev(a, 1.5, 3, true, new Float64Array(3), new Float64Array(9))).toThrow(RangeError);
  });
});
