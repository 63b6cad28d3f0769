// Learning-rate schedules: plain functions of the step number, accepted wherever a learning rate is. Each
// built-in schedule also carries `traced`, the same formula in tensor operations, so an optimizer update
// can run under jit or vmap, where the step count is a traced tensor.
import { TraceError, ValueError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import {
  add,
  astype,
  cos,
  div,
  floor,
  less,
  maximum,
  minimum,
  mul,
  pow,
  sub,
  where,
} from "../ops/elementwise.js";
import { describeValue, numberArg, optionsArg } from "../ops/util.js";

/**
 * A learning rate as a function of the step (0 for the first update). `traced`, when present, computes the
 * same from a scalar float32 tensor step (the built-in schedules have it); a schedule without it still
 * works eagerly, and under jit it is called with the tensor and must return a number or a tensor.
 */
export type Schedule = ((step: number) => number) & {
  readonly traced?: (step: Tensor) => Tensor | number;
};

/** A schedule from its number formula and the same formula in tensor operations. */
function schedule(eager: (step: number) => number, traced: (step: Tensor) => Tensor | number): Schedule {
  return Object.assign(eager, { traced });
}

/** A constant learning rate or a {@link Schedule}. */
export type LearningRate = number | Schedule;

/**
 * The learning rate at `step`, checked to be a finite number; with a traced step (under jit or vmap) a
 * schedule gives a scalar tensor.
 */
export function resolveRate(where: string, lr: LearningRate, step: number): number;
export function resolveRate(where: string, lr: LearningRate, step: number | Tensor): number | Tensor;
export function resolveRate(where: string, lr: LearningRate, step: number | Tensor): number | Tensor {
  if (step instanceof Tensor) {
    if (typeof lr === "number") return resolveRate(where, lr, 0);
    const f = astype(step, "float32");
    if (lr.traced) return lr.traced(f);
    // A schedule written for numbers cannot use a traced step (converting it to a number throws), and one
    // returning a constant number would hide that: only a tensor result is trusted.
    let v: unknown;
    try {
      v = (lr as unknown as (s: Tensor) => unknown)(f);
    } catch (e) {
      if (!(e instanceof TraceError)) throw e;
      v = "no value (it used the step as a number)";
    }
    if (v instanceof Tensor) return v;
    throw new TraceError(
      `${where}: under jit or vmap the step count is a traced tensor, and the learning-rate schedule is a ` +
        `function of a number (it returned ${String(v)}); use a built-in schedule, write it with nabla ` +
        "operations (it receives a scalar tensor and returns one), or run the update outside jit",
    );
  }
  const r: unknown = typeof lr === "number" ? lr : lr(step);
  // A schedule written with nabla operations gives a one-element tensor.
  const v = r instanceof Tensor && r.size === 1 ? r.item() : r;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new ValueError(
      `${where}: the learning rate at step ${step} is ${String(v)}; it must be a finite number`,
    );
  return v;
}

/**
 * Checks a learning rate when an optimizer or schedule is made: a finite number or a function of the step
 * (a string, NaN or an object would otherwise fail only at the first update, in some other operation).
 */
export function learningRateArg(where: string, lr: unknown): LearningRate {
  if (typeof lr === "function") return lr as Schedule;
  if (typeof lr !== "number" || !Number.isFinite(lr))
    throw new ValueError(
      `${where}: learningRate must be a finite number or a schedule (a function of the step), got ${describeValue(lr)}`,
    );
  return lr;
}

function positiveInt(where: string, name: string, v: unknown): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
    throw new ValueError(`${where}: ${name} must be a positive integer, got ${describeValue(v)}`);
}

/** The options object of schedule `where` with the given required and optional keys, checked. */
function scheduleOptions<T extends object>(
  where: string,
  options: T,
  required: readonly string[],
  optional: readonly string[],
  usage: string,
): T {
  if (options === undefined) throw new ValueError(`${where}: expects an options object; write ${usage}`);
  const o = optionsArg(where, options, [...required, ...optional], usage, "first") as Record<string, unknown>;
  for (const k of required)
    if (o[k] === undefined) throw new ValueError(`${where}: the option ${k} is required; write ${usage}`);
  return options;
}

