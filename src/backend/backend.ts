// The Backend interface: how primitives run on concrete data. Transformations never see it.
import type { TypedArray } from "../core/dtype.js";
import type { KernelMultiPrim, MultiPrimParams, Prim, PrimParams } from "../core/primitives.js";
import type { Aval, ConcreteTensor } from "../core/tensor.js";

/** One kernel: concrete inputs, the primitive's parameters and the output's abstract value in, data out. */
export type KernelOf<Params> = (inputs: readonly ConcreteTensor[], params: Params, out: Aval) => TypedArray;
export type Kernel<P extends Prim> = KernelOf<PrimParams[P]>;

/** Every primitive's kernel. A backend that misses one does not compile. */
export type KernelTable = { readonly [P in Prim]: Kernel<P> };

/**
 * The kernel of a multi-output primitive without a program (lu, qr, eigh, svd): concrete inputs, parameters
 * and the outputs' abstract values in, one array per output out.
 */
export type MultiKernelOf<Params> = (
  inputs: readonly ConcreteTensor[],
  params: Params,
  outs: readonly Aval[],
) => TypedArray[];
export type MultiKernelTable = { readonly [P in KernelMultiPrim]: MultiKernelOf<MultiPrimParams[P]> };

export interface Backend {
  readonly name: string;
  readonly kernels: KernelTable;
  readonly multiKernels: MultiKernelTable;
}
