// nb.numeric: Fornberg weights against known tables, finite differences of every method within their own
// error estimates, gradient / Jacobian / Hessian against AD, the V-shaped error curve, and option errors.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as numeric from "../../src/numeric/index.js";

type Tensor = nb.Tensor;
const EPS = 2 ** -52;

/** |value − exact| ≤ error, with a few ulps of slack for the rounding of the float64 reference itself. */
function expectWithin(r: { value: number; error: number }, exact: number, what: string): void {
  const miss = Math.abs(r.value - exact);
  if (!(miss <= r.error + 4 * EPS * Math.abs(exact)))
    expect.fail(
      `${what}: |${r.value} − ${exact}| = ${miss.toExponential(2)} > error ${r.error.toExponential(2)}`,
    );
}

/** The same, elementwise, for tensor results. */
function expectTensorWithin(r: { value: Tensor; error: Tensor }, exact: Tensor, what: string): void {
  expect(r.value.shape).toEqual(exact.shape);
  const v = r.value.dataSync();
  const e = r.error.dataSync();
  const x = nb.astype(exact, "float64").dataSync();
  x.forEach((want, i) => expectWithin({ value: v[i]!, error: e[i]! }, want, `${what}[${i}]`));
}

const f64 = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });
const ad = (f: (x: Tensor) => Tensor, k: number, x: number): number =>
  (nb.derivative(f, k)(f64(x)) as Tensor).item();

describe("stencils", () => {
  const close = (got: number[], want: number[]) => {
    expect(got.length).toBe(want.length);
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 14));
  };

  it("match the classic tables", () => {
    close(numeric.stencil(1).weights, [-1 / 2, 0, 1 / 2]);
    close(numeric.stencil(2).weights, [1, -2, 1]);
    close(numeric.stencil(1, { accuracy: 4 }).weights, [1 / 12, -2 / 3, 0, 2 / 3, -1 / 12]);
    close(numeric.stencil(2, { accuracy: 4 }).weights, [-1 / 12, 4 / 3, -5 / 2, 4 / 3, -1 / 12]);
    close(numeric.stencil(3).weights, [-1 / 2, 1, 0, -1, 1 / 2]);
    close(numeric.stencil(4).weights, [1, -4, 6, -4, 1]);
    close(numeric.stencil(1, { method: "forward" }).weights, [-1, 1]);
    close(numeric.stencil(1, { method: "forward", accuracy: 2 }).weights, [-3 / 2, 2, -1 / 2]);
    close(numeric.stencil(2, { method: "forward", accuracy: 2 }).weights, [2, -5, 4, -1]);
    close(numeric.stencil(3, { method: "backward" }).weights, [-1, 3, -3, 1]);
    expect(numeric.stencil(3).offsets).toEqual([-2, -1, 0, 1, 2]);
    expect(numeric.stencil(1, { method: "backward" }).offsets).toEqual([-1, 0]);
    expect(numeric.stencil(2, { method: "forward", accuracy: 2 }).offsets).toEqual([0, 1, 2, 3]);
  });

  it("central stencils are exactly (anti)symmetric", () => {
    for (const order of [1, 2, 3, 4, 5])
      for (const accuracy of [2, 4, 6]) {
        const w = numeric.stencil(order, { accuracy }).weights;
        const sign = order % 2 === 0 ? 1 : -1;
        w.forEach((v, i) => expect(v).toBe(sign * w[w.length - 1 - i]! || 0));
      }
  });

  it("differentiate polynomials up to their degree exactly, at any distinct offsets", () => {
    const offsets = [-1.5, -0.25, 0.5, 1, 2.75];
    for (const order of [1, 2, 3]) {
      const w = numeric.fornbergWeights(offsets, order);
      // Σ wᵢ·oᵢʲ = j!·[j = order] for j < 5: the formula is exact on x^j.
      for (let j = 0; j < offsets.length; j++) {
        const got = w.reduce((acc, wi, i) => acc + wi * offsets[i]! ** j, 0);
        expect(got).toBeCloseTo(j === order ? [1, 1, 2, 6][order]! : 0, 11);
      }
    }
  });
});

