// Cubic regularization of Newton's method (Nesterov & Polyak 2006) with adaptive σ (ARC, Cartis–Gould–Toint).
import { type CubicStep, solveCubicEigen } from "./cubic-subproblem.js";
import { lanczosBasis, tridiagonal } from "./krylov.js";
import { axpy, norm, type SymmetricEigen, symmetricEigen } from "./linalg.js";
import type { Iterate } from "./line-search.js";
import type { MethodContext, Stepper } from "./types.js";

const SIGMA_MIN = 1e-10;

/**
 * The cubic model minimized in a Krylov subspace of H from g (Lanczos on HVPs), grown until the model's
 * gradient there is small (β_k |y_k| ≤ θ‖g‖, θ = min(0.1, √‖g‖)) or it has 100 dimensions: ARC's "Lanczos"
 * subproblem solver.
 */
function krylovCubicStep(hvp: (v: Float64Array) => Float64Array, g: Float64Array, sigma: number): CubicStep {
  const gNorm = norm(g);
  const theta = Math.min(0.1, Math.sqrt(gNorm));
  const last: { step?: CubicStep } = {};
  const solveReduced = (alpha: number[], beta: number[]) => {
    const k = alpha.length;
    const e1 = new Float64Array(k);
    e1[0] = gNorm;
    return solveCubicEigen(symmetricEigen(tridiagonal(alpha, beta), k), e1, sigma);
  };
  const basis = lanczosBasis(hvp, g, Math.min(g.length, 100), undefined, ({ alpha, beta }) => {
    const k = alpha.length;
    // Each check costs an eigendecomposition of the k×k tridiagonal matrix: check every 5th step after 10.
    if (k > 10 && k % 5 !== 0) return false;
    last.step = solveReduced(alpha, beta.slice(0, k - 1));
    return beta[k - 1] * Math.abs(last.step.s[k - 1]) <= theta * gNorm;
  });
  const k = basis.alpha.length;
  const y = last.step?.s.length === k ? last.step : solveReduced(basis.alpha, basis.beta);
  const s = new Float64Array(g.length);
  basis.Q.forEach((q, i) => {
    for (let j = 0; j < s.length; j++) s[j] += y.s[i] * q[j];
  });
  return { s, mu: y.mu, model: y.model, hardCase: y.hardCase };
}

/**
 * Adaptive cubic regularization: each iteration minimizes m(s) = gᵀs + ½sᵀHs + (σ/3)‖s‖³ globally (exactly,
 * from the eigendecomposition of H, hard case included; or in a Krylov subspace with `solver: "cg"`), accepts
 * the step when f falls by at least a tenth of the predicted amount, and halves σ after very successful steps
 * (ρ ≥ 0.9) or triples it after failures. Negative curvature is used, not hidden: at a saddle point the step
 * follows the lowest eigenvector, so iterations escape saddles that stop Newton's method. Convergence (dense)
 * also requires λ_min(H) ≥ −√tol.
 */
export function cubicStepper(ctx: MethodContext): Stepper {
  const { objective, solver } = ctx;
  let sigma = ctx.options.sigma ?? 1;
  let cached: { x: Float64Array; eig: SymmetricEigen } | null = null;
  const eigAt = (x: Float64Array): SymmetricEigen => {
    if (cached === null || cached.x !== x)
      cached = { x, eig: symmetricEigen(objective.hessian(x), objective.n) };
    return cached.eig;
  };
  return {
    stationary(at: Iterate) {
      return solver === "cg" || eigAt(at.x).values[0] >= -Math.sqrt(ctx.tol);
    },
    step(at: Iterate) {
      const info: Record<string, number> = { sigma };
      if (solver === "cg" && norm(at.g) === 0) return { stop: "zero gradient", info };
      const trial =
        solver === "cg"
          ? krylovCubicStep((v) => objective.hvp(at.x, v), at.g, sigma)
          : solveCubicEigen(eigAt(at.x), at.g, sigma);
      const predicted = -trial.model;
      if (!(predicted > 0)) return { stop: "no decrease predicted", info };
      const x = axpy(at.x, 1, trial.s);
      const { f, g } = objective.valueAndGrad(x);
      const actual = at.f - f;
      const rho = Number.isFinite(f) ? actual / predicted : Number.NEGATIVE_INFINITY;
      info.rho = rho;
      info.hardCase = trial.hardCase ? 1 : 0;
      // At the level of rounding ρ is noise: any decrease is accepted there.
      const tiny = predicted <= 1e-14 * Math.max(1, Math.abs(at.f)) && actual >= 0;
      if (rho >= 0.9) sigma = Math.max(0.5 * sigma, SIGMA_MIN);
      else if (rho < 0.1 && !tiny) sigma *= 3;
      if (rho >= 0.1 || tiny) return { next: { x, f, g }, info };
      return { next: at, info, rejected: true };
    },
  };
}
