// Numerical derivatives by finite differences, each with an error estimate: any order and method,
// Richardson extrapolation, an automatic step; gradient, Jacobian and Hessian of tensor functions.
import { type TensorLike, toTensor } from "../core/convert.js";
import { DTypeError, NablaError, ShapeError, ValueError } from "../core/errors.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import {
  accumulate,
  checkMethod,
  checkOrder,
  lineQuotient,
  lineWeights,
  type Method,
  makeStencil,
  nanSample,
  noiseLevel,
  pow2,
  type Sample,
  type Stencil,
} from "./stencil.js";

/** "best": central differences with Richardson extrapolation over a sweep of steps, keeping the most accurate. */
export type DiffMethod = Method | "best";

export interface DiffOptions {
  /** Sample points on both sides of x, at and after it, or at and before it; or "best". Default "central". */
  method?: DiffMethod;
  /**
   * The step h (absolute). Default: automatic, ε^(1/(k+q))·max(1, |x|) rounded to a power of two, where ε is
   * the unit round-off of f's output, k the derivative order and q the order of the truncation error —
   * the step that balances round-off (∝ ε/h^k) against truncation (∝ h^q). With "best" it is the centre
   * of the sweep.
   */
  step?: number;
  /** Levels of Richardson extrapolation over the steps h, h/2, h/4, …. Default 0 (2 with "best"). */
  richardson?: number;
  /** The power of h in the stencil's truncation error. Default 2 for central, 1 for one-sided. */
  accuracy?: number;
}

export interface DerivativeOptions extends DiffOptions {
  /** The derivative order k ≥ 1. Default 1. */
  order?: number;
}

export interface DerivativeResult {
  /** The estimate of f^(k)(x). */
  value: number;
  /**
   * An estimate of |value − f^(k)(x)|: the truncation error implied by the same estimate at steps 2h and 4h,
   * plus a bound on round-off.
   */
  error: number;
  /** The step used (for "best", the largest step of the chosen extrapolation). */
  step: number;
  method: DiffMethod;
  order: number;
}

export interface TensorDiffResult {
  /** The estimate, in float64. */
  value: Tensor;
  /** An estimate of the absolute error of each element of `value`. */
  error: Tensor;
}

/** A function of a scalar: a nabla function of a float64 scalar tensor, or a plain `(x: number) => number`. */
// biome-ignore lint/suspicious/noExplicitAny: f may be typed on tensors or on numbers
export type ScalarFn = (x: any) => unknown;
/** A function of a tensor, returning a tensor, a number or nested arrays of numbers. */
export type TensorFn = (x: Tensor) => unknown;

const EPS64 = 2 ** -52;
const EPS32 = 2 ** -23;
/** Each value of f is trusted to this many units of round-off: composed operations lose a few ulps. */
const ROUND_ULPS = 4;
/** The round-off bound allows this many noise levels per unit of Σ|w|. */
const NOISE_SIGMAS = 3;
/** The "best" sweep: steps h*·2^SWEEP_UP down to h*·2^(SWEEP_UP − SWEEP_LEN + 1). */
const SWEEP_UP = 4;
const SWEEP_LEN = 13;
const BEST_LEVELS = 2;

// ---------------------------------------------------------------------------------------------------------
// The engine: difference quotients of vector-valued samples, Richardson tables and error estimates.

/**
 * What limits the accuracy of f's values: the unit round-off ε of their dtype, and the noise level σ of each
 * output element measured near x (larger than ε·|f| when f cancels large terms).
 */
export interface Noise {
  eps: number;
  sigma: Float64Array;
}
/** The quotient as a function of the step parameter t (steps are t times a per-coordinate scale). */
export type Quotient = (t: number) => Sample;

/** The truncation error of a quotient shrinks like c₁·t^p + c₂·t^(p+s) + … (s = 2 for symmetric stencils). */
export interface Expansion {
  p: number;
  s: number;
}

export interface Estimate {
  value: Float64Array;
  error: Float64Array;
  /** The step parameter t each element was taken at. */
  t: Float64Array;
}

/** A bound on the round-off in a sample: a few ulps of every term, or three noise levels per unit weight. */
const roundOff = (s: Sample, noise: Noise): Float64Array =>
  s.mag.map((a, e) => Math.max(ROUND_ULPS * noise.eps * a, NOISE_SIGMAS * noise.sigma[e]! * s.wsum));

