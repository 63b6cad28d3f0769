// cond's rules that run an interpreter on its branches: each transformation of a cond is a cond of the
// transformed branches (staged once per application). JVP: the JVP'd branches. Batching: the batched
// branches, or, for a batched index, every branch on every lane and a per-lane choice. Taylor mode: the jet'd
// branches. Linearization splits each JVP'd branch into a known part (primal outputs and residuals) and a
// linear part (JAX's partial evaluation of cond); transposition is a cond of the transposed linear branches.
import { isFloat } from "../core/dtype.js";
import { ValueError } from "../core/errors.js";
import type { KernelMultiPrim, MultiPrim, MultiPrimParams } from "../core/primitives.js";
import { type Eqn, Program, Var } from "../core/program.js";
import { shapesEqual } from "../core/shape.js";
import type { Aval, Tensor } from "../core/tensor.js";
import { bindMulti } from "../core/trace.js";
import { BINARY_PRIMS, COMPARE_PRIMS } from "../primitives/binary.js";
import { type CondParams, cond } from "../primitives/control.js";
import type { JitCallParams } from "../primitives/jit-call.js";
import * as lax from "../primitives/lax.js";
import { LINALG_MULTI } from "../primitives/linalg.js";
import type { ScanParams } from "../primitives/loops.js";
import { type Dim, toFront } from "../primitives/rule-helpers.js";
import { Series } from "../primitives/series.js";
import { UNARY_PRIMS } from "../primitives/unary.js";
import { type Arg, isLin } from "../primitives/unbroadcast.js";
import { jetSeriesFlat } from "./jet.js";
import { jitCallJet, jitCallJvp, jitCallTranspose, jitCallVmap, splitCall } from "./jit-call.js";
import { jvpFlat } from "./jvp.js";
import {
  knownScanOperands,
  scanJet,
  scanJvp,
  scanTranspose,
  scanVmap,
  splitScan,
  unknownScanOperands,
  whileJet,
  whileJvp,
  whileTranspose,
  whileVmap,
} from "./loops.js";
import { linearizeFlat } from "./partial-eval.js";
import { stageFlat } from "./stage.js";
import { transposeProgram } from "./transpose.js";
import { vmapFlat } from "./vmap.js";

type T = Tensor;
type Tan = T | null;
type Ct = T | null;

const avalOf = (x: T): Aval => x.aval;
const outAvalsOf = ({ branches }: CondParams): Aval[] => branches[0]!.outs.map((v) => v.aval);

/** A value made to have exactly aval `a` (rules may leave a tangent or term weak or broadcastable). */
export function matchAval(t: T, a: Aval): T {
  let r = t;
  if (r.aval.dtype !== a.dtype || r.aval.weak !== a.weak) r = lax.convert(r, a.dtype, a.weak);
  if (!shapesEqual(r.aval.shape, a.shape)) r = lax.broadcastTo(r, a.shape);
  return r;
}

/** The rules of each multi-output primitive, one table per interpreter. */
export interface MultiRules<P extends MultiPrim> {
  jvp: (primals: T[], tangents: Tan[], params: MultiPrimParams[P]) => [T[], Tan[]];
  vmap: (vals: T[], dims: Dim[], params: MultiPrimParams[P], size: number) => [T[], Dim[]];
  jet: (
    primals: T[],
    series: (Series | null)[],
    params: MultiPrimParams[P],
    order: number,
  ) => [T[], (Series | null)[]];
  transpose: (cts: Ct[], args: Arg[], params: MultiPrimParams[P]) => Ct[];
}

// ---- JVP ----------------------------------------------------------------------------------------------

