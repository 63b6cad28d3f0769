// The blocked Cholesky, triangular solve and LU the fast backend runs without the native addon
// (src/backend/fast/linalg-blocked.ts): against the unblocked references on random SPD, triangular and
// general matrices, sizes around the block sizes (a small block to reach many blocks cheaply, and the
// default), batches, float64 and float32, every triangular-solve variant, pivots equal to the reference's,
// the triangle that must not be read filled with NaN, non-positive-definite and singular members. Then the
// fast backend's kernels with the addon hidden, against the reference backend's kernels.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cholesky, lu, triangularSolve } from "../../src/backend/fast/linalg.js";
import { blockedGetrf, blockedPotrf, blockedTrsm, blockFor } from "../../src/backend/fast/linalg-blocked.js";
import {
  type FloatArray,
  nativeLinalg,
  referenceGetrf,
  referencePotrf,
  referenceTrsm,
  type TrsmOptions,
} from "../../src/backend/native/linalg.js";
import { replaceNativeAddon } from "../../src/backend/native/load.js";
import { wasmMatmulReady } from "../../src/backend/wasm/matmul.js";
import type { Aval } from "../../src/core/tensor.js";
import { ConcreteTensor } from "../../src/core/tensor.js";
import { makeRng } from "../../src/numeric/rng.js";
import { choleskyData, luData, triangularSolveData } from "../../src/primitives/linalg-kernels.js";

const rng = makeRng(2024);

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor;
const TYPES: Ctor[] = [Float64Array, Float32Array];
const eps = (Arr: Ctor): number => (Arr === Float64Array ? 2 ** -52 : 2 ** -23);
const name = (Arr: Ctor): string => (Arr === Float64Array ? "float64" : "float32");

function uniform(n: number): Float64Array {
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = rng.uniform() * 2 - 1;
  return r;
}

/** `batch` SPD matrices G·Gᵀ/n + I, the strictly upper triangle set to `upper`. */
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
        for (let p = 0; p < n; p++) s += g[i * n + p]! * g[j * n + p]!;
        out[b * n * n + i * n + j] = s / n + (i === j ? 1 : 0);
      }
  }
  return out;
}

/** Triangular matrices well conditioned for every variant; the triangle not read (and a unit diagonal) NaN. */
function triangular(Arr: Ctor, batch: number, n: number, o: TrsmOptions): FloatArray {
  const out = new Arr(batch * n * n);
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const inside = o.lower ? j < i : j > i;
        out[b * n * n + i * n + j] =
          i === j
            ? o.unitDiagonal
              ? Number.NaN
              : 1 + rng.uniform()
            : inside
              ? (rng.uniform() * 2 - 1) / Math.sqrt(n)
              : Number.NaN;
      }
  return out;
}

/** max |x − y| / max |y|, NaN only where y is NaN. */
function relDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let d = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(y[i]!)) {
      if (!Number.isNaN(x[i]!)) return Number.POSITIVE_INFINITY;
      continue;
    }
    if (Number.isNaN(x[i]!)) return Number.POSITIVE_INFINITY;
    d = Math.max(d, Math.abs(x[i]! - y[i]!));
    s = Math.max(s, Math.abs(y[i]!));
  }
  return s === 0 ? d : d / s;
}

const VARIANTS: TrsmOptions[] = [];
for (const leftSide of [true, false])
  for (const lower of [true, false])
    for (const transposeA of [false, true])
      for (const unitDiagonal of [false, true]) VARIANTS.push({ leftSide, lower, transposeA, unitDiagonal });
const label = (o: TrsmOptions): string =>
  `${o.leftSide ? "left" : "right"} ${o.lower ? "lower" : "upper"}${o.transposeA ? " transposed" : ""}${o.unitDiagonal ? " unit" : ""}`;

/** [block size, orders]: a small block reaches many blocks cheaply; the default block at its edges. */
const BLOCK = blockFor(100);
const CASES: [number, number[]][] = [
  [8, [1, 7, 8, 9, 16, 17, 31, 33, 50]],
  [BLOCK, [BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK + 3]],
  [blockFor(1024), [blockFor(1024) + 1]],
];

