// The cubic-regularized model's global minimizer: min gᵀs + ½sᵀHs + (σ/3)‖s‖³, by the secular equation.
import { dot, type SymmetricEigen, symmetricEigen } from "./linalg.js";

/**
 * The minimizer of the cubic model and what it took to find it.
 * @example
 * ```ts
 * const H = Float64Array.of(2, 0, 0, 1);
 * const { s, mu, model, hardCase }: nb.optim.CubicStep = nb.optim.solveCubic(H, Float64Array.of(1, 1), 1);
 * ```
 */
export interface CubicStep {
  /** The step s. */
  s: Float64Array;
  /** The Lagrange multiplier μ = σ‖s‖, with H + μI positive semidefinite. */
  mu: number;
  /** The model's value m(s) (≤ 0: the predicted change of f). */
  model: number;
  /** True when g has no component along the lowest eigenvector and the step needed one (the "hard case"). */
  hardCase: boolean;
}

/** m(s) = gᵀs + ½sᵀHs + (σ/3)‖s‖³ in the eigenbasis (s = Σ yᵢ qᵢ, g̃ = Qᵀg). */
function modelValue(lambda: Float64Array, gt: Float64Array, y: Float64Array, sigma: number): number {
  let m = 0;
  let ss = 0;
  for (let i = 0; i < y.length; i++) {
    m += gt[i] * y[i] + 0.5 * lambda[i] * y[i] * y[i];
    ss += y[i] * y[i];
  }
  return m + (sigma / 3) * ss ** 1.5;
}

/**
 * Solves the cubic subproblem exactly given the eigendecomposition H = Q diag(λ) Qᵀ.
 *
 * The global minimizer satisfies (H + μI)s = −g with μ = σ‖s‖ and H + μI ⪰ 0 (Cartis, Gould & Toint 2011,
 * Thm 3.1). With s(μ) = −(H + μI)⁻¹g, the secular function φ(μ) = 1/‖s(μ)‖ − σ/μ increases on
 * (max(0, −λ₁), ∞) from negative to positive, so its root is found by Newton's method safeguarded by
 * bisection. In the hard case — g ⟂ the λ₁-eigenspace and ‖s(−λ₁)‖ ≤ −λ₁/σ — μ = −λ₁ and the missing
 * length is made up along the lowest eigenvector.
 */
export function solveCubicEigen(eig: SymmetricEigen, g: Float64Array, sigma: number): CubicStep {
  const { values: lambda, vectors: Q } = eig;
  const n = g.length;
  const gt = Float64Array.from(Q, (q) => dot(q, g));
  const gNorm = Math.sqrt(dot(gt, gt));
  const l1 = lambda[0];
  const scale = Math.max(Math.abs(l1), Math.abs(lambda[n - 1]), 1e-300);
  // Components of g along (numerically) the lowest eigenvalue; "zero" relative to g and to the spectrum.
  const low = Array.from(lambda, (l) => l - l1 <= 1e-12 * scale);
  const gLow = Math.sqrt(gt.reduce((a, v, i) => a + (low[i] ? v * v : 0), 0));
  const muLo = Math.max(0, -l1);
  const sAt = (mu: number, skipLow: boolean): Float64Array =>
    Float64Array.from(gt, (v, i) => (skipLow && low[i] ? 0 : -v / (lambda[i] + mu)));
  const finish = (y: Float64Array, mu: number, hardCase: boolean): CubicStep => {
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) s[k] += y[i] * Q[i][k];
    return { s, mu, model: modelValue(lambda, gt, y, sigma), hardCase };
  };
  if (gNorm === 0 && l1 >= 0) return finish(new Float64Array(n), 0, false);

  if (l1 < 0 && gLow <= 1e-10 * Math.max(gNorm, 1e-300) + 1e-300) {
    const y = sAt(muLo, true);
    const len = Math.sqrt(dot(y, y));
    const target = muLo / sigma;
    if (len <= target) {
      // Hard case: H + μI is singular at the solution; add the length along the first eigenvector.
      const first = low.indexOf(true);
      y[first] = Math.sqrt(Math.max(0, target * target - len * len));
      return finish(y, muLo, true);
    }
  }

  const normAt = (mu: number): { len: number; d: number } => {
    // ‖s(μ)‖ and Σ g̃ᵢ²/(λᵢ + μ)³, which gives d‖s‖/dμ = −(Σ …)/‖s‖.
    let ss = 0;
    let cube = 0;
    for (let i = 0; i < n; i++) {
      const den = lambda[i] + mu;
      const r = gt[i] / den;
      ss += r * r;
      cube += (r * r) / den;
    }
    return { len: Math.sqrt(ss), d: cube };
  };
  const phi = (mu: number): number => 1 / normAt(mu).len - sigma / mu;
  let lo = muLo;
  let hi = Math.max(muLo, 1e-300) + Math.sqrt(sigma * gNorm) + 1e-300;
  while (phi(hi) < 0) {
    lo = hi;
    hi *= 2;
  }
  let mu = hi;
  for (let it = 0; it < 200; it++) {
    const { len, d } = normAt(mu);
    const value = 1 / len - sigma / mu;
    if (value < 0) lo = mu;
    else hi = mu;
    if (Math.abs(value) <= 1e-15 * (sigma / mu) || hi - lo <= 1e-15 * hi) break;
    const slope = d / (len * len * len) + sigma / (mu * mu);
    let next = mu - value / slope;
    if (!(next > lo && next < hi)) next = lo > 0 ? Math.sqrt(lo * hi) : 0.5 * (lo + hi);
    if (next === mu) break;
    mu = next;
  }
  return finish(sAt(mu, false), mu, false);
}

/**
 * The global minimizer of m(s) = gᵀs + ½sᵀHs + (σ/3)‖s‖³ for a dense symmetric H (row-major n×n, n small),
 * by its eigendecomposition (nb.linalg.eigh) and the secular equation; indefinite H and the hard case included.
 * @example
 * ```ts
 * // H = diag(−1, 2), g ⟂ the negative-curvature direction: the hard case, μ = 1 and s has an e₁ component.
 * const step = nb.optim.solveCubic(Float64Array.of(-1, 0, 0, 2), Float64Array.of(0, 1), 1);
 * step.hardCase;  // true
 * step.mu;        // 1
 * step.s;         // [±0.943, −0.333]
 * ```
 */
export function solveCubic(H: Float64Array, g: Float64Array, sigma: number): CubicStep {
  return solveCubicEigen(symmetricEigen(H, g.length), g, sigma);
}
