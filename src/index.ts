// nabla: tensors and derivatives of any order for TypeScript. This file only re-exports.
import "./interpret/eval.js";
import "./ops/methods.js";

export * as analysis from "./analysis/index.js";
export type { Lowered, LoweredBuffers, LoweredStep, StepEngine } from "./compile/lower.js";
export { type Config, config } from "./core/config.js";
export { getDefaultFloat, setDefaultFloat, type TensorLike } from "./core/convert.js";
export type { DType, ReadonlyTypedArray, TypedArray } from "./core/dtype.js";
export { DTypeError, NablaError, PytreeError, ShapeError, TraceError, ValueError } from "./core/errors.js";
export { Program } from "./core/program.js";
export type { Pytree } from "./core/pytree.js";
export { treeMap } from "./core/pytree.js";
export { type Aval, type NestedArray, Tensor } from "./core/tensor.js";
export * as data from "./data/index.js";
export { type FloatingPointDetails, FloatingPointError } from "./debug/nans.js";
export {
  type ProfileCategory,
  ProfileReport,
  type ProfileRow,
  profile,
  type TraceEvent,
} from "./debug/profile.js";
export { checkpoint, customJvp, customVjp } from "./interpret/custom.js";
export { getBackend, setBackend } from "./interpret/eval.js";
export {
  elementwiseDerivatives,
  jet,
  type TaylorDerivativeOptions,
  taylorDerivative,
  taylorDerivatives,
} from "./interpret/jet.js";
export * as io from "./io/index.js";
export * as linalg from "./linalg/index.js";
export * as nn from "./nn/index.js";
export { type CheckGradsOptions, checkGrads, GradCheckError } from "./numeric/check-grads.js";
export * as numeric from "./numeric/index.js";
export * as lax from "./ops/control.js";
export {
  arange,
  array,
  type DTypeOption,
  eye,
  full,
  linspace,
  ones,
  onesLike,
  zeros,
  zerosLike,
} from "./ops/creation.js";
export {
  abs,
  acos,
  add,
  asin,
  astype,
  atan,
  atan2,
  ceil,
  clip,
  cos,
  cosh,
  digamma,
  div,
  elu,
  equal,
  erf,
  erfc,
  erfinv,
  exp,
  expm1,
  floor,
  gelu,
  greater,
  greaterEqual,
  leakyRelu,
  less,
  lessEqual,
  lgamma,
  log,
  log1p,
  maximum,
  minimum,
  mul,
  ndtr,
  neg,
  notEqual,
  polygamma,
  pow,
  relu,
  round,
  sigmoid,
  sign,
  sin,
  sinh,
  softplus,
  sqrt,
  square,
  sub,
  tan,
  tanh,
  where,
} from "./ops/elementwise.js";
export { diag, dot, einsum, matmul, outer, tensordot, trace } from "./ops/linalg.js";
export { logSoftmax, softmax } from "./ops/nn.js";
export * as random from "./ops/random.js";
export {
  type ArgOptions,
  argmax,
  argmin,
  cumsum,
  logSumExp,
  max,
  mean,
  min,
  type NormOptions,
  norm,
  prod,
  type ReduceOptions,
  std,
  sum,
  type VarianceOptions,
  variance,
} from "./ops/reduce.js";
export {
  broadcastTo,
  concatenate,
  expandDims,
  flip,
  matrixTranspose,
  moveaxis,
  pad,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  take,
  tile,
  transpose,
} from "./ops/shape.js";
export * as optim from "./optim/index.js";
export { Expr, parse } from "./symbolic/expr.js";
export * as symbolic from "./symbolic/index.js";
export { ParseError } from "./symbolic/parse.js";
export {
  type GradOptions,
  grad,
  hvp,
  jvp,
  linearize,
  makeProgram,
  stopGradient,
  type TensorTree,
  type VmapOptions,
  valueAndGrad,
  vjp,
  vmap,
} from "./transforms/api.js";
export {
  type DerivativeMethod,
  type DerivativeOptions,
  derivative,
  hessian,
  type JacOptions,
  jacfwd,
  jacrev,
} from "./transforms/jacobians.js";
export { type JitStats, type Jitted, jit } from "./transforms/jit.js";
export * as viz from "./viz/index.js";