describe("blocked kernels against the unblocked references", () => {
  for (const Arr of TYPES) {
    const tol = (n: number): number => 8 * n * eps(Arr);

    it(`potrf (${name(Arr)})`, () => {
      for (const [nb, sizes] of CASES)
        for (const n of sizes) {
          const batch = n <= 17 ? 3 : 2;
          const a = spd(Arr, batch, n);
          const mine = a.slice();
          const ref = a.slice();
          expect(Array.from(blockedPotrf(mine, batch, n, nb)), `nb=${nb} n=${n}`).toEqual(
            new Array(batch).fill(0),
          );
          referencePotrf(ref, batch, n);
          // The strictly upper triangle (NaN) is neither read nor written.
          expect(relDiff(mine, ref), `nb=${nb} n=${n}`).toBeLessThan(tol(n));
        }
    });

    it(`potrf reports the first leading minor that is not positive (${name(Arr)})`, () => {
      for (const [nb, n, bad] of [
        [8, 20, 13],
        [8, 20, 3],
        [BLOCK, BLOCK + 9, BLOCK + 4],
      ] as const) {
        const a = spd(Arr, 2, n);
        // Member 1: a negative diagonal entry makes the leading minor of order `bad` the first negative one.
        a[n * n + (bad - 1) * n + (bad - 1)] = -1;
        const info = blockedPotrf(a, 2, n, nb);
        expect(Array.from(info), `nb=${nb} n=${n}`).toEqual([0, bad]);
      }
    });

    it(`trsm, every variant (${name(Arr)})`, () => {
      for (const [nb, sizes] of CASES)
        for (const n of nb === 8 ? [1, 9, 16, 17, 33, 50] : sizes)
          for (const k of [1, 3, 5, 20])
            for (const o of VARIANTS) {
              const batch = 2;
              const a = triangular(Arr, batch, n, o);
              const b = Arr.from(uniform(batch * n * k));
              const mine = b.slice();
              const ref = b.slice();
              blockedTrsm(a, mine, batch, n, k, o);
              referenceTrsm(a, ref, batch, n, k, o);
              expect(relDiff(mine, ref), `n=${n} k=${k} ${label(o)}`).toBeLessThan(tol(n));
            }
    });

    it(`getrf: factors and pivots, square and rectangular (${name(Arr)})`, () => {
      const shapes: [number, number][] = [];
      for (const [, sizes] of CASES) for (const n of sizes) shapes.push([n, n]);
      shapes.push([50, 23], [23, 50], [BLOCK + 30, BLOCK - 5], [BLOCK - 5, 2 * BLOCK + 1]);
      for (const nb of [8, BLOCK, blockFor(1024)])
        for (const [m, n] of shapes) {
          const batch = Math.max(m, n) <= 17 ? 3 : 2;
          const r = Math.min(m, n);
          const a = Arr.from(uniform(batch * m * n));
          const mine = a.slice();
          const ref = a.slice();
          const pm = new Int32Array(batch * r);
          const pr = new Int32Array(batch * r);
          blockedGetrf(mine, batch, m, n, pm, nb);
          referenceGetrf(ref, batch, m, n, pr);
          expect(Array.from(pm), `nb=${nb} ${m}×${n}`).toEqual(Array.from(pr));
          expect(relDiff(mine, ref), `nb=${nb} ${m}×${n}`).toBeLessThan(4 * tol(Math.max(m, n)));
        }
    });

    it(`getrf with zero pivots goes on (${name(Arr)})`, () => {
      for (const nb of [8, BLOCK]) {
        const n = nb + 7;
        const a = Arr.from(uniform(n * n));
        // A zero column (an exactly zero pivot there) and a repeated row (a zero pivot at the end).
        for (let i = 0; i < n; i++) a[i * n + 3] = 0;
        for (let c = 0; c < n; c++) a[(n - 1) * n + c] = a[c]!;
        const mine = a.slice();
        const ref = a.slice();
        const pm = new Int32Array(n);
        const pr = new Int32Array(n);
        blockedGetrf(mine, 1, n, n, pm, nb);
        referenceGetrf(ref, 1, n, n, pr);
        expect(Array.from(pm), `nb=${nb}`).toEqual(Array.from(pr));
        expect(mine[3 * n + 3]).toBe(0);
        for (let i = 4; i < n; i++) expect(mine[i * n + 3], `row ${i}`).toBe(0);
        expect(relDiff(mine.subarray(0, (n - 1) * n), ref.subarray(0, (n - 1) * n))).toBeLessThan(
          tol(n) * 10,
        );
      }
    });
  }
});