// x⁴ − 2x³ + 3x² − 4x + 5 and its closed-form derivatives.
const poly = (x: Tensor) =>
  nb.add(
    nb.sub(nb.add(nb.sub(nb.pow(x, 4), nb.mul(2, nb.pow(x, 3))), nb.mul(3, nb.square(x))), nb.mul(4, x)),
    5,
  );
const polyD = [
  (x: number) => x ** 4 - 2 * x ** 3 + 3 * x ** 2 - 4 * x + 5,
  (x: number) => 4 * x ** 3 - 6 * x ** 2 + 6 * x - 4,
  (x: number) => 12 * x ** 2 - 12 * x + 6,
  (x: number) => 24 * x - 12,
  () => 24,
];

const settings: [string, numeric.DiffOptions][] = [
  ["central", {}],
  ["forward", { method: "forward" }],
  ["backward", { method: "backward" }],
  ["central, accuracy 4", { accuracy: 4 }],
  ["central + 1 Richardson level", { richardson: 1 }],
  ["forward + 2 Richardson levels", { method: "forward", richardson: 2 }],
  ["best", { method: "best" }],
  ["step 1e-3", { step: 1e-3 }],
];

describe("derivative: the polynomial bar", () => {
  const points = [-1, 0, 0.5, 2.5, 10, 0.3, -1.7, 3.7];
  for (const [name, opts] of settings)
    it(`${name}: orders 1–4 within their own error estimates`, () => {
      for (const x of points)
        for (const order of [1, 2, 3, 4])
          expectWithin(
            numeric.derivative(poly, x, { ...opts, order }),
            polyD[order]!(x),
            `${name}, order ${order} at ${x}`,
          );
    });

  it("best: errors ≤ 1e-5·max(1, |exact|) for orders 1–4", () => {
    for (const x of points)
      for (const order of [1, 2, 3, 4]) {
        const exact = polyD[order]!(x);
        const r = numeric.best(poly, x, { order });
        expect(r.error).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(exact)));
        expect(r.method).toBe("best");
        expectWithin(r, exact, `best, order ${order} at ${x}`);
      }
  });

  it("central: errors ≤ 1e-5·max(1, |exact|) for orders 1–2", () => {
    for (const x of points)
      for (const order of [1, 2]) {
        const r = numeric.derivative(poly, x, { order });
        expect(r.error).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(polyD[order]!(x))));
      }
  });
});

