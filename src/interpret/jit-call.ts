// jit_call's rules: each transformation of a call is a call of the transformed program, so what a jitted
// function becomes under grad, vmap or jet stays one compiled program. A transformed program is staged once
// per program and configuration (which tangents are non-zero, which operands are batched, …) and kept, so
// later applications reuse it and its compiled executable. Linearization splits the JVP'd program into a
// known part (primal outputs and residuals) and a linear part; transposition calls the transposed linear part.
import { settings } from "../core/config.js";
import { toTensor } from "../core/convert.js";
import { isFloat } from "../core/dtype.js";
import { Program } from "../core/program.js";
import { flatten, type Pytree, type TreeDef, unflatten } from "../core/pytree.js";
import { type Aval, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { closeProgram, type JitCallParams, jitCall } from "../primitives/jit-call.js";
import * as lax from "../primitives/lax.js";
import type { Dim } from "../primitives/rule-helpers.js";
import type { Series } from "../primitives/series.js";
import { type Arg, isLin } from "../primitives/unbroadcast.js";
import {
  jetProgram,
  jetResults,
  matchAval,
  type SplitProgram,
  seriesMask,
  seriesTerms,
  splitProgram,
  transposedProgram,
} from "./control.js";
import { jvpFlat } from "./jvp.js";
import { stageFlat } from "./stage.js";
import { vmapFlat } from "./vmap.js";

type T = Tensor;
type Tan = T | null;
type Ct = T | null;

// biome-ignore lint/suspicious/noExplicitAny: jit and checkpoint take functions of any pytree signature
type AnyFn = (...args: any[]) => any;

const avalOf = (x: T): Aval => x.aval;
const outAvalsOf = (p: Program): Aval[] => p.outs.map((v) => v.aval);
const inAvalsOf = (p: Program): Aval[] => p.inVars.map((v) => v.aval);
const mask = (bs: readonly boolean[]): string => bs.map((b) => (b ? "1" : "0")).join("");
const isUnitSeed = (c: T): boolean =>
  c instanceof ConcreteTensor && c.aval.shape.length === 0 && isFloat(c.aval.dtype) && c.data[0] === 1;

/** Programs derived from a program (its JVP, batched form, split, transpose), by a key naming the derivation. */
const derived = new WeakMap<Program, Map<string, unknown>>();

function memo<R>(p: Program, key: string, make: () => R): R {
  let m = derived.get(p);
  if (m === undefined) {
    m = new Map();
    derived.set(p, m);
  }
  if (m.has(key)) return m.get(key) as R;
  const r = make();
  m.set(key, r);
  return r;
}

// ---- binding a call ------------------------------------------------------------------------------------

/** A function's calls under a transformation, bound as jit_call of its program (see {@link stagedCalls}). */
export interface StagedCalls {
  /** Binds a call of `f` on the flat arguments `xs` (pytree `def`; `key` names their signature). */
  call(def: TreeDef, key: string, xs: Tensor[]): unknown;
  /** Forgets every program traced so far. */
  clear(): void;
}

/**
 * How jit and checkpoint call `f` under a transformation: f's program for each signature, traced once and
 * kept (the least recently traced dropped past `nb.settings.jitCacheSize`) while its constants are
 * concrete, bound as a jit_call (marked `remat` for checkpoint) that the transformation transforms.
 */
export function stagedCalls(f: AnyFn, name: string, what: string, remat: boolean): StagedCalls {
  const staged = new Map<string, { program: Program; outDef: TreeDef }>();
  return {
    call(def, key, xs) {
      let hit = staged.get(key);
      let extras: Tensor[] = [];
      if (hit === undefined) {
        const out: { def?: TreeDef } = {};
        const traced = stageFlat(
          (...ts: Tensor[]): Tensor[] => {
            const [outLeaves, outDef] = flatten(
              f(...unflatten<unknown[]>(def, ts)) as Pytree,
              `${what} output`,
            );
            out.def = outDef;
            return outLeaves.map((l) => toTensor(l));
          },
          xs.map((x) => x.aval),
        );
        const closed = closeProgram(traced);
        hit = { program: closed.program, outDef: out.def! };
        extras = closed.extras;
        // A program closing over an outer transformation's values belongs to that application only.
        if (extras.length === 0) {
          if (staged.size >= settings.jitCacheSize) staged.delete(staged.keys().next().value!);
          staged.set(key, hit);
        }
      }
      return unflatten(hit.outDef, jitCall([...xs, ...extras], hit.program, name, remat));
    },
    clear: () => staged.clear(),
  };
}

// ---- JVP ----------------------------------------------------------------------------------------------

/** A call of the JVP'd program: inputs are the primals and the non-zero tangents; every float output gets a tangent. */
export function jitCallJvp(
  primals: T[],
  tangents: Tan[],
  { program, name, remat }: JitCallParams,
): [T[], Tan[]] {
  const has = tangents.map((t, i) => t !== null && isFloat(primals[i]!.aval.dtype));
  const tanIns = primals.flatMap((x, i) => (has[i] ? [matchAval(tangents[i]!, x.aval)] : []));
  const outAvals = outAvalsOf(program);
  const withTan = outAvals.map((a) => isFloat(a.dtype));
  const inAvals = inAvalsOf(program);
  const n = primals.length;
  const jvpProgram = memo(program, `jvp|${mask(has)}`, () =>
    stageFlat(
      (...xs) => {
        let k = n;
        const ts = has.map((h) => (h ? xs[k++]! : null));
        const [outs, touts] = jvpFlat((...a) => program.run(a), xs.slice(0, n), ts);
        const tanOuts = touts.flatMap((t, i) =>
          withTan[i] ? [t === null ? lax.zerosLike(outAvals[i]!) : matchAval(t, outAvals[i]!)] : [],
        );
        return [...outs, ...tanOuts];
      },
      [...inAvals, ...inAvals.filter((_, i) => has[i])],
    ),
  );
  const res = jitCall([...primals, ...tanIns], jvpProgram, `jvp(${name})`, remat === true);
  const m = outAvals.length;
  let k = m;
  return [res.slice(0, m), withTan.map((w) => (w ? res[k++]! : null))];
}

// ---- batching -----------------------------------------------------------------------------------------

/** A call of the batched program, every output batched along axis 0. */
export function jitCallVmap(
  vals: T[],
  dims: Dim[],
  { program, name, remat }: JitCallParams,
  size: number,
): [T[], Dim[]] {
  const batched = memo(program, `vmap|${dims.map((d) => (d === null ? "-" : d)).join(",")}|${size}`, () =>
    stageFlat((...xs) => vmapFlat((...a) => program.run(a), dims, 0, xs), vals.map(avalOf)),
  );
  const outs = jitCall(vals, batched, `vmap(${name})`, remat === true);
  return [outs, outs.map(() => 0)];
}

// ---- Taylor mode --------------------------------------------------------------------------------------

/** A call of the jet'd program: inputs are the primals and the terms 1..order of each non-constant series. */
export function jitCallJet(
  primals: T[],
  series: (Series | null)[],
  { program, name, remat }: JitCallParams,
  order: number,
): [T[], (Series | null)[]] {
  const has = seriesMask(primals, series);
  const termIns = seriesTerms(primals, series, has, order);
  const outAvals = outAvalsOf(program);
  const jetted = memo(program, `jet|${mask(has)}|${order}`, () =>
    jetProgram((a) => program.run(a), inAvalsOf(program), outAvals, has, order),
  );
  return jetResults(
    jitCall([...primals, ...termIns], jetted, `jet(${name})`, remat === true),
    outAvals,
    order,
  );
}

// ---- partial evaluation -------------------------------------------------------------------------------

/**
 * A call's program split for some unknown operands: `known` (known operands → known outputs, then the
 * stored residuals) and `unknown` (all residuals, then unknown operands → unknown outputs). `resIn` says
 * where each residual of `unknown` comes from: the index of a known operand it is equal to (passed on as it
 * is, never copied through the known call), or null for the next stored residual.
 */
export interface SplitCall extends SplitProgram {
  readonly resIn: readonly (number | null)[];
}

/**
 * The program split for these unknown operands, kept per program and mask. Residuals that are elementwise
 * functions of the known operands are recomputed by the unknown part (see `splitProgram`).
 * Rematerialized (`remat`): the known part returns the known outputs only, the residuals are the known
 * operands themselves, and the unknown part is the whole program, which recomputes what it needs from
 * them when it runs (or is transposed).
 */
export function splitCall(program: Program, unknownIn: readonly boolean[], remat = false): SplitCall {
  return memo(program, `${remat ? "remat" : "split"}|${mask(unknownIn)}`, () => {
    const split = splitProgram(
      program,
      unknownIn,
      program.outs.map(() => false),
      !remat,
    );
    const { known, outUnknown } = split;
    const nKnownOut = outUnknown.filter((u) => !u).length;
    const knownIndex = program.inVars.flatMap((_, i) => (unknownIn[i] ? [] : [i]));
    if (remat)
      return {
        known: new Program(
          known.constVars,
          known.constValues,
          known.inVars,
          known.eqns,
          known.outs.slice(0, nKnownOut),
        ),
        unknown: new Program(
          program.constVars,
          program.constValues,
          [...knownIndex.map((i) => program.inVars[i]!), ...program.inVars.filter((_, i) => unknownIn[i])],
          program.eqns,
          program.outs.filter((_, i) => outUnknown[i]),
        ),
        outUnknown,
        nRes: knownIndex.length,
        resIn: knownIndex,
      };
    // A residual that is a known operand itself is passed on directly.
    const operandOf = new Map(known.inVars.map((v, k) => [v, knownIndex[k]!]));
    const res = known.outs.slice(nKnownOut);
    const resIn = res.map((v) => operandOf.get(v) ?? null);
    return {
      ...split,
      known: new Program(known.constVars, known.constValues, known.inVars, known.eqns, [
        ...known.outs.slice(0, nKnownOut),
        ...res.filter((_, r) => resIn[r] === null),
      ]),
      resIn,
    };
  });
}

// ---- transposition ------------------------------------------------------------------------------------

/**
 * The transpose of a call linear in some operands (the others are residuals): a call of the transposed
 * program, from the residuals and the output cotangents to the linear operands' cotangents.
 */
export function jitCallTranspose(cts: Ct[], args: Arg[], { program, name }: JitCallParams): Ct[] {
  const lin = args.map((a) => isLin(a));
  const res = args.filter((a) => !isLin(a)) as T[];
  const inAvals = inAvalsOf(program);
  const linAvals = inAvals.filter((_, i) => lin[i]);
  const outAvals = outAvalsOf(program);
  const ctVals = cts.map((c, i) => (c === null ? lax.zerosLike(outAvals[i]!) : matchAval(c, outAvals[i]!)));
  const resAvals = inAvals.filter((_, i) => !lin[i]);
  const transposed = memo(program, `transpose|${mask(lin)}`, () =>
    transposedProgram((a) => program.run(a), lin, resAvals, linAvals, outAvals),
  );
  // A cotangent that is a concrete scalar 1 (grad's seed) is written into the program as a literal, so
  // compiling it folds the products by 1 away: grad(jit(f)) then runs what jit(grad(f)) runs.
  const seed = ctVals.map(isUnitSeed);
  const called = seed.some((s) => s)
    ? memo(program, `transpose|${mask(lin)}|seed ${mask(seed)}`, () =>
        withUnitInputs(transposed, [...res.map(() => false), ...seed]),
      )
    : transposed;
  const out = jitCall([...res, ...ctVals.filter((_, i) => !seed[i])], called, `transpose(${name})`);
  let k = 0;
  return lin.map((l) => (l ? out[k++]! : null));
}

/** `p` with the inputs `unit` marks turned into scalar constants 1 (literals); the others stay inputs. */
function withUnitInputs(p: Program, unit: readonly boolean[]): Program {
  const ins = p.inVars;
  const fixed = ins.filter((_, k) => unit[k]);
  return new Program(
    [...p.constVars, ...fixed],
    [...p.constValues, ...fixed.map((v) => lax.fullAval(v.aval, 1))],
    ins.filter((_, k) => !unit[k]),
    p.eqns,
    p.outs,
  );
}
