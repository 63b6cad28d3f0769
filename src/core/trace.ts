// The interpreter machinery: a stack of active transformations (main traces), tracers that belong to them,
// and `bind`, the one point where every primitive application is intercepted.
import { TraceError } from "./errors.js";
import type { MultiPrim, MultiPrimParams, Prim, PrimParams } from "./primitives.js";
import { type Aval, type ConcreteTensor, Tensor } from "./tensor.js";

/** One active transformation. Its level orders it against the others (higher = applied later = inner). */
export class MainTrace {
  active = true;
  constructor(
    readonly level: number,
    readonly makeTrace: (main: MainTrace) => Trace,
    /** Per-transformation state (the batch size of a vmap, the recording of a linearize, ...). */
    readonly globalData: unknown,
  ) {}
  private cached: Trace | null = null;
  /** The trace object of this transformation (one per main trace). */
  trace(): Trace {
    if (this.cached === null) this.cached = this.makeTrace(this);
    return this.cached;
  }
}

/** The interpretation of primitives for one transformation. */
export abstract class Trace {
  constructor(readonly main: MainTrace) {}
  /** Wraps a value from outside every transformation (a concrete tensor) as a tracer of this trace. */
  abstract pure(x: Tensor): Tracer;
  /** Wraps a tracer of a lower (outer) transformation as a tracer of this trace. */
  abstract lift(x: Tensor): Tracer;
  abstract processPrimitive<P extends Prim>(prim: P, args: Tracer[], params: PrimParams[P]): Tracer;
  /** The interpretation of a primitive with several outputs (`bindMulti`). */
  abstract processMulti<P extends MultiPrim>(prim: P, args: Tracer[], params: MultiPrimParams[P]): Tracer[];
}

/** A value inside a transformation. */
export abstract class Tracer extends Tensor {
  abstract readonly trace: Trace;
  /** The value as seen by the transformations below this one, when this one adds nothing. */
  fullLower(): Tensor {
    return this;
  }
}

type EvalFn = <P extends Prim>(prim: P, args: ConcreteTensor[], params: PrimParams[P]) => ConcreteTensor;
let evalPrimitive: EvalFn = () => {
  throw new Error("nabla: no evaluation backend installed");
};
/** Installs the evaluation of primitives on concrete values (done once by interpret/eval.ts). */
export function setEvalPrimitive(fn: EvalFn): void {
  evalPrimitive = fn;
}

type EvalMultiFn = <P extends MultiPrim>(
  prim: P,
  args: ConcreteTensor[],
  params: MultiPrimParams[P],
) => ConcreteTensor[];
let evalMulti: EvalMultiFn = () => {
  throw new Error("nabla: no evaluation backend installed");
};
/** Installs the evaluation of multi-output primitives on concrete values (done once by interpret/eval.ts). */
export function setEvalMulti(fn: EvalMultiFn): void {
  evalMulti = fn;
}

const stack: MainTrace[] = [];
let dynamic: MainTrace | null = null;

/** Runs `body` with a new transformation on top of the stack. */
export function withMain<R>(
  makeTrace: (main: MainTrace) => Trace,
  globalData: unknown,
  body: (main: MainTrace) => R,
): R {
  const main = new MainTrace(stack.length + 1, makeTrace, globalData);
  stack.push(main);
  try {
    return body(main);
  } finally {
    stack.pop();
    main.active = false;
  }
}

/** Evaluates a multi-output primitive on concrete values now, whatever transformation is running. */
export const evalMultiNow = <P extends MultiPrim>(
  prim: P,
  args: ConcreteTensor[],
  params: MultiPrimParams[P],
): ConcreteTensor[] => evalMulti(prim, args, params);

/** Whether a staging trace captures operations on plain values (inside jit's tracing, for one). */
export const stagingActive = (): boolean => dynamic !== null;

