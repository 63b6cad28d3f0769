// checkGrads: tests jvp and vjp against central differences in float64, recursively to any order.
import { toTensor } from "../core/convert.js";
import { castArray, type DType, isFloat } from "../core/dtype.js";
import { DTypeError, NablaError, ValueError } from "../core/errors.js";
import { flatten, type TreeDef, unflatten } from "../core/pytree.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { describeValue, functionArg, numberArg, optionsArg } from "../ops/util.js";
import * as lax from "../primitives/lax.js";
import { jvp, vjp } from "../transforms/api.js";
import { makeRng, type Rng } from "./rng.js";

/**
 * A derivative computed by jvp or vjp disagrees with its numerical estimate.
 * @example
 * ```ts
 * // x · stopGradient(x) has derivative 2x, but autodiff is told it is x:
 * nb.checkGrads((x) => nb.mul(x, nb.stopGradient(x)), [1.5]); // throws GradCheckError
 * ```
 */
export class GradCheckError extends NablaError {
  override name = "GradCheckError";
}

export interface CheckGradsOptions {
  /** The highest derivative order to check (1 = first derivatives). Default 2. */
  order?: number;
  /** "fwd" checks jvp, "rev" checks vjp; both recurse through each other for mixed orders. Default both. */
  modes?: readonly ("fwd" | "rev")[];
  /** Absolute tolerance. Default 1e-5. */
  atol?: number;
  /** Relative tolerance. Default 1e-5. */
  rtol?: number;
  /** Step of the central differences. Default 1e-4. */
  eps?: number;
  /** Seed of the random directions and cotangents. Default 0. */
  seed?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: f may take arguments of any pytree signature
type AnyFn = (...args: any[]) => unknown;

type Settings = Required<Pick<CheckGradsOptions, "modes" | "atol" | "rtol" | "eps">> & {
  maxOrder: number;
  rng: Rng;
};

/** A function from a flat list of float tensors to a flat list of float tensors, named for messages. */
interface FlatFn {
  fn: (xs: Tensor[]) => Tensor[];
  what: string;
  inNames: string[];
  outNames: string[];
}

function spread(F: FlatFn) {
  return (...xs: Tensor[]): Tensor[] => F.fn(xs);
}

/** The function (x, t) ↦ J(x)·t: checking it checks the derivatives of the JVP. */
const jvpOf = (F: FlatFn): FlatFn => {
  const n = F.inNames.length;
  return {
    fn: (a) => jvp(spread(F), a.slice(0, n), a.slice(n))[1],
    what: `the JVP of ${F.what}`,
    inNames: [...F.inNames, ...F.inNames.map((s) => `tangent of ${s}`)],
    outNames: F.outNames.map((s) => `tangent of ${s}`),
  };
};

/** The function x ↦ J(x)ᵀ·ct for a fixed ct: checking it checks the derivatives of the VJP. */
const vjpOf = (F: FlatFn, cts: Tensor[]): FlatFn => ({
  fn: (a) => vjp(spread(F), ...a)[1](cts) as Tensor[],
  what: `the VJP of ${F.what}`,
  inNames: F.inNames,
  outNames: F.inNames.map((s) => `cotangent of ${s}`),
});

/** The paths of a tree's leaves, for messages: `args[0]`, `args[1].w`. */
function leafPaths(def: TreeDef, path: string): string[] {
  if (def.kind === "leaf") return [path];
  if (def.kind === "none") return [];
  if (def.kind === "array") return def.children.flatMap((c, i) => leafPaths(c, `${path}[${i}]`));
  return def.children.flatMap((c, i) => leafPaths(c, `${path}.${def.keys[i]}`));
}

const floatLeaves = (tree: unknown, where: string): Tensor[] =>
  flatten(tree, where)[0]
    .map((l) => toTensor(l))
    .filter((t) => isFloat(t.aval.dtype));

function randn(rng: Rng, like: Tensor, dtype: DType = like.aval.dtype): ConcreteTensor {
  const vals = Array.from({ length: like.size }, () => rng.normal());
  return new ConcreteTensor(castArray(vals, dtype), { shape: like.shape, dtype, weak: false });
}

/** x + a·t, in float64. */
function shift(x: Tensor, t: Tensor, a: number): ConcreteTensor {
  const td = t.dataSync();
  const data = Float64Array.from(x.dataSync(), (v, i) => v + a * td[i]!);
  return new ConcreteTensor(data, { shape: x.shape, dtype: "float64", weak: false });
}

/** (F(x + eps·t) − F(x − eps·t)) / 2eps per output; a null direction leaves that input fixed. */
function centralDiff(F: FlatFn, xs: Tensor[], ts: (Tensor | null)[], eps: number): Float64Array[] {
  const at = (a: number) => F.fn(xs.map((x, i) => (ts[i] ? shift(x, ts[i]!, a) : x)));
  const plus = at(eps);
  const minus = at(-eps);
  return plus.map((p, i) => {
    const m = minus[i]!.dataSync();
    return Float64Array.from(p.dataSync(), (v, k) => (v - m[k]!) / (2 * eps));
  });
}

type Nums = ArrayLike<number>;
const fmt = (v: number): string => String(Number(v.toPrecision(6)));
const fmtE = (v: number): string => v.toExponential(1);

function unravel(k: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(k % shape[d]!);
    k = Math.floor(k / shape[d]!);
  }
  return `[${idx.join(",")}]`;
}

