// Sequential: layers applied in order; params and state are objects keyed by position or by given names.
import { ValueError } from "../core/errors.js";
import type { Tensor } from "../core/tensor.js";
import { split } from "../ops/random.js";
import {
  asLayer,
  type Layer,
  type LayerLike,
  makeLayer,
  type Params,
  rethrowAt,
  type State,
} from "./layer.js";

/**
 * What Sequential needs of a layer: everything a {@link Layer} has but `apply`, which it never calls — it
 * runs each child's `applyWithState`, whose tensor is the next child's input. So a layer whose own `apply`
 * returns more than that tensor composes as is: a recurrent layer (`apply` gives `{ output, hidden }`)
 * contributes its output sequence.
 * @example
 * ```ts
 * const child: nb.nn.SequentialChild = nb.nn.LSTM(3, 8); // a Layer is one too
 * nb.nn.Sequential([child, nb.nn.Linear(8, 1)]);
 * ```
 */
export type SequentialChild = Omit<Layer, "apply">;

/** A Sequential layer also lists its children as `[name, layer]` pairs (plain functions as Lambda layers). */
export interface SequentialLayer extends Layer {
  readonly layers: readonly (readonly [string, SequentialChild])[];
}

const hasKeys = (o: object) => Object.keys(o).length > 0;

/**
 * Applies layers in order. Give an array (params keyed "0", "1", …, as PyTorch's state_dict) or an object
 * of named layers (params keyed by those names). Plain functions such as `nb.nn.relu` are layers without
 * parameters and take no entry in the params. Errors from inside name the path: `layer "2": Linear(…): …`.
 * A key given to `apply` is split among the layers, so each Dropout gets its own. Recurrent layers
 * (`RNN`, `LSTM`, `GRU`) go in as they are and pass on their output sequence (see {@link SequentialChild}).
 * @example
 * ```ts
 * const model = nb.nn.Sequential([nb.nn.Linear(2, 16), nb.nn.relu, nb.nn.Linear(16, 1)]);
 * const { params } = model.init(nb.random.key(0), [1, 2]);
 * Object.keys(params);                         // ["0", "2"]
 * model.apply(params, nb.ones([8, 2])).shape;  // [8, 1]
 * nb.grad((p) => nb.sum(model.apply(p, nb.ones([8, 2]))))(params); // same structure as params
 *
 * const tagger = nb.nn.Sequential([nb.nn.GRU(4, 16, { batchFirst: true }), nb.nn.Linear(16, 3)]);
 * tagger.apply(tagger.init(0).params, nb.ones([2, 10, 4])).shape; // [2, 10, 3]
 * ```
 */
export function Sequential(
  layers:
    | readonly (SequentialChild | ((x: Tensor) => Tensor))[]
    | Readonly<Record<string, SequentialChild | ((x: Tensor) => Tensor)>>,
): SequentialLayer {
  if (layers === null || typeof layers !== "object")
    throw new ValueError(`Sequential: expected an array or an object of layers, got ${String(layers)}`);
  // Sequential only calls applyWithState, so a child without a tensor-valued apply is run as a Layer.
  const entries: [string, LayerLike][] = (
    Array.isArray(layers) ? layers.map((l, i) => [String(i), l]) : Object.entries(layers)
  ) as [string, LayerLike][];
  if (entries.length === 0) throw new ValueError("Sequential: needs at least one layer");
  for (const [k] of entries)
    if (k === "" || k.includes("."))
      throw new ValueError(`Sequential: layer names must be non-empty and contain no ".", got "${k}"`);
  const children = entries.map(([k, l]) => [k, asLayer(l)] as const);
  const n = children.length;
  const layer = makeLayer<Params>({
    name: `Sequential(${children.map(([, c]) => c.name).join(", ")})`,
    stateful: children.some(([, c]) => c.stateful),
    // A hand-made layer object without the flag may use its key.
    stochastic: children.some(([, c]) => c.stochastic !== false),
    init: (key, inputShape) => {
      const keys = split(key, n);
      const params: Params = {};
      const state: State = {};
      let shape = inputShape;
      children.forEach(([k, child], i) => {
        try {
          const v = child.init(keys[i]!, shape);
          if (hasKeys(v.params)) params[k] = v.params;
          if (hasKeys(v.state)) state[k] = v.state;
          if (shape !== undefined) shape = child.outputShape(shape);
        } catch (e) {
          rethrowAt(e, k);
        }
      });
      return { params, state };
    },
    forward: (params, state, x, options) => {
      // Keys are split only for a model with a random layer: splitting needs the key's value, which a
      // training step compiled with jit does not have.
      const keys = options.key === undefined || !layer.stochastic ? undefined : split(options.key, n);
      const next: State = {};
      let y = x;
      children.forEach(([k, child], i) => {
        const capture = options.capture;
        let s: State;
        try {
          [y, s] = child.applyWithState((params[k] ?? {}) as Params, (state[k] ?? {}) as State, y, {
            train: options.train,
            key: keys?.[i],
            capture: capture && ((p, t, l) => capture(`${k}.${p}`, t, l)),
          });
        } catch (e) {
          rethrowAt(e, k);
        }
        if (hasKeys(s)) next[k] = s;
        capture?.(k, y, child);
      });
      return [y, next];
    },
    outputShape: (inputShape) =>
      children.reduce<number[]>((s, [k, child]) => {
        try {
          return child.outputShape(s);
        } catch (e) {
          rethrowAt(e, k);
        }
      }, inputShape.slice()),
  });
  return Object.assign(layer, { layers: children });
}
