// The fast CPU backend: elementwise operations, reductions and data movement run as generated loops
// (codegen.ts, the same fused kernels jit compiles programs to), matrix products through WebAssembly SIMD
// (matmul.ts), and the rest through the reference kernels. It computes what the reference backend
// computes: bit for bit, except float32 matrix products, which accumulate in float32 as BLAS does.

import { allocate, type DType, type TypedArray } from "../../core/dtype.js";
import type { Prim, PrimParams } from "../../core/primitives.js";
import { type Shape, sizeOf, stridesOf } from "../../core/shape.js";
import type { Aval, ConcreteTensor } from "../../core/tensor.js";
import type { Backend, Kernel, KernelOf, KernelTable } from "../backend.js";
import { onEnginesChange } from "../engines.js";
import {
  type ElementwisePrim,
  type FusedKernel,
  type FusedSpec,
  fusible,
  isElementwise,
  type ReduceKind,
  scalarFn,
} from "../fusion.js";
import { referenceBackend } from "../reference/index.js";
import { canGenerateCode, compileFused } from "./codegen.js";
import { conv } from "./conv.js";
import { cholesky, eigh, lu, triangularSolve } from "./linalg.js";
import { dotGeneralData } from "./matmul.js";

/** Strides of `inShape` read at the positions of `outShape` (right-aligned; 0 where broadcast). */
export function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const st = stridesOf(inShape);
  const off = outShape.length - inShape.length;
  return outShape.map((_, i) => (i < off || inShape[i - off] === 1 ? 0 : st[i - off]!));
}

/** Single-operation specs, compiled once per structure and shape. */
const specCache = new Map<string, FusedKernel>();
onEnginesChange(() => specCache.clear());

function cached(key: string, make: () => FusedSpec): FusedKernel {
  let k = specCache.get(key);
  if (k === undefined) {
    if (specCache.size > 4000) specCache.clear();
    k = compileFused(make());
    specCache.set(key, k);
  }
  return k;
}

const ref = referenceBackend.kernels;

function elementwise(prim: ElementwisePrim): Kernel<ElementwisePrim> {
  const scalar: Partial<Record<DType, ReturnType<typeof scalarFn>>> = {};
  return (inputs, params, out) => {
    if (!fusible(prim, out.dtype)) return (ref[prim] as Kernel<ElementwisePrim>)(inputs, params, out);
    const n = sizeOf(out.shape);
    if (n === 1) {
      // Scalars (and one-element arrays): no loop at all.
      const r = allocate(out.dtype, 1);
      const f = (scalar[out.dtype] ??= scalarFn(prim, out.dtype));
      r[0] =
        inputs.length === 1
          ? f(inputs[0]!.data[0]!, 0, 0)
          : f(inputs[0]!.data[0]!, inputs[1]!.data[0]!, inputs.length > 2 ? inputs[2]!.data[0]! : 0);
      return r;
    }
    if (!canGenerateCode()) return (ref[prim] as Kernel<ElementwisePrim>)(inputs, params, out);
    let key = `${prim}|${out.dtype}|${out.shape.join(",")}`;
    for (const x of inputs) key += `|${x.aval.dtype}:${x.aval.shape.join(",")}`;
    const k = cached(key, () => ({
      shape: out.shape,
      inputs: inputs.map((x) => ({
        dtype: x.aval.dtype,
        offset: 0,
        strides: broadcastStrides(x.aval.shape, out.shape),
      })),
      nodes: [{ prim, args: inputs.map((_, i) => ({ input: i })), dtype: out.dtype }],
      outputs: [{ value: { node: 0 }, dtype: out.dtype, size: n }],
    }));
    return k(inputs.map((x) => x.data))[0]!;
  };
}

function reduction(kind: ReduceKind): KernelOf<{ axes: number[] }> {
  const fallback = ref[`reduce_${kind}`] as KernelOf<{ axes: number[] }>;
  return ([x], params, out) => {
    if (!canGenerateCode()) return fallback([x!], params, out);
    const { axes } = params;
    const shape = x!.aval.shape;
    const key = `r${kind}|${x!.aval.dtype}|${shape.join(",")}|${axes.join(",")}`;
    const k = cached(key, () => {
      const keep = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      return {
        shape,
        inputs: [{ dtype: x!.aval.dtype, offset: 0, strides: stridesOf(shape) }],
        nodes: [],
        outputs: [
          {
            value: { input: 0 },
            dtype: out.dtype,
            reduce: kind,
            strides: broadcastStrides(keep, shape),
            size: sizeOf(out.shape),
          },
        ],
      };
    });
    return k([x!.data])[0]!;
  };
}

/** A strided copy of `x` (broadcast, transpose, slice, rev, pad) as a single-input fused kernel. */
function copyKernel(
  key: string,
  x: ConcreteTensor,
  out: Aval,
  read: () => { offset: number; strides: number[]; bounds?: { lo: number[]; hi: number[] } },
): TypedArray {
  const k = cached(`c${key}|${x.aval.dtype}|${x.aval.shape.join(",")}`, () => ({
    shape: out.shape,
    inputs: [{ dtype: x.aval.dtype, ...read() }],
    nodes: [],
    outputs: [{ value: { input: 0 }, dtype: out.dtype, size: sizeOf(out.shape) }],
  }));
  return k([x.data])[0]!;
}

const elementwiseKernels = Object.fromEntries(
  Object.keys(ref)
    .filter((p) => isElementwise(p as Prim))
    .map((p) => [p, elementwise(p as ElementwisePrim)]),
) as { [P in ElementwisePrim]: Kernel<P> };

