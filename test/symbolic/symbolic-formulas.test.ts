// Derivative formulas: the seed polynomial exactly, printed forms, sizes against mathjs's derivative,
// constants and non-finite values, the simplifier's work budget, limits and errors.
import { all, create, type MathNode } from "mathjs";
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { workSpent } from "../../src/symbolic/algebra.js";
import { MAX_DERIVATIVE_ORDER } from "../../src/symbolic/expr.js";

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

describe("constants and non-finite values in derivatives", () => {
  it.each([
    ["erf(x)", 1, "2 exp(-x^2) / sqrt(pi)"],
    ["erf(x)", 2, "-4x exp(-x^2) / sqrt(pi)"],
    ["sin(pi x)", 2, "-pi^2 sin(pi x)"],
    ["x^2 sqrt(2)", 1, "2 sqrt(2) x"],
    ["exp(x/e)", 1, "exp(x / e) / e"],
    ["sin(0.1x)", 2, "-0.01 sin(0.1x)"],
    ["(1/3) x^2", 1, "(2/3) x"],
    ["1e-300 x^2", 1, "2e-300 x"],
    ["x + asin(x / x)", 1, "1 + NaN / x"],
    ["NaN x^2", 1, "NaN x"],
    ["Infinity x", 1, "Infinity"],
  ])("d^%2$i/dx^%2$i %1$s = %3$s, which reads back to the same values", (f, k, expected) => {
    const d = nb.symbolic.derivative(f, "x", k);
    expect(String(d)).toBe(expected);
    const back = nb.parse(String(d));
    for (const x of [-1.3, 0.4, 2])
      expect(
        Object.is(back.evaluate({ x }), d.evaluate({ x })) || back.evaluate({ x }) === d.evaluate({ x }),
      ).toBe(true);
  });

  it("a recognized constant agrees with autodiff to a few units in the last place", () => {
    const d = nb.symbolic.derivative("erf(x)", "x", 3);
    const ad = nb
      .derivative(
        nb.erf,
        3,
      )(nb.array(0.6, { dtype: "float64" }))
      .item();
    expect(Math.abs(d.evaluate({ x: 0.6 }) - ad)).toBeLessThanOrEqual(1e-14 * Math.abs(ad));
    expect(d.toLatex()).toContain("\\sqrt{\\pi}");
    expect(nb.symbolic.derivative("x + asin(x / x)", "x").toLatex()).toBe("1 + \\frac{\\mathrm{NaN}}{x}");
  });
});

describe("piecewise formulas", () => {
  it("a product with a choice that is zero on one side goes into the other branch", () => {
    expect(String(nb.symbolic.derivative("relu(x)^2", "x"))).toBe("(x <= 0 ? 0 : 2x)");
    // The unused branch (sqrt of a negative number) must not leak NaN into the derivative.
    const d = nb.symbolic.derivative("sqrt(x < 3 ? y : x)", "x", 2);
    expect(String(d)).toBe("(x < 3 ? 0 : -1 / (4x^1.5))");
    expect(d.evaluate({ x: -0.6, y: 2.2 })).toBe(0);
  });

  it("choices under one test add up: x^x stays small", () => {
    const d = nb.symbolic.derivative("x^x", "x", 3);
    expect(d.size).toBeLessThan(120);
    const ad = nb
      .derivative(
        (t: nb.Tensor) => nb.pow(t, t),
        3,
      )(nb.array(1.3, { dtype: "float64" }))
      .item();
    expect(Math.abs(d.evaluate({ x: 1.3 }) - ad)).toBeLessThanOrEqual(1e-12 * Math.abs(ad));
  });
});

