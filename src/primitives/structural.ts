// The structural primitives (select_n, convert_element_type, custom_linear) and every rule of theirs but
// custom_linear's JVP and Taylor rules, which run interpreters and so live in interpret/. Kernels live in the
// backends.
import { isFloat } from "../core/dtype.js";
import { DTypeError, NablaError } from "../core/errors.js";
import { NO_PARAMS } from "../core/primitives.js";
import { broadcastShapes } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { bind } from "../core/trace.js";
import * as lax from "./lax.js";
import { batchUnary, elementwise, type FamilyRules, loop, sameDtype } from "./rule-helpers.js";
import { termwise } from "./series-rules.js";
import { avalOf, isLin, shapeOf, unbroadcast } from "./unbroadcast.js";

export type StructuralPrim = "select_n" | "convert_element_type" | "custom_linear";

export const STRUCTURAL: FamilyRules<StructuralPrim, StructuralPrim> = {
  shape: {
    select_n: ([p, f, t]) => {
      if (p!.dtype !== "bool") throw new DTypeError(`where: the condition must be bool, got ${p!.dtype}`);
      sameDtype("where", [f!, t!]);
      return {
        shape: broadcastShapes("where", p!.shape, f!.shape, t!.shape),
        dtype: f!.dtype,
        weak: f!.weak && t!.weak,
      };
    },
    convert_element_type: ([x], { dtype, weak }) => ({ shape: x!.shape, dtype, weak }),
    custom_linear: (_avals, { out }) => out,
  },
  jvp: {
    select_n: ([p, f, t], [, df, dt]) => {
      const out = bind("select_n", [p!, f!, t!], NO_PARAMS);
      return [out, bind("select_n", [p!, df ?? lax.zerosLike(f!), dt ?? lax.zerosLike(t!)], NO_PARAMS)];
    },
    convert_element_type: ([x], [dx], params) => [
      bind("convert_element_type", [x!], params),
      dx && isFloat(params.dtype) ? lax.convert(dx, params.dtype, params.weak) : null,
    ],
  },
  vmap: {
    select_n: elementwise("select_n"),
    convert_element_type: batchUnary("convert_element_type"),
    custom_linear: (xs, dims, params, size) => loop("custom_linear")(xs, dims, params, size),
  },
  jet: {
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
  },
  transpose: {
    select_n: (ct, [p, f, t]) => {
      const z = lax.zerosLike(ct);
      return [
        null,
        isLin(f) ? unbroadcast(lax.select(p as Tensor, z, ct), shapeOf(f)) : null,
        isLin(t) ? unbroadcast(lax.select(p as Tensor, ct, z), shapeOf(t)) : null,
      ];
    },
    convert_element_type: (ct, [x]) => [lax.convert(ct, avalOf(x!).dtype, avalOf(x!).weak)],
    custom_linear: (ct, args, { name, nres, transpose }) => {
      const res = args.slice(0, nres);
      if (res.some(isLin)) throw new NablaError(`transpose: ${name} residuals must be known values`);
      return [...res.map(() => null), ...transpose(res as Tensor[], ct)];
    },
  },
};
