// Derivative formulas: the seed polynomial exactly, printed forms, and sizes against mathjs's derivative.
import { all, create, type MathNode } from "mathjs";
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

const math = create(all);

const POLY = "x^4 - 2x^3 + 3x^2 - 4x + 5";
const closed = [
  (x: number) => x ** 4 - 2 * x ** 3 + 3 * x ** 2 - 4 * x + 5,
  (x: number) => 4 * x ** 3 - 6 * x ** 2 + 6 * x - 4,
  (x: number) => 12 * x ** 2 - 12 * x + 6,
  (x: number) => 24 * x - 12,
  () => 24,
];

describe("the seed polynomial", () => {
  it("prints its derivatives in polynomial normal form", () => {
    const d = [1, 2, 3, 4].map((k) => String(nb.symbolic.derivative(POLY, "x", k)));
    expect(d).toEqual(["4x^3 - 6x^2 + 6x - 4", "12x^2 - 12x + 6", "24x - 12", "24"]);
  });

  it("symbolic = AD = closed form, exactly, at several points for orders 1-4", () => {
    for (const x of [-1.5, 0, 0.5, 2.5, 10]) {
      let g = (t: nb.Tensor) => nb.parse(POLY).fn(t);
      for (let k = 1; k <= 4; k++) {
        g = nb.grad(g);
        const ad = g(nb.array(x, { dtype: "float64" })).item();
        const sym = nb.symbolic.derivative(POLY, "x", k).evaluate({ x });
        expect(sym).toBe(closed[k]!(x));
        expect(ad).toBe(closed[k]!(x));
      }
    }
  });
});

describe("printed forms", () => {
  it.each([
    ["sin(x^2)", 1, "2x cos(x^2)"],
    ["x^2 + 3x", 1, "2x + 3"],
    ["tanh(x)", 1, "sech(x)^2"],
    ["exp(-x^2)", 2, "exp(-x^2) (4x^2 - 2)"],
    ["log(x)", 2, "-1 / x^2"],
    ["sqrt(x)", 1, "1 / (2 sqrt(x))"],
    ["abs(x)", 1, "sign(x)"],
    ["relu(x)", 1, "(x <= 0 ? 0 : 1)"],
  ])("d^%2$i/dx^%2$i %1$s = %3$s", (f, k, expected) => {
    expect(String(nb.symbolic.derivative(f, "x", k))).toBe(expected);
  });

  it("names repeated subexpressions with where-bindings, and they evaluate the same", () => {
    const e = nb.symbolic.derivative("sin(cos(tan(x)))", "x", 2);
    expect(String(e)).toMatch(/ where [a-z] = /);
    const x = 0.3;
    const ad = nb.derivative(
      (t: nb.Tensor) => nb.sin(nb.cos(nb.tan(t))),
      2,
    )(nb.array(x, { dtype: "float64" }));
    expect(e.evaluate({ x })).toBeCloseTo(ad.item(), 12);
    expect(e.fn(nb.array(x, { dtype: "float64" })).item()).toBeCloseTo(ad.item(), 12);
  });

  it("prints LaTeX", () => {
    expect(nb.symbolic.derivative("sin(x^2)", "x").toLatex()).toBe("2 x \\cos\\left(x^{2}\\right)");
    expect(nb.symbolic.derivative("sqrt(x)", "x").toLatex()).toBe("\\frac{1}{2 \\sqrt{x}}");
  });

  it("round-trips: the printed text parses back to the same function", () => {
    for (const f of ["sin(x) exp(-x^2)", "log(1 + x^2)", "x^3 sin(x)", "sin(cos(tan(x)))"]) {
      const d = nb.symbolic.derivative(f, "x", 2);
      const text = String(d);
      if (text.includes(" where ")) continue;
      const back = nb.parse(text);
      for (const x of [0.2, 0.7, 1.3]) expect(back.evaluate({ x })).toBeCloseTo(d.evaluate({ x }), 10);
    }
  });

  it("gives gradients and Hessians of several variables", () => {
    expect(nb.symbolic.gradient("x^2 y + y").map(String)).toEqual(["2x y", "x^2 + 1"]);
    expect(nb.symbolic.hessian("x^2 y").map((r) => r.map(String))).toEqual([
      ["2y", "2x"],
      ["2x", "0"],
    ]);
  });
});

/** mathjs node count, on the same terms as Expr.size: no parentheses, a negative literal is one node. */
function mathjsSize(n: MathNode): number {
  let c = 0;
  n.traverse((node, path, parent) => {
    if (node.type === "ParenthesisNode") return;
    if (parent?.type === "FunctionNode" && path === "fn") return;
    if (
      node.type === "ConstantNode" &&
      parent?.type === "OperatorNode" &&
      (parent as unknown as { fn: string }).fn === "unaryMinus"
    )
      return;
    c++;
  });
  return c;
}

const NESTED = [
  "sin(x^2)",
  "exp(sin(x))",
  "sin(x) exp(-x^2)",
  "tanh(x)",
  "log(1 + x^2)",
  "sqrt(1 + x^2)",
  "1/(1 + exp(-x))",
  "x^3 sin(x)",
  "cos(exp(x))",
  "atan(x^2)",
  "exp(-x^2)",
  "tanh(2x + 1)",
  "x exp(x)",
  "log(cos(x))",
  "sin(cos(tan(x)))",
];

describe("formula sizes against mathjs", () => {
  it.each(NESTED)("%s: orders 1-5 never larger than mathjs, equal in value", (f) => {
    let mj = math.parse(f);
    for (let k = 1; k <= 5; k++) {
      mj = math.derivative(mj, "x");
      const ours = nb.symbolic.derivative(f, "x", k);
      expect(ours.size, `order ${k}: ${String(ours)}\n  mathjs: ${mj.toString()}`).toBeLessThanOrEqual(
        mathjsSize(mj),
      );
      for (const x of [-0.9, 0.37, 1.1]) {
        const a = ours.evaluate({ x });
        const b = mj.evaluate({ x }) as number;
        expect(Math.abs(a - b), `order ${k} at x = ${x}: ${a} vs ${b}`).toBeLessThanOrEqual(
          1e-9 * Math.max(1, Math.abs(b)),
        );
      }
    }
  });
});
