// The common training step as one call: gradients, optimizer update, new params, and checks that the loss
// is finite and that the update writes no NaN or ±Infinity into the params.
import { toTensor } from "../core/convert.js";
import { NablaError, ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { add, astype, mul } from "../ops/elementwise.js";
import { sum } from "../ops/reduce.js";
import { valueAndGrad } from "../transforms/api.js";
import { applyUpdates, type GradientTransformation, type OptState } from "./transform.js";
import { leafPaths, leavesOf, type Tree } from "./tree.js";

/**
 * A loss became NaN or ±Infinity during training. `step` is the 0-based optimizer step at which it
 * appeared (`epoch` and `batch` too when it came from `nn.fit`); the update of that step was not applied.
 * @example
 * ```ts
 * try {
 *   nb.optim.step(nb.optim.sgd({ learningRate: 1 }), (p: { w: nb.Tensor }) => nb.log(nb.sum(p.w)))(
 *     { w: nb.array([-1]) },
 *     null,
 *   );
 * } catch (e) {
 *   e instanceof nb.optim.NonFiniteLossError; // true: "the loss is NaN at step 0 …"
 * }
 * ```
 */
export class NonFiniteLossError extends NablaError {
  override name = "NonFiniteLossError";
  constructor(
    message: string,
    readonly step: number,
    readonly value: number,
    readonly epoch?: number,
    readonly batch?: number,
  ) {
    super(message);
  }
}

/**
 * A step would have written NaN or ±Infinity into the parameters although the loss was finite: the
 * gradients (or the optimizer's updates) of the leaves in `paths` are not finite. The update was not
 * applied. It is a {@link NonFiniteLossError} (with `value`, the finite loss), so code that handles a
 * diverged loss handles this too. `nb.config.debugNans = true` names the operation that made the NaN.
 * @example
 * ```ts
 * const loss = (p: { w: nb.Tensor }) => nb.sum(nb.sqrt(nb.abs(p.w))); // d/dw √|w| at 0 is not finite
 * try {
 *   nb.optim.step(nb.optim.sgd({ learningRate: 0.1 }), loss)({ w: nb.array([0, 1]) }, null);
 * } catch (e) {
 *   e instanceof nb.optim.NonFiniteLossError; // true: a NonFiniteUpdateError
 *   (e as { paths: string[] }).paths; // ["w"]: "optim.step: step 0 would write NaN or ±Infinity into w …"
 * }
 * ```
 */
export class NonFiniteUpdateError extends NonFiniteLossError {
  override name = "NonFiniteUpdateError";
  constructor(
    message: string,
    step: number,
    loss: number,
    /** The parameter leaves (paths like "layers.0.w") the update would have made non-finite. */
    readonly paths: readonly string[],
    /** Those of them whose gradient is itself not finite. */
    readonly gradientPaths: readonly string[],
    epoch?: number,
    batch?: number,
  ) {
    super(message, step, loss, epoch, batch);
  }
}

/**
 * A scalar that is 0 when every float leaf of `tree` is finite and NaN otherwise (x·0 is NaN exactly for
 * NaN and ±Infinity). Under jit it fuses into the loops that compute the leaves.
 */
export function finiteFlag(tree: unknown): Tensor {
  let flag: Tensor | undefined;
  for (const l of leavesOf(tree, "optim.step")[0]) {
    if (l.dtype !== "float32" && l.dtype !== "float64") continue;
    const s = sum(mul(l, 0));
    flag = flag === undefined ? s : add(flag, astype(s, flag.dtype));
  }
  return flag ?? toTensor(0);
}

/** Whether concrete float data holds NaN or ±Infinity. */
const nonFinite = (t: Tensor): boolean => {
  if (t.dtype !== "float32" && t.dtype !== "float64") return false;
  const d = t.concrete().data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i]!)) return true;
  return false;
};

/**
 * The error for an update that made parameter leaves non-finite (leaves already non-finite before the
 * step are not counted), or null when there are none. `where` names the step for the message.
 */
export function nonFiniteUpdate(
  where: string,
  step: number,
  loss: number,
  params: unknown,
  newParams: unknown,
  grads: unknown,
  position?: { epoch: number; batch: number; text: string },
): NonFiniteUpdateError | null {
  const paths = leafPaths(params);
  const [before] = leavesOf(params, where);
  const [after] = leavesOf(newParams, where);
  const [g] = leavesOf(grads, where);
  const bad: string[] = [];
  const badGrad: string[] = [];
  after.forEach((p, i) => {
    if (!nonFinite(p) || nonFinite(before[i]!)) return;
    const path = paths[i] ?? String(i);
    bad.push(path);
    if (g[i] !== undefined && nonFinite(g[i]!)) badGrad.push(path);
  });
  if (bad.length === 0) return null;
  const list = (xs: string[]) =>
    xs.length > 5 ? `${xs.slice(0, 5).join(", ")} and ${xs.length - 5} more` : xs.join(", ");
  const cause =
    badGrad.length === bad.length
      ? `their gradients are not finite`
      : badGrad.length > 0
        ? `the gradients of ${list(badGrad)} are not finite, the optimizer's updates of the others`
        : "the optimizer's updates are not finite (the gradients are)";
  return new NonFiniteUpdateError(
    `${where}: step ${step < 0 ? "?" : step}${position ? ` (${position.text})` : ""} would write NaN or ±Infinity into ` +
      `${list(bad)} while the loss was finite (${loss}): ${cause}. The update was not applied. ` +
      "Set nb.config.debugNans = true to find the operation that makes the NaN; lower the learning rate or clip " +
      "gradients (optim.clipByGlobalNorm)",
    step,
    loss,
    bad,
    badGrad,
    position?.epoch,
    position?.batch,
  );
}

