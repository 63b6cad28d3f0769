// Finite-difference stencils of any derivative order and accuracy (weights by Fornberg's algorithm), their
// application to f along a line, and a probe of f's noise level that bounds the round-off of the result.
import { ValueError } from "../core/errors.js";

/** Where the sample points lie relative to x: on both sides, at x and after, or at x and before. */
export type Method = "central" | "forward" | "backward";

const METHODS: readonly Method[] = ["central", "forward", "backward"];

/** A difference formula: f^(order)(x) ≈ Σ weights[i]·f(x + offsets[i]·h) / h^order, with error O(h^accuracy). */
export interface Stencil {
  /** The derivative it approximates. */
  order: number;
  method: Method;
  /** The power of h in its truncation error. */
  accuracy: number;
  /** Sample points in units of the step h. */
  offsets: number[];
  /** One weight per offset, for a unit step. */
  weights: number[];
}

/**
 * The weights of the finite-difference formula for the `order`-th derivative at 0 from samples at
 * `offsets` (any distinct real numbers, at least order + 1 of them), by Fornberg's recurrence (Math. Comp.
 * 51, 1988), which builds the weights of every lower order along the way and never forms a Vandermonde
 * matrix. Exact up to float64 rounding.
 * @example
 * ```ts
 * nb.numeric.fornbergWeights([-1, 0, 1], 1); // [-0.5, 0, 0.5]
 * nb.numeric.fornbergWeights([-1, 0, 1], 2); // [1, -2, 1]
 * nb.numeric.fornbergWeights([0, 1, 2], 1);  // [-1.5, 2, -0.5]
 * ```
 */
export function fornbergWeights(offsets: readonly number[], order: number): number[] {
  const where = "numeric.fornbergWeights";
  checkOrder(where, order);
  const n = offsets.length;
  if (n < order + 1)
    throw new ValueError(
      `${where}: a derivative of order ${order} needs at least ${order + 1} points, got ${n} offsets`,
    );
  if (!offsets.every(Number.isFinite))
    throw new ValueError(`${where}: offsets must be finite numbers, got [${offsets.join(", ")}]`);
  if (new Set(offsets).size !== n)
    throw new ValueError(`${where}: offsets must be distinct, got [${offsets.join(", ")}]`);
  // c[j][m]: weight of point j for the m-th derivative, using the points seen so far.
  const c = Array.from({ length: n }, () => new Array<number>(order + 1).fill(0));
  c[0]![0] = 1;
  let prod = 1; // Π (x_{i-1} − x_j) over j < i − 1, from the previous round
  for (let i = 1; i < n; i++) {
    const top = Math.min(i, order);
    let prodNew = 1;
    const xi = offsets[i]!;
    const xPrev = offsets[i - 1]!;
    for (let j = 0; j < i; j++) {
      const d = xi - offsets[j]!;
      prodNew *= d;
      if (j === i - 1) {
        // The new point's weights come from the previous point's, before those are updated below.
        for (let m = top; m >= 1; m--)
          c[i]![m] = (prod * (m * c[i - 1]![m - 1]! - xPrev * c[i - 1]![m]!)) / prodNew;
        c[i]![0] = (-prod * xPrev * c[i - 1]![0]!) / prodNew;
      }
      for (let m = top; m >= 1; m--) c[j]![m] = (xi * c[j]![m]! - m * c[j]![m - 1]!) / d;
      c[j]![0] = (xi * c[j]![0]!) / d;
    }
    prod = prodNew;
  }
  return c.map((row) => row[order]!);
}

/** @internal Validates a derivative order. */
export function checkOrder(where: string, order: number): void {
  if (!Number.isInteger(order) || order < 1)
    throw new ValueError(`${where}: order must be a positive integer, got ${order}`);
}

/** @internal Validates a method name. */
export function checkMethod<T extends string>(where: string, method: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(method))
    throw new ValueError(
      `${where}: unknown method ${JSON.stringify(method)}; use one of ${allowed.map((m) => `"${m}"`).join(", ")}`,
    );
  return method as T;
}

