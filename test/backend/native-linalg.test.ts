// Cholesky, triangular solves and LU in the native addon (native/src/linalg.cc, src/backend/native/
// linalg.ts): against the unblocked TypeScript references on random SPD, triangular and general matrices,
// sizes around the block boundaries, batches, float64 and float32; backward errors within c·n·eps; the
// triangle that must not be read filled with NaN; pivots equal to the reference's; info for matrices that
// are not positive definite or are singular; argument checks. The references are checked on their own
// (reconstruction) whether or not the addon is built.
import { describe, expect, it } from "vitest";
import {
  type FloatArray,
  nativeLinalg,
  referenceGetrf,
  referencePotrf,
  referenceTrsm,
  type TrsmOptions,
} from "../../src/backend/native/linalg.js";
import { type NativeAddon, nativeAddon, replaceNativeAddon } from "../../src/backend/native/load.js";
import { makeRng } from "../../src/numeric/rng.js";

const rng = makeRng(715);
const linalg = nativeLinalg();

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const EPS = { f64: 2 ** -52, f32: 2 ** -23 };
const eps = (Arr: Ctor): number => (Arr === Float64Array ? EPS.f64 : EPS.f32);
const name = (Arr: Ctor): string => (Arr === Float64Array ? "float64" : "float32");

function uniform(n: number): Float64Array {
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = rng.uniform() * 2 - 1;
  return r;
}

/** `batch` SPD matrices G·Gᵀ/n + I (condition number modest), the strictly upper triangle NaN. */
function spd(Arr: Ctor, batch: number, n: number, upper = Number.NaN): FloatArray {
  const out = new Arr(batch * n * n);
  for (let b = 0; b < batch; b++) {
    const g = uniform(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (j > i) {
          out[b * n * n + i * n + j] = upper;
          continue;
        }
        let s = 0;
        for (let p = 0; p < n; p++) s += g[i * n + p] * g[j * n + p];
        out[b * n * n + i * n + j] = s / n + (i === j ? 1 : 0);
      }
  }
  return out;
}

/** max |A − L·Lᵀ| over the lower triangle, relative to max |A|. */
function choleskyError(a: FloatArray, l: FloatArray, n: number, b: number): number {
  const o = b * n * n;
  let err = 0;
  let norm = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = 0; p <= j; p++) s += l[o + i * n + p] * l[o + j * n + p];
      err = Math.max(err, Math.abs(a[o + i * n + j] - s));
      norm = Math.max(norm, Math.abs(a[o + i * n + j]));
    }
  return err / norm;
}

/** max |P·A − L·U| relative to max |A|, for row-major [m, n] factors and 0-based exchanges. */
function luError(a: FloatArray, f: FloatArray, piv: Int32Array, m: number, n: number, b: number): number {
  const r = Math.min(m, n);
  const pa = Float64Array.from(a.subarray(b * m * n, (b + 1) * m * n));
  for (let i = 0; i < r; i++) {
    const p = piv[b * r + i];
    for (let c = 0; c < n; c++) {
      const t = pa[i * n + c];
      pa[i * n + c] = pa[p * n + c];
      pa[p * n + c] = t;
    }
  }
  const o = b * m * n;
  let err = 0;
  let norm = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      const top = Math.min(i, j, r - 1);
      // (L·U)[i][j] = Σ L[i][p]·U[p][j] over p ≤ min(i, j), with L's unit diagonal
      for (let p = 0; p <= top; p++) s += (p === i ? 1 : f[o + i * n + p]) * f[o + p * n + j];
      err = Math.max(err, Math.abs(pa[i * n + j] - s));
      norm = Math.max(norm, Math.abs(pa[i * n + j]));
    }
  return err / norm;
}

/** A triangular matrix well conditioned for every variant: small off-diagonal entries, diagonal 1..2. */
function triangular(Arr: Ctor, batch: number, n: number, opts: TrsmOptions): FloatArray {
  const out = new Arr(batch * n * n);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const inside = opts.lower ? j < i : j > i;
        const v =
          i === j
            ? opts.unitDiagonal
              ? Number.NaN
              : 1 + rng.uniform()
            : inside
              ? (rng.uniform() * 2 - 1) / n
              : Number.NaN;
        out[b * n * n + i * n + j] = v;
      }
  return out;
}