/** cond over the JVP'd branches: inputs are the primals and the non-zero tangents; every float output gets a tangent. */
function condJvp(primals: T[], tangents: Tan[], params: CondParams): [T[], Tan[]] {
  const [index, ...ops] = primals;
  const opTans = tangents.slice(1);
  const has = opTans.map((t, i) => t !== null && isFloat(ops[i]!.aval.dtype));
  const tanIns = ops.flatMap((x, i) => (has[i] ? [matchAval(opTans[i]!, x.aval)] : []));
  const outAvals = outAvalsOf(params);
  const withTan = outAvals.map((a) => isFloat(a.dtype));
  const n = ops.length;
  const branches = params.branches.map((br) =>
    stageFlat(
      (...xs) => {
        let k = n;
        const ts = has.map((h) => (h ? xs[k++]! : null));
        const [outs, touts] = jvpFlat((...a) => br.run(a), xs.slice(0, n), ts);
        const tanOuts = touts.flatMap((t, i) =>
          withTan[i] ? [t === null ? lax.zerosLike(outAvals[i]!) : matchAval(t, outAvals[i]!)] : [],
        );
        return [...outs, ...tanOuts];
      },
      [...ops.map(avalOf), ...tanIns.map(avalOf)],
    ),
  );
  const res = cond(index!, [...ops, ...tanIns], branches);
  const m = outAvals.length;
  let k = m;
  return [res.slice(0, m), withTan.map((w) => (w ? res[k++]! : null))];
}

// ---- batching -----------------------------------------------------------------------------------------

function condVmap(vals: T[], dims: Dim[], params: CondParams, size: number): [T[], Dim[]] {
  const [index, ...ops] = vals;
  const [indexDim, ...opDims] = dims;
  const runBatched = (br: Program, xs: T[]): T[] =>
    opDims.every((d) => d === null)
      ? br.run(xs).map((o) => toFront(o, null, size))
      : vmapFlat((...a) => br.run(a), opDims, 0, xs);
  if (indexDim === null) {
    // One branch for the whole batch: cond over the batched branches.
    const branches = params.branches.map((br) => stageFlat((...xs) => runBatched(br, xs), ops.map(avalOf)));
    const outs = cond(index!, ops, branches);
    return [outs, outs.map(() => 0)];
  }
  // A branch per lane: every branch runs on the whole batch, then each lane takes its branch's result.
  const n = params.branches.length;
  const idx = toFront(index!, indexDim!, size);
  const clamped = lax.max(lax.min(idx, lax.scalarLike(idx, n - 1)), lax.scalarLike(idx, 0));
  const results = params.branches.map((br) => runBatched(br, ops));
  const outs = results[0]!.map((first, j) => {
    let r = first;
    const rank = first.aval.shape.length;
    for (let b = 1; b < n; b++) {
      const pred = lax.reshape(lax.eq(clamped, lax.scalarLike(idx, b)), [
        size,
        ...Array.from({ length: rank - 1 }, () => 1),
      ]);
      r = lax.select(pred, results[b]![j]!, r);
    }
    return r;
  });
  return [outs, outs.map(() => 0)];
}

// ---- Taylor mode --------------------------------------------------------------------------------------

/** Which operands carry a series through a jet'd program: float ones with a non-constant series. */
export const seriesMask = (xs: readonly T[], series: readonly (Series | null)[]): boolean[] =>
  series.map((s, i) => s !== null && !s.isConstant && isFloat(xs[i]!.aval.dtype));

/** Terms 1..order of each operand in `has` (zeros for known-zero terms), flattened in operand order. */
export function seriesTerms(
  xs: readonly T[],
  series: readonly (Series | null)[],
  has: readonly boolean[],
  order: number,
): T[] {
  return xs.flatMap((x, i) =>
    has[i]
      ? Array.from({ length: order }, (_, k) => {
          const t = series[i]!.term(k + 1);
          return t === null ? lax.zerosLike(x.aval) : matchAval(t, x.aval);
        })
      : [],
  );
}

/**
 * The program of `run` under jet: inputs are the operands, then the terms 1..order of each operand in
 * `has`; outputs are the outputs, then the terms 1..order of each float output.
 */
