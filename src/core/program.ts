// Programs: a staged, flat list of primitive applications (JAX's jaxpr), with printing and evaluation.

import { ValueError } from "./errors.js";
import type { Prim, PrimParams } from "./primitives.js";
import { type Aval, avalString, ConcreteTensor, type Tensor } from "./tensor.js";
import { bind } from "./trace.js";

/** A variable of a program, bound once. */
export class Var {
  constructor(readonly aval: Aval) {}
}

export interface Eqn<P extends Prim = Prim> {
  readonly prim: P;
  readonly inputs: readonly Var[];
  readonly params: PrimParams[P];
  readonly out: Var;
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
  constructor(
    readonly constVars: readonly Var[],
    readonly constValues: readonly Tensor[],
    readonly inVars: readonly Var[],
    readonly eqns: readonly Eqn[],
    readonly outs: readonly Var[],
  ) {}

  /** The same program without equations and constants that no output depends on. */
  pruned(): Program {
    const live = new Set<Var>(this.outs);
    const kept: Eqn[] = [];
    for (let i = this.eqns.length - 1; i >= 0; i--) {
      const e = this.eqns[i]!;
      if (!live.has(e.out)) continue;
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
    const env = new Map<Var, Tensor>();
    this.constVars.forEach((v, i) => env.set(v, this.constValues[i]!));
    this.inVars.forEach((v, i) => env.set(v, args[i]!));
    const read = (v: Var): Tensor => env.get(v)!;
    for (const e of this.eqns) env.set(e.out, bind(e.prim, e.inputs.map(read), e.params));
    return this.outs.map(read);
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
      return `    ${decl(e.out)} = ${e.prim}${ps} ${e.inputs.map(name).join(" ")}`;
    });
    const outs = this.outs.map(name).join(" ");
    return `{ lambda ${consts ? `${consts} ; ` : ""}${ins}. let\n${lines.join("\n")}${lines.length ? "\n" : ""}  in ( ${outs} ) }`;
  }
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

function fmtParams(p: object): string {
  const entries = Object.entries(p).filter(
    ([, v]) => typeof v !== "function" && (typeof v !== "object" || v === null || Array.isArray(v)),
  );
  if (entries.length === 0) return "";
  const fmt = (v: unknown): string => (Array.isArray(v) ? `(${v.join(",")})` : String(v));
  return `[${entries.map(([k, v]) => `${k}=${fmt(v)}`).join(" ")}]`;
}
