// The one place broadcasting adjoints live: summing a cotangent back to the shape of the operand; and the
// arguments of transpose rules, known values or abstract values of the linear ones.
import { type Shape, shapesEqual } from "../core/shape.js";
import { type Aval, Tensor } from "../core/tensor.js";
import { reduceSum, reshape } from "./lax.js";

/**
 * An argument of a transpose rule: a known value, or the abstract value of an argument the equation is linear
 * in (its value is unknown).
 */
export type Arg = Tensor | Aval;

export const isLin = (a: Arg | undefined): a is Aval => a !== undefined && !(a instanceof Tensor);
export const avalOf = (a: Arg): Aval => (a instanceof Tensor ? a.aval : a);
export const shapeOf = (a: Arg) => avalOf(a).shape;

/** Sums `ct` (shaped like a broadcast result) over the dimensions that broadcasting added to `shape`. */
export function unbroadcast(ct: Tensor, shape: Shape): Tensor {
  const cs = ct.aval.shape;
  if (shapesEqual(cs, shape)) return ct;
  const lead = cs.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < cs.length; i++) if (i < lead || (shape[i - lead] === 1 && cs[i] !== 1)) axes.push(i);
  return reshape(reduceSum(ct, axes), shape);
}
