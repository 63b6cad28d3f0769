// Tensor comparison for tests: elementwise closeness with a message that names the shapes and the worst
// elements, plus a plain stacking oracle for vmap tests.

import * as nb from "nabla";
import { expect } from "vitest";
import { flatten, treeString } from "../../src/core/pytree.js";

export interface Tol {
  atol?: number;
  rtol?: number;
}

/** A tensor, a number or nested arrays of numbers (typed loosely so pytree leaves can be passed as is). */
function toFlat(v: unknown, what: string): { data: Float64Array; shape: number[] } {
  if (v instanceof nb.Tensor) return { data: Float64Array.from(v.dataSync()), shape: v.shape };
  if (typeof v === "number" || typeof v === "boolean") return { data: Float64Array.of(Number(v)), shape: [] };
  if (!Array.isArray(v)) expect.fail(`${what}: expected a tensor, a number or an array, got ${String(v)}`);
  const t = nb.array(v as nb.TensorLike, { dtype: "float64" });
  return { data: Float64Array.from(t.dataSync()), shape: t.shape };
}

function unravel(k: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(k % shape[d]!);
    k = Math.floor(k / shape[d]!);
  }
  return `[${idx.join(",")}]`;
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise (NaN fails, equal infinities pass), and
 * that the shapes agree. `what` prefixes the failure message.
 */
export function expectClose(actual: unknown, expected: unknown, tol: Tol = {}, what = "value"): void {
  const { atol = 1e-12, rtol = 1e-12 } = tol;
  const a = toFlat(actual, what);
  const e = toFlat(expected, what);
  if (a.shape.join() !== e.shape.join())
    expect.fail(`${what}: shape [${a.shape.join(",")}] differs from expected [${e.shape.join(",")}]`);
  let bad = 0;
  let maxErr = 0;
  const examples: string[] = [];
  for (let k = 0; k < e.data.length; k++) {
    const x = a.data[k]!;
    const y = e.data[k]!;
    if (x === y) continue;
    const err = Math.abs(x - y);
    if (err <= atol + rtol * Math.abs(y)) continue;
    bad++;
    maxErr = Number.isNaN(err) ? err : Math.max(maxErr, err);
    if (examples.length < 4) examples.push(`${unravel(k, e.shape)}: got ${x}, expected ${y}`);
  }
  if (bad > 0)
    expect.fail(
      `${what}: ${bad} of ${e.data.length} element(s) of shape [${e.shape.join(",")}] differ ` +
        `(max abs err ${maxErr.toExponential(2)}, atol ${atol}, rtol ${rtol}): ${examples.join("; ")}`,
    );
}

/** expectClose on every leaf of two pytrees, which must have the same structure. */
export function expectTreeClose(actual: unknown, expected: unknown, tol: Tol = {}, what = "tree"): void {
  const [al, ad] = flatten(actual);
  const [el, ed] = flatten(expected);
  if (treeString(ad) !== treeString(ed))
    expect.fail(`${what}: structure ${treeString(ad)} differs from expected ${treeString(ed)}`);
  al.forEach((a, i) => expectClose(a, el[i]!, tol, `${what}, leaf ${i}`));
}

/** Stacks equally shaped tensors along a new axis by index arithmetic alone (an oracle for vmap). */
export function stackRaw(ts: readonly nb.Tensor[], axis: number): nb.Tensor {
  const shape = ts[0]!.shape;
  const n = ts.length;
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const inner = shape.slice(axis).reduce((p, d) => p * d, 1);
  const datas = ts.map((t) => t.dataSync());
  const out = new Float64Array(outer * n * inner);
  for (let o = 0; o < outer; o++)
    for (let b = 0; b < n; b++)
      for (let i = 0; i < inner; i++) out[(o * n + b) * inner + i] = datas[b]![o * inner + i]!;
  const flat = nb.array(out);
  return nb.astype(nb.reshape(flat, [...shape.slice(0, axis), n, ...shape.slice(axis)]), ts[0]!.dtype);
}