/** The numeric options among `names` (those given), checked to be finite numbers. */
function finiteOptions(where: string, o: object, names: readonly string[]): void {
  for (const k of names) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) numberArg(where, k, v);
  }
}

/**
 * The same value at every step.
 * @example
 * ```ts
 * nb.optim.constantSchedule(0.1)(1000); // 0.1
 * ```
 */
export function constantSchedule(value: number): Schedule {
  numberArg("constantSchedule", "value", value);
  return schedule(
    () => value,
    () => value,
  );
}

/**
 * Multiplies the rate by `gamma` every `stepSize` steps (PyTorch's StepLR): init · gamma^⌊step / stepSize⌋.
 * @example
 * ```ts
 * const lr = nb.optim.stepSchedule({ init: 0.1, stepSize: 10, gamma: 0.5 });
 * [lr(0), lr(9), lr(10), lr(25)]; // [0.1, 0.1, 0.05, 0.025]
 * ```
 */
export function stepSchedule(options: { init: number; stepSize: number; gamma?: number }): Schedule {
  const w = "stepSchedule";
  scheduleOptions(
    w,
    options,
    ["init", "stepSize"],
    ["gamma"],
    "nb.optim.stepSchedule({ init: 0.1, stepSize: 10 })",
  );
  finiteOptions(w, options, ["init", "gamma"]);
  const { init, stepSize, gamma = 0.1 } = options;
  positiveInt("stepSchedule", "stepSize", stepSize);
  return schedule(
    (step) => init * gamma ** Math.floor(step / stepSize),
    (step) => mul(init, pow(gamma, floor(div(step, stepSize)))),
  );
}

/**
 * init · decayRate^(step / transitionSteps), or with `staircase` at whole multiples only (optax's
 * exponential_decay).
 * @example
 * ```ts
 * nb.optim.exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 100 })(200); // 0.25
 * ```
 */
export function exponentialDecay(options: {
  init: number;
  decayRate: number;
  transitionSteps: number;
  staircase?: boolean;
}): Schedule {
  const w = "exponentialDecay";
  scheduleOptions(
    w,
    options,
    ["init", "decayRate", "transitionSteps"],
    ["staircase"],
    "nb.optim.exponentialDecay({ init: 1, decayRate: 0.5, transitionSteps: 100 })",
  );
  finiteOptions(w, options, ["init", "decayRate"]);
  const { init, decayRate, transitionSteps, staircase = false } = options;
  if (typeof staircase !== "boolean")
    throw new ValueError(`${w}: staircase must be true or false, got ${describeValue(staircase)}`);
  positiveInt("exponentialDecay", "transitionSteps", transitionSteps);
  return schedule(
    (step) => {
      const p = step / transitionSteps;
      return init * decayRate ** (staircase ? Math.floor(p) : p);
    },
    (step) => {
      const p = div(step, transitionSteps);
      return mul(init, pow(decayRate, staircase ? floor(p) : p));
    },
  );
}

/**
 * Linear interpolation from `init` to `end` over `steps`, then constant at `end`.
 * @example
 * ```ts
 * nb.optim.linearSchedule({ init: 0, end: 1, steps: 10 })(5); // 0.5
 * ```
 */
export function linearSchedule(options: { init: number; end: number; steps: number }): Schedule {
  const w = "linearSchedule";
  scheduleOptions(
    w,
    options,
    ["init", "end", "steps"],
    [],
    "nb.optim.linearSchedule({ init: 0, end: 1, steps: 10 })",
  );
  finiteOptions(w, options, ["init", "end"]);
  const { init, end, steps } = options;
  positiveInt("linearSchedule", "steps", steps);
  return schedule(
    (step) => init + (end - init) * Math.min(Math.max(step, 0) / steps, 1),
    (step) => add(init, mul(end - init, minimum(div(maximum(step, 0), steps), 1))),
  );
}

/**
 * Half a cosine from `init` down to `alpha · init` over `decaySteps`, then constant (SGDR without
 * restarts; optax's cosine_decay_schedule).
 * @example
 * ```ts
 * const lr = nb.optim.cosineDecay({ init: 1, decaySteps: 100 });
 * [lr(0), lr(50), lr(100)]; // [1, 0.5, 0]
 * ```
 */
