// Loops as primitives (nb.lax): scan and foriLoop trace the body once to a program and bind the scan
// primitive, so a long recurrence is one equation under jit, vmap, grad and jet; whileLoop binds the while
// primitive, whose trip count is decided on data (forward mode and batching only).
import { functionArg, intArg, optionsArg } from "../core/args.js";
import { toTensor } from "../core/convert.js";
import { DTypeError, PytreeError, ShapeError, ValueError } from "../core/errors.js";
import { Program } from "../core/program.js";
import { flatten, type TreeDef, treeString, treesEqual, unflatten } from "../core/pytree.js";
import { type Aval, avalString, ConcreteTensor, type Tensor } from "../core/tensor.js";
import { checkpoint } from "../interpret/custom.js";
import { stageFlat } from "../interpret/stage.js";
import { sameAval } from "../primitives/control.js";
import * as lax from "../primitives/lax.js";
import { scan as bindScan, whileLoop as bindWhile } from "../primitives/loops.js";
import type { TensorTree } from "../transforms/api-types.js";
import { describeValue, type TensorLike } from "./util.js";

// biome-ignore lint/suspicious/noExplicitAny: loop bodies are functions of any pytree signature
type AnyFn = (...args: any[]) => any;

/** The path of each leaf of a carry, as code would write it (`carry[1].h`), for error messages. */
function leafPaths(def: TreeDef, prefix = "carry"): string[] {
  if (def.kind === "leaf") return [prefix];
  if (def.kind === "none") return [];
  if (def.kind === "array") return def.children.flatMap((c, i) => leafPaths(c, `${prefix}[${i}]`));
  return def.children.flatMap((c, i) => leafPaths(c, `${prefix}.${def.keys[i]}`));
}

/** A staged program whose closed-over traced values (of an outer transformation) become leading inputs. */
function closed(p: Program): { program: Program; extras: Tensor[] } {
  const extras = p.constValues.filter((c) => !(c instanceof ConcreteTensor));
  if (extras.length === 0) return { program: p, extras };
  const keep = p.constValues.map((c) => c instanceof ConcreteTensor);
  return {
    program: new Program(
      p.constVars.filter((_, i) => keep[i]),
      p.constValues.filter((_, i) => keep[i]),
      [...p.constVars.filter((_, i) => !keep[i]), ...p.inVars],
      p.eqns,
      p.outs,
    ),
    extras,
  };
}

/**
 * Stages `fn` on the carry (and the step's other inputs), checking that the carry it returns has the same
 * structure, shapes and dtypes. A weakly typed carry leaf (a JS number) takes the dtype the body gives it.
 */
function traceCarry(
  op: string,
  carry: Tensor[],
  carryDef: TreeDef,
  otherAvals: readonly Aval[],
  stage: (avals: Aval[]) => { program: Program; carryOut: TreeDef },
): { program: Program; carry: Tensor[] } {
  const paths = leafPaths(carryDef);
  for (let attempt = 0; ; attempt++) {
    const { program, carryOut } = stage([...carry.map((c) => c.aval), ...otherAvals]);
    if (!treesEqual(carryOut, carryDef))
      throw new PytreeError(
        `${op}: the body returns a carry of structure ${treeString(carryOut)} but the initial carry is ${treeString(carryDef)}; the carry must keep its structure`,
      );
    let retry = false;
    const next = carry.map((c, i) => {
      const out = program.outs[i]!.aval;
      if (sameAval(out, c.aval)) return c;
      if (
        attempt === 0 &&
        c.aval.weak &&
        out.dtype !== c.aval.dtype &&
        out.shape.length === c.aval.shape.length
      ) {
        retry = true;
        return lax.convert(c, out.dtype, out.weak);
      }
      throw new (out.dtype === c.aval.dtype ? ShapeError : DTypeError)(
        `${op}: the carry leaf ${paths[i]} is ${avalString(c.aval)} initially but the body returns ${avalString(out)}; the carry must keep its shape and dtype`,
      );
    });
    if (!retry) return { program, carry };
    carry = next;
  }
}

/**
 * What a loop body may return for a carry shaped like `C`: tensors or numbers where `C` has leaves (a
 * number is converted), the same arrays and objects.
 */
export type CarryOf<C> = unknown extends C
  ? C
  : C extends Tensor | number
    ? Tensor | number
    : C extends null | undefined
      ? C
      : C extends object
        ? { readonly [K in keyof C]: CarryOf<C[K]> }
        : never;