/** max |op(A)·X − B| (or |X·op(A) − B|) relative to |op(A)|·|X| (componentwise-style normwise bound). */
function trsmError(
  a: FloatArray,
  x: FloatArray,
  b: FloatArray,
  n: number,
  k: number,
  opts: TrsmOptions,
  bi: number,
): number {
  const at = (i: number, j: number): number => {
    const [r, c] = opts.transposeA ? [j, i] : [i, j];
    if (r === c) return opts.unitDiagonal ? 1 : a[bi * n * n + r * n + c];
    return (opts.lower ? c < r : c > r) ? a[bi * n * n + r * n + c] : 0;
  };
  let err = 0;
  let scale = 0;
  for (let i = 0; i < n; i++)
    for (let c = 0; c < k; c++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < n; p++) {
        // left: (op(A)·X)[i][c] = Σp op(A)[i][p]·X[p][c]; right: (X·op(A))[c][i] = Σp X[c][p]·op(A)[p][i]
        const t = opts.leftSide ? at(i, p) * x[bi * n * k + p * k + c] : x[bi * n * k + c * n + p] * at(p, i);
        s += t;
        abs += Math.abs(t);
      }
      const rhs = opts.leftSide ? b[bi * n * k + i * k + c] : b[bi * n * k + c * n + i];
      err = Math.max(err, Math.abs(s - rhs));
      scale = Math.max(scale, abs);
    }
  return err / scale;
}

function maxRelDiff(x: FloatArray, y: FloatArray): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(y[i])) {
      if (!Number.isNaN(x[i])) return Number.POSITIVE_INFINITY;
      continue;
    }
    d = Math.max(d, Math.abs(x[i] - y[i]));
    s = Math.max(s, Math.abs(y[i]));
  }
  return s === 0 ? d : d / s;
}

const SIZES = [1, 63, 64, 65, 127, 200, 300];
const TYPES: Ctor[] = [Float64Array, Float32Array];
const VARIANTS: TrsmOptions[] = [];
for (const leftSide of [true, false])
  for (const lower of [true, false])
    for (const transposeA of [false, true])
      for (const unitDiagonal of [false, true]) VARIANTS.push({ leftSide, lower, transposeA, unitDiagonal });
const label = (o: TrsmOptions): string =>
  `${o.leftSide ? "left" : "right"} ${o.lower ? "lower" : "upper"}${o.transposeA ? " transposed" : ""}${o.unitDiagonal ? " unit" : ""}`;

describe("TypeScript references", () => {
  it("potrf reconstructs A and leaves the upper triangle alone", () => {
    const a = spd(Float64Array, 2, 20);
    const l = a.slice();
    expect(Array.from(referencePotrf(l, 2, 20))).toEqual([0, 0]);
    for (let b = 0; b < 2; b++) expect(choleskyError(a, l, 20, b)).toBeLessThan(20 * EPS.f64 * 4);
    expect(Number.isNaN(l[1])).toBe(true);
  });

  it("getrf reconstructs P·A, square and rectangular", () => {
    for (const [m, n] of [
      [17, 17],
      [23, 9],
      [9, 23],
    ]) {
      const a = Float64Array.from(uniform(m * n));
      const f = a.slice();
      const piv = new Int32Array(Math.min(m, n));
      expect(referenceGetrf(f, 1, m, n, piv)[0]).toBe(0);
      expect(luError(a, f, piv, m, n, 0)).toBeLessThan(Math.max(m, n) * EPS.f64 * 8);
    }
  });

  it("trsm solves every variant", () => {
    const n = 13;
    const k = 4;
    for (const o of VARIANTS) {
      const a = triangular(Float64Array, 1, n, o);
      const b = Float64Array.from(uniform(n * k));
      const x = b.slice();
      referenceTrsm(a, x, 1, n, k, o);
      expect(trsmError(a, x, b, n, k, o, 0), label(o)).toBeLessThan(n * EPS.f64 * 4);
    }
  });
});

describe("nativeLinalg availability", () => {
  it("is null without the addon (NABLA_NATIVE=0, no build) or with a build that lacks the kernels", () => {
    const real = nativeAddon();
    try {
      replaceNativeAddon(null);
      expect(nativeLinalg()).toBeNull();
      replaceNativeAddon({ ...(real ?? {}), potrf: undefined } as unknown as NativeAddon);
      expect(nativeLinalg()).toBeNull();
    } finally {
      replaceNativeAddon(undefined);
    }
    expect(nativeLinalg() === null).toBe(
      real === null || typeof (real as { potrf?: unknown }).potrf !== "function",
    );
  });
});