/** Elementwise |got − want| ≤ atol + rtol·|want|; returns a description of the failures, or null. */
function compare(got: Nums, want: Nums, shape: readonly number[], s: Settings): string | null {
  let bad = 0;
  let maxAbs = 0;
  let maxRel = 0;
  const examples: string[] = [];
  for (let k = 0; k < want.length; k++) {
    const err = Math.abs(got[k]! - want[k]!);
    const rel = err === 0 ? 0 : err / Math.abs(want[k]!);
    maxAbs = Number.isNaN(err) ? err : Math.max(maxAbs, err);
    maxRel = Number.isNaN(rel) ? rel : Math.max(maxRel, rel);
    if (err <= s.atol + s.rtol * Math.abs(want[k]!)) continue; // written so that NaN fails
    bad++;
    if (examples.length < 3)
      examples.push(
        `${shape.length ? `${unravel(k, shape)} ` : ""}expected ${fmt(want[k]!)} but got ${fmt(got[k]!)}`,
      );
  }
  if (bad === 0) return null;
  return (
    `${bad} of ${want.length} element(s) differ (max abs err ${fmtE(maxAbs)}, max rel err ${fmtE(maxRel)}, ` +
    `tolerance ${s.atol.toExponential()} + ${s.rtol.toExponential()}·|expected|): ${examples.join("; ")}`
  );
}

function fail(mode: string, order: number, F: FlatFn, where: string, detail: string): never {
  throw new GradCheckError(
    `checkGrads: ${mode} disagrees at order ${order} for ${F.what}, ${where}: ${detail}`,
  );
}

/** The primal outputs a transformation returns must equal F's own. */
function samePrimals(mode: string, F: FlatFn, ys: Tensor[], ys2: Tensor[], order: number, s: Settings): void {
  ys.forEach((y, i) => {
    const bad = compare(ys2[i]!.dataSync(), y.dataSync(), y.shape, s);
    if (bad) fail(mode, order, F, `output ${F.outNames[i]}`, bad);
  });
}

/** Forward mode: the JVP along a random direction t against central differences along t. */
function checkJvp(F: FlatFn, xs: Tensor[], ys: Tensor[], ts: Tensor[], order: number, s: Settings): void {
  const [ys2, dys] = jvp(spread(F), xs, ts);
  const fd = centralDiff(F, xs, ts, s.eps);
  samePrimals("forward mode (JVP primal output vs the function)", F, ys, ys2, order, s);
  dys.forEach((dy, i) => {
    const bad = compare(dy.dataSync(), fd[i]!, dy.shape, s);
    if (bad) fail("forward mode (JVP vs central differences)", order, F, `output ${F.outNames[i]}`, bad);
  });
}