/** Options of {@link scan}. */
export interface ScanOptions {
  /** The number of steps; needed when there are no xs, else it must match their leading axis. */
  length?: number;
  /** Walk the xs from last to first (the ys keep the xs' order). */
  reverse?: boolean;
  /**
   * Steps per iteration of the loop (JAX's `unroll`): the body is traced this many times in a row, which
   * saves per-step overhead for small bodies; `true` unrolls the whole loop. Default 1.
   */
  unroll?: number | boolean;
  /**
   * What reverse mode keeps between the forward and the backward pass:
   * - `"none"` (default): every step's residuals (fastest, memory O(T · residuals));
   * - `"steps"`: each step's carry and x only, the step recomputed in the backward pass (a scan of
   *   `nb.checkpoint(f)`);
   * - `"sqrt"`: the carry every ⌈√T⌉ steps, each segment recomputed in the backward pass (memory
   *   O(√T · residuals), about one extra forward pass);
   * - a number K: segments of K steps, as `"sqrt"` does.
   */
  checkpoint?: "none" | "steps" | "sqrt" | number;
}

const SCAN_OPTIONS = ["length", "reverse", "unroll", "checkpoint"] as const;

/**
 * Loops `f(carry, x) → [carry, y]` over the leading axis of `xs`, returning `[finalCarry, ys]` with the ys
 * stacked on a new leading axis (JAX's `lax.scan`). The body is traced once, so a long recurrence is one
 * equation: grad runs a reverse scan over the stored per-step values, vmap batches the body, jit compiles
 * the body once. The carry must keep its structure, shapes and dtypes; carry, xs and ys are pytrees.
 * `checkpoint` chooses what reverse mode stores (every step, or segments recomputed in the backward pass:
 * `{ checkpoint: "sqrt" }` fits a 10,000-step recurrence in O(√T) memory). Types: the carry and x the body
 * receives are `init` and `xs` with tensors for their leaves; a body defined apart from the call returns its
 * pair `as const` (`return [h, y] as const`), since TypeScript types a bare array literal as an array.
 * @example
 * ```ts
 * const [total, partial] = nb.lax.scan((c: nb.Tensor, x: nb.Tensor) => {
 *   const s = nb.add(c, x);
 *   return [s, s];
 * }, nb.array(0), nb.array([1, 2, 3]));
 * // total = 6, partial = [1, 3, 6]
 * nb.grad((h: nb.Tensor) =>
 *   nb.lax.scan((c: nb.Tensor) => [nb.tanh(nb.mul(c, 2)), null], h, null, { length: 5 })[0],
 * )(nb.array(0.1));
 * ```
 */
export function scan<const C, const Y, const X = null>(
  f: (carry: NoInfer<TensorTree<C>>, x: NoInfer<TensorTree<X>>) => readonly [NoInfer<CarryOf<C>>, Y],
  init: C,
  xs?: X,
  options?: ScanOptions,
): [TensorTree<C>, TensorTree<Y>];
export function scan(f: AnyFn, init: unknown, xs?: unknown, options?: ScanOptions): [unknown, unknown] {
  functionArg("lax.scan", "f", f);
  const opts = optionsArg(
    "lax.scan",
    options,
    SCAN_OPTIONS,
    '{ length: 10, reverse: true, unroll: 4, checkpoint: "sqrt" }',
    "fourth",
  );
  const [xLeaves, xDef] = flatten(xs ?? null, "lax.scan xs");
  const xts = xLeaves.map((x) => toTensor(x));
  const length = opts.length ?? xts[0]?.aval.shape[0];
  if (length === undefined || !Number.isInteger(length) || length < 0)
    throw new ValueError(
      `lax.scan: ${opts.length === undefined ? "with no xs, give the number of steps as { length }" : `length must be a non-negative integer, got ${describeValue(opts.length)}`}`,
    );
  xts.forEach((x) => {
    if (x.aval.shape[0] !== length)
      throw new ShapeError(
        `lax.scan: every xs leaf must have a leading axis of length ${length}, got ${avalString(x.aval)}`,
      );
  });
  const reverse = opts.reverse === true;
  const unroll =
    opts.unroll === true
      ? Math.max(length, 1)
      : opts.unroll === false || opts.unroll === undefined
        ? 1
        : intArg("lax.scan", "unroll", opts.unroll, 1);
  const policy = opts.checkpoint ?? "none";
  let segment = 0;
  if (policy === "sqrt") segment = Math.ceil(Math.sqrt(length));
  else if (typeof policy === "number")
    segment = intArg("lax.scan", "checkpoint (a segment length)", policy, 1);
  else if (policy !== "none" && policy !== "steps")
    throw new ValueError(
      `lax.scan: checkpoint must be "none", "steps", "sqrt" or a segment length, got ${describeValue(policy)}`,
    );
  const body = policy === "steps" || segment === 1 ? checkpoint(f) : f;
  if (segment > 1 && segment < length) {
    // Segments of `segment` steps, each checkpointed: the outer scan stores one carry per segment.
    const inner = checkpoint((c: unknown, x: Tensor[]) =>
      unroll > 1
        ? blocked(f, c, x, xDef, segment, Math.min(unroll, segment), reverse)
        : scanFlat(f, c, x, xDef, segment, reverse),
    );
    return blocked(f, init, xts, xDef, length, segment, reverse, inner);
  }
  if (unroll > 1 && length > 1)
    return blocked(body, init, xts, xDef, length, Math.min(unroll, length), reverse);
  return scanFlat(body, init, xts, xDef, length, reverse);
}

