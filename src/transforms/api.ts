// The user-facing transformations: pytree handling around the flat interpreters.

import { boolArg, functionArg, optionsArg } from "../core/args.js";
import { describeValue, toTensor } from "../core/convert.js";
import { isFloat } from "../core/dtype.js";
import { DTypeError, fmtShape, PytreeError, ShapeError, ValueError } from "../core/errors.js";
import type { Program } from "../core/program.js";
import {
  flatten,
  type Leaf,
  type Pytree,
  type TreeDef,
  treeString,
  treesEqual,
  unflatten,
} from "../core/pytree.js";
import { range } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { Tracer } from "../core/trace.js";
import { jvpFlat } from "../interpret/jvp.js";
import { linearizeFlat } from "../interpret/partial-eval.js";
import { stageFlat } from "../interpret/stage.js";
import { transposeProgram } from "../interpret/transpose.js";
import { vmapFlat } from "../interpret/vmap.js";
import * as lax from "../primitives/lax.js";
import type {
  AllArgsOf,
  AnyFn,
  Argnums,
  ArgsOf,
  AuxOf,
  Convertible,
  FnOf,
  GradAuxFn,
  GradFn,
  GradOf,
  ScalarLike,
  TangentTree,
  TensorTree,
  ValueAndGradAuxFn,
  ValueAndGradFn,
  ValueOf,
} from "./api-types.js";
import { isJitted, jit } from "./jit.js";

export type { TensorTree } from "./api-types.js";

/** A function whose argument is differentiated and whose result is `[scalar, aux]` (`hasAux: true`). */
export type AuxFn = FnOf<readonly [ScalarLike, unknown]>;

const leafToTensor = (l: Leaf): Tensor => toTensor(l);

/** Flattens a list of arguments into tensors, remembering the structure. */
/** @internal */
export function flattenArgs(args: readonly unknown[], where: string): [Tensor[], TreeDef] {
  const [leaves, def] = flatten(args as Pytree, where);
  return [leaves.map(leafToTensor), def];
}

/** Wraps `f` so it takes and returns flat lists of tensors; `out.def` receives the output structure. */
/** @internal */
export function flatFn(f: AnyFn, inDef: TreeDef, out: { def?: TreeDef }, where: string) {
  return (...xs: Tensor[]): Tensor[] => {
    const args = unflatten<unknown[]>(inDef, xs);
    const res = f(...args);
    const [leaves, def] = flatten(res, `${where} output`);
    out.def = def;
    return leaves.map(leafToTensor);
  };
}

/** Checks the type of an argnums option when the transformation is made (its range is checked per call). */
/** @internal */
export function argnumsArg(where: string, argnums: unknown): Argnums {
  if (argnums === undefined) return 0;
  const ok = (a: unknown) => typeof a === "number" && Number.isInteger(a);
  if (!(ok(argnums) || (Array.isArray(argnums) && argnums.every(ok))))
    throw new ValueError(
      `${where}: argnums must be an argument index or an array of them (e.g. { argnums: [0, 1] }), got ${describeValue(argnums)}`,
    );
  return argnums as Argnums;
}

/** Axes of vmap's inAxes / outAxes: an integer or null, or an array of them. */
function vmapAxesArg(name: "inAxes" | "outAxes", v: unknown): number | null | readonly (number | null)[] {
  if (v === undefined) return 0;
  const ok = (a: unknown) => a === null || (typeof a === "number" && Number.isInteger(a));
  if (!(ok(v) || (Array.isArray(v) && v.every(ok))))
    throw new ValueError(
      `vmap: ${name} must be an axis (an integer), null, or an array of them with one entry per ${name === "inAxes" ? "argument" : "output"} (e.g. { ${name}: [0, null] }), got ${describeValue(v)}`,
    );
  return v as number | null | readonly (number | null)[];
}

/** @internal */
export function normArgnums(where: string, argnums: Argnums, nargs: number): number[] {
  const list = typeof argnums === "number" ? [argnums] : [...argnums];
  for (const a of list)
    if (!Number.isInteger(a) || a < -nargs || a >= nargs)
      throw new ValueError(`${where}: argnums ${a} is out of range for a call with ${nargs} argument(s)`);
  return list.map((a) => (a < 0 ? a + nargs : a));
}