/** Like withMain, but the trace also captures operations on values that are not its tracers (staging). */
export function withDynamicMain<R>(
  makeTrace: (main: MainTrace) => Trace,
  globalData: unknown,
  body: (main: MainTrace) => R,
): R {
  return withMain(makeTrace, globalData, (main) => {
    const prev = dynamic;
    dynamic = main;
    try {
      return body(main);
    } finally {
      dynamic = prev;
    }
  });
}

/** Applies a primitive: evaluates it on concrete values or hands it to the innermost transformation involved. */
export function bind<P extends Prim>(prim: P, args: readonly Tensor[], params: PrimParams[P]): Tensor {
  let top: MainTrace | null = dynamic;
  // Whether every argument is a tracer of one and the same transformation (then none needs raising).
  let first: MainTrace | null = null;
  let uniform = true;
  const n = args.length;
  for (let i = 0; i < n; i++) {
    const a = args[i]!;
    if (!(a instanceof Tracer)) {
      uniform = false;
      continue;
    }
    const m = a.trace.main;
    if (!m.active) throw usedAfterFinish(prim);
    if (top === null || m.level > top.level) top = m;
    if (first === null) first = m;
    else if (m !== first) uniform = false;
  }
  if (top === null) return evalPrimitive(prim, args as ConcreteTensor[], params);
  const trace = top.trace();
  // No interpreter modifies its argument list, so tracers that need no raising are passed as they are.
  const tracers = uniform && first === top ? (args as Tracer[]) : args.map((a) => fullRaise(trace, a));
  return trace.processPrimitive(prim, tracers, params).fullLower();
}

/**
 * Applies a primitive with several outputs (JAX's multiple_results), such as `cond`: like `bind`, giving one
 * tensor per output. Kept apart from `bind` so single-output primitives pay nothing for it.
 */
export function bindMulti<P extends MultiPrim>(
  prim: P,
  args: readonly Tensor[],
  params: MultiPrimParams[P],
): Tensor[] {
  let top: MainTrace | null = dynamic;
  for (const a of args) {
    if (!(a instanceof Tracer)) continue;
    const m = a.trace.main;
    if (!m.active) throw usedAfterFinish(prim);
    if (top === null || m.level > top.level) top = m;
  }
  if (top === null) return evalMulti(prim, args as ConcreteTensor[], params);
  const trace = top.trace();
  const outs = trace.processMulti(
    prim,
    args.map((a) => fullRaise(trace, a)),
    params,
  );
  return outs.map((t) => t.fullLower());
}

function usedAfterFinish(prim: string): TraceError {
  return new TraceError(
    `${prim}: a traced value was used after the transformation that made it had finished ` +
      `(did a function store a tracer in an outer variable?). Return values from the function instead.`,
  );
}

/** Brings `x` into `trace`: wraps concrete values and lower tracers, returns its own tracers unchanged. */
export function fullRaise(trace: Trace, x: Tensor): Tracer {
  if (!(x instanceof Tracer)) return trace.pure(x);
  const m = x.trace.main;
  if (m === trace.main) return x;
  if (m.level < trace.main.level) return trace.lift(x);
  throw new TraceError(
    `a value from an inner transformation (level ${m.level}) reached an outer one (level ${trace.main.level}); ` +
      "a tracer escaped its transformation",
  );
}

export type { Aval };

/**
 * The error for reading a value that carries a derivative as plain data (`.item()`, `.toArray()`,
 * JavaScript arithmetic or comparisons): the number it would give has lost the derivative, so results
 * would be silently wrong.
 */
export function derivativeReadError(inside: string): TraceError {
  return new TraceError(
    `a value inside ${inside} carries a derivative and cannot be read as plain data (item, toArray, ` +
      "JavaScript arithmetic such as x * x, comparisons or if-conditions): the number would lose the derivative. " +
      "Compute with nabla operations (nb.mul, nb.where, …); for control flow, read a comparison, which carries " +
      "no derivative: if (nb.greater(x, 0).item()) …",
  );
}
