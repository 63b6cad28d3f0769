// Taylor mode (jet): each tracer carries a primal and a truncated Taylor series along a path through it; one
// rule per primitive propagates the series. Rules use the series algebra of primitives/series.ts, whose operations
// are lax wrappers, so jet composes with grad, vmap and with itself.

import { functionArg, optionsArg } from "../core/args.js";
import { describeValue, toTensor } from "../core/convert.js";
import { isFloat } from "../core/dtype.js";
import { DTypeError, fmtShape, PytreeError, ShapeError, ValueError } from "../core/errors.js";
import type { MultiPrim, MultiPrimParams, Prim, PrimParams } from "../core/primitives.js";
import {
  flatten,
  isLeaf,
  type Pytree,
  type TreeDef,
  treeString,
  treesEqual,
  unflatten,
} from "../core/pytree.js";
import { range, shapesEqual } from "../core/shape.js";
import { type Aval, ConcreteTensor, Tensor } from "../core/tensor.js";
import {
  bind,
  bindMulti,
  derivativeReadError,
  fullRaise,
  type MainTrace,
  Trace,
  Tracer,
  withMain,
} from "../core/trace.js";
import { jetRules } from "../primitives/jet-rules.js";
import * as lax from "../primitives/lax.js";
import { once, Series, type Term } from "../primitives/series.js";
import type { JetRule } from "../primitives/series-rules.js";
import { multiRules } from "./control.js";

type T = Tensor;
// biome-ignore lint/suspicious/noExplicitAny: transformations accept functions of any pytree signature
type AnyFn = (...args: any[]) => any;

export class JetTracer extends Tracer {
  constructor(
    readonly trace: JetTrace,
    readonly primal: T,
    /** The series along the path (term 0 is `primal`); null when every term is zero. */
    readonly series: Series | null,
  ) {
    super();
  }
  get aval(): Aval {
    return this.primal.aval;
  }
  concrete(): ConcreteTensor {
    if (this.series !== null) throw derivativeReadError("a Taylor expansion (jet, taylorDerivative, …)");
    return this.primal.concrete();
  }
  override fullLower(): T {
    return this.series === null ? this.primal : this;
  }
}

/**
 * Terms are computed lazily; a series more than this many primitives away from computed data is computed at
 * once, which bounds the recursion that computing a term of a long chain of operations needs.
 */
const MAX_LAZY_DEPTH = 32;

export class JetTrace extends Trace {
  /** The number of series terms (the truncation order). */
  get order(): number {
    return this.main.globalData as number;
  }
  pure(x: T): JetTracer {
    return new JetTracer(this, x, null);
  }
  lift(x: T): JetTracer {
    return new JetTracer(this, x, null);
  }
  processPrimitive<P extends Prim>(prim: P, args: Tracer[], params: PrimParams[P]): Tracer {
    const ts = args as JetTracer[];
    const primals = ts.map((t) => t.primal);
    if (ts.every((t) => t.series === null)) return new JetTracer(this, bind(prim, primals, params), null);
    const order = this.order;
    const series = ts.map((t) => t.series ?? Series.constant(t.primal, order));
    const [out, s] = jetRuleOf[prim](primals, series, params, order);
    if (s === null || !isFloat(out.aval.dtype)) return new JetTracer(this, out, null);
    s.lazyDepth = 1 + Math.max(...series.map((x) => x.lazyDepth));
    if (s.lazyDepth > MAX_LAZY_DEPTH) s.force();
    return new JetTracer(this, out, s);
  }
  processMulti<P extends MultiPrim>(prim: P, args: Tracer[], params: MultiPrimParams[P]): Tracer[] {
    const ts = args as JetTracer[];
    const primals = ts.map((t) => t.primal);
    if (ts.every((t) => t.series === null))
      return bindMulti(prim, primals, params).map((o) => new JetTracer(this, o, null));
    const [outs, ss] = multiRules[prim].jet(
      primals,
      ts.map((t) => t.series),
      params,
      this.order,
    );
    return outs.map((o, i) => {
      const s = ss[i] ?? null;
      return new JetTracer(this, o, s === null || s.isConstant || !isFloat(o.aval.dtype) ? null : s);
    });
  }
}

const customLinearRule: JetRule<"custom_linear"> = (xs, ss, { name, nres, forward }, order) => {
  if (forward === null)
    throw new ValueError(
      `${name}: jet needs the forward map, which a function with only a custom VJP does not define; use customJvp`,
    );
  const map = (...args: T[]) => [forward(args.slice(0, nres), args.slice(nres))];
  const [[out], [s]] = jetSeriesFlat(
    map,
    xs,
    ss.map((x) => (x.isConstant ? null : x)),
    order,
  );
  return [out!, s ?? null];
};