/** Richardson's table on samples at t, t/2, t/4, …: the last diagonal entry and its propagated round-off bound. */
export function extrapolate(samples: readonly Sample[], exp: Expansion, noise: Noise) {
  const levels = samples.length - 1;
  const v = samples.map((s) => Float64Array.from(s.value));
  const r = samples.map((s) => roundOff(s, noise));
  for (let m = 1; m <= levels; m++) {
    // T(t) − T(2t) ≈ (2^q − 1)·(error of T(t)) removes the t^q term; round-off adds up with the same weights.
    const d = 2 ** (exp.p + (m - 1) * exp.s) - 1;
    for (let j = levels; j >= m; j--)
      for (let e = 0; e < v[j]!.length; e++) {
        v[j]![e]! += (v[j]![e]! - v[j - 1]![e]!) / d;
        r[j]![e]! += (r[j]![e]! + r[j - 1]![e]!) / d;
      }
  }
  return { value: v[levels]!, round: r[levels]! };
}

/** The order of the truncation error after `levels` Richardson steps. */
const orderAfter = (exp: Expansion, levels: number): number => exp.p + levels * exp.s;

/**
 * The truncation error of an estimate E(t) of order q, from d1 = |E(t) − E(2t)| and d2 = |E(2t) − E(4t)|.
 * In the asymptotic regime the differences shrink by ρ = 2^−q per halving and the error left is
 * d1·ρ/(1 − ρ); doubled to be safe. When they shrink more slowly than that (t too large for the expansion
 * to hold, or round-off), the observed ratio is used instead, at least down to ρ = 1/2 (error 2·d1).
 */
function truncation(d1: number, d2: number, q: number): number {
  const ideal = 2 ** -q;
  const observed = Number.isNaN(d2) ? ideal : d2 === 0 ? (d1 === 0 ? 0 : 1) : d1 / d2;
  const rho = Math.min(Math.max(observed, ideal), 0.5);
  return (2 * d1 * rho) / (1 - rho);
}

/**
 * The estimate at step t (extrapolated over t … t/2^levels) and its error: the truncation error implied by
 * the same estimate at 2t and 4t, plus the round-off bound.
 */
export function estimateAt(
  quot: Quotient,
  t: number,
  levels: number,
  exp: Expansion,
  noise: Noise,
): Estimate {
  const samples = Array.from({ length: levels + 3 }, (_, j) => quot((4 * t) / 2 ** j));
  const [e4, e2, e1] = [0, 1, 2].map((j) => extrapolate(samples.slice(j, j + levels + 1), exp, noise));
  const q = orderAfter(exp, levels);
  const error = e1!.value.map((v, e) => {
    const d1 = Math.abs(v - e2!.value[e]!);
    const d2 = Math.abs(e2!.value[e]! - e4!.value[e]!);
    return finiteOr(truncation(d1, d2, q) + e1!.round[e]!);
  });
  return { value: e1!.value, error, t: new Float64Array(error.length).fill(t) };
}

/**
 * Sweeps t from tStar·2^SWEEP_UP down by halves, extrapolates every window of levels + 1 consecutive steps
 * and keeps, per element, the window whose error estimate (as in estimateAt, from the two next larger
 * windows) is smallest. Non-finite samples (a step that leaves f's domain) just lose.
 */
export function estimateBest(quot: Quotient, tStar: number, levels: number, exp: Expansion, noise: Noise) {
  const ts = Array.from({ length: SWEEP_LEN }, (_, j) => tStar * 2 ** (SWEEP_UP - j));
  const samples = ts.map(quot);
  const windows = ts
    .slice(0, SWEEP_LEN - levels)
    .map((_, j) => extrapolate(samples.slice(j, j + levels + 1), exp, noise));
  const m = samples[0]!.value.length;
  const q = orderAfter(exp, levels);
  const best: Estimate = {
    value: new Float64Array(m).fill(Number.NaN),
    error: new Float64Array(m).fill(Number.POSITIVE_INFINITY),
    t: new Float64Array(m).fill(tStar),
  };
  for (let j = 2; j < windows.length; j++) {
    const [w, w2, w4] = [windows[j]!, windows[j - 1]!, windows[j - 2]!];
    for (let e = 0; e < m; e++) {
      const d1 = Math.abs(w.value[e]! - w2.value[e]!);
      const d2 = Math.abs(w2.value[e]! - w4.value[e]!);
      const err = truncation(d1, d2, q) + w.round[e]!;
      if (Number.isFinite(w.value[e]!) && err < best.error[e]!) {
        best.value[e] = w.value[e]!;
        best.error[e] = err;
        best.t[e] = ts[j]!;
      }
    }
  }
  return best;
}

