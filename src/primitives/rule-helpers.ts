// What the families' rule tables share: the rule types of each interpreter, the record of a family's rules,
// and the small factories several families use (dtype agreement, linear and tangent-free JVPs, batch-axis
// bookkeeping). Family files import from here; the per-rule assemblers import the families.
import { isFloat } from "../core/dtype.js";
import { DTypeError } from "../core/errors.js";
import type { KernelMultiPrim, MultiPrimParams, Prim, PrimParams } from "../core/primitives.js";
import { range } from "../core/shape.js";
import type { Aval, Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import * as lax from "./lax.js";
import type { Series } from "./series.js";
import type { JetRule } from "./series-rules.js";
import type { Arg } from "./unbroadcast.js";

type T = Tensor;
type Tan = Tensor | null;
export type Dim = number | null;
export type Ct = Tensor | null;

/** A shape rule: the abstract value a primitive produces from its inputs' abstract values. */
export type ShapeRuleOf<Params> = (avals: readonly Aval[], params: Params) => Aval;
export type ShapeRule<P extends Prim> = ShapeRuleOf<PrimParams[P]>;

/** A JVP rule: output and tangent from the primals and their tangents (a null tangent is a symbolic zero). */
export type JvpRuleOf<Params> = (primals: T[], tangents: Tan[], params: Params) => [T, Tan];
export type JvpRule<P extends Prim> = JvpRuleOf<PrimParams[P]>;

/** A batching rule: output and its batch dimension from the inputs and theirs (null: not batched). */
export type VmapRuleOf<Params> = (vals: T[], dims: Dim[], params: Params, size: number) => [T, Dim];
export type VmapRule<P extends Prim> = VmapRuleOf<PrimParams[P]>;

/**
 * A transpose rule: the cotangents of the arguments the primitive is linear in (given by their abstract
 * values) from the output's cotangent.
 */
export type TransposeRuleOf<Params> = (ct: Tensor, args: Arg[], params: Params) => Ct[];

/**
 * Every rule of a family of primitives `P`, one table per interpreter, `L` being those linear in an argument.
 * custom_linear's JVP and jet rules run interpreters, so they live in interpret/.
 */
export interface FamilyRules<P extends Prim, L extends P = never> {
  readonly shape: { readonly [Q in P]: ShapeRule<Q> };
  readonly jvp: { readonly [Q in Exclude<P, "custom_linear">]: JvpRule<Q> };
  readonly vmap: { readonly [Q in P]: VmapRule<Q> };
  readonly jet: { readonly [Q in Exclude<P, "custom_linear">]: JetRule<Q> };
  readonly transpose: { readonly [Q in L]: TransposeRuleOf<PrimParams[Q]> };
}

/**
 * The rules of a multi-output primitive that holds no program (lu, qr, eigh, svd): its shape rule, JVP and
 * batching rule, and its Taylor rule or null (then the jet interpreter takes the series from nested forward
 * mode, interpret/control.ts). None is linear in an argument. Merged into the multi-output tables by
 * shape-rules.ts and interpret/control.ts; the kernels are the backends' `multiKernels`.
 */
export interface MultiRule<Params> {
  readonly shape: (avals: readonly Aval[], params: Params) => Aval[];
  readonly jvp: (primals: T[], tangents: Tan[], params: Params) => [T[], Tan[]];
  readonly vmap: (vals: T[], dims: Dim[], params: Params, size: number) => [T[], Dim[]];
  readonly jet:
    | ((primals: T[], series: (Series | null)[], params: Params, order: number) => [T[], (Series | null)[]])
    | null;
}
/** The rules of a family of multi-output primitives without programs, one record per primitive. */
export type MultiFamilyRules<P extends KernelMultiPrim> = {
  readonly [Q in P]: MultiRule<MultiPrimParams[Q]>;
};

export const allWeak = (avals: readonly Aval[]) => avals.every((a) => a.weak);

export function sameDtype(op: string, avals: readonly Aval[]): void {
  const d = avals[0]!.dtype;
  for (const a of avals)
    if (a.dtype !== d)
      throw new DTypeError(
        `${op}: operands have dtypes ${avals.map((x) => x.dtype).join(" and ")}; convert them to one dtype first`,
      );
}

/** A JVP rule for primitives linear in every float argument: apply the primitive to the tangents. */
export const linear =
  <P extends Prim>(p: P): JvpRule<P> =>
  (xs, ts, params) => {
    const out = bind(p, xs, params);
    const tanArgs = ts.map((t, i) => t ?? (isFloat(xs[i]!.aval.dtype) ? lax.zerosLike(xs[i]!) : xs[i]!));
    return [out, bind(p, tanArgs, params)];
  };

/** JVP rules for functions with no derivative (integer or bool outputs). */
export const none =
  <P extends Prim>(p: P): JvpRule<P> =>
  (xs, _ts, params) => [bind(p, xs, params), null];

/** Moves the batch dimension to the front, materialising it (by broadcasting) when there is none. */
export function toFront(x: T, d: Dim, size: number): T {
  if (d !== null) return lax.moveAxis(x, d, 0);
  return lax.broadcastInDim(x, [size, ...x.aval.shape], range(x.aval.shape.length, 1));
}

/** Position of logical axis `a` in a value whose batch dimension is at `d`. */
export const phys = (a: number, d: number) => (a < d ? a : a + 1);

/** Batching one-operand primitives that act on each element alone: the batch dimension stays where it is. */
export const batchUnary =
  <P extends Prim>(p: P): VmapRule<P> =>
  ([x], [d], params) => [bind(p, [x!], params), d!];

/** Broadcasting elementwise primitives: batch dims to the front, batched operands padded to a common rank. */
export const elementwise =
  <P extends Prim>(p: P): VmapRule<P> =>
  (xs, dims, params) => {
    const rank = Math.max(...xs.map((x, i) => x.aval.shape.length - (dims[i] === null ? 0 : 1)));
    const args = xs.map((x, i) => {
      const d = dims[i]!;
      if (d === null) return x;
      const front = lax.moveAxis(x, d, 0);
      const s = front.aval.shape;
      const pad = rank - (s.length - 1);
      return pad === 0
        ? front
        : lax.reshape(front, [s[0]!, ...new Array<number>(pad).fill(1), ...s.slice(1)]);
    });
    return [bind(p, args, params), 0];
  };

/** Any primitive, one batch member at a time: correct for everything, used where no faster rule exists. */
export const loop =
  <P extends Prim>(p: P): VmapRule<P> =>
  (xs, dims, params, size) => {
    const outs: T[] = [];
    for (let b = 0; b < size; b++) {
      const args = xs.map((x, i) => {
        const d = dims[i]!;
        if (d === null) return x;
        const s = x.aval.shape;
        const start = s.map((_, j) => (j === d ? b : 0));
        const limit = s.map((n, j) => (j === d ? b + 1 : n));
        return lax.reshape(
          lax.slice(x, start, limit),
          s.filter((_, j) => j !== d),
        );
      });
      const o = bind(p, args, params);
      outs.push(lax.reshape(o, [1, ...o.aval.shape]));
    }
    return [lax.concatenate(outs, 0), 0];
  };