/** Movement kernels through generated copies, or the reference's where code cannot be generated. */
const movement = <P extends "broadcast_in_dim" | "transpose" | "slice" | "rev" | "pad">(
  prim: P,
  k: Kernel<P>,
): Kernel<P> => {
  const fallback = ref[prim] as Kernel<P>;
  return (inputs, params, out) =>
    canGenerateCode() ? k(inputs, params, out) : fallback(inputs, params, out);
};

const kernels: KernelTable = {
  ...ref,
  ...elementwiseKernels,
  reduce_sum: reduction("sum"),
  reduce_max: reduction("max"),
  reduce_min: reduction("min"),
  reduce_prod: reduction("prod"),
  dot_general: ([x, y], params, out) =>
    dotGeneralData(x!.data, x!.aval.shape, y!.data, y!.aval.shape, params, out),
  broadcast_in_dim: movement("broadcast_in_dim", ([x], { shape, broadcastDims }, out) =>
    copyKernel(`b${shape.join(",")}|${broadcastDims.join(",")}`, x!, out, () => {
      const st = stridesOf(x!.aval.shape);
      const strides = out.shape.map(() => 0);
      broadcastDims.forEach((d, i) => {
        if (x!.aval.shape[i] !== 1) strides[d] = st[i]!;
      });
      return { offset: 0, strides };
    }),
  ),
  transpose: movement("transpose", ([x], { perm }, out) =>
    copyKernel(`t${perm.join(",")}`, x!, out, () => {
      const st = stridesOf(x!.aval.shape);
      return { offset: 0, strides: perm.map((p) => st[p]!) };
    }),
  ),
  slice: movement("slice", ([x], { start, limit }, out) =>
    copyKernel(`s${start.join(",")}|${limit.join(",")}`, x!, out, () => {
      const st = stridesOf(x!.aval.shape);
      return { offset: start.reduce((acc, s, i) => acc + s * st[i]!, 0), strides: st };
    }),
  ),
  rev: movement("rev", ([x], { axes }, out) =>
    copyKernel(`v${axes.join(",")}`, x!, out, () => {
      const shape = x!.aval.shape;
      const st = stridesOf(shape);
      return {
        offset: axes.reduce((acc, a) => acc + (shape[a]! - 1) * st[a]!, 0),
        strides: st.map((s, i) => (axes.includes(i) ? -s : s)),
      };
    }),
  ),
  pad: movement("pad", ([x], { lo, hi }, out) =>
    copyKernel(`p${lo.join(",")}|${hi.join(",")}`, x!, out, () => padRead(x!.aval.shape, lo)),
  ),
};

/**
 * A take along one axis through a loop generated per element type (each then reads and writes one kind of
 * array, which the engine compiles to direct loads; the reference's one loop for every type is several
 * times slower). An index out of range leaves it to the reference, which reports it.
 */
type GatherLoop = (
  a: TypedArray,
  r: TypedArray,
  ix: TypedArray,
  outer: number,
  n: number,
  inner: number,
) => number;
const gatherLoops = new Map<string, GatherLoop>();
const gather: Kernel<"gather"> = (inputs, params, out) => {
  const [x, idx] = inputs;
  if (!canGenerateCode()) return ref.gather(inputs, params, out);
  const shape = x!.aval.shape;
  const key = `${x!.aval.dtype}|${idx!.aval.dtype}`;
  let loop = gatherLoops.get(key);
  if (loop === undefined) {
    loop = new Function(
      "a",
      "r",
      "ix",
      "outer",
      "n",
      "inner",
      `"use strict";
      const m = ix.length;
      for (let j = 0; j < m; j++) { const v = ix[j]; if (!(v >= -n && v < n)) return j; }
      let p = 0;
      for (let o = 0; o < outer; o++) {
        const base = o * n;
        if (inner === 1) {
          for (let j = 0; j < m; j++) { const v = ix[j]; r[p++] = a[base + (v < 0 ? v + n : v)]; }
        } else {
          for (let j = 0; j < m; j++) {
            const v = ix[j];
            const src = (base + (v < 0 ? v + n : v)) * inner;
            if (inner >= 64) { r.set(a.subarray(src, src + inner), p); p += inner; }
            else for (let i = 0; i < inner; i++) r[p++] = a[src + i];
          }
        }
      }
      return -1;`,
    ) as GatherLoop;
    gatherLoops.set(key, loop);
  }
  const r = allocate(out.dtype, sizeOf(out.shape));
  const axis = params.axis;
  const bad = loop(
    x!.data,
    r,
    idx!.data,
    sizeOf(shape.slice(0, axis)),
    shape[axis]!,
    sizeOf(shape.slice(axis + 1)),
  );
  return bad < 0 ? r : ref.gather(inputs, params, out);
};

/** The read of a zero-padded operand: shifted offset and a bounds mask. */
export function padRead(shape: Shape, lo: readonly number[]) {
  const st = stridesOf(shape);
  return {
    offset: -lo.reduce((acc, l, i) => acc + l * st[i]!, 0),
    strides: st,
    bounds: { lo: lo.slice(), hi: lo.map((l, i) => l + shape[i]!) },
  };
}

/**
 * The fast backend (generated JS loops, WebAssembly SIMD matrix products); Cholesky, triangular solves and
 * LU through the native addon where it is loaded, the other decompositions as the reference's.
 */
export const fastBackend: Backend = {
  name: "fast",
  kernels: { ...kernels, cholesky, triangular_solve: triangularSolve, conv, gather },
  multiKernels: { ...referenceBackend.multiKernels, lu, eigh },
};

export type { PrimParams };
