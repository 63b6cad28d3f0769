// Newton's method (shifted Cholesky or Newton–CG, Armijo line search) and Halley's third-order method.

import { truncatedCG } from "./krylov.js";
import { axpy, cholesky, choleskySolve, dot, norm, scale, shiftedCholesky } from "./linalg.js";
import { armijo, type Iterate } from "./line-search.js";
import type { MethodContext, StepOutcome, Stepper } from "./types.js";

/** A Newton direction with the shift τ that made H + τI positive definite (dense) or CG's verdict (cg). */
interface NewtonDirection {
  d: Float64Array;
  /** H + τI was factored; 0 when H is positive definite. */
  shift: number;
  /** The Cholesky factor of H (dense, shift 0) — Halley reuses H. */
  positiveDefinite: boolean;
}

const cgIterations = (n: number) => Math.min(2 * n, 500);
const forcing = (g: Float64Array) => {
  // Inexact Newton: relative accuracy min(0.1, √‖g‖) keeps convergence superlinear (N&W use ½; tighter
  // steps pay off in curved valleys).
  const gn = norm(g);
  return Math.min(0.1, Math.sqrt(gn)) * gn;
};

function newtonDirection(ctx: MethodContext, at: Iterate, H?: Float64Array): NewtonDirection {
  const { objective, solver } = ctx;
  if (solver === "cg") {
    const r = truncatedCG((v) => objective.hvp(at.x, v), at.g, forcing(at.g), cgIterations(objective.n));
    return { d: r.s, shift: r.negativeCurvature ? 1 : 0, positiveDefinite: !r.negativeCurvature };
  }
  const { L, shift } = shiftedCholesky(H ?? objective.hessian(at.x), objective.n);
  return { d: scale(choleskySolve(L, at.g), -1), shift, positiveDefinite: shift === 0 };
}

/** Backtracks along d from α = 1; the outcome names the method when no step decreases f. */
function searchAlong(
  ctx: MethodContext,
  at: Iterate,
  d: Float64Array,
  info: Record<string, number>,
): StepOutcome {
  if (!(dot(at.g, d) < 0)) return { stop: "no descent direction", info };
  const ls = armijo(ctx.objective.valueAndGrad, at, d);
  info.alpha = ls.alpha;
  return ls.next ? { next: ls.next, info } : { stop: "line search failed", info };
}

/**
 * Damped Newton: d = −(H + τI)⁻¹g with the smallest τ in a doubling sequence that makes H + τI positive
 * definite (Levenberg damping, so d is a descent direction even at indefinite points), then Armijo
 * backtracking from the full step. With `solver: "cg"`, d comes from CG on HVPs, truncated at negative curvature.
 */
export function newtonStepper(ctx: MethodContext): Stepper {
  return {
    step(at) {
      const { d, shift } = newtonDirection(ctx, at);
      return searchAlong(ctx, at, d, { shift });
    },
  };
}

/**
 * Halley's method for ∇f = 0: with the Newton step s_N = −H⁻¹g, solve (H + ½T[s_N]) s = −g, where
 * T[s_N] = d/dε H(x + εs_N) comes from a JVP of the Hessian (dense) or of the HVP (cg), never the n³ tensor.
 * In one dimension this is the classical s = −2gh / (2h² − g·f‴). Far from a minimum (H indefinite, the
 * corrected matrix not positive definite, or a correction larger than the Newton step) it takes the damped
 * Newton step instead; both are followed by Armijo backtracking.
 */
export function halleyStepper(ctx: MethodContext): Stepper {
  const { objective, solver } = ctx;
  const halleyDirection = (at: Iterate, sN: Float64Array): Float64Array | null => {
    if (solver === "cg") {
      const matvec = (v: Float64Array) => {
        const { Hv, Tuv } = objective.hvpAndThird(at.x, v, sN);
        return axpy(Hv, 0.5, Tuv);
      };
      const r = truncatedCG(matvec, at.g, forcing(at.g) * Math.min(1, norm(at.g)), cgIterations(objective.n));
      return r.negativeCurvature ? null : r.s;
    }
    const { H, Tu } = objective.hessianAndThird(at.x, sN);
    const M = axpy(H, 0.5, Tu);
    const L = cholesky(M, objective.n);
    return L ? scale(choleskySolve(L, at.g), -1) : null;
  };
  return {
    step(at) {
      const newton = newtonDirection(ctx, at);
      let d = newton.d;
      let used = 0;
      if (newton.positiveDefinite) {
        const sH = halleyDirection(at, newton.d);
        // Trust the third-order correction only while it is a modest change of the Newton step.
        if (sH && dot(sH, at.g) < 0 && norm(axpy(sH, -1, newton.d)) <= norm(newton.d)) {
          d = sH;
          used = 1;
        }
      }
      return searchAlong(ctx, at, d, { shift: newton.shift, halley: used });
    },
  };
}
