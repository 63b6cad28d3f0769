// minimize(f, x0, options): one entry point for second-order, quasi-Newton and first-order minimization.
import { ValueError } from "../core/errors.js";
import { project, projectedGradNorm, resolveBounds } from "./bounds.js";
import { cubicStepper } from "./cubic.js";
import { adamStepper, gdStepper, momentumStepper } from "./first-order.js";
import { lbfgsStepper } from "./lbfgs.js";
import { axpy, norm } from "./linalg.js";
import type { Iterate } from "./line-search.js";
import { halleyStepper, newtonStepper } from "./newton.js";
import { flatObjective, type ScalarFn } from "./objective.js";
import {
  type AsTensors,
  type HistoryEntry,
  METHODS,
  type MethodContext,
  type MethodName,
  type MinimizeOptions,
  type MinimizeResult,
  type Stepper,
} from "./types.js";

const STEPPERS: Record<MethodName, (ctx: MethodContext) => Stepper> = {
  newton: newtonStepper,
  cubic: cubicStepper,
  halley: halleyStepper,
  lbfgs: lbfgsStepper,
  gd: gdStepper,
  momentum: momentumStepper,
  adam: adamStepper,
};

const DEFAULT_MAX_ITER: Record<MethodName, number> = {
  newton: 100,
  cubic: 100,
  halley: 100,
  lbfgs: 1000,
  gd: 20000,
  momentum: 20000,
  adam: 20000,
};

type Check = (v: unknown) => boolean;
const positive: Check = (v) => typeof v === "number" && v > 0 && Number.isFinite(v);
const unit: Check = (v) => typeof v === "number" && v >= 0 && v < 1;
const oneOf =
  (...xs: string[]): Check =>
  (v) =>
    xs.includes(v as string);
/** Each option with its check and the words an error message uses for what it must be. */
const OPTION_CHECKS: Record<keyof MinimizeOptions, [Check, string]> = {
  method: [oneOf(...METHODS), `one of ${METHODS.join(", ")}`],
  tol: [positive, "a positive number"],
  maxIter: [(v) => Number.isInteger(v) && (v as number) >= 0, "a non-negative integer"],
  stepTol: [(v) => typeof v === "number" && v >= 0, "a non-negative number"],
  solver: [oneOf("dense", "cg"), `"dense" or "cg"`],
  learningRate: [positive, "a positive number"],
  momentum: [unit, "a number in [0, 1)"],
  beta1: [unit, "a number in [0, 1)"],
  beta2: [unit, "a number in [0, 1)"],
  epsilon: [positive, "a positive number"],
  memory: [(v) => Number.isInteger(v) && (v as number) > 0, "a positive integer"],
  lineSearch: [oneOf("wolfe", "armijo"), `"wolfe" or "armijo"`],
  sigma: [positive, "a positive number"],
  jit: [(v) => typeof v === "boolean", "true or false"],
  recordX: [(v) => typeof v === "boolean", "true or false"],
  bounds: [Array.isArray, "an array of [lo, hi] pairs (one per element of x) or one [lo, hi] pair"],
  callback: [(v) => typeof v === "function", "a function"],
};

function checkOptions(options: MinimizeOptions): void {
  if (typeof options !== "object" || options === null)
    throw new ValueError(
      `minimize: options must be an object like { method: "newton" }, got ${String(options)}`,
    );
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const entry = OPTION_CHECKS[key as keyof MinimizeOptions];
    if (!entry)
      throw new ValueError(
        `minimize: unknown option "${key}"; valid options are ${Object.keys(OPTION_CHECKS).join(", ")}`,
      );
    if (!entry[0](value)) {
      const shown = typeof value === "string" ? `"${value}"` : String(value);
      if (key === "method")
        throw new ValueError(`minimize: unknown method ${shown}; valid methods are ${METHODS.join(", ")}`);
      throw new ValueError(`minimize: option ${key} must be ${entry[1]}, got ${shown}`);
    }
  }
}