export function jetProgram(
  run: (xs: T[]) => T[],
  inAvals: readonly Aval[],
  outAvals: readonly Aval[],
  has: readonly boolean[],
  order: number,
): Program {
  const n = inAvals.length;
  return stageFlat(
    (...xs) => {
      let k = n;
      const ps = xs.slice(0, n);
      const ss = has.map((h, i) => {
        if (!h) return null;
        const terms = xs.slice(k, k + order);
        k += order;
        return Series.known(ps[i]!.aval, ps[i]!, terms);
      });
      const [outs, outSeries] = jetSeriesFlat((...a) => run(a), ps, ss, order);
      const terms = outSeries.flatMap((s, i) =>
        isFloat(outAvals[i]!.dtype)
          ? Array.from({ length: order }, (_, k) => {
              const t = s?.term(k + 1) ?? null;
              return t === null ? lax.zerosLike(outAvals[i]!) : matchAval(t, outAvals[i]!);
            })
          : [],
      );
      return [...outs, ...terms];
    },
    [...inAvals, ...inAvals.flatMap((a, i) => (has[i] ? Array.from({ length: order }, () => a) : []))],
  );
}

/** The outputs and their series from the results of a `jetProgram`. */
export function jetResults(
  res: readonly T[],
  outAvals: readonly Aval[],
  order: number,
): [T[], (Series | null)[]] {
  const m = outAvals.length;
  let k = m;
  const outs = res.slice(0, m);
  return [
    outs,
    outAvals.map((a, i) => {
      if (!isFloat(a.dtype)) return null;
      const terms = res.slice(k, k + order);
      k += order;
      return Series.known(outs[i]!.aval, outs[i]!, terms);
    }),
  ];
}

/** cond over the jet'd branches: inputs are the primals and the terms 1..order of each non-constant series. */
function condJet(
  primals: T[],
  series: (Series | null)[],
  params: CondParams,
  order: number,
): [T[], (Series | null)[]] {
  const [index, ...ops] = primals;
  const opSeries = series.slice(1);
  const has = seriesMask(ops, opSeries);
  const termIns = seriesTerms(ops, opSeries, has, order);
  const outAvals = outAvalsOf(params);
  const inAvals = ops.map(avalOf);
  const branches = params.branches.map((br) => jetProgram((a) => br.run(a), inAvals, outAvals, has, order));
  return jetResults(cond(index!, [...ops, ...termIns], branches), outAvals, order);
}

// ---- partial evaluation -------------------------------------------------------------------------------

/** A program split into a known part and an unknown part (JAX's partial_eval_jaxpr). */
export interface SplitProgram {
  /** Known inputs → known outputs, then residuals. */
  readonly known: Program;
  /** Residuals, then unknown inputs → unknown outputs. */
  readonly unknown: Program;
  /** Which outputs the unknown part computes. */
  readonly outUnknown: boolean[];
  readonly nRes: number;
}

/**
 * Splits `p` given which inputs are unknown: equations on known values only go to the known part, the
 * others (and the unknown half of a cond with a known index) to the unknown part; known values the unknown
 * part reads are residuals. Outputs marked in `instantiate` are computed by the unknown part even if known.
 */
