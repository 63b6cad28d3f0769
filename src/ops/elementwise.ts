// Elementwise maths and activations, built from primitives only (no derivative code here).
// biome-ignore-all lint/complexity/noArguments: each op compares its argument count with the most it takes, reading no copy of the arguments
import { DTypeError, ValueError } from "../core/errors.js";
import { broadcastShapes } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { customJvp } from "../interpret/custom.js";
import * as lax from "../primitives/lax.js";
import { applyUnary } from "../primitives/unary.js";
import {
  applyPromoted,
  asTensor,
  boolArg,
  checkDType,
  extraArgument,
  FIRST,
  floatArg,
  nthArgument,
  numberArg,
  optionsArg,
  promoteArgs,
  promoteNamed,
  type TensorLike,
} from "./util.js";

const binary = (op: string, f: (x: Tensor, y: Tensor) => Tensor) =>
  function (x: TensorLike, y: TensorLike): Tensor {
    if (arguments.length > 2) extraArgument(op, "x, y", arguments[2], arguments.length);
    return applyPromoted(op, x, y, f);
  };

/** Rejects bool operands where NumPy does (negation and subtraction have no bool meaning). */
function noBool(op: string, x: Tensor): Tensor {
  if (x.aval.dtype === "bool")
    throw new DTypeError(
      `${op}: not defined for bool tensors; use nb.notEqual / nb.equal for logic or nb.astype(x, "int32")`,
    );
  return x;
}

const floatUnary = (op: string, f: (x: Tensor) => Tensor) =>
  function (x: TensorLike): Tensor {
    if (arguments.length > 1) extraArgument(op, "x", arguments[1], arguments.length);
    return f(floatArg(op, x, FIRST));
  };
/** A unary op on any dtype (the result keeps it). */
const anyUnary = (op: string, f: (x: Tensor) => Tensor) =>
  function (x: TensorLike): Tensor {
    if (arguments.length > 1) extraArgument(op, "x", arguments[1], arguments.length);
    return f(asTensor(x, op, FIRST));
  };

/** Elementwise x + y with broadcasting. @example `nb.add([1, 2], 10).toArray(); // [11, 12]` */
export const add = binary("add", lax.add);
/** Elementwise x − y. @example `nb.sub(5, [1, 2]).toArray(); // [4, 3]` */
export const sub = binary("sub", (x, y) => lax.sub(noBool("sub", x), y));
/** Elementwise x · y. @example `nb.mul([1, 2], [3, 4]).toArray(); // [3, 8]` */
export const mul = binary("mul", lax.mul);
const floatDiv = (a: Tensor, b: Tensor): Tensor => lax.div(floatArg("div", a), floatArg("div", b));
/** Elementwise x / y (true division: integers give floats). @example `nb.div([1, 2], 4).toArray(); // [0.25, 0.5]` */
export const div = binary("div", floatDiv);
/** Elementwise x^y. @example `nb.pow([2, 3], 2).toArray(); // [4, 9]` */
export const pow = binary("pow", lax.pow);
/** Elementwise maximum (derivative split evenly at ties). @example `nb.maximum([1, 5], 3).toArray(); // [3, 5]` */
export const maximum = binary("maximum", lax.max);
/** Elementwise minimum. @example `nb.minimum([1, 5], 3).toArray(); // [1, 3]` */
export const minimum = binary("minimum", lax.min);
/** Elementwise angle of the point (x, y): atan2(y, x). @example `nb.atan2(1, 1).item(); // π/4` */
export function atan2(y: TensorLike, x: TensorLike): Tensor {
  if (arguments.length > 2) extraArgument("atan2", "y, x", arguments[2], arguments.length);
  const [a, b] = promoteArgs("atan2", floatArg("atan2", y, FIRST), floatArg("atan2", x, nthArgument(1)));
  return lax.atan2(a!, b!);
}