/** The default accuracy: the fewest points (2 for central, 1 for one-sided differences). */
export const defaultAccuracy = (method: Method): number => (method === "central" ? 2 : 1);

/**
 * The finite-difference stencil for the `order`-th derivative with truncation error O(h^accuracy), any
 * order and accuracy: central (accuracy even, default 2), forward or backward (default 1). Central stencils
 * are exactly symmetric (odd orders antisymmetric, with a zero weight at the centre).
 * @example
 * ```ts
 * nb.numeric.stencil(1).weights;                          // [-0.5, 0, 0.5]
 * nb.numeric.stencil(1, { accuracy: 4 }).weights;         // [1/12, -2/3, 0, 2/3, -1/12]
 * nb.numeric.stencil(2, { method: "forward" }).offsets;   // [0, 1, 2]
 * ```
 */
export function stencil(order: number, options: { method?: Method; accuracy?: number } = {}): Stencil {
  return makeStencil("numeric.stencil", order, options.method ?? "central", options.accuracy);
}

/** @internal `stencil`, with errors naming the public function that asked for it. */
export function makeStencil(where: string, order: number, method: string, accuracy?: number): Stencil {
  checkOrder(where, order);
  const m = checkMethod(where, method, METHODS);
  const acc = accuracy ?? defaultAccuracy(m);
  if (!Number.isInteger(acc) || acc < 1 || (m === "central" && acc % 2 !== 0))
    throw new ValueError(
      `${where}: accuracy must be a positive${m === "central" ? " even" : ""} integer for ${m} differences, got ${acc}`,
    );
  let offsets: number[];
  if (m === "central") {
    // Symmetry buys one order for even derivatives, so both parities need 2·⌊(order+1)/2⌋ − 1 + accuracy points.
    const half = Math.floor((2 * Math.floor((order + 1) / 2) - 1 + acc) / 2);
    offsets = Array.from({ length: 2 * half + 1 }, (_, i) => i - half);
  } else {
    const n = order + acc;
    offsets = Array.from({ length: n }, (_, i) => (m === "forward" ? i : i - n + 1));
  }
  let weights = fornbergWeights(offsets, order);
  if (m === "central") {
    // Enforce the exact (anti)symmetry that rounding blurs: w(−o) = ±w(o).
    const sign = order % 2 === 0 ? 1 : -1;
    const n = weights.length;
    weights = weights.map((w, i) => (w + sign * weights[n - 1 - i]!) / 2);
  }
  return { order, method: m, accuracy: acc, offsets, weights: weights.map((w) => (w === 0 ? 0 : w)) };
}

// ---------------------------------------------------------------------------------------------------------
// Applying stencils to a function along a line.

/** A difference quotient at one step: Σ w·f per output element, Σ |w·f| and Σ |w| (which scale its round-off). */
export interface Sample {
  value: Float64Array;
  mag: Float64Array;
  wsum: number;
}

/** The sample of a step below x's resolution (two points coincide): no estimate. */
export const nanSample = (m: number): Sample => ({
  value: new Float64Array(m).fill(Number.NaN),
  mag: new Float64Array(m).fill(Number.NaN),
  wsum: Number.NaN,
});

/** A power of two near v, so that t·scale and o·t·scale are exact. */
export const pow2 = (v: number): number => 2 ** Math.round(Math.log2(v));

/** The sample points x + o·h of a stencil (zero weights dropped), with weights already divided by h^k. */
export function lineWeights(
  st: Stencil,
  x: number,
  h: number,
): { points: number[]; weights: number[] } | null {
  const points = st.offsets.map((o) => x + o * h);
  const nominal = points.every((p, i) => p - x === st.offsets[i]! * h);
  let weights: number[];
  if (nominal) weights = st.weights.map((w) => w / h ** st.order);
  else {
    // x + o·h was rounded: differentiate through the points actually sampled instead.
    const d = points.map((p) => p - x);
    if (new Set(d).size !== d.length) return null;
    weights = fornbergWeights(d, st.order);
  }
  const keep = weights.flatMap((w, i) => (w === 0 ? [] : [i]));
  return { points: keep.map((i) => points[i]!), weights: keep.map((i) => weights[i]!) };
}

