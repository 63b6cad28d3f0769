// The native thread pool (native/src/pool.cc): parts are claimed by whichever thread is free, so the same job
// may be shared out differently from call to call. Results must not depend on that: matrix products, fused
// loops (rows, columns, reductions) and the factorizations give the same bits on one thread, on two, and on
// more threads than there are cores, over many jobs in a row. Skipped when the addon is not built.
import { describe, expect, it } from "vitest";
import type { FusedSpec } from "../../src/backend/fusion.js";
import { compileNativeFused } from "../../src/backend/native/fused.js";
import { nativeLinalg } from "../../src/backend/native/linalg.js";
import { nativeAddon } from "../../src/backend/native/load.js";
import type { TypedArray } from "../../src/core/dtype.js";
import { makeRng } from "../../src/numeric/rng.js";

const addon = nativeAddon();
const rng = makeRng(4242);
const uniform = (n: number) => Float64Array.from({ length: n }, () => rng.uniform() * 2 - 1);
const THREADS = [2, 3, 8];

/** Whether two arrays hold the same bits (NaNs alike). */
function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Runs `f(threads)` with NABLA_THREADS set, for the factorizations, which read it on every call. */
function withThreads<R>(threads: number, f: () => R): R {
  const saved = process.env.NABLA_THREADS;
  process.env.NABLA_THREADS = String(threads);
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env.NABLA_THREADS;
    else process.env.NABLA_THREADS = saved;
  }
}

describe.skipIf(addon === null)("native thread pool: results do not depend on who runs which part", () => {
  it("matrix products: one thread and several alike, job after job", () => {
    // [batch, M, K, N]: split by rows, by columns, by whole products, and a matrix-vector product.
    const shapes = [
      [1, 400, 300, 64],
      [1, 64, 300, 700],
      [6, 50, 70, 90],
      [1, 900, 500, 1],
    ];
    for (const Arr of [Float32Array, Float64Array]) {
      for (const [B, M, K, N] of shapes) {
        const a = Arr.from(uniform(B! * M! * K!));
        const b = Arr.from(uniform(B! * K! * N!));
        const one = new Arr(B! * M! * N!);
        expect(addon!.matmul(a, false, b, false, one, B!, M!, K!, N!, 1)).toBe(true);
        for (let round = 0; round < 20; round++) {
          const threads = THREADS[round % THREADS.length]!;
          const c = new Arr(B! * M! * N!);
          addon!.matmul(a, false, b, false, c, B!, M!, K!, N!, threads);
          expect(same(c, one), `${Arr.name} [${B}, ${M}, ${K}, ${N}] on ${threads} threads`).toBe(true);
        }
      }
    }
  });

  it("fused loops in many parts: rows, columns and reductions alike on any number of threads", () => {
    // Row sums split rows; column sums split columns; a single long row is not split.
    const cases: { shape: number[]; strides: number[]; size: number }[] = [
      { shape: [700, 1500], strides: [1, 0], size: 700 },
      { shape: [40, 30000], strides: [0, 1], size: 30000 },
      { shape: [1, 400000], strides: [1, 0], size: 1 },
    ];
    for (const { shape, strides, size } of cases) {
      const n = shape[0]! * shape[1]!;
      const x = Float32Array.from(uniform(n).map((v) => 4 * v));
      const spec: FusedSpec = {
        shape,
        inputs: [{ dtype: "float32", offset: 0, strides: [shape[1]!, 1] }],
        nodes: [
          { prim: "tanh", args: [{ input: 0 }], dtype: "float32" },
          { prim: "mul", args: [{ node: 0 }, { input: 0 }], dtype: "float32" },
        ],
        outputs: [
          { value: { node: 1 }, dtype: "float32", size: n },
          { value: { node: 0 }, dtype: "float32", reduce: "sum", strides, size },
        ],
      };
      const run = (threads: number): TypedArray[] => {
        const k = compileNativeFused(
          spec,
          () => {
            throw new Error("the native kernel refused its arrays");
          },
          { threads, minElements: 0 },
        );
        expect(k, "runs natively").not.toBeNull();
        return k!([x]);
      };
      const one = run(1);
      for (let round = 0; round < 12; round++) {
        const threads = THREADS[round % THREADS.length]!;
        run(threads).forEach((got, j) =>
          expect(same(got, one[j]!), `[${shape}] output ${j} on ${threads} threads`).toBe(true),
        );
      }
    }
  });

  it("factorizations: batches and many right-hand sides alike on any number of threads", () => {
    const L = nativeLinalg();
    if (L === null) return;
    const n = 96;
    const batch = 12;
    const spd = new Float64Array(batch * n * n);
    for (let b = 0; b < batch; b++) {
      const m = uniform(n * n);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let s = i === j ? n : 0;
          for (let p = 0; p < n; p++) s += m[i * n + p]! * m[j * n + p]!;
          spd[b * n * n + i * n + j] = s / n;
        }
    }
    const k = 900;
    const rhs = uniform(n * k);
    const opts = { leftSide: true, lower: true, transposeA: false, unitDiagonal: false };
    const factor = (threads: number) =>
      withThreads(threads, () => {
        const a = spd.slice();
        expect(Array.from(L.potrf(a, batch, n))).toEqual(new Array(batch).fill(0));
        const x = rhs.slice();
        L.trsm(a.subarray(0, n * n), x, 1, n, k, opts);
        return [a, x];
      });
    const [a1, x1] = factor(1);
    for (const threads of THREADS) {
      const [a, x] = factor(threads);
      expect(same(a!, a1!), `potrf on ${threads} threads`).toBe(true);
      expect(same(x!, x1!), `trsm on ${threads} threads`).toBe(true);
    }
  });
});