export function cosineDecay(options: { init: number; decaySteps: number; alpha?: number }): Schedule {
  const w = "cosineDecay";
  scheduleOptions(
    w,
    options,
    ["init", "decaySteps"],
    ["alpha"],
    "nb.optim.cosineDecay({ init: 1, decaySteps: 100 })",
  );
  finiteOptions(w, options, ["init", "alpha"]);
  const { init, decaySteps, alpha = 0 } = options;
  positiveInt("cosineDecay", "decaySteps", decaySteps);
  return schedule(
    (step) => {
      const t = Math.min(Math.max(step, 0), decaySteps) / decaySteps;
      return init * ((1 - alpha) * 0.5 * (1 + Math.cos(Math.PI * t)) + alpha);
    },
    (step) => {
      const t = div(minimum(maximum(step, 0), decaySteps), decaySteps);
      return mul(init, add(mul((1 - alpha) * 0.5, add(1, cos(mul(Math.PI, t)))), alpha));
    },
  );
}

/**
 * A linear warmup from `init` (default 0) to the start of `after` over `steps`, followed by `after` (a
 * number or a schedule, which sees steps counted from the end of the warmup).
 * @example
 * ```ts
 * const lr = nb.optim.warmup({ steps: 10, after: 0.1 });
 * [lr(0), lr(5), lr(10), lr(500)]; // [0, 0.05, 0.1, 0.1]
 * ```
 */
export function warmup(options: { steps: number; after: LearningRate; init?: number }): Schedule {
  const w = "warmup";
  scheduleOptions(w, options, ["steps", "after"], ["init"], "nb.optim.warmup({ steps: 10, after: 0.1 })");
  finiteOptions(w, options, ["init"]);
  const { steps, after: next, init = 0 } = options;
  positiveInt(w, "steps", steps);
  learningRateArg(w, next);
  const after = (s: number) => resolveRate("warmup", next, s);
  return schedule(
    (step) => (step < steps ? init + ((after(0) - init) * Math.max(step, 0)) / steps : after(step - steps)),
    (step) =>
      where(
        less(step, steps),
        add(init, div(mul(after(0) - init, maximum(step, 0)), steps)),
        resolveRate("warmup", next, sub(step, steps)),
      ),
  );
}

/**
 * Linear warmup from `init` to `peak` over `warmupSteps`, then cosine decay to `end` at step `decaySteps`
 * (counted from 0, warmup included, as optax's warmup_cosine_decay_schedule).
 * @example
 * ```ts
 * const lr = nb.optim.warmupCosineDecay({ peak: 1e-3, warmupSteps: 100, decaySteps: 1000 });
 * [lr(0), lr(100), lr(1000)]; // [0, 0.001, 0]
 * ```
 */
export function warmupCosineDecay(options: {
  peak: number;
  warmupSteps: number;
  decaySteps: number;
  init?: number;
  end?: number;
}): Schedule {
  const w = "warmupCosineDecay";
  scheduleOptions(
    w,
    options,
    ["peak", "warmupSteps", "decaySteps"],
    ["init", "end"],
    "nb.optim.warmupCosineDecay({ peak: 1e-3, warmupSteps: 100, decaySteps: 1000 })",
  );
  finiteOptions(w, options, ["peak", "init", "end"]);
  const { peak, warmupSteps, decaySteps, init = 0, end = 0 } = options;
  positiveInt(w, "warmupSteps", warmupSteps);
  positiveInt(w, "decaySteps", decaySteps);
  if (decaySteps <= warmupSteps)
    throw new ValueError(
      `warmupCosineDecay: decaySteps (${decaySteps}) must be larger than warmupSteps (${warmupSteps})`,
    );
  const decay = cosineDecay({ init: peak - end, decaySteps: decaySteps - warmupSteps });
  const after = schedule(
    (s) => decay(s) + end,
    (s) => add(decay.traced!(s), end),
  );
  return warmup({ steps: warmupSteps, init, after });
}
