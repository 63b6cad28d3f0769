// Examples of control flow on data: nb.lax.cond and nb.lax.switch, as a user calls them.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

const f64 = (v: number | number[]) => nb.array(v, { dtype: "float64" });

describe("nb.lax", () => {
  it("cond picks a branch on data and differentiates the branch taken", () => {
    const f = (x: nb.Tensor) =>
      nb.lax.cond(
        nb.greater(x, 0),
        (y: nb.Tensor) => nb.sin(y),
        (y: nb.Tensor) => nb.mul(y, y),
        x,
      ) as nb.Tensor;
    expect(f(f64(2)).item()).toBeCloseTo(Math.sin(2), 12);
    expect(nb.grad(f)(f64(-3)).item()).toBeCloseTo(-6, 12);
    expect(nb.grad(nb.grad(f))(f64(2)).item()).toBeCloseTo(-Math.sin(2), 12);
    // A batched predicate: each example takes its own branch.
    expect(
      nb
        .vmap(f)(f64([-1, 1]))
        .toArray(),
    ).toEqual([1, Math.sin(1)]);
    // Under jit the choice is made when the compiled program runs.
    const jf = nb.jit(f);
    expect(jf(f64(-2)).item()).toBe(4);
    expect(jf(f64(2)).item()).toBeCloseTo(Math.sin(2), 12);
  });

  it("switch picks one of several branches; operands and outputs are pytrees", () => {
    const branches = [
      (p: { w: nb.Tensor; b: nb.Tensor }) => ({ y: nb.add(p.w, p.b), n: 0 }),
      (p: { w: nb.Tensor; b: nb.Tensor }) => ({ y: nb.mul(p.w, p.b), n: 1 }),
      (p: { w: nb.Tensor; b: nb.Tensor }) => ({ y: nb.sub(p.w, p.b), n: 2 }),
    ];
    const params = { w: f64(3), b: f64(2) };
    const pick = (i: number) => nb.lax.switch(i, branches, params) as { y: nb.Tensor; n: nb.Tensor };
    expect(pick(1).y.item()).toBe(6);
    expect(pick(2).n.item()).toBe(2);
    // An index out of range is clamped to the first or last branch.
    expect(pick(-4).y.item()).toBe(5);
    expect(pick(9).y.item()).toBe(1);
  });
});
