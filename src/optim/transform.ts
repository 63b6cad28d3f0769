// Gradient transformations (optax-style): the {init, update} contract, chain, applyUpdates and small building blocks.
import { ValueError } from "../core/errors.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import { array } from "../ops/creation.js";
import { add, astype, mul, neg } from "../ops/elementwise.js";
import { describeValue, functionArg, numberArg } from "../ops/util.js";
import { type LearningRate, learningRateArg, resolveRate } from "./schedules.js";
import { leafPaths, type Tree, zipMap } from "./tree.js";

/** An optimizer's state: a pytree of tensors (so it can be saved and restored like params). */
export type OptState = Tree;

/**
 * A pure gradient transformation: `init(params)` makes the state, `update(grads, state, params)` turns
 * gradients into updates (to add to params with {@link applyUpdates}) and returns the new state. Nothing
 * is mutated. Every optimizer and clipping rule is one, and {@link chain} composes them.
 * @example
 * ```ts
 * const opt: nb.optim.GradientTransformation = nb.optim.sgd({ learningRate: 0.1 });
 * let params = { w: nb.array([1, 2]) };
 * let state = opt.init(params);
 * const grads = nb.grad((p: typeof params) => nb.sum(nb.square(p.w)))(params);
 * const [updates, next] = opt.update(grads, state, params);
 * params = nb.optim.applyUpdates(params, updates); // w = [0.8, 1.6]
 * state = next;
 * ```
 */
export interface GradientTransformation {
  init(params: Tree): OptState;
  update<T extends Tree>(grads: T, state: OptState, params?: T): [T, OptState];
}

/** Builds a transformation from untyped init/update functions (the typed contract is the same). */
export function transformation(
  init: (params: Tree) => OptState,
  update: (grads: Tree, state: OptState, params?: Tree) => [Tree, OptState],
): GradientTransformation {
  return {
    init,
    update: <T extends Tree>(grads: T, state: OptState, params?: T) =>
      update(grads, state, params) as [T, OptState],
  };
}

/** A scalar int32 step counter, kept in optimizer states. */
export const counter = (n: number): Tensor => array(n, { dtype: "int32" });

/**
 * The step number held in a state's `count` leaf: a number when it is concrete, the scalar tensor itself
 * when the update runs under jit or vmap (then every step-dependent quantity is computed with tensors).
 */
export function readCount(where: string, state: OptState): number | Tensor {
  const c = typeof state === "object" && state !== null ? (state as { count?: unknown }).count : undefined;
  if (typeof c === "number" && Number.isInteger(c)) return c;
  if (!(c instanceof Tensor) || c.aval.shape.length !== 0)
    throw new ValueError(
      `${where}: the state has no step count (got ${describeValue(state)}); pass the state returned by init or update`,
    );
  return c instanceof ConcreteTensor ? c.item() : c;
}

/** The count after this step. */
export const nextCount = (n: number | Tensor): Tensor => (typeof n === "number" ? counter(n + 1) : add(n, 1));

/** −lr, for scaling a direction into an update. */
export const negated = (lr: number | Tensor): number | Tensor => (typeof lr === "number" ? -lr : neg(lr));

/** The learning rate at the state's step, for messages and schedules. */
export const rateAt = (lr: LearningRate, state: OptState, where: string): number | Tensor =>
  resolveRate(where, lr, readCount(where, state));

/**
 * `params + updates`, leaf by leaf, keeping each parameter's dtype. Pure: returns a new tree.
 * @example
 * ```ts
 * nb.optim.applyUpdates({ w: nb.array([1, 2]) }, { w: nb.array([0.5, -1]) }).w.toArray(); // [1.5, 1]
 * ```
 */
export function applyUpdates<T extends Tree>(params: T, updates: T): T {
  return zipMap<T>("applyUpdates", ["params", "updates"], [params, updates], (p, u) => {
    const r = add(p, u);
    return r.dtype === p.dtype ? r : astype(r, p.dtype);
  });
}

/**
 * Composes transformations left to right: each one's updates are the next one's gradients. The state is
 * the list of the inner states.
 * @example
 * ```ts
 * const opt = nb.optim.chain(nb.optim.clipByGlobalNorm(1), nb.optim.adam({ learningRate: 1e-3 }));
 * const state = opt.init({ w: nb.zeros([3]) }); // [clip state, adam state]
 * ```
 */
