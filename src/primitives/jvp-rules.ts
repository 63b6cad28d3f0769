// JVP rules: for each primitive, its output and tangent from the primals and their tangents (a null
// tangent is a symbolic zero). Rules are written with primitives, so they are differentiable themselves.
import { isFloat } from "../core/dtype.js";
import { NO_PARAMS, type Prim, type PrimParams } from "../core/primitives.js";
import { range } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import { addT, binaryTable, compareTable, mulT } from "./binary.js";
import * as lax from "./lax.js";
import { type UnaryPrim, unaryTable } from "./unary.js";

type T = Tensor;
type Tan = Tensor | null;

export type JvpRuleOf<Params> = (primals: T[], tangents: Tan[], params: Params) => [T, Tan];
export type JvpRule<P extends Prim> = JvpRuleOf<PrimParams[P]>;

const one = (x: T) => lax.scalarLike(x, 1);

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

/** A rule for primitives linear in every float argument: apply the primitive to the tangents. */
const linear =
  <P extends Prim>(p: P): JvpRule<P> =>
  (xs, ts, params) => {
    const out = bind(p, xs, params);
    const tanArgs = ts.map((t, i) => t ?? (isFloat(xs[i]!.aval.dtype) ? lax.zerosLike(xs[i]!) : xs[i]!));
    return [out, bind(p, tanArgs, params)];
  };

/** Rules for functions with no derivative (integer or bool outputs). */
const none =
  <P extends Prim>(p: P): JvpRule<P> =>
  (xs, _ts, params) => [bind(p, xs, params), null];

const reduceExtremum =
  (p: "reduce_max" | "reduce_min"): JvpRuleOf<{ axes: number[] }> =>
  ([x], [dx], params) => {
    const y = bind(p, [x!], params);
    const kept = range(x!.aval.shape.length).filter((i) => !params.axes.includes(i));
    // Ties share the derivative equally, as in JAX.
    const mask = lax.convert(
      lax.eq(x!, lax.broadcastInDim(y, x!.aval.shape, kept)),
      x!.aval.dtype,
      x!.aval.weak,
    );
    const count = lax.reduceSum(mask, params.axes);
    return [y, lax.div(lax.reduceSum(lax.mul(dx!, mask), params.axes), count)];
  };

// prod over one axis: d prod = Σ_i dx_i Π_{j≠i} x_j; Π_{j≠i} is a product with x_i replaced by 1.
const reduceProdRule: JvpRule<"reduce_prod"> = ([x], [dx], params) => {
  const y = bind("reduce_prod", [x!], params);
  const shape = x!.aval.shape;
  const kept = range(shape.length).filter((i) => !params.axes.includes(i));
  const n = params.axes.reduce((k, a) => k * shape[a]!, 1);
  const keptShape = kept.map((i) => shape[i]!);
  const flat = (t: T) => lax.reshape(lax.transpose(t, [...kept, ...params.axes]), [...keptShape, n]);
  const xf = flat(x!);
  const eye = lax.eq(lax.reshape(lax.fullIota(n), [n, 1]), lax.reshape(lax.fullIota(n), [1, n]));
  const k = keptShape.length;
  const rows = lax.broadcastInDim(xf, [...keptShape, n, n], [...range(k), k + 1]);
  const others = lax.reduceProd(lax.select(eye, one(x!), rows), [k + 1]);
  return [y, lax.reduceSum(lax.mul(flat(dx!), others), [k])];
};

function dotRule([x, y]: T[], [dx, dy]: Tan[], params: PrimParams["dot_general"]): [T, Tan] {
  const out = lax.dotGeneral(x!, y!, params);
  return [out, addT(dx && lax.dotGeneral(dx, y!, params), dy && lax.dotGeneral(x!, dy, params))];
}

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
  select_n: ([p, f, t], [, df, dt]) => {
    const out = bind("select_n", [p!, f!, t!], NO_PARAMS);
    return [out, bind("select_n", [p!, df ?? lax.zerosLike(f!), dt ?? lax.zerosLike(t!)], NO_PARAMS)];
  },
  convert_element_type: ([x], [dx], params) => [
    bind("convert_element_type", [x!], params),
    dx && isFloat(params.dtype) ? lax.convert(dx, params.dtype, params.weak) : null,
  ],
  reduce_sum: linear("reduce_sum"),
  reduce_max: reduceExtremum("reduce_max"),
  reduce_min: reduceExtremum("reduce_min"),
  reduce_prod: reduceProdRule,
  argmax: none("argmax"),
  argmin: none("argmin"),
  cumsum: linear("cumsum"),
  dot_general: dotRule,
  reshape: linear("reshape"),
  broadcast_in_dim: linear("broadcast_in_dim"),
  transpose: linear("transpose"),
  slice: linear("slice"),
  pad: linear("pad"),
  concatenate: linear("concatenate"),
  rev: linear("rev"),
  gather: ([x, idx], [dx], params) => [
    lax.gather(x!, idx!, params.axis, params.oob),
    dx && lax.gather(dx, idx!, params.axis, params.oob),
  ],
  scatter_add: ([u, idx], [du], params) => [
    lax.scatterAdd(u!, idx!, params.axis, params.size),
    du && lax.scatterAdd(du, idx!, params.axis, params.size),
  ],
  // Random bits are integers: no tangent, whatever the key.
  threefry2x32: none("threefry2x32"),
};