/**
 * Reverse mode, by the inner-product identity <ct, J t> = <Jᵀ ct, t>: the right side from the VJP, the
 * left from central differences, one input at a time so a failure names its argument.
 */
function checkVjp(F: FlatFn, xs: Tensor[], ys: Tensor[], cts: Tensor[], order: number, s: Settings): void {
  const [ys2, pullback] = vjp(spread(F), ...xs);
  samePrimals("reverse mode (VJP primal output vs the function)", F, ys, ys2, order, s);
  const grads = pullback(cts) as Tensor[];
  const ctData = cts.map((c) => c.dataSync());
  xs.forEach((x, j) => {
    const t = randn(s.rng, x, "float64");
    const only = xs.map((_, k) => (k === j ? t : null));
    const fd = centralDiff(F, xs, only, s.eps);
    // Sums of |terms| bound the rounding and truncation error of both sides, so they set the scale.
    const lhs = dot(ctData.map((c, i) => [c, fd[i]!] as const));
    const rhs = dot([[grads[j]!.dataSync(), t.dataSync()]]);
    const err = Math.abs(lhs.sum - rhs.sum);
    const tol = s.atol + s.rtol * Math.max(lhs.scale, rhs.scale);
    if (!(err <= tol))
      fail(
        "reverse mode (VJP vs central differences, inner-product identity)",
        order,
        F,
        `argument ${F.inNames[j]}`,
        `<ct, J t> = ${fmt(lhs.sum)} (central differences) but <J^T ct, t> = ${fmt(rhs.sum)} (VJP) ` +
          `(abs err ${fmtE(err)}, tolerance ${fmtE(tol)})`,
      );
  });
}

/** Σ a·b over all pairs, and Σ |a·b|. */
function dot(pairs: (readonly [Nums, Nums])[]): { sum: number; scale: number } {
  let sum = 0;
  let scale = 0;
  for (const [a, b] of pairs)
    for (let k = 0; k < a.length; k++) {
      sum += a[k]! * b[k]!;
      scale += Math.abs(a[k]! * b[k]!);
    }
  return { sum, scale };
}

/** JAX's recursion: check F, then check its JVP and VJP functions one order higher. */
function checkLevel(F: FlatFn, xs: Tensor[], order: number, s: Settings): void {
  const ys = F.fn(xs);
  if (xs.length === 0 || ys.length === 0) return;
  if (s.modes.includes("fwd")) {
    const ts = xs.map((x) => randn(s.rng, x, "float64"));
    checkJvp(F, xs, ys, ts, order, s);
    if (order < s.maxOrder) checkLevel(jvpOf(F), [...xs, ...ts], order + 1, s);
  }
  if (s.modes.includes("rev")) {
    const cts = ys.map((y) => randn(s.rng, y));
    checkVjp(F, xs, ys, cts, order, s);
    if (order < s.maxOrder) checkLevel(vjpOf(F, cts), xs, order + 1, s);
  }
}

/**
 * Checks the derivatives of `f` at `args` numerically, up to `order`, and throws a `GradCheckError` naming
 * the mode, order, argument or output and the disagreeing values when they are wrong. Every input leaf is
 * differentiated, so each must be a float (converted to float64 for the check); an int32 or bool input is
 * refused with a `DTypeError` (close over it instead: `checkGrads((x) => f(x, n), [x])`). Int and bool
 * outputs are left alone. "fwd" compares the JVP along a
 * random direction with central differences; "rev" compares the VJP with central differences through the
 * inner-product identity <ct, J t> = <Jᵀ ct, t>. For order > 1 the function (x, t) ↦ J(x)·t and, for a
 * fixed random ct, x ↦ J(x)ᵀ·ct are checked recursively, so both modes together also check mixed modes.
 * @example
 * ```ts
 * nb.checkGrads((x) => nb.sin(x), [1.0], { order: 3 }); // passes silently
 * nb.checkGrads((x, y) => nb.mul(nb.mul(x, x), y), [nb.array([1, 2]), 3.0]);
 * nb.checkGrads((x) => nb.mul(x, nb.stopGradient(x)), [2.0]); // throws GradCheckError: AD says 2, not 4
 * ```
 */
