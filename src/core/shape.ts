// Shapes: sizes, strides, NumPy broadcasting and axis normalisation, with errors that name the operation.
import { fmtShape, ShapeError, ValueError } from "./errors.js";

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a contiguous array. */
export function stridesOf(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = s;
    s *= shape[i]!;
  }
  return st;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a === b) return true;
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of any number of shapes; the error names `op` and every shape. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  if (shapes.length === 2 && shapesEqual(shapes[0]!, shapes[1]!)) return shapes[0]!.slice();
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  for (const s of shapes) {
    const off = ndim - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!;
      const o = out[off + i]!;
      if (d === o || d === 1) continue;
      if (o === 1) out[off + i] = d;
      else
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmtShape).join(", ")} cannot be broadcast together ` +
            `(dimension ${i - s.length} is ${o} in one and ${d} in another)`,
        );
    }
  }
  return out;
}

/** Resolves a possibly negative axis against `ndim`, or throws naming `op`. */
export function normalizeAxis(op: string, axis: number, ndim: number): number {
  if (
    !Number.isInteger(axis) ||
    axis < -ndim ||
    axis >= Math.max(ndim, 1) ||
    (ndim === 0 && axis !== 0 && axis !== -1)
  )
    throw new ValueError(
      `${op}: axis ${axis} is out of range for an array of rank ${ndim} (valid: ${-ndim} to ${ndim - 1})`,
    );
  return axis < 0 ? axis + ndim : axis;
}

/** Resolves `axis` (a number, a list, or undefined for all axes) to sorted distinct non-negative axes. */
export function normalizeAxes(
  op: string,
  axis: number | readonly number[] | undefined | null,
  ndim: number,
): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === "number" ? [axis] : axis;
  const out = list.map((a) => {
    if (ndim === 0)
      throw new ValueError(
        `${op}: axis ${a} is out of range for a scalar (rank 0); leave the axis out instead`,
      );
    return normalizeAxis(op, a, ndim);
  });
  if (new Set(out).size !== out.length) throw new ValueError(`${op}: repeated axis in [${list.join(",")}]`);
  return out.sort((x, y) => x - y);
}

/** The permutation that undoes `perm`. */
export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inv[p] = i;
  });
  return inv;
}

export const range = (n: number, start = 0): number[] => Array.from({ length: n }, (_, i) => i + start);
