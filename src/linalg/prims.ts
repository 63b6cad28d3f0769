// The decomposition primitives' lax wrappers, as nb.linalg calls them.
import type { Tensor } from "../core/tensor.js";
import * as laxAll from "../primitives/lax.js";

type Fn = (...args: never[]) => unknown;
/** A wrapper of primitives/lax.ts by name (the decompositions are added there one by one). */
function wrapper<F extends Fn>(name: string): F {
  return ((...args: never[]) => {
    const f = (laxAll as unknown as Record<string, Fn | undefined>)[name];
    if (f === undefined) throw new Error(`nabla: the primitive wrapper lax.${name} is not available`);
    return f(...args);
  }) as F;
}

export { cholesky, triangularSolve } from "../primitives/lax.js";
export const lu = wrapper<(a: Tensor) => [Tensor, Tensor, Tensor]>("lu");
export const qr = wrapper<(a: Tensor, o: { fullMatrices: boolean }) => [Tensor, Tensor]>("qr");
export const eigh = wrapper<(a: Tensor, o: { lower: boolean }) => [Tensor, Tensor]>("eigh");
export const svd = wrapper<(a: Tensor, o: { fullMatrices: boolean; computeUv: boolean }) => Tensor[]>("svd");
