// Examples: custom derivative rules (nb.customJvp) and Hessian-vector products (nb.hvp).
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { linearizeFlat } from "../../src/interpret/partial-eval.js";

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
    expect(nb.jvp(square, [3], [1])[1].item()).toBe(6);
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

describe("nb.customVjp", () => {
  const mysin = nb.customVjp(
    (x: nb.Tensor) => nb.sin(x),
    (x: unknown) => [nb.sin(x as nb.Tensor), x],
    (x: unknown, ct: nb.Tensor) => [nb.mul(ct, nb.cos(x as nb.Tensor))],
  );
  const x = nb.array([0.3, 1.2], { dtype: "float64" });

  it("uses bwd in reverse mode, at any order (bwd is differentiated)", () => {
    const f = (v: nb.Tensor) => nb.sum(mysin(v));
    expect(nb.grad(f)(x).toArray()).toEqual([Math.cos(0.3), Math.cos(1.2)]);
    const H = nb.hessian(f)(x) as nb.Tensor;
    expect(nb.diag(H).toArray()).toEqual([-Math.sin(0.3), -Math.sin(1.2)]);
    nb.checkGrads(f, [x], { order: 3, modes: ["rev"] });
  });

  it("lets bwd change the gradient (gradient clipping)", () => {
    const clipGrad = nb.customVjp(
      (v: nb.Tensor) => v,
      (v: unknown) => [v, null],
      (_res: unknown, ct: nb.Tensor) => [nb.clip(ct, -1, 1)],
    );
    expect(
      nb
        .grad((v: nb.Tensor) => nb.mul(clipGrad(v), 10))(1)
        .item(),
    ).toBe(1);
  });

  it("says forward mode is not available", () => {
    expect(() => nb.jvp(mysin, [x], [x])).toThrow(/forward mode .* custom VJP; use customJvp/);
  });
});

describe("nb.checkpoint", () => {
  const body = (v: nb.Tensor) => nb.tanh(nb.sin(nb.mul(v, v)));
  const block = nb.checkpoint(body);
  const x = nb.array([0.5, 1.1], { dtype: "float64" });

  it("gives the same values and derivatives, in every mode and order", () => {
    const f = (v: nb.Tensor) => nb.sum(block(v));
    const f0 = (v: nb.Tensor) => nb.sum(body(v));
    expect(f(x).item()).toBe(f0(x).item());
    expect(nb.grad(f)(x).toArray()).toEqual(nb.grad(f0)(x).toArray());
    expect((nb.hessian(f)(x) as nb.Tensor).toArray()).toEqual((nb.hessian(f0)(x) as nb.Tensor).toArray());
    nb.checkGrads(f, [x], { order: 3 });
  });

  it("stores only the inputs: the linearized program keeps fewer residuals", () => {
    const deep = (v: nb.Tensor) => {
      let h = v;
      for (let i = 0; i < 5; i++) h = body(h);
      return h;
    };
    const residuals = (f: (v: nb.Tensor) => nb.Tensor) =>
      linearizeFlat((v) => [nb.sum(f(v))], [x])[1].constVars.length;
    expect(residuals(nb.checkpoint(deep))).toBeLessThan(residuals(deep));
  });
});
