// Counting parameters and describing a model: countParams and a Keras-style summary table.
import { fmtShape, ValueError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import { leavesOf } from "../optim/tree.js";
import type { Layer, Params } from "./layer.js";
import type { SequentialLayer } from "./sequential.js";

const isLayer = (v: unknown): v is Layer =>
  typeof v === "object" && v !== null && typeof (v as Layer).applyWithState === "function";

/**
 * The number of scalar parameters in a params pytree — or in a layer (initialized with `inputShape` if it
 * needs one).
 * @example
 * ```ts
 * nb.nn.countParams(nb.nn.Linear(2, 3)); // 9: a 2×3 weight and 3 biases
 * nb.nn.countParams({ w: nb.zeros([4, 4]), b: nb.zeros([4]) }); // 20
 * ```
 */
export function countParams(paramsOrLayer: unknown, inputShape?: readonly number[]): number {
  const params = isLayer(paramsOrLayer) ? paramsOrLayer.init(0, inputShape).params : paramsOrLayer;
  const [leaves] = leavesOf(params, "countParams");
  return leaves.reduce((n, t) => n + t.size, 0);
}

const fmtInt = (n: number) => n.toLocaleString("en-US");

/**
 * A table of a model's layers with their output shapes and parameter counts, for an input shape (batch
 * included). Sequential models list their children; other layers give one row.
 * @example
 * ```ts
 * const model = nb.nn.Sequential([nb.nn.Linear(784, 128), nb.nn.relu, nb.nn.Linear(128, 10)]);
 * console.log(nb.nn.summary(model, [1, 784]));
 * // layer  type               output shape  params
 * // 0      Linear(784→128)    [1,128]       100,480
 * // …
 * // total 101,770 parameters
 * ```
 */
export function summary(model: Layer, inputShape: readonly number[], params?: Params): string {
  if (!isLayer(model)) throw new ValueError("summary: expected a layer");
  const p = params ?? model.init(0, inputShape).params;
  const children = (model as Partial<SequentialLayer>).layers ?? [["", model] as const];
  const rows: string[][] = [["layer", "type", "output shape", "params"]];
  let shape = inputShape.slice();
  let total = 0;
  for (const [k, child] of children) {
    shape = child.outputShape(shape);
    const sub = k === "" ? p : p[k];
    const n = sub === undefined ? 0 : sub instanceof Tensor ? sub.size : countParams(sub);
    total += n;
    rows.push([k === "" ? "-" : k, child.name, fmtShape(shape), fmtInt(n)]);
  }
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => r[j]!.length)));
  const lines = rows.map((r) =>
    r.map((c, j) => (j === r.length - 1 ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join("  "),
  );
  lines.splice(1, 0, "-".repeat(lines[0]!.length));
  lines.push(`total ${fmtInt(total)} parameters (input ${fmtShape(inputShape)})`);
  return lines.join("\n");
}
