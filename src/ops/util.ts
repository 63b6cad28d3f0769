// Argument handling shared by the user-facing ops: conversion of JS data, dtype promotion and the checks
// that turn a bad argument into a typed error naming the public function, the argument and what to write.
// Axes, one rule for every op: an op whose only parameter besides its operands is an axis takes it as a
// plain argument where NumPy puts it (`nb.softmax(x, 0)`, `nb.expandDims(x, [0, 1])`, `nb.concatenate(xs, 1)`),
// and an op with further options (the reductions: keepdims, ddof, ord, reverse) takes the axis in its options
// object (`nb.sum(x, { axis: 1, keepdims: true })`); either way an axis is an integer (negative counts from
// the end) or an array of them, and the other spelling is refused with the call to write.
// Nothing passed is ignored: an op given more arguments than it takes refuses the call (extraArgument).
import { checkTensorSize } from "../core/config.js";
import { checkDType, describeValue, type TensorLike, toTensor } from "../core/convert.js";
import { allocate, type DType, isFloat, promote } from "../core/dtype.js";
import { DTypeError, ValueError } from "../core/errors.js";
import { normalizeAxes, normalizeAxis } from "../core/shape.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";

export type { TensorLike };
export { checkDType, describeValue };

const ORDINALS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"];

/** "the second argument" for index 1: how a message names a positional argument. */
export const nthArgument = (i: number): string => `the ${ORDINALS[i] ?? `${i + 1}th`} argument`;

/**
 * Refuses a value that cannot be the start of a tensor (undefined, null, a string, an options object, ...)
 * with a `ValueError` naming `op` and `which` argument; nested contents are checked by the conversion.
 */
export function checkTensorLike(op: string, v: unknown, which: string): void {
  if (
    v instanceof Tensor ||
    typeof v === "number" ||
    typeof v === "boolean" ||
    Array.isArray(v) ||
    ArrayBuffer.isView(v)
  )
    return;
  throw new ValueError(
    `${op}: cannot make a tensor from ${describeValue(v)}, ${which}; pass a tensor, a number, a boolean, a nested array of numbers or a typed array`,
  );
}

/**
 * The refusal of a call with more arguments than `op` takes, thrown where an op checks its count:
 * `if (arguments.length > 2) extraArgument("sum", "x, options?", arguments[2], arguments.length);`.
 * `params` lists the parameters, an optional one marked `?`; `extra` is the first argument too many.
 * The check reads only the count, so a call with the right arguments costs one comparison.
 */
export function extraArgument(op: string, params: string, extra: unknown, count: number): never {
  const names = params === "" ? [] : params.split(", ");
  const n = names.length;
  const takes =
    n === 0
      ? "takes no arguments"
      : `takes ${names.some((p) => p.endsWith("?")) ? "at most " : ""}${n} argument${n === 1 ? "" : "s"} (${params.replaceAll("?", "")})`;
  // Array.prototype.map and its kind pass (value, index, array): say so, with the call to write instead.
  const callback =
    count === 3 &&
    !op.includes(".") &&
    ((n === 1 && Number.isInteger(extra)) || (n === 2 && Array.isArray(extra)))
      ? `; called as a callback of map or forEach? write xs.map((x) => nb.${op}(x))`
      : "";
  throw new ValueError(
    `${op}: ${takes}, got ${count}; the ${ORDINALS[n] ?? `${n + 1}th`} is ${describeValue(extra)}${callback}`,
  );
}

/** How the ops name their leading operand in messages. */
export const FIRST = "the first argument";

/**
 * Converts any tensor-like argument of operation `op` into a tensor; `which` ("the second argument")
 * names it in the message when the value cannot be one.
 */
export function asTensor(x: TensorLike, op = "array", which?: string): Tensor {
  if (x instanceof Tensor) return x;
  if (which !== undefined) checkTensorLike(op, x, which);
  return toTensor(x, undefined, op);
}

/** A JS number meeting a tensor takes the tensor's kind: integers stay integer beside int32. */
function numberBeside(op: string, n: number, other: Tensor): Tensor {
  const d = other.aval.dtype;
  if ((d === "int32" || d === "bool") && Number.isInteger(n)) return toTensor(n, "int32", op);
  return toTensor(n, undefined, op);
}

