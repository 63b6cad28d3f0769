// Inputs for measuring float32 kernels in ulps: bit-pattern sweeps and the special values every math
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
