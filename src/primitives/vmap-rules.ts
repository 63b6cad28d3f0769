// Batching rules: for each primitive, its output and the output's batch dimension from batched inputs. The
// elementwise families' rules are built from their rows; the other families declare theirs with the
// primitives (reduce.ts, movement.ts, contraction.ts, structural.ts, random.ts).
import type { Prim } from "../core/primitives.js";
import { binaryTable, compareTable } from "./binary.js";
import { CONTRACTION } from "./contraction.js";
import { CONV } from "./conv.js";
import { LINALG } from "./linalg.js";
import { MOVEMENT } from "./movement.js";
import { THREEFRY } from "./random.js";
import { REDUCE } from "./reduce.js";
import { batchUnary, elementwise, type VmapRule } from "./rule-helpers.js";
import { STRUCTURAL } from "./structural.js";
import { unaryTable } from "./unary.js";

export type { VmapRule, VmapRuleOf } from "./rule-helpers.js";

export const vmapRules: { readonly [P in Prim]: VmapRule<P> } = {
  ...unaryTable((p) => batchUnary(p)),
  ...binaryTable((p) => elementwise(p)),
  ...compareTable((p) => elementwise(p)),
  ...STRUCTURAL.vmap,
  ...REDUCE.vmap,
  ...CONTRACTION.vmap,
  ...CONV.vmap,
  ...MOVEMENT.vmap,
  ...THREEFRY.vmap,
  ...LINALG.vmap,
};