describe("derivative: honest error estimates on smooth functions", () => {
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const table: [string, (x: Tensor) => Tensor, (x: number, k: number) => number, number[]][] = [
    ["sin", nb.sin, (x, k) => Math.sin(x + (k * Math.PI) / 2), [-1, 0, 0.5, 1, 2.5, 10, -7.3]],
    ["exp", nb.exp, (x) => Math.exp(x), [-1, 0, 0.5, 1, 2.5, 10, -7.3]],
    ["log", nb.log, (x, k) => ((-1) ** (k - 1) * fact(k - 1)) / x ** k, [0.3, 0.5, 1, 2.5, 10, 100]],
    ["atan (AD reference)", nb.atan, (x, k) => ad(nb.atan, k, x), [-2, 0, 0.5, 3]],
    [
      "1/(1+x²) (AD reference)",
      (x) => nb.div(1, nb.add(1, nb.square(x))),
      (x, k) => ad((t) => nb.div(1, nb.add(1, nb.square(t))), k, x),
      [-2, 0, 0.7, 3],
    ],
    [
      "e^(−x/2)·cos 3x (AD reference)",
      (x) => nb.mul(nb.exp(nb.mul(-0.5, x)), nb.cos(nb.mul(3, x))),
      (x, k) => ad((t) => nb.mul(nb.exp(nb.mul(-0.5, t)), nb.cos(nb.mul(3, t))), k, x),
      [-2, 0, 0.5, 3],
    ],
    // (x + 1)² − x² − 2x = 1 cancels terms of size x²: its values are far noisier than ε·|f|.
    [
      "(x+1)² − x² − 2x",
      (x) => nb.sub(nb.sub(nb.square(nb.add(x, 1)), nb.square(x)), nb.mul(2, x)),
      () => 0,
      [3, 100, 12345.6],
    ],
  ];
  for (const [name, opts] of settings)
    it(`${name}: orders 1–4`, () => {
      for (const [fname, f, d, xs] of table)
        for (const x of xs)
          for (const order of [1, 2, 3, 4])
            expectWithin(
              numeric.derivative(f, x, { ...opts, order }),
              d(x, order),
              `${fname}, order ${order} at ${x}`,
            );
    });

  it("best is accurate: relative error ≤ 1e-6 on sin, exp, log for orders 1–2, ≤ 1e-4 for 3–4", () => {
    for (const [, f, d, xs] of table.slice(0, 3))
      for (const x of xs)
        for (const order of [1, 2, 3, 4]) {
          const r = numeric.best(f, x, { order });
          const scale = Math.max(1, Math.abs(d(x, order)));
          expect(Math.abs(r.value - d(x, order)) / scale).toBeLessThanOrEqual(order <= 2 ? 1e-6 : 1e-4);
        }
  });

  it("best survives steps that leave f's domain", () => {
    const r = numeric.best(nb.log, 0.01);
    expectWithin(r, 100, "log'(0.01)");
    expect(r.error).toBeLessThan(1e-6 * 100);
  });

  it("values near the float64 limit: exp at 700 (1e304), where the weighted sums alone would overflow", () => {
    const exact = Math.exp(700);
    for (const method of ["best", "central"] as const) {
      const r = numeric.derivative(nb.exp, 700, { method });
      expectWithin(r, exact, `exp'(700) by ${method}`);
      expect(r.error).toBeLessThan(1e-6 * exact);
    }
  });

  it("gradients and Hessians near the float64 limit stay finite and within their error estimates", () => {
    const f = (x: nb.Tensor) => nb.sum(nb.exp(x));
    const g = numeric.gradient(f, [700, 1]);
    const exact = [Math.exp(700), Math.exp(1)];
    const [v, e] = [g.value.dataSync(), g.error.dataSync()];
    exact.forEach((want, i) => {
      expectWithin({ value: v[i]!, error: e[i]! }, want, `∂f/∂x${i}`);
    });
    const h = numeric.hessian(f, [700, 1]);
    expect(Array.from(h.value.dataSync()).every(Number.isFinite)).toBe(true);
    expectWithin({ value: h.value.dataSync()[0]!, error: h.error.dataSync()[0]! }, exact[0]!, "∂²f/∂x0²");
  });

  it("accepts plain JS functions, functions using Tensor methods, and scalar tensor points", () => {
    expectWithin(
      numeric.derivative((x: number) => Math.sin(x), 1),
      Math.cos(1),
      "Math.sin",
    );
    expectWithin(
      numeric.derivative((x: Tensor) => x.mul(x).mul(x), 2, { order: 2 }),
      12,
      "x.mul(x).mul(x)",
    );
    expectWithin(numeric.derivative(nb.exp, f64(0)), 1, "x as a tensor");
  });

  it("a float32 function gets a float32-sized error estimate", () => {
    const r = numeric.derivative((x: Tensor) => nb.astype(nb.sin(x), "float32"), 1);
    expectWithin(r, Math.cos(1), "float32 sin");
    expect(r.error).toBeGreaterThan(1e-7);
    expect(r.error).toBeLessThan(1e-2);
  });

  it("reports the step it used (a power of two near the automatic choice)", () => {
    const r = numeric.derivative(nb.exp, 0);
    expect(Number.isInteger(Math.log2(r.step))).toBe(true);
    expect(r.step).toBeGreaterThan(1e-6);
    expect(r.step).toBeLessThan(1e-5);
    expect(numeric.derivative(nb.exp, 0, { step: 0.01 }).step).toBe(0.01);
  });
});

