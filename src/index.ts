// nabla: tensors and derivatives of any order for TypeScript. This file only re-exports.
import "./interpret/eval.js";

export { Tensor, type Aval, type NestedArray } from "./core/tensor.js";
export type { DType, TypedArray } from "./core/dtype.js";
export { type TensorLike, setDefaultFloat, getDefaultFloat } from "./core/convert.js";
export { NablaError, ShapeError, DTypeError, ValueError, PytreeError, TraceError } from "./core/errors.js";
export type { Pytree } from "./core/pytree.js";
export { treeMap } from "./core/pytree.js";
export { Program } from "./core/program.js";
export {
  jvp, vjp, linearize, grad, valueAndGrad, jacfwd, jacrev, hessian, derivative, vmap, makeProgram, stopGradient,
  type GradOptions, type JacOptions, type VmapOptions,
} from "./interpret/api.js";
