// Measuring float32 kernels in ulps: the distance, bit-pattern sweeps and the special values every math
// function must get exactly right.

/** Every `step`-th float32 bit pattern of both signs: all binades, denormals, ±0, ±Infinity and NaNs. */
export const everyFloat = (step: number): Float32Array =>
  new Float32Array(Int32Array.from({ length: 2 ** 33 / step }, (_, i) => i * step + (i % step)).buffer);

/** NaN, infinities, signed zeros, denormals, the smallest normal, the largest float32 and ±1. */
export const SPECIAL: readonly number[] = [
  Number.NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  1e-45,
  -1e-45,
  1e-40,
  2 ** -126,
  3.4028235e38,
  1,
  -1,
];

const f32Cell = new Float32Array(1);
const i32Cell = new Int32Array(f32Cell.buffer);
/** Distance in float32 steps (0 for equal values or two NaNs; ±0 count as different). */
export function ulps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  const key = (v: number) => {
    f32Cell[0] = v;
    const bits = i32Cell[0]!;
    return bits >= 0 ? bits : -(bits & 0x7fffffff) - 1;
  };
  return Math.abs(key(a) - key(b));
}