/** Converts and promotes operands to one dtype (NumPy/JAX rules with weak JS numbers). */
export function promoteArgs(op: string, ...args: TensorLike[]): Tensor[] {
  return promoteNamed(op, args, nthArgument);
}

/**
 * {@link promoteArgs} for operands that are not the op's leading arguments: `name(i)` says which argument
 * `args[i]` is, for the message when it cannot be a tensor.
 */
export function promoteNamed(op: string, args: readonly TensorLike[], name: (i: number) => string): Tensor[] {
  args.forEach((a, i) => {
    checkTensorLike(op, a, name(i));
  });
  const firstTensor = args.find((a) => typeof a !== "number");
  const ref = firstTensor === undefined ? undefined : asTensor(firstTensor, op);
  const ts = args.map((a) => (typeof a === "number" && ref ? numberBeside(op, a, ref) : asTensor(a, op)));
  let { dtype, weak } = { dtype: ts[0]!.aval.dtype, weak: ts[0]!.aval.weak };
  for (const t of ts.slice(1)) ({ dtype, weak } = promote(dtype, weak, t.aval.dtype, t.aval.weak));
  return ts.map((t) => castTo(t, dtype, weak));
}

/**
 * `f` applied to `x` and `y` promoted to one dtype: the same operands promoteArgs would give, with the two
 * cases that dominate scalar code handled without building any list.
 */
export function applyPromoted(
  op: string,
  x: TensorLike,
  y: TensorLike,
  f: (a: Tensor, b: Tensor) => Tensor,
): Tensor {
  if (x instanceof Tensor) {
    if (y instanceof Tensor) {
      if (x.aval.dtype === y.aval.dtype && x.aval.weak === y.aval.weak) return f(x, y);
    } else if (typeof y === "number") {
      const c = numberAsFloat(y, x);
      if (c !== null) return f(x, c);
    }
  } else if (typeof x === "number" && y instanceof Tensor) {
    const c = numberAsFloat(x, y);
    if (c !== null) return f(c, y);
  }
  const [a, b] = promoteArgs(op, x, y);
  return f(a!, b!);
}

/** `n` as a scalar of `other`'s dtype when `other` is a strong float tensor (what promotion makes of it). */
function numberAsFloat(n: number, other: Tensor): Tensor | null {
  const a = other.aval;
  if (a.weak || !isFloat(a.dtype)) return null;
  const data = allocate(a.dtype, 1);
  data[0] = n;
  return new ConcreteTensor(data, { shape: [], dtype: a.dtype, weak: false });
}

/** Converts `t` to `dtype`; concrete scalars from JS numbers are rebuilt directly rather than traced. */
function castTo(t: Tensor, dtype: DType, weak: boolean): Tensor {
  return lax.convert(t, dtype, weak);
}

/** The operand as a float tensor (int32/bool promote to float32), for operations defined on reals. */
export function floatArg(op: string, x: TensorLike, which?: string): Tensor {
  const t = asTensor(x, op, which);
  if (isFloat(t.aval.dtype)) return t;
  return lax.convert(t, "float32", false);
}

/** Rejects non-float inputs where rounding them would silently change the meaning. */
export function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.aval.dtype)) throw new DTypeError(`${op}: expects a float tensor, got ${t.aval.dtype}`);
}

// ---- Checks of plain JS arguments (core/args.ts), and the dtype and shape ones that build on them. ----

export { boolArg, functionArg, intArg, numberArg, optionsArg } from "../core/args.js";

import { fail, isPlainOptions } from "../core/args.js";

/** A dtype option (undefined passes through); `allowed` narrows the accepted dtypes. */
export function dtypeArg<D extends DType = DType>(
  op: string,
  v: unknown,
  allowed?: readonly D[],
): D | undefined {
  if (v === undefined) return undefined;
  if (allowed === undefined) checkDType(op, v);
  else if (!allowed.includes(v as D))
    throw new DTypeError(`${op}: dtype must be one of ${allowed.join(", ")}, got ${describeValue(v)}`);
  return v as D;
}

