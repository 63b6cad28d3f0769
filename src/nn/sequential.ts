// Sequential: layers applied in order; params and state are objects keyed by position or by given names.
import { ValueError } from "../core/errors.js";
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

/** A Sequential layer also lists its children as `[name, layer]` pairs. */
export interface SequentialLayer extends Layer {
  readonly layers: readonly (readonly [string, Layer])[];
}

const hasKeys = (o: object) => Object.keys(o).length > 0;

/**
 * Applies layers in order. Give an array (params keyed "0", "1", …, as PyTorch's state_dict) or an object
 * of named layers (params keyed by those names). Plain functions such as `nb.nn.relu` are layers without
 * parameters and take no entry in the params. Errors from inside name the path: `layer "2": Linear(…): …`.
 * A key given to `apply` is split among the layers, so each Dropout gets its own.
 * @example
 * ```ts
 * const model = nb.nn.Sequential([nb.nn.Linear(2, 16), nb.nn.relu, nb.nn.Linear(16, 1)]);
 * const { params } = model.init(nb.random.key(0), [1, 2]);
 * Object.keys(params);                         // ["0", "2"]
 * model.apply(params, nb.ones([8, 2])).shape;  // [8, 1]
 * nb.grad((p) => nb.sum(model.apply(p, nb.ones([8, 2]))))(params); // same structure as params
 * ```
 */
export function Sequential(
  layers: readonly LayerLike[] | Readonly<Record<string, LayerLike>>,
): SequentialLayer {
  if (layers === null || typeof layers !== "object")
    throw new ValueError(`Sequential: expected an array or an object of layers, got ${String(layers)}`);
  const entries: [string, LayerLike][] = Array.isArray(layers)
    ? layers.map((l, i) => [String(i), l])
    : Object.entries(layers);
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
