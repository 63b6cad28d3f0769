// Linearization by partial evaluation: run the JVP with known primals and unknown tangents; known work runs
// now, unknown (tangent) work is recorded as a linear program. Reverse mode transposes that program.

import { TraceError } from "../core/errors.js";
import type { AnyPrim, MultiPrim, MultiPrimParams, Prim, PrimParams } from "../core/primitives.js";
import { type Numbers, Program, type Tape } from "../core/program.js";
import { type Aval, ConcreteTensor, Deferred, type Tensor } from "../core/tensor.js";
import {
  bind,
  bindMulti,
  evalMultiNow,
  type MainTrace,
  stagingActive,
  Trace,
  Tracer,
  withMain,
} from "../core/trace.js";
import { checking, tagOrigin } from "../debug/context.js";
import { type CondParams, cond } from "../primitives/control.js";
import { type JitCallParams, jitCall } from "../primitives/jit-call.js";
import * as lax from "../primitives/lax.js";
import { type ScanParams, scan } from "../primitives/loops.js";
import { abstractEvalMulti, abstractEvalOf } from "../primitives/shape-rules.js";
import { splitCond } from "./control.js";
import { splitCall } from "./jit-call.js";
import { jvpFlat } from "./jvp.js";
import { knownScanOperands, splitScan, unknownScanOperands, whileReverseError } from "./loops.js";

