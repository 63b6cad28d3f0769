// 2×2 linear algebra for the optimizers: symmetric eigen-decomposition, Newton steps, and the global
// minimizer of the cubic-regularized model (Nesterov–Polyak) by the secular equation.

/** A symmetric 2×2 matrix [[a, b], [b, d]]. */
export interface Sym2 {
  a: number;
  b: number;
  d: number;
}
export type Vec2 = [number, number];

/** Eigenvalues μ1 ≤ μ2 and unit eigenvectors q1, q2 of a symmetric 2×2 matrix. */
export function eigSym2({ a, b, d }: Sym2): { mu: Vec2; q1: Vec2; q2: Vec2 } {
  const mean = (a + d) / 2;
  const r = Math.hypot((a - d) / 2, b);
  const mu: Vec2 = [mean - r, mean + r];
  let q1: Vec2;
  if (r === 0) q1 = [1, 0];
  else {
    // (H − μ1 I) v = 0: either row gives a direction; take the better conditioned one.
    const u: Vec2 = [b, mu[0] - a];
    const v: Vec2 = [mu[0] - d, b];
    const w = Math.hypot(...u) >= Math.hypot(...v) ? u : v;
    const n = Math.hypot(...w);
    q1 = [w[0] / n, w[1] / n];
  }
  return { mu, q1, q2: [-q1[1], q1[0]] };
}

/** The Newton step −H⁻¹g, or null when H is (numerically) singular. */
export function newtonStep(g: Vec2, H: Sym2): Vec2 | null {
  const det = H.a * H.d - H.b * H.b;
  const scale = Math.max(Math.abs(H.a), Math.abs(H.b), Math.abs(H.d), 1e-300);
  if (!Number.isFinite(det) || Math.abs(det) <= 1e-14 * scale * scale) return null;
  return [-(H.d * g[0] - H.b * g[1]) / det, -(-H.b * g[0] + H.a * g[1]) / det];
}

/** The cubic model m(p) = gᵀp + ½ pᵀHp + (M/6)‖p‖³. */
export function cubicModel(g: Vec2, H: Sym2, M: number, p: Vec2): number {
  const Hp: Vec2 = [H.a * p[0] + H.b * p[1], H.b * p[0] + H.d * p[1]];
  const n = Math.hypot(p[0], p[1]);
  return g[0] * p[0] + g[1] * p[1] + 0.5 * (p[0] * Hp[0] + p[1] * Hp[1]) + (M / 6) * n ** 3;
}

/**
 * The global minimizer p of the cubic model, M > 0. It satisfies (H + λI)p = −g with λ = (M/2)‖p‖ and
 * H + λI ⪰ 0. In H's eigenbasis ‖p(λ)‖² = Σ g̃ᵢ² / (μᵢ + λ)², which decreases in λ while 2λ/M grows, so
 * the secular equation ‖p(λ)‖ = 2λ/M has one root above max(0, −μ1): found by bisection. In the "hard
 * case" (g has no component along a negative-curvature direction, e.g. a saddle point) λ = −μ1 and p
 * moves along that direction until ‖p‖ = 2λ/M — how cubic regularization escapes saddles.
 */
export function cubicStep(g: Vec2, H: Sym2, M: number): { p: Vec2; lambda: number } {
  if (!(M > 0)) throw new RangeError(`cubic regularization: M must be positive, got ${M}`);
  const { mu, q1, q2 } = eigSym2(H);
  const g1 = q1[0] * g[0] + q1[1] * g[1];
  const g2 = q2[0] * g[0] + q2[1] * g[1];
  const norm = (lam: number) => Math.hypot(g1 / (mu[0] + lam), g2 / (mu[1] + lam));
  const phi = (lam: number) => norm(lam) - (2 * lam) / M;
  const low = Math.max(0, -mu[0]);
  const tiny = 1e-12 * (1 + Math.abs(mu[0]) + Math.abs(mu[1]));
  const at = (lam: number): Vec2 => {
    const c1 = mu[0] + lam > 0 ? -g1 / (mu[0] + lam) : 0;
    const c2 = mu[1] + lam > 0 ? -g2 / (mu[1] + lam) : 0;
    return [c1 * q1[0] + c2 * q2[0], c1 * q1[1] + c2 * q2[1]];
  };
  const start = phi(low + tiny);
  if (start > 0 || Number.isNaN(start)) {
    let lo = low;
    let hi = low + Math.max(1, Math.hypot(g[0], g[1]) * M) ** 0.5;
    while (phi(hi) > 0) hi = low + 2 * (hi - low);
    for (let i = 0; i < 200 && hi - lo > 1e-15 * Math.max(1, hi); i++) {
      const mid = (lo + hi) / 2;
      if (phi(mid) > 0) lo = mid;
      else hi = mid;
    }
    return { p: at(hi), lambda: hi };
  }
  // Hard case: λ = −μ1 (or 0 at a minimum with g = 0); fill the length along q1.
  const lam = low;
  const c2 = mu[1] + lam > tiny ? -g2 / (mu[1] + lam) : 0;
  const r = (2 * lam) / M;
  const tau = Math.sqrt(Math.max(0, r * r - c2 * c2));
  return { p: [tau * q1[0] + c2 * q2[0], tau * q1[1] + c2 * q2[1]], lambda: lam };
}
