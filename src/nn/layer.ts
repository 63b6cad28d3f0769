// The layer contract of nb.nn: a layer is a value with init and apply; parameters are plain objects of tensors.
import { DTypeError, fmtShape, type NablaError, ShapeError, ValueError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { zeros } from "../ops/creation.js";
import { type Key, key as makeKey } from "../ops/random.js";
import { asTensor, type TensorLike } from "../ops/util.js";
import { activationNames } from "./activations.js";

/** Parameters: a plain object of tensors, possibly nested (a pytree), so `nb.grad(loss)(params)` works. */
export type Params = { [name: string]: Tensor | Params };

/** Non-trained variables that a layer updates as it runs (BatchNorm's running statistics); same form as params. */
export type State = Params;

/** What `init` returns: the parameters and the (possibly empty) state. */
export interface Variables<P extends Params = Params> {
  params: P;
  state: State;
}

/** Options of `apply` and `applyWithState`. */
export interface ApplyOptions {
  /** Training mode: Dropout drops, BatchNorm uses batch statistics. Default false (evaluation). */
  train?: boolean;
  /** Randomness for training mode (Dropout); Sequential splits it among its layers. */
  key?: Key;
  /** For `apply` only: the state of stateful layers (BatchNorm's running statistics, needed in eval mode). */
  state?: State;
  /** Called with the output of every sublayer of a Sequential, by dotted path ("2", "block.0"). */
  capture?: (path: string, y: Tensor, layer: Layer) => void;
}

/**
 * A layer: `init(key, inputShape?)` makes `{ params, state }`; `apply(params, x, options)` computes the
 * output; `applyWithState(params, state, x, options)` also returns the new state (only BatchNorm changes
 * it, in training mode). Layers are immutable values; parameters live outside them.
 * @example
 * ```ts
 * const layer: nb.nn.Layer = nb.nn.Linear(2, 3);
 * const { params } = layer.init(nb.random.key(0));
 * layer.apply(params, nb.ones([5, 2])).shape; // [5, 3]
 * layer.outputShape([5, 2]);                   // [5, 3]
 * ```
 */
export interface Layer<P extends Params = Params> {
  /** A readable description used in messages: `Linear(784→256)`. */
  readonly name: string;
  /** True when the layer has state (running statistics). */
  readonly stateful: boolean;
  /** True when training mode draws random numbers from `options.key` (Dropout); such layers get keys. */
  readonly stochastic: boolean;
  init(key: Key | number, inputShape?: readonly number[]): Variables<P>;
  apply(params: P, x: TensorLike, options?: ApplyOptions): Tensor;
  applyWithState(params: P, state: State, x: TensorLike, options?: ApplyOptions): [Tensor, State];
  /** The output shape for an input shape (batch dimensions included), or a ShapeError naming the layer. */
  outputShape(inputShape: readonly number[]): number[];
}

/** The parts a layer is built from; `apply` is derived from `forward`. */
export interface LayerSpec<P extends Params> {
  name: string;
  stateful?: boolean;
  /**
   * Whether `forward` uses `options.key` in training mode. Default true, so a custom layer always gets a
   * key; layers that declare false get none, which keeps key splitting (host-side work that cannot be
   * traced) out of models that need no randomness, so their training step compiles with jit.
   */
  stochastic?: boolean;
  init(key: Key, inputShape?: readonly number[]): Variables<P>;
  forward(params: P, state: State, x: Tensor, options: ApplyOptions): [Tensor, State];
  outputShape(inputShape: readonly number[]): number[];
}

/**
 * Builds a {@link Layer} from its parts — the way to write your own layer. `forward` gets the params, the
 * state, the input as a tensor and the options, and returns `[output, newState]`; `apply`, seeds as keys and
 * the params check come for free.
 * @example
 * ```ts
 * const Scale = (n: number) =>
 *   nb.nn.makeLayer<{ scale: nb.Tensor }>({
 *     name: `Scale(${n})`,
 *     init: () => ({ params: { scale: nb.ones([n]) }, state: {} }),
 *     forward: (p, state, x) => [nb.mul(x, p.scale), state],
 *     outputShape: (s) => [...s],
 *   });
 * const model = nb.nn.Sequential([nb.nn.Linear(2, 3), Scale(3)]);
 * model.apply(model.init(0).params, nb.ones([1, 2])).shape; // [1, 3]
 * ```
 */
export function makeLayer<P extends Params>(spec: LayerSpec<P>): Layer<P> {
  const run = (params: P, state: State, x: TensorLike, options: ApplyOptions): [Tensor, State] => {
    if (params === null || typeof params !== "object" || params instanceof Tensor)
      throw new ValueError(
        `${spec.name}: params must be the object returned by init(key).params, got ${params instanceof Tensor ? "a tensor" : String(params)}`,
      );
    return spec.forward(params, state ?? {}, asTensor(x, spec.name), options);
  };
  return {
    name: spec.name,
    stateful: spec.stateful ?? false,
    stochastic: spec.stochastic ?? true,
    init: (k, inputShape) => {
      if (inputShape !== undefined) spec.outputShape(inputShape);
      return spec.init(toKey(spec.name, k), inputShape);
    },
    apply: (params, x, options = {}) => run(params, options.state ?? {}, x, options)[0],
    applyWithState: (params, state, x, options = {}) => run(params, state, x, options),
    outputShape: (s) => spec.outputShape(s),
    toString: () => spec.name,
  } as Layer<P>;
}

/** A key from a key or an integer seed. */
export function toKey(where: string, k: Key | number): Key {
  if (typeof k === "number") return makeKey(k);
  if (!(k instanceof Tensor))
    throw new ValueError(
      `${where}: init needs a key (nb.random.key(seed)) or an integer seed, got ${String(k)}`,
    );
  return k;
}

/** A ShapeError whose message starts with the layer's name. */
export const shapeError = (name: string, message: string): ShapeError =>
  new ShapeError(`${name}: ${message}`);

/** Checks a positive integer hyper-parameter. */
export function positiveInt(where: string, what: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0)
    throw new ValueError(`${where}: ${what} must be a positive integer, got ${v}`);
  return v;
}