export function chain(...transforms: GradientTransformation[]): GradientTransformation {
  transforms.forEach((t, i) => {
    const ok =
      typeof t === "object" &&
      t !== null &&
      typeof (t as { init?: unknown }).init === "function" &&
      typeof (t as { update?: unknown }).update === "function";
    if (!ok)
      throw new ValueError(
        `chain: argument ${i} must be a gradient transformation ({ init, update }, e.g. nb.optim.adam(...)), got ${describeValue(t)}`,
      );
  });
  return transformation(
    (params) => transforms.map((t) => t.init(params)),
    (grads, state, params) => {
      if (!Array.isArray(state) || state.length !== transforms.length)
        throw new ValueError(
          `chain.update: expected the state from init (a list of ${transforms.length} states), got ${Array.isArray(state) ? `a list of ${state.length}` : typeof state}`,
        );
      const next: OptState[] = [];
      let u = grads;
      transforms.forEach((t, i) => {
        const [v, s] = t.update(u, state[i] as OptState, params);
        u = v;
        next.push(s);
      });
      return [u, next];
    },
  );
}

/**
 * Leaves gradients unchanged (a placeholder in a chain).
 * @example
 * ```ts
 * nb.optim.identity().update({ w: nb.array([1]) }, null)[0].w.toArray(); // [1]
 * ```
 */
export function identity(): GradientTransformation {
  return transformation(
    () => null,
    (grads, state) => [grads, state],
  );
}

/**
 * Multiplies gradients by a constant.
 * @example
 * ```ts
 * nb.optim.scale(-0.5).update({ w: nb.array([2]) }, null)[0].w.toArray(); // [-1]
 * ```
 */
export function scale(factor: number): GradientTransformation {
  numberArg("scale", "factor", factor);
  return transformation(
    () => null,
    (grads, state) => [zipMap("scale", ["grads"], [grads], (g) => mul(g, factor)), state],
  );
}

/**
 * Multiplies gradients by −learningRate (a number or a schedule of the step), turning a descent direction
 * into updates. The state counts steps.
 * @example
 * ```ts
 * const t = nb.optim.scaleByLearningRate(0.1);
 * t.update({ w: nb.array([2]) }, t.init({ w: nb.zeros([1]) }))[0].w.toArray(); // [-0.2]
 * ```
 */
export function scaleByLearningRate(learningRate: LearningRate): GradientTransformation {
  learningRateArg("scaleByLearningRate", learningRate);
  return transformation(
    () => ({ count: counter(0) }),
    (grads, state) => {
      const n = readCount("scaleByLearningRate.update", state);
      const lr = resolveRate("scaleByLearningRate", learningRate, n);
      const step = negated(lr);
      return [
        zipMap("scaleByLearningRate", ["grads"], [grads], (g) => mul(g, step)),
        { count: nextCount(n) },
      ];
    },
  );
}

/** Which leaves a decay or penalty applies to: a predicate of the leaf's dotted path and value. */
export type LeafFilter = (path: string, leaf: Tensor) => boolean;

/**
 * Adds `weightDecay · params` to the gradients (decoupled weight decay when followed by an optimizer's
 * scaling, as in AdamW). `mask` limits it to some leaves, e.g. `(path, w) => w.ndim > 1` skips biases.
 * @example
 * ```ts
 * const t = nb.optim.addDecayedWeights(0.1);
 * const p = { w: nb.array([10]) };
 * t.update({ w: nb.array([1]) }, t.init(p), p)[0].w.toArray(); // [2]
 * ```
 */
export function addDecayedWeights(weightDecay: number, mask?: LeafFilter): GradientTransformation {
  numberArg("addDecayedWeights", "weightDecay", weightDecay);
  if (mask !== undefined) functionArg("addDecayedWeights", "mask", mask);
  return transformation(
    () => null,
    (grads, state, params) => {
      if (params === undefined)
        throw new ValueError(
          "addDecayedWeights.update: weight decay needs the params: call update(grads, state, params)",
        );
      const paths = leafPaths(params);
      let i = 0;
      const u = zipMap("addDecayedWeights", ["grads", "params"], [grads, params], (g, p) => {
        const on = mask === undefined || mask(paths[i]!, p);
        i++;
        return on && weightDecay !== 0 ? add(g, mul(p, weightDecay)) : g;
      });
      return [u, state];
    },
  );
}