/** Σ w·y, Σ |w·y| per element and Σ |w| over the terms of a stencil. */
export function accumulate(terms: { w: number; y: Float64Array }[], m: number): Sample {
  const value = new Float64Array(m);
  const mag = new Float64Array(m);
  let wsum = 0;
  for (const { w, y } of terms) {
    wsum += Math.abs(w);
    for (let e = 0; e < m; e++) {
      value[e]! += w * y[e]!;
      mag[e]! += Math.abs(w * y[e]!);
    }
  }
  return { value, mag, wsum };
}

/** The quotient of g along one coordinate: g(x + o·t·scale) for the stencil's offsets o. */
export function lineQuotient(
  g: (p: number) => Float64Array,
  x: number,
  scale: number,
  st: Stencil,
  m: number,
) {
  return (t: number): Sample => {
    const lw = lineWeights(st, x, t * scale);
    if (!lw) return nanSample(m);
    return accumulate(
      lw.points.map((p, i) => ({ w: lw.weights[i]!, y: g(p) })),
      m,
    );
  };
}

/** Evaluations of f that measure its noise level, and their spacing relative to max(1, |x|). */
const NOISE_POINTS = 9;
const NOISE_SPACING = 2 ** -26;
/** Irregular offsets 0 … ≈8.3 of the noise probe: on a regular grid, rounding errors can repeat exactly. */
const PROBE = Array.from({ length: NOISE_POINTS }, (_, i) => i + 0.5 * ((i * 0.6180339887) % 1));

/**
 * The noise level of each output of f along a line through x, after Moré and Wild's ECnoise (SIAM J. Sci.
 * Comput. 33, 2011), from g at 9 points x + τᵢ·δ, δ ≈ 1.5e-8·scale. There the smooth part of a j-th
 * difference (∝ δ^j) vanishes for j ≥ 3, leaving noise: each j-th difference Σ wᵢ·g(xᵢ) has variance
 * σ²·Σ wᵢ², so σ² is the mean of (Σ wᵢgᵢ)²/Σ wᵢ² over the windows; the largest of the levels 3…6 is kept.
 * Equal neighbouring values mean f moves in steps wider than δ (large terms cancelled, say), so δ grows a
 * hundredfold, twice at most, until they differ.
 */
export function noiseLevel(g: (p: number) => Float64Array, x: number, scale: number): Float64Array {
  const center = g(x);
  const m = center.length;
  const sigma = new Float64Array(m);
  let pending = Array.from({ length: m }, (_, e) => e);
  for (let round = 0; round < 3 && pending.length > 0; round++) {
    const delta = NOISE_SPACING * scale * 100 ** round;
    const points = PROBE.map((t) => x + t * delta);
    const ys = points.map((p, i) => (i === 0 ? center : g(p)));
    // Differences through the points actually sampled, in units of δ.
    const tau = points.map((p) => (p - x) / delta);
    const windows = [3, 4, 5, 6].flatMap((j) =>
      Array.from({ length: NOISE_POINTS - j }, (_, w) => {
        const weights = fornbergWeights(
          tau.slice(w, w + j + 1).map((t) => t - tau[w]!),
          j,
        );
        return { j, w, weights, norm: weights.reduce((acc, v) => acc + v * v, 0) };
      }),
    );
    pending = pending.filter((e) => {
      if (round < 2 && ys.some((y, i) => i > 0 && y[e] === ys[i - 1]![e])) return true;
      for (const j of [3, 4, 5, 6]) {
        const ws = windows.filter((v) => v.j === j);
        let acc = 0;
        for (const { w, weights, norm } of ws) {
          const d = weights.reduce((sum, v, i) => sum + v * ys[w + i]![e]!, 0);
          acc += (d * d) / norm;
        }
        const level = Math.sqrt(acc / ws.length);
        if (level > sigma[e]!) sigma[e] = level; // NaN (f undefined nearby) leaves it alone
      }
      return false;
    });
  }
  return sigma;
}
