// minimize: every method on Rosenbrock, Beale and a quadratic; saddle escape; Halley's order; L-BFGS against
// references; pytrees, the CG solver, staging fallback, history and error messages.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { type MethodName, type MinimizeOptions, minimize } from "../../src/minimize/index.js";
import { cholesky, choleskySolve } from "../../src/minimize/linalg.js";

type Tensor = nb.Tensor;
const f64 = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });
const at = (p: Tensor, i: number) => nb.take(p, i);

const rosenbrock = (p: Tensor) =>
  nb.add(nb.square(nb.sub(1, at(p, 0))), nb.mul(100, nb.square(nb.sub(at(p, 1), nb.square(at(p, 0))))));
const beale = (p: Tensor) => {
  const [x, y] = [at(p, 0), at(p, 1)];
  const term = (c: number, k: number) => nb.square(nb.add(nb.sub(c, x), nb.mul(x, nb.pow(y, k))));
  return nb.add(nb.add(term(1.5, 1), term(2.25, 2)), term(2.625, 3));
};
const A = f64([
  [4, 1, 0.5],
  [1, 3, -0.2],
  [0.5, -0.2, 2],
]);
const b = f64([1, -2, 0.5]);
const quadratic = (x: Tensor) => nb.sub(nb.mul(0.5, nb.dot(x, nb.matmul(A, x))), nb.dot(b, x));
/** A⁻¹b by Cholesky: the quadratic's minimizer. */
const quadraticMin = Array.from(
  choleskySolve(cholesky(Float64Array.from(A.dataSync()), 3)!, Float64Array.of(1, -2, 0.5)),
);

const xs = (r: { x: unknown }) => (r.x as Tensor).toArray() as number[];

// One row per method: the options that make the first-order ones reach a (looser) tolerance in time.
const ROWS: [MethodName, MinimizeOptions, MinimizeOptions, MinimizeOptions][] = [
  ["newton", {}, {}, {}],
  ["cubic", {}, {}, {}],
  ["halley", {}, {}, {}],
  ["lbfgs", {}, {}, {}],
  [
    "gd",
    { learningRate: 1.9e-3, tol: 1e-5 },
    { learningRate: 2e-2, tol: 1e-5 },
    { learningRate: 0.2, tol: 1e-8 },
  ],
  ["momentum", {}, { learningRate: 3e-3 }, { learningRate: 0.05, tol: 1e-8 }],
  ["adam", {}, {}, { learningRate: 0.05, tol: 1e-8 }],
];

describe("minimize: every method converges", () => {
  it.each(ROWS)(
    "%s on Rosenbrock from (−1.2, 1), Beale from (1, 1) and a convex quadratic",
    (method, ro, be, qu) => {
      const r = minimize(rosenbrock, f64([-1.2, 1]), { method, ...ro });
      expect(r.converged, `Rosenbrock: ${r.reason} after ${r.iterations}`).toBe(true);
      const xTol = ro.tol ? 1e-2 : 1e-6;
      xs(r).forEach((v) => expect(Math.abs(v - 1)).toBeLessThan(xTol));
      const s = minimize(beale, f64([1, 1]), { method, ...be });
      expect(s.converged, `Beale: ${s.reason} after ${s.iterations}`).toBe(true);
      expect(Math.abs(xs(s)[0] - 3) + Math.abs(xs(s)[1] - 0.5)).toBeLessThan(be.tol ? 1e-2 : 1e-6);
      const q = minimize(quadratic, nb.zeros([3]), { method, ...qu });
      expect(q.converged, `quadratic: ${q.reason}`).toBe(true);
      xs(q).forEach((v, i) => expect(Math.abs(v - quadraticMin[i])).toBeLessThan(1e-6));
    },
  );

  it("Newton and Halley solve a convex quadratic in one step", () => {
    for (const method of ["newton", "halley"] as const) {
      const r = minimize(quadratic, nb.zeros([3]), { method });
      expect(r.iterations).toBe(1);
      xs(r).forEach((v, i) => expect(v).toBeCloseTo(quadraticMin[i], 12));
    }
  });

  it("second-order methods need orders of magnitude fewer iterations than Adam on Rosenbrock", () => {
    const adam = minimize(rosenbrock, f64([-1.2, 1]), { method: "adam" }).iterations;
    for (const method of ["newton", "cubic", "halley"] as const) {
      const r = minimize(rosenbrock, f64([-1.2, 1]), { method });
      expect(r.iterations * 100, method).toBeLessThan(adam);
    }
  });
});