export function splitProgram(
  p: Program,
  unknownIn: readonly boolean[],
  instantiate: readonly boolean[],
  recomputeElementwise = false,
): SplitProgram {
  const unknown = new Set<Var>();
  p.inVars.forEach((v, i) => {
    if (unknownIn[i]) unknown.add(v);
  });
  const consts = new Set(p.constVars);
  const knownEqns: Eqn[] = [];
  const unknownEqns: Eqn[] = [];
  for (const e of p.eqns) {
    const unk = e.inputs.map((v) => unknown.has(v));
    if (!unk.includes(true)) {
      knownEqns.push(e);
      continue;
    }
    if (e.prim === "cond" && !unk[0]) {
      const ins = e.inputs;
      const split = splitCond(e.params as CondParams, unk.slice(1));
      const resVars = split.resAvals.map((a) => new Var(a));
      const knownOuts = e.outs.filter((_, i) => !split.outUnknown[i]);
      knownEqns.push({
        prim: "cond",
        inputs: [ins[0]!, ...ins.slice(1).filter((_, i) => !unk[i + 1])],
        params: { branches: split.known },
        outs: [...knownOuts, ...resVars],
      });
      const unknownOuts = e.outs.filter((_, i) => split.outUnknown[i]);
      unknownEqns.push({
        prim: "cond",
        inputs: [ins[0]!, ...resVars, ...ins.slice(1).filter((_, i) => unk[i + 1])],
        params: { branches: split.unknown },
        outs: unknownOuts,
      });
      for (const v of unknownOuts) unknown.add(v);
      continue;
    }
    if (e.prim === "jit_call") {
      // A call split like a cond of one branch: a known call now, an unknown call reading its residuals.
      const { program, name, remat } = e.params as JitCallParams;
      const split = splitCall(program, unk, remat === true);
      const nKnownOut = split.outUnknown.filter((u) => !u).length;
      const resVars = split.known.outs.slice(nKnownOut).map((v) => new Var(v.aval));
      let q = 0;
      const resIns = split.resIn.map((i) => (i === null ? resVars[q++]! : e.inputs[i]!));
      const knownOuts = e.outs.filter((_, i) => !split.outUnknown[i]);
      if (knownOuts.length + resVars.length > 0)
        knownEqns.push({
          prim: "jit_call",
          inputs: e.inputs.filter((_, i) => !unk[i]),
          params: remat ? { program: split.known, name, remat } : { program: split.known, name },
          outs: [...knownOuts, ...resVars],
        });
      const unknownOuts = e.outs.filter((_, i) => split.outUnknown[i]);
      if (unknownOuts.length > 0)
        unknownEqns.push({
          prim: "jit_call",
          inputs: [...resIns, ...e.inputs.filter((_, i) => unk[i])],
          params: remat ? { program: split.unknown, name, remat } : { program: split.unknown, name },
          outs: unknownOuts,
        });
      for (const v of unknownOuts) unknown.add(v);
      continue;
    }
    if (e.prim === "scan") {
      // A nested scan: its known half (with the residuals of every step) and its unknown half, as at top level.
      const sp = e.params as ScanParams;
      const split = splitScan(sp, unk);
      const resVars = split.resAvals.map((a) => new Var(a));
      knownEqns.push({
        prim: "scan",
        inputs: knownScanOperands(split, e.inputs),
        params: split.known,
        outs: [...e.outs.filter((_, i) => !split.outUnknown[i]), ...resVars],
      });
      const unknownOuts = e.outs.filter((_, i) => split.outUnknown[i]);
      unknownEqns.push({
        prim: "scan",
        inputs: unknownScanOperands(split, sp, e.inputs, resVars),
        params: split.unknown,
        outs: unknownOuts,
      });
      for (const v of unknownOuts) unknown.add(v);
      continue;
    }
    unknownEqns.push(e);
    for (const v of e.outs) unknown.add(v);
  }
  const outUnknown = p.outs.map((v, i) => unknown.has(v) || instantiate[i] === true);
  const recomputed = recomputeElementwise
    ? recomputable(p, unknownIn, knownEqns, unknownEqns, outUnknown, unknown)
    : [];
  for (const e of recomputed) for (const v of e.outs) unknown.add(v);
  unknownEqns.unshift(...recomputed);
  // Residuals: known non-constant values the unknown part reads or returns; constants it reads are its own.
  const res: Var[] = [];
  const seen = new Set<Var>();
  const unknownConsts: Var[] = [];
  const need = (v: Var) => {
    if (unknown.has(v) || seen.has(v)) return;
    seen.add(v);
    if (consts.has(v)) unknownConsts.push(v);
    else res.push(v);
  };
  for (const e of unknownEqns) for (const v of e.inputs) need(v);
  p.outs.forEach((v, i) => {
    if (outUnknown[i]) need(v);
  });
  const constValue = new Map(p.constVars.map((v, i) => [v, p.constValues[i]!]));
  const known = new Program(
    p.constVars,
    p.constValues,
    p.inVars.filter((_, i) => !unknownIn[i]),
    knownEqns,
    [...p.outs.filter((_, i) => !outUnknown[i]), ...res],
  ).pruned();
  const unknownProgram = new Program(
    unknownConsts,
    unknownConsts.map((v) => constValue.get(v)!),
    [...res, ...p.inVars.filter((_, i) => unknownIn[i])],
    unknownEqns,
    p.outs.filter((_, i) => outUnknown[i]),
  );
  return { known, unknown: unknownProgram, outUnknown, nRes: res.length };
}