/** Rows [from, to) of t along its leading axis. */
const rows = (t: Tensor, from: number, to: number): Tensor =>
  lax.slice(
    t,
    t.aval.shape.map((_, i) => (i === 0 ? from : 0)),
    t.aval.shape.map((d, i) => (i === 0 ? to : d)),
  );

/** The body's result, checked to be a pair [carry, y]. */
function callBody(f: AnyFn, c: unknown, x: unknown): [unknown, unknown] {
  const r = f(c, x);
  if (!Array.isArray(r) || r.length !== 2)
    throw new ValueError(`lax.scan: the body must return a pair [carry, y], got ${describeValue(r)}`);
  return [r[0], r[1]];
}

/** The leaves of a y pytree, as tensors, and its structure. */
function yLeaves(ys: unknown): [Tensor[], TreeDef] {
  const [leaves, def] = flatten(ys, "lax.scan y");
  return [leaves.map((l) => toTensor(l)), def];
}

/**
 * The scan of `f` over `length` steps taken `k` at a time: an outer scan over the ⌊length/k⌋ blocks whose
 * body runs k steps (`block`; by default k calls of f in a row), then a scan of the remaining steps. The ys
 * keep the xs' order: reversed, the blocks cover the last steps and are run first.
 */
function blocked(
  f: AnyFn,
  init: unknown,
  xs: Tensor[],
  xDef: TreeDef,
  length: number,
  k: number,
  reverse: boolean,
  block?: (c: unknown, x: Tensor[]) => [unknown, unknown],
): [unknown, unknown] {
  const nBlocks = Math.floor(length / k);
  const rest = length - nBlocks * k;
  const first = reverse ? rest : 0;
  const unrolled = (c: unknown, x: Tensor[]): [unknown, unknown] => {
    const ys: Tensor[][] = new Array(k);
    let yDef: TreeDef = { kind: "none", value: null };
    for (let j = 0; j < k; j++) {
      const i = reverse ? k - 1 - j : j;
      const xi = x.map((t) => lax.reshape(rows(t, i, i + 1), t.aval.shape.slice(1)));
      const r = callBody(f, c, unflatten(xDef, xi));
      c = r[0];
      [ys[i], yDef] = yLeaves(r[1]);
    }
    const stacked = ys[0]!.map((_, l) =>
      lax.concatenate(
        ys.map((y) => lax.reshape(y[l]!, [1, ...y[l]!.aval.shape])),
        0,
      ),
    );
    return [c, unflatten(yDef, stacked)];
  };
  const blockXs = xs.map((t) =>
    lax.reshape(rows(t, first, first + nBlocks * k), [nBlocks, k, ...t.aval.shape.slice(1)]),
  );
  const [afterBlocks, blockYs] = scanFlat(block ?? unrolled, init, blockXs, null, nBlocks, reverse);
  const [mainYs, yDef] = yLeaves(blockYs);
  let carry = afterBlocks;
  let restYs: Tensor[] = [];
  if (rest > 0) {
    const restXs = xs.map((t) => (reverse ? rows(t, 0, rest) : rows(t, nBlocks * k, length)));
    const [c, ys] = scanFlat(f, carry, restXs, xDef, rest, reverse);
    carry = c;
    restYs = yLeaves(ys)[0];
  }
  const ys = mainYs.map((y, i) => {
    const flat = lax.reshape(y, [nBlocks * k, ...y.aval.shape.slice(2)]);
    if (rest === 0) return flat;
    return lax.concatenate(reverse ? [restYs[i]!, flat] : [flat, restYs[i]!], 0);
  });
  return [carry, unflatten(yDef, ys)];
}

/**
 * The scan primitive applied to `f`: one step per iteration. The body gets the x pytree `xDef` rebuilt from
 * the rows of `xts`, or the rows as a flat list when `xDef` is null.
 */
