// Checks on data that also run when the data is traced (under jit or vmap the values arrive only when the
// compiled program runs): class labels, embedding ids, label sets.
import { fmtShape } from "../core/errors.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { zeros } from "../ops/creation.js";
import { add, astype, equal, greaterEqual, less, mul, where } from "../ops/elementwise.js";
import { reshape } from "../ops/shape.js";
import { gather, reduceSum } from "../primitives/lax.js";

/**
 * An int32 zero that the program computes from `ok` (a bool tensor) through a range-checked gather: when
 * the program runs and any entry of `ok` is false, it fails with `message`. Add the result into a value the
 * caller returns, so dead-code elimination keeps the check.
 */
export function checkOnData(ok: Tensor, message: string): Tensor {
  const probe = gather(
    zeros([1], { dtype: "int32" }),
    reshape(astype(where(ok, 0, 1), "int32"), [ok.size]),
    0,
    message,
  );
  return reduceSum(probe, [0]);
}

/**
 * `indices` as int32 for a table of `n` entries. Concrete indices were checked by the caller; traced ones
 * are checked by the program itself, so an index that is not an integer in [0, n) fails with
 * `${op}: ${what} in [0, n)` instead of computing with a wrong row (or a loss of 0).
 */
export function checkedIndices(op: string, indices: Tensor, n: number, what: string): Tensor {
  const yi = astype(indices, "int32");
  if (indices instanceof ConcreteTensor) return yi;
  let ok = mul(greaterEqual(yi, 0), less(yi, n));
  if (indices.dtype !== "int32") ok = mul(ok, equal(astype(yi, indices.dtype), indices));
  const msg = `${op}: ${what} in [0, ${n}) (indices ${fmtShape(indices.shape)}, checked when the traced program ran)`;
  return add(yi, checkOnData(ok, msg));
}