/** Primitives cheap enough to recompute in the backward pass rather than store: elementwise and movement. */
const RECOMPUTABLE: ReadonlySet<string> = new Set<string>([
  ...UNARY_PRIMS,
  ...BINARY_PRIMS,
  ...COMPARE_PRIMS,
  "select_n",
  "convert",
  "broadcast_in_dim",
  "reshape",
  "slice",
  "transpose",
  "squeeze",
  "expand_dims",
]);

/**
 * The known equations whose values the unknown part reads and that are elementwise or movement functions
 * of the known inputs and constants alone (no product, reduction or gather on the way): the unknown part
 * recomputes them from those inputs instead of receiving them as stored residuals, so a fused backward
 * pass reads the inputs once rather than arrays written by the forward pass (what jit of the whole
 * gradient would do). In program order; the known part keeps them too when it needs them.
 */
function recomputable(
  p: Program,
  unknownIn: readonly boolean[],
  knownEqns: readonly Eqn[],
  unknownEqns: readonly Eqn[],
  outUnknown: readonly boolean[],
  unknown: ReadonlySet<Var>,
): Eqn[] {
  const leaves = new Set<Var>(p.constVars);
  p.inVars.forEach((v, i) => {
    if (!unknownIn[i]) leaves.add(v);
  });
  const def = new Map<Var, Eqn>();
  for (const e of knownEqns) if (e.outs.length === 1) def.set(e.outs[0]!, e);
  const cheap = new Map<Var, boolean>();
  const isCheap = (v: Var): boolean => {
    if (leaves.has(v)) return true;
    const known = cheap.get(v);
    if (known !== undefined) return known;
    const e = def.get(v);
    const ok = e !== undefined && RECOMPUTABLE.has(e.prim) && e.inputs.every(isCheap);
    cheap.set(v, ok);
    return ok;
  };
  const take = new Set<Eqn>();
  const pull = (v: Var) => {
    if (leaves.has(v) || unknown.has(v)) return;
    const e = def.get(v);
    if (e === undefined || take.has(e)) return;
    take.add(e);
    for (const u of e.inputs) pull(u);
  };
  const wanted = (v: Var) => {
    if (!unknown.has(v) && !leaves.has(v) && isCheap(v)) pull(v);
  };
  for (const e of unknownEqns) for (const v of e.inputs) wanted(v);
  p.outs.forEach((v, i) => {
    if (outUnknown[i]) wanted(v);
  });
  return knownEqns.filter((e) => take.has(e));
}

/** A cond split into a known cond (known outputs, then every branch's residuals) and an unknown cond. */
export interface SplitCond {
  /** Branches of the known cond: known operands → known outputs, then the residual slots. */
  readonly known: Program[];
  /** Branches of the unknown cond: residual slots, then unknown operands → unknown outputs. */
  readonly unknown: Program[];
  readonly outUnknown: boolean[];
  /** The residual slots: those of branch 0, then of branch 1, … (a branch fills its own, zeros elsewhere). */
  readonly resAvals: Aval[];
}

