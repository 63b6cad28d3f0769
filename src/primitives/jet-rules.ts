import { isFloat } from "../core/dtype.js";
import type { Prim } from "../core/primitives.js";
import { bind } from "../core/trace.js";
import * as lax from "./lax.js";
import { full, lincomb, mulSeries, quotient } from "./series.js";
import {
  atan2Rule,
  dotRule,
  extremumRule,
  isScalar,
  type JetRule,
  linearFull,
  powRule,
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
  add: weighted("add", 1, 1),
  sub: weighted("sub", 1, -1),
  mul: ([x, y], [u, v]) => {
    const out = lax.mul(x!, y!);
    return [out, mulSeries(u!, v!, out)];
  },
  div: ([x, y], [u, v], _p, order) => {
    const out = lax.div(x!, y!);
    return [out, quotient(order, out.aval, u!.at, v!.at, out, 1, v!.isConstant)];
  },
  pow: powRule,
  max: ([x, y], [u, v], _p, order) => extremumRule(lax.max(x!, y!), lax.gt(x!, y!), x!, y!, u!, v!, order),
  min: ([x, y], [u, v], _p, order) => extremumRule(lax.min(x!, y!), lax.lt(x!, y!), x!, y!, u!, v!, order),
  atan2: atan2Rule,
  // As in the JVP rule: constant in its whole-number order n, the next polygamma in x.
  polygamma: ([n, x], [, u], _p, order) => {
    const out = lax.polygamma(n!, x!);
    if (u!.isConstant) return [out, null];
    return [
      out,
      seriesFromDerivatives((x, k) => lax.polygamma(lax.add(n!, lax.scalarLike(n!, k)), x))(
        x!,
        u!,
        out,
        order,
      ),
    ];
  },
  eq: zero("eq"),
  ne: zero("ne"),
  lt: zero("lt"),
  le: zero("le"),
  gt: zero("gt"),
  ge: zero("ge"),
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
