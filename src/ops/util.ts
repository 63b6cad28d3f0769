// Argument handling shared by the user-facing ops: conversion of JS data and dtype promotion.
import { type TensorLike, toTensor } from "../core/convert.js";
import { allocate, type DType, isFloat, promote } from "../core/dtype.js";
import { DTypeError } from "../core/errors.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import * as lax from "./lax.js";

export type { TensorLike };

/** Converts any tensor-like argument of operation `op` into a tensor. */
export const asTensor = (x: TensorLike, op = "array"): Tensor => toTensor(x, undefined, op);

/** A JS number meeting a tensor takes the tensor's kind: integers stay integer beside int32. */
function numberBeside(n: number, other: Tensor): Tensor {
  const d = other.aval.dtype;
  if ((d === "int32" || d === "bool") && Number.isInteger(n)) return toTensor(n, "int32");
  return toTensor(n);
}

/** Converts and promotes operands to one dtype (NumPy/JAX rules with weak JS numbers). */
export function promoteArgs(op: string, ...args: TensorLike[]): Tensor[] {
  const firstTensor = args.find((a) => typeof a !== "number");
  const ref = firstTensor === undefined ? undefined : asTensor(firstTensor, op);
  const ts = args.map((a) => (typeof a === "number" && ref ? numberBeside(a, ref) : asTensor(a, op)));
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
export function floatArg(op: string, x: TensorLike): Tensor {
  const t = asTensor(x, op);
  if (isFloat(t.aval.dtype)) return t;
  return lax.convert(t, "float32", false);
}

/** Rejects non-float inputs where rounding them would silently change the meaning. */
export function requireFloat(op: string, t: Tensor): void {
  if (!isFloat(t.aval.dtype)) throw new DTypeError(`${op}: expects a float tensor, got ${t.aval.dtype}`);
}