/**
 * Minimizes a scalar function f over x (a tensor of any shape, a number, or a pytree of tensors), starting
 * from x0. All arithmetic is float64; derivatives come from nabla's autodiff (staged once and rerun).
 *
 * | method | step |
 * |---|---|
 * | `"newton"` | damped Newton: (H + τI)d = −g with τ making it positive definite, Armijo backtracking |
 * | `"cubic"` | cubic regularization (ARC): the cubic model's exact global minimizer (hard case too); escapes saddles |
 * | `"halley"` | Halley's method: (H + ½T[s_N])s = −g, T contracted by JVPs; cubic local convergence |
 * | `"lbfgs"` (default) | L-BFGS, two-loop recursion, strong-Wolfe line search |
 * | `"gd"`, `"momentum"`, `"adam"` | first-order baselines with a fixed learning rate |
 *
 * `bounds` adds box constraints lo ≤ x ≤ hi (lbfgs as projected L-BFGS, gd/momentum/adam by projecting each
 * step); the stopping test then uses the projected gradient.
 *
 * Stops when ‖∇f‖ ≤ tol (default 1e-8·max(1, |f(x0)|)), when a step moves x by at most
 * stepTol·(1 + ‖x‖), or after maxIter iterations (default 100 for newton/cubic/halley, 1000 for lbfgs,
 * 20000 for the first-order methods). `history[k]` records iteration k (0 is the start).
 * @throws {ValueError} for an unknown method or option, bounds with a method that cannot honour them, a bad option value, an f that is not scalar, or an f
 * that becomes NaN (the message names the iteration).
 * @example
 * ```ts
 * const rosenbrock = (p: nb.Tensor) => {
 *   const [x, y] = [nb.take(p, 0), nb.take(p, 1)];
 *   return nb.add(nb.square(nb.sub(1, x)), nb.mul(100, nb.square(nb.sub(y, nb.square(x)))));
 * };
 * const r = nb.optim.minimize(rosenbrock, nb.array([-1.2, 1]), { method: "newton" });
 * r.x.toArray();  // [1, 1]
 * r.iterations;   // 24 (Adam needs 5630)
 * r.converged;    // true
 * ```
 */
export function minimize<T>(
  f: (x: AsTensors<T>) => unknown,
  x0: T,
  options: MinimizeOptions = {},
): MinimizeResult<AsTensors<T>> {
  checkOptions(options);
  const method: MethodName = options.method ?? "lbfgs";
  const { objective, x0: start } = flatObjective("minimize", f as ScalarFn, x0, { jit: options.jit });
  const box = options.bounds === undefined ? undefined : resolveBounds(options.bounds, method, objective.n);
  if (box) project(start, box);
  const t0 = performance.now();
  const first = objective.valueAndGrad(start);
  if (!Number.isFinite(first.f))
    throw new ValueError(`minimize: f(x0) is ${first.f}; start from a point where f is finite`);
  const tol = options.tol ?? 1e-8 * Math.max(1, Math.abs(first.f));
  const maxIter = options.maxIter ?? DEFAULT_MAX_ITER[method];
  const stepTol = options.stepTol ?? 1e-14;
  const recordX = options.recordX ?? objective.n <= 1000;
  // Cubic's dense solver takes an eigendecomposition (nb.linalg.eigh) per iteration: CG/Lanczos beyond 100.
  const solver = options.solver ?? (objective.n <= (method === "cubic" ? 100 : 500) ? "dense" : "cg");
  const stepper = STEPPERS[method]({ objective, options, solver, tol, bounds: box });
  const gradNormAt = (p: Iterate) => (box ? projectedGradNorm(p.x, p.g, box) : norm(p.g));

  let at: Iterate = { x: start, f: first.f, g: first.g };
  let gradNorm = gradNormAt(at);
  const history: HistoryEntry[] = [];
  const record = (iteration: number, step: number, info?: Record<string, number>): HistoryEntry => {
    const entry: HistoryEntry = { iteration, value: at.f, gradNorm, step, time: performance.now() - t0 };
    if (recordX) entry.x = at.x.slice();
    if (info) entry.info = info;
    history.push(entry);
    return entry;
  };
  record(0, 0);
  let reason = "maxIter";
  let iterations = 0;
  for (;;) {
    if (!Number.isFinite(gradNorm))
      throw new ValueError(
        `minimize: the gradient is ${gradNorm} at iteration ${iterations} (method ${method}, f = ${at.f}); check f's domain`,
      );
    if (gradNorm <= tol && (stepper.stationary?.(at) ?? true)) {
      reason = "gradient";
      break;
    }
    if (iterations >= maxIter) break;
    const out = stepper.step(at, iterations + 1);
    if ("stop" in out) {
      reason = out.stop;
      break;
    }
    iterations++;
    if (!Number.isFinite(out.next.f))
      throw new ValueError(
        `minimize: f is ${out.next.f} at iteration ${iterations} (method ${method}); the previous value was ${at.f}` +
          (method === "gd" || method === "momentum" || method === "adam"
            ? "; try a smaller learningRate"
            : ""),
      );
    const step = norm(axpy(out.next.x, -1, at.x));
    at = out.next;
    gradNorm = gradNormAt(at);
    const entry = record(iterations, step, out.info);
    if (options.callback?.(entry) === true) {
      reason = "callback";
      break;
    }
    // With bounds, a step that projection cancels (momentum pushing into a bound) says nothing about
    // convergence; the projected-gradient test decides.
    const pinned = box !== undefined && step === 0;
    if (!("rejected" in out && out.rejected) && !pinned && step <= stepTol * (1 + norm(at.x))) {
      reason = "step";
      break;
    }
  }
  return {
    x: objective.toTree(at.x) as AsTensors<T>,
    value: at.f,
    gradNorm,
    iterations,
    converged: reason === "gradient" || reason === "step",
    reason,
    history,
    evaluations: { ...objective.counts },
    time: performance.now() - t0,
  };
}
