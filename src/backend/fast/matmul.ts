// Matrix products for the fast backend: dot_general reduced to a batched [B,M,K]·[B,K,N] product, run by
// the native addon when it is loaded (Node), else by the WebAssembly SIMD kernel when it is available and
// the product is large, else by a register-blocked JS kernel. The JS kernel sums each output over k in
// order, in float64, exactly like the reference.
import { allocate, type TypedArray } from "../../core/dtype.js";
import type { PrimParams } from "../../core/primitives.js";
import { sizeOf, stridesOf } from "../../core/shape.js";
import type { Aval } from "../../core/tensor.js";
import { engineEnabled } from "../engines.js";
import { NATIVE_MIN_WORK, nativeMatmul, nativeMatmulReady } from "../native/matmul.js";
import { outputArray } from "../native/memory.js";
import { threadedMatmul } from "../threads/matmul.js";
import { wasmMatmul } from "../wasm/matmul.js";
import { canGenerateCode, compileFused } from "./codegen.js";

/** C[b] = A[b]·B[b] for row-major [M,K] and [K,N] blocks; C is filled (not accumulated). */
export function matmulJs(
  a: TypedArray,
  b: TypedArray,
  c: TypedArray,
  B: number,
  M: number,
  K: number,
  N: number,
): void {
  for (let bi = 0; bi < B; bi++) {
    const ao = bi * M * K;
    const bo = bi * K * N;
    const co = bi * M * N;
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      const a0 = ao + i * K;
      const a1 = a0 + K;
      const a2 = a1 + K;
      const a3 = a2 + K;
      let j = 0;
      for (; j + 4 <= N; j += 4) {
        let c00 = 0,
          c01 = 0,
          c02 = 0,
          c03 = 0,
          c10 = 0,
          c11 = 0,
          c12 = 0,
          c13 = 0;
        let c20 = 0,
          c21 = 0,
          c22 = 0,
          c23 = 0,
          c30 = 0,
          c31 = 0,
          c32 = 0,
          c33 = 0;
        for (let k = 0, bk = bo + j; k < K; k++, bk += N) {
          const b0 = b[bk]!,
            b1 = b[bk + 1]!,
            b2 = b[bk + 2]!,
            b3 = b[bk + 3]!;
          const x0 = a[a0 + k]!,
            x1 = a[a1 + k]!,
            x2 = a[a2 + k]!,
            x3 = a[a3 + k]!;
          c00 += x0 * b0;
          c01 += x0 * b1;
          c02 += x0 * b2;
          c03 += x0 * b3;
          c10 += x1 * b0;
          c11 += x1 * b1;
          c12 += x1 * b2;
          c13 += x1 * b3;
          c20 += x2 * b0;
          c21 += x2 * b1;
          c22 += x2 * b2;
          c23 += x2 * b3;
          c30 += x3 * b0;
          c31 += x3 * b1;
          c32 += x3 * b2;
          c33 += x3 * b3;
        }
        const r = co + i * N + j;
        c[r] = c00;
        c[r + 1] = c01;
        c[r + 2] = c02;
        c[r + 3] = c03;
        c[r + N] = c10;
        c[r + N + 1] = c11;
        c[r + N + 2] = c12;
        c[r + N + 3] = c13;
        c[r + 2 * N] = c20;
        c[r + 2 * N + 1] = c21;
        c[r + 2 * N + 2] = c22;
        c[r + 2 * N + 3] = c23;
        c[r + 3 * N] = c30;
        c[r + 3 * N + 1] = c31;
        c[r + 3 * N + 2] = c32;
        c[r + 3 * N + 3] = c33;
      }
      for (; j < N; j++) {
        let c0 = 0,
          c1 = 0,
          c2 = 0,
          c3 = 0;
        for (let k = 0, bk = bo + j; k < K; k++, bk += N) {
          const bv = b[bk]!;
          c0 += a[a0 + k]! * bv;
          c1 += a[a1 + k]! * bv;
          c2 += a[a2 + k]! * bv;
          c3 += a[a3 + k]! * bv;
        }
        const r = co + i * N + j;
        c[r] = c0;
        c[r + N] = c1;
        c[r + 2 * N] = c2;
        c[r + 3 * N] = c3;
      }
    }
    if (i < M) {
      // Remaining rows: one row at a time, accumulated in float64 across the row.
      const row = new Float64Array(N);
      for (; i < M; i++) {
        row.fill(0);
        const ai = ao + i * K;
        for (let k = 0; k < K; k++) {
          const av = a[ai + k]!;
          const bk = bo + k * N;
          for (let j = 0; j < N; j++) row[j]! += av * b[bk + j]!;
        }
        c.set(row, co + i * N);
      }
    }
  }
}

/** How dot_general maps onto a batched product: the operand permutations and the sizes. */
export interface DotPlan {
  permA: number[];
  permB: number[];
  B: number;
  M: number;
  K: number;
  N: number;
}

export function dotPlan(xs: readonly number[], ys: readonly number[], p: PrimParams["dot_general"]): DotPlan {
  const { lhsContract, rhsContract, lhsBatch, rhsBatch } = p;
  const lhsFree = xs.map((_, i) => i).filter((i) => !lhsContract.includes(i) && !lhsBatch.includes(i));
  const rhsFree = ys.map((_, i) => i).filter((i) => !rhsContract.includes(i) && !rhsBatch.includes(i));
  return {
    permA: [...lhsBatch, ...lhsFree, ...lhsContract],
    permB: [...rhsBatch, ...rhsContract, ...rhsFree],
    B: sizeOf(lhsBatch.map((i) => xs[i]!)),
    M: sizeOf(lhsFree.map((i) => xs[i]!)),
    K: sizeOf(lhsContract.map((i) => xs[i]!)),
    N: sizeOf(rhsFree.map((i) => ys[i]!)),
  };
}

