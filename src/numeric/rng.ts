// A tiny seeded random number generator (mulberry32) with a normal sampler, for reproducible numeric checks.

/** A stream of pseudo-random numbers; the same seed always gives the same stream. */
export interface Rng {
  /** A uniform draw from [0, 1). */
  uniform(): number;
  /** A standard normal draw (mean 0, variance 1). */
  normal(): number;
}

/**
 * A seeded generator: mulberry32 for uniforms (32 bits of state, fine for tests, not for cryptography)
 * and the Box–Muller transform for normals.
 * @example
 * ```ts
 * const rng = makeRng(0);
 * const xs = [rng.normal(), rng.normal(), rng.normal()]; // the same three numbers on every run
 * ```
 */
export function makeRng(seed = 0): Rng {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Box–Muller yields two independent normals per pair of uniforms; keep the second for the next call.
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - uniform())); // 1 − u lies in (0, 1], so the log is finite
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
  return { uniform, normal };
}