/** What a step returns: the new params and optimizer state, the loss before the update, the gradients. */
export interface StepResult<P extends Tree> {
  params: P;
  state: OptState;
  loss: number;
  grads: P;
  /** The second value of a `hasAux` loss function. */
  aux?: unknown;
}

export interface StepOptions {
  /** The loss function returns `[loss, aux]`; aux comes back in the result. Default false. */
  hasAux?: boolean;
  /**
   * Throw {@link NonFiniteLossError} (without updating) when the loss is NaN or infinite, and
   * {@link NonFiniteUpdateError} when the update would make a parameter NaN or infinite. Default true.
   */
  checkFinite?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: the loss may take any extra arguments (batches, keys, ...)
type LossFn<P> = (params: P, ...args: any[]) => Tensor | [Tensor, unknown];

/**
 * Wraps an optimizer and a loss into one pure training step:
 * `(params, state, ...args) → { params, state, loss, grads }`. `state` may be `null` on the first call
 * (it is then initialized from the params). Non-finite losses throw, naming the step.
 * @example
 * ```ts
 * const x = nb.array([[0], [1], [2]]);
 * const y = nb.array([[1], [3], [5]]);
 * const loss = (p: { w: nb.Tensor; b: nb.Tensor }, x: nb.Tensor, y: nb.Tensor) =>
 *   nb.mean(nb.square(nb.sub(nb.add(nb.matmul(x, p.w), p.b), y)));
 * const train = nb.optim.step(nb.optim.adam({ learningRate: 0.1 }), loss);
 * let params = { w: nb.zeros([1, 1]), b: nb.zeros([1]) };
 * let state = null;
 * for (let i = 0; i < 200; i++) ({ params, state } = train(params, state, x, y));
 * ```
 */
export function step<P extends Tree>(
  optimizer: GradientTransformation,
  lossFn: LossFn<P>,
  options: StepOptions = {},
): (params: P, state: OptState | null | undefined, ...args: unknown[]) => StepResult<P> {
  const { hasAux = false, checkFinite = true } = options;
  const vg = valueAndGrad(lossFn, { hasAux });
  return (params, state, ...args) => {
    const s = state ?? optimizer.init(params);
    const [value, grads] = vg(params, ...args);
    const lossT = hasAux ? (value as [Tensor, unknown])[0] : (value as Tensor);
    if (lossT.size !== 1) throw new ValueError("optim.step: the loss function must return a scalar");
    const loss = lossT.item();
    const count = (s as { count?: Tensor } | null)?.count ?? (Array.isArray(s) ? findCount(s) : undefined);
    const n = count === undefined ? -1 : count.item();
    if (checkFinite && !Number.isFinite(loss))
      throw new NonFiniteLossError(
        `optim.step: the loss is ${loss} at step ${n < 0 ? "?" : n}; the update was not applied. ` +
          "Lower the learning rate, clip gradients (optim.clipByGlobalNorm) or look for NaN/Inf in the inputs",
        n,
        loss,
      );
    const [updates, next] = optimizer.update(grads as P, s, params);
    const newParams = applyUpdates(params, updates);
    if (checkFinite && finiteFlag(newParams).item() !== 0) {
      const e = nonFiniteUpdate("optim.step", n, loss, params, newParams, grads);
      if (e !== null) throw e;
    }
    const out: StepResult<P> = {
      params: newParams,
      state: next,
      loss,
      grads: grads as P,
    };
    if (hasAux) out.aux = (value as [Tensor, unknown])[1];
    return out;
  };
}

/** The first step counter inside a chain's list of states. */
function findCount(states: readonly unknown[]): Tensor | undefined {
  for (const s of states) {
    const c = (s as { count?: Tensor } | null)?.count;
    if (c !== undefined) return c;
  }
  return undefined;
}

/**
 * A small stateful helper around {@link step} for scripts and notebooks: it holds the params, the
 * optimizer state and the losses so far.
 * @example
 * ```ts
 * const loss = (p: { w: nb.Tensor }) => nb.sum(nb.square(nb.sub(p.w, 3)));
 * const trainer = new nb.optim.Trainer(nb.optim.sgd({ learningRate: 0.1 }), { w: nb.zeros([2]) }, loss);
 * for (let i = 0; i < 100; i++) trainer.step();
 * trainer.params.w.toArray(); // ≈ [3, 3]
 * trainer.losses.length;      // 100
 * ```
 */
export class Trainer<P extends Tree> {
  params: P;
  state: OptState;
  readonly losses: number[] = [];
  private readonly run: ReturnType<typeof step<P>>;

  constructor(
    readonly optimizer: GradientTransformation,
    params: P,
    lossFn: LossFn<P>,
    options: StepOptions = {},
  ) {
    this.params = params;
    this.state = optimizer.init(params);
    this.run = step(optimizer, lossFn, options);
  }

  /** One update with these extra loss arguments; returns the loss before the update. */
  step(...args: unknown[]): number {
    const r = this.run(this.params, this.state, ...args);
    this.params = r.params;
    this.state = r.state;
    this.losses.push(r.loss);
    return r.loss;
  }

  /** The number of updates made so far. */
  get steps(): number {
    return this.losses.length;
  }
}
