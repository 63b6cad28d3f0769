// The reductions (sum, max, min, product, arg-extrema, cumulative sum) and every rule of theirs: shape,
// JVP, batching, Taylor series and transpose. Kernels live in the backends.
import type { ReducePrim } from "../core/primitives.js";
import { range } from "../core/shape.js";
import type { Aval, Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import * as lax from "./lax.js";
import {
  type FamilyRules,
  type JvpRule,
  type JvpRuleOf,
  linear,
  none,
  phys,
  type ShapeRuleOf,
  type VmapRuleOf,
} from "./rule-helpers.js";
import { full, lincomb, mulSeries, once, Series } from "./series.js";
import { isScalar, type JetRule, type JetRuleOf, linearFull, one, termwise, zero } from "./series-rules.js";
import { shapeOf } from "./unbroadcast.js";

type T = Tensor;

export type ReduceFamilyPrim = ReducePrim | "argmax" | "argmin" | "cumsum";

const reduceShape: ShapeRuleOf<{ axes: number[] }> = ([x], { axes }) => ({
  shape: x!.shape.filter((_, i) => !axes.includes(i)),
  dtype: x!.dtype,
  weak: x!.weak,
});

const argReduceShape: ShapeRuleOf<{ axis: number }> = ([x], { axis }) => ({
  shape: x!.shape.filter((_, i) => i !== axis),
  dtype: "int32",
  weak: false,
});

const reduceExtremumJvp =
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
const reduceProdJvp: JvpRule<"reduce_prod"> = ([x], [dx], params) => {
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

const reduceVmap =
  (p: ReducePrim): VmapRuleOf<{ axes: number[] }> =>
  ([x], [d], { axes }) => {
    const pa = axes.map((a) => phys(a, d!));
    return [bind(p, [x!], { axes: pa }), d! - pa.filter((a) => a < d!).length];
  };

const argReduceVmap =
  (p: "argmax" | "argmin"): VmapRuleOf<{ axis: number }> =>
  ([x], [d], { axis }) => {
    const pa = phys(axis, d!);
    return [bind(p, [x!], { axis: pa }), pa < d! ? d! - 1 : d!];
  };

/** reduce_max / reduce_min: the series of the extremal element; ties share it equally, as the JVP does. */
const reduceExtremumSeries =
  (p: "reduce_max" | "reduce_min"): JetRuleOf<{ axes: number[] }> =>
  ([x], [u], params, order) => {
    const y = bind(p, [x!], params);
    const kept = range(x!.aval.shape.length).filter((i) => !params.axes.includes(i));
    const weight = once(() => {
      const at = lax.eq(x!, lax.broadcastInDim(y, x!.aval.shape, kept));
      const mask = lax.convert(at, x!.aval.dtype, x!.aval.weak);
      return lax.div(mask, lax.broadcastInDim(lax.reduceSum(mask, params.axes), x!.aval.shape, kept));
    });
    return [
      y,
      termwise(order, y, [u!], ([t]) =>
        isScalar(t!) ? t : lax.reduceSum(lax.mul(full(t!, x!.aval), weight()), params.axes),
      ),
    ];
  };

// Π over the reduced axes as a balanced tree of Leibniz products: exact where factors are zero, O(K² log n)
// operations.
const reduceProdSeries: JetRule<"reduce_prod"> = ([x], [u], params, order) => {
  const y = bind("reduce_prod", [x!], params);
  const shape = x!.aval.shape;
  const kept = range(shape.length).filter((i) => !params.axes.includes(i));
  const keptShape = kept.map((i) => shape[i]!);
  const n = params.axes.reduce((k, a) => k * shape[a]!, 1);
  if (n === 0) return [y, null];
  const r = keptShape.length;
  const avalOf = (len: number): Aval => ({ ...x!.aval, shape: [...keptShape, len] });
  const flat = (t: T) =>
    lax.reshape(lax.transpose(full(t, x!.aval), [...kept, ...params.axes]), [...keptShape, n]);
  const part = (s: Series, lo: number, hi: number) =>
    Series.direct(order, avalOf(hi - lo), undefined, (k) => {
      const t = s.term(k);
      return t && lax.slice(t, [...new Array<number>(r).fill(0), lo], [...keptShape, hi]);
    });
  let s = Series.direct(
    order,
    avalOf(n),
    () => flat(x!),
    (k) => {
      const t = u!.term(k);
      return t && flat(t);
    },
  );
  for (let len = n; len > 1; len = Math.ceil(len / 2)) {
    const h = Math.floor(len / 2);
    const prod = mulSeries(part(s, 0, h), part(s, h, 2 * h));
    if (len % 2 === 0) {
      s = prod;
      continue;
    }
    const rest = part(s, 2 * h, len);
    s = Series.direct(order, avalOf(h + 1), undefined, (k) => {
      const a = prod.term(k);
      const b = rest.term(k);
      if (a === null && b === null) return null;
      return lax.concatenate([a ?? lax.fullAval(avalOf(h), 0), b ?? lax.fullAval(avalOf(1), 0)], r);
    });
  }
  return [y, termwise(order, y, [s], ([t]) => lax.reshape(t!, keptShape))];
};

export const REDUCE: FamilyRules<ReduceFamilyPrim, "reduce_sum" | "cumsum"> = {
  shape: {
    reduce_sum: reduceShape,
    reduce_max: reduceShape,
    reduce_min: reduceShape,
    reduce_prod: reduceShape,
    argmax: argReduceShape,
    argmin: argReduceShape,
    cumsum: ([x]) => x!,
  },
  jvp: {
    reduce_sum: linear("reduce_sum"),
    reduce_max: reduceExtremumJvp("reduce_max"),
    reduce_min: reduceExtremumJvp("reduce_min"),
    reduce_prod: reduceProdJvp,
    argmax: none("argmax"),
    argmin: none("argmin"),
    cumsum: linear("cumsum"),
  },
  vmap: {
    reduce_sum: reduceVmap("reduce_sum"),
    reduce_max: reduceVmap("reduce_max"),
    reduce_min: reduceVmap("reduce_min"),
    reduce_prod: reduceVmap("reduce_prod"),
    argmax: argReduceVmap("argmax"),
    argmin: argReduceVmap("argmin"),
    cumsum: ([x], [d], { axis, reverse }) => [lax.cumsum(x!, phys(axis, d!), reverse), d!],
  },
  jet: {
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
    reduce_max: reduceExtremumSeries("reduce_max"),
    reduce_min: reduceExtremumSeries("reduce_min"),
    reduce_prod: reduceProdSeries,
    argmax: zero("argmax"),
    argmin: zero("argmin"),
    cumsum: linearFull("cumsum"),
  },
  transpose: {
    reduce_sum: (ct, [x], { axes }) => {
      const kept = range(shapeOf(x!).length).filter((i) => !axes.includes(i));
      return [lax.broadcastInDim(ct, shapeOf(x!), kept)];
    },
    cumsum: (ct, _args, { axis, reverse }) => [lax.cumsum(ct, axis, !reverse)],
  },
};
