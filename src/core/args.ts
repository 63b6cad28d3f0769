// Checks of plain JavaScript arguments, shared by every layer: each names the function (`op`), the argument
// and what was passed, and says what to write instead.
import { describeValue } from "./convert.js";
import { ValueError } from "./errors.js";
import { Tensor } from "./tensor.js";

export const isPlainOptions = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" &&
  v !== null &&
  !Array.isArray(v) &&
  !ArrayBuffer.isView(v) &&
  !(v instanceof Tensor);

/**
 * The options object of `op`, checked: `undefined` gives `{}`; anything else that is not an object (a
 * positional axis, a dtype string, an array, a tensor, null) and any key not in `keys` (a misspelt option)
 * is a `ValueError` that says what was passed and shows `usage`, the call to write instead.
 * @param position which argument holds the options, for the message ("second", "third", ...)
 */
export function optionsArg<T extends object>(
  op: string,
  options: T | undefined,
  keys: readonly string[],
  usage: string,
  position = "second",
): Partial<T> {
  if (options === undefined) return {};
  if (!isPlainOptions(options))
    throw new ValueError(
      `${op}: the ${position} argument is an options object, got ${describeValue(options)}; write ${usage}`,
    );
  for (const k of Object.keys(options))
    if (!keys.includes(k))
      throw new ValueError(
        `${op}: unknown option ${JSON.stringify(k)}; the options are ${keys.join(", ")} (e.g. ${usage})`,
      );
  return options;
}

export const fail = (op: string, name: string, want: string, v: unknown): never => {
  throw new ValueError(`${op}: ${name} must be ${want}, got ${describeValue(v)}`);
};

/** A number, checked to be finite unless `finite` is false. */
export function numberArg(op: string, name: string, v: unknown, finite = true): number {
  if (typeof v !== "number" || (finite && !Number.isFinite(v)))
    fail(op, name, finite ? "a finite number" : "a number", v);
  return v as number;
}

/** An integer in [min, max] (min 0 by default: a count or a size). */
export function intArg(op: string, name: string, v: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    fail(
      op,
      name,
      max === Number.MAX_SAFE_INTEGER
        ? min === 0
          ? "a non-negative integer"
          : `an integer ≥ ${min}`
        : `an integer in [${min}, ${max}]`,
      v,
    );
  return v as number;
}

/** A boolean option, or `dflt` when absent. */
export function boolArg(op: string, name: string, v: unknown, dflt = false): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== "boolean") fail(op, name, "true or false", v);
  return v as boolean;
}

/** A function argument. */
// biome-ignore lint/suspicious/noExplicitAny: callers receive the function with its own signature
export function functionArg<F extends (...args: any[]) => unknown>(op: string, name: string, v: F): F {
  if (typeof v !== "function") fail(op, name, "a function", v);
  return v;
}
