// The reference backend: plain TypeScript over typed arrays. It is the executable specification of every
// primitive; faster backends are tested against it.
import { allocate, castArray, type TypedArray } from "../../core/dtype.js";
import { fmtShape, ValueError } from "../../core/errors.js";
import { type Shape, sizeOf, stridesOf } from "../../core/shape.js";
import type { ConcreteTensor } from "../../core/tensor.js";
import { binaryTable, compareTable } from "../../primitives/binary.js";
import { convData } from "../../primitives/conv.js";
import {
  choleskyData,
  eighData,
  luData,
  qrData,
  svdData,
  triangularSolveData,
} from "../../primitives/linalg-kernels.js";
import { threefryData } from "../../primitives/random.js";
import { unaryTable } from "../../primitives/unary.js";
import type { Backend, Kernel, KernelOf, KernelTable, MultiKernelTable } from "../backend.js";

/** Strides of `inShape` read at the positions of `outShape` (right-aligned; 0 where broadcast). */
function broadcastStrides(inShape: Shape, outShape: Shape): number[] {
  const st = stridesOf(inShape);
  const off = outShape.length - inShape.length;
  return outShape.map((_, i) => (i < off || inShape[i - off] === 1 ? 0 : st[i - off]!));
}

/** Calls `fn(outIndex, offsets...)` for every element of `outShape`, tracking each input's offset. */
function forEachOffset(outShape: Shape, strides: number[][], fn: (o: number, offs: number[]) => void): void {
  const nd = outShape.length;
  const n = sizeOf(outShape);
  const k = strides.length;
  const offs = new Array<number>(k).fill(0);
  const idx = new Array<number>(nd).fill(0);
  for (let o = 0; o < n; o++) {
    fn(o, offs);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      for (let j = 0; j < k; j++) offs[j]! += strides[j]![d]!;
      if (idx[d]! < outShape[d]!) break;
      for (let j = 0; j < k; j++) offs[j]! -= strides[j]![d]! * outShape[d]!;
      idx[d] = 0;
    }
  }
}

/** Bool storage holds only 0 and 1 (so bool + bool is logical or, bool · bool logical and). */
function asBool(r: TypedArray): TypedArray {
  for (let i = 0; i < r.length; i++) r[i] = r[i] ? 1 : 0;
  return r;
}

const unary =
  (f: (x: number) => number): KernelOf<Record<string, never>> =>
  ([x], _p, out) => {
    const a = x!.data;
    const r = allocate(out.dtype, a.length);
    for (let i = 0; i < a.length; i++) r[i] = f(a[i]!);
    return out.dtype === "bool" ? asBool(r) : r;
  };

function binaryLoop(
  f: (x: number, y: number) => number,
  [x, y]: readonly ConcreteTensor[],
  r: TypedArray,
): TypedArray {
  const a = x!.data;
  const b = y!.data;
  const n = r.length;
  if (a.length === n && b.length === n) for (let i = 0; i < n; i++) r[i] = f(a[i]!, b[i]!);
  else if (a.length === n && b.length === 1) {
    const bv = b[0]!;
    for (let i = 0; i < n; i++) r[i] = f(a[i]!, bv);
  } else if (b.length === n && a.length === 1) {
    const av = a[0]!;
    for (let i = 0; i < n; i++) r[i] = f(av, b[i]!);
  } else {
    const outShape =
      sizeOf(x!.aval.shape) === n && x!.aval.shape.length >= y!.aval.shape.length ? x!.aval.shape : undefined;
    const shape = outShape ?? broadcastOut(x!.aval.shape, y!.aval.shape);
    const sa = broadcastStrides(x!.aval.shape, shape);
    const sb = broadcastStrides(y!.aval.shape, shape);
    forEachOffset(shape, [sa, sb], (o, [ia, ib]) => {
      r[o] = f(a[ia!]!, b[ib!]!);
    });
  }
  return r;
}

function broadcastOut(a: Shape, b: Shape): number[] {
  const nd = Math.max(a.length, b.length);
  return Array.from({ length: nd }, (_, i) => {
    const da = a[i - nd + a.length] ?? 1;
    const db = b[i - nd + b.length] ?? 1;
    return da === 1 ? db : da;
  });
}