/** −x. @example `nb.neg([1, -2]).toArray(); // [-1, 2]` */
export function neg(x: TensorLike): Tensor {
  if (arguments.length > 1) extraArgument("neg", "x", arguments[1], arguments.length);
  return lax.neg(noBool("neg", asTensor(x, "neg", FIRST)));
}
/** x². @example `nb.square([3]).toArray(); // [9]` */
export function square(x: TensorLike): Tensor {
  if (arguments.length > 1) extraArgument("square", "x", arguments[1], arguments.length);
  const t = asTensor(x, "square", FIRST);
  return lax.mul(t, t);
}
/** |x|. @example `nb.abs([-2, 3]).toArray(); // [2, 3]` */
export const abs = anyUnary("abs", lax.abs);
/** The sign of x: −1, 0 or 1. @example `nb.sign([-2, 0, 3]).toArray(); // [-1, 0, 1]` */
export const sign = anyUnary("sign", lax.sign);
/** Rounds down. @example `nb.floor([1.5, -1.5]).toArray(); // [1, -2]` */
export const floor = anyUnary("floor", lax.floor);
/** Rounds up. @example `nb.ceil([1.5, -1.5]).toArray(); // [2, -1]` */
export const ceil = anyUnary("ceil", lax.ceil);
/** Rounds to nearest, ties to even (as NumPy). @example `nb.round([0.5, 1.5, 2.4]).toArray(); // [0, 2, 2]` */
export const round = anyUnary("round", lax.round);

/** √x. @example `nb.sqrt([4, 9]).toArray(); // [2, 3]` */
export const sqrt = floatUnary("sqrt", lax.sqrt);
/** eˣ. @example `nb.exp(0).item(); // 1` */
export const exp = floatUnary("exp", lax.exp);
/** Natural logarithm. @example `nb.log(Math.E).item(); // 1` */
export const log = floatUnary("log", lax.log);
/** log(1 + x), accurate for small x. @example `nb.log1p(1e-10).item(); // 1e-10` */
export const log1p = floatUnary("log1p", lax.log1p);
/** eˣ − 1, accurate for small x. @example `nb.expm1(1e-10).item(); // 1e-10` */
export const expm1 = floatUnary("expm1", lax.expm1);
/** Sine. @example `nb.sin(0).item(); // 0` */
export const sin = floatUnary("sin", lax.sin);
/** Cosine. @example `nb.cos(0).item(); // 1` */
export const cos = floatUnary("cos", lax.cos);
/** Tangent. @example `nb.tan(0).item(); // 0` */
export const tan = floatUnary("tan", lax.tan);
/** Inverse sine. @example `nb.asin(1).item(); // π/2` */
export const asin = floatUnary("asin", lax.asin);
/** Inverse cosine. @example `nb.acos(1).item(); // 0` */
export const acos = floatUnary("acos", lax.acos);
/** Inverse tangent. @example `nb.atan(1).item(); // π/4` */
export const atan = floatUnary("atan", lax.atan);
/** Hyperbolic sine. @example `nb.sinh(0).item(); // 0` */
export const sinh = floatUnary("sinh", lax.sinh);
/** Hyperbolic cosine. @example `nb.cosh(0).item(); // 1` */
export const cosh = floatUnary("cosh", lax.cosh);
/** Hyperbolic tangent. @example `nb.tanh(0).item(); // 0` */
export const tanh = floatUnary("tanh", lax.tanh);
/** The error function. @example `nb.erf(0).item(); // 0` */
export const erf = floatUnary("erf", lax.erf);
/** The complementary error function 1 − erf(x), accurate where it is tiny. @example `nb.erfc(0).item(); // 1` */
export const erfc = floatUnary("erfc", lax.erfc);
/** Φ(x), the standard normal distribution function. @example `nb.ndtr(0).item(); // 0.5` */
export const ndtr = floatUnary("ndtr", (x) => applyUnary("ndtr", x));
/** The inverse error function on (−1, 1) (±Infinity at ±1). @example `nb.erfinv(0).item(); // 0` */
export const erfinv = floatUnary("erfinv", lax.erfinv);
/** log |Γ(x)|, the log-gamma function. @example `nb.lgamma(4).item(); // log 6 ≈ 1.791759` */
export const lgamma = floatUnary("lgamma", lax.lgamma);
/** ψ(x) = Γ′(x)/Γ(x), the derivative of lgamma. @example `nb.digamma(1).item(); // −γ ≈ −0.5772157` */
export const digamma = floatUnary("digamma", lax.digamma);
/**
 * ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n a whole number ≥ 0; its derivative in n is zero, as for floor).
 * @example `nb.polygamma(1, 1).item(); // π²/6 ≈ 1.644934`
 */
