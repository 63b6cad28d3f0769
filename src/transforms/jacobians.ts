// Jacobians, Hessians and derivative tensors of any order, built from the transformations of api.ts (vjp,
// jvp, vmap) and, for k-th derivatives, from the symmetric-tensor and Taylor-mode algorithms.
import { functionArg, optionsArg } from "../core/args.js";
import { checkTensorSize } from "../core/config.js";
import { describeValue } from "../core/convert.js";
import { isFloat } from "../core/dtype.js";
import { DTypeError, ValueError } from "../core/errors.js";
import { flatten, leafCount, type Pytree, type TreeDef, unflatten } from "../core/pytree.js";
import { range, sizeOf } from "../core/shape.js";
import type { Tensor } from "../core/tensor.js";
import { isScalarArgument, taylorDerivative } from "../interpret/jet.js";
import { jvpFlat } from "../interpret/jvp.js";
import { linearizeFlat } from "../interpret/partial-eval.js";
import { transposeProgram } from "../interpret/transpose.js";
import { vmapFlat } from "../interpret/vmap.js";
import * as lax from "../primitives/lax.js";
import {
  argnumsArg,
  checkFloatLeaves,
  flattenArgs,
  jvpAs,
  makeProgram,
  normArgnums,
  selectArgs,
  vmapAs,
} from "./api.js";
import type { AnyFn, Argnums, DerivativeFn, HessianFn, JacobianFn } from "./api-types.js";
import { cheapest, symmetricDerivative } from "./derivative-tensor.js";

/** One-hot basis of `n` vectors shaped like `aval`: shape [n, ...shape]. */
function basis(where: string, like: Tensor): Tensor {
  const n = sizeOf(like.aval.shape);
  checkTensorSize(where, [n, n], like.aval.dtype);
  const eye = lax.fullAval({ shape: [n, n], dtype: like.aval.dtype, weak: like.aval.weak }, 0);
  for (let i = 0; i < n; i++) eye.data[i * n + i] = 1;
  return lax.reshape(eye, [n, ...like.aval.shape]);
}

/** Assembles blocks[i][j] (output leaf i, input leaf j) into the output tree of input trees. */
function assemble(outDef: TreeDef, argDef: TreeDef, blocks: Tensor[][]) {
  return unflatten(
    outDef,
    blocks.map((row) => unflatten(argDef, row)),
  );
}

export interface JacOptions<A extends Argnums = Argnums> {
  /** Which positional arguments to differentiate (default 0). A list gives one Jacobian per argument. */
  argnums?: A;
}

/**
 * The Jacobian by reverse mode (one pullback per output element, batched with vmap): shape out ++ in.
 * @example
 * ```ts
 * nb.jacrev((x) => nb.mul(x, x))(nb.array([1, 2])); // [[2, 0], [0, 4]]
 * ```
 */
export function jacrev<F extends AnyFn, const A extends Argnums = 0>(
  f: F,
  options?: JacOptions<A>,
): JacobianFn<Parameters<F>, A, ReturnType<F>>;
export function jacrev(f: AnyFn, options?: JacOptions): AnyFn {
  return jacrevAs("jacrev", f, jacArgnums("jacrev", f, options));
}

/** The checked argnums of a Jacobian-like transformation `where` of `f`. */
function jacArgnums(where: string, f: AnyFn, options: JacOptions | undefined): Argnums {
  functionArg(where, "the first argument", f);
  const o = optionsArg(where, options, ["argnums"], `nb.${where}(f, { argnums: 1 })`);
  return argnumsArg(where, o.argnums);
}

/** jacrev with its errors naming `where` (jacrev, hessian, derivative). */
function jacrevAs(where: string, f: AnyFn, argnums: Argnums) {
  // biome-ignore lint/suspicious/noExplicitAny: the result mirrors the caller's pytrees
  return (...args: unknown[]): any => {
    const { leaves, argDef, fFlat, outInfo } = selectArgs(where, f, args, argnums);
    const [ys, program] = linearizeFlat(fFlat, leaves);
    const blocks = ys.map((y, i) => {
      if (!isFloat(y.aval.dtype))
        throw new DTypeError(
          `${where}: output ${i} has dtype ${y.aval.dtype}; only float outputs have derivatives`,
        );
      const cols = vmapFlat(
        (e) =>
          transposeProgram(
            program,
            ys.map((_, k) => (k === i ? e : null)),
          ),
        [0],
        0,
        [basis(where, y)],
      );
      return cols.map((c, j) => lax.reshape(c, [...y.aval.shape, ...leaves[j]!.aval.shape]));
    });
    return assemble(outInfo.def!, argDef, blocks);
  };
}

