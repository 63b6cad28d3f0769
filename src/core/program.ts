// Programs: a staged, flat list of primitive applications (JAX's jaxpr), with printing and evaluation.

import { ValueError } from "./errors.js";
import {
  type AnyPrim,
  isMulti,
  type MultiPrim,
  type MultiPrimParams,
  type Prim,
  type PrimParams,
} from "./primitives.js";
import { type Aval, avalString, ConcreteTensor, type Tensor } from "./tensor.js";
import { bind, bindMulti } from "./trace.js";

/** A variable of a program, bound once. */
export class Var {
  constructor(readonly aval: Aval) {}
}

/** The parameters of any primitive. */
export type ParamsOf<P extends AnyPrim> = P extends keyof PrimParams
  ? PrimParams[P]
  : P extends keyof MultiPrimParams
    ? MultiPrimParams[P]
    : never;

/** One application of a primitive; `outs` has one variable, or one per output of a multi-output primitive. */
export interface Eqn<P extends AnyPrim = AnyPrim> {
  readonly prim: P;
  readonly inputs: readonly Var[];
  readonly params: ParamsOf<P>;
  readonly outs: readonly Var[];
}

/** A list of variable numbers or offsets. */
export type Numbers = readonly number[] | Int32Array;

/**
 * A program as flat arrays in which variables are numbers 0, 1, …: the form linearization records and
 * transposition reads. It needs no object per variable or equation, which keeps long recordings (one
 * equation per scalar operation) small for the garbage collector and quick to walk.
 */
export interface Tape {
  /** The abstract value of each variable. */
  readonly avals: readonly Aval[];
  /** The value of each variable that is a constant (undefined for the others). */
  readonly values: readonly (Tensor | undefined)[];
  /** The constant variables, in order. */
  readonly consts: Numbers;
  readonly inVars: Numbers;
  readonly outs: Numbers;
  /**
   * Equation k applies prims[k] with params[k] to its inputs and binds variable eqnOut[k], or, for a
   * multi-output primitive, the variables eqnOut[k] ..< eqnOut[k] + nOuts.get(k) (numbered consecutively).
   */
  readonly prims: readonly AnyPrim[];
  readonly params: readonly unknown[];
  readonly eqnOut: Numbers;
  /** The output count of each multi-output primitive's equation; absent when there is none. */
  readonly nOuts?: ReadonlyMap<number, number>;
  /** Equation k's inputs are args[argEnd[k − 1] ..< argEnd[k]] (from 0 for the first). */
  readonly argEnd: Numbers;
  readonly args: Numbers;
}

/** A program's parts as variables and equations. */
interface Parts {
  readonly constVars: readonly Var[];
  readonly constValues: readonly Tensor[];
  readonly inVars: readonly Var[];
  readonly eqns: readonly Eqn[];
  readonly outs: readonly Var[];
}

/**
 * A staged program: constants, inputs, equations in order, outputs. `String(program)` prints it in a
 * jaxpr-like form. Outputs may be inputs or constants themselves.
 * @example
 * ```ts
 * const p = nb.makeProgram((x) => nb.sin(nb.mul(x, 2)))(nb.array(1.0));
 * console.log(String(p));
 * // { lambda a:f32[]. let
 * //     b:f32[] = mul a 2.0
 * //     c:f32[] = sin b
 * //   in ( c ) }
 * p.run([nb.array(0.5)]);  // [sin(1)]
 * ```
 */
export class Program {
  // One form or the other is given; the missing one is made when first needed (programs are immutable).
  private parts: Parts | null;
  private tapeForm: Tape | null = null;

  constructor(
    constVars: readonly Var[],
    constValues: readonly Tensor[],
    inVars: readonly Var[],
    eqns: readonly Eqn[],
    outs: readonly Var[],
  ) {
    this.parts = { constVars, constValues, inVars, eqns, outs };
  }

  /** @internal The program a tape records; its variables and equations are made only when asked for. */
  static fromTape(tape: Tape): Program {
    const p = new Program([], [], [], [], []);
    p.parts = null;
    p.tapeForm = tape;
    return p;
  }