describe("gradient, jacobian, hessian against AD", () => {
  const x = f64([0.3, -1.2, 2.5]);
  // Σ sin(x)·e^(0.3x) + Πx: terms of size ~1 cancel to ~0.04.
  const f = (v: Tensor) => nb.add(nb.sum(nb.mul(nb.sin(v), nb.exp(nb.mul(0.3, v)))), nb.prod(v));
  const rosen = (v: Tensor) => {
    const a = nb.take(v, [0, 1]);
    const b = nb.take(v, [1, 2]);
    return nb.sum(nb.add(nb.mul(100, nb.square(nb.sub(b, nb.square(a)))), nb.square(nb.sub(1, a))));
  };
  const g = (v: Tensor) => nb.stack([nb.sum(nb.square(v)), nb.prod(nb.sin(v)), nb.logSumExp(v)]);

  for (const method of ["central", "forward", "best"] as const)
    it(`${method}: values within their error estimates`, () => {
      for (const [name, fn] of [
        ["f", f],
        ["rosenbrock", rosen],
      ] as const) {
        expectTensorWithin(numeric.gradient(fn, x, { method }), nb.grad(fn)(x), `gradient of ${name}`);
        expectTensorWithin(numeric.hessian(fn, x, { method }), nb.hessian(fn)(x), `hessian of ${name}`);
      }
      expectTensorWithin(numeric.jacobian(g, x, { method }), nb.jacfwd(g)(x), "jacobian of g");
    });

  it("best is accurate to ~1e-10 on gradients and ~1e-8 on Hessians", () => {
    const gr = numeric.gradient(f, x, { method: "best" });
    expect(nb.max(gr.error).item()).toBeLessThan(1e-10);
    const h = numeric.hessian(rosen, x, { method: "best" });
    expect(nb.max(nb.div(h.error, nb.maximum(1, nb.abs(h.value)))).item()).toBeLessThan(1e-8);
  });

  it("shapes: gradient like x, jacobian out ++ in, hessian in ++ in, exactly symmetric", () => {
    const X = f64([
      [1, 2],
      [3, 4],
    ]);
    const jac = numeric.jacobian((m: Tensor) => nb.matmul(m, m), X);
    expect(jac.value.shape).toEqual([2, 2, 2, 2]);
    expectTensorWithin(jac, nb.jacfwd((m: Tensor) => nb.matmul(m, m))(X), "jacobian of X·X");
    const gr = numeric.gradient((m: Tensor) => nb.sum(nb.sin(m)), X);
    expect(gr.value.shape).toEqual([2, 2]);
    const h = numeric.hessian(f, x);
    expect(h.value.shape).toEqual([3, 3]);
    expect(h.value.toArray()).toEqual(nb.matrixTranspose(h.value).toArray());
    expect(h.error.toArray()).toEqual(nb.matrixTranspose(h.error).toArray());
    expect(numeric.gradient((v: Tensor) => nb.sum(nb.mul(v, v)), [1, 2, 3]).value.dtype).toBe("float64");
  });
});

describe("errorCurve", () => {
  const c = numeric.errorCurve(nb.exp, 1);
  const min = (es: number[]) => Math.min(...es);

  it("sweeps 45 steps from 1e-1 to 1e-12 against the AD value", () => {
    expect(c.steps.length).toBe(45);
    expect(c.steps[0]).toBeCloseTo(0.1, 15);
    expect(c.steps[44]).toBeCloseTo(1e-12, 25);
    expect(c.exact).toBeCloseTo(Math.E, 14);
    for (const m of ["forward", "backward", "central", "richardson"] as const)
      expect(c.errors[m].length).toBe(45);
  });

  it("is V-shaped: truncation on the right, round-off on the left", () => {
    for (const m of ["forward", "backward", "central"] as const) {
      const es = c.errors[m];
      expect(es[0]!).toBeGreaterThan(100 * min(es));
      expect(es[44]!).toBeGreaterThan(100 * min(es));
      expect(c.optimal[m].error).toBe(min(es));
    }
    // Richardson removes truncation error: its curve is flat down to round-off at large steps.
    expect(c.errors.richardson[44]!).toBeGreaterThan(100 * min(c.errors.richardson));
    expect(min(c.errors.richardson)).toBeLessThan(min(c.errors.central));
  });

  it("puts the optimal steps where ε^(1/(k+q)) says: ~1e-8 forward, ~1e-5 central", () => {
    expect(c.optimal.forward.step).toBeGreaterThan(1e-9);
    expect(c.optimal.forward.step).toBeLessThan(1e-7);
    expect(c.optimal.central.step).toBeGreaterThan(1e-7);
    expect(c.optimal.central.step).toBeLessThan(1e-4);
    expect(c.optimal.central.step).toBeGreaterThan(c.optimal.forward.step);
    expect(c.optimal.richardson.step).toBeGreaterThan(c.optimal.central.step);
  });

  it("works for higher orders and plain functions given the exact value", () => {
    const c2 = numeric.errorCurve(nb.sin, 0.5, { order: 2, steps: [1e-1, 1e-2, 1e-3, 1e-4, 1e-6] });
    expect(c2.exact).toBeCloseTo(-Math.sin(0.5), 14);
    expect(c2.errors.central[2]!).toBeLessThan(c2.errors.central[0]!);
    expect(c2.errors.central[4]!).toBeGreaterThan(c2.errors.central[2]!);
    const c3 = numeric.errorCurve((x: number) => Math.exp(x), 0, { exact: 1 });
    expect(c3.optimal.central.error).toBeLessThan(1e-9);
    expect(() => numeric.errorCurve((x: number) => Math.exp(x), 0)).toThrow(/pass \{ exact \}/);
  });
});