/** A list of integers (a shape, a permutation, begin indices, ...) given as a number or an array. */
export function intListArg(op: string, name: string, v: unknown, min = Number.MIN_SAFE_INTEGER): number[] {
  const list = typeof v === "number" ? [v] : Array.isArray(v) ? (v as unknown[]) : null;
  const want =
    min === 0
      ? "non-negative integers"
      : min === -1
        ? "integers ≥ -1"
        : min > -1e15
          ? `integers ≥ ${min}`
          : "integers";
  if (list === null) return fail(op, name, `an integer or an array of ${want}`, v);
  for (const d of list)
    if (typeof d !== "number" || !Number.isInteger(d) || d < min)
      throw new ValueError(
        `${op}: ${name} ${describeValue(v).replace(/^an array /, "")} holds ${describeValue(d)}; it must hold ${want}`,
      );
  return list as number[];
}

/**
 * A shape argument (an array of non-negative integers, or one number for a vector) checked against
 * `config.maxTensorBytes` for `dtype` before anything is allocated.
 */
export function shapeArg(op: string, shape: unknown, dtype: DType): number[] {
  const list = typeof shape === "number" ? [shape] : Array.isArray(shape) ? (shape as unknown[]) : null;
  if (list === null)
    return fail(op, "the shape", "an array of non-negative integers (e.g. [2, 3]) or one integer", shape);
  for (const d of list)
    if (typeof d !== "number")
      throw new ValueError(
        `${op}: shape ${describeValue(shape).replace(/^an array /, "")} holds ${describeValue(d)}; dimensions are non-negative integers`,
      );
  checkTensorSize(op, list as number[], dtype);
  return [...(list as number[])];
}

/**
 * The refusal of an options object where an axis is a plain argument (`nb.softmax(x, { axis: 1 })`):
 * `usage` is the call to write, with the axis the object held.
 */
function axisAsOptions(op: string, name: string, v: unknown, usage: (axis: string) => string): void {
  if (!isPlainOptions(v)) return;
  const given = v.axis;
  const axis =
    typeof given === "number" || (Array.isArray(given) && given.every((a) => typeof a === "number"))
      ? JSON.stringify(given).replace(/,/g, ", ")
      : "1";
  throw new ValueError(
    `${op}: ${name} is a plain argument here, not an options object; got ${describeValue(v)}, write ${usage(axis)}`,
  );
}

/**
 * One axis (negative counts from the end), resolved against `ndim`. With `usage`, the axis is a plain
 * argument of `op`, and an options object in its place is refused with the call to write.
 */
export function axisArg(
  op: string,
  axis: unknown,
  ndim: number,
  name = "axis",
  usage?: (axis: string) => string,
): number {
  if (typeof axis !== "number" || !Number.isInteger(axis)) {
    if (usage !== undefined) axisAsOptions(op, name, axis, usage);
    fail(op, name, `an integer from ${-ndim} to ${ndim - 1}`, axis);
  }
  return normalizeAxis(op, axis as number, ndim);
}

/**
 * An axis, a list of axes, or null/undefined for all of them, resolved to sorted distinct axes. With
 * `usage`, the axis is a plain argument of `op` (as in {@link axisArg}).
 */
export function axesArg(
  op: string,
  axis: unknown,
  ndim: number,
  usage?: (axis: string) => string,
  name = "axis",
): number[] {
  if (axis !== undefined && axis !== null) {
    const list = typeof axis === "number" ? [axis] : Array.isArray(axis) ? (axis as unknown[]) : null;
    if (list === null || list.some((a) => typeof a !== "number" || !Number.isInteger(a))) {
      if (usage !== undefined) axisAsOptions(op, name, axis, usage);
      fail(op, name, "an integer, an array of integers, or null for all axes", axis);
    }
  }
  return normalizeAxes(op, axis as number | readonly number[] | null | undefined, ndim);
}

/** An array of tensor-likes (the operands of concatenate, stack, einsum, ...). */
export function tensorListArg(op: string, name: string, v: unknown): readonly TensorLike[] {
  if (!Array.isArray(v)) fail(op, name, "an array of tensors", v);
  return v as readonly TensorLike[];
}
