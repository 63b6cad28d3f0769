// The `nb.symbolic` namespace: formulas parsed from text, and derivative formulas traced by autodiff.
export { derivative, Expr, gradient, hessian, parse, simplify } from "./expr.js";
export { ParseError } from "./parse.js";
