// Class labels and embedding ids that are checked on their data, also when traced under jit or vmap.
import { fmtShape } from "../core/errors.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { zeros } from "../ops/creation.js";
import { add, astype, equal, greaterEqual, less, mul, where } from "../ops/elementwise.js";
import { gather, reduceSum } from "../ops/lax.js";
import { reshape } from "../ops/shape.js";

/**
 * `indices` as int32 for a table of `n` entries. Concrete indices were checked by the caller; traced ones
 * (under jit or vmap the values arrive only when the program runs) are checked by the program itself: an
 * index that is not an integer in [0, n) is sent to one the range-checked gather refuses, so the program
 * fails with `${op}: ${what} in [0, n)` instead of computing with a wrong row (or a loss of 0).
 */
export function checkedIndices(op: string, indices: Tensor, n: number, what: string): Tensor {
  const yi = astype(indices, "int32");
  if (indices instanceof ConcreteTensor) return yi;
  let ok = mul(greaterEqual(yi, 0), less(yi, n));
  if (indices.dtype !== "int32") ok = mul(ok, equal(astype(yi, indices.dtype), indices));
  const probe = gather(
    zeros([n], { dtype: "int32" }),
    reshape(where(ok, yi, n), [indices.size]),
    0,
    `${op}: ${what} in [0, ${n}) (indices ${fmtShape(indices.shape)}, checked when the traced program ran)`,
  );
  // The probe is all zeros; adding its sum keeps the check in the program (dead code is removed).
  return add(yi, reduceSum(probe, [0]));
}
