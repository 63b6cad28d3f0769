// Box constraints lo ≤ x ≤ hi for minimize: resolving the option, projection, the projected gradient.
import { ValueError } from "../core/errors.js";
import type { Box, MethodName, MinimizeOptions } from "./types.js";

/** The methods that honour `bounds`. */
export const BOUNDED_METHODS: readonly MethodName[] = ["lbfgs", "gd", "momentum", "adam"];

const isPair = (v: unknown): v is readonly [number, number] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && typeof v[1] === "number";

/** Checks `bounds` against the method and the size n of x, and resolves it to per-element arrays. */
export function resolveBounds(bounds: MinimizeOptions["bounds"], method: MethodName, n: number): Box {
  if (!BOUNDED_METHODS.includes(method))
    throw new ValueError(
      `minimize: method "${method}" does not support bounds; use one of ${BOUNDED_METHODS.join(", ")}`,
    );
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  if (isPair(bounds)) {
    lo.fill(bounds[0]);
    hi.fill(bounds[1]);
  } else {
    if (!Array.isArray(bounds) || bounds.length !== n)
      throw new ValueError(
        `minimize: bounds must be one [lo, hi] pair or ${n} of them (one per element of x), got ${
          Array.isArray(bounds) ? `${bounds.length} entries` : String(bounds)
        }`,
      );
    bounds.forEach((b, i) => {
      if (!isPair(b))
        throw new ValueError(`minimize: bounds[${i}] must be a [lo, hi] pair of numbers, got ${String(b)}`);
      lo[i] = b[0];
      hi[i] = b[1];
    });
  }
  for (let i = 0; i < n; i++)
    if (
      Number.isNaN(lo[i]) ||
      Number.isNaN(hi[i]) ||
      lo[i] > hi[i] ||
      lo[i] === Infinity ||
      hi[i] === -Infinity
    )
      throw new ValueError(
        `minimize: bounds for element ${i} are [${lo[i]}, ${hi[i]}]; need lo ≤ hi, lo < Infinity and hi > -Infinity`,
      );
  return { lo, hi };
}

/** P(x): x clipped into the box, in place. */
export function project(x: Float64Array, box: Box): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] = Math.min(box.hi[i], Math.max(box.lo[i], x[i]));
  return x;
}

/** ‖P(x − g) − x‖: zero exactly at the first-order (KKT) points of the box-constrained problem. */
export function projectedGradNorm(x: Float64Array, g: Float64Array, box: Box): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.min(box.hi[i], Math.max(box.lo[i], x[i] - g[i])) - x[i];
    s += d * d;
  }
  return Math.sqrt(s);
}
