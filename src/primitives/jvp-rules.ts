// JVP rules: for each primitive, its output and tangent from the primals and their tangents (a null
// tangent is a symbolic zero). Rules are written with primitives, so they are differentiable themselves. The
// elementwise families' rules are built from their rows; the other families declare theirs with the
// primitives (reduce.ts, movement.ts, contraction.ts, structural.ts, random.ts).
import { NO_PARAMS, type Prim } from "../core/primitives.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { binaryTable, compareTable, mulT } from "./binary.js";
import { CONTRACTION } from "./contraction.js";
import { CONV } from "./conv.js";
import { LINALG } from "./linalg.js";
import { MOVEMENT } from "./movement.js";
import { THREEFRY } from "./random.js";
import { REDUCE } from "./reduce.js";
import { type JvpRule, linear, none } from "./rule-helpers.js";
import { STRUCTURAL } from "./structural.js";
import { type UnaryPrim, unaryTable } from "./unary.js";

export type { JvpRule, JvpRuleOf } from "./rule-helpers.js";

type T = Tensor;

/** A unary rule from the derivative f'(x), which may use the output y: dy = dx · f'(x). */
const unary =
  (p: UnaryPrim, deriv: (x: T, y: T) => T): JvpRule<UnaryPrim> =>
  ([x], [dx]) => {
    const y = bind(p, [x!], NO_PARAMS);
    return [y, mulT(dx!, deriv(x!, y))];
  };

/** Rules for piecewise-constant functions: the derivative is zero wherever it exists. */
const zero =
  (p: UnaryPrim): JvpRule<UnaryPrim> =>
  ([x]) => [bind(p, [x!], NO_PARAMS), null];

/**
 * The rule of every primitive but custom_linear, whose rule runs the JVP interpreter on its map (it lives
 * with the interpreter, in interpret/jvp.ts).
 */
export const jvpRules: { readonly [P in Exclude<Prim, "custom_linear">]: JvpRule<P> } = {
  ...unaryTable(
    (p, row): JvpRule<UnaryPrim> =>
      row.derivative === "linear"
        ? linear(p)
        : row.derivative === "zero"
          ? zero(p)
          : unary(p, row.derivative),
  ),
  ...binaryTable((_p, row) => row.jvp),
  ...compareTable((p) => none(p)),
  ...STRUCTURAL.jvp,
  ...REDUCE.jvp,
  ...CONTRACTION.jvp,
  ...CONV.jvp,
  ...MOVEMENT.jvp,
  ...THREEFRY.jvp,
  ...LINALG.jvp,
};