/** A concrete input for the kernels. */
const tensor = (data: FloatArray, shape: number[]): ConcreteTensor =>
  new ConcreteTensor(data, {
    shape,
    dtype: data instanceof Float64Array ? "float64" : "float32",
    weak: false,
  });
const avalOf = (t: ConcreteTensor): Aval => t.aval;

describe.skipIf(!wasmMatmulReady())("the fast backend without the addon", () => {
  beforeAll(() => replaceNativeAddon(null));
  afterAll(() => replaceNativeAddon(undefined));

  it("runs without the native kernels", () => {
    expect(nativeLinalg()).toBeNull();
  });

  for (const Arr of TYPES) {
    const tol = (n: number): number => 8 * n * eps(Arr);
    const dtype = Arr === Float64Array ? "float64" : "float32";

    it(`cholesky: batched, the upper triangle zero, a member not positive definite NaN (${name(Arr)})`, () => {
      for (const n of [95, 96, 130]) {
        const batch = 3;
        const a = spd(Arr, batch, n, 7);
        // Member 1 is not positive definite.
        a[n * n + 40 * n + 40] = -5;
        const x = tensor(a, [batch, n, n]);
        const got = cholesky([x], {}, avalOf(x)) as FloatArray;
        const want = choleskyData(a, [batch, n, n], dtype);
        expect(relDiff(got, want), `n=${n}`).toBeLessThan(tol(n));
        expect(got.subarray(n * n, 2 * n * n).every(Number.isNaN), `n=${n}`).toBe(true);
        let upper = 0;
        for (const b of [0, 2])
          for (let i = 0; i < n; i++)
            for (let j = i + 1; j < n; j++) if (got[b * n * n + i * n + j] !== 0) upper++;
        expect(upper, `n=${n}`).toBe(0);
      }
    });

    it(`triangular_solve, every variant (${name(Arr)})`, () => {
      for (const n of [63, 64, 100])
        for (const o of VARIANTS) {
          const k = n === 100 ? 1 : 30;
          const batch = 2;
          const a = triangular(Arr, batch, n, o);
          const bShape = o.leftSide ? [batch, n, k] : [batch, k, n];
          const b = Arr.from(uniform(batch * n * k));
          const x = tensor(a, [batch, n, n]);
          const y = tensor(b, bShape);
          const got = triangularSolve([x, y], o, avalOf(y)) as FloatArray;
          const want = triangularSolveData(a, [batch, n, n], b, bShape, o, dtype);
          expect(relDiff(got, want), `n=${n} ${label(o)}`).toBeLessThan(tol(n));
        }
    });

    it(`lu: factors, pivots and permutation (${name(Arr)})`, () => {
      for (const [m, n] of [
        [96, 96],
        [150, 150],
        [200, 120],
        [120, 200],
        [520, 520],
      ] as const) {
        const batch = m * n > 1e5 ? 1 : 2;
        const a = Arr.from(uniform(batch * m * n));
        const x = tensor(a, [batch, m, n]);
        const [f, piv, perm] = lu([x], {}, []);
        const [wf, wpiv, wperm] = luData(a, [batch, m, n], dtype);
        expect(Array.from(piv!), `${m}×${n}`).toEqual(Array.from(wpiv));
        expect(Array.from(perm!), `${m}×${n}`).toEqual(Array.from(wperm));
        expect(relDiff(f!, wf), `${m}×${n}`).toBeLessThan(4 * tol(Math.max(m, n)));
      }
    });
  }
});