const binary =
  (f: (x: number, y: number) => number): KernelOf<Record<string, never>> =>
  (xs, _p, out) => {
    const r = binaryLoop(f, xs, allocate(out.dtype, sizeOf(out.shape)));
    return out.dtype === "bool" && xs[0]!.aval.dtype === "bool" ? asBool(r) : r;
  };

/** Reduces `x` over `axes` with `f`, starting from `init`; accumulates in float64. */
function reduce(
  x: ConcreteTensor,
  axes: readonly number[],
  init: number,
  f: (acc: number, v: number) => number,
): Float64Array {
  const shape = x.aval.shape;
  const keep = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const outStrides = broadcastStrides(keep, shape);
  const acc = new Float64Array(sizeOf(keep)).fill(init);
  const a = x.data;
  forEachOffset(shape, [outStrides], (i, [o]) => {
    acc[o!] = f(acc[o!]!, a[i]!);
  });
  return acc;
}

const reduceKernel =
  (init: number, f: (acc: number, v: number) => number): KernelOf<{ axes: number[] }> =>
  ([x], { axes }, out) =>
    castArray(reduce(x!, axes, init, f), out.dtype);

const argReduce =
  (better: (v: number, best: number) => boolean): KernelOf<{ axis: number }> =>
  ([x], { axis }, out) => {
    const shape = x!.aval.shape;
    const n = shape[axis]!;
    const inner = sizeOf(shape.slice(axis + 1));
    const outer = sizeOf(shape.slice(0, axis));
    const a = x!.data;
    const r = allocate(out.dtype, outer * inner);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        let best = a[o * n * inner + i]!;
        let bi = 0;
        for (let k = 1; k < n; k++) {
          const v = a[(o * n + k) * inner + i]!;
          if (!Number.isNaN(best) && (Number.isNaN(v) || better(v, best))) {
            best = v;
            bi = k;
          }
        }
        r[o * inner + i] = bi;
      }
    return r;
  };

/** Copies `x` with its dims permuted. */
function transposeData(x: ConcreteTensor, perm: readonly number[], r: TypedArray): TypedArray {
  const st = stridesOf(x.aval.shape);
  const outShape = perm.map((p) => x.aval.shape[p]!);
  const a = x.data;
  forEachOffset(outShape, [perm.map((p) => st[p]!)], (o, [i]) => {
    r[o] = a[i!]!;
  });
  return r;
}

/** Batched matrix product of [B, M, K] and [B, K, N] float data into [B, M, N]. */
function matmulData(
  a: TypedArray,
  b: TypedArray,
  r: TypedArray,
  B: number,
  M: number,
  K: number,
  N: number,
): void {
  const row = new Float64Array(N);
  for (let bi = 0; bi < B; bi++) {
    const ao = bi * M * K;
    const bo = bi * K * N;
    const ro = bi * M * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        // No shortcut for a zero of a: 0·NaN and 0·∞ are NaN, as in IEEE arithmetic, NumPy and JAX.
        const av = a[ao + i * K + k]!;
        const bk = bo + k * N;
        for (let j = 0; j < N; j++) row[j]! += av * b[bk + j]!;
      }
      for (let j = 0; j < N; j++) r[ro + i * N + j] = row[j]!;
    }
  }
}

const dotGeneral: Kernel<"dot_general"> = ([x, y], { lhsContract, rhsContract, lhsBatch, rhsBatch }, out) => {
  const xs = x!.aval.shape;
  const ys = y!.aval.shape;
  const lhsFree = xs.map((_, i) => i).filter((i) => !lhsContract.includes(i) && !lhsBatch.includes(i));
  const rhsFree = ys.map((_, i) => i).filter((i) => !rhsContract.includes(i) && !rhsBatch.includes(i));
  const B = sizeOf(lhsBatch.map((i) => xs[i]!));
  const M = sizeOf(lhsFree.map((i) => xs[i]!));
  const K = sizeOf(lhsContract.map((i) => xs[i]!));
  const N = sizeOf(rhsFree.map((i) => ys[i]!));
  const permA = [...lhsBatch, ...lhsFree, ...lhsContract];
  const permB = [...rhsBatch, ...rhsContract, ...rhsFree];
  const isId = (p: number[]) => p.every((v, i) => v === i);
  const a = isId(permA) ? x!.data : transposeData(x!, permA, allocate(x!.aval.dtype, x!.data.length));
  const b = isId(permB) ? y!.data : transposeData(y!, permB, allocate(y!.aval.dtype, y!.data.length));
  const r = allocate(out.dtype, B * M * N);
  matmulData(a, b, r, B, M, K, N);
  return r;
};