const finiteOr = (v: number): number => (Number.isNaN(v) ? Number.POSITIVE_INFINITY : v);

/** Settings resolved from the options: stencil, error expansion, extrapolation levels and how to pick h. */
interface Plan {
  method: DiffMethod;
  stencil: Stencil;
  exp: Expansion;
  levels: number;
  step: number | undefined;
}

function plan(where: string, order: number, options: DiffOptions): Plan {
  const method = checkMethod<DiffMethod>(where, options.method ?? "central", [
    "central",
    "forward",
    "backward",
    "best",
  ]);
  const { step, richardson } = options;
  if (step !== undefined && !(typeof step === "number" && Number.isFinite(step) && step > 0))
    throw new ValueError(`${where}: step must be a finite positive number, got ${step}`);
  const levels = richardson ?? (method === "best" ? BEST_LEVELS : 0);
  if (!Number.isInteger(levels) || levels < 0 || levels > 10)
    throw new ValueError(`${where}: richardson must be an integer from 0 to 10, got ${richardson}`);
  const st = makeStencil(where, order, method === "best" ? "central" : method, options.accuracy);
  return {
    method,
    stencil: st,
    exp: { p: st.accuracy, s: st.method === "central" ? 2 : 1 },
    levels,
    step,
  };
}

/** The automatic step parameter: ε^(1/(k+q)) balances round-off ε/h^k against truncation h^q. */
const autoT = (order: number, pl: Plan, eps: number): number =>
  pow2(eps ** (1 / (order + orderAfter(pl.exp, pl.levels))));

/**
 * The per-coordinate scale of the automatic step, max(1, √|x|) as a power of two; 1 for a given step.
 * Growing like √|x| rather than |x| keeps x ± h well apart in float64 while staying small next to the scale
 * on which f varies: with |x| the step at x = 1e6 would be in the thousands, far beyond sin's period.
 */
export const stepScale = (x: number): number => pow2(Math.max(1, Math.sqrt(Math.abs(x))));
const scaleOf = (pl: Plan, x: number): number => (pl.step === undefined ? stepScale(x) : 1);

/** The estimate of a quotient of the `order`-th derivative, by the plan's method. */
function run(pl: Plan, order: number, quot: Quotient, noise: Noise): Estimate {
  const t = pl.step ?? autoT(order, pl, noise.eps);
  return pl.method === "best"
    ? estimateBest(quot, t, pl.levels, pl.exp, noise)
    : estimateAt(quot, t, pl.levels, pl.exp, noise);
}

// ---------------------------------------------------------------------------------------------------------
// Evaluating user functions in float64.

/** f's output as float64 values, with the unit round-off of the dtype it was computed in. */
function readOutput(where: string, y: unknown): { data: Float64Array; shape: number[]; eps: number } {
  if (typeof y === "number") return { data: Float64Array.of(y), shape: [], eps: EPS64 };
  let t: Tensor;
  try {
    t = toTensor(y as TensorLike, "float64");
  } catch {
    throw new ValueError(
      `${where}: f must return a tensor or a number, got ${y === null ? "null" : typeof y === "object" ? (y.constructor?.name ?? "object") : typeof y}`,
    );
  }
  const { dtype } = t.aval;
  if (dtype !== "float32" && dtype !== "float64")
    throw new DTypeError(`${where}: f returned dtype ${dtype}; finite differences need a float output`);
  return { data: Float64Array.from(t.dataSync()), shape: t.shape, eps: dtype === "float32" ? EPS32 : EPS64 };
}

/** A float64 scalar tensor (not weakly typed, so f computes in float64). */
export const scalar64 = (v: number): Tensor =>
  new ConcreteTensor(Float64Array.of(v), { shape: [], dtype: "float64", weak: false });

/** f as a function of a number, with its value at x. */
export interface ScalarEval {
  call: (p: number) => Float64Array;
  center: Float64Array;
  shape: number[];
  eps: number;
  /** True when f is called with float64 scalar tensors (so it can be differentiated by AD). */
  tensor: boolean;
}

/**
 * Decides how to call f: with a float64 scalar tensor if that gives a tensor, else with a plain number (a
 * function like `(x) => Math.sin(x)` converts a tensor to a number and returns a number).
 */