export function splitCond({ branches }: CondParams, unknownOps: readonly boolean[]): SplitCond {
  const nOut = branches[0]!.outs.length;
  const none = new Array<boolean>(nOut).fill(false);
  // An output unknown in one branch is unknown in all: the union, then every branch split again with it.
  const outUnknown = none.slice();
  for (const br of branches)
    splitProgram(br, unknownOps, none).outUnknown.forEach((u, i) => {
      if (u) outUnknown[i] = true;
    });
  const parts = branches.map((br) => splitProgram(br, unknownOps, outUnknown));
  const nKnownOut = outUnknown.filter((u) => !u).length;
  const offsets: number[] = [];
  const resAvals: Aval[] = [];
  for (const pt of parts) {
    offsets.push(resAvals.length);
    resAvals.push(...pt.known.outs.slice(nKnownOut).map((v) => v.aval));
  }
  const ins = branches[0]!.inVars.map((v) => v.aval);
  const knownIns = ins.filter((_, i) => !unknownOps[i]);
  const unknownIns = ins.filter((_, i) => unknownOps[i]);
  const known = parts.map((pt, b) =>
    stageFlat((...xs) => {
      const o = pt.known.run(xs);
      const mine = o.slice(nKnownOut);
      const slots = resAvals.map((a, j) => {
        const r = j - offsets[b]!;
        return r >= 0 && r < pt.nRes ? mine[r]! : lax.zerosLike(a);
      });
      return [...o.slice(0, nKnownOut), ...slots];
    }, knownIns),
  );
  const unknown = parts.map((pt, b) =>
    stageFlat(
      (...xs) =>
        pt.unknown.run([...xs.slice(offsets[b]!, offsets[b]! + pt.nRes), ...xs.slice(resAvals.length)]),
      [...resAvals, ...unknownIns],
    ),
  );
  return { known, unknown, outUnknown, resAvals };
}

// ---- transposition ------------------------------------------------------------------------------------

/**
 * The transpose of a cond linear in some operands (the others are residuals): a cond over each branch's
 * transpose, from the residuals and the output cotangents to the linear operands' cotangents.
 */
function condTranspose(cts: Ct[], args: Arg[], params: CondParams): Ct[] {
  const index = args[0]!;
  if (isLin(index)) throw new ValueError("cond: the branch index cannot be a linear input");
  const ops = args.slice(1);
  const lin = ops.map((a) => isLin(a));
  const res = ops.filter((a) => !isLin(a)) as T[];
  const linAvals = ops.filter((a) => isLin(a)) as Aval[];
  const outAvals = outAvalsOf(params);
  const ctVals = cts.map((c, i) => (c === null ? lax.zerosLike(outAvals[i]!) : matchAval(c, outAvals[i]!)));
  const resAvals = res.map(avalOf);
  const branches = params.branches.map((br) =>
    transposedProgram((a) => br.run(a), lin, resAvals, linAvals, outAvals),
  );
  const out = cond(index, [...res, ...ctVals], branches);
  let k = 0;
  return [null, ...lin.map((l) => (l ? out[k++]! : null))];
}

/**
 * The transpose of `run`, linear in the operands marked in `lin`, as a program: inputs are the other operands
 * (residuals, avals `resAvals`), then one cotangent per output; outputs are the cotangents of the linear ones.
 */
export function transposedProgram(
  run: (xs: T[]) => T[],
  lin: readonly boolean[],
  resAvals: readonly Aval[],
  linAvals: readonly Aval[],
  outAvals: readonly Aval[],
): Program {
  const nRes = resAvals.length;
  return stageFlat(
    (...xs) => {
      const rs = xs.slice(0, nRes);
      // The function of its linear operands alone (linear, so linearizing at zero gives itself).
      const f = (...l: T[]): T[] => {
        let r = 0;
        let k = 0;
        return run(lin.map((isL) => (isL ? l[k++]! : rs[r++]!)));
      };
      const [, linear] = linearizeFlat(
        f,
        linAvals.map((a) => lax.zerosLike(a)),
      );
      return transposeProgram(linear, xs.slice(nRes));
    },
    [...resAvals, ...outAvals],
  );
}