const kernels: KernelTable = {
  ...unaryTable((_p, row) => unary(row.scalar)),
  ...binaryTable((_p, row) => binary(row.scalar)),
  ...compareTable((_p, row) => binary(row.scalar)),
  select_n: ([p, f, t], _params, out) => {
    const r = allocate(out.dtype, sizeOf(out.shape));
    const st = [p!, f!, t!].map((x) => broadcastStrides(x.aval.shape, out.shape));
    const [pd, fd, td] = [p!.data, f!.data, t!.data];
    forEachOffset(out.shape, st, (o, [ip, iF, iT]) => {
      r[o] = pd[ip!] ? td[iT!]! : fd[iF!]!;
    });
    return r;
  },
  convert_element_type: ([x], { dtype }) => castArray(x!.data, dtype),
  reduce_sum: reduceKernel(0, (a, v) => a + v),
  reduce_max: reduceKernel(Number.NEGATIVE_INFINITY, (a, v) => (v > a || Number.isNaN(v) ? v : a)),
  reduce_min: reduceKernel(Number.POSITIVE_INFINITY, (a, v) => (v < a || Number.isNaN(v) ? v : a)),
  reduce_prod: reduceKernel(1, (a, v) => a * v),
  argmax: argReduce((v, best) => v > best),
  argmin: argReduce((v, best) => v < best),
  cumsum: ([x], { axis, reverse }, out) => {
    const shape = x!.aval.shape;
    const n = shape[axis]!;
    const inner = sizeOf(shape.slice(axis + 1));
    const outer = sizeOf(shape.slice(0, axis));
    const a = x!.data;
    const r = allocate(out.dtype, a.length);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let kk = 0; kk < n; kk++) {
          const k = reverse ? n - 1 - kk : kk;
          const at = (o * n + k) * inner + i;
          acc += a[at]!;
          r[at] = acc;
        }
      }
    return r;
  },
  dot_general: dotGeneral,
  conv: ([x, w], p, out) =>
    convData(x!.data, x!.aval.shape, w!.data, w!.aval.shape, p, allocate(out.dtype, sizeOf(out.shape))),
  reshape: ([x]) => x!.data,
  broadcast_in_dim: ([x], { broadcastDims }, out) => {
    const st = stridesOf(x!.aval.shape);
    const outSt = out.shape.map(() => 0);
    broadcastDims.forEach((d, i) => {
      if (x!.aval.shape[i] !== 1) outSt[d] = st[i]!;
    });
    const r = allocate(out.dtype, sizeOf(out.shape));
    const a = x!.data;
    if (a.length === 1) r.fill(a[0]!);
    else
      forEachOffset(out.shape, [outSt], (o, [i]) => {
        r[o] = a[i!]!;
      });
    return r;
  },
  transpose: ([x], { perm }, out) => transposeData(x!, perm, allocate(out.dtype, x!.data.length)),
  slice: ([x], { start }, out) => {
    const st = stridesOf(x!.aval.shape);
    const base = start.reduce((acc, s, i) => acc + s * st[i]!, 0);
    const r = allocate(out.dtype, sizeOf(out.shape));
    const a = x!.data;
    forEachOffset(out.shape, [st], (o, [i]) => {
      r[o] = a[base + i!]!;
    });
    return r;
  },
  pad: ([x], { lo }, out) => {
    const outSt = stridesOf(out.shape);
    const base = lo.reduce((acc, l, i) => acc + l * outSt[i]!, 0);
    const r = allocate(out.dtype, sizeOf(out.shape));
    const a = x!.data;
    forEachOffset(x!.aval.shape, [outSt], (i, [o]) => {
      r[base + o!] = a[i]!;
    });
    return r;
  },
  concatenate: (xs, { axis }, out) => {
    const r = allocate(out.dtype, sizeOf(out.shape));
    const outer = sizeOf(out.shape.slice(0, axis));
    const outRow = sizeOf(out.shape.slice(axis));
    let off = 0;
    for (const x of xs) {
      const row = sizeOf(x.aval.shape.slice(axis));
      for (let o = 0; o < outer; o++) r.set(x.data.subarray(o * row, (o + 1) * row), o * outRow + off);
      off += row;
    }
    return r;
  },
  rev: ([x], { axes }, out) => {
    const shape = x!.aval.shape;
    const st = stridesOf(shape);
    const base = axes.reduce((acc, ax) => acc + (shape[ax]! - 1) * st[ax]!, 0);
    const rst = st.map((s, i) => (axes.includes(i) ? -s : s));
    const r = allocate(out.dtype, x!.data.length);
    const a = x!.data;
    forEachOffset(shape, [rst], (o, [i]) => {
      r[o] = a[base + i!]!;
    });
    return r;
  },
  gather: ([x, idx], { axis, oob }, out) => {
    const shape = x!.aval.shape;
    const n = shape[axis]!;
    const inner = sizeOf(shape.slice(axis + 1));
    const outer = sizeOf(shape.slice(0, axis));
    const ix = idx!.data;
    // Indices are checked here, on the data, so a bad one fails the same way eagerly, under jit and vmap.
    for (let j = 0; j < ix.length; j++) {
      const v = ix[j]!;
      if (v < -n || v >= n)
        throw new ValueError(
          oob ??
            `gather: index ${v} is out of range for axis ${axis} of size ${n} (shape ${fmtShape(shape)}); ` +
              `indices must lie in [${-n}, ${n})`,
        );
    }
    const a = x!.data;
    const r = allocate(out.dtype, sizeOf(out.shape));
    let p = 0;
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < ix.length; j++) {
        const k = ix[j]! < 0 ? ix[j]! + n : ix[j]!;
        const src = (o * n + k) * inner;
        for (let i = 0; i < inner; i++) r[p++] = k >= 0 && k < n ? a[src + i]! : Number.NaN;
      }
    return r;
  },
  custom_linear: (xs, { name, nres, forward }) => {
    if (forward === null)
      throw new ValueError(
        `${name}: forward mode (jvp, jacfwd, linearize's map) is not defined for a function with a custom VJP; use customJvp for forward mode`,
      );
    return forward(xs.slice(0, nres), xs.slice(nres)).concrete().data;
  },
  scatter_add: ([u, idx], { axis, size }, out) => {
    const ix = idx!.data;
    const inner = sizeOf(out.shape.slice(axis + 1));
    const outer = sizeOf(out.shape.slice(0, axis));
    const a = u!.data;
    const r = allocate(out.dtype, sizeOf(out.shape));
    let p = 0;
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < ix.length; j++) {
        const k = ix[j]! < 0 ? ix[j]! + size : ix[j]!;
        const dst = (o * size + k) * inner;
        for (let i = 0; i < inner; i++) {
          if (k >= 0 && k < size) r[dst + i]! += a[p]!;
          p++;
        }
      }
    return r;
  },
  threefry2x32: ([key, count], _p, out) =>
    threefryData(key!.data, key!.aval.shape, count!.data, count!.aval.shape, out.shape),
  cholesky: ([a], _p, out) => choleskyData(a!.data, a!.aval.shape, out.dtype),
  triangular_solve: ([a, b], p, out) =>
    triangularSolveData(a!.data, a!.aval.shape, b!.data, b!.aval.shape, p, out.dtype),
};

/** The kernels of the multi-output primitives without programs: the decompositions, in float64. */
const multiKernels: MultiKernelTable = {
  lu: ([a]) => luData(a!.data, a!.aval.shape, a!.aval.dtype),
  qr: ([a], { fullMatrices }) => qrData(a!.data, a!.aval.shape, fullMatrices, a!.aval.dtype),
  eigh: ([a], { lower }) => eighData(a!.data, a!.aval.shape, lower, a!.aval.dtype),
  svd: ([a], { fullMatrices, computeUv }) =>
    svdData(a!.data, a!.aval.shape, fullMatrices, computeUv, a!.aval.dtype),
};

export const referenceBackend: Backend = { name: "reference", kernels, multiKernels };