describe("minimize: saddle points", () => {
  // f = x²/2 + y⁴/4 − y²/2: a saddle at the origin, minima f = −¼ at (0, ±1). From (1, 0) the gradient
  // has no y component, so any method that follows gradients and positive curvature stays on y = 0.
  const saddle = (p: Tensor) =>
    nb.add(
      nb.mul(0.5, nb.square(at(p, 0))),
      nb.sub(nb.mul(0.25, nb.pow(at(p, 1), 4)), nb.mul(0.5, nb.square(at(p, 1)))),
    );

  it("Newton converges to the saddle; cubic regularization escapes to a minimum", () => {
    const newton = minimize(saddle, f64([1, 0]), { method: "newton" });
    expect(newton.value).toBeCloseTo(0, 12);
    expect(Math.abs(xs(newton)[1])).toBe(0);
    const cubic = minimize(saddle, f64([1, 0]), { method: "cubic" });
    expect(cubic.converged).toBe(true);
    expect(cubic.value).toBeCloseTo(-0.25, 12);
    expect(Math.abs(xs(cubic)[1])).toBeCloseTo(1, 8);
    expect(cubic.history.some((h) => h.info?.hardCase === 1)).toBe(true);
  });

  it("cubic regularization leaves a saddle with zero gradient (the hard case), Newton stops there", () => {
    expect(minimize(saddle, f64([0, 0]), { method: "newton" }).iterations).toBe(0);
    const r = minimize(saddle, f64([0, 0]), { method: "cubic" });
    expect(r.iterations).toBeGreaterThan(0);
    expect(r.value).toBeCloseTo(-0.25, 12);
  });
});

describe("minimize: rates and references", () => {
  it("Halley converges cubically in 1-D (f = eˣ − 2x, minimum at ln 2) and in fewer steps than Newton", () => {
    const f = (x: Tensor) => nb.sub(nb.exp(x), nb.mul(2, x));
    const errors = (method: MethodName) =>
      minimize(f, 2, { method, tol: 1e-14 }).history.map((h) => Math.abs(h.x![0] - Math.LN2));
    const halley = errors("halley");
    const newton = errors("newton");
    expect(halley.length).toBeLessThan(newton.length);
    // e_{k+1} ≈ C e_k³ with C = g″²/(4g′²) − g‴/(6g′) = 1/12 for g = f′ (Newton: e_{k+1} ≈ ½ e_k²).
    for (let k = 0; k + 1 < halley.length; k++)
      if (halley[k] < 0.5 && halley[k + 1] > 1e-15) expect(halley[k + 1]).toBeLessThan(halley[k] ** 3);
    const orders = halley
      .slice(0, -1)
      .map((e, k) => Math.log(halley[k + 1]) / Math.log(e))
      .filter((o, k) => halley[k] < 0.2 && halley[k + 1] > 1e-14 && Number.isFinite(o));
    expect(orders.length).toBeGreaterThan(0);
    orders.forEach((o) => expect(o).toBeGreaterThan(2.6));
  });

  it("L-BFGS matches the minimum of the 10-D extended Rosenbrock function and a Newton reference", () => {
    const ext = (x: Tensor) => {
      const odd = nb.slice(x, [0], [9]);
      const even = nb.slice(x, [1], [9]);
      return nb.sum(nb.add(nb.square(nb.sub(1, odd)), nb.mul(100, nb.square(nb.sub(even, nb.square(odd))))));
    };
    const r = minimize(ext, f64(Array.from({ length: 10 }, (_, i) => (i % 2 ? 1 : -1.2))), {
      method: "lbfgs",
    });
    expect(r.converged).toBe(true);
    xs(r).forEach((v) => expect(v).toBeCloseTo(1, 6));
    // L2-regularized logistic regression on fixed data: the Newton solution to 1e-13 is the reference.
    const [k1, k2] = nb.random.split(nb.random.key(3));
    const X = nb.random.normal(k1, [40, 4], { dtype: "float64" });
    const y = nb.astype(nb.random.bernoulli(k2, 0.5, [40]), "float64");
    const loss = (w: Tensor) => {
      const z = nb.matmul(X, w);
      return nb.add(nb.mean(nb.sub(nb.softplus(z), nb.mul(y, z))), nb.mul(0.01, nb.sum(nb.square(w))));
    };
    const ref = minimize(loss, nb.zeros([4]), { method: "newton", tol: 1e-13 });
    const l = minimize(loss, nb.zeros([4]), { method: "lbfgs", tol: 1e-10 });
    const armijo = minimize(loss, nb.zeros([4]), {
      method: "lbfgs",
      lineSearch: "armijo",
      memory: 3,
      tol: 1e-10,
    });
    for (const got of [l, armijo]) xs(got).forEach((v, i) => expect(v).toBeCloseTo(xs(ref)[i], 8));
  });
});