/** @internal */
export function checkFloatLeaves(
  where: string,
  leaves: readonly Tensor[],
  def: TreeDef,
  argnums: number[],
): void {
  leaves.forEach((l) => {
    if (!isFloat(l.aval.dtype))
      throw new DTypeError(
        `${where}: a differentiated input has dtype ${l.aval.dtype} (argnums ${argnums.join(",")}, structure ${treeString(def)}); ` +
          'derivatives need float inputs — convert it with nb.array(x, { dtype: "float32" }) or exclude it from argnums',
      );
  });
}

/**
 * Splits the call's arguments into the differentiated ones (flattened) and a function of those alone.
 */
/** @internal */
export function selectArgs(where: string, f: AnyFn, args: unknown[], argnums: Argnums) {
  const nums = normArgnums(where, argnums, args.length);
  const chosen = nums.map((i) => args[i]);
  const [leaves, def] = flattenArgs(typeof argnums === "number" ? [chosen[0]] : [chosen], where);
  checkFloatLeaves(where, leaves, def, nums);
  const outInfo: { def?: TreeDef } = {};
  const fFlat = (...xs: Tensor[]): Tensor[] => {
    const tree = unflatten<unknown[]>(def, xs);
    const picked = typeof argnums === "number" ? [tree[0]] : (tree[0] as unknown[]);
    const full = args.slice();
    nums.forEach((n, i) => {
      full[n] = picked[i];
    });
    const [outLeaves, outDef] = flatten(f(...full), `${where} output`);
    outInfo.def = outDef;
    return outLeaves.map(leafToTensor);
  };
  // The structure of the differentiated arguments, as results are returned in.
  const argDef = (def as { children: TreeDef[] }).children[0]!;
  return { leaves, argDef, fFlat, outInfo };
}

/**
 * Forward mode: the outputs of `f` at `primals` and their directional derivatives along `tangents`.
 * @example
 * ```ts
 * const [y, dy] = nb.jvp(nb.sin, [0], [1]); // y = 0, dy = cos 0 = 1
 * ```
 */
export function jvp<F extends AnyFn, const Args extends Readonly<AllArgsOf<Parameters<F>>>>(
  f: F,
  primals: Args,
  tangents: TangentTree<Args>,
): [TensorTree<ReturnType<F>>, TensorTree<ReturnType<F>>];
export function jvp(f: AnyFn, primals: readonly unknown[], tangents: readonly unknown[]): [unknown, unknown] {
  functionArg("jvp", "the first argument", f);
  if (!Array.isArray(primals) || !Array.isArray(tangents))
    throw new PytreeError("jvp: primals and tangents must be arrays of arguments, e.g. jvp(f, [x], [dx])");
  return jvpAs<unknown>("jvp", f, primals, tangents);
}

/** jvp with its errors naming `where` (the public function that uses it). */
/** @internal */
export function jvpAs<R>(
  where: string,
  f: AnyFn,
  primals: readonly unknown[],
  tangents: readonly unknown[],
): [R, R] {
  const [xs, def] = flattenArgs(primals, `${where} primals`);
  const [ts0, tdef] = flatten(tangents as Pytree, `${where} tangents`);
  if (!treesEqual(def, tdef))
    throw new PytreeError(
      `${where}: primals have structure ${treeString(def)} but tangents have ${treeString(tdef)}`,
    );
  const ts = ts0.map((t, i) => {
    const tt = toTensor(t, xs[i]!.aval.dtype, where);
    if (tt.aval.shape.join() !== xs[i]!.aval.shape.join())
      throw new ShapeError(
        `${where}: tangent ${i} has shape ${fmtShape(tt.aval.shape)} but its primal has ${fmtShape(xs[i]!.aval.shape)}`,
      );
    return lax.convert(tt, xs[i]!.aval.dtype, xs[i]!.aval.weak);
  });
  const out: { def?: TreeDef } = {};
  const [ys, dys] = jvpFlat(flatFn(f, def, out, where), xs, ts);
  return [
    unflatten<R>(out.def!, ys),
    unflatten<R>(
      out.def!,
      dys.map((d, i) => d ?? lax.zerosLike(ys[i]!)),
    ),
  ];
}