function scanFlat(
  f: AnyFn,
  init: unknown,
  xts: Tensor[],
  xDef: TreeDef | null,
  length: number,
  reverse: boolean,
): [unknown, unknown] {
  const [initLeaves, carryDef] = flatten(init, "lax.scan init");
  const xAvals = xts.map((x) => ({ ...x.aval, shape: x.aval.shape.slice(1) }));
  const nK = initLeaves.length;
  let yDef: TreeDef = { kind: "none", value: null };
  const traced = traceCarry(
    "lax.scan",
    initLeaves.map((l) => toTensor(l)),
    carryDef,
    xAvals,
    (avals) => {
      let carryOut: TreeDef = carryDef;
      const p = stageFlat((...a) => {
        const xa = a.slice(nK);
        const r = callBody(f, unflatten(carryDef, a.slice(0, nK)), xDef === null ? xa : unflatten(xDef, xa));
        const [cs, cDef] = flatten(r[0], "lax.scan carry");
        const [ys, yd] = yLeaves(r[1]);
        carryOut = cDef;
        yDef = yd;
        return [...cs.map((o) => toTensor(o)), ...ys];
      }, avals);
      return { program: p, carryOut };
    },
  );
  const { program, extras } = closed(traced.program);
  const outs = bindScan(extras, traced.carry, xts, program, length, reverse);
  return [unflatten(carryDef, outs.slice(0, nK)), unflatten(yDef, outs.slice(nK))];
}

/**
 * `body(i, carry)` for i = lo, …, hi − 1 with static integer bounds, returning the final carry (JAX's
 * `fori_loop`): a scan over the index, so it is reverse-differentiable.
 * @example
 * ```ts
 * // x·2⁵ by doubling five times
 * nb.lax.foriLoop(0, 5, (_i: nb.Tensor, c: nb.Tensor) => nb.mul(c, 2), nb.array(3)); // 96
 * ```
 */
export function foriLoop<const C>(
  lo: number,
  hi: number,
  body: (i: Tensor, carry: NoInfer<TensorTree<C>>) => NoInfer<CarryOf<C>>,
  init: C,
): TensorTree<C>;
export function foriLoop(lo: number, hi: number, body: AnyFn, init: unknown): unknown {
  functionArg("lax.foriLoop", "body", body);
  if (!Number.isInteger(lo) || !Number.isInteger(hi))
    throw new ValueError(
      `lax.foriLoop: the bounds must be integers known when tracing, got ${describeValue(lo)} and ${describeValue(hi)}; use nb.lax.whileLoop for bounds computed from data`,
    );
  const n = Math.max(hi - lo, 0);
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) index[i] = lo + i;
  const xs = new ConcreteTensor(index, { shape: [n], dtype: "int32", weak: false });
  return scan((c: unknown, i: Tensor) => [body(i, c), null], init, xs)[0];
}

/**
 * Replaces `carry` by `body(carry)` while `cond(carry)` (a bool scalar) holds and returns it (JAX's
 * `while_loop`). The trip count is decided on data: under vmap every lane runs until all are done, a lane
 * that is done keeping its carry. Forward mode (jvp, jacfwd) works; reverse mode raises an error, since the
 * number of steps is not known ahead: use scan or foriLoop with static bounds there.
 * @example
 * ```ts
 * // the first power of two above 100
 * nb.lax.whileLoop((x: nb.Tensor) => nb.less(x, 100), (x: nb.Tensor) => nb.mul(x, 2), nb.array(1)); // 128
 * ```
 */
export function whileLoop<const C>(
  cond: (carry: NoInfer<TensorTree<C>>) => TensorLike,
  body: (carry: NoInfer<TensorTree<C>>) => NoInfer<CarryOf<C>>,
  init: C,
): TensorTree<C>;
export function whileLoop(cond: AnyFn, body: AnyFn, init: unknown): unknown {
  functionArg("lax.whileLoop", "cond", cond);
  functionArg("lax.whileLoop", "body", body);
  const [initLeaves, carryDef] = flatten(init, "lax.whileLoop init");
  const traced = traceCarry(
    "lax.whileLoop",
    initLeaves.map((l) => toTensor(l)),
    carryDef,
    [],
    (avals) => {
      let carryOut: TreeDef = carryDef;
      const p = stageFlat((...a) => {
        const [cs, cDef] = flatten(body(unflatten(carryDef, a)), "lax.whileLoop carry");
        carryOut = cDef;
        return cs.map((o) => toTensor(o));
      }, avals);
      return { program: p, carryOut };
    },
  );
  const carry = traced.carry;
  const test = closed(
    stageFlat(
      (...a) => {
        const r = toTensor(cond(unflatten(carryDef, a)));
        if (r.aval.dtype !== "bool" || r.aval.shape.length !== 0)
          throw new DTypeError(
            `lax.whileLoop: cond must return a bool scalar, got ${avalString(r.aval)}; compare first, e.g. nb.less(i, n)`,
          );
        return [r];
      },
      carry.map((c) => c.aval),
    ),
  );
  const step = closed(traced.program);
  return unflatten(carryDef, bindWhile(test.extras, step.extras, carry, test.program, step.program));
}
