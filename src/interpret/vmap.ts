// Batching: each tracer carries a value with one extra dimension (its batch dimension), or none when the
// value is the same for every batch member.
import { TraceError, ValueError } from "../core/errors.js";
import type { MultiPrim, MultiPrimParams, Prim, PrimParams } from "../core/primitives.js";
import type { Aval, ConcreteTensor, Tensor } from "../core/tensor.js";
import { bind, bindMulti, fullRaise, type MainTrace, Trace, Tracer, withMain } from "../core/trace.js";
import * as lax from "../primitives/lax.js";
import { toFront } from "../primitives/rule-helpers.js";
import { vmapRules } from "../primitives/vmap-rules.js";
import { multiRules } from "./control.js";

type T = Tensor;
type Dim = number | null;

export class BatchTracer extends Tracer {
  constructor(
    readonly trace: BatchTrace,
    readonly val: T,
    readonly bdim: Dim,
  ) {
    super();
  }
  get aval(): Aval {
    const a = this.val.aval;
    if (this.bdim === null) return a;
    return { ...a, shape: a.shape.filter((_, i) => i !== this.bdim) };
  }
  concrete(): ConcreteTensor {
    throw new TraceError(
      "a value inside vmap stands for a whole batch and cannot be read as data; read it after vmap returns",
    );
  }
  override fullLower(): T {
    return this.bdim === null ? this.val : this;
  }
}

export class BatchTrace extends Trace {
  get axisSize(): number {
    return this.main.globalData as number;
  }
  pure(x: T): BatchTracer {
    return new BatchTracer(this, x, null);
  }
  lift(x: T): BatchTracer {
    return new BatchTracer(this, x, null);
  }
  processPrimitive<P extends Prim>(prim: P, args: Tracer[], params: PrimParams[P]): Tracer {
    const ts = args as BatchTracer[];
    const vals = ts.map((t) => t.val);
    const dims = ts.map((t) => t.bdim);
    if (dims.every((d) => d === null)) return new BatchTracer(this, bind(prim, vals, params), null);
    const [out, d] = vmapRules[prim](vals, dims, params, this.axisSize);
    return new BatchTracer(this, out, d);
  }
  processMulti<P extends MultiPrim>(prim: P, args: Tracer[], params: MultiPrimParams[P]): Tracer[] {
    const ts = args as BatchTracer[];
    const vals = ts.map((t) => t.val);
    const dims = ts.map((t) => t.bdim);
    if (dims.every((d) => d === null))
      return bindMulti(prim, vals, params).map((o) => new BatchTracer(this, o, null));
    const [outs, ds] = multiRules[prim].vmap(vals, dims, params, this.axisSize);
    return outs.map((o, i) => new BatchTracer(this, o, ds[i]!));
  }
}

/** Maps `f` over axis `inDims[i]` of each input (null: not mapped) and stacks outputs along `outDims`. */
export function vmapFlat(
  f: (...xs: T[]) => T[],
  inDims: readonly Dim[],
  outDims: Dim | readonly Dim[],
  args: readonly T[],
): T[] {
  const sizes = new Set(
    args.map((a, i) => (inDims[i] === null ? -1 : a.aval.shape[inDims[i]!]!)).filter((s) => s >= 0),
  );
  if (sizes.size === 0) throw new ValueError("vmap: at least one input must be mapped (inAxes are all null)");
  if (sizes.size > 1)
    throw new ValueError(
      `vmap: mapped axes have different sizes (${[...sizes].join(", ")}); they must all match`,
    );
  const size = [...sizes][0]!;
  return withMain(
    (m: MainTrace) => new BatchTrace(m),
    size,
    (main) => {
      const trace = main.trace() as BatchTrace;
      const ins = args.map((a, i) => new BatchTracer(trace, a, inDims[i]!));
      const outs = f(...ins).map((o) => fullRaise(trace, o) as BatchTracer);
      if (Array.isArray(outDims) && outDims.length !== outs.length)
        throw new ValueError(
          `vmap: outAxes has ${outDims.length} entries but the function returned ${outs.length} outputs`,
        );
      return outs.map((o, i) => {
        const od = Array.isArray(outDims) ? (outDims[i] as Dim) : (outDims as Dim);
        if (od === null) {
          if (o.bdim !== null)
            throw new ValueError(
              `vmap: output ${i} depends on the mapped inputs, so its outAxes entry cannot be null`,
            );
          return o.val;
        }
        const nd = o.aval.shape.length + 1;
        if (od < -nd || od >= nd)
          throw new ValueError(`vmap: outAxes ${od} is out of range for output ${i} of rank ${nd}`);
        return lax.moveAxis(toFront(o.val, o.bdim, size), 0, od < 0 ? od + nd : od);
      });
    },
  );
}
