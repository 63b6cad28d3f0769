// Examples of loops on data: nb.lax.scan, nb.lax.foriLoop and nb.lax.whileLoop, as a user calls them.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

const f64 = (v: number | number[]) => nb.array(v, { dtype: "float64" });

describe("nb.lax loops", () => {
  it("scan carries state over a sequence and stacks the per-step outputs", () => {
    const [total, partial] = nb.lax.scan(
      (c: nb.Tensor, x: nb.Tensor) => {
        const s = nb.add(c, x);
        return [s, s];
      },
      f64(0),
      f64([1, 2, 3]),
    ) as [nb.Tensor, nb.Tensor];
    expect(total.item()).toBe(6);
    expect(partial.toArray()).toEqual([1, 3, 6]);
    // The gradient of a 5-step recurrence, run as a reverse scan.
    const f = (h: nb.Tensor) =>
      (
        nb.lax.scan((c: nb.Tensor) => [nb.tanh(nb.mul(c, 2)), null], h, null, { length: 5 }) as [
          nb.Tensor,
          null,
        ]
      )[0];
    let h = 0.1;
    let d = 1;
    for (let t = 0; t < 5; t++) {
      const next = Math.tanh(2 * h);
      d *= 2 * (1 - next * next);
      h = next;
    }
    expect(f(f64(0.1)).item()).toBeCloseTo(h, 12);
    expect(nb.grad(f)(f64(0.1)).item()).toBeCloseTo(d, 10);
  });

  it("foriLoop runs a body over static integer bounds", () => {
    const f = (x: nb.Tensor) =>
      nb.lax.foriLoop(0, 5, (_i: nb.Tensor, c: nb.Tensor) => nb.mul(c, x), f64(1)) as nb.Tensor;
    expect(f(f64(2)).item()).toBe(32);
    expect(nb.grad(f)(f64(2)).item()).toBe(80); // d/dx x⁵ = 5x⁴
  });

  it("whileLoop runs until a condition on data fails", () => {
    const firstPowerAbove = (limit: nb.Tensor) =>
      nb.lax.whileLoop(
        (x: nb.Tensor) => nb.less(x, limit),
        (x: nb.Tensor) => nb.mul(x, 2),
        f64(1),
      ) as nb.Tensor;
    expect(firstPowerAbove(f64(100)).item()).toBe(128);
    expect(
      nb
        .vmap(firstPowerAbove)(f64([3, 10, 1000]))
        .toArray(),
    ).toEqual([4, 16, 1024]);
  });
});