/** Every primitive's rule, looked up by name. */
const jetRuleOf = { ...jetRules, custom_linear: customLinearRule } as { readonly [P in Prim]: JetRule<P> };

/** Runs `f` under a jet trace of `order` terms with the given input series (null: a constant input). */
export function jetSeriesFlat(
  f: (...xs: T[]) => T[],
  primals: readonly T[],
  series: readonly (Series | null)[],
  order: number,
): [T[], (Series | null)[]] {
  return withMain(
    (m: MainTrace) => new JetTrace(m),
    order,
    (main) => {
      const trace = main.trace() as JetTrace;
      const ins = primals.map((p, i) => new JetTracer(trace, p, series[i] ?? null));
      const outs = f(...ins).map((o) => fullRaise(trace, o) as JetTracer);
      return [outs.map((o) => o.primal), outs.map((o) => o.series)];
    },
  );
}

/** A custom JVP rule as nb.customJvp takes it: (primals, tangents) ↦ [primal output, tangent output]. */
export type CustomJvpRule = (primals: unknown[], tangents: unknown[]) => [unknown, unknown];

/**
 * A function with a custom JVP rule, applied to values of which the innermost transformation is a jet: returns
 * `{ value }`, or null when jet is not the innermost transformation (nb.customJvp then proceeds as before).
 * Along a path x(t), y′(t) = T(x(t), x′(t)) where T is the rule's tangent output, so y_k is term k − 1 of the
 * jet of T along x (terms 1 … K−1) and x′ (primal x_1, terms 2 … K): the rule is used at every order, so a
 * function whose body is not smooth enough to differentiate (a max at a tie, a log of 0) keeps its rule.
 */
export function customJvpUnderJet(
  f: AnyFn,
  rule: CustomJvpRule,
  args: readonly unknown[],
): { value: unknown } | null {
  const [leaves, def] = flatten(args, "customJvp arguments");
  let top: MainTrace | null = null;
  for (const l of leaves)
    if (l instanceof Tracer && (top === null || l.trace.main.level > top.level)) top = l.trace.main;
  const trace = top?.trace();
  if (!(trace instanceof JetTrace)) return null;
  const ts = leaves.map((l) => fullRaise(trace, toTensor(l as Tensor)) as JetTracer);
  const order = trace.order;
  const xs = ts.map((t) => t.primal);
  if (order === 0 || ts.every((t) => t.series === null))
    return { value: f(...unflatten<unknown[]>(def, xs)) };
  const dxs = ts.map((t) => t.series?.term(1) ?? null);
  const x1s = dxs.map((d, i) => (d === null ? lax.zerosLike(xs[i]!) : matchAval(d, xs[i]!.aval)));
  const along = ts.map(
    (t) => t.series && Series.direct(order - 1, t.aval, t.primal, (k) => t.series!.term(k)),
  );
  const alongDeriv = ts.map(
    (t, i) => t.series && Series.direct(order - 1, t.aval, x1s[i]!, (k) => t.series!.term(k + 1)),
  );
  const n = xs.length;
  const shape: { out?: TreeDef; nOut?: number } = {};
  const both = (...vals: T[]): T[] => {
    const [out, tout] = rule(
      unflatten<unknown[]>(def, vals.slice(0, n)),
      unflatten<unknown[]>(def, vals.slice(n)),
    );
    const [outs, outDef] = flatten(out, "customJvp rule primal output");
    const [touts, toutDef] = flatten(tout, "customJvp rule tangent output");
    if (!treesEqual(outDef, toutDef))
      throw new PytreeError(
        `customJvp: the rule's primal output has structure ${treeString(outDef)} but its tangent output has ${treeString(toutDef)}`,
      );
    shape.out = outDef;
    shape.nOut = outs.length;
    const ps = outs.map((o) => toTensor(o));
    return [
      ...ps,
      ...touts.map((t, i) => {
        const p = ps[i]!;
        const tt = lax.convert(toTensor(t, p.aval.dtype), p.aval.dtype, p.aval.weak);
        if (!shapesEqual(tt.aval.shape, p.aval.shape))
          throw new ShapeError(
            `customJvp: the rule's tangent output ${i} has shape ${fmtShape(tt.aval.shape)} but the primal output has ${fmtShape(p.aval.shape)}`,
          );
        return tt;
      }),
    ];
  };
  const [vals, series] = jetSeriesFlat(both, [...xs, ...x1s], [...along, ...alongDeriv], order - 1);
  const m = shape.nOut!;
  const depth = 1 + Math.max(0, ...ts.map((t) => t.series?.lazyDepth ?? 0));
  const outs = vals.slice(0, m).map((y, j) => {
    if (!isFloat(y.aval.dtype)) return y;
    const dy = series[m + j] ?? Series.constant(vals[m + j]!, order - 1);
    const s = Series.direct(order, y.aval, y, (k) => dy.term(k - 1));
    s.lazyDepth = depth;
    if (depth > MAX_LAZY_DEPTH) s.force();
    return new JetTracer(trace, y, s);
  });
  return { value: unflatten(shape.out!, outs) };
}

