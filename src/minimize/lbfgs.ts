// L-BFGS: the two-loop recursion over the last m curvature pairs, with a strong-Wolfe or Armijo line search.

import { project, projectedGradNorm } from "./bounds.js";
import { axpy, dot, norm, scale } from "./linalg.js";
import { armijo, type Iterate, strongWolfe } from "./line-search.js";
import type { MethodContext, StepOutcome, Stepper } from "./types.js";

interface Pair {
  s: Float64Array;
  y: Float64Array;
  rho: number;
}

/**
 * −H_k g by the two-loop recursion (Nocedal & Wright, Alg. 7.4), where H_k is the BFGS inverse-Hessian
 * approximation built from the pairs on top of H⁰ = γI, γ = sᵀy / yᵀy of the newest pair.
 */
export function twoLoop(g: Float64Array, pairs: readonly Pair[]): Float64Array {
  const q = g.slice();
  const a = new Float64Array(pairs.length);
  for (let i = pairs.length - 1; i >= 0; i--) {
    const p = pairs[i];
    a[i] = p.rho * dot(p.s, q);
    for (let j = 0; j < q.length; j++) q[j] -= a[i] * p.y[j];
  }
  const last = pairs[pairs.length - 1];
  const gamma = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1;
  for (let j = 0; j < q.length; j++) q[j] *= gamma;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i];
    const b = p.rho * dot(p.y, q);
    for (let j = 0; j < q.length; j++) q[j] += (a[i] - b) * p.s[j];
  }
  return scale(q, -1);
}

/**
 * L-BFGS with memory m (default 10). The first step is scaled to length ≤ 1; later ones start from α = 1, which
 * the Wolfe search accepts near the solution (superlinear convergence). A pair is stored only when its
 * curvature sᵀy is safely positive; if a search fails, the memory is dropped and steepest descent retried once.
 */
export function lbfgsStepper(ctx: MethodContext): Stepper {
  const { objective, options } = ctx;
  if (ctx.bounds) return boundedLbfgsStepper(ctx);
  const memory = options.memory ?? 10;
  const search = options.lineSearch === "armijo" ? armijo : strongWolfe;
  let pairs: Pair[] = [];
  const attempt = (at: Iterate, d: Float64Array, alpha0: number) =>
    search(objective.valueAndGrad, at, d, alpha0);
  return {
    step(at): StepOutcome {
      let d = twoLoop(at.g, pairs);
      let alpha0 = pairs.length === 0 ? Math.min(1, 1 / norm(at.g)) : 1;
      if (!(dot(d, at.g) < 0)) {
        pairs = [];
        d = scale(at.g, -1);
        alpha0 = Math.min(1, 1 / norm(at.g));
      }
      let ls = attempt(at, d, alpha0);
      if (!ls.next && pairs.length > 0) {
        pairs = [];
        ls = attempt(at, scale(at.g, -1), Math.min(1, 1 / norm(at.g)));
      }
      const info = { alpha: ls.alpha, evaluations: ls.evaluations, memory: pairs.length };
      if (!ls.next) return { stop: "line search failed", info };
      const s = axpy(ls.next.x, -1, at.x);
      const y = axpy(ls.next.g, -1, at.g);
      const sy = dot(s, y);
      if (sy > 1e-10 * norm(s) * norm(y)) {
        pairs.push({ s, y, rho: 1 / sy });
        if (pairs.length > memory) pairs.shift();
      }
      return { next: ls.next, info };
    },
  };
}

/**
 * Projected L-BFGS for lo ≤ x ≤ hi (in the spirit of L-BFGS-B and Bertsekas' projected Newton): variables at
 * or within ε of a bound whose gradient pushes outward take a scaled gradient step, the others the two-loop
 * step computed from their part of the gradient; the step is a backtracking search along the projected path P(x + αd) with the
 * Armijo test f(P(x + αd)) ≤ f + c₁ gᵀ(P(x + αd) − x). Pairs with sᵀy not safely positive are skipped.
 */
/** The largest distance to a bound at which a variable counts as (nearly) active. */
const EPS_BAR = 1e-3;

function boundedLbfgsStepper(ctx: MethodContext): Stepper {
  const { objective, options } = ctx;
  const box = ctx.bounds!;
  const memory = options.memory ?? 10;
  let pairs: Pair[] = [];
  const search = (at: Iterate, d: Float64Array, alpha0: number) => {
    let alpha = alpha0;
    for (let k = 1; k <= 60; k++) {
      const x = project(axpy(at.x, alpha, d), box);
      const decrease = dot(at.g, axpy(x, -1, at.x));
      const { f, g } = objective.valueAndGrad(x);
      if (Number.isFinite(f) && decrease < 0 && f <= at.f + 1e-4 * decrease)
        return { next: { x, f, g }, alpha, evaluations: k };
      alpha *= 0.5;
    }
    return { next: null, alpha, evaluations: 60 };
  };
  return {
    step(at): StepOutcome {
      // Bertsekas' ε-active set: a variable within ε = min(ε̄, ‖P(x − g) − x‖) of a bound that −g points
      // out of is fixed; it takes a plain gradient step (which the projection stops at the bound), while the
      // free variables take the two-loop step computed from their part of the gradient.
      const eps = Math.min(EPS_BAR, projectedGradNorm(at.x, at.g, box));
      const fixed = Array.from(
        at.g,
        (gi, i) => (at.x[i] - box.lo[i] <= eps && gi > 0) || (box.hi[i] - at.x[i] <= eps && gi < 0),
      );
      const gFree = at.g.map((gi, i) => (fixed[i] ? 0 : gi));
      const last = pairs[pairs.length - 1];
      const gamma = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1;
      const steepest = () => scale(at.g, -1);
      const alphaSteepest = Math.min(1, 1 / norm(at.g));
      let d = twoLoop(gFree, pairs);
      for (let i = 0; i < d.length; i++) if (fixed[i]) d[i] = -gamma * at.g[i];
      let alpha0 = pairs.length === 0 ? alphaSteepest : 1;
      if (!(dot(d, at.g) < 0)) {
        pairs = [];
        d = steepest();
        alpha0 = alphaSteepest;
      }
      let ls = search(at, d, alpha0);
      if (!ls.next && pairs.length > 0) {
        pairs = [];
        ls = search(at, steepest(), alphaSteepest);
      }
      const info = { alpha: ls.alpha, evaluations: ls.evaluations, memory: pairs.length };
      if (!ls.next) return { stop: "line search failed", info };
      const s = axpy(ls.next.x, -1, at.x);
      const y = axpy(ls.next.g, -1, at.g);
      const sy = dot(s, y);
      if (sy > 1e-10 * norm(s) * norm(y)) {
        pairs.push({ s, y, rho: 1 / sy });
        if (pairs.length > memory) pairs.shift();
      }
      return { next: ls.next, info };
    },
  };
}