  get constVars(): readonly Var[] {
    return this.getParts().constVars;
  }
  get constValues(): readonly Tensor[] {
    return this.getParts().constValues;
  }
  get inVars(): readonly Var[] {
    return this.getParts().inVars;
  }
  get eqns(): readonly Eqn[] {
    return this.getParts().eqns;
  }
  get outs(): readonly Var[] {
    return this.getParts().outs;
  }

  /** @internal The program as a tape (numbered in order: constants, inputs, then equation outputs). */
  tape(): Tape {
    this.tapeForm ??= partsToTape(this.parts!);
    return this.tapeForm;
  }

  private getParts(): Parts {
    this.parts ??= tapeToParts(this.tapeForm!);
    return this.parts;
  }

  /** The same program without equations and constants that no output depends on. */
  pruned(): Program {
    const live = new Set<Var>(this.outs);
    const kept: Eqn[] = [];
    for (let i = this.eqns.length - 1; i >= 0; i--) {
      const e = this.eqns[i]!;
      if (!e.outs.some((v) => live.has(v))) continue;
      kept.push(e);
      for (const v of e.inputs) live.add(v);
    }
    const keep = this.constVars.map((v) => live.has(v));
    return new Program(
      this.constVars.filter((_, i) => keep[i]),
      this.constValues.filter((_, i) => keep[i]),
      this.inVars,
      kept.reverse(),
      this.outs,
    );
  }

  /** Evaluates the program with `bind`, so every transformation applies to it. */
  run(args: readonly Tensor[]): Tensor[] {
    if (args.length !== this.inVars.length)
      throw new ValueError(
        `Program.run: the program takes ${this.inVars.length} input(s), got ${args.length}`,
      );
    args.forEach((a, i) => {
      const v = this.inVars[i]!.aval;
      if (a.aval.dtype !== v.dtype || a.aval.shape.join() !== v.shape.join())
        throw new ValueError(
          `Program.run: input ${i} is ${avalString(a.aval)} but the program expects ${avalString(v)}`,
        );
    });
    return interpretProgram(this, this.constValues, args, bind, bindMulti);
  }

  toString(): string {
    const names = new Map<Var, string>();
    let counter = 0;
    const name = (v: Var): string => {
      let n = names.get(v);
      if (n === undefined) {
        n = varName(counter++);
        names.set(v, n);
      }
      return n;
    };
    const decl = (v: Var) => `${name(v)}:${avalString(v.aval)}`;
    // Scalar constants print inline as literals; others are listed as constant inputs.
    const literal = new Map<Var, string>();
    this.constVars.forEach((v, i) => {
      const c = this.constValues[i]!;
      if (c instanceof ConcreteTensor && c.data.length === 1 && v.aval.shape.length === 0)
        literal.set(v, fmtNumber(c.data[0]!));
    });
    for (const [v, s] of literal) names.set(v, s);
    const consts = this.constVars
      .filter((v) => !literal.has(v))
      .map(decl)
      .join(" ");
    const ins = this.inVars.map(decl).join(" ");
    const lines = this.eqns.map((e) => {
      const ps = fmtParams(e.params as object);
      const line = `    ${e.outs.map(decl).join(" ")} = ${e.prim}${ps} ${e.inputs.map(name).join(" ")}`;
      // Sub-programs (the branches of a cond) print below their equation, indented.
      const subs = subPrograms(e.params as object);
      return subs.length === 0
        ? line
        : [line, ...subs.map(([k, p]) => `      ${k}: ${String(p).split("\n").join("\n        ")}`)].join(
            "\n",
          );
    });
    const outs = this.outs.map(name).join(" ");
    return `{ lambda ${consts ? `${consts} ; ` : ""}${ins}. let\n${lines.join("\n")}${lines.length ? "\n" : ""}  in ( ${outs} ) }`;
  }
}

function tapeToParts(t: Tape): Parts {
  const vars = t.avals.map((a) => new Var(a));
  const at = (k: number): Var => vars[k]!;
  const eqns = new Array<Eqn>(t.prims.length);
  for (let k = 0; k < eqns.length; k++) {
    const inputs = Array.from(t.args.slice(k === 0 ? 0 : t.argEnd[k - 1], t.argEnd[k]), at);
    const first = t.eqnOut[k]!;
    const n = t.nOuts?.get(k) ?? 1;
    const outs = n === 1 ? [at(first)] : Array.from({ length: n }, (_, i) => at(first + i));
    eqns[k] = { prim: t.prims[k]!, inputs, params: t.params[k], outs } as Eqn;
  }
  return {
    constVars: Array.from(t.consts, at),
    constValues: Array.from(t.consts, (k) => t.values[k]!),
    inVars: Array.from(t.inVars, at),
    eqns,
    outs: Array.from(t.outs, at),
  };
}