describe("minimize: inputs, solvers and history", () => {
  it("takes a pytree x0 and returns float64 tensors of the same structure", () => {
    const f = (p: { w: Tensor; b: Tensor }) =>
      nb.add(
        nb.sum(
          nb.square(
            nb.sub(
              p.w,
              f64([
                [1, 2],
                [3, 4],
              ]),
            ),
          ),
        ),
        nb.square(nb.add(p.b, 1)),
      );
    const x0 = { w: nb.zeros([2, 2]), b: nb.array(0) };
    for (const method of ["newton", "cubic", "lbfgs"] as const) {
      const r = minimize(f, x0, { method, tol: 1e-12 });
      expect(r.x.w.dtype).toBe("float64");
      expect(r.x.w.toArray()).toEqual([
        [expect.closeTo(1, 8), expect.closeTo(2, 8)],
        [expect.closeTo(3, 8), expect.closeTo(4, 8)],
      ]);
      expect(r.x.b.shape).toEqual([]);
      expect(r.x.b.item()).toBeCloseTo(-1, 8);
    }
  });

  it("the CG solver (HVPs only) agrees with the dense one on a 40-D problem", () => {
    const c = f64(Array.from({ length: 40 }, (_, i) => Math.sin(i)));
    const f = (x: Tensor) =>
      nb.add(nb.sum(nb.softplus(nb.mul(x, c))), nb.mul(0.5, nb.sum(nb.square(nb.sub(x, 1)))));
    const dense = minimize(f, nb.zeros([40]), { method: "newton" });
    for (const method of ["newton", "cubic", "halley"] as const) {
      const r = minimize(f, nb.zeros([40]), { method, solver: "cg" });
      expect(r.converged, method).toBe(true);
      expect(r.evaluations.hessian).toBe(0);
      xs(r).forEach((v, i) => expect(v).toBeCloseTo(xs(dense)[i], 7));
    }
  });

  it("runs functions that read values (no staging possible) eagerly", () => {
    const f = (x: Tensor) =>
      nb.greater(x.sum(), 0).item() ? nb.sum(nb.square(nb.sub(x, 2))) : nb.sum(nb.square(x));
    const r = minimize(f, f64([1, 1]), { method: "newton" });
    expect(xs(r)).toEqual([expect.closeTo(2, 10), expect.closeTo(2, 10)]);
  });

  it("records one history entry per iteration, starting at x0", () => {
    const r = minimize(rosenbrock, f64([-1.2, 1]), { method: "newton" });
    expect(r.history).toHaveLength(r.iterations + 1);
    expect(Array.from(r.history[0].x!)).toEqual([-1.2, 1]);
    expect(r.history[0].step).toBe(0);
    expect(r.history.at(-1)!.gradNorm).toBe(r.gradNorm);
    r.history.slice(1).forEach((h, i) => {
      expect(h.value).toBeLessThanOrEqual(r.history[i].value);
      expect(h.time).toBeGreaterThanOrEqual(r.history[i].time);
    });
    expect(minimize(rosenbrock, f64([-1.2, 1]), { recordX: false }).history[0].x).toBeUndefined();
  });

  it("stops when the callback says so, and after maxIter", () => {
    const r = minimize(rosenbrock, f64([-1.2, 1]), { method: "gd", callback: (h) => h.iteration >= 5 });
    expect([r.iterations, r.reason, r.converged]).toEqual([5, "callback", false]);
    const m = minimize(rosenbrock, f64([-1.2, 1]), { method: "adam", maxIter: 7 });
    expect([m.iterations, m.reason]).toEqual([7, "maxIter"]);
  });
});

describe("minimize: errors", () => {
  const sq = (x: Tensor) => nb.sum(nb.square(x));
  it("names the bad method and lists the valid ones", () => {
    expect(() => minimize(sq, f64([1]), { method: "bfgs" as MethodName })).toThrow(
      'minimize: unknown method "bfgs"; valid methods are newton, cubic, halley, lbfgs, gd, momentum, adam',
    );
  });
  it("names bad and unknown options", () => {
    expect(() => minimize(sq, f64([1]), { tol: -1 })).toThrow(
      "minimize: option tol must be a positive number, got -1",
    );
    expect(() => minimize(sq, f64([1]), { maxIters: 3 } as MinimizeOptions)).toThrow(
      /unknown option "maxIters"/,
    );
    expect(() => minimize(sq, f64([1]), { method: "adam", beta1: 1 })).toThrow(
      /option beta1 must be a number in \[0, 1\)/,
    );
  });
  it("rejects an f that is not scalar", () => {
    expect(() => minimize((x: Tensor) => nb.square(x), f64([1, 2]))).toThrow(
      /minimize: f must return a scalar, got shape \[2\]/,
    );
  });
  it("reports a NaN value with its iteration", () => {
    const f = (x: Tensor) => nb.sub(nb.sum(x), nb.sum(nb.log(x)));
    expect(() => minimize(f, f64([2]), { method: "gd", learningRate: 10 })).toThrow(
      /minimize: f is NaN at iteration 1 \(method gd\).*smaller learningRate/,
    );
    expect(() => minimize(f, f64([-1]))).toThrow("minimize: f(x0) is NaN");
  });
});
