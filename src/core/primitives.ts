// The closed set of primitives and the parameters each one takes. Names follow JAX's lax. The elementwise
// families are declared with their rules in src/primitives/unary.ts and src/primitives/binary.ts (binary
// primitives and comparisons), which merge their names in here.
import type { DType } from "./dtype.js";
import type { Program } from "./program.js";
import type { Aval, Tensor } from "./tensor.js";

export type NoParams = Record<string, never>;

/** Parameters of the primitives that take none: one shared frozen object, so binding allocates nothing. */
export const NO_PARAMS: NoParams = Object.freeze({});

export const REDUCE_PRIMS = ["reduce_sum", "reduce_max", "reduce_min", "reduce_prod"] as const;
export type ReducePrim = (typeof REDUCE_PRIMS)[number];

/** Parameters of every primitive; a primitive's name is a key of this interface. */
export interface PrimParams extends Record<ReducePrim, { axes: number[] }> {
  /** select_n(pred, onFalse, onTrue): elementwise choice, broadcasting all three. */
  select_n: NoParams;
  convert_element_type: { dtype: DType; weak: boolean };
  argmax: { axis: number };
  argmin: { axis: number };
  cumsum: { axis: number; reverse: boolean };
  /** Contraction: output dims are batch dims, then lhs free dims, then rhs free dims. */
  dot_general: { lhsContract: number[]; rhsContract: number[]; lhsBatch: number[]; rhsBatch: number[] };
  reshape: { shape: number[] };
  /** Operand dim i becomes output dim broadcastDims[i]; operand dims are 1 or equal to the output's. */
  broadcast_in_dim: { shape: number[]; broadcastDims: number[] };
  transpose: { perm: number[] };
  slice: { start: number[]; limit: number[] };
  pad: { lo: number[]; hi: number[] };
  concatenate: { axis: number };
  rev: { axes: number[] };
  /** gather(x, indices): take along `axis`; output shape x[:axis] ++ indices ++ x[axis+1:]. */
  gather: {
    axis: number;
    /**
     * The message for an index out of range, naming the user's operation (checked on the data by every
     * backend, so also under jit and vmap); without it the message names `gather`.
     */
    oob?: string;
  };
  /** scatter_add(updates, indices): the transpose of gather into a zero array whose `axis` has `size`. */
  scatter_add: { axis: number; size: number };
  /**
   * threefry2x32(key, count): the Threefry-2x32 generator on int32[..., 2] keys and counters (two 32-bit
   * words each), broadcasting the axes before the last; declared with its rules in primitives/random.ts.
   */
  threefry2x32: NoParams;
  /**
   * custom_linear(...residuals, ...tangents): a map linear in the tangents, given by functions (custom VJPs,
   * checkpointing). Residuals are explicit inputs so outer transformations see them. `forward` applies the
   * map (null when only reverse mode is defined); `transpose` maps an output cotangent to one cotangent per
   * tangent input. The functions must not capture traced values.
   */
  custom_linear: {
    name: string;
    nres: number;
    forward: ((residuals: Tensor[], tangents: Tensor[]) => Tensor) | null;
    transpose: (residuals: Tensor[], ct: Tensor) => (Tensor | null)[];
    out: Aval;
  };
}

export type Prim = keyof PrimParams;

/**
 * Parameters of the primitives with several outputs (JAX's `multiple_results`). They are bound with
 * `bindMulti` and have rule tables of their own, so single-output primitives keep their code paths.
 */
export interface MultiPrimParams {
  /**
   * cond(index, ...operands): runs `branches[index]` (index int32, clamped to the branches) on the operands
   * and returns its outputs. Every branch is a closed program of the same input and output avals; declared
   * with its rules in primitives/control.ts and interpret/control-*.ts.
   */
  cond: { branches: readonly Program[] };
  /**
   * jit_call(...operands): a jitted function called under a transformation (JAX's pjit): runs `program`, a
   * closed program traced once per signature, compiled. `name` is the function's, for printing. Declared
   * in primitives/jit-call.ts, its rules in interpret/jit-call.ts. `remat` (nb.checkpoint) makes
   * linearization keep only the operands and recompute the rest when the linear part runs.
   */
  jit_call: { program: Program; name: string; remat?: true };
  /**
   * scan(...consts, ...carry, ...xs): runs `body(consts, carry, x_i) → (carry, y_i)` for i over the leading
   * axis of the xs (`length` steps, last to first when `reverse`) and returns the final carry, then the ys
   * stacked on a new leading axis. Declared with its rules in primitives/loops.ts and interpret/loops.ts.
   */
  scan: { body: Program; nConsts: number; nCarry: number; length: number; reverse: boolean };
  /**
   * while(...condConsts, ...bodyConsts, ...carry): replaces the carry by `body(bodyConsts, carry)` while
   * `cond(condConsts, carry)` (a bool scalar) holds, and returns the carry.
   */
  while: { cond: Program; body: Program; nCondConsts: number; nBodyConsts: number };
}

export type MultiPrim = keyof MultiPrimParams;
/** The multi-output primitives that hold programs: their rules run interpreters (interpret/control.ts). */
export type ProgramPrim = "cond" | "jit_call" | "scan" | "while";
/**
 * The multi-output primitives that hold no program (the decompositions lu, qr, eigh and svd, declared with
 * their rules in primitives/linalg.ts, which merges their names in here): a kernel per backend and a family's
 * rule table, used by the generic multi-output path of every interpreter and of jit.
 */
export type KernelMultiPrim = Exclude<MultiPrim, ProgramPrim>;
/** Any primitive: single- or multi-output. */
export type AnyPrim = Prim | MultiPrim;

const PROGRAM_PRIMS: ReadonlySet<string> = new Set<ProgramPrim>(["cond", "jit_call", "scan", "while"]);
const KERNEL_MULTI_PRIMS: ReadonlySet<string> = new Set<KernelMultiPrim>(["lu", "qr", "eigh", "svd"]);
export const MULTI_PRIMS: ReadonlySet<string> = new Set([...PROGRAM_PRIMS, ...KERNEL_MULTI_PRIMS]);
/** Whether `p` has several outputs (bound with `bindMulti`). */
export const isMulti = (p: AnyPrim): p is MultiPrim => MULTI_PRIMS.has(p);
/** Whether the multi-output primitive `p` holds no program (it runs a backend kernel). */
export const isKernelMulti = (p: MultiPrim): p is KernelMultiPrim => KERNEL_MULTI_PRIMS.has(p);