/** Whether permuting the dims of `shape` by `perm` leaves its elements in place (only dims of size 1 move). */
const keepsOrder = (p: readonly number[], shape: readonly number[]) => {
  let prev = -1;
  for (const d of p) {
    if (shape[d] === 1) continue;
    if (d < prev) return false;
    prev = d;
  }
  return true;
};

/**
 * Whether an operand whose dims are permuted by `perm` into [batch…, g1…, g2…] (g1 the first `g1Rank` dims
 * after the batch) is stored as [batch…, g2…, g1…], each group in order: a (batched) matrix stored
 * transposed, which the kernels read in place. The storage must split exactly at the group boundary: a
 * rotation of the dims at any other point is a different layout (e.g. contracting axes [2, 0] of [2,3,n]).
 */
function isBatchedMatrixTranspose(perm: readonly number[], nBatch: number, g1Rank: number): boolean {
  for (let i = 0; i < nBatch; i++) if (perm[i] !== i) return false;
  const n = perm.length;
  const g2Rank = n - nBatch - g1Rank;
  if (g1Rank === 0 || g2Rank === 0) return false;
  // Stored order: g2 occupies dims nBatch … nBatch+g2Rank-1, g1 the dims after it.
  for (let i = 0; i < g1Rank; i++) if (perm[nBatch + i] !== nBatch + g2Rank + i) return false;
  for (let i = 0; i < g2Rank; i++) if (perm[nBatch + g1Rank + i] !== nBatch + i) return false;
  return true;
}

/** Copies `x` with its dims permuted (through a fused copy kernel, or a plain loop without codegen). */
function permuted(
  x: TypedArray,
  shape: readonly number[],
  perm: readonly number[],
  dtype: Aval["dtype"],
): TypedArray {
  const st = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  if (!canGenerateCode()) {
    const r = allocate(dtype, x.length);
    const nd = outShape.length;
    const pst = perm.map((p) => st[p]!);
    const idx = new Array<number>(nd).fill(0);
    let off = 0;
    for (let o = 0; o < r.length; o++) {
      r[o] = x[off]!;
      for (let d = nd - 1; d >= 0; d--) {
        idx[d]!++;
        off += pst[d]!;
        if (idx[d]! < outShape[d]!) break;
        off -= pst[d]! * outShape[d]!;
        idx[d] = 0;
      }
    }
    return r;
  }
  const k = compileFused({
    shape: outShape,
    inputs: [{ dtype, offset: 0, strides: perm.map((p) => st[p]!) }],
    nodes: [],
    outputs: [{ value: { input: 0 }, dtype, size: x.length }],
  });
  return k([x])[0]!;
}

/** Smallest product (M·K·N per batch) worth the copies into WebAssembly memory. */
const WASM_MIN_WORK = 24 * 24 * 24;

/** Runs dot_general on data `x`, `y` with the given avals. */
export function dotGeneralData(
  x: TypedArray,
  xs: readonly number[],
  y: TypedArray,
  ys: readonly number[],
  params: PrimParams["dot_general"],
  out: Aval,
): TypedArray {
  const plan = dotPlan(xs, ys, params);
  const { B, M, K, N } = plan;
  const dtype = out.dtype;
  const nb = params.lhsBatch.length;
  const float = dtype === "float32" || dtype === "float64";
  const work = M * K * N;
  // The native addon (Node, when it was built at install) pays off from much smaller products than wasm.
  const native = float && work >= NATIVE_MIN_WORK && engineEnabled("native") && nativeMatmulReady();
  // The native product writes all of c (zeros when K = 0), so its memory may come unzeroed from the pool;
  // the other kernels accumulate into zeros.
  const c = native ? outputArray(dtype, B * M * N) : allocate(dtype, B * M * N);
  if (c.length === 0) return c;
  if (native || (float && work >= WASM_MIN_WORK)) {
    // The native and wasm kernels read either operand in place or transposed: only other layouts are copied.
    const nFree = plan.permA.length - nb - params.lhsContract.length;
    const tA = !keepsOrder(plan.permA, xs) && isBatchedMatrixTranspose(plan.permA, nb, nFree);
    const tB =
      !keepsOrder(plan.permB, ys) && isBatchedMatrixTranspose(plan.permB, nb, params.rhsContract.length);
    const a = keepsOrder(plan.permA, xs) || tA ? x : permuted(x, xs, plan.permA, dtype);
    const b = keepsOrder(plan.permB, ys) || tB ? y : permuted(y, ys, plan.permB, dtype);
    if (native) {
      if (nativeMatmul(a, tA, b, tB, c, B, M, K, N)) return c;
      c.fill(0);
    }
    // Large products run on several threads when a pool is available (bit-identical results).
    const wasm = work >= WASM_MIN_WORK && engineEnabled("wasm");
    if (wasm && engineEnabled("threads") && threadedMatmul(a, tA, b, tB, c, B, M, K, N)) return c;
    if (wasm && wasmMatmul(a, tA, b, tB, c, B, M, K, N)) return c;
  }
  const a = keepsOrder(plan.permA, xs) ? x : permuted(x, xs, plan.permA, dtype);
  const b = keepsOrder(plan.permB, ys) ? y : permuted(y, ys, plan.permB, dtype);
  matmulJs(a, b, c, B, M, K, N);
  return c;
}