/** Makes a term match its primal's shape, dtype and weak flag. */
function matchAval(t: T, a: Aval): T {
  let r = t;
  if (r.aval.dtype !== a.dtype || r.aval.weak !== a.weak) r = lax.convert(r, a.dtype, a.weak);
  if (!shapesEqual(r.aval.shape, a.shape)) r = lax.broadcastTo(r, a.shape);
  return r;
}

/**
 * Pushes truncated Taylor series through `f` (flat lists of tensors): `terms[i]` holds the `order` terms of
 * input i (null: zero; any shape broadcastable to the primal). Returns the outputs and, per output, its terms
 * (full shape); only the terms listed in `wanted` (1-based, default all) are computed, the others are zeros.
 */
export function jetFlat(
  f: (...xs: T[]) => T[],
  primals: readonly T[],
  terms: readonly (readonly Term[])[],
  order: number,
  wanted: readonly number[] = range(order).map((k) => k + 1),
): [T[], T[][]] {
  const series = primals.map((p, i) => {
    const ts = terms[i] ?? [];
    return ts.every((t) => t === null) ? null : Series.known(p.aval, p, ts);
  });
  const [outs, outSeries] = jetSeriesFlat(f, primals, series, order);
  const outTerms = outs.map((y, i) => {
    const s = outSeries[i];
    const res: T[] = new Array<T>(order);
    const z = once(() => lax.zerosLike(y));
    for (let k = 1; k <= order; k++) {
      const t = wanted.includes(k) && s ? s.term(k) : null;
      res[k - 1] = t === null ? z() : matchAval(t, y.aval);
    }
    return res;
  });
  return [outs, outTerms];
}

// ---- the user-facing API ----------------------------------------------------------------------------------

/** Wraps `f` of one argument list so it takes and returns flat lists of tensors; `out.def` gets the output structure. */
function flatFn(call: (xs: T[]) => unknown, out: { def?: TreeDef }, where: string) {
  return (...xs: T[]): T[] => {
    const [leaves, def] = flatten(call(xs), `${where} output`);
    out.def = def;
    return leaves.map((l) => toTensor(l));
  };
}

/** A term given by the user: a number is a constant (0 is a zero term), a tensor must have the primal's shape. */
function userTerm(t: unknown, x: T, where: string): Term {
  if (typeof t === "number") return t === 0 ? null : lax.scalarLike(x, t);
  const tt = toTensor(t as Tensor);
  if (!shapesEqual(tt.aval.shape, x.aval.shape))
    throw new ShapeError(
      `${where} has shape ${fmtShape(tt.aval.shape)} but its primal has ${fmtShape(x.aval.shape)}; ` +
        "give a tensor of the primal's shape, or a number for a constant",
    );
  const c = lax.convert(tt, x.aval.dtype, x.aval.weak);
  // A known constant array is kept as a 0-d term, which the rules fold into their coefficients.
  if (c instanceof ConcreteTensor && c.data.every((v) => v === c.data[0])) {
    const v = c.data.length === 0 ? 0 : c.data[0]!;
    return v === 0 ? null : lax.scalarLike(x, v);
  }
  return c;
}

/** The highest order Taylor mode computes (the work grows as k²; derivative has the same bound). */
const MAX_ORDER = 100;

function checkOrder(where: string, k: number): void {
  if (!Number.isInteger(k) || k < 0)
    throw new ValueError(`${where}: the order must be a non-negative integer, got ${describeValue(k)}`);
  if (k > MAX_ORDER) throw new ValueError(`${where}: the order ${k} is above the maximum of ${MAX_ORDER}`);
}