describe("the simplifier's work budget", () => {
  const spent = (f: () => unknown) => {
    const before = workSpent();
    f();
    return workSpent() - before;
  };

  it("the seed polynomial and everyday formulas stay far below it", () => {
    expect(spent(() => nb.symbolic.derivative(POLY, "x", 3))).toBeLessThan(20_000);
    expect(spent(() => nb.symbolic.derivative("sin(x) exp(-x^2)", "x", 5))).toBeLessThan(200_000);
  });

  it("exp(exp(exp(x))) to order 8: simplified within the budget, equal to autodiff", () => {
    let d!: nb.Expr;
    expect(spent(() => (d = nb.symbolic.derivative("exp(exp(exp(x)))", "x", 8)))).toBeLessThan(1_000_000);
    expect(d.size).toBeLessThan(200);
    const f = (t: nb.Tensor) => nb.exp(nb.exp(nb.exp(t)));
    const ad = nb
      .derivative(
        f,
        8,
      )(nb.array(0.3, { dtype: "float64" }))
      .item();
    expect(Math.abs(d.evaluate({ x: 0.3 }) - ad)).toBeLessThanOrEqual(1e-12 * Math.abs(ad));
  });

  it("past the budget the formula is less simplified, never wrong, and the work stays bounded", () => {
    // Expanding this product would take 2^20 terms.
    const names = "abcdfghkmnpqrstuvwyz".split("");
    const text = names.map((l, i) => `(${l} + ${names[(i + 1) % 20]})`).join("");
    const point = Object.fromEntries(names.map((l, i) => [l, 0.5 + i / 40]));
    let d!: nb.Expr;
    expect(spent(() => (d = nb.symbolic.derivative(text, "a")))).toBeLessThan(2_500_000);
    const ad = nb.grad((a: nb.Tensor) => nb.parse(text).fn(...names.map((l) => (l === "a" ? a : point[l]!))))(
      nb.array(point.a!, { dtype: "float64" }),
    );
    expect(Math.abs(d.evaluate(point) - ad.item())).toBeLessThanOrEqual(1e-12 * Math.abs(ad.item()));
    expect(nb.parse(String(d)).evaluate(point)).toBe(d.evaluate(point));
  });

  it("results do not depend on what was computed before", () => {
    const first = String(nb.symbolic.derivative("sin(cos(tan(x)))", "x", 2));
    nb.symbolic.derivative("x^5 exp(x) + tan(x) sin(x)", "x", 3);
    expect(String(nb.symbolic.derivative("sin(cos(tan(x)))", "x", 2))).toBe(first);
  });
});

describe("limits and errors", () => {
  it(`orders run from 0 to ${MAX_DERIVATIVE_ORDER}; beyond that the error names the maximum`, () => {
    expect(String(nb.symbolic.derivative("x^2", "x", 0))).toBe("x^2");
    expect(() => nb.symbolic.derivative("x^2", "x", MAX_DERIVATIVE_ORDER + 1)).toThrow(
      /^derivative: order must be an integer from 0 to 10, got 11$/,
    );
    expect(() => nb.symbolic.derivative("x^2", "x", 1.5)).toThrow(nb.ValueError);
    expect(() => nb.symbolic.derivative("x^2", "x", -1)).toThrow(nb.ValueError);
  });

  it("a derivative that grows past the size limit is refused with the order to ask for instead", () => {
    expect(() => nb.symbolic.derivative("exp(exp(exp(exp(exp(x)))))", "x", 10)).toThrow(
      /^derivative: the derivative of order \d already has \d+ nodes, more than the 20000 .*; ask for order \d at most$/,
    );
  });

  it.each<[string, () => unknown, RegExp]>([
    [
      "parse(undefined)",
      () => nb.parse(undefined as unknown as string),
      /^parse: expected a string, got undefined$/,
    ],
    ["parse(1)", () => nb.symbolic.parse(1 as unknown as string), /^parse: expected a string, got number$/],
    [
      "parse with bad options",
      () => nb.parse("x", { variables: "x" as unknown as string[] }),
      /^parse: options.variables must be an array/,
    ],
    [
      "derivative(42)",
      () => nb.symbolic.derivative(42 as unknown as string),
      /^derivative: expected a formula/,
    ],
    [
      "derivative of a constant",
      () => nb.symbolic.derivative("3"),
      /^derivative: the expression 3 has no variables$/,
    ],
    [
      "derivative wrt 5",
      () => nb.symbolic.derivative("x", 5 as unknown as string),
      /^derivative: the variable/,
    ],
    ["derivative wrt y", () => nb.symbolic.derivative("x", "y"), /^derivative: 'y' is not a variable of x/],
    [
      "simplify(null)",
      () => nb.symbolic.simplify(null as unknown as string),
      /^simplify: expected a formula/,
    ],
    ["gradient({})", () => nb.symbolic.gradient({} as unknown as string), /^gradient: expected a formula/],
    ["hessian([])", () => nb.symbolic.hessian([] as unknown as string), /^hessian: expected a formula/],
    [
      "evaluate(null)",
      () => nb.parse("x").evaluate(null as unknown as Record<string, number>),
      /^evaluate: /,
    ],
    [
      "evaluate without x",
      () => nb.parse("x + y").evaluate({ y: 1 }),
      /^evaluate: no number for variable 'x'/,
    ],
    ["fn with too few arguments", () => nb.parse("x y").fn(1), /^expression function: expected 2 argument/],
  ])("%s throws the library's own error, naming the function", (_, f, message) => {
    let error: unknown;
    try {
      f();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(nb.NablaError);
    expect((error as Error).message).toMatch(message);
  });
});