/**
 * Reverse mode: the outputs of `f` at `primals` and a pullback mapping an output cotangent to one
 * cotangent per primal.
 * @example
 * ```ts
 * const [y, pullback] = nb.vjp((x) => nb.mul(x, x), 3);
 * const [dx] = pullback(1); // 6
 * ```
 */
export function vjp<F extends AnyFn, Args extends AllArgsOf<Parameters<F>>>(
  f: F,
  ...primals: Args
): [TensorTree<ReturnType<F>>, (ct: TangentTree<ReturnType<F>>) => TensorTree<Args>];
export function vjp(f: AnyFn, ...primals: unknown[]): [unknown, (ct: unknown) => Pytree[]] {
  functionArg("vjp", "the first argument", f);
  const [xs, def] = flattenArgs(primals, "vjp primals");
  checkFloatLeaves("vjp", xs, def, range(primals.length));
  const out: { def?: TreeDef } = {};
  const [ys, program] = linearizeFlat(flatFn(f, def, out, "vjp"), xs);
  const outDef = out.def!;
  const pullback = (ct: unknown): Pytree[] => {
    const [cts, ctDef] = flatten(ct as Pytree, "vjp cotangent");
    if (!treesEqual(ctDef, outDef))
      throw new PytreeError(
        `vjp: the cotangent has structure ${treeString(ctDef)} but the output has ${treeString(outDef)}`,
      );
    const ctTensors = cts.map((c, i) => {
      const y = ys[i]!;
      const t = lax.convert(toTensor(c, y.aval.dtype, "vjp"), y.aval.dtype, y.aval.weak);
      if (t.aval.shape.join() !== y.aval.shape.join())
        throw new ShapeError(
          `vjp: cotangent ${i} has shape ${fmtShape(t.aval.shape)} but output ${i} has shape ${fmtShape(y.aval.shape)}; they must match`,
        );
      return t;
    });
    return unflatten<Pytree[]>(def, transposeProgram(program, ctTensors));
  };
  return [unflatten(outDef, ys), pullback];
}

/**
 * The outputs of `f` at `primals` and its linearization there: a function from input tangents to output
 * tangents that reuses the work already done.
 * @example
 * ```ts
 * const [y, fLin] = nb.linearize(nb.exp, 0);
 * fLin(2); // 2 · e⁰ = 2
 * ```
 */
export function linearize<F extends AnyFn, Args extends AllArgsOf<Parameters<F>>>(
  f: F,
  ...primals: Args
): [
  TensorTree<ReturnType<F>>,
  (...tangents: Extract<TangentTree<Args>, readonly unknown[]>) => TensorTree<ReturnType<F>>,
];
export function linearize(f: AnyFn, ...primals: unknown[]): [unknown, (...tangents: unknown[]) => unknown] {
  functionArg("linearize", "the first argument", f);
  const [xs, def] = flattenArgs(primals, "linearize primals");
  checkFloatLeaves("linearize", xs, def, range(primals.length));
  const out: { def?: TreeDef } = {};
  const [ys, program] = linearizeFlat(flatFn(f, def, out, "linearize"), xs);
  const outDef = out.def!;
  const fLin = (...tangents: unknown[]): unknown => {
    const [ts, tdef] = flatten(tangents as Pytree, "linearize tangents");
    if (!treesEqual(tdef, def))
      throw new PytreeError(
        `linearize: tangents have structure ${treeString(tdef)} but primals have ${treeString(def)}`,
      );
    const tangentsIn = ts.map((t, i) => {
      const x = xs[i]!;
      const tt = lax.convert(toTensor(t, x.aval.dtype, "linearize"), x.aval.dtype, x.aval.weak);
      if (tt.aval.shape.join() !== x.aval.shape.join())
        throw new ShapeError(
          `linearize: tangent ${i} has shape ${fmtShape(tt.aval.shape)} but its primal has ${fmtShape(x.aval.shape)}`,
        );
      return tt;
    });
    return unflatten(outDef, program.run(tangentsIn));
  };
  return [unflatten(outDef, ys), fLin];
}

export interface GradOptions<A extends Argnums = Argnums> {
  /** Which positional arguments to differentiate (default 0). A list returns a list of gradients. */
  argnums?: A;
  /** `f` returns `[value, aux]`; aux is passed through without being differentiated. */
  hasAux?: boolean;
}