export function polygamma(n: TensorLike, x: TensorLike): Tensor {
  if (arguments.length > 2) extraArgument("polygamma", "n, x", arguments[2], arguments.length);
  const [a, b] = promoteArgs(
    "polygamma",
    floatArg("polygamma", n, FIRST),
    floatArg("polygamma", x, nthArgument(1)),
  );
  return lax.polygamma(a!, b!);
}
/** The logistic sigmoid 1 / (1 + e^−x). @example `nb.sigmoid(0).item(); // 0.5` */
export const sigmoid = floatUnary("sigmoid", lax.logistic);

const zero = (x: Tensor) => lax.scalarLike(x, 0);

/** max(x, 0); its derivative at 0 is 0, and NaN stays NaN. @example `nb.relu([-1, 2]).toArray(); // [0, 2]` */
export const relu = floatUnary("relu", (x) => lax.select(lax.le(x, zero(x)), lax.zerosLike(x), x));

/** x for x > 0, slope · x otherwise (slope 0.01 by default). @example `nb.leakyRelu([-1, 2]).toArray(); // [-0.01, 2]` */
export function leakyRelu(x: TensorLike, slope = 0.01): Tensor {
  if (arguments.length > 2) extraArgument("leakyRelu", "x, slope?", arguments[2], arguments.length);
  const t = floatArg("leakyRelu", x, FIRST);
  numberArg("leakyRelu", "slope (the second argument)", slope);
  // x ≥ 0 takes the identity branch, so the derivative at 0 is 1 (as JAX).
  return lax.select(lax.ge(t, zero(t)), t, lax.mul(t, lax.scalarLike(t, slope)));
}

/** x for x > 0, α(eˣ − 1) otherwise (α = 1 by default). @example `nb.elu([-1, 2]).toArray(); // [-0.632, 2]` */
export function elu(x: TensorLike, alpha = 1): Tensor {
  if (arguments.length > 2) extraArgument("elu", "x, alpha?", arguments[2], arguments.length);
  const t = floatArg("elu", x, FIRST);
  numberArg("elu", "alpha (the second argument)", alpha);
  // expm1 of (x > 0 ? 0 : x): the unused branch stays finite, so its zero cotangent cannot turn into NaN, and
  // unlike min(x, 0) it does not split the derivative at 0 (both one-sided slopes are α).
  const negPart = lax.mul(
    lax.scalarLike(t, alpha),
    lax.expm1(lax.select(lax.gt(t, zero(t)), lax.zerosLike(t), t)),
  );
  return lax.select(lax.gt(t, zero(t)), t, negPart);
}

/**
 * The Gaussian error linear unit x·Φ(x), exact (with erf) unless `approximate` asks for the tanh form.
 * @example `nb.gelu(1).item(); // 0.8413`
 */
export function gelu(x: TensorLike, options?: { approximate?: boolean }): Tensor {
  if (arguments.length > 2) extraArgument("gelu", "x, options?", arguments[2], arguments.length);
  const t = floatArg("gelu", x, FIRST);
  const o = optionsArg("gelu", options, ["approximate"], "nb.gelu(x, { approximate: true })");
  const approximate = boolArg("gelu", "approximate", o.approximate);
  const c = (v: number) => lax.scalarLike(t, v);
  const half = lax.mul(c(0.5), t);
  if (approximate) {
    const inner = lax.mul(
      c(Math.sqrt(2 / Math.PI)),
      lax.add(t, lax.mul(c(0.044715), lax.mul(t, lax.mul(t, t)))),
    );
    return lax.mul(half, lax.add(c(1), lax.tanh(inner)));
  }
  return lax.mul(half, lax.add(c(1), lax.erf(lax.mul(t, c(Math.SQRT1_2)))));
}

