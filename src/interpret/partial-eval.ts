// Linearization by partial evaluation: run the JVP with known primals and unknown tangents; known work runs
// now, unknown (tangent) work is recorded as a linear program. Reverse mode transposes that program.
import { TraceError } from "../core/errors.js";
import type { Prim, PrimParams } from "../core/primitives.js";
import { type Eqn, Program, Var } from "../core/program.js";
import type { Aval, ConcreteTensor, Tensor } from "../core/tensor.js";
import { bind, type MainTrace, Trace, Tracer, withMain } from "../core/trace.js";
import * as lax from "../ops/lax.js";
import { jvpFlat } from "./jvp.js";
import { abstractEval } from "./shape-rules.js";

interface Recording {
  eqns: Eqn[];
  constVars: Var[];
  constValues: Tensor[];
  constOf: Map<Tensor, Var>;
}

export class PETracer extends Tracer {
  constructor(
    readonly trace: PETrace,
    readonly aval: Aval,
    /** The value when known now; null when it depends on the (unknown) tangent inputs. */
    readonly known: Tensor | null,
    readonly v: Var | null,
  ) {
    super();
  }
  concrete(): ConcreteTensor {
    if (this.known !== null) return this.known.concrete();
    throw new TraceError(
      "a tangent inside linearize has no value yet; read values outside the transformation",
    );
  }
  override fullLower(): Tensor {
    return this.known ?? this;
  }
}

export class PETrace extends Trace {
  private get rec(): Recording {
    return this.main.globalData as Recording;
  }
  pure(x: Tensor): PETracer {
    return new PETracer(this, x.aval, x, null);
  }
  lift(x: Tensor): PETracer {
    return new PETracer(this, x.aval, x, null);
  }
  processPrimitive<P extends Prim>(prim: P, args: Tracer[], params: PrimParams[P]): Tracer {
    const ts = args as PETracer[];
    if (ts.every((t) => t.known !== null))
      return this.pure(
        bind(
          prim,
          ts.map((t) => t.known!),
          params,
        ),
      );
    const inputs = ts.map((t) => this.instantiate(t));
    const out = new Var(
      abstractEval(
        prim,
        inputs.map((v) => v.aval),
        params,
      ),
    );
    this.rec.eqns.push({ prim, inputs, params, out } as Eqn);
    return new PETracer(this, out.aval, null, out);
  }
  /** The program variable of a tracer; known values become constants of the program. */
  instantiate(t: PETracer): Var {
    if (t.v !== null) return t.v;
    const value = t.known!;
    let v = this.rec.constOf.get(value);
    if (v === undefined) {
      v = new Var(value.aval);
      this.rec.constOf.set(value, v);
      this.rec.constVars.push(v);
      this.rec.constValues.push(value);
    }
    return v;
  }
}

/**
 * Evaluates `f` at `primals` and returns its outputs with a linear program mapping input tangents to output
 * tangents. Outputs past `nLinear` are carried along (aux values) without tangents.
 */
export function linearizeFlat(
  f: (...xs: Tensor[]) => Tensor[],
  primals: readonly Tensor[],
  nLinear?: number,
): [Tensor[], Program] {
  const rec: Recording = { eqns: [], constVars: [], constValues: [], constOf: new Map() };
  return withMain(
    (m: MainTrace) => new PETrace(m),
    rec,
    (main) => {
      const trace = main.trace() as PETrace;
      const inVars = primals.map((p) => new Var(p.aval));
      const tangentsIn = inVars.map((v) => new PETracer(trace, v.aval, null, v));
      const [outs, tangentsOut] = jvpFlat(f, primals, tangentsIn);
      const n = nLinear ?? outs.length;
      const outVars = tangentsOut.slice(0, n).map((t, i) => {
        if (t instanceof PETracer && t.trace.main === main) return trace.instantiate(t);
        return trace.instantiate(trace.pure(t ?? lax.zerosLike(outs[i]!)));
      });
      const program = new Program(rec.constVars, rec.constValues, inVars, rec.eqns, outVars).pruned();
      return [outs, program];
    },
  );
}
