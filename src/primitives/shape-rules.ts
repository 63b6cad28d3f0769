// Shape and dtype rules: the abstract value each primitive produces. Used by staging, partial evaluation
// and eager evaluation alike, so a shape error reads the same everywhere. The elementwise families' rules are
// built from their rows; the other families declare theirs with the primitives (reduce.ts, movement.ts,
// contraction.ts, structural.ts, random.ts).

import { checkTensorSize, settings } from "../core/config.js";
import { isFloat } from "../core/dtype.js";
import { DTypeError } from "../core/errors.js";
import type { KernelMultiPrim, MultiPrim, MultiPrimParams, Prim, PrimParams } from "../core/primitives.js";
import { broadcastShapes, shapesEqual } from "../core/shape.js";
import type { Aval } from "../core/tensor.js";
import { binaryTable, compareTable } from "./binary.js";
import { CONTRACTION } from "./contraction.js";
import { condShape } from "./control.js";
import { CONV } from "./conv.js";
import { jitCallShape } from "./jit-call.js";
import { LINALG, LINALG_MULTI } from "./linalg.js";
import { scanShape, whileShape } from "./loops.js";
import { MOVEMENT } from "./movement.js";
import { THREEFRY } from "./random.js";
import { REDUCE } from "./reduce.js";
import { allWeak, type ShapeRule, type ShapeRuleOf, sameDtype } from "./rule-helpers.js";
import { STRUCTURAL } from "./structural.js";
import { unaryTable } from "./unary.js";

type NoParams = Record<string, never>;

const floatUnary: ShapeRuleOf<NoParams> = ([x]) => {
  if (!isFloat(x!.dtype)) throw new DTypeError(`expects a float input, got ${x!.dtype}`);
  return x!;
};
const anyUnary: ShapeRuleOf<NoParams> = ([x]) => x!;

const binary =
  (op: string): ShapeRuleOf<NoParams> =>
  (avals) => {
    sameDtype(op, avals);
    const [a, b] = avals as [Aval, Aval];
    // Same shape and weakness (the common case, scalars included): the operand's aval is the result's.
    if (a.weak === b.weak && shapesEqual(a.shape, b.shape)) return a;
    return {
      shape: broadcastShapes(op, avals[0]!.shape, avals[1]!.shape),
      dtype: avals[0]!.dtype,
      weak: allWeak(avals),
    };
  };

const compare =
  (op: string): ShapeRuleOf<NoParams> =>
  (avals) => {
    sameDtype(op, avals);
    return { shape: broadcastShapes(op, avals[0]!.shape, avals[1]!.shape), dtype: "bool", weak: false };
  };

export const shapeRules: { readonly [P in Prim]: ShapeRule<P> } = {
  ...unaryTable((_p, row) => (row.accepts === "float" ? floatUnary : anyUnary)),
  ...binaryTable((_p, row) => binary(row.name)),
  ...compareTable((_p, row) => compare(row.name)),
  ...STRUCTURAL.shape,
  ...REDUCE.shape,
  ...CONTRACTION.shape,
  ...CONV.shape,
  ...MOVEMENT.shape,
  ...THREEFRY.shape,
  ...LINALG.shape,
};

// Every primitive application looks its rule up: a Map by name is cheaper than a keyed read of the table.
const ruleOf = new Map(Object.entries(shapeRules)) as ReadonlyMap<Prim, ShapeRuleOf<unknown>>;

/** The abstract output of `prim` on inputs `avals`. */
export function abstractEval<P extends Prim>(prim: P, avals: readonly Aval[], params: PrimParams[P]): Aval {
  const out = ruleOf.get(prim)!(avals, params);
  // Every tensor any primitive makes passes here first: refuse one too large to allocate, naming the op.
  const shape = out.shape;
  if (shape.length > 0) {
    let n = 1;
    for (let i = 0; i < shape.length; i++) n *= shape[i]!;
    if (n * 8 > settings.maxTensorBytes) checkTensorSize(prim, shape, out.dtype);
  }
  return out;
}

/** The shape rules of the primitives with several outputs. */
export const multiShapeRules: {
  readonly [P in MultiPrim]: (avals: readonly Aval[], params: MultiPrimParams[P]) => Aval[];
} = {
  cond: condShape,
  jit_call: jitCallShape,
  scan: scanShape,
  while: whileShape,
  // The decompositions' (primitives/linalg.ts), one per name of the family.
  ...(Object.fromEntries(Object.entries(LINALG_MULTI).map(([p, r]) => [p, r.shape])) as {
    readonly [P in KernelMultiPrim]: (avals: readonly Aval[], params: MultiPrimParams[P]) => Aval[];
  }),
};

/** The abstract outputs of a multi-output primitive on inputs `avals`. */
export function abstractEvalMulti<P extends MultiPrim>(
  prim: P,
  avals: readonly Aval[],
  params: MultiPrimParams[P],
): Aval[] {
  const outs = multiShapeRules[prim](avals, params);
  for (const a of outs) {
    const n = a.shape.reduce((x, y) => x * y, 1);
    if (n * 8 > settings.maxTensorBytes) checkTensorSize(prim, a.shape, a.dtype);
  }
  return outs;
}

// Argument lists reused by abstractEvalOf for one and two inputs (nearly every application). Safe because
// shape rules read the list synchronously, keep no reference to it and never evaluate anything themselves.
const UNSET: Aval = { shape: [], dtype: "float32", weak: false };
const one: Aval[] = [UNSET];
const two: Aval[] = [UNSET, UNSET];

/**
 * The abstract output of `prim` on inputs that carry abstract values (tensors, program variables), without
 * allocating a list of them for the common arities.
 */
export function abstractEvalOf<P extends Prim>(
  prim: P,
  inputs: readonly { readonly aval: Aval }[],
  params: PrimParams[P],
): Aval {
  const n = inputs.length;
  if (n === 1) {
    one[0] = inputs[0]!.aval;
    return abstractEval(prim, one, params);
  }
  if (n === 2) {
    two[0] = inputs[0]!.aval;
    two[1] = inputs[1]!.aval;
    return abstractEval(prim, two, params);
  }
  return abstractEval(
    prim,
    inputs.map((x) => x.aval),
    params,
  );
}
