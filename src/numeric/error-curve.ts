// errorCurve: the error of each finite-difference method against AD as the step sweeps 1e-1 … 1e-12.
import { ShapeError, ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { derivative as adDerivative } from "../transforms/jacobians.js";
import { extrapolate, type ScalarFn, scalar64, scalarEval, scalarX } from "./finite-diff.js";
import { checkOrder, lineQuotient, makeStencil } from "./stencil.js";

export interface ErrorCurveOptions {
  /** The derivative order k ≥ 1. Default 1. */
  order?: number;
  /** The steps h to try. Default 45 steps 10^-1, 10^-1.25, …, 10^-12. */
  steps?: readonly number[];
  /** The exact derivative. Default: computed by automatic differentiation (nb.derivative) in float64. */
  exact?: number;
  /** Richardson levels of the "richardson" curve (central differences at h, h/2, …). Default 2. */
  richardson?: number;
}

/** The four curves of an error plot: plain forward, backward and central differences, and central + Richardson. */
export interface ErrorCurves<T> {
  forward: T;
  backward: T;
  central: T;
  richardson: T;
}

export interface ErrorCurveResult {
  order: number;
  x: number;
  steps: number[];
  /** The reference value f^(k)(x). */
  exact: number;
  /** |estimate − exact| per method and step (0 where they agree exactly, NaN where f was NaN). */
  errors: ErrorCurves<number[]>;
  /** Per method, the step of smallest error and that error. */
  optimal: ErrorCurves<{ step: number; error: number }>;
}

const defaultSteps = (): number[] => Array.from({ length: 45 }, (_, i) => 10 ** (-1 - i / 4));

/**
 * The absolute error of forward, backward and central differences, and of central differences with
 * Richardson extrapolation, against the exact derivative (from automatic differentiation) as the step h
 * sweeps from 1e-1 to 1e-12: on log axes each curve is the classic V, truncation error ∝ h^q on the right,
 * round-off ∝ ε/h^k on the left, with its minimum at h ≈ ε^(1/(k+q)) (about 1e-8 for forward differences
 * of a first derivative, 1e-5 for central). `optimal` gives the argmin of each curve.
 * @example
 * ```ts
 * const c = nb.numeric.errorCurve(nb.exp, 1);
 * c.optimal.forward.step;  // ≈ 1e-8
 * c.optimal.central.step;  // ≈ 1e-5
 * c.errors.central[0];     // ≈ 5e-3 at h = 0.1; c.errors.central[44] ≈ 2e-4 at h = 1e-12
 * ```
 */
export function errorCurve(
  f: ScalarFn,
  x: number | Tensor,
  options: ErrorCurveOptions = {},
): ErrorCurveResult {
  const where = "numeric.errorCurve";
  const order = options.order ?? 1;
  checkOrder(where, order);
  const x0 = scalarX(where, x);
  const steps = [...(options.steps ?? defaultSteps())];
  if (steps.length === 0 || !steps.every((h) => typeof h === "number" && Number.isFinite(h) && h > 0))
    throw new ValueError(`${where}: steps must be a non-empty list of finite positive numbers`);
  const levels = options.richardson ?? 2;
  if (!Number.isInteger(levels) || levels < 0 || levels > 10)
    throw new ValueError(`${where}: richardson must be an integer from 0 to 10, got ${levels}`);
  const ev = scalarEval(where, f, x0);
  if (ev.center.length !== 1)
    throw new ShapeError(`${where}: f must return a scalar, got shape [${ev.shape.join(",")}]`);
  let exact = options.exact;
  if (exact === undefined) {
    if (!ev.tensor)
      throw new ValueError(
        `${where}: f works on JS numbers, so automatic differentiation cannot give the exact derivative; pass { exact }`,
      );
    try {
      exact = (adDerivative(f, order)(scalar64(x0)) as Tensor).item();
    } catch (e) {
      throw new ValueError(
        `${where}: automatic differentiation of f failed (${e instanceof Error ? e.message : String(e)}); pass { exact }`,
      );
    }
  }
  if (!Number.isFinite(exact)) throw new ValueError(`${where}: the exact derivative is ${exact}, not finite`);
  // The quotients at h exactly as `derivative` forms them (at the points actually sampled).
  const quot = (method: "forward" | "backward" | "central") =>
    lineQuotient(ev.call, x0, 1, makeStencil(where, order, method), 1);
  const q = { forward: quot("forward"), backward: quot("backward"), central: quot("central") };
  const rich = (h: number): number =>
    extrapolate(
      Array.from({ length: levels + 1 }, (_, j) => q.central(h / 2 ** j)),
      { p: 2, s: 2 },
      { eps: ev.eps, sigma: new Float64Array(1) },
    ).value[0]!;
  const err = (v: number) => Math.abs(v - exact);
  const errors: ErrorCurves<number[]> = {
    forward: steps.map((h) => err(q.forward(h).value[0]!)),
    backward: steps.map((h) => err(q.backward(h).value[0]!)),
    central: steps.map((h) => err(q.central(h).value[0]!)),
    richardson: steps.map((h) => err(rich(h))),
  };
  const argmin = (es: number[]) => {
    let k = -1;
    es.forEach((e, i) => {
      if (!Number.isNaN(e) && (k < 0 || e < es[k]!)) k = i;
    });
    return k < 0 ? { step: Number.NaN, error: Number.NaN } : { step: steps[k]!, error: es[k]! };
  };
  const optimal: ErrorCurves<{ step: number; error: number }> = {
    forward: argmin(errors.forward),
    backward: argmin(errors.backward),
    central: argmin(errors.central),
    richardson: argmin(errors.richardson),
  };
  return { order, x: x0, steps, exact, errors, optimal };
}
