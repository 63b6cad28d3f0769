// Examples: formulas (nb.parse, nb.symbolic) and numerical differentiation (nb.numeric), as a user calls them.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("nb.parse and nb.Expr", () => {
  it("parses a formula, evaluates it, and runs it as a nabla function", () => {
    const e = nb.parse("x^4 - 2x^3 + 3x^2 - 4x + 5");
    expect(e).toBeInstanceOf(nb.Expr);
    expect(e.variables).toEqual(["x"]);
    expect(e.evaluate({ x: 2 })).toBe(9);
    expect(nb.grad(e.fn)(2.5).item()).toBe(36);
  });

  it("reports where a formula is wrong", () => {
    expect(() => nb.parse("x + 2*)")).toThrow(nb.ParseError);
    try {
      nb.parse("x + 2*)");
    } catch (err) {
      expect((err as nb.ParseError).column).toBe(7);
      expect((err as Error).message).toMatch(/unexpected '\)' at column 7/);
      expect((err as Error).message).toContain("\n        ^");
    }
  });
});

describe("nb.symbolic", () => {
  it("derivative, gradient, hessian and simplify give formulas", () => {
    expect(String(nb.symbolic.derivative("x^4 - 2x^3 + 3x^2 - 4x + 5", "x", 3))).toBe("24x - 12");
    expect(String(nb.symbolic.derivative("sin(x^2)", "x"))).toBe("2x cos(x^2)");
    expect(nb.symbolic.gradient("x y^2").map(String)).toEqual(["y^2", "2x y"]);
    expect(nb.symbolic.hessian("x y").map((r) => r.map(String))).toEqual([
      ["0", "1"],
      ["1", "0"],
    ]);
    expect(String(nb.symbolic.simplify("x*x + 2x - x + 1 - 1"))).toBe("x^2 + x");
    expect(nb.symbolic.parse("x + 1")).toBeInstanceOf(nb.symbolic.Expr);
    expect(() => nb.symbolic.parse("(")).toThrow(nb.symbolic.ParseError);
  });
});

describe("nb.numeric", () => {
  it("differentiates by finite differences with an error estimate", () => {
    const d = nb.numeric.derivative(nb.sin, 1);
    expect(Math.abs(d.value - Math.cos(1))).toBeLessThanOrEqual(d.error);
    const b = nb.numeric.best((x: number) => x ** 3, 2, { order: 2 });
    expect(Math.abs(b.value - 12)).toBeLessThanOrEqual(b.error);
  });

  it("gives gradients, Jacobians and Hessians", () => {
    const f = (x: nb.Tensor) => nb.sum(nb.mul(x, x));
    const x = nb.array([1, 2], { dtype: "float64" });
    const g = nb.numeric.gradient(f, x);
    expect(g.value.toArray()).toEqual([expect.closeTo(2, 6), expect.closeTo(4, 6)]);
    expect(nb.numeric.hessian(f, x).value.shape).toEqual([2, 2]);
    expect(nb.numeric.jacobian((v: nb.Tensor) => nb.mul(v, 3), x).value.shape).toEqual([2, 2]);
  });

  it("sweeps the step to show the V-shaped error curve", () => {
    const c = nb.numeric.errorCurve(nb.exp, 1, { order: 1 });
    expect(c.steps.length).toBeGreaterThan(10);
    expect(c.optimal.central.step).toBeGreaterThan(c.optimal.forward.step);
  });

  it("exposes the stencils", () => {
    expect(nb.numeric.stencil(2).weights).toEqual([1, -2, 1]);
    expect(nb.numeric.fornbergWeights([-1, 0, 1], 1)).toEqual([-0.5, 0, 0.5]);
  });
});

describe("formulas as text", () => {
  it("what a formula prints, nb.parse reads back: NaN, Infinity and where-bindings included", () => {
    const d = nb.symbolic.derivative("x + asin(x / x)", "x");
    expect(String(d)).toBe("1 + NaN / x");
    expect(nb.parse(String(d)).evaluate({ x: 2 })).toBeNaN();
    const e = nb.parse("u^2 + u where u = sin(x)");
    expect(e.variables).toEqual(["x"]);
    expect(nb.parse(String(e)).evaluate({ x: 1 })).toBe(e.evaluate({ x: 1 }));
    expect(nb.parse("inf - x").evaluate({ x: 1 })).toBe(Number.POSITIVE_INFINITY);
  });

  it("constants from π and √π print by name", () => {
    expect(String(nb.symbolic.derivative("erf(x)", "x"))).toBe("2 exp(-x^2) / sqrt(pi)");
    expect(nb.symbolic.derivative("erf(x)", "x").toLatex()).toBe("\\frac{2 e^{-x^{2}}}{\\sqrt{\\pi}}");
  });
});