const describe = (v: unknown): string => (v === null ? "null" : typeof v);

export function scalarEval(where: string, f: ScalarFn, x: number): ScalarEval {
  if (typeof f !== "function") throw new ValueError(`${where}: f must be a function, got ${describe(f)}`);
  // A number back from a tensor call means f turned the tensor into a number (Math.exp(t)): it is a
  // function of numbers, which AD cannot see through.
  const usable = (y: unknown) => y instanceof Tensor || Array.isArray(y);
  let tensor = true;
  let y: unknown;
  let failure: unknown;
  try {
    y = f(scalar64(x));
  } catch (e) {
    failure = e;
  }
  if (failure !== undefined || !usable(y)) {
    try {
      const yn = f(x);
      if (typeof yn === "number" || yn instanceof Tensor) {
        y = yn;
        tensor = false;
        failure = undefined;
      }
    } catch {
      // a tensor function that cannot take numbers: keep the tensor attempt's outcome
    }
  }
  if (failure !== undefined) throw failure;
  const out = readOutput(where, y);
  const call = (p: number): Float64Array =>
    p === x ? out.data : readOutput(where, tensor ? f(scalar64(p)) : f(p)).data;
  return { call, center: out.data, shape: out.shape, eps: out.eps, tensor };
}

/**
 * Near the float64 limit (exp at 700 is 1e304) the weighted sums of a quotient overflow. Quotients are
 * linear in f, so each output element is differenced divided by a power of two near its value at x (exact)
 * and the estimates are multiplied back. Per element: the power of two nearest |y| when |y| ≥ 2^64, else 1;
 * null when every element is 1.
 */
function largeUnits(ys: Float64Array): Float64Array | null {
  const units = ys.map((y) => {
    const a = Math.abs(y);
    return Number.isFinite(a) && a >= 2 ** 64 ? 2 ** Math.round(Math.log2(a)) : 1;
  });
  return units.every((u) => u === 1) ? null : units;
}

/** f's values divided by their units. */
const divided = (ys: Float64Array, units: Float64Array | null): Float64Array =>
  units === null ? ys : ys.map((y, e) => y / units[e]!);