/**
 * Taylor mode: pushes truncated Taylor series through `f`. Each primal x_i moves along the path
 * x_i(t) = x_i + Σ_k s_ik t^k / k!, where `series[i]` = [s_i1, …, s_iK] are the path's derivatives at t = 0;
 * the result is `[f(x), [y_1, …, y_K]]` with y_k the k-th derivative of f(x(t)) at t = 0 (JAX's jet
 * convention). With the path x + t, series `[[1, 0, 0]]`, the terms are f′(x), f″(x), f‴(x). A term has the
 * structure of its primal (a bare number stands for a constant array); each y_k has the structure of f's
 * output. Nonlinear operations cost O(K²) tensor operations, and terms are computed only when needed.
 * @example
 * ```ts
 * const [y, [d1, d2, d3]] = nb.jet(nb.exp, [0], [[1, 0, 0]]); // y = 1; d1 = d2 = d3 = 1
 * // second derivative of f along a direction v: f(x + t v) at t = 0
 * const [, [, d2v]] = nb.jet((x) => nb.sum(nb.square(x)), [nb.array([1, 2])], [[nb.array([1, 1]), 0]]); // 4
 * ```
 */
export function jet<R = Pytree>(
  f: AnyFn,
  primals: readonly unknown[],
  series: readonly (readonly unknown[])[],
): [R, R[]] {
  functionArg("jet", "f", f);
  if (!Array.isArray(primals) || !Array.isArray(series))
    throw new PytreeError("jet: primals and series must be arrays, e.g. jet(f, [x], [[dx, ddx]])");
  if (series.length !== primals.length)
    throw new PytreeError(
      `jet: ${primals.length} primal(s) but ${series.length} series; give one list of terms per primal`,
    );
  series.forEach((s, i) => {
    if (!Array.isArray(s))
      throw new PytreeError(`jet: series ${i} must be an array of terms, e.g. [[1, 0, 0]] for one primal`);
  });
  const lengths = series.map((s) => s.length);
  if (new Set(lengths).size > 1)
    throw new ValueError(
      `jet: the series have different numbers of terms (${lengths.join(", ")}); every primal needs the same number`,
    );
  const order = lengths[0] ?? 0;
  checkOrder("jet", order);
  const xs: T[] = [];
  const terms: Term[][] = [];
  const defs: TreeDef[] = [];
  primals.forEach((p, i) => {
    const [leaves, def] = flatten(p, `jet primals[${i}]`);
    defs.push(def);
    const ts = leaves.map((l) => toTensor(l));
    const perLeaf: Term[][] = ts.map(() => []);
    series[i]!.forEach((term: unknown, j: number) => {
      const [tl, tdef] = flatten(term, `jet series[${i}][${j}]`);
      if (!treesEqual(tdef, def))
        throw new PytreeError(
          `jet: term ${j} of series ${i} has structure ${treeString(tdef)} but primal ${i} has ${treeString(def)}`,
        );
      tl.forEach((t, l) => {
        perLeaf[l]!.push(
          userTerm(t, ts[l]!, `jet: term ${j} of series ${i}${ts.length > 1 ? ` (leaf ${l})` : ""}`),
        );
      });
    });
    ts.forEach((x, l) => {
      if (!isFloat(x.aval.dtype) && perLeaf[l]!.some((t) => t !== null))
        throw new DTypeError(
          `jet: primal ${i} has dtype ${x.aval.dtype}; a non-zero series needs a float primal (convert it with nb.astype)`,
        );
    });
    xs.push(...ts);
    terms.push(...perLeaf);
  });
  const inDef: TreeDef = { kind: "array", children: defs };
  const out: { def?: TreeDef } = {};
  const fFlat = flatFn((flat) => f(...unflatten<unknown[]>(inDef, flat)), out, "jet");
  const [ys, yTerms] = jetFlat(fFlat, xs, terms, order);
  return [
    unflatten<R>(out.def!, ys),
    range(order).map((k) =>
      unflatten<R>(
        out.def!,
        yTerms.map((t) => t[k]!),
      ),
    ),
  ];
}

/**
 * The series of `f` along x + t·1, where `x` is a float tensor or number: [f(x), d/dt, …, d^k/dt^k] at t = 0.
 * Only the terms in `wanted` are computed (the others are zeros).
 */
function alongOnes(where: string, f: (x: T) => unknown, x: unknown, k: number, wanted?: readonly number[]) {
  functionArg(where, "f", f);
  checkOrder(where, k);
  if (!isLeaf(x)) throw new PytreeError(`${where}: x must be a tensor or a number`);
  const xt = toTensor(x);
  if (!isFloat(xt.aval.dtype))
    throw new DTypeError(
      `${where}: x has dtype ${xt.aval.dtype}; derivatives need a float input (convert it with nb.astype)`,
    );
  const out: { def?: TreeDef } = {};
  const fFlat = flatFn(([v]) => f(v!), out, where);
  const ones = range(k).map((i) => (i === 0 ? lax.scalarLike(xt, 1) : null));
  const [ys, ts] = jetFlat(fFlat, [xt], [ones], k, wanted);
  return { def: out.def!, ys, ts, xt };
}