/**
 * The Jacobian by forward mode (one JVP per input element, batched with vmap): shape out ++ in.
 * @example
 * ```ts
 * nb.jacfwd((x) => nb.mul(x, x))(nb.array([1, 2])); // [[2, 0], [0, 4]]
 * ```
 */
export function jacfwd<F extends AnyFn, const A extends Argnums = 0>(
  f: F,
  options?: JacOptions<A>,
): JacobianFn<Parameters<F>, A, ReturnType<F>>;
export function jacfwd(f: AnyFn, options?: JacOptions): AnyFn {
  return jacfwdAs("jacfwd", f, jacArgnums("jacfwd", f, options));
}

/** jacfwd with its errors naming `where` (jacfwd, hessian, derivative). */
function jacfwdAs(where: string, f: AnyFn, argnums: Argnums) {
  // biome-ignore lint/suspicious/noExplicitAny: the result mirrors the caller's pytrees
  return (...args: unknown[]): any => {
    const { leaves, argDef, fFlat, outInfo } = selectArgs(where, f, args, argnums);
    const perInput = leaves.map((x, j) => {
      const run = (e: Tensor) => {
        const [outs, tans] = jvpFlat(
          fFlat,
          leaves,
          leaves.map((_, k) => (k === j ? e : null)),
        );
        return tans.map((t, i) => t ?? lax.zerosLike(outs[i]!));
      };
      const cols = vmapFlat(run, [0], 0, [basis(where, x)]);
      // cols[i]: [n, ...out shape] → [...out shape, ...in shape]
      return cols.map((c) => {
        const outShape = c.aval.shape.slice(1);
        return lax.reshape(lax.moveAxis(c, 0, outShape.length), [...outShape, ...x.aval.shape]);
      });
    });
    // Without inputs to differentiate, f has not run yet: run it once for the structure of its outputs.
    if (outInfo.def === undefined) fFlat();
    const nOut = perInput[0]?.length ?? leafCount(outInfo.def!);
    const blocks = range(nOut).map((i) => leaves.map((_, j) => perInput[j]![i]!));
    return assemble(outInfo.def!, argDef, blocks);
  };
}

/**
 * The Hessian: jacfwd of jacrev. For f: Rⁿ → R the result has shape [n, n].
 * @example
 * ```ts
 * nb.hessian((x) => nb.sum(nb.pow(x, 3)))(nb.array([1, 2])); // [[6, 0], [0, 12]]
 * ```
 */
export function hessian<F extends AnyFn, const A extends Argnums = 0>(
  f: F,
  options?: JacOptions<A>,
): HessianFn<Parameters<F>, A, ReturnType<F>>;
export function hessian(f: AnyFn, options?: JacOptions): AnyFn {
  const argnums = jacArgnums("hessian", f, options);
  return jacfwdAs("hessian", jacrevAs("hessian", f, argnums), argnums);
}

/** How `derivative` computes a derivative tensor. */
export type DerivativeMethod = "auto" | "reverse" | "forward" | "symmetric";

export interface DerivativeOptions<A extends Argnums = Argnums> extends JacOptions<A> {
  /**
   * "reverse": jacfwd of … of jacrev (forward over reverse, suits many inputs and few outputs);
   * "forward": jacfwd nested k times (suits few inputs and many outputs); "symmetric": only the distinct
   * entries of the symmetric tensor (sorted index tuples), then a gather fills the rest — fewer operations
   * from k = 4 or 5 on. "auto" (default) uses Taylor mode for one scalar argument and otherwise traces the
   * candidates once per argument signature and runs the one with the least arithmetic.
   */
  method?: DerivativeMethod;
}

const METHODS: readonly DerivativeMethod[] = ["auto", "reverse", "forward", "symmetric"];
/** The highest order of `derivative` (Taylor mode, for one scalar argument with method "auto"). */
const MAX_ORDER = 100;
/** The highest order computed by nested Jacobians, whose cost grows exponentially with the order. */
const MAX_NESTED_ORDER = 12;

/**
 * The k-th derivative tensor of `f` with respect to its first argument: shape out ++ in × k.
 * @example
 * ```ts
 * nb.derivative((x) => nb.pow(x, 4), 3)(2); // 24 · 2 = 48
 * // third-order tensor of f: R³ → R, shape [3, 3, 3]
 * nb.derivative((x) => nb.sum(nb.pow(x, 3)), 3)(nb.array([1, 2, 3]));
 * ```
 */
