// Forward mode: each tracer carries a primal and a tangent; a null tangent is a symbolic zero, never allocated.

import { isFloat } from "../core/dtype.js";
import { ValueError } from "../core/errors.js";
import type { MultiPrim, MultiPrimParams, Prim, PrimParams } from "../core/primitives.js";
import { shapesEqual } from "../core/shape.js";
import type { Aval, ConcreteTensor, Tensor } from "../core/tensor.js";
import {
  bind,
  bindMulti,
  derivativeReadError,
  fullRaise,
  type MainTrace,
  Trace,
  Tracer,
  withMain,
} from "../core/trace.js";
import { checking, inRule } from "../debug/context.js";
import { type JvpRule, type JvpRuleOf, jvpRules } from "../primitives/jvp-rules.js";
import * as lax from "../primitives/lax.js";
import { multiRules } from "./control.js";

type T = Tensor;
type Tan = Tensor | null;

export class JVPTracer extends Tracer {
  constructor(
    readonly trace: JVPTrace,
    readonly primal: T,
    readonly tangent: Tan,
  ) {
    super();
  }
  get aval(): Aval {
    return this.primal.aval;
  }
  concrete(): ConcreteTensor {
    // A value that carries a derivative has no plain value to hand out: the number would lose it.
    if (this.tangent !== null) throw derivativeReadError("a derivative (grad, jvp, jacfwd, hessian, …)");
    return this.primal.concrete();
  }
  override fullLower(): T {
    return this.tangent === null ? this.primal : this;
  }
}

export class JVPTrace extends Trace {
  pure(x: T): JVPTracer {
    return new JVPTracer(this, x, null);
  }
  lift(x: T): JVPTracer {
    return new JVPTracer(this, x, null);
  }
  processPrimitive<P extends Prim>(prim: P, args: Tracer[], params: PrimParams[P]): Tracer {
    const n = args.length;
    const primals = new Array<T>(n);
    const tangents = new Array<Tan>(n);
    let anyTangent = false;
    for (let i = 0; i < n; i++) {
      const t = args[i] as JVPTracer;
      primals[i] = t.primal;
      tangents[i] = t.tangent;
      if (t.tangent !== null) anyTangent = true;
    }
    if (!anyTangent) return new JVPTracer(this, bind(prim, primals, params), null);
    const rule = ruleOf.get(prim) as JvpRule<P>;
    const [out, dout] = checking()
      ? inRule(prim, () => rule(primals, tangents, params))
      : rule(primals, tangents, params);
    return new JVPTracer(
      this,
      out,
      dout === null || !isFloat(out.aval.dtype) ? null : matchAval(dout, out.aval),
    );
  }
  processMulti<P extends MultiPrim>(prim: P, args: Tracer[], params: MultiPrimParams[P]): Tracer[] {
    const ts = args as JVPTracer[];
    const primals = ts.map((t) => t.primal);
    const tangents = ts.map((t) => t.tangent);
    if (tangents.every((t) => t === null))
      return bindMulti(prim, primals, params).map((o) => new JVPTracer(this, o, null));
    const rule = multiRules[prim].jvp;
    const [outs, touts] = checking()
      ? inRule(prim, () => rule(primals, tangents, params))
      : rule(primals, tangents, params);
    return outs.map((o, i) => {
      const t = touts[i] ?? null;
      return new JVPTracer(this, o, t === null || !isFloat(o.aval.dtype) ? null : matchAval(t, o.aval));
    });
  }
}

/** Makes a tangent match its primal's shape and dtype (rules may leave it broadcastable or weak). */
function matchAval(t: T, a: Aval): T {
  const ta = t.aval;
  // Rules usually produce exactly the primal's abstract value (often the same object): nothing to do.
  if (ta === a) return t;
  let r = t;
  if (ta.dtype !== a.dtype || ta.weak !== a.weak) r = lax.convert(r, a.dtype, a.weak);
  if (!shapesEqual(r.aval.shape, a.shape)) r = lax.broadcastTo(r, a.shape);
  return r;
}

const customLinearRule: JvpRule<"custom_linear"> = (xs, ts, { name, nres, forward }) => {
  // Linear in the tangents but not in the residuals: differentiate the map itself.
  if (forward === null)
    throw new ValueError(
      `${name}: forward mode is not defined for a function with a custom VJP; use customJvp for forward mode`,
    );
  const map = (...args: T[]) => [forward(args.slice(0, nres), args.slice(nres))];
  const [[out], [dout]] = jvpFlat(map, xs, ts);
  return [out!, dout ?? null];
};

// Every differentiated primitive looks its rule up: a Map by name is cheaper than a keyed read of the table.
const ruleOf = new Map(Object.entries({ ...jvpRules, custom_linear: customLinearRule })) as ReadonlyMap<
  Prim,
  JvpRuleOf<unknown>
>;

/** Pushes tangents through `f` (flat lists of tensors). Zero tangents may be given as null. */
export function jvpFlat(
  f: (...xs: T[]) => T[],
  primals: readonly T[],
  tangents: readonly Tan[],
): [T[], Tan[]] {
  return withMain(
    (m: MainTrace) => new JVPTrace(m),
    null,
    (main) => {
      const trace = main.trace() as JVPTrace;
      const ins = primals.map((p, i) => new JVPTracer(trace, p, tangents[i] ?? null));
      const outs = f(...ins).map((o) => fullRaise(trace, o) as JVPTracer);
      return [outs.map((o) => o.primal), outs.map((o) => o.tangent)];
    },
  );
}
