// The fast backend's Cholesky, triangular solve and LU: the native addon's blocked, threaded kernels when
// it is loaded (in Node); else, for large matrices, the blocked kernels of ./linalg-blocked.ts, whose
// updates are dot_general's WebAssembly SIMD matrix products; else the reference kernels (plain loops,
// float64 accumulation). The native and blocked kernels compute in the storage dtype (float32 stays
// float32, as LAPACK's s-routines do) and give the reference's results to rounding; what they leave differs
// only in the triangle the reference zeroes and in a failing member, which are filled the same way here.
import type { TypedArray } from "../../core/dtype.js";
import { sizeOf } from "../../core/shape.js";
import type { Kernel, MultiKernelTable } from "../backend.js";
import { engineEnabled } from "../engines.js";
import { type FloatArray, type NativeLinalg, nativeLinalg } from "../native/linalg.js";
import { referenceBackend } from "../reference/index.js";
import { wasmMatmulReady } from "../wasm/matmul.js";
import { blockedGetrf, blockedPotrf, blockedTrsm } from "./linalg-blocked.js";

/** Matrices smaller than this stay on the reference loops (a call into the addon costs more). */
const NATIVE_MIN = 16;

/**
 * Without the addon, the orders from which the blocked kernels beat the reference loops (measured on
 * float32 and float64 with the WebAssembly matrix product on two cores: Cholesky and LU break even near
 * n = 64 and gain from 96 on, 1.5–2.4× at 128 and 2.7–7× at 256; triangular solves gain from n = 64 on,
 * about 1.7× there whether one right-hand side or n).
 */
const BLOCKED_MIN = { cholesky: 96, triangularSolve: 64, lu: 96 };

/** The kernels in place on float data of order `n`: the addon's, the blocked ones, or null (reference). */
function kernelsFor(op: keyof typeof BLOCKED_MIN, n: number, ...data: TypedArray[]): Factorizations | null {
  if (!data.every((d) => isFloatArray(d) && d.constructor === data[0]!.constructor)) return null;
  const native = nativeLinalg();
  if (native !== null) return n < NATIVE_MIN ? null : native;
  return n >= BLOCKED_MIN[op] && engineEnabled("wasm") && wasmMatmulReady() ? blocked : null;
}

/** The three in-place kernels the blocked WebAssembly versions also provide. */
type Factorizations = Pick<NativeLinalg, "potrf" | "trsm" | "getrf">;

const blocked: Factorizations = {
  potrf: (a, batch, n) => blockedPotrf(a, batch, n),
  trsm: (a, b, batch, n, k, opts) => blockedTrsm(a, b, batch, n, k, opts),
  getrf: (a, batch, m, n, pivots) => {
    blockedGetrf(a, batch, m, n, pivots);
    return new Int32Array(batch);
  },
};

const ref = referenceBackend.kernels;
const refMulti = referenceBackend.multiKernels;

const isFloatArray = (d: TypedArray): d is FloatArray =>
  d instanceof Float64Array || d instanceof Float32Array;

/** A copy of float data in its own dtype, which the in-place native kernels may overwrite. */
const copyOf = (d: FloatArray): FloatArray => (d instanceof Float64Array ? d.slice() : d.slice());

export const cholesky: Kernel<"cholesky"> = (inputs, params, out) => {
  const a = inputs[0]!;
  const shape = a.aval.shape;
  const n = shape[shape.length - 1]!;
  const native = kernelsFor("cholesky", n, a.data);
  if (native === null || !isFloatArray(a.data)) return ref.cholesky(inputs, params, out);
  const batch = sizeOf(shape.slice(0, -2));
  const l = copyOf(a.data);
  const status = native.potrf(l, batch, n);
  for (let b = 0; b < batch; b++) {
    const o = b * n * n;
    // Not positive definite: the whole member is NaN, as the reference (and JAX) give it.
    if (status[b] !== 0) l.fill(Number.NaN, o, o + n * n);
    else for (let i = 0; i < n; i++) l.fill(0, o + i * n + i + 1, o + (i + 1) * n);
  }
  return l;
};

export const triangularSolve: Kernel<"triangular_solve"> = (inputs, params, out) => {
  const [a, b] = inputs;
  const n = a!.aval.shape[a!.aval.shape.length - 1]!;
  const bShape = b!.aval.shape;
  const native = kernelsFor("triangularSolve", n, a!.data, b!.data);
  if (native === null || !isFloatArray(a!.data) || !isFloatArray(b!.data))
    return ref.triangular_solve(inputs, params, out);
  const r = bShape.length;
  const k = params.leftSide ? bShape[r - 1]! : bShape[r - 2]!;
  const x = copyOf(b!.data);
  native.trsm(a!.data, x, sizeOf(bShape.slice(0, -2)), n, k, params);
  return x;
};

export const lu: MultiKernelTable["lu"] = (inputs, params, outs) => {
  const a = inputs[0]!;
  const shape = a.aval.shape;
  const m = shape[shape.length - 2]!;
  const n = shape[shape.length - 1]!;
  const native = kernelsFor("lu", Math.min(m, n), a.data);
  if (native === null || !isFloatArray(a.data)) return refMulti.lu(inputs, params, outs);
  const batch = sizeOf(shape.slice(0, -2));
  const k = Math.min(m, n);
  const w = copyOf(a.data);
  const pivots = new Int32Array(batch * k);
  native.getrf(w, batch, m, n, pivots);
  // The permutation the row swaps make: a[perm] = L U.
  const perm = new Int32Array(batch * m);
  for (let b = 0; b < batch; b++) {
    const o = b * m;
    for (let i = 0; i < m; i++) perm[o + i] = i;
    for (let j = 0; j < k; j++) {
      const p = pivots[b * k + j]!;
      const t = perm[o + j]!;
      perm[o + j] = perm[o + p]!;
      perm[o + p] = t;
    }
  }
  return [w, pivots, perm];
};

/** eigh through the addon's symmetric eigensolver (tridiagonalization, implicit QL), else the reference. */
export const eigh: MultiKernelTable["eigh"] = (inputs, params, outs) => {
  const a = inputs[0]!;
  const shape = a.aval.shape;
  const n = shape[shape.length - 1]!;
  const native = nativeLinalg();
  if (native === null || n < NATIVE_MIN || !isFloatArray(a.data)) return refMulti.eigh(inputs, params, outs);
  const batch = sizeOf(shape.slice(0, -2));
  const Arr = a.data instanceof Float64Array ? Float64Array : Float32Array;
  const w = new Arr(batch * n);
  const v = new Arr(batch * n * n);
  // a is only read: no copy.
  native.syev(a.data, batch, n, params.lower, w, v);
  return [v, w];
};