// log1p(e^−|x|) + max(x, 0) never overflows, but its kinks at 0 would make the second derivative there 0;
// the custom rule (d softplus = sigmoid) keeps every order exact.
const softplusCore: (x: Tensor) => Tensor = customJvp(
  (x: Tensor) => lax.add(lax.log1p(lax.exp(lax.neg(lax.abs(x)))), lax.max(x, zero(x))),
  ([x], [dx]) => [softplusCore(x as Tensor), lax.mul(dx as Tensor, lax.logistic(x as Tensor))],
);

/** log(1 + eˣ), computed without overflow; its derivative is the sigmoid. @example `nb.softplus(0).item(); // log 2` */
export const softplus = floatUnary("softplus", softplusCore);

/**
 * Limits x to [lo, hi]; either bound may be left out (undefined or null), as in NumPy, but not both.
 * @example `nb.clip([-2, 0.5, 3], 0, 1).toArray(); // [0, 0.5, 1]`
 * @example `nb.clip([-2, 0.5, 3], 0).toArray(); // [0, 0.5, 3]`
 */
export function clip(x: TensorLike, lo?: TensorLike | null, hi?: TensorLike | null): Tensor {
  if (arguments.length > 3) extraArgument("clip", "x, lo?, hi?", arguments[3], arguments.length);
  const noLo = lo === undefined || lo === null;
  const noHi = hi === undefined || hi === null;
  if (noLo && noHi)
    throw new ValueError(
      "clip: give a lower bound (the second argument), an upper bound (the third) or both, e.g. nb.clip(x, 0, 1) or nb.clip(x, undefined, 1)",
    );
  const given = [x, ...(noLo ? [] : [lo]), ...(noHi ? [] : [hi])];
  const which = [0, ...(noLo ? [] : [1]), ...(noHi ? [] : [2])];
  const [a, ...bounds] = promoteNamed("clip", given, (i) => nthArgument(which[i]!));
  const shape = broadcastShapes("clip", a!.aval.shape, ...bounds.map((b) => b.aval.shape));
  let out = lax.broadcastTo(a!, shape);
  if (!noLo) out = lax.max(out, bounds[0]!);
  if (!noHi) out = lax.min(out, bounds[noLo ? 0 : 1]!);
  return out;
}

/**
 * Picks from `x` where `cond` holds, from `y` elsewhere, with broadcasting.
 * @example `nb.where(nb.greater([1, -1], 0), 1, -1).toArray(); // [1, -1]`
 */
export function where(cond: TensorLike, x: TensorLike, y: TensorLike): Tensor {
  if (arguments.length > 3) extraArgument("where", "cond, x, y", arguments[3], arguments.length);
  let c = asTensor(cond, "where", FIRST);
  if (c.aval.dtype !== "bool") c = lax.ne(c, lax.scalarLike(c, 0));
  const [a, b] = promoteNamed("where", [x, y], (i) => nthArgument(i + 1));
  return lax.select(c, a!, b!);
}

/** x == y elementwise (bool). @example `nb.equal([1, 2], 2).toArray(); // [false, true]` */
export const equal = binary("equal", lax.eq);
/** x != y elementwise. @example `nb.notEqual([1, 2], 2).toArray(); // [true, false]` */
export const notEqual = binary("notEqual", lax.ne);
/** x < y elementwise. @example `nb.less([1, 2], 2).toArray(); // [true, false]` */
export const less = binary("less", lax.lt);
/** x ≤ y elementwise. @example `nb.lessEqual([1, 2], 2).toArray(); // [true, true]` */
export const lessEqual = binary("lessEqual", lax.le);
/** x > y elementwise. @example `nb.greater([1, 2], 1).toArray(); // [false, true]` */
export const greater = binary("greater", lax.gt);
/** x ≥ y elementwise. @example `nb.greaterEqual([1, 2], 2).toArray(); // [false, true]` */
export const greaterEqual = binary("greaterEqual", lax.ge);

/**
 * Converts to another dtype.
 * @example `nb.astype([1.7, -1.7], "int32").toArray(); // [1, -1]`
 */
export function astype(x: TensorLike, dtype: Tensor["dtype"]): Tensor {
  if (arguments.length > 2) extraArgument("astype", "x, dtype", arguments[2], arguments.length);
  const t = asTensor(x, "astype", FIRST);
  checkDType("astype", dtype, "the dtype (second argument)");
  return lax.convert(t, dtype);
}