export function derivative<F extends AnyFn, const K extends number, const A extends Argnums = 0>(
  f: F,
  k: K,
  options?: DerivativeOptions<A>,
): DerivativeFn<Parameters<F>, A, ReturnType<F>, K>;
export function derivative(f: AnyFn, k: number, options?: DerivativeOptions): AnyFn {
  const where = "derivative";
  functionArg(where, "the first argument", f);
  if (typeof k !== "number" || !Number.isInteger(k) || k < 0 || k > MAX_ORDER)
    throw new ValueError(
      `derivative: order must be an integer from 0 to ${MAX_ORDER}, got ${describeValue(k)}`,
    );
  const o = optionsArg(
    where,
    options,
    ["argnums", "method"],
    'nb.derivative(f, 2, { method: "forward" })',
    "third",
  );
  const method = o.method ?? "auto";
  if (!METHODS.includes(method))
    throw new ValueError(
      `derivative: method must be one of ${METHODS.join(", ")}; got ${typeof method === "string" ? method : describeValue(method)}`,
    );
  const argnums = argnumsArg(where, o.argnums);
  if (method === "symmetric" && typeof argnums !== "number")
    throw new ValueError('derivative: method "symmetric" needs a single argument (argnums a number)');
  // Checked on every route (order 0, Taylor mode, nested Jacobians, symmetric rows) alike.
  const differentiated = (args: unknown[]): Tensor[] => {
    const nums = normArgnums(where, argnums, args.length);
    const [leaves, def] = flattenArgs(
      nums.map((i) => args[i]),
      where,
    );
    checkFloatLeaves(where, leaves, def, nums);
    return leaves;
  };
  if (k === 0)
    return (...args: unknown[]) => {
      differentiated(args);
      return f(...args);
    };
  const nest = (first: typeof jacrevAs) => {
    let g = first(where, f, argnums);
    for (let i = 1; i < k; i++) g = jacfwdAs(where, g, argnums);
    return g;
  };
  const candidates: AnyFn[] = [];
  if (method === "auto" || method === "reverse") candidates.push(nest(jacrevAs));
  if (method === "auto" || method === "forward") candidates.push(nest(jacfwdAs));
  // The symmetric rows need a single tensor argument; they cannot pay off below the third order.
  const named = {
    jacrev: (g: AnyFn, opts: { argnums: number }) => jacrevAs(where, g, opts.argnums),
    jvp: (g: AnyFn, p: readonly unknown[], t: readonly unknown[]) => jvpAs<unknown>(where, g, p, t),
    vmap: (g: AnyFn) => vmapAs(where, g, 0, 0),
    makeProgram,
  };
  const symmetric =
    typeof argnums === "number" && (method === "symmetric" || (method === "auto" && k >= 3))
      ? symmetricDerivative(f, k, argnums, named)
      : null;
  const pick = cheapest(candidates, makeProgram);
  const pickSymmetric = symmetric === null ? null : cheapest([...candidates, symmetric], makeProgram);
  // With respect to one scalar argument, Taylor mode gives the k-th derivative in O(k) to O(k²) operations
  // instead of the exponential growth of nested Jacobians.
  const byJet = method === "auto" && typeof argnums === "number" ? taylorDerivative(f, k, { argnums }) : null;
  return (...args: unknown[]) => {
    const leaves = differentiated(args);
    if (byJet !== null && isScalarArgument(args, argnums)) return byJet(...args);
    if (k > MAX_NESTED_ORDER)
      throw new ValueError(
        `derivative: order ${k} here needs nested Jacobians, whose cost grows exponentially with the order; ` +
          `they go up to order ${MAX_NESTED_ORDER}. Higher orders (up to ${MAX_ORDER}) are computed in Taylor mode, ` +
          'for one scalar argument with method "auto"',
      );
    // The result has (Σ input sizes)^k elements per output element: refuse before tracing anything.
    const n = leaves.reduce((s, l) => s + l.size, 0);
    checkTensorSize(where, new Array<number>(k).fill(n), leaves[0]?.aval.dtype ?? "float32");
    const single = pickSymmetric !== null && isSingleLeaf(args[argnums as number]);
    if (method === "symmetric" && !single)
      throw new ValueError(
        'derivative: method "symmetric" needs the differentiated argument to be one tensor, not a pytree',
      );
    return (single ? pickSymmetric! : pick)(args)(...args);
  };
}

/** Whether a value is one tensor (or a number or nested number array), not a pytree of several. */
function isSingleLeaf(x: unknown): boolean {
  try {
    return flatten(x as Pytree, "derivative")[0].length === 1;
  } catch {
    return false;
  }
}