// ---- the multi-output primitives without programs (the decompositions of primitives/linalg.ts) -----------------

/**
 * The Taylor series of a multi-output primitive by nested forward mode: along the inputs' path
 * x(t) = Σ_j x_j t^j / j!, term k of each output is its k-th derivative in t at 0, all orders from one nest
 * of `order` JVPs in the scalar t (2^order applications: for primitives with no recurrence of their own).
 */
function jetByJvp<P extends KernelMultiPrim>(prim: P): MultiRules<P>["jet"] {
  return (primals, series, params, order) => {
    const outs = bindMulti(prim, primals, params);
    const path = (t: T): T[] =>
      primals.map((x, i) => {
        const s = series[i];
        if (s === null || s === undefined || s.isConstant || !isFloat(x.aval.dtype)) return x;
        const tx = lax.convert(t, x.aval.dtype);
        let p = x;
        let tj: T = lax.scalarLike(x, 1);
        for (let j = 1; j <= order; j++) {
          tj = lax.div(lax.mul(tj, tx), lax.scalarLike(x, j));
          const term = s.term(j);
          if (term !== null) p = lax.add(p, lax.mul(matchAval(term, x.aval), tj));
        }
        return p;
      });
    const avals = outs.map(avalOf);
    const n = avals.length;
    // levels(t): [outputs, their first derivatives in t, ..., their k-th], flattened level by level.
    let levels = (t: T): T[] => bindMulti(prim, path(t), params);
    for (let k = 1; k <= order; k++) {
      const prev = levels;
      levels = (t: T) => {
        const [vals, tans] = jvpFlat((u) => prev(u), [t], [lax.scalarLike(t, 1)]);
        const top = tans.slice(tans.length - n).map((d, i) => d ?? lax.zerosLike(avals[i]!));
        return [...vals, ...top];
      };
    }
    const like = primals.find((x) => isFloat(x.aval.dtype)) ?? primals[0]!;
    const all = levels(lax.scalarLike(like, 0));
    return [
      outs,
      outs.map((o, i) =>
        isFloat(o.aval.dtype)
          ? Series.known(
              o.aval,
              o,
              Array.from({ length: order }, (_, k) => all[(k + 1) * n + i]!),
            )
          : null,
      ),
    ];
  };
}

/** A decomposition's rules from its family's table: none is linear, so none is ever transposed. */
function kernelMultiRule<P extends KernelMultiPrim>(p: P): MultiRules<P> {
  const r = LINALG_MULTI[p];
  return {
    jvp: r.jvp,
    vmap: r.vmap,
    jet: r.jet ?? jetByJvp(p),
    transpose: () => {
      throw new ValueError(`${p}: not linear in its operand, so it has no transpose rule`);
    },
  };
}

/** The rules of every multi-output primitive. */
export const multiRules: { readonly [P in MultiPrim]: MultiRules<P> } = {
  cond: { jvp: condJvp, vmap: condVmap, jet: condJet, transpose: condTranspose },
  jit_call: { jvp: jitCallJvp, vmap: jitCallVmap, jet: jitCallJet, transpose: jitCallTranspose },
  scan: { jvp: scanJvp, vmap: scanVmap, jet: scanJet, transpose: scanTranspose },
  while: { jvp: whileJvp, vmap: whileVmap, jet: whileJet, transpose: whileTranspose },
  lu: kernelMultiRule("lu"),
  qr: kernelMultiRule("qr"),
  eigh: kernelMultiRule("eigh"),
  svd: kernelMultiRule("svd"),
};
