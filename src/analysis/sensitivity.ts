// Input sensitivity of a model to first, second and third order, as plain numbers.
import { ValueError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { dot, norm } from "../minimize/linalg.js";
import { flatObjective } from "../minimize/objective.js";
import { sum } from "../ops/reduce.js";
import { lanczosFlat } from "./lanczos.js";

/**
 * Options of {@link sensitivity}.
 * @example
 * ```ts
 * const options: nb.analysis.SensitivityOptions = { reduce: (y) => nb.take(y, 0) }; // the first output only
 * ```
 */
export interface SensitivityOptions {
  /** Turns a non-scalar model output into the scalar studied (default nb.sum). */
  reduce?: (y: Tensor) => Tensor;
  /** Lanczos steps for the Hessian norm (default min(n, 30): exact for inputs of up to 30 numbers). */
  iterations?: number;
}

/**
 * How strongly a model's output y reacts to its input x, order by order. Along the unit gradient
 * direction u = ∇y/‖∇y‖, y(x + εu) ≈ y + ε·gradientNorm + ε²/2·curvature + ε³/6·thirdOrder.
 * @example
 * ```ts
 * const model = (p: nb.Tensor, x: nb.Tensor) => nb.sum(nb.tanh(nb.mul(p, x)));
 * const s: nb.analysis.SensitivityResult = nb.analysis.sensitivity(model, nb.array([1, 2]), nb.array([0.5, -1]));
 * s.gradientNorm; // ‖∇ₓy‖
 * ```
 */
export interface SensitivityResult {
  /** The (reduced) output y. */
  output: number;
  /** ‖∇ₓ y‖. */
  gradientNorm: number;
  /** ‖∇²ₓ y‖₂: the largest |eigenvalue| of the input Hessian (Lanczos on HVPs). */
  hessianNorm: number;
  /** uᵀ(∇²ₓ y)u along the gradient direction u. */
  curvature: number;
  /** T[u, u, u]: the third derivative of y along u (a nested JVP of the HVP). */
  thirdOrder: number;
  /** Number of input elements. */
  inputSize: number;
}

/**
 * First-, second- and third-order input sensitivity of `model(params, input)` at `input` (a tensor of any
 * shape or a pytree), with params held fixed: the gradient norm, the Hessian's spectral norm, and the second
 * and third directional derivatives along the gradient direction. A model that is smooth around an input has
 * small higher-order terms; a large `hessianNorm` or `thirdOrder` means a first-order (gradient) explanation
 * of the prediction is only valid very close to x. Non-scalar outputs are summed unless `reduce` says
 * otherwise. Derivatives are taken in float64 with params converted to match.
 * @throws {ValueError} when `model` is not a function or `reduce` does not give a scalar.
 * @example
 * ```ts
 * const params = { w: nb.array([[1, -2], [0.5, 1]]), v: nb.array([1, 1]) };
 * const model = (p: typeof params, x: nb.Tensor) => nb.dot(p.v, nb.tanh(nb.matmul(p.w, x)));
 * const s = nb.analysis.sensitivity(model, params, nb.array([0.3, -0.2]));
 * [s.gradientNorm, s.hessianNorm, s.thirdOrder]; // three plain numbers
 * ```
 */
export function sensitivity<P, X>(
  model: (params: P, input: X) => Tensor,
  params: P,
  input: X,
  options: SensitivityOptions = {},
): SensitivityResult {
  if (typeof model !== "function")
    throw new ValueError("sensitivity: model must be a function (params, input) => output");
  const reduce = options.reduce ?? ((y: Tensor) => sum(y));
  const scalar = (x: X) => {
    const y = model(params, x);
    if (!(y instanceof Tensor))
      throw new ValueError(`sensitivity: model must return a tensor, got ${typeof y}`);
    return y.size === 1 && y.ndim === 0 ? y : reduce(y);
  };
  const { objective, x0 } = flatObjective("sensitivity", scalar, input, { jit: false });
  const { f, g } = objective.valueAndGrad(x0);
  const gradientNorm = norm(g);
  const n = objective.n;
  const u =
    gradientNorm > 0
      ? g.map((t) => t / gradientNorm)
      : Float64Array.from({ length: n }, (_, i) => +(i === 0));
  const { Hv, Tuv } = objective.hvpAndThird(x0, u, u);
  const iterations = Math.min(n, options.iterations ?? 30);
  const top = lanczosFlat("sensitivity", objective, x0, { k: 1, iterations, which: "magnitude" });
  return {
    output: f,
    gradientNorm,
    hessianNorm: Math.abs(top.values[0]),
    curvature: dot(u, Hv),
    thirdOrder: dot(u, Tuv),
    inputSize: n,
  };
}
