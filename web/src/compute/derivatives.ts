// The derivatives view's computations: curves of f and its derivatives, values at a point, formulas,
// the finite-difference error curve. Pure nabla; runs in a worker (and in Node for the tests).
import * as nb from "nabla";
import { alongVariable, derivativeFn, type FnSpec, parseFormula, type ScalarFn, specKey } from "./fn.js";
import { type GraphLayout, layoutGraph, MAX_GRAPH_EQNS, programGraph } from "./graph.js";

nb.setDefaultFloat("float64");

/** The most samples a curve may have; finer grids are capped to this. */
export const MAX_SAMPLES = 4000;
/** The highest derivative order the point values (Taylor polynomial) may ask for. */
export const MAX_TAYLOR_DEGREE = 10;

/** The i-th of n evenly spaced grid points on [from, to] (exact at both ends). */
export const gridPoint = (from: number, to: number, n: number, i: number): number =>
  n === 1 ? from : i === n - 1 ? to : from + ((to - from) * i) / (n - 1);

/**
 * Samples f, f′, …, f^(orders) at grid points i0 … i1−1 of an n-point grid on [from, to], writing
 * into `out[k]` at the same indices (so several workers can fill one shared buffer). A derivative that
 * cannot be evaluated leaves NaN, which the chart draws as a gap.
 */
export function sampleCurves(
  spec: FnSpec,
  grid: { from: number; to: number; n: number; i0: number; i1: number },
  orders: number,
  out: Float64Array[],
): void {
  const { from, to, n, i0, i1 } = grid;
  if (i1 <= i0) return;
  const xs = new Float64Array(i1 - i0);
  for (let i = i0; i < i1; i++) xs[i - i0] = gridPoint(from, to, n, i);
  const f = alongVariable(parseFormula(spec.text), spec.wrt, spec.at);
  const xt = nb.array(xs, { dtype: "float64" });
  for (let k = 0; k <= orders; k++) {
    const dst = out[k]!;
    try {
      const ys = (nb.vmap(derivativeFn(f, k))(xt) as nb.Tensor).dataSync();
      for (let i = i0; i < i1; i++) dst[i] = Number(ys[i - i0]);
    } catch {
      for (let i = i0; i < i1; i++) dst[i] = Number.NaN;
    }
  }
  // Where f itself is undefined (log at x < 0, 1/x at 0) it has no derivatives, whatever the rules say.
  for (let i = i0; i < i1; i++)
    if (!Number.isFinite(out[0]![i]!)) for (let k = 1; k <= orders; k++) out[k]![i] = Number.NaN;
}

/** Staged derivative programs per formula, so dragging the point re-runs them without re-tracing. */
const programCache = new Map<string, nb.Program[]>();

/** f(x₀), f′(x₀), …, f^(maxOrder)(x₀) by automatic differentiation (float64). */
export function pointValues(spec: FnSpec, x0: number, maxOrder: number): number[] {
  const key = specKey(spec);
  let programs = programCache.get(key);
  if (!programs) {
    if (programCache.size > 8) programCache.clear();
    programs = [];
    programCache.set(key, programs);
  }
  const f = alongVariable(parseFormula(spec.text), spec.wrt, spec.at);
  const x = nb.array(x0, { dtype: "float64" });
  const values: number[] = [];
  for (let k = 0; k <= Math.min(maxOrder, MAX_TAYLOR_DEGREE); k++) {
    programs[k] ??= nb.makeProgram(derivativeFn(f, k))(x);
    values.push(programs[k]!.run([x])[0]!.item());
  }
  return Number.isFinite(values[0]!) ? values : values.map(() => Number.NaN);
}

export interface Formula {
  text: string;
  latex: string;
}

/** f as typed (order 0) or its derivative of the given order, simplified, as text and LaTeX. */
export function formula(spec: FnSpec, order: number): Formula {
  const e = parseFormula(spec.text);
  const d = order === 0 ? e : nb.symbolic.derivative(e, spec.wrt, order);
  return { text: String(d), latex: d.toLatex() };
}

/** f and its derivatives of orders 1 … maxOrder. */
export function formulas(spec: FnSpec, maxOrder: number): Formula[] {
  return Array.from({ length: maxOrder + 1 }, (_, k) => formula(spec, k));
}

export interface ErrorCurveData {
  order: number;
  x: number;
  exact: number;
  steps: number[];
  errors: Record<"forward" | "backward" | "central" | "richardson", number[]>;
  optimal: Record<"forward" | "backward" | "central" | "richardson", { step: number; error: number }>;
}

/** |finite difference − autodiff| for forward, backward, central and Richardson differences vs the step h. */
export function errorCurve(spec: FnSpec, x0: number, order: number): ErrorCurveData {
  const f: ScalarFn = alongVariable(parseFormula(spec.text), spec.wrt, spec.at);
  const c = nb.numeric.errorCurve(f, x0, { order });
  return {
    order: c.order,
    x: c.x,
    exact: c.exact,
    steps: c.steps,
    errors: { ...c.errors },
    optimal: { ...c.optimal },
  };
}

export interface ProgramPicture {
  order: number;
  eqns: number;
  text: string;
  /** Null when the program is too large to draw. */
  layout: GraphLayout | null;
}

/**
 * The staged program of f (order 0) or of its k-th derivative along `wrt`, as a function of all the
 * formula's variables, with a layered drawing.
 */
export function programPicture(spec: FnSpec, order: number, x0: number): ProgramPicture {
  const e = parseFormula(spec.text);
  const i = e.variables.indexOf(spec.wrt);
  let g = e.fn as (...xs: nb.Tensor[]) => nb.Tensor;
  for (let k = 0; k < order; k++) g = nb.grad(g, { argnums: i }) as typeof g;
  const args = e.variables.map((v) =>
    nb.array(v === spec.wrt ? (Number.isFinite(x0) ? x0 : 1) : (spec.at[v] ?? 0), { dtype: "float64" }),
  );
  const program = nb.makeProgram(g)(...args);
  const eqns = program.eqns.length;
  const text = String(program);
  const layout = eqns > MAX_GRAPH_EQNS ? null : layoutGraph(programGraph(program, e.variables), eqns);
  return { order, eqns, text: text.length > 60_000 ? `${text.slice(0, 60_000)}\n…` : text, layout };
}
