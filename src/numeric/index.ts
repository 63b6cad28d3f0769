// The nb.numeric namespace: numerical differentiation by finite differences, with error estimates.
export {
  type ErrorCurveOptions,
  type ErrorCurveResult,
  type ErrorCurves,
  errorCurve,
} from "./error-curve.js";
export {
  best,
  type DerivativeOptions,
  type DerivativeResult,
  type DiffMethod,
  type DiffOptions,
  derivative,
  gradient,
  hessian,
  jacobian,
  type ScalarFn,
  type TensorDiffResult,
  type TensorFn,
} from "./finite-diff.js";
export { fornbergWeights, type Method, type Stencil, stencil } from "./stencil.js";