describe.skipIf(linalg === null)("native linalg", () => {
  const L = linalg as NonNullable<typeof linalg>;

  for (const Arr of TYPES)
    it(`potrf matches the reference (${name(Arr)})`, () => {
      for (const n of SIZES) {
        const batch = n <= 65 ? 3 : 1;
        const a = spd(Arr, batch, n);
        const mine = a.slice();
        const ref = a.slice();
        expect(Array.from(L.potrf(mine, batch, n)), `n=${n}`).toEqual(new Array(batch).fill(0));
        referencePotrf(ref, batch, n);
        // the upper triangle (NaN) is neither read nor written
        expect(maxRelDiff(mine, ref), `n=${n}`).toBeLessThan(n * eps(Arr) * 4);
        for (let b = 0; b < batch; b++)
          expect(choleskyError(a, mine, n, b), `n=${n}`).toBeLessThan(n * eps(Arr) * 2);
      }
    });

  it("potrf reports the first leading minor that is not positive definite", () => {
    for (const [n, bad] of [
      [5, 0],
      [64, 40],
      [200, 150],
      [300, 129],
    ]) {
      const a = spd(Float64Array, 2, n);
      a[n * n + bad * n + bad] = -1e3; // second matrix only
      const ref = a.slice();
      const info = L.potrf(a, 2, n);
      expect(Array.from(info)).toEqual([0, bad + 1]);
      expect(Array.from(referencePotrf(ref, 2, n))).toEqual([0, bad + 1]);
    }
    const nan = spd(Float64Array, 1, 70);
    nan[3 * 70 + 3] = Number.NaN;
    expect(L.potrf(nan, 1, 70)[0]).toBe(4);
  });

  for (const Arr of TYPES)
    it(`trsm: every variant matches the reference (${name(Arr)})`, () => {
      for (const n of [1, 31, 33, 63, 64, 65, 127, 200])
        for (const o of VARIANTS) {
          const k = n === 65 ? 300 : n === 127 ? 3 : n % 2 === 0 ? 1 : 7;
          const batch = n <= 64 ? 2 : 1;
          const a = triangular(Arr, batch, n, o);
          const b = new Arr(uniform(batch * n * k));
          const mine = b.slice();
          const ref = b.slice();
          L.trsm(a, mine, batch, n, k, o);
          referenceTrsm(a, ref, batch, n, k, o);
          const what = `${label(o)} n=${n} k=${k}`;
          expect(maxRelDiff(mine, ref), what).toBeLessThan(n * eps(Arr) * 8);
          for (let bi = 0; bi < batch; bi++)
            expect(trsmError(a, mine, b, n, k, o, bi), what).toBeLessThan(n * eps(Arr) * 2);
        }
    });

  it("trsm with many right-hand sides (threads split them)", () => {
    const n = 150;
    const k = 400;
    for (const o of [VARIANTS[0], VARIANTS[7], VARIANTS[10], VARIANTS[13]]) {
      const a = triangular(Float64Array, 1, n, o);
      const b = Float64Array.from(uniform(n * k));
      const mine = b.slice();
      L.trsm(a, mine, 1, n, k, o);
      expect(trsmError(a, mine, b, n, k, o, 0), label(o)).toBeLessThan(n * EPS.f64 * 2);
    }
  });

  for (const Arr of TYPES)
    it(`getrf matches the reference's pivots and factors (${name(Arr)})`, () => {
      const shapes: [number, number][] = SIZES.map((n) => [n, n]);
      shapes.push([200, 70], [70, 200], [129, 300], [300, 17]);
      for (const [m, n] of shapes) {
        const batch = Math.max(m, n) <= 65 ? 3 : 1;
        const a = new Arr(uniform(batch * m * n));
        const mine = a.slice();
        const ref = a.slice();
        const r = Math.min(m, n);
        const p1 = new Int32Array(batch * r);
        const p2 = new Int32Array(batch * r);
        expect(Array.from(L.getrf(mine, batch, m, n, p1))).toEqual(new Array(batch).fill(0));
        referenceGetrf(ref, batch, m, n, p2);
        const what = `${m}x${n}`;
        expect(Array.from(p1), what).toEqual(Array.from(p2));
        // growth is modest for random matrices; the factors agree to a few n·eps
        expect(maxRelDiff(mine, ref), what).toBeLessThan(Math.max(m, n) * eps(Arr) * 64);
        for (let b = 0; b < batch; b++)
          expect(luError(a, mine, p1, m, n, b), what).toBeLessThan(Math.max(m, n) * eps(Arr) * 4);
      }
    });

  it("getrf reports the first exactly zero pivot and goes on", () => {
    // a zero column: the pivot of step 2 is zero
    const n = 100;
    const a = Float64Array.from(uniform(n * n));
    for (let i = 0; i < n; i++) a[i * n + 2] = 0;
    const ref = a.slice();
    const p1 = new Int32Array(n);
    const p2 = new Int32Array(n);
    expect(L.getrf(a, 1, n, n, p1)[0]).toBe(3);
    expect(referenceGetrf(ref, 1, n, n, p2)[0]).toBe(3);
    expect(Array.from(p1)).toEqual(Array.from(p2));
    // rank one: every step after the first meets zeros
    const ones = new Float64Array(70 * 70).fill(1);
    expect(L.getrf(ones, 1, 70, 70, new Int32Array(70))[0]).toBe(2);
    // a batch where only the second matrix is singular (a zero row: the last pivot is zero)
    const two = Float64Array.from(uniform(2 * 40 * 40));
    two.fill(0, 1600 + 17 * 40, 1600 + 18 * 40);
    expect(Array.from(L.getrf(two, 2, 40, 40, new Int32Array(80)))).toEqual([0, 40]);
  });

  it("factors and solves large batches of small matrices", () => {
    const batch = 500;
    const n = 8;
    const a = spd(Float64Array, batch, n, 0);
    const ref = a.slice();
    L.potrf(a, batch, n);
    referencePotrf(ref, batch, n);
    expect(maxRelDiff(a, ref)).toBeLessThan(1e-14);
    const g = Float64Array.from(uniform(batch * n * n));
    const gr = g.slice();
    const p1 = new Int32Array(batch * n);
    const p2 = new Int32Array(batch * n);
    L.getrf(g, batch, n, n, p1);
    referenceGetrf(gr, batch, n, n, p2);
    expect(Array.from(p1)).toEqual(Array.from(p2));
    expect(maxRelDiff(g, gr)).toBeLessThan(1e-12);
  });

  it("large matrices on three threads (the products and solves share out)", () => {
    const saved = process.env.NABLA_THREADS;
    process.env.NABLA_THREADS = "3";
    try {
      const n = 520;
      const a = spd(Float64Array, 1, n);
      const mine = a.slice();
      const ref = a.slice();
      expect(L.potrf(mine, 1, n)[0]).toBe(0);
      referencePotrf(ref, 1, n);
      expect(maxRelDiff(mine, ref)).toBeLessThan(n * EPS.f64 * 4);
      const g = Float64Array.from(uniform(n * n));
      const gm = g.slice();
      const gr = g.slice();
      const p1 = new Int32Array(n);
      const p2 = new Int32Array(n);
      L.getrf(gm, 1, n, n, p1);
      referenceGetrf(gr, 1, n, n, p2);
      expect(Array.from(p1)).toEqual(Array.from(p2));
      expect(maxRelDiff(gm, gr)).toBeLessThan(n * EPS.f64 * 64);
      const o: TrsmOptions = { leftSide: false, lower: true, transposeA: true, unitDiagonal: false };
      const t = triangular(Float64Array, 1, 300, o);
      const b = Float64Array.from(uniform(300 * 400));
      const x = b.slice();
      const xr = b.slice();
      L.trsm(t, x, 1, 300, 400, o);
      referenceTrsm(t, xr, 1, 300, 400, o);
      expect(maxRelDiff(x, xr)).toBeLessThan(300 * EPS.f64 * 8);
    } finally {
      if (saved === undefined) delete process.env.NABLA_THREADS;
      else process.env.NABLA_THREADS = saved;
    }
  });

  it("checks sizes and types before touching memory", () => {
    const a = new Float64Array(15);
    expect(() => L.potrf(a, 1, 4)).toThrow(RangeError);
    expect(() => L.potrf(a, 1, -1)).toThrow(RangeError);
    expect(() => L.potrf(a, 1.5, 3)).toThrow(RangeError);
    expect(() => L.potrf(new Int32Array(16) as unknown as Float64Array, 1, 4)).toThrow(TypeError);
    const o = VARIANTS[0];
    expect(() => L.trsm(new Float64Array(16), new Float64Array(7), 1, 4, 2, o)).toThrow(RangeError);
    expect(() => L.trsm(new Float64Array(16), new Float32Array(8), 1, 4, 2, o)).toThrow(TypeError);
    expect(() => L.getrf(new Float64Array(12), 1, 3, 4, new Int32Array(2))).toThrow(RangeError);
    expect(() => L.getrf(new Float64Array(11), 1, 3, 4, new Int32Array(3))).toThrow(RangeError);
    expect(L.potrf(new Float64Array(0), 0, 5).length).toBe(0);
    expect(L.getrf(new Float64Array(0), 2, 0, 3, new Int32Array(0))).toEqual(new Int32Array(2));
  });
});
