// The fast backend's Cholesky, triangular solve and LU: the native addon's blocked, threaded kernels when
// it is loaded (in Node), else the reference kernels (plain loops, float64 accumulation). The native
// kernels compute in the storage dtype (float32 stays float32, as LAPACK's s-routines do) and give the
// reference's results to rounding; what they leave differs only in the triangle the reference zeroes and
// in a failing member, which both fill the same way here.
import type { TypedArray } from "../../core/dtype.js";
import { sizeOf } from "../../core/shape.js";
import type { Kernel, MultiKernelTable } from "../backend.js";
import { type FloatArray, nativeLinalg } from "../native/linalg.js";
import { referenceBackend } from "../reference/index.js";

/** Matrices smaller than this stay on the reference loops (a call into the addon costs more). */
const NATIVE_MIN = 16;

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
  const native = nativeLinalg();
  if (native === null || n < NATIVE_MIN || !isFloatArray(a.data)) return ref.cholesky(inputs, params, out);
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
  const native = nativeLinalg();
  if (native === null || n < NATIVE_MIN || !isFloatArray(a!.data) || !isFloatArray(b!.data))
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
  const native = nativeLinalg();
  if (native === null || Math.min(m, n) < NATIVE_MIN || !isFloatArray(a.data))
    return refMulti.lu(inputs, params, outs);
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
