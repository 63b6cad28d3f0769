// nb.settings.debugNans / debugInfs: the check run after every primitive while they are on, the error it
// raises (naming the primitive, the derivative rule it ran in, the shapes and the user's line), and the
// scans shared with jit's checks of compiled programs.
import { settings } from "../core/config.js";
import type { TypedArray } from "../core/dtype.js";
import { NablaError } from "../core/errors.js";
import { type Aval, avalString, type ConcreteTensor } from "../core/tensor.js";
import { type RuleFrame, ruleFrames, stackTransformation, userFrame } from "./context.js";

/** What a {@link FloatingPointError} found. */
export interface FloatingPointDetails {
  /** "NaN", or "Inf" for ±Infinity (with `debugInfs`). */
  readonly kind: "NaN" | "Inf";
  /** The primitive that produced it, e.g. "sqrt". */
  readonly primitive: string;
  /** Where it ran: "the forward pass", "the JVP of log", "the VJP of sqrt", "a jit-compiled step", ... */
  readonly context: string;
  /** The primitive's input and output types, e.g. `["f32[3]"]` and `"f32[3]"`. */
  readonly inputs: readonly string[];
  readonly output: string;
  /** How many output elements are NaN (or infinite), and the index of the first one. */
  readonly count: number;
  readonly firstIndex: readonly number[];
  /** The user's source line that applied the operation (`file:line:column`), when it could be found. */
  readonly source: string | undefined;
}

/**
 * Raised while `nb.settings.debugNans` (or `debugInfs`) is on, when a primitive produces a NaN (or ±Infinity)
 * that none of its inputs had — in the forward pass, inside a derivative rule, or in a jit-compiled program
 * (which is then re-run eagerly to find the primitive). `details` says which primitive, in which pass
 * ("the JVP of log", "the VJP of sqrt"), the shapes, and the user's line.
 * @example
 * ```ts
 * nb.settings.debugNans = true;
 * try {
 *   nb.grad((x: nb.Tensor) => nb.sum(nb.mul(nb.sqrt(x), 0)))(nb.array([0, 1]));
 * } catch (e) {
 *   e instanceof nb.FloatingPointError; // true
 *   (e as nb.FloatingPointError).details.context; // "the VJP of sqrt (transposing its mul)"
 * } finally {
 *   nb.settings.debugNans = false;
 * }
 * ```
 */
export class FloatingPointError extends NablaError {
  override name = "FloatingPointError";
  constructor(
    message: string,
    readonly details: FloatingPointDetails,
  ) {
    super(message);
  }
}

const isFloatArray = (d: TypedArray): d is Float32Array | Float64Array =>
  d instanceof Float32Array || d instanceof Float64Array;

/** Whether `d` holds a NaN or an infinity (one subtraction per element: x − x is 0 exactly when finite). */
export function hasNonFinite(d: TypedArray): boolean {
  if (!isFloatArray(d)) return false;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v - v !== 0) return true;
  }
  return false;
}

/** The index of the first element of kind `kind` in `d`, or -1. */
export function firstOf(d: TypedArray, kind: "NaN" | "Inf"): number {
  if (!isFloatArray(d)) return -1;
  if (kind === "NaN") {
    for (let i = 0; i < d.length; i++) if (Number.isNaN(d[i]!)) return i;
  } else for (let i = 0; i < d.length; i++) if (d[i] === Infinity || d[i] === -Infinity) return i;
  return -1;
}

/** Which new kind of value, among those being checked, `out` has and `ins` lack (NaN before Inf). */
export function newNonFinite(out: TypedArray, ins: readonly TypedArray[]): "NaN" | "Inf" | null {
  if (!hasNonFinite(out)) return null;
  for (const kind of ["NaN", "Inf"] as const) {
    if (!(kind === "NaN" ? settings.debugNans : settings.debugInfs)) continue;
    if (firstOf(out, kind) >= 0 && ins.every((d) => firstOf(d, kind) < 0)) return kind;
  }
  return null;
}

/**
 * The check run after each primitive while debugNans/debugInfs is on: throws a {@link FloatingPointError}
 * when the output has a NaN (or infinity) that no input had.
 */
export function checkPrimitive(prim: string, args: readonly ConcreteTensor[], out: ConcreteTensor): void {
  const d = out.data;
  if (!hasNonFinite(d)) return;
  const kind = newNonFinite(
    d,
    args.map((a) => a.data),
  );
  if (kind === null) return;
  throw primitiveError(
    kind,
    prim,
    args.map((a) => a.aval),
    out.aval,
    d,
  );
}

/** The error for `prim` (inputs `ins`, output `out` with data `d`) producing a new `kind`. */
export function primitiveError(
  kind: "NaN" | "Inf",
  prim: string,
  ins: readonly Aval[],
  out: Aval,
  d: TypedArray,
  where?: { context: string; source: string | undefined },
): FloatingPointError {
  const frames = ruleFrames();
  const context = where?.context ?? describe(prim, frames);
  const source = where?.source ?? sourceOf(frames) ?? userFrame();
  let count = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (kind === "NaN" ? Number.isNaN(v) : v === Infinity || v === -Infinity) count++;
  }
  const firstIndex = unravel(firstOf(d, kind), out.shape);
  const inputs = ins.map(avalString);
  const output = avalString(out);
  const what = kind === "NaN" ? "a NaN" : "an infinity";
  const setting = kind === "NaN" ? "debugNans" : "debugInfs";
  return new FloatingPointError(
    `${prim} produced ${what} from inputs without ${kind === "NaN" ? "NaN" : "infinities"} in ${context}` +
      `: ${prim}(${inputs.join(", ")}) → ${output}, ${count} of ${d.length} element${d.length === 1 ? "" : "s"}, ` +
      `the first at [${firstIndex.join(",")}]` +
      (source === undefined ? "" : `; called at ${source}`) +
      ` (nb.config.${setting} is on)`,
    { kind, primitive: prim, context, inputs, output, count, firstIndex, source },
  );
}

/** "the forward pass", "the JVP of log", "the VJP of sqrt (transposing its mul)", nested with "inside". */
function describe(prim: string, frames: readonly RuleFrame[]): string {
  if (frames.length === 0) {
    const t = stackTransformation();
    return t === "JVP" ? "a JVP rule" : t === "VJP" ? "the VJP (a transpose rule)" : "the forward pass";
  }
  const parts: string[] = [];
  for (let i = frames.length - 1; i >= 0 && parts.length < 3; i--) {
    const f = frames[i]!;
    if (f.kind === "JVP")
      // A JVP rule first applies its own primitive to the primals: that is the forward pass.
      parts.push(
        i === frames.length - 1 && f.prim === prim
          ? `the forward pass (the value of ${prim} inside its JVP)`
          : `the JVP of ${f.prim}`,
      );
    else if (f.origin?.prim !== undefined && f.origin.prim !== f.prim)
      parts.push(`the VJP of ${f.origin.prim} (transposing its ${f.prim})`);
    else parts.push(`the VJP of ${f.origin?.prim ?? f.prim}`);
  }
  return parts.join(" inside ");
}

/** For a transposition: the user's line of the operation being transposed. */
function sourceOf(frames: readonly RuleFrame[]): string | undefined {
  for (let i = frames.length - 1; i >= 0; i--) {
    const s = frames[i]!.origin?.source;
    if (s !== undefined) return s;
  }
  return undefined;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0 && flat > 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}