/** Accepts a JS number or a one-element tensor as the point x. */
export function scalarX(where: string, x: number | Tensor): number {
  if (x instanceof Tensor && x.size !== 1)
    throw new ShapeError(`${where}: x must be a scalar, got a tensor of shape [${x.shape.join(",")}]`);
  const v = x instanceof Tensor ? x.item() : x;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new ValueError(`${where}: x must be a finite number, got ${String(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// Public functions.

/**
 * The k-th derivative of a scalar function at x by finite differences, with an error estimate. The
 * weights come from Fornberg's algorithm for any order and method; the step is automatic unless given;
 * `richardson` levels extrapolate over h, h/2, h/4, …; method "best" sweeps the step and keeps the
 * extrapolated estimate with the smallest error estimate. `error` is the truncation error implied by the
 * same estimate at steps 2h and 4h (doubled, to be safe), plus a bound on round-off: the larger of
 * 4ε·Σ|wᵢ·f(xᵢ)| and 3σ·Σ|wᵢ|, where σ is f's noise level measured near x (it exceeds ε·|f| when f
 * cancels large terms). f may be a nabla function (called with float64 scalar tensors) or a plain
 * `(x: number) => number`.
 * @example
 * ```ts
 * const d = nb.numeric.derivative(nb.sin, 1);                   // d.value ≈ cos 1, d.error ≈ 1e-10
 * nb.numeric.derivative((x) => x ** 3, 2, { order: 2 }).value;  // ≈ 12 (a plain JS function works too)
 * nb.numeric.derivative(nb.exp, 0, { method: "forward", step: 1e-6 }).value; // ≈ 1, error ≈ 1e-6
 * ```
 */
export function derivative(
  f: ScalarFn,
  x: number | Tensor,
  options: DerivativeOptions = {},
): DerivativeResult {
  const where = "numeric.derivative";
  const order = options.order ?? 1;
  checkOrder(where, order);
  const x0 = scalarX(where, x);
  const pl = plan(where, order, options);
  const ev = scalarEval(where, f, x0);
  if (ev.center.length !== 1)
    throw new ShapeError(
      `${where}: f must return a scalar, got shape [${ev.shape.join(",")}]; use nb.numeric.jacobian for several outputs`,
    );
  const scale = scaleOf(pl, x0);
  const sx = stepScale(x0);
  const unit = largeUnits(ev.center)?.[0] ?? 1;
  const call = unit === 1 ? ev.call : (p: number) => ev.call(p).map((v) => v / unit);
  const noise = { eps: ev.eps, sigma: noiseLevel(call, x0, sx) };
  const est = run(pl, order, lineQuotient(call, x0, scale, pl.stencil, 1), noise);
  return {
    value: est.value[0]! * unit,
    error: est.error[0]! * unit,
    step: est.t[0]! * scale,
    method: pl.method,
    order,
  };
}

/**
 * The most accurate estimate `derivative` can make: central differences with two levels of Richardson
 * extrapolation, over a sweep of steps around the automatic one, keeping the smallest error estimate.
 * Same as `derivative(f, x, { ...options, method: "best" })`.
 * @example
 * ```ts
 * nb.numeric.best(nb.exp, 1).value;                    // 2.718281828459… (error ≈ 5e-13)
 * nb.numeric.best(nb.log, 2, { order: 3 }).value;      // ≈ 2/2³ = 0.25
 * ```
 */
export function best(
  f: ScalarFn,
  x: number | Tensor,
  options: Omit<DerivativeOptions, "method"> = {},
): DerivativeResult {
  return derivative(f, x, { ...options, method: "best" });
}

/** x as float64 data, its shape, f's output at x, f with some coordinates moved, and f's noise level. */
function tensorEval(where: string, f: TensorFn, x: TensorLike) {
  if (typeof f !== "function") throw new ValueError(`${where}: f must be a function, got ${describe(f)}`);
  let t: Tensor;
  try {
    t = toTensor(x, "float64", where);
  } catch (e) {
    if (e instanceof NablaError) throw e;
    throw new ValueError(`${where}: x must be a tensor, a number or nested arrays of numbers`);
  }
  const base = Float64Array.from(lax.convert(t, "float64").dataSync());
  const shape = t.shape;
  if (!base.every(Number.isFinite)) throw new ValueError(`${where}: x must be finite, got ${String(t)}`);
  const at = (data: Float64Array) =>
    readOutput(where, f(new ConcreteTensor(data, { shape, dtype: "float64", weak: false })));
  const raw = at(Float64Array.from(base));
  const units = largeUnits(raw.data);
  const out = { ...raw, data: divided(raw.data, units) };
  /** f with coordinates idx[i] moved to vals[i]. */
  const moved = (idx: number[], vals: number[]): Float64Array => {
    if (idx.every((i, k) => base[i] === vals[k])) return out.data;
    const d = Float64Array.from(base);
    idx.forEach((i, k) => {
      d[i] = vals[k]!;
    });
    return divided(at(d).data, units);
  };
  /** f's noise level along coordinate j (dyadic steps round differently along different lines). */
  const noiseAlong = (j: number): Noise => {
    const scale = stepScale(base[j]!);
    return { eps: out.eps, sigma: noiseLevel((p) => moved([j], [p]), base[j]!, scale) };
  };
  /** Multiplies an estimate of output element e back by its unit. */
  const unscale = (v: number, e: number): number => (units === null ? v : v * units[e]!);
  return { base, shape, out, moved, noiseAlong, unscale };
}

const tensor64 = (data: Float64Array, shape: number[]): Tensor =>
  new ConcreteTensor(data, { shape, dtype: "float64", weak: false });

/** Every output element's derivative along every input coordinate: rows of the Jacobian, [out, in]. */
function jacobianData(where: string, f: TensorFn, x: TensorLike, options: DiffOptions, scalarOut = false) {
  const pl = plan(where, 1, options);
  const { base, shape, out, moved, noiseAlong, unscale } = tensorEval(where, f, x);
  if (scalarOut && out.data.length !== 1)
    throw new ShapeError(
      `${where}: f must return a scalar, got shape [${out.shape.join(",")}]; use nb.numeric.jacobian for several outputs`,
    );
  const n = base.length;
  const m = out.data.length;
  const value = new Float64Array(m * n);
  const error = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    const g = (p: number) => moved([j], [p]);
    const est = run(pl, 1, lineQuotient(g, base[j]!, scaleOf(pl, base[j]!), pl.stencil, m), noiseAlong(j));
    for (let e = 0; e < m; e++) {
      value[e * n + j] = unscale(est.value[e]!, e);
      error[e * n + j] = unscale(est.error[e]!, e);
    }
  }
  return { value, error, inShape: shape, outShape: out.shape };
}

/**
 * The gradient of a scalar function of a tensor by finite differences, one coordinate at a time (central
 * differences by default; any `derivative` option applies), with an error estimate per element.
 * @example
 * ```ts
 * const { value, error } = nb.numeric.gradient((x) => nb.sum(nb.mul(x, x)), [1, 2, 3]);
 * value.toArray(); // ≈ [2, 4, 6]; every error ≤ 1e-8
 * ```
 */
export function gradient(f: TensorFn, x: TensorLike, options: DiffOptions = {}): TensorDiffResult {
  const where = "numeric.gradient";
  const r = jacobianData(where, f, x, options, true);
  return { value: tensor64(r.value, r.inShape), error: tensor64(r.error, r.inShape) };
}

/**
 * The Jacobian of a tensor function by finite differences, shape out ++ in (as nb.jacfwd), with an error
 * estimate per element.
 * @example
 * ```ts
 * const { value } = nb.numeric.jacobian((x) => nb.mul(x, x), [1, 2]);
 * value.toArray(); // ≈ [[2, 0], [0, 4]]
 * ```
 */
export function jacobian(f: TensorFn, x: TensorLike, options: DiffOptions = {}): TensorDiffResult {
  const r = jacobianData("numeric.jacobian", f, x, options);
  const shape = [...r.outShape, ...r.inShape];
  return { value: tensor64(r.value, shape), error: tensor64(r.error, shape) };
}

/**
 * The Hessian of a scalar function of a tensor by finite differences, shape in ++ in, exactly symmetric:
 * second-difference stencils on the diagonal and products of first-difference stencils,
 * Σ wₐw_b·f(x + a·hᵢeᵢ + b·hⱼeⱼ), off it. Options as for `derivative`; errors per element.
 * @example
 * ```ts
 * nb.numeric.hessian((x) => nb.prod(x), [1, 2]).value.toArray();           // ≈ [[0, 1], [1, 0]]
 * nb.numeric.hessian((x) => nb.sum(nb.pow(x, 3)), [1, 2]).value.toArray(); // ≈ [[6, 0], [0, 12]]
 * ```
 */
export function hessian(f: TensorFn, x: TensorLike, options: DiffOptions = {}): TensorDiffResult {
  const where = "numeric.hessian";
  const diag = plan(where, 2, options);
  const { base, shape, out, moved, noiseAlong, unscale } = tensorEval(where, f, x);
  if (out.data.length !== 1)
    throw new ShapeError(`${where}: f must return a scalar, got shape [${out.shape.join(",")}]`);
  const n = base.length;
  const value = new Float64Array(n * n);
  const error = new Float64Array(n * n);
  const noises = Array.from({ length: n }, (_, i) => noiseAlong(i));
  for (let i = 0; i < n; i++) {
    const g = (p: number) => moved([i], [p]);
    const est = run(diag, 2, lineQuotient(g, base[i]!, scaleOf(diag, base[i]!), diag.stencil, 1), noises[i]!);
    value[i * n + i] = unscale(est.value[0]!, 0);
    error[i * n + i] = unscale(est.error[0]!, 0);
  }
  // ∂²f/∂xᵢ∂xⱼ: the tensor product of two first-derivative stencils has the same error expansion in t.
  const mixed = plan(where, 1, options);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const si = scaleOf(mixed, base[i]!);
      const sj = scaleOf(mixed, base[j]!);
      const quot = (t: number): Sample => {
        const a = lineWeights(mixed.stencil, base[i]!, t * si);
        const b = lineWeights(mixed.stencil, base[j]!, t * sj);
        if (!a || !b) return nanSample(1);
        const terms = a.points.flatMap((pa, ka) =>
          b.points.map((pb, kb) => ({ w: a.weights[ka]! * b.weights[kb]!, y: moved([i, j], [pa, pb]) })),
        );
        return accumulate(terms, 1);
      };
      // Two first derivatives: the automatic step balances ε/h² against h^q, as for the diagonal.
      const sigma = noises[i]!.sigma.map((v, e) => Math.max(v, noises[j]!.sigma[e]!));
      const est = run(mixed, 2, quot, { eps: out.eps, sigma });
      value[i * n + j] = value[j * n + i] = unscale(est.value[0]!, 0);
      error[i * n + j] = error[j * n + i] = unscale(est.error[0]!, 0);
    }
  return { value: tensor64(value, [...shape, ...shape]), error: tensor64(error, [...shape, ...shape]) };
}
