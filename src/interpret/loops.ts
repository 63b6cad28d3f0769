// The rules of scan and while that run an interpreter on the body: each transformation of a loop is a loop
// of the transformed body, staged once per application. JVP: the JVP'd body, carry tangents in the carry.
// Batching: the batched body, the carry batched, the scanned axis kept leading. Taylor mode: the jet'd body.
// Linearization splits the JVP'd body into a known scan (primal outputs and the residuals of every step,
// stacked) and a linear scan reading them; transposition is a reverse scan of the transposed body. A while
// loop has no reverse mode: its trip count is not known ahead.
import { isFloat } from "../core/dtype.js";
import { ValueError } from "../core/errors.js";
import { Program, type Var } from "../core/program.js";
import type { Aval, Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import { type ScanParams, scan, type WhileParams, whileLoop } from "../primitives/loops.js";
import { type Dim, toFront } from "../primitives/rule-helpers.js";
import { Series } from "../primitives/series.js";
import { type Arg, isLin } from "../primitives/unbroadcast.js";
import { matchAval, splitProgram } from "./control.js";
import { jetSeriesFlat } from "./jet.js";
import { jvpFlat } from "./jvp.js";
import { linearizeFlat } from "./partial-eval.js";
import { stageFlat } from "./stage.js";
import { transposeProgram } from "./transpose.js";
import { vmapFlat } from "./vmap.js";

type T = Tensor;
type Tan = T | null;
type Ct = T | null;

const avalOf = (x: T): Aval => x.aval;
const stacked = (a: Aval, n: number): Aval => ({ ...a, shape: [n, ...a.shape] });
const zerosOr = (t: Tan, a: Aval): T => (t === null ? lax.zerosLike(a) : matchAval(t, a));

/** A scan's operands split into its constants, carry and scanned values. */
function parts<X>(xs: readonly X[], { nConsts, nCarry }: ScanParams): [X[], X[], X[]] {
  return [xs.slice(0, nConsts), xs.slice(nConsts, nConsts + nCarry), xs.slice(nConsts + nCarry)];
}

/** The error every reverse-mode transformation of a while loop raises. */
export const whileReverseError = (): ValueError =>
  new ValueError(
    "lax.whileLoop: reverse-mode differentiation (grad, vjp, linearize) is not supported, because the number of iterations is not known ahead; use nb.lax.scan or nb.lax.foriLoop with static bounds, or forward mode (jvp, jacfwd)",
  );

// ---- JVP ----------------------------------------------------------------------------------------------

/** scan of the JVP'd body: tangents of the non-zero constants and xs, and of every float carry. */
export function scanJvp(primals: T[], tangents: Tan[], params: ScanParams): [T[], Tan[]] {
  const { body, nCarry, length } = params;
  const inAvals = body.inVars.map((v) => v.aval);
  const outAvals = body.outs.map((v) => v.aval);
  const has = primals.map((x, i) => {
    const carry = i >= params.nConsts && i < params.nConsts + nCarry;
    return isFloat(x.aval.dtype) && (carry || tangents[i] !== null);
  });
  const tans = primals.map((x, i) => (has[i] ? zerosOr(tangents[i]!, x.aval) : null));
  const [c, k, x] = parts(primals, params);
  const [tc, tk, tx] = parts(tans, params);
  const nonNull = (ts: Tan[]) => ts.filter((t): t is T => t !== null);
  const withTan = outAvals.map((a) => isFloat(a.dtype));
  const n = primals.length;
  const stepAvals = [
    ...c.map(avalOf),
    ...nonNull(tc).map(avalOf),
    ...k.map(avalOf),
    ...nonNull(tk).map(avalOf),
    ...inAvals.slice(params.nConsts + nCarry),
    ...inAvals.filter((_, i) => has[i] && i >= params.nConsts + nCarry),
  ];
  const step = stageFlat((...a) => {
    // Unpack in the operand order: constants and their tangents, carry and its tangents, xs and theirs.
    const ps: T[] = [];
    const ts: Tan[] = [];
    let q = 0;
    for (const [from, to] of [
      [0, params.nConsts],
      [params.nConsts, params.nConsts + nCarry],
      [params.nConsts + nCarry, n],
    ] as const) {
      for (let i = from; i < to; i++) ps.push(a[q++]!);
      for (let i = from; i < to; i++) ts.push(has[i] ? a[q++]! : null);
    }
    const [outs, touts] = jvpFlat((...b) => body.run(b), ps, ts);
    const tanOuts = touts.map((t, i) => (withTan[i] ? zerosOr(t, outAvals[i]!) : null));
    return [
      ...outs.slice(0, nCarry),
      ...nonNull(tanOuts.slice(0, nCarry)),
      ...outs.slice(nCarry),
      ...nonNull(tanOuts.slice(nCarry)),
    ];
  }, stepAvals);
  const carryIn = [...k, ...nonNull(tk)];
  const res = scan([...c, ...nonNull(tc)], carryIn, [...x, ...nonNull(tx)], step, length, params.reverse);
  const nK = carryIn.length;
  const carryOut = res.slice(0, nCarry);
  const ys = res.slice(nK, nK + outAvals.length - nCarry);
  let q1 = nCarry;
  let q2 = nK + ys.length;
  const tanOut = withTan.map((w, i) => (w ? res[i < nCarry ? q1++ : q2++]! : null));
  return [[...carryOut, ...ys], tanOut];
}

// ---- batching -----------------------------------------------------------------------------------------

/** scan of the batched body: the carry always batched, batched xs moved so the scanned axis stays leading. */
export function scanVmap(vals: T[], dims: Dim[], params: ScanParams, size: number): [T[], Dim[]] {
  const { body, nConsts, nCarry } = params;
  const n = nConsts + nCarry;
  const ins = vals.map((v, i) => {
    const d = dims[i]!;
    if (i >= nConsts && i < n) return toFront(v, d, size);
    if (i < nConsts) return d === null ? v : lax.moveAxis(v, d, 0);
    return d === null ? v : lax.moveAxis(v, d, 1);
  });
  const stepDims: Dim[] = dims.map((d, i) => (i >= nConsts && i < n ? 0 : d === null ? null : 0));
  const stepAvals = body.inVars.map((v, i) => (stepDims[i] === null ? v.aval : stacked(v.aval, size)));
  const step = stageFlat((...a) => vmapFlat((...b) => body.run(b), stepDims, 0, a), stepAvals);
  const [c, k, x] = parts(ins, params);
  const outs = scan(c, k, x, step, params.length, params.reverse);
  return [outs, outs.map((_, i) => (i < nCarry ? 0 : 1))];
}

// ---- Taylor mode --------------------------------------------------------------------------------------

/** scan of the jet'd body: terms 1..order of the non-constant constants and xs, and of every float carry. */
export function scanJet(
  primals: T[],
  series: (Series | null)[],
  params: ScanParams,
  order: number,
): [T[], (Series | null)[]] {
  const { body, nConsts, nCarry, length } = params;
  const n = nConsts + nCarry;
  const inAvals = body.inVars.map((v) => v.aval);
  const outAvals = body.outs.map((v) => v.aval);
  const has = primals.map(
    (x, i) =>
      isFloat(x.aval.dtype) && ((i >= nConsts && i < n) || (series[i] != null && !series[i]!.isConstant)),
  );
  const termsOf = (i: number): T[] =>
    Array.from({ length: order }, (_, j) => zerosOr(series[i]?.term(j + 1) ?? null, primals[i]!.aval));
  const groups = [
    [0, nConsts],
    [nConsts, n],
    [n, primals.length],
  ] as const;
  const opsOf = (g: 0 | 1 | 2): T[] => {
    const [from, to] = groups[g];
    const out = primals.slice(from, to);
    for (let i = from; i < to; i++) if (has[i]) out.push(...termsOf(i));
    return out;
  };
  const withSeries = outAvals.map((a) => isFloat(a.dtype));
  const stepAvals: Aval[] = [];
  for (const [from, to] of groups) {
    for (let i = from; i < to; i++) stepAvals.push(inAvals[i]!);
    for (let i = from; i < to; i++) if (has[i]) for (let j = 0; j < order; j++) stepAvals.push(inAvals[i]!);
  }
  const step = stageFlat((...a) => {
    const ps: T[] = [];
    const ss: (Series | null)[] = [];
    let q = 0;
    for (const [from, to] of groups) {
      const start = ps.length;
      for (let i = from; i < to; i++) ps.push(a[q++]!);
      for (let i = from; i < to; i++) {
        if (!has[i]) {
          ss.push(null);
          continue;
        }
        const p = ps[start + i - from]!;
        ss.push(Series.known(p.aval, p, a.slice(q, q + order)));
        q += order;
      }
    }
    const [outs, outSeries] = jetSeriesFlat((...b) => body.run(b), ps, ss, order);
    const termsOut = (from: number, to: number) =>
      outSeries
        .slice(from, to)
        .flatMap((s, j) =>
          withSeries[from + j]
            ? Array.from({ length: order }, (_, t) => zerosOr(s?.term(t + 1) ?? null, outAvals[from + j]!))
            : [],
        );
    return [
      ...outs.slice(0, nCarry),
      ...termsOut(0, nCarry),
      ...outs.slice(nCarry),
      ...termsOut(nCarry, outs.length),
    ];
  }, stepAvals);
  const carryIn = opsOf(1);
  const res = scan(opsOf(0), carryIn, opsOf(2), step, length, params.reverse);
  const outs = [
    ...res.slice(0, nCarry),
    ...res.slice(carryIn.length, carryIn.length + outAvals.length - nCarry),
  ];
  let q1 = nCarry;
  let q2 = carryIn.length + outAvals.length - nCarry;
  return [
    outs,
    withSeries.map((w, i) => {
      if (!w) return null;
      const terms = i < nCarry ? res.slice(q1, (q1 += order)) : res.slice(q2, (q2 += order));
      return Series.known(outs[i]!.aval, outs[i]!, terms);
    }),
  ];
}

// ---- partial evaluation -------------------------------------------------------------------------------

/**
 * A scan split into a known scan (known outputs, then each step's residuals as ys) and an unknown scan.
 * A residual that is one of the known constants or xs themselves is not stacked again: the unknown scan
 * takes that operand directly (a weight read at every step is kept once, not once per step).
 */
export interface SplitScan {
  /** Known constants, carry and xs → known carry, known ys, then the stacked residuals. */
  readonly known: ScanParams;
  /**
   * Constant residuals, unknown constants, unknown carry, then the stacked residuals, the xs residuals and
   * the unknown xs.
   */
  readonly unknown: ScanParams;
  /** Which operands of the scan the unknown part takes (a known carry the body makes unknown is among them). */
  readonly inUnknown: boolean[];
  readonly outUnknown: boolean[];
  /** The avals of the stacked residuals (with the leading steps axis). */
  readonly resAvals: Aval[];
  /** Operand indices of the known constants the unknown scan reads as constants. */
  readonly constRes: number[];
  /** Operand indices of the known xs the unknown scan reads as scanned values. */
  readonly xsRes: number[];
}

/** The unknown scan's operands: `pick(from, to, unknown)` selects operands, `stacked` are the residual ys. */
export function unknownScanOperands<X>(
  split: SplitScan,
  params: ScanParams,
  operands: readonly X[],
  stacked: readonly X[],
): X[] {
  const n = params.nConsts + params.nCarry;
  const pick = (from: number, to: number) =>
    operands.slice(from, to).filter((_, i) => split.inUnknown[from + i]);
  return [
    ...split.constRes.map((i) => operands[i]!),
    ...pick(0, params.nConsts),
    ...pick(params.nConsts, n),
    ...stacked,
    ...split.xsRes.map((i) => operands[i]!),
    ...pick(n, operands.length),
  ];
}

/** The known scan's operands. */
export function knownScanOperands<X>(split: SplitScan, operands: readonly X[]): X[] {
  return operands.filter((_, i) => !split.inUnknown[i]);
}

export function splitScan(params: ScanParams, unknownIn: readonly boolean[]): SplitScan {
  const { body, nConsts, nCarry, length } = params;
  const inUnknown = unknownIn.slice();
  const none = new Array<boolean>(body.outs.length).fill(false);
  // A carry is unknown if it starts unknown or the body makes it so: iterate to the fixed point.
  for (;;) {
    const { outUnknown } = splitProgram(body, inUnknown, none);
    let changed = false;
    for (let i = 0; i < nCarry; i++)
      if (outUnknown[i] && !inUnknown[nConsts + i]) inUnknown[nConsts + i] = changed = true;
    if (!changed) break;
  }
  const carryUnknown = inUnknown.slice(nConsts, nConsts + nCarry);
  const split = splitProgram(body, inUnknown, [...carryUnknown, ...none.slice(nCarry)]);
  const nKnownCarry = carryUnknown.filter((u) => !u).length;
  const k = split.known;
  const nKnownOut = k.outs.length - split.nRes;
  // Where each residual comes from: a known constant or xs operand of the scan, or the body (stacked).
  const operandOf = new Map<Var, number>();
  let q = 0;
  inUnknown.forEach((u, i) => {
    if (!u) operandOf.set(k.inVars[q++]!, i);
  });
  const constRes: number[] = [];
  const xsRes: number[] = [];
  const constSlots: number[] = [];
  const xsSlots: number[] = [];
  const stackSlots: number[] = [];
  k.outs.slice(nKnownOut).forEach((v, r) => {
    const i = operandOf.get(v);
    if (i !== undefined && i < nConsts) {
      constRes.push(i);
      constSlots.push(r);
    } else if (i !== undefined && i >= nConsts + nCarry) {
      xsRes.push(i);
      xsSlots.push(r);
    } else stackSlots.push(r);
  });
  const known = new Program(k.constVars, k.constValues, k.inVars, k.eqns, [
    ...k.outs.slice(0, nKnownOut),
    ...stackSlots.map((r) => k.outs[nKnownOut + r]!),
  ]);
  const resAvals = stackSlots.map((r) => k.outs[nKnownOut + r]!.aval);
  // The unknown part reads the residuals first; as a scan body they are constants or scanned values.
  const u = split.unknown;
  const nUnknownConsts = inUnknown.slice(0, nConsts).filter(Boolean).length;
  const nUnknownCarry = carryUnknown.filter(Boolean).length;
  const res = u.inVars.slice(0, split.nRes);
  const rest = u.inVars.slice(split.nRes);
  const unknownBody = new Program(
    u.constVars,
    u.constValues,
    [
      ...constSlots.map((r) => res[r]!),
      ...rest.slice(0, nUnknownConsts + nUnknownCarry),
      ...stackSlots.map((r) => res[r]!),
      ...xsSlots.map((r) => res[r]!),
      ...rest.slice(nUnknownConsts + nUnknownCarry),
    ],
    u.eqns,
    u.outs,
  );
  return {
    known: {
      body: known,
      nConsts: inUnknown.slice(0, nConsts).filter((x) => !x).length,
      nCarry: nKnownCarry,
      length,
      reverse: params.reverse,
    },
    unknown: {
      body: unknownBody,
      nConsts: constRes.length + nUnknownConsts,
      nCarry: nUnknownCarry,
      length,
      reverse: params.reverse,
    },
    inUnknown,
    outUnknown: split.outUnknown,
    resAvals: resAvals.map((a) => stacked(a, length)),
    constRes,
    xsRes,
  };
}

// ---- transposition ------------------------------------------------------------------------------------

/**
 * The transpose of a scan linear in its carry and some constants and xs (the others are residuals): a scan
 * in the other direction whose carry holds the carry's cotangent and the sums of the linear constants'
 * cotangents, and whose ys are the linear xs' cotangents. A carry given as a known value (a zero tangent
 * the body makes non-zero) is treated as linear; its cotangent is dropped.
 */
export function scanTranspose(cts: Ct[], args: Arg[], params: ScanParams): Ct[] {
  const { body, nCarry, length } = params;
  const [c, k, x] = parts(args, params);
  const [cAvals, kAvals, xAvals] = parts(
    body.inVars.map((v) => v.aval),
    params,
  );
  const outAvals = body.outs.map((v) => v.aval);
  const resC = c.filter((a) => !isLin(a)) as T[];
  const resX = x.filter((a) => !isLin(a)) as T[];
  const linCAvals = cAvals.filter((_, i) => isLin(c[i]!));
  const linXAvals = xAvals.filter((_, i) => isLin(x[i]!));
  const ctCarry = cts.slice(0, nCarry).map((t, i) => zerosOr(t, outAvals[i]!));
  const ctYs = cts.slice(nCarry).map((t, i) => zerosOr(t, stacked(outAvals[nCarry + i]!, length)));
  const nLin = linCAvals.length + nCarry + linXAvals.length;
  const step = stageFlat(
    (...a) => {
      let q = 0;
      const rc = a.slice(q, (q += resC.length));
      const ctk = a.slice(q, (q += nCarry));
      const acc = a.slice(q, (q += linCAvals.length));
      const rx = a.slice(q, (q += resX.length));
      const cty = a.slice(q);
      // The body as a function of its linear inputs (linear, so linearizing at zero gives itself).
      const f = (...l: T[]): T[] => {
        let r = 0;
        let m = 0;
        let s = 0;
        const ins = [
          ...c.map((a0) => (isLin(a0) ? l[m++]! : rc[r++]!)),
          ...kAvals.map(() => l[m++]!),
          ...x.map((a0) => (isLin(a0) ? l[m++]! : rx[s++]!)),
        ];
        return body.run(ins);
      };
      const linAvals = [...linCAvals, ...kAvals, ...linXAvals];
      const [, linear] = linearizeFlat(
        f,
        linAvals.map((av) => lax.zerosLike(av)),
      );
      const ctIn = transposeProgram(linear, [...ctk, ...cty]).map((t, i) => matchAval(t, linAvals[i]!));
      const nC = linCAvals.length;
      return [
        ...ctIn.slice(nC, nC + nCarry),
        ...acc.map((s, i) => matchAval(lax.add(s, ctIn[i]!), linCAvals[i]!)),
        ...ctIn.slice(nC + nCarry, nLin),
      ];
    },
    [
      ...resC.map(avalOf),
      ...kAvals,
      ...linCAvals,
      ...resX.map((r) => r.aval).map((a) => ({ ...a, shape: a.shape.slice(1) })),
      ...outAvals.slice(nCarry),
    ],
  );
  const out = scan(
    resC,
    [...ctCarry, ...linCAvals.map((a) => lax.zerosLike(a))],
    [...resX, ...ctYs],
    step,
    length,
    !params.reverse,
  );
  let qc = nCarry;
  let qx = nCarry + linCAvals.length;
  return [
    ...c.map((a) => (isLin(a) ? out[qc++]! : null)),
    ...k.map((a, i) => (isLin(a) ? out[i]! : null)),
    ...x.map((a) => (isLin(a) ? out[qx++]! : null)),
  ];
}

// ---- while --------------------------------------------------------------------------------------------

/** while of the JVP'd body: the condition reads the primal carry; every float carry has a tangent. */
export function whileJvp(primals: T[], tangents: Tan[], params: WhileParams): [T[], Tan[]] {
  const { cond, body, nCondConsts: nc, nBodyConsts: nb } = params;
  const cc = primals.slice(0, nc);
  const bc = primals.slice(nc, nc + nb);
  const carry = primals.slice(nc + nb);
  const hasB = bc.map((x, i) => isFloat(x.aval.dtype) && tangents[nc + i] !== null);
  const hasK = carry.map((x) => isFloat(x.aval.dtype));
  const tb = bc.flatMap((x, i) => (hasB[i] ? [zerosOr(tangents[nc + i]!, x.aval)] : []));
  const tk = carry.flatMap((x, i) => (hasK[i] ? [zerosOr(tangents[nc + nb + i]!, x.aval)] : []));
  const nK = carry.length;
  const condP = stageFlat(
    (...a) => cond.run([...a.slice(0, nc), ...a.slice(nc, nc + nK)]),
    [...cc.map(avalOf), ...carry.map(avalOf), ...tk.map(avalOf)],
  );
  const bodyP = stageFlat(
    (...a) => {
      let q = nb + tb.length;
      let j = nb;
      const bt = hasB.map((h) => (h ? a[j++]! : null));
      const ks = a.slice(q, (q += nK));
      const kt = hasK.map((h) => (h ? a[q++]! : null));
      const [outs, touts] = jvpFlat((...b) => body.run(b), [...a.slice(0, nb), ...ks], [...bt, ...kt]);
      return [...outs, ...touts.flatMap((t, i) => (hasK[i] ? [zerosOr(t, carry[i]!.aval)] : []))];
    },
    [...bc.map(avalOf), ...tb.map(avalOf), ...carry.map(avalOf), ...tk.map(avalOf)],
  );
  const out = whileLoop(cc, [...bc, ...tb], [...carry, ...tk], condP, bodyP);
  let q = nK;
  return [out.slice(0, nK), hasK.map((h) => (h ? out[q++]! : null))];
}

/**
 * while of the batched body and condition: every lane runs until all are done (the condition any lane
 * still holds), and a lane whose own condition fails keeps its carry.
 */
export function whileVmap(vals: T[], dims: Dim[], params: WhileParams, size: number): [T[], Dim[]] {
  const { cond, body, nCondConsts: nc, nBodyConsts: nb } = params;
  const ins = vals.map((v, i) => {
    const d = dims[i]!;
    if (i >= nc + nb) return toFront(v, d, size);
    return d === null ? v : lax.moveAxis(v, d, 0);
  });
  const cDims: Dim[] = dims.slice(0, nc).map((d) => (d === null ? null : 0));
  const bDims: Dim[] = dims.slice(nc, nc + nb).map((d) => (d === null ? null : 0));
  const carry = ins.slice(nc + nb);
  const kDims: Dim[] = carry.map(() => 0);
  const cc = ins.slice(0, nc);
  const bc = ins.slice(nc, nc + nb);
  const lanes = (a: T[], ds: Dim[]) => vmapFlat((...b) => cond.run(b), ds, 0, a)[0]!;
  const condP = stageFlat(
    (...a) => {
      const pred = lax.convert(lanes(a, [...cDims, ...kDims]), "int32");
      return [lax.gt(lax.reduceMax(pred, [0]), lax.scalarLike(pred, 0))];
    },
    [...cc.map(avalOf), ...carry.map(avalOf)],
  );
  const bodyP = stageFlat(
    (...a) => {
      const cs = a.slice(0, nc);
      const ks = a.slice(nc + nb);
      const pred = lanes([...cs, ...ks], [...cDims, ...kDims]);
      const next = vmapFlat((...b) => body.run(b), [...bDims, ...kDims], 0, a.slice(nc));
      return next.map((x, i) => lax.select(lax.broadcastInDim(pred, x.aval.shape, [0]), x, ks[i]!));
    },
    [...cc.map(avalOf), ...bc.map(avalOf), ...carry.map(avalOf)],
  );
  // The batched body also reads the condition's constants, so they are among its constants.
  const outs = whileLoop(cc, [...cc, ...bc], carry, condP, bodyP);
  return [outs, outs.map(() => 0)];
}

/** while of the jet'd body: the condition reads the primal carry; every float carry has its terms. */
export function whileJet(
  primals: T[],
  series: (Series | null)[],
  params: WhileParams,
  order: number,
): [T[], (Series | null)[]] {
  const { cond, body, nCondConsts: nc, nBodyConsts: nb } = params;
  const cc = primals.slice(0, nc);
  const bc = primals.slice(nc, nc + nb);
  const carry = primals.slice(nc + nb);
  const hasB = bc.map(
    (x, i) => isFloat(x.aval.dtype) && series[nc + i] != null && !series[nc + i]!.isConstant,
  );
  const hasK = carry.map((x) => isFloat(x.aval.dtype));
  const termsOf = (i: number): T[] =>
    Array.from({ length: order }, (_, j) => zerosOr(series[i]?.term(j + 1) ?? null, primals[i]!.aval));
  const tb = bc.flatMap((_, i) => (hasB[i] ? termsOf(nc + i) : []));
  const tk = carry.flatMap((_, i) => (hasK[i] ? termsOf(nc + nb + i) : []));
  const nK = carry.length;
  const condP = stageFlat(
    (...a) => cond.run([...a.slice(0, nc), ...a.slice(nc, nc + nK)]),
    [...cc.map(avalOf), ...carry.map(avalOf), ...tk.map(avalOf)],
  );
  const bodyP = stageFlat(
    (...a) => {
      let q = nb;
      const bs = a.slice(0, nb);
      const bS = hasB.map((h, i) => {
        if (!h) return null;
        const s = Series.known(bs[i]!.aval, bs[i]!, a.slice(q, q + order));
        q += order;
        return s;
      });
      const ks = a.slice(q, (q += nK));
      const kS = hasK.map((h, i) => {
        if (!h) return null;
        const s = Series.known(ks[i]!.aval, ks[i]!, a.slice(q, q + order));
        q += order;
        return s;
      });
      const [outs, ss] = jetSeriesFlat((...b) => body.run(b), [...bs, ...ks], [...bS, ...kS], order);
      return [
        ...outs,
        ...ss.flatMap((s, i) =>
          hasK[i]
            ? Array.from({ length: order }, (_, t) => zerosOr(s?.term(t + 1) ?? null, carry[i]!.aval))
            : [],
        ),
      ];
    },
    [...bc.map(avalOf), ...tb.map(avalOf), ...carry.map(avalOf), ...tk.map(avalOf)],
  );
  const out = whileLoop(cc, [...bc, ...tb], [...carry, ...tk], condP, bodyP);
  const outs = out.slice(0, nK);
  let q = nK;
  return [
    outs,
    hasK.map((h, i) => (h ? Series.known(outs[i]!.aval, outs[i]!, out.slice(q, (q += order))) : null)),
  ];
}

export function whileTranspose(): Ct[] {
  throw whileReverseError();
}