/** Checks that a parameter exists and has the shape the layer was built for. */
export function checkParam(
  name: string,
  what: string,
  t: Tensor | undefined,
  shape: readonly number[],
): void {
  if (!(t instanceof Tensor))
    throw new ValueError(`${name}: params have no tensor "${what}"; pass the params returned by init`);
  if (fmtShape(t.shape) !== fmtShape(shape))
    throw shapeError(name, `params.${what} has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`);
}

/** Checks the rank of an input, naming the layer and the expected layout. */
export function expectRank(
  name: string,
  shape: readonly number[],
  ranks: readonly number[],
  layout: string,
): void {
  if (!ranks.includes(shape.length))
    throw shapeError(
      name,
      `expected input of rank ${ranks.join(" or ")} (${layout}), got ${fmtShape(shape)}`,
    );
}

/** The float dtype of a parameter option (or the default float). */
export function floatOption(where: string, dtype: string | undefined): "float32" | "float64" | undefined {
  if (dtype === undefined || dtype === "float32" || dtype === "float64") return dtype;
  throw new DTypeError(`${where}: dtype must be "float32" or "float64", got ${dtype}`);
}

/** Layers accepted where a layer is expected: a Layer, or a plain function of the input (an activation). */
export type LayerLike = Layer | ((x: Tensor) => Tensor);

const isLayer = (l: unknown): l is Layer =>
  typeof l === "object" && l !== null && typeof (l as Layer).applyWithState === "function";

/**
 * Wraps a parameter-free function of the input (an activation, a reshape) as a layer. Sequential does this
 * for any plain function it is given. Its output shape is found by running it on zeros.
 * @example
 * ```ts
 * const double = nb.nn.Lambda((x) => nb.mul(x, 2), "double");
 * double.apply({}, nb.array([1, 2])).toArray(); // [2, 4]
 * ```
 */
export function Lambda(fn: (x: Tensor) => Tensor, name?: string): Layer {
  if (typeof fn !== "function")
    throw new ValueError(`Lambda: expected a function of the input, got ${typeof fn}`);
  const label = name ?? activationNames.get(fn) ?? (fn.name || "function");
  return makeLayer<Params>({
    name: label,
    stochastic: false,
    init: () => ({ params: {}, state: {} }),
    forward: (_p, state, x) => [fn(x), state],
    outputShape: (s) => fn(zeros(s)).shape,
  });
}

/** A layer from a layer-like value (plain functions become {@link Lambda} layers). */
export function asLayer(l: LayerLike): Layer {
  if (isLayer(l)) return l;
  if (typeof l === "function") return Lambda(l);
  throw new ValueError(`Sequential: expected a layer or a function, got ${l === null ? "null" : typeof l}`);
}

/** Re-raises a shape, dtype or value error from inside a sublayer with its path prepended. */
export function rethrowAt(e: unknown, path: string): never {
  if (e instanceof ShapeError || e instanceof DTypeError || e instanceof ValueError) {
    const inner = (e as { layerPath?: string }).layerPath;
    const full = inner === undefined ? path : `${path}.${inner}`;
    const base = (e as { baseMessage?: string }).baseMessage ?? e.message;
    const Ctor = e.constructor as new (m: string) => NablaError;
    const err = new Ctor(`layer "${full}": ${base}`);
    Object.assign(err, { layerPath: full, baseMessage: base, cause: e });
    throw err;
  }
  throw e;
}