/**
 * The value and gradient of a scalar function, in one pass.
 * @example
 * ```ts
 * const [loss, grads] = nb.valueAndGrad((p) => nb.sum(nb.square(p.w)))({ w: nb.array([1, 2]) });
 * // loss = 5, grads.w = [2, 4]
 * ```
 */
export function valueAndGrad<F extends AuxFn, const A extends Argnums = 0>(
  f: F,
  options: GradOptions<A> & { hasAux: true },
): ValueAndGradAuxFn<Parameters<F>, A, AuxOf<ReturnType<F>>>;
export function valueAndGrad<F extends FnOf<ScalarLike>, const A extends Argnums = 0>(
  f: F,
  options?: GradOptions<A> & { hasAux?: false },
): ValueAndGradFn<Parameters<F>, A>;
/** With `hasAux` known only at run time the value is `[value, aux]` or the value alone. */
export function valueAndGrad<
  F extends FnOf<ScalarLike | readonly [ScalarLike, unknown]>,
  const A extends Argnums = 0,
  H extends boolean = boolean,
>(
  f: F,
  options: GradOptions<A> & { hasAux?: H } & (boolean extends H ? unknown : never),
): (...args: ArgsOf<Parameters<F>, A>) => [ValueOf<ReturnType<F>>, GradOf<Parameters<F>, A>];
export function valueAndGrad(f: AnyFn, options?: GradOptions): AnyFn {
  return compiledWhenJitted("valueAndGrad", f, valueAndGradAs("valueAndGrad", f, options));
}

/**
 * The derivative `d` of `f`, compiled as one program when `f` is itself compiled (`grad(jit(f))` runs as
 * `jit(grad(f))`): called on values no transformation traces, the whole derivative computation runs from
 * its compiled program rather than through the eager transformations around a call of f's. Under another
 * transformation `d` itself runs, and sees f's call as a `jit_call`.
 */
function compiledWhenJitted(where: string, f: AnyFn, d: AnyFn): AnyFn {
  if (!isJitted(f)) return d;
  Object.defineProperty(d, "name", { value: `${where}(${f.name || "<anonymous>"})` });
  const compiled = jit(d);
  return (...args: unknown[]) => {
    const [leaves] = flatten(args, where);
    return leaves.some((l) => l instanceof Tracer) ? d(...args) : compiled(...args);
  };
}

const GRAD_KEYS = ["argnums", "hasAux"] as const;

/** valueAndGrad with its checks and errors naming `where` (grad, valueAndGrad, hvp). */
function valueAndGradAs(where: string, f: AnyFn, options: GradOptions | undefined) {
  functionArg(where, "the first argument", f);
  const o = optionsArg(where, options, GRAD_KEYS, `nb.${where}(f, { argnums: [0, 1] })`);
  const argnums = argnumsArg(where, o.argnums);
  const hasAux = boolArg(where, "hasAux", o.hasAux);
  // biome-ignore lint/suspicious/noExplicitAny: the result mirrors the caller's pytrees
  return (...args: unknown[]): [any, any] => {
    const inner: AnyFn = hasAux
      ? (...a: unknown[]) => {
          const r = f(...a);
          if (!Array.isArray(r) || r.length !== 2)
            throw new PytreeError(`${where}: with hasAux, the function must return [value, aux]`);
          return r;
        }
      : f;
    const { leaves, argDef, fFlat, outInfo } = selectArgs(where, inner, args, argnums);
    const checked = (...xs: Tensor[]): Tensor[] => {
      const outs = fFlat(...xs);
      const def = outInfo.def!;
      const valueDef = hasAux ? (def as { children: TreeDef[] }).children[0]! : def;
      if (valueDef.kind !== "leaf")
        throw new ShapeError(
          `${where}: the function must return a single scalar tensor, got structure ${treeString(valueDef)}; use nb.jacrev or nb.vjp for several outputs`,
        );
      const y = outs[0]!;
      if (y.aval.shape.length !== 0)
        throw new ShapeError(
          `${where}: the function must return a scalar, but returned shape ${fmtShape(y.aval.shape)}; ` +
            "reduce it (nb.sum, nb.mean) or use nb.jacrev / nb.vjp for non-scalar outputs",
        );
      if (!isFloat(y.aval.dtype))
        throw new DTypeError(
          `${where}: the function returned dtype ${y.aval.dtype}; it must return a float scalar`,
        );
      return outs;
    };
    const [outs, program] = linearizeFlat(checked, leaves, 1);
    const y = outs[0]!;
    const cts = transposeProgram(program, [lax.scalarLike(y, 1)]);
    const grads = unflatten(argDef, cts);
    if (!hasAux) return [y, grads];
    const auxDef = (outInfo.def as { children: TreeDef[] }).children[1]!;
    return [[y, unflatten(auxDef, outs.slice(1))], grads];
  };
}

