// Jet (Taylor-mode) rules: for each primitive, its output and the output's series from the inputs' series.
// The elementwise families' rules are built from their rows; the other families declare theirs with the
// primitives (reduce.ts, movement.ts, contraction.ts, structural.ts, random.ts).
import type { Prim } from "../core/primitives.js";
import { binaryTable, compareTable } from "./binary.js";
import { CONTRACTION } from "./contraction.js";
import { CONV } from "./conv.js";
import { LINALG } from "./linalg.js";
import { MOVEMENT } from "./movement.js";
import { THREEFRY } from "./random.js";
import { REDUCE } from "./reduce.js";
import { type JetRule, unary, weighted, zero } from "./series-rules.js";
import { STRUCTURAL } from "./structural.js";
import { seriesFromDerivatives, type UnaryPrim, unaryTable } from "./unary.js";

/** The rule of every primitive but custom_linear, whose rule runs the jet interpreter (in interpret/jet.ts). */
export const jetRules: { readonly [P in Exclude<Prim, "custom_linear">]: JetRule<P> } = {
  ...unaryTable((p, row): JetRule<UnaryPrim> => {
    if (row.series === "zero") return zero(p);
    if (row.series === "linear") return weighted("neg", -1) as JetRule<UnaryPrim>;
    if (row.series === "derivatives") return unary(p, seriesFromDerivatives(row.nth!));
    return unary(p, row.series);
  }),
  ...binaryTable((_p, row) => row.series),
  ...compareTable((p) => zero(p)),
  ...STRUCTURAL.jet,
  ...REDUCE.jet,
  ...CONTRACTION.jet,
  ...CONV.jet,
  ...MOVEMENT.jet,
  ...THREEFRY.jet,
  ...LINALG.jet,
};