function partsToTape(p: Parts): Tape {
  const numberOf = new Map<Var, number>();
  const avals: Aval[] = [];
  const values: (Tensor | undefined)[] = [];
  const number = (v: Var): number => {
    let k = numberOf.get(v);
    if (k === undefined) {
      k = avals.length;
      numberOf.set(v, k);
      avals.push(v.aval);
      values.push(undefined);
    }
    return k;
  };
  const consts = p.constVars.map((v, i) => {
    const k = number(v);
    values[k] = p.constValues[i];
    return k;
  });
  const inVars = p.inVars.map(number);
  const prims: AnyPrim[] = [];
  const params: unknown[] = [];
  const eqnOut: number[] = [];
  const argEnd: number[] = [];
  const args: number[] = [];
  let nOuts: Map<number, number> | undefined;
  for (const e of p.eqns) {
    for (const v of e.inputs) args.push(number(v));
    if (isMulti(e.prim)) (nOuts ??= new Map()).set(prims.length, e.outs.length);
    prims.push(e.prim);
    params.push(e.params);
    // An equation's outputs are new variables, so they are numbered consecutively.
    eqnOut.push(avals.length);
    for (const v of e.outs) number(v);
    argEnd.push(args.length);
  }
  const outs = p.outs.map(number);
  return {
    avals,
    values,
    consts,
    inVars,
    outs,
    prims,
    params,
    eqnOut,
    argEnd,
    args,
    ...(nOuts && { nOuts }),
  };
}

const fmtNumber = (x: number): string => (Number.isInteger(x) ? `${x}.0` : String(x));

function varName(i: number): string {
  let s = "";
  do {
    s = String.fromCharCode(97 + (i % 26)) + s;
    i = Math.floor(i / 26) - 1;
  } while (i >= 0);
  return s;
}

/** The programs among a primitive's parameters (a cond's branches), named for printing. */
function subPrograms(p: object): [string, Program][] {
  const found: [string, Program][] = [];
  for (const [k, v] of Object.entries(p)) {
    if (v instanceof Program) found.push([k, v]);
    else if (Array.isArray(v))
      v.forEach((x, i) => {
        if (x instanceof Program) found.push([`${k}[${i}]`, x]);
      });
  }
  return found;
}

function fmtParams(p: object): string {
  const entries = Object.entries(p).filter(
    ([, v]) =>
      typeof v !== "function" &&
      (typeof v !== "object" ||
        v === null ||
        (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null))),
  );
  if (entries.length === 0) return "";
  const fmt = (v: unknown): string => (Array.isArray(v) ? `(${v.join(",")})` : String(v));
  return `[${entries.map(([k, v]) => `${k}=${fmt(v)}`).join(" ")}]`;
}

/**
 * Runs a program's equations in order on values of any kind: `one` applies a single-output primitive,
 * `multi` one with several outputs (bind and bindMulti for Program.run; the kernels for eager evaluation).
 */
export function interpretProgram<V>(
  p: Program,
  consts: readonly V[],
  args: readonly V[],
  one: <P extends Prim>(prim: P, ins: V[], params: PrimParams[P]) => V,
  multi: <P extends MultiPrim>(prim: P, ins: V[], params: MultiPrimParams[P]) => V[],
): V[] {
  const env = new Map<Var, V>();
  p.constVars.forEach((v, i) => env.set(v, consts[i]!));
  p.inVars.forEach((v, i) => env.set(v, args[i]!));
  const read = (v: Var): V => env.get(v)!;
  for (const e of p.eqns) {
    const prim = e.prim;
    if (isMulti(prim)) {
      const outs = multi(prim, e.inputs.map(read), e.params as MultiPrimParams[typeof prim]);
      e.outs.forEach((v, i) => env.set(v, outs[i]!));
    } else env.set(e.outs[0]!, one(prim, e.inputs.map(read), e.params as PrimParams[typeof prim]));
  }
  return p.outs.map(read);
}
