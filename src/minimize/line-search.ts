// Line searches along a descent direction: backtracking Armijo and strong Wolfe (Nocedal & Wright, Alg. 3.5–3.6).
import { axpy, dot } from "./linalg.js";

/** A point with its value and gradient. */
export interface Iterate {
  x: Float64Array;
  f: number;
  g: Float64Array;
}

/** The accepted point, or null when no step along the direction decreases f enough. */
export interface LineSearchResult {
  next: Iterate | null;
  alpha: number;
  evaluations: number;
}

type ValueAndGrad = (x: Float64Array) => { f: number; g: Float64Array };

/** Backtracking with quadratic interpolation (safeguarded to [0.1α, 0.5α]) until f(x + αd) ≤ f + c₁α gᵀd. */
export function armijo(
  vg: ValueAndGrad,
  at: Iterate,
  d: Float64Array,
  alpha0 = 1,
  c1 = 1e-4,
  maxSteps = 60,
): LineSearchResult {
  const slope = dot(at.g, d);
  let alpha = alpha0;
  for (let k = 1; k <= maxSteps; k++) {
    const x = axpy(at.x, alpha, d);
    const { f, g } = vg(x);
    if (Number.isFinite(f) && f <= at.f + c1 * alpha * slope)
      return { next: { x, f, g }, alpha, evaluations: k };
    // The minimizer of the quadratic through f(0), f'(0) and f(α); NaN or Inf trials just halve the step.
    const q = Number.isFinite(f) ? (-slope * alpha * alpha) / (2 * (f - at.f - slope * alpha)) : 0.5 * alpha;
    alpha = Math.min(0.5 * alpha, Math.max(0.1 * alpha, q));
  }
  return { next: null, alpha, evaluations: maxSteps };
}

/** The minimizer of the cubic through (a, fa, da) and (b, fb, db), kept inside the interval's safe middle. */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - da * db;
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  const mid = 0.5 * (a + b);
  if (!(disc >= 0)) return mid;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  const t = b - (b - a) * ((db + d2 - d1) / (db - da + 2 * d2));
  const margin = 0.1 * (hi - lo);
  return Number.isFinite(t) && t > lo + margin && t < hi - margin ? t : mid;
}

/**
 * A step satisfying the strong Wolfe conditions f(x + αd) ≤ f + c₁αgᵀd and |∇f(x + αd)ᵀd| ≤ c₂|gᵀd|:
 * bracketing by expansion, then zooming with cubic interpolation.
 */
export function strongWolfe(
  vg: ValueAndGrad,
  at: Iterate,
  d: Float64Array,
  alpha0 = 1,
  c1 = 1e-4,
  c2 = 0.9,
  maxEvals = 40,
): LineSearchResult {
  const slope0 = dot(at.g, d);
  let evaluations = 0;
  const probe = (alpha: number) => {
    evaluations++;
    const x = axpy(at.x, alpha, d);
    const r = vg(x);
    return { alpha, point: { x, f: r.f, g: r.g }, slope: dot(r.g, d) };
  };
  type Probe = ReturnType<typeof probe>;
  const sufficient = (p: Probe) => Number.isFinite(p.point.f) && p.point.f <= at.f + c1 * p.alpha * slope0;
  const curvature = (p: Probe) => Math.abs(p.slope) <= -c2 * slope0;
  const zoom = (lo: Probe, hi: Probe): LineSearchResult => {
    // lo satisfies sufficient decrease with the lowest f so far; [lo, hi] contains a Wolfe point.
    while (evaluations < maxEvals) {
      const t = Number.isFinite(hi.point.f)
        ? cubicMin(lo.alpha, lo.point.f, lo.slope, hi.alpha, hi.point.f, hi.slope)
        : 0.5 * (lo.alpha + hi.alpha);
      const p = probe(t);
      if (!sufficient(p) || p.point.f >= lo.point.f) hi = p;
      else {
        if (curvature(p)) return { next: p.point, alpha: p.alpha, evaluations };
        if (p.slope * (hi.alpha - lo.alpha) >= 0) hi = lo;
        lo = p;
      }
      if (Math.abs(hi.alpha - lo.alpha) <= 1e-16 * Math.max(1, lo.alpha)) break;
    }
    // Out of budget: the best sufficient-decrease point found is still a safe step.
    return lo.alpha > 0
      ? { next: lo.point, alpha: lo.alpha, evaluations }
      : { next: null, alpha: 0, evaluations };
  };
  let prev: Probe = { alpha: 0, point: at, slope: slope0 };
  let alpha = alpha0;
  for (let i = 0; evaluations < maxEvals; i++) {
    const p = probe(alpha);
    if (!sufficient(p) || (i > 0 && p.point.f >= prev.point.f)) return zoom(prev, p);
    if (curvature(p)) return { next: p.point, alpha, evaluations };
    if (p.slope >= 0) return zoom(p, prev);
    prev = p;
    alpha *= 2;
  }
  return prev.alpha > 0
    ? { next: prev.point, alpha: prev.alpha, evaluations }
    : { next: null, alpha: 0, evaluations };
}
