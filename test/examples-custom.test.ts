// Examples: custom derivative rules (nb.customJvp) and Hessian-vector products (nb.hvp).
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("nb.customJvp", () => {
  it("uses the given rule in forward and reverse mode, and differentiates it at higher orders", () => {
    const calls: string[] = [];
    const square = nb.customJvp(
      (x: nb.Tensor) => nb.mul(x, x),
      ([x], [dx]) => {
        calls.push("rule");
        return [nb.mul(x as nb.Tensor, x as nb.Tensor), nb.mul(nb.mul(2, x as nb.Tensor), dx as nb.Tensor)];
      },
    );
    expect(square(nb.array(3)).item()).toBe(9);
    expect(calls).toEqual([]);
    expect(nb.grad(square)(3).item()).toBe(6);
    expect(nb.jvp<nb.Tensor>(square, [3], [1])[1].item()).toBe(6);
    expect(nb.grad(nb.grad(square))(3).item()).toBe(2);
    expect(calls.length).toBeGreaterThan(0);
  });

  it("lets a deliberately different rule win (the rule, not the body, defines the derivative)", () => {
    const f = nb.customJvp(
      (x: nb.Tensor) => nb.sin(x),
      ([x], [dx]) => [nb.sin(x as nb.Tensor), nb.mul(dx as nb.Tensor, 7)],
    );
    expect(nb.grad(f)(1).item()).toBe(7);
    expect(
      nb
        .vmap(nb.grad(f))(nb.array([0, 1]))
        .toArray(),
    ).toEqual([7, 7]);
  });

  it("keeps softplus's derivatives exact at 0 (the sigmoid and its derivatives)", () => {
    const x = nb.array(0, { dtype: "float64" });
    expect(nb.grad(nb.softplus)(x).item()).toBe(0.5);
    expect(nb.grad(nb.grad(nb.softplus))(x).item()).toBe(0.25);
    expect(nb.derivative(nb.softplus, 4)(x).item()).toBeCloseTo(-0.125, 15);
  });
});

describe("nb.hvp", () => {
  it("multiplies the Hessian by a vector without forming it", () => {
    const f = (x: nb.Tensor) => nb.sum(nb.mul(nb.pow(x, 3), nb.array([1, 2])));
    const x = nb.array([1, 2], { dtype: "float64" });
    const v = nb.array([0.5, -1], { dtype: "float64" });
    const H = nb.hessian(f)(x) as nb.Tensor;
    expect(nb.hvp(f, x, v).toArray()).toEqual(nb.matmul(H, v).toArray());
  });
});
