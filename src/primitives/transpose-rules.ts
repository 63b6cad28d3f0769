// Transpose rules: for each primitive that can be linear in an argument, the cotangents of its linear
// arguments from the output's cotangent (arguments it is linear in are given by their abstract values). The
// elementwise families' rules come from their rows; the other families declare theirs with the primitives
// (reduce.ts, movement.ts, contraction.ts, structural.ts).
import type { PrimParams } from "../core/primitives.js";
import { LINEAR_BINARY_PRIMS, linearBinaryTable } from "./binary.js";
import { CONTRACTION } from "./contraction.js";
import { CONV } from "./conv.js";
import * as lax from "./lax.js";
import { LINALG } from "./linalg.js";
import { MOVEMENT } from "./movement.js";
import { THREEFRY } from "./random.js";
import { REDUCE } from "./reduce.js";
import type { TransposeRuleOf } from "./rule-helpers.js";
import { STRUCTURAL } from "./structural.js";
import { type Arg, isLin } from "./unbroadcast.js";

export type { Ct } from "./rule-helpers.js";
export { type Arg, isLin };

export const LINEAR_PRIMS = [
  "neg",
  ...LINEAR_BINARY_PRIMS,
  "select_n",
  "convert_element_type",
  "reduce_sum",
  "cumsum",
  "dot_general",
  "conv",
  "reshape",
  "broadcast_in_dim",
  "transpose",
  "slice",
  "pad",
  "concatenate",
  "rev",
  "gather",
  "scatter_add",
  "custom_linear",
  "triangular_solve",
] as const;
export type LinearPrim = (typeof LINEAR_PRIMS)[number];

export type TransposeRule<P extends LinearPrim> = TransposeRuleOf<PrimParams[P]>;

export const transposeRules: { readonly [P in LinearPrim]: TransposeRule<P> } = {
  neg: (ct) => [lax.neg(ct)],
  ...linearBinaryTable((_p, row) => row.transpose),
  ...STRUCTURAL.transpose,
  ...REDUCE.transpose,
  ...CONTRACTION.transpose,
  ...CONV.transpose,
  ...MOVEMENT.transpose,
  ...THREEFRY.transpose,
  ...LINALG.transpose,
};
