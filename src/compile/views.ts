// Data movement as strided reads for jit: how reshape, broadcast_in_dim, transpose, slice, rev and pad
// of a stored array are read in place (offset, strides and zero-padding bounds) instead of copied.
import type { FusedInput } from "../backend/fusion.js";
import type { PrimParams } from "../core/primitives.js";
import type { Shape } from "../core/shape.js";
import type { Aval } from "../core/tensor.js";

/** How a value is read from a materialized base: element offset, strides per dim, zero-padding bounds. */
export interface Access {
  base: number;
  offset: number;
  strides: number[];
  bounds?: { lo: number[]; hi: number[] };
}

/** Strides for viewing `shape`-strided data as `newShape` without a copy, or null (numpy's rule). */
export function reshapeStrides(shape: Shape, strides: readonly number[], newShape: Shape): number[] | null {
  const dims = shape.map((n, i) => [n, strides[i]!] as const).filter(([n]) => n !== 1);
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < newShape.length; ) {
    if (newShape[i] === 1) {
      out.push(0);
      i++;
      continue;
    }
    // Take old dims until their product matches the new dims' product.
    if (j >= dims.length) return null;
    let oldProd = dims[j]![0];
    const oldStart = j;
    let newProd = newShape[i]!;
    const newStart = i;
    j++;
    i++;
    while (oldProd !== newProd) {
      if (oldProd < newProd) {
        if (j >= dims.length) return null;
        oldProd *= dims[j]![0];
        j++;
      } else {
        if (i >= newShape.length) return null;
        newProd *= newShape[i]!;
        i++;
      }
    }
    // The old group must be contiguous in itself.
    for (let k = oldStart; k < j - 1; k++) if (dims[k]![1] !== dims[k + 1]![1] * dims[k + 1]![0]) return null;
    let s = dims[j - 1]![1];
    const group: number[] = [];
    for (let k = i - 1; k >= newStart; k--) {
      group.unshift(newShape[k] === 1 ? 0 : s);
      s *= newShape[k]!;
    }
    out.push(...group);
  }
  return j === dims.length ? out : null;
}

const clip = (x: number, n: number) => Math.min(Math.max(x, 0), n);

/** The access of a view primitive applied to a value read through `a`, or null when it needs a copy. */
export function viewAccess(
  prim: string,
  params: unknown,
  a: Access,
  inShape: Shape,
  outShape: Shape,
): Access | null {
  const b = a.bounds;
  switch (prim) {
    case "reshape": {
      if (b) return null;
      const st = reshapeStrides(inShape, a.strides, outShape);
      return st ? { base: a.base, offset: a.offset, strides: st } : null;
    }
    case "broadcast_in_dim": {
      const { broadcastDims } = params as PrimParams["broadcast_in_dim"];
      const strides = outShape.map(() => 0);
      const lo = outShape.map(() => 0);
      const hi = outShape.slice();
      for (let i = 0; i < broadcastDims.length; i++) {
        const d = broadcastDims[i]!;
        if (inShape[i] !== 1) {
          strides[d] = a.strides[i]!;
          if (b) {
            lo[d] = b.lo[i]!;
            hi[d] = b.hi[i]!;
          }
        } else if (b && (b.lo[i]! > 0 || b.hi[i]! < 1)) return null;
      }
      return { base: a.base, offset: a.offset, strides, ...(b ? { bounds: { lo, hi } } : {}) };
    }
    case "transpose": {
      const { perm } = params as PrimParams["transpose"];
      return {
        base: a.base,
        offset: a.offset,
        strides: perm.map((p) => a.strides[p]!),
        ...(b ? { bounds: { lo: perm.map((p) => b.lo[p]!), hi: perm.map((p) => b.hi[p]!) } } : {}),
      };
    }
    case "slice": {
      const { start } = params as PrimParams["slice"];
      return {
        base: a.base,
        offset: a.offset + start.reduce((acc, s, i) => acc + s * a.strides[i]!, 0),
        strides: a.strides.slice(),
        ...(b
          ? {
              // Shift by the start and clip to the result, so bounds always lie within the shape.
              bounds: {
                lo: b.lo.map((l, i) => clip(l - start[i]!, outShape[i]!)),
                hi: b.hi.map((h, i) => clip(h - start[i]!, outShape[i]!)),
              },
            }
          : {}),
      };
    }
    case "rev": {
      const { axes } = params as PrimParams["rev"];
      const n = inShape;
      return {
        base: a.base,
        offset: a.offset + axes.reduce((acc, ax) => acc + (n[ax]! - 1) * a.strides[ax]!, 0),
        strides: a.strides.map((s, i) => (axes.includes(i) ? -s : s)),
        ...(b
          ? {
              bounds: {
                lo: b.lo.map((l, i) => (axes.includes(i) ? n[i]! - b.hi[i]! : l)),
                hi: b.hi.map((h, i) => (axes.includes(i) ? n[i]! - b.lo[i]! : h)),
              },
            }
          : {}),
      };
    }
    case "pad": {
      const { lo } = params as PrimParams["pad"];
      return {
        base: a.base,
        offset: a.offset - lo.reduce((acc, l, i) => acc + l * a.strides[i]!, 0),
        strides: a.strides.slice(),
        // The inner bounds (clipped to the input, whose outside is this pad's zeros) shifted by the low width.
        bounds: {
          lo: inShape.map((n, i) => clip((b ? clip(b.lo[i]!, n) : 0) + lo[i]!, outShape[i]!)),
          hi: inShape.map((n, i) => clip((b ? clip(b.hi[i]!, n) : n) + lo[i]!, outShape[i]!)),
        },
      };
    }
    default:
      return null;
  }
}

/** `a` (an access of a value of `shape`) read at the positions of `loop` with NumPy broadcasting. */
export function toLoop(a: Access, shape: Shape, loop: Shape, dtype: Aval["dtype"]): FusedInput | "zero" {
  const off = loop.length - shape.length;
  const strides: number[] = [];
  const lo: number[] = [];
  const hi: number[] = [];
  for (let d = 0; d < loop.length; d++) {
    const i = d - off;
    if (i < 0 || (shape[i] === 1 && loop[d] !== 1)) {
      if (i >= 0 && a.bounds && (a.bounds.lo[i]! > 0 || a.bounds.hi[i]! < 1)) return "zero";
      strides.push(0);
      lo.push(0);
      hi.push(loop[d]!);
    } else {
      strides.push(a.strides[i]!);
      lo.push(a.bounds ? a.bounds.lo[i]! : 0);
      hi.push(a.bounds ? a.bounds.hi[i]! : loop[d]!);
    }
  }
  return { dtype, offset: a.offset, strides, ...(a.bounds ? { bounds: { lo, hi } } : {}) };
}
