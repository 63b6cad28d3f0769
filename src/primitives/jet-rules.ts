import { isFloat } from "../core/dtype.js";
import type { Prim } from "../core/primitives.js";
import { bind } from "../core/trace.js";
import { binaryTable, compareTable } from "./binary.js";
import * as lax from "./lax.js";
import { full, lincomb } from "./series.js";
import {
  dotRule,
  isScalar,
  type JetRule,
  linearFull,
  reduceExtremum,
  reduceProdRule,
  structural,
  termwise,
  unary,
  weighted,
  zero,
} from "./series-rules.js";
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
  // Linear in the two branches.
  select_n: ([p, f, t], [, sf, st], _p, order) => {
    const out = bind("select_n", [p!, f!, t!], {});
    const z = lax.scalarLike(out.aval, 0);
    return [out, termwise(order, out, [sf!, st!], ([a, b]) => bind("select_n", [p!, a ?? z, b ?? z], {}))];
  },
  convert_element_type: ([x], [u], params, order) => {
    const out = bind("convert_element_type", [x!], params);
    if (!isFloat(params.dtype)) return [out, null];
    return [out, termwise(order, out, [u!], ([t]) => lax.convert(t!, params.dtype, params.weak))];
  },
  reduce_sum: ([x], [u], params, order) => {
    const out = bind("reduce_sum", [x!], params);
    const count = params.axes.reduce((k, a) => k * x!.aval.shape[a]!, 1);
    return [
      out,
      termwise(order, out, [u!], ([t]) =>
        isScalar(t!) ? lincomb(out.aval, [[count, t!]]) : lax.reduceSum(full(t!, x!.aval), params.axes),
      ),
    ];
  },
  reduce_max: reduceExtremum("reduce_max"),
  reduce_min: reduceExtremum("reduce_min"),
  reduce_prod: reduceProdRule,
  argmax: zero("argmax"),
  argmin: zero("argmin"),
  cumsum: linearFull("cumsum"),
  dot_general: dotRule,
  reshape: structural("reshape"),
  broadcast_in_dim: structural("broadcast_in_dim"),
  transpose: structural("transpose"),
  slice: structural("slice"),
  pad: linearFull("pad"),
  concatenate: (xs, ss, params, order) => {
    const out = bind("concatenate", xs, params);
    return [
      out,
      termwise(order, out, ss, (ts) =>
        lax.concatenate(
          ts.map((t, i) => (t === null ? lax.zerosLike(xs[i]!) : full(t, xs[i]!.aval))),
          params.axis,
        ),
      ),
    ];
  },
  rev: structural("rev"),
  gather: ([x, idx], [u], params, order) => {
    const out = lax.gather(x!, idx!, params.axis, params.oob);
    return [
      out,
      termwise(order, out, [u!], ([t]) =>
        isScalar(t!) ? t : lax.gather(full(t!, x!.aval), idx!, params.axis, params.oob),
      ),
    ];
  },
  scatter_add: linearFull("scatter_add"),
  threefry2x32: zero("threefry2x32"),
};
