// Staging: records every primitive applied while a function runs into a Program (JAX's make_jaxpr).

import { TraceError } from "../core/errors.js";
import type { MultiPrim, MultiPrimParams, Prim, PrimParams } from "../core/primitives.js";
import { type Eqn, Program, Var } from "../core/program.js";
import { type Aval, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { fullRaise, type MainTrace, Trace, Tracer, withDynamicMain } from "../core/trace.js";
import { abstractEval, abstractEvalMulti } from "../primitives/shape-rules.js";
import { evalMulti, evalPrimitive } from "./eval.js";

interface Builder {
  eqns: Eqn[];
  constVars: Var[];
  constValues: Tensor[];
  constOf: Map<Tensor, Var>;
}

export class StageTracer extends Tracer {
  constructor(
    readonly trace: StageTrace,
    readonly v: Var,
    /** The value, for constants known while staging (folded instead of staged). */
    readonly known: ConcreteTensor | null = null,
  ) {
    super();
  }
  get aval(): Aval {
    return this.v.aval;
  }
  concrete(): ConcreteTensor {
    throw new TraceError(
      "a value being staged into a program has no data yet (makeProgram/jit trace with shapes only); " +
        "avoid reading values (toArray, item, if-conditions on tensors) inside staged functions. To branch on " +
        "data use nb.lax.cond, e.g. nb.lax.cond(nb.greater(x, 0), (x) => x, (x) => nb.neg(x), x); to loop " +
        "until a condition holds, nb.lax.whileLoop(cond, body, init) (or nb.lax.foriLoop / nb.lax.scan)",
    );
  }
}

export class StageTrace extends Trace {
  private get b(): Builder {
    return this.main.globalData as Builder;
  }
  pure(x: Tensor): StageTracer {
    const known = x instanceof ConcreteTensor ? x : null;
    let v = this.b.constOf.get(x);
    if (v === undefined) {
      v = new Var(x.aval);
      this.b.constOf.set(x, v);
      this.b.constVars.push(v);
      this.b.constValues.push(x);
    }
    return new StageTracer(this, v, known);
  }
  lift(x: Tensor): StageTracer {
    return this.pure(x);
  }
  processPrimitive<P extends Prim>(prim: P, args: Tracer[], params: PrimParams[P]): Tracer {
    const ts = args as StageTracer[];
    // Operations on constants only are folded now rather than staged.
    if (ts.every((t) => t.known !== null))
      return this.pure(
        evalPrimitive(
          prim,
          ts.map((t) => t.known!),
          params,
        ),
      );
    const inputs = ts.map((t) => t.v);
    const out = new Var(
      abstractEval(
        prim,
        inputs.map((v) => v.aval),
        params,
      ),
    );
    this.b.eqns.push({ prim, inputs, params, outs: [out] } as Eqn);
    return new StageTracer(this, out);
  }
  processMulti<P extends MultiPrim>(prim: P, args: Tracer[], params: MultiPrimParams[P]): Tracer[] {
    const ts = args as StageTracer[];
    if (ts.every((t) => t.known !== null))
      return evalMulti(
        prim,
        ts.map((t) => t.known!),
        params,
      ).map((x) => this.pure(x));
    const inputs = ts.map((t) => t.v);
    const outs = abstractEvalMulti(
      prim,
      inputs.map((v) => v.aval),
      params,
    ).map((a) => new Var(a));
    this.b.eqns.push({ prim, inputs, params, outs } as Eqn);
    return outs.map((v) => new StageTracer(this, v));
  }
}

/** Stages `f` applied to abstract inputs `avals` into a program. */
export function stageFlat(f: (...xs: Tensor[]) => Tensor[], avals: readonly Aval[]): Program {
  const b: Builder = { eqns: [], constVars: [], constValues: [], constOf: new Map() };
  return withDynamicMain(
    (m: MainTrace) => new StageTrace(m),
    b,
    (main) => {
      const trace = main.trace() as StageTrace;
      const inVars = avals.map((a) => new Var(a));
      const outs = f(...inVars.map((v) => new StageTracer(trace, v))).map(
        (o) => (fullRaise(trace, o) as StageTracer).v,
      );
      return new Program(b.constVars, b.constValues, inVars, b.eqns, outs).pruned();
    },
  );
}
