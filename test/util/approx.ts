// Comparing tensors with plain JS values in tests: exact shape, values within a tolerance.
import * as nb from "nabla";
import { expect } from "vitest";

type Nested = number | boolean | readonly Nested[];

const shapeOf = (v: Nested): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0] as Nested)] : []);
const flat = (v: Nested): (number | boolean)[] =>
  Array.isArray(v) ? (v as Nested[]).flatMap(flat) : [v as number | boolean];

/**
 * Expects `t` to have the shape of `want` and values within `atol + rtol·|want|` (NaN matches NaN,
 * booleans and ±Infinity must match exactly).
 */
export function expectTensor(t: unknown, want: Nested, { atol = 1e-5, rtol = 1e-5 } = {}): void {
  expect(t).toBeInstanceOf(nb.Tensor);
  const x = t as nb.Tensor;
  expect(x.shape).toEqual(shapeOf(want));
  const got = flat(x.toArray() as Nested);
  const exp = flat(want);
  got.forEach((g, i) => {
    const w = exp[i]!;
    if (typeof w === "boolean" || typeof g === "boolean" || !Number.isFinite(w)) {
      if (Number.isNaN(w)) expect(g, `element ${i}`).toBeNaN();
      else expect(g, `element ${i}`).toBe(w);
      return;
    }
    const err = Math.abs((g as number) - w);
    expect(err, `element ${i}: got ${g}, want ${w}`).toBeLessThanOrEqual(atol + rtol * Math.abs(w));
  });
}

/** The values of a tensor as a flat array of JS numbers. */
export const values = (t: nb.Tensor): number[] => Array.from(t.dataSync());