/** A list of variable numbers in a typed array that doubles when full (no per-element garbage). */
class IntList {
  private data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  push(k: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(2 * this.data.length);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = k;
  }
  values(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

// The sizes of the last recording, used as starting capacities: a function linearized again and again (a
// training loop) then records without growing any list. Capped so one huge recording does not make every
// later one allocate as much.
const MAX_HINT = 1 << 16;
const hint = { vars: 0, eqns: 0, args: 0 };

/** The linear program being recorded, as a tape (variables are numbers), plus the constants seen so far. */
class Recording {
  readonly avals: Aval[] = new Array(hint.vars);
  readonly values: (Tensor | undefined)[] = new Array(hint.vars);
  nVars = 0;
  readonly prims: AnyPrim[] = new Array(hint.eqns);
  /** The output count of each multi-output equation (none until one is recorded). */
  nOuts: Map<number, number> | undefined;
  readonly params: unknown[] = new Array(hint.eqns);
  readonly eqnOut = new IntList(hint.eqns);
  readonly argEnd = new IntList(hint.eqns);
  readonly args = new IntList(hint.args);
  readonly consts: number[] = [];
  readonly constOf = new Map<Tensor, number>();

  newVar(aval: Aval, value?: Tensor): number {
    const k = this.nVars++;
    this.avals[k] = aval;
    this.values[k] = value;
    return k;
  }

  addEqn(prim: AnyPrim, params: unknown, out: number): void {
    const e = this.eqnOut.length;
    this.prims[e] = prim;
    this.params[e] = params;
    this.eqnOut.push(out);
    this.argEnd.push(this.args.length);
  }

  /** Records a multi-output equation whose outputs are the `count` variables from `first` on. */
  addMultiEqn(prim: MultiPrim, params: unknown, first: number, count: number): void {
    (this.nOuts ??= new Map()).set(this.eqnOut.length, count);
    this.addEqn(prim, params, first);
  }

  /** The finished tape (the recording's lists trimmed to their contents). */
  tape(inVars: readonly number[], outs: readonly number[]): Tape {
    const nEqns = this.eqnOut.length;
    this.avals.length = this.values.length = this.nVars;
    this.prims.length = this.params.length = nEqns;
    hint.vars = Math.min(this.nVars, MAX_HINT);
    hint.eqns = Math.min(nEqns, MAX_HINT);
    hint.args = Math.min(this.args.length, MAX_HINT);
    return {
      avals: this.avals,
      values: this.values,
      consts: this.consts,
      inVars,
      outs,
      prims: this.prims,
      params: this.params,
      eqnOut: this.eqnOut.values(),
      argEnd: this.argEnd.values(),
      args: this.args.values(),
      ...(this.nOuts && { nOuts: this.nOuts }),
    };
  }
}

export class PETracer extends Tracer {
  constructor(
    readonly trace: PETrace,
    readonly aval: Aval,
    /** The value when known now; null when it depends on the (unknown) tangent inputs. */
    readonly known: Tensor | null,
    /** The program variable of an unknown value; -1 for known ones. */
    readonly id: number,
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
    return new PETracer(this, x.aval, x, -1);
  }
  lift(x: Tensor): PETracer {
    return new PETracer(this, x.aval, x, -1);
  }
  processPrimitive<P extends Prim>(prim: P, args: Tracer[], params: PrimParams[P]): Tracer {
    const ts = args as PETracer[];
    const n = ts.length;
    let allKnown = true;
    for (let i = 0; i < n; i++) if (ts[i]!.known === null) allKnown = false;
    if (allKnown) return this.pure(bind(prim, knownValues(ts), params));
    const aval = abstractEvalOf(prim, ts, params);
    const rec = this.rec;
    for (let i = 0; i < n; i++) rec.args.push(this.instantiate(ts[i]!));
    const out = rec.newVar(aval);
    rec.addEqn(prim, checking() ? tagOrigin(params) : params, out);
    return new PETracer(this, aval, null, out);
  }
  processMulti<P extends MultiPrim>(prim: P, args: Tracer[], params: MultiPrimParams[P]): Tracer[] {
    const ts = args as PETracer[];
    if (ts.every((t) => t.known !== null))
      return bindMulti(prim, knownValues(ts), params).map((x) => this.pure(x));
    if (prim === "cond" && ts[0]!.known !== null) return this.partialCond(ts, params as CondParams);
    if (prim === "jit_call") return this.partialJitCall(ts, params as JitCallParams);
    if (prim === "scan") return this.partialScan(ts, params as ScanParams);
    if (prim === "while") throw whileReverseError();
    // Without a split, the whole application is unknown.
    return this.record(
      prim,
      ts,
      params,
      abstractEvalMulti(
        prim,
        ts.map((t) => t.aval),
        params,
      ),
    );
  }
  /**
   * A cond with a known index and some unknown operands: the known half (known outputs and the residuals of
   * every branch) runs now; the unknown half is recorded, reading the residuals as constants.
   */
  private partialCond(ts: PETracer[], params: CondParams): Tracer[] {
    const unknownOps = ts.slice(1).map((t) => t.known === null);
    const split = splitCond(params, unknownOps);
    const index = ts[0]!.known!;
    const knownOps = ts.slice(1).flatMap((t) => (t.known === null ? [] : [t.known]));
    const knownRes = cond(index, knownOps, split.known);
    const nKnown = split.outUnknown.filter((u) => !u).length;
    const residuals = knownRes.slice(nKnown).map((r) => this.pure(r));
    const unknownIns = [ts[0]!, ...residuals, ...ts.slice(1).filter((t) => t.known === null)];
    const outAvals = params.branches[0]!.outs.map((v) => v.aval);
    const recorded = this.record(
      "cond",
      unknownIns,
      { branches: split.unknown },
      outAvals.filter((_, i) => split.outUnknown[i]),
    );
    let k = 0;
    let u = 0;
    return split.outUnknown.map((unk) => (unk ? recorded[u++]! : this.pure(knownRes[k++]!)));
  }
  /**
   * A call with some unknown operands: the known part of its program (known outputs and residuals) is
   * called now; a call of the unknown part is recorded, reading the residuals as constants.
   */
  private partialJitCall(ts: PETracer[], { program, name, remat }: JitCallParams): Tracer[] {
    const split = splitCall(
      program,
      ts.map((t) => t.known === null),
      remat === true,
    );
    const knownOps = ts.flatMap((t) => (t.known === null ? [] : [t.known]));
    const knownRes =
      split.known.outs.length > 0 ? knownCall(knownOps, split.known, name, remat === true) : [];
    const nKnown = split.outUnknown.filter((u) => !u).length;
    let q = nKnown;
    const residuals = split.resIn.map((i) => (i === null ? this.pure(knownRes[q++]!) : ts[i]!));
    const outAvals = program.outs.map((v) => v.aval);
    const unknownAvals = outAvals.filter((_, i) => split.outUnknown[i]);
    const recorded =
      unknownAvals.length > 0
        ? this.record(
            "jit_call",
            [...residuals, ...ts.filter((t) => t.known === null)],
            remat ? { program: split.unknown, name, remat } : { program: split.unknown, name },
            unknownAvals,
          )
        : [];
    let k = 0;
    let u = 0;
    return split.outUnknown.map((unk) => (unk ? recorded[u++]! : this.pure(knownRes[k++]!)));
  }
  /**
   * A scan with some unknown operands: the known scan (known outputs, and the residuals of each step stacked)
   * runs now; the unknown scan is recorded, reading the stacked residuals as scanned constants.
   */
  private partialScan(ts: PETracer[], params: ScanParams): Tracer[] {
    const split = splitScan(
      params,
      ts.map((t) => t.known === null),
    );
    const k = split.known;
    const [kc, kk] = [k.nConsts, k.nConsts + k.nCarry];
    const knownOps = knownScanOperands(split, ts).map((t) => t.known!);
    const knownRes = scan(
      knownOps.slice(0, kc),
      knownOps.slice(kc, kk),
      knownOps.slice(kk),
      k.body,
      params.length,
      params.reverse,
    );
    const nKnownOut = knownRes.length - split.resAvals.length;
    const residuals = knownRes.slice(nKnownOut).map((r) => this.pure(r));
    const outAvals = abstractEvalMulti(
      "scan",
      ts.map((t) => t.aval),
      params,
    );
    const recorded = this.record(
      "scan",
      unknownScanOperands(split, params, ts, residuals),
      split.unknown,
      outAvals.filter((_, i) => split.outUnknown[i]),
    );
    let q = 0;
    let u = 0;
    return split.outUnknown.map((unk) => (unk ? recorded[u++]! : this.pure(knownRes[q++]!)));
  }
  private record<P extends MultiPrim>(
    prim: P,
    ts: readonly PETracer[],
    params: MultiPrimParams[P],
    avals: readonly Aval[],
  ): PETracer[] {
    const rec = this.rec;
    for (const t of ts) rec.args.push(this.instantiate(t));
    const first = rec.nVars;
    const outs = avals.map((a) => new PETracer(this, a, null, rec.newVar(a)));
    rec.addMultiEqn(prim, checking() ? tagOrigin(params) : params, first, avals.length);
    return outs;
  }
  /** The program variable of a tracer; known values become constants of the program. */
  instantiate(t: PETracer): number {
    if (t.id >= 0) return t.id;
    const value = t.known!;
    const rec = this.rec;
    let k = rec.constOf.get(value);
    if (k === undefined) {
      k = rec.newVar(value.aval, value);
      rec.constOf.set(value, k);
      rec.consts.push(k);
    }
    return k;
  }
}

/**
 * Calls the known part of a split call. On concrete operands outside any staging the call is deferred: it
 * runs when one of its outputs is first read, so a value nothing reads (the primal output grad discards,
 * when every residual is recomputed from the operands) costs nothing. NaN/Inf checks keep it eager, so
 * their errors point at the call.
 */
function knownCall(ops: readonly Tensor[], program: Program, name: string, remat: boolean): Tensor[] {
  if (checking() || stagingActive() || !ops.every((o) => o instanceof ConcreteTensor))
    return jitCall(ops, program, name, remat);
  const concrete = ops as readonly ConcreteTensor[];
  const params: JitCallParams = remat ? { program, name, remat } : { program, name };
  const deferred = new Deferred(() => evalMultiNow("jit_call", concrete as ConcreteTensor[], params));
  return program.outs.map((v, i) => deferred.output(i, v.aval));
}

function knownValues(ts: readonly PETracer[]): Tensor[] {
  const out = new Array<Tensor>(ts.length);
  for (let i = 0; i < ts.length; i++) out[i] = ts[i]!.known!;
  return out;
}

/**
 * Whether pruning could remove anything. It cannot when every variable other than the inputs is used by an
 * equation or is an output: an equation is dead only if its output is unused or used only by dead equations,
 * and going backwards from the last one (which then must be an output) every equation is live. Checking this
 * is much cheaper than pruning, and recordings rarely contain dead code.
 */
function mayHaveDeadCode(t: Tape): boolean {
  const used = new Uint8Array(t.avals.length);
  const mark = (ks: Numbers) => {
    for (let i = 0; i < ks.length; i++) used[ks[i]!] = 1;
  };
  mark(t.inVars);
  mark(t.args);
  mark(t.outs);
  return used.indexOf(0) >= 0;
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
  const rec = new Recording();
  return withMain(
    (m: MainTrace) => new PETrace(m),
    rec,
    (main) => {
      const trace = main.trace() as PETrace;
      const inVars = primals.map((p) => rec.newVar(p.aval));
      const tangentsIn = inVars.map((k) => new PETracer(trace, rec.avals[k]!, null, k));
      const [outs, tangentsOut] = jvpFlat(f, primals, tangentsIn);
      const n = nLinear ?? outs.length;
      const outVars = tangentsOut.slice(0, n).map((t, i) => {
        if (t instanceof PETracer && t.trace.main === main) return trace.instantiate(t);
        return trace.instantiate(trace.pure(t ?? lax.zerosLike(outs[i]!)));
      });
      const tape = rec.tape(inVars, outVars);
      const program = Program.fromTape(tape);
      return [outs, mayHaveDeadCode(tape) ? program.pruned() : program];
    },
  );
}
