// First-order baselines for comparison: gradient descent, heavy-ball momentum and Adam, on the flat vector.
import { project } from "./bounds.js";
import type { Iterate } from "./line-search.js";
import type { MethodContext, Stepper } from "./types.js";

/**
 * Moves x by `delta` (computed in place by `update`), projects it into the box of `bounds` if there is one,
 * and evaluates f and ∇f at the new point.
 */
function stepper(
  ctx: MethodContext,
  update: (at: Iterate, delta: Float64Array, k: number) => void,
  moved?: (at: Iterate, x: Float64Array) => void,
): Stepper {
  const n = ctx.objective.n;
  return {
    step(at, k) {
      const delta = new Float64Array(n);
      update(at, delta, k);
      const x = at.x.map((v, i) => v + delta[i]);
      if (ctx.bounds) {
        project(x, ctx.bounds);
        moved?.(at, x);
      }
      return { next: { x, ...ctx.objective.valueAndGrad(x) } };
    },
  };
}

/** x ← x − η∇f (default η = 1e-3). */
export function gdStepper(ctx: MethodContext): Stepper {
  const lr = ctx.options.learningRate ?? 1e-3;
  return stepper(ctx, (at, delta) => {
    for (let i = 0; i < delta.length; i++) delta[i] = -lr * at.g[i];
  });
}

/**
 * Polyak's heavy ball: v ← μv − η∇f, x ← x + v (defaults η = 1e-3, μ = 0.9). With bounds, v becomes the step
 * actually taken after projection, so no velocity builds up against a bound.
 */
export function momentumStepper(ctx: MethodContext): Stepper {
  const lr = ctx.options.learningRate ?? 1e-3;
  const mu = ctx.options.momentum ?? 0.9;
  const v = new Float64Array(ctx.objective.n);
  return stepper(
    ctx,
    (at, delta) => {
      for (let i = 0; i < delta.length; i++) delta[i] = v[i] = mu * v[i] - lr * at.g[i];
    },
    (at, x) => {
      for (let i = 0; i < v.length; i++) v[i] = x[i] - at.x[i];
    },
  );
}

/** Adam (Kingma & Ba 2015) with bias-corrected moments (defaults η = 1e-2, β₁ = 0.9, β₂ = 0.999, ε = 1e-8). */
export function adamStepper(ctx: MethodContext): Stepper {
  const { learningRate: lr = 1e-2, beta1: b1 = 0.9, beta2: b2 = 0.999, epsilon: eps = 1e-8 } = ctx.options;
  const m = new Float64Array(ctx.objective.n);
  const v = new Float64Array(ctx.objective.n);
  return stepper(ctx, (at, delta, k) => {
    const c1 = 1 - b1 ** k;
    const c2 = 1 - b2 ** k;
    for (let i = 0; i < delta.length; i++) {
      const g = at.g[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      delta[i] = (-lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  });
}
