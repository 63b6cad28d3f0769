// Options, results and the per-method stepper contract of minimize.
import type { Tensor } from "../core/tensor.js";
import type { Iterate } from "./line-search.js";
import type { FlatObjective } from "./objective.js";

/**
 * What f receives for an x0 of type T: numbers become 0-d float64 tensors, containers keep their structure.
 * @example
 * ```ts
 * type P = nb.optim.AsTensors<{ w: nb.Tensor; b: number }>; // { w: Tensor; b: Tensor }
 * ```
 */
export type AsTensors<T> = T extends number | Tensor
  ? Tensor
  : T extends readonly unknown[]
    ? { [K in keyof T]: AsTensors<T[K]> }
    : T extends object
      ? { [K in keyof T]: AsTensors<T[K]> }
      : T;

/** The methods {@link minimize} knows, second-order ones first. */
export const METHODS = ["newton", "cubic", "halley", "lbfgs", "gd", "momentum", "adam"] as const;
export type MethodName = (typeof METHODS)[number];

/**
 * Options of {@link minimize}. Only `method`, `tol` and `maxIter` matter for most uses.
 * @example
 * ```ts
 * const options: nb.optim.MinimizeOptions = { method: "cubic", tol: 1e-10, maxIter: 50 };
 * ```
 */
export interface MinimizeOptions {
  /** Default "lbfgs". */
  method?: MethodName;
  /** Converged when ‖∇f‖ ≤ tol. Default 1e-8 · max(1, |f(x0)|). */
  tol?: number;
  /** Default 100 for newton/cubic/halley, 1000 for lbfgs, 20000 for gd/momentum/adam. */
  maxIter?: number;
  /** Also converged when a step moves x by at most stepTol · (1 + ‖x‖). Default 1e-14. */
  stepTol?: number;
  /**
   * Linear algebra of newton/cubic/halley: dense Hessians ("dense", the default for n ≤ 500, for cubic
   * n ≤ 100) or matrix-free CG/Lanczos on HVPs ("cg"). With "cg", cubic solves its model in a Krylov subspace
   * of g, so it does not check for negative curvature at a stationary point (use "dense" to escape exact saddles).
   */
  solver?: "dense" | "cg";
  /** Step size of gd/momentum/adam (defaults 1e-3, 1e-3, 1e-2). */
  learningRate?: number;
  /** Heavy-ball coefficient of momentum (default 0.9). */
  momentum?: number;
  /** Adam's moment decay rates and epsilon (defaults 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** L-BFGS memory (default 10). */
  memory?: number;
  /** Line search of lbfgs ("wolfe", default) — newton and halley always backtrack (Armijo). */
  lineSearch?: "wolfe" | "armijo";
  /** Initial cubic regularization weight σ of "cubic" (default 1); adapted every iteration. */
  sigma?: number;
  /**
   * Stage f's derivatives into programs once and rerun them (default true: ~10× faster for small problems).
   * An f that reads values (`item()`, an `if` on a tensor) cannot be staged and runs eagerly either way.
   */
  jit?: boolean;
  /** Keep a copy of x in every history entry (default: when x has at most 1000 elements). */
  recordX?: boolean;
  /**
   * Box constraints lo ≤ x ≤ hi, one `[lo, hi]` per element of x (flat, leaves in pytree order; ±Infinity for
   * no bound), or a single `[lo, hi]` for every element. x0 is projected into the box. Supported by lbfgs
   * (projected L-BFGS, L-BFGS-B style: the quasi-Newton step on the free variables, a projected backtracking
   * search) and by gd/momentum/adam (projection after each step). With bounds, `gradNorm` and the `tol` test
   * use the projected gradient ‖P(x − ∇f) − x‖, which vanishes at a constrained minimum.
   */
  bounds?: readonly (readonly [number, number])[] | readonly [number, number];
  /** Called after every iteration; return `true` to stop. */
  callback?: (entry: HistoryEntry) => unknown;
}

/**
 * One entry per iteration (entry 0 is the starting point).
 * @example
 * ```ts
 * const { history } = nb.optim.minimize((x) => nb.sum(nb.square(x)), nb.array([1, 2]), { method: "newton" });
 * history.map((h) => h.gradNorm); // [4.47…, 0]
 * ```
 */
export interface HistoryEntry {
  iteration: number;
  value: number;
  gradNorm: number;
  /** A flat copy of x (leaves in pytree order), unless `recordX` is false. */
  x?: Float64Array;
  /** ‖x_k − x_{k−1}‖ (0 for a rejected cubic step and for entry 0). */
  step: number;
  /** Milliseconds since minimize started. */
  time: number;
  /**
   * Method details: the line-search step `alpha`, Newton's Hessian `shift`, cubic's `sigma`, `rho` and
   * `hardCase`, Halley's `halley` (1 when the Halley step was taken).
   */
  info?: Record<string, number>;
}

/**
 * What {@link minimize} returns.
 * @example
 * ```ts
 * const r: nb.optim.MinimizeResult = nb.optim.minimize((x) => nb.sum(nb.square(x)), nb.array([1, 2]));
 * r.converged; // true
 * ```
 */
export interface MinimizeResult<T = unknown> {
  /** The final point, in the structure of x0 (float64 tensors). */
  x: T;
  value: number;
  gradNorm: number;
  iterations: number;
  converged: boolean;
  /** Why it stopped: "gradient", "step", "maxIter", "callback", "line search failed", … */
  reason: string;
  history: HistoryEntry[];
  /** Evaluations of f, its gradient, dense Hessians, HVPs and third-order contractions. */
  evaluations: { value: number; grad: number; hessian: number; hvp: number; third: number };
  /** Wall time in milliseconds. */
  time: number;
}

/** What one iteration of a method produced: a new point, or a reason to stop. */
export type StepOutcome =
  | { next: Iterate; info?: Record<string, number>; rejected?: boolean }
  | { stop: string; info?: Record<string, number> };

/** A method: makes one step from an iterate; may veto convergence at a first-order stationary point. */
export interface Stepper {
  step(at: Iterate, iteration: number): StepOutcome;
  /** False at a point with small gradient that is not a minimum (cubic: negative curvature left). */
  stationary?(at: Iterate): boolean;
}

/** The resolved settings a method is built from. */
export interface MethodContext {
  objective: FlatObjective;
  options: MinimizeOptions;
  solver: "dense" | "cg";
  tol: number;
  /** The box of `options.bounds`, resolved to one lower and upper bound per element. */
  bounds?: Box;
}

/** Per-element bounds lo ≤ x ≤ hi. */
export interface Box {
  lo: Float64Array;
  hi: Float64Array;
}