describe("errors for bad options", () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      "order 0",
      () => numeric.derivative(nb.sin, 1, { order: 0 }),
      /numeric\.derivative: order must be a positive integer, got 0/,
    ],
    ["order 1.5", () => numeric.derivative(nb.sin, 1, { order: 1.5 }), /order must be a positive integer/],
    ["x NaN", () => numeric.derivative(nb.sin, Number.NaN), /numeric\.derivative: x must be a finite number/],
    ["x Infinity", () => numeric.best(nb.sin, Number.POSITIVE_INFINITY), /x must be a finite number/],
    [
      "unknown method",
      () => numeric.derivative(nb.sin, 1, { method: "sideways" as "central" }),
      /numeric\.derivative: unknown method "sideways"/,
    ],
    [
      "step 0",
      () => numeric.derivative(nb.sin, 1, { step: 0 }),
      /numeric\.derivative: step must be a finite positive number, got 0/,
    ],
    ["step −1", () => numeric.gradient(nb.sum, [1, 2], { step: -1 }), /numeric\.gradient: step must be/],
    [
      "richardson −1",
      () => numeric.derivative(nb.sin, 1, { richardson: -1 }),
      /richardson must be an integer/,
    ],
    [
      "odd central accuracy",
      () => numeric.stencil(1, { accuracy: 3 }),
      /numeric\.stencil: accuracy must be a positive even integer/,
    ],
    ["duplicate offsets", () => numeric.fornbergWeights([0, 1, 1], 1), /offsets must be distinct/],
    ["too few offsets", () => numeric.fornbergWeights([0, 1], 2), /needs at least 3 points/],
    [
      "non-scalar f",
      () => numeric.derivative((x: Tensor) => nb.stack([x, x]), 1),
      /numeric\.derivative: f must return a scalar/,
    ],
    [
      "non-scalar gradient",
      () => numeric.gradient((x: Tensor) => x, [1, 2]),
      /numeric\.gradient: f must return a scalar/,
    ],
    [
      "non-scalar hessian",
      () => numeric.hessian((x: Tensor) => x, [1, 2]),
      /numeric\.hessian: f must return a scalar/,
    ],
    [
      "int output",
      () => numeric.derivative(() => nb.array([1], { dtype: "int32" }), 1),
      /need a float output/,
    ],
    [
      "errorCurve order",
      () => numeric.errorCurve(nb.sin, 1, { order: -2 }),
      /numeric\.errorCurve: order must be/,
    ],
    [
      "errorCurve steps",
      () => numeric.errorCurve(nb.sin, 1, { steps: [0.1, 0] }),
      /steps must be a non-empty list/,
    ],
  ];
  for (const [name, run, message] of cases)
    it(name, () => {
      expect(run).toThrow(nb.NablaError);
      expect(run).toThrow(message);
    });
});
