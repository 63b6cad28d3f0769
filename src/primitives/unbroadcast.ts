// The one place broadcasting adjoints live: summing a cotangent back to the shape of the operand.
import { type Shape, shapesEqual } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { reduceSum, reshape } from "./lax.js";

/** Sums `ct` (shaped like a broadcast result) over the dimensions that broadcasting added to `shape`. */
export function unbroadcast(ct: Tensor, shape: Shape): Tensor {
  const cs = ct.aval.shape;
  if (shapesEqual(cs, shape)) return ct;
  const lead = cs.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < cs.length; i++) if (i < lead || (shape[i - lead] === 1 && cs[i] !== 1)) axes.push(i);
  return reshape(reduceSum(ct, axes), shape);
}