/**
 * The derivatives of a function of one scalar: [f(x), f′(x), f″(x), …, f^(k)(x)], each shaped like f's
 * output, by Taylor mode (O(k²) operations instead of the exponential growth of nested gradients).
 * @example
 * ```ts
 * nb.taylorDerivatives(nb.sin, 0, 4).map((d) => d.item()); // [0, 1, 0, -1, 0]
 * ```
 */
export function taylorDerivatives<R = Pytree>(f: AnyFn, x: unknown, k: number): R[] {
  const xt = isLeaf(x) ? toTensor(x) : null;
  if (xt !== null && xt.aval.shape.length !== 0)
    throw new ShapeError(
      `taylorDerivatives: x must be a scalar (a number or a 0-d tensor), got shape ${fmtShape(xt.aval.shape)}; ` +
        "for an elementwise function over an array use nb.elementwiseDerivatives, for directional derivatives nb.jet",
    );
  const { def, ys, ts } = alongOnes("taylorDerivatives", f, x, k);
  return [
    unflatten<R>(def, ys),
    ...range(k).map((i) =>
      unflatten<R>(
        def,
        ts.map((t) => t[i]!),
      ),
    ),
  ];
}

/**
 * Elementwise derivatives of an elementwise function over a whole array at once:
 * [f(x), f′(x), …, f^(k)(x)], each shaped like f's output. Equivalent to `nb.vmap` of
 * `nb.taylorDerivatives` when every output element depends only on the input element at the same position;
 * for other functions it gives the derivatives d^k/dt^k f(x + t·1) along the all-ones direction.
 * @example
 * ```ts
 * const [y, dy, d2y] = nb.elementwiseDerivatives(nb.exp, nb.array([0, 1]), 2); // each [1, e]
 * ```
 */
export function elementwiseDerivatives<R = Pytree>(f: AnyFn, x: unknown, k: number): R[] {
  const { def, ys, ts } = alongOnes("elementwiseDerivatives", f, x, k);
  return [
    unflatten<R>(def, ys),
    ...range(k).map((i) =>
      unflatten<R>(
        def,
        ts.map((t) => t[i]!),
      ),
    ),
  ];
}

export interface TaylorDerivativeOptions {
  /** The position of the scalar argument to differentiate (default 0). */
  argnums?: number;
}

/**
 * The k-th derivative of `f` with respect to one scalar argument, by Taylor mode: only the k-th term of the
 * series is computed. The other arguments are held fixed.
 * @example
 * ```ts
 * nb.taylorDerivative((x) => nb.pow(x, 4), 3)(2); // 24 · 2 = 48
 * ```
 */
export function taylorDerivative(f: AnyFn, k: number, options: TaylorDerivativeOptions = {}): AnyFn {
  functionArg("taylorDerivative", "f", f);
  checkOrder("taylorDerivative", k);
  const argnum =
    optionsArg("taylorDerivative", options, ["argnums"], "nb.taylorDerivative(f, 3, { argnums: 1 })", "third")
      .argnums ?? 0;
  return (...args: unknown[]) => {
    const n = argnum < 0 ? argnum + args.length : argnum;
    if (!Number.isInteger(n) || n < 0 || n >= args.length)
      throw new ValueError(
        `taylorDerivative: argnums ${argnum} is out of range for a call with ${args.length} argument(s)`,
      );
    const x = args[n];
    if (isLeaf(x) && toTensor(x).aval.shape.length !== 0)
      throw new ShapeError(
        `taylorDerivative: argument ${n} must be a scalar, got shape ${fmtShape(toTensor(x).aval.shape)}; ` +
          "use nb.derivative for the derivative tensor, or nb.elementwiseDerivatives",
      );
    if (k === 0) return f(...args);
    const g = (v: T) => f(...args.map((a, i) => (i === n ? v : a)));
    const { def, ts } = alongOnes("taylorDerivative", g, x, k, [k]);
    return unflatten(
      def,
      ts.map((t) => t[k - 1]!),
    );
  };
}

/** Whether argument `argnums` of a call is a float scalar, so that `taylorDerivative` applies (nb.derivative). */
export function isScalarArgument(args: readonly unknown[], argnums: unknown): boolean {
  if (typeof argnums !== "number" || !Number.isInteger(argnums)) return false;
  const a = args[argnums < 0 ? argnums + args.length : argnums];
  if (typeof a === "number") return true;
  return a instanceof Tensor && a.aval.shape.length === 0 && isFloat(a.aval.dtype);
}