/**
 * The gradient of a scalar function of pytrees of tensors.
 * @example
 * ```ts
 * const df = nb.grad((x) => nb.sum(nb.sin(x)));
 * df(nb.array([0, Math.PI])); // [1, -1]
 * nb.grad(nb.grad(nb.grad((x) => x.mul(x).mul(x))))(2); // 6
 * ```
 */
export function grad<F extends AuxFn, const A extends Argnums = 0>(
  f: F,
  options: GradOptions<A> & { hasAux: true },
): GradAuxFn<Parameters<F>, A, AuxOf<ReturnType<F>>>;
export function grad<F extends FnOf<ScalarLike>, const A extends Argnums = 0>(
  f: F,
  options?: GradOptions<A> & { hasAux?: false },
): GradFn<Parameters<F>, A>;
/** With `hasAux` known only at run time the result is `[grads, aux]` or the gradients alone. */
export function grad<
  F extends FnOf<ScalarLike | readonly [ScalarLike, unknown]>,
  const A extends Argnums = 0,
  H extends boolean = boolean,
>(
  f: F,
  options: GradOptions<A> & { hasAux?: H } & (boolean extends H ? unknown : never),
): GradFn<Parameters<F>, A> | GradAuxFn<Parameters<F>, A, AuxOf<ReturnType<F>>>;
export function grad(f: AnyFn, options?: GradOptions): AnyFn {
  return compiledWhenJitted("grad", f, gradAs("grad", f, options));
}

function gradAs(where: string, f: AnyFn, options: GradOptions | undefined) {
  const vg = valueAndGradAs(where, f, options);
  const hasAux = options?.hasAux === true;
  // biome-ignore lint/suspicious/noExplicitAny: the result mirrors the caller's pytrees
  return (...args: unknown[]): any => {
    const [v, g] = vg(...args);
    return hasAux ? [g, v[1]] : g;
  };
}

export interface VmapOptions {
  /** Per argument: the mapped axis, or null for arguments shared by every batch member. Default 0. */
  inAxes?: number | null | readonly (number | null)[];
  /** Per output leaf (or one for all): where the batch axis goes. Default 0. */
  outAxes?: number | null | readonly (number | null)[];
}

/**
 * Vectorizes `f` over a batch axis of its arguments.
 * @example
 * ```ts
 * nb.vmap((x) => nb.sum(x))(nb.array([[1, 2], [3, 4]])); // [3, 7]
 * // per-example gradients: w shared, examples xs[i], ys[i] mapped
 * const lossOne = (w, x, y) => nb.square(nb.sub(nb.dot(w, x), y));
 * const w = nb.ones([2]), xs = nb.array([[1, 2], [3, 4]]), ys = nb.array([1, 2]);
 * nb.vmap(nb.grad(lossOne), { inAxes: [null, 0, 0] })(w, xs, ys); // shape [2, 2]
 * ```
 */
export function vmap<F extends AnyFn>(
  f: F,
  options?: VmapOptions,
): (...args: AllArgsOf<Parameters<F>>) => TensorTree<ReturnType<F>>;
export function vmap(f: AnyFn, options?: VmapOptions): AnyFn {
  functionArg("vmap", "the first argument", f);
  const o = optionsArg("vmap", options, ["inAxes", "outAxes"], "nb.vmap(f, { inAxes: [0, null] })");
  return vmapAs("vmap", f, vmapAxesArg("inAxes", o.inAxes), vmapAxesArg("outAxes", o.outAxes));
}