export function checkGrads(f: AnyFn, args: readonly unknown[], options?: CheckGradsOptions): void {
  const where = "checkGrads";
  functionArg(where, "the first argument", f);
  const o = optionsArg(
    where,
    options,
    ["order", "modes", "atol", "rtol", "eps", "seed"],
    "nb.checkGrads(f, [x], { order: 1 })",
    "third",
  );
  const { order = 2, modes = ["fwd", "rev"], atol = 1e-5, rtol = 1e-5, eps = 1e-4, seed = 0 } = o;
  if (typeof order !== "number" || !Number.isInteger(order) || order < 1)
    throw new ValueError(`checkGrads: order must be a positive integer, got ${describeValue(order)}`);
  if (!Array.isArray(modes) || modes.length === 0)
    throw new ValueError(
      `checkGrads: modes must be a non-empty array of "fwd" and "rev", got ${describeValue(modes)}`,
    );
  const badMode = modes.find((m) => m !== "fwd" && m !== "rev");
  if (badMode !== undefined)
    throw new ValueError(`checkGrads: modes may contain "fwd" and "rev", got ${describeValue(badMode)}`);
  for (const [name, v] of [
    ["atol", atol],
    ["rtol", rtol],
  ] as const)
    if (numberArg(where, name, v) < 0) throw new ValueError(`checkGrads: ${name} must be ≥ 0, got ${v}`);
  if (!(numberArg(where, "eps", eps) > 0))
    throw new ValueError(`checkGrads: eps must be positive, got ${eps}`);
  if (!Number.isSafeInteger(seed))
    throw new ValueError(`checkGrads: seed must be an integer, got ${describeValue(seed)}`);
  if (!Array.isArray(args))
    throw new ValueError(
      `checkGrads: args must be an array of arguments, e.g. checkGrads(f, [x]), got ${describeValue(args)}`,
    );
  const [leaves, def] = flatten(args, "checkGrads args");
  const tensors = leaves.map((l) => toTensor(l, undefined, where));
  const argPaths = leafPaths(def, "args");
  tensors.forEach((t, i) => {
    if (!isFloat(t.aval.dtype))
      throw new DTypeError(
        `checkGrads: ${argPaths[i]} has dtype ${t.aval.dtype}, and every argument is differentiated, so each must be a float; ` +
          `pass it as a float (nb.array(x, { dtype: "float64" })) or close over it: checkGrads((x) => f(x, n), [x])`,
      );
  });
  const floatIdx = tensors.map((_, i) => i);
  const call = (xs: Tensor[]): unknown => {
    const all: Tensor[] = tensors.slice();
    for (const [k, i] of floatIdx.entries()) all[i] = xs[k]!;
    return f(...unflatten<unknown[]>(def, all));
  };
  const xs = floatIdx.map((i) => lax.convert(tensors[i]!, "float64"));
  const [outLeaves, outDef] = flatten(call(xs), "checkGrads output");
  const outPaths = leafPaths(outDef, "out");
  const F: FlatFn = {
    fn: (a) => floatLeaves(call(a), "checkGrads output"),
    what: "f",
    inNames: floatIdx.map((i) => argPaths[i]!),
    outNames: outPaths.filter((_, i) => isFloat(toTensor(outLeaves[i]!).aval.dtype)),
  };
  checkLevel(F, xs, 1, { maxOrder: order, modes, atol, rtol, eps, rng: makeRng(seed) });
}