/** vmap with checked axes, its errors naming `where`. */
/** @internal */
export function vmapAs(
  where: string,
  f: AnyFn,
  inAxes: number | null | readonly (number | null)[],
  outAxes: number | null | readonly (number | null)[],
) {
  // biome-ignore lint/suspicious/noExplicitAny: the result mirrors the caller's pytrees
  return (...args: unknown[]): any => {
    if (Array.isArray(inAxes) && inAxes.length !== args.length)
      throw new PytreeError(
        `${where}: inAxes has ${inAxes.length} entries but the function got ${args.length} arguments`,
      );
    const [xs, def] = flattenArgs(args, where);
    const perArg = args.map((a, i) => {
      const ax = Array.isArray(inAxes) ? inAxes[i] : inAxes;
      const n = flatten(a as Pytree)[0].length;
      return new Array<number | null>(n).fill(ax as number | null);
    });
    const dims = perArg.flat().map((d, i) => {
      if (d === null) return null;
      const nd = xs[i]!.aval.shape.length;
      if (nd === 0)
        throw new ValueError(
          `${where}: input ${i} is a scalar; it has no axis ${d} to map over (use inAxes null for it)`,
        );
      if (d < -nd || d >= nd)
        throw new ValueError(
          `${where}: inAxes ${d} is out of range for input ${i} of shape ${fmtShape(xs[i]!.aval.shape)}`,
        );
      return d < 0 ? d + nd : d;
    });
    const out: { def?: TreeDef } = {};
    const fFlat = flatFn(f, def, out, where);
    const ys = vmapFlat(fFlat, dims, outAxes, xs);
    return unflatten(out.def!, ys);
  };
}

/**
 * Stages `f` into a program (like jax.make_jaxpr); `String(program)` prints it.
 * @example
 * ```ts
 * console.log(String(nb.makeProgram((x) => nb.sin(nb.mul(x, 2)))(1.0)));
 * // { lambda a:f64[]. let
 * //     b:f64[] = mul a 2.0
 * //     c:f64[] = sin b
 * //   in ( c ) }
 * ```
 */
export function makeProgram(f: AnyFn) {
  functionArg("makeProgram", "the first argument", f);
  return (...args: unknown[]): Program => {
    const [xs, def] = flattenArgs(args, "makeProgram");
    const out: { def?: TreeDef } = {};
    return stageFlat(
      flatFn(f, def, out, "makeProgram"),
      xs.map((x) => x.aval),
    );
  };
}

/**
 * Stops derivatives: the value passes through, its derivative is zero. Works on pytrees.
 * @example
 * ```ts
 * nb.grad((x) => nb.mul(x, nb.stopGradient(x)))(3); // 3, not 6
 * ```
 */
export function stopGradient<T>(tree: T): T {
  const [leaves, def] = flatten(tree as Pytree, "stopGradient");
  return unflatten<T>(
    def,
    leaves.map((l) => lax.stopGradient(toTensor(l))),
  );
}

/**
 * Hessian-vector product H·v of a scalar function at x, by forward-over-reverse (H is never formed).
 * @example
 * ```ts
 * nb.hvp((x) => nb.sum(nb.pow(x, 3)), nb.array([1, 2]), nb.array([1, 0])); // [6, 0]
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: the one argument's type is read from f
export function hvp<F extends (x: any) => ScalarLike, X extends Convertible<Parameters<F>[0]>>(
  f: F,
  x: X,
  v: TangentTree<X>,
): TensorTree<X>;
export function hvp(f: AnyFn, x: unknown, v: unknown): unknown {
  const where = "hvp";
  functionArg(where, "the first argument", f);
  const [xs, xdef] = flattenArgs([x], `${where} x`);
  const [vs, vdef] = flattenArgs([v], `${where} v`);
  if (!treesEqual(xdef, vdef))
    throw new PytreeError(
      `${where}: x has structure ${treeString(xdef)} but the vector v has ${treeString(vdef)}; they must match`,
    );
  vs.forEach((t, i) => {
    if (t.aval.shape.join() !== xs[i]!.aval.shape.join())
      throw new ShapeError(
        `${where}: the vector v has shape ${fmtShape(t.aval.shape)} but x has ${fmtShape(xs[i]!.aval.shape)}; they must match`,
      );
  });
  return jvpAs<unknown>(where, gradAs(where, f, undefined), [x], [v])[1];
}
