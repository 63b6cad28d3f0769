// The playground's computations, in Node: derivative curves and values, program graphs, optimizer steps
// (Newton, the cubic-regularization subproblem), contours, Taylor polynomials, the training loop.
import { describe, expect, it } from "vitest";
import {
  cubicModel,
  cubicStep,
  eigSym2,
  newtonStep,
  type Sym2,
  type Vec2,
} from "../../web/src/compute/cubic.js";
import { formulas, pointValues, programPicture, sampleCurves } from "../../web/src/compute/derivatives.js";
import { Objective, type OptPath, PathRunner } from "../../web/src/compute/optimize.js";
import { Trainer } from "../../web/src/compute/training.js";
import { contourSegments, quantileLevels } from "../../web/src/ui/contour.js";
import { checkFormula } from "../../web/src/ui/expr-input.js";
import { evalTaylor, taylorCoefficients, taylorTex } from "../../web/src/ui/taylor.js";

const SEED = { text: "x^4 - 2x^3 + 3x^2 - 4x + 5", wrt: "x", at: {} };
const settings = { lr: 0.1, beta: 0.9, beta2: 0.999, M: 1 };

/** A seeded generator for the randomized checks. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("derivative curves and values", () => {
  it("samples f, f′, f″, f‴ of the seed polynomial exactly", () => {
    const out = [0, 1, 2, 3].map(() => new Float64Array(5));
    sampleCurves(SEED, { from: -1, to: 3, n: 5, i0: 0, i1: 5 }, 3, out);
    expect(Array.from(out[0]!)).toEqual([15, 5, 3, 9, 47]);
    expect(Array.from(out[1]!)).toEqual([-20, -4, 0, 16, 68]);
    expect(Array.from(out[2]!)).toEqual([30, 6, 6, 30, 78]);
    expect(Array.from(out[3]!)).toEqual([-36, -12, 12, 36, 60]);
  });

  it("fills only its slice of a shared grid, leaving gaps where f is undefined", () => {
    const out = [0, 1].map(() => new Float64Array(4).fill(7));
    sampleCurves({ text: "log(x)", wrt: "x", at: {} }, { from: -1, to: 2, n: 4, i0: 0, i1: 2 }, 1, out);
    expect(Number.isNaN(out[0]![0]!)).toBe(true);
    expect(out[0]![2]).toBe(7);
    // log is undefined at x ≤ 0, so are its derivatives there (AD alone would give 1/x = −1 at x = −1).
    expect(Number.isNaN(out[1]![0]!)).toBe(true);
    expect(Number.isNaN(out[1]![1]!)).toBe(true);
  });

  it("gives point values by staged programs that match the formulas, including other variables held fixed", () => {
    expect(pointValues(SEED, 2, 5)).toEqual([9, 16, 30, 36, 24, 0]);
    const v = pointValues({ text: "x^2 y + sin(y)", wrt: "y", at: { x: 3 } }, 0.5, 2);
    expect(v[0]).toBeCloseTo(4.5 + Math.sin(0.5), 12);
    expect(v[1]).toBeCloseTo(9 + Math.cos(0.5), 12);
    expect(v[2]).toBeCloseTo(-Math.sin(0.5), 12);
  });

  it("prints the derivative formulas", () => {
    expect(formulas(SEED, 3).map((f) => f.text)).toEqual([
      "x^4 - 2x^3 + 3x^2 - 4x + 5",
      "4x^3 - 6x^2 + 6x - 4",
      "12x^2 - 12x + 6",
      "24x - 12",
    ]);
    expect(formulas({ text: "7", wrt: "x", at: {} }, 1).map((f) => f.text)).toEqual(["7", "0"]);
  });
});

describe("program graphs", () => {
  it("lays out inputs → equations → output, left to right without overlaps", () => {
    for (const order of [0, 1, 2]) {
      const p = programPicture({ text: "sin(x^2) y", wrt: "x", at: { y: 2 } }, order, 1);
      const L = p.layout!;
      expect(L.nodes.filter((n) => n.kind === "op").length).toBe(p.eqns);
      expect(L.nodes.filter((n) => n.kind === "input").map((n) => n.label)).toEqual(["x", "y"]);
      expect(L.nodes.filter((n) => n.kind === "output").length).toBe(1);
      const byId = new Map(L.nodes.map((n) => [n.id, n]));
      for (const e of L.edges) expect(byId.get(e.to)!.x).toBeGreaterThan(byId.get(e.from)!.x);
      for (const a of L.nodes)
        for (const b of L.nodes) {
          if (a === b || a.layer !== b.layer) continue;
          const overlap = a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap).toBe(false);
        }
      expect(p.text).toContain("lambda");
    }
  });
});

describe("2×2 linear algebra and the cubic subproblem", () => {
  it("diagonalizes symmetric matrices", () => {
    const H = { a: 2, b: 1, d: -3 };
    const { mu, q1, q2 } = eigSym2(H);
    for (const [m, q] of [
      [mu[0], q1],
      [mu[1], q2],
    ] as const) {
      expect(H.a * q[0] + H.b * q[1]).toBeCloseTo(m * q[0], 12);
      expect(H.b * q[0] + H.d * q[1]).toBeCloseTo(m * q[1], 12);
    }
    expect(newtonStep([1, 1], { a: 1, b: 1, d: 1 })).toBeNull();
    expect(newtonStep([2, 4], { a: 2, b: 0, d: 4 })).toEqual([-1, -1]);
  });

  it("finds the global minimizer of the cubic model (checked against a fine search)", () => {
    const r = rng(7);
    for (let t = 0; t < 40; t++) {
      const g: Vec2 = [4 * r() - 2, 4 * r() - 2];
      const H: Sym2 = { a: 6 * r() - 3, b: 4 * r() - 2, d: 6 * r() - 3 };
      const M = 0.5 + 5 * r();
      const { p, lambda } = cubicStep(g, H, M);
      // Optimality: (H + λI)p = −g, λ = (M/2)‖p‖, H + λI ⪰ 0.
      expect(H.a * p[0] + H.b * p[1] + lambda * p[0]).toBeCloseTo(-g[0], 7);
      expect(H.b * p[0] + H.d * p[1] + lambda * p[1]).toBeCloseTo(-g[1], 7);
      expect(lambda).toBeCloseTo((M / 2) * Math.hypot(...p), 7);
      expect(eigSym2(H).mu[0] + lambda).toBeGreaterThanOrEqual(-1e-9);
      const best = cubicModel(g, H, M, p);
      const R = Math.hypot(...p) * 2 + 1;
      let searched = Number.POSITIVE_INFINITY;
      for (let i = -40; i <= 40; i++)
        for (let j = -40; j <= 40; j++)
          searched = Math.min(searched, cubicModel(g, H, M, [(R * i) / 40, (R * j) / 40]));
      expect(best).toBeLessThanOrEqual(searched + 1e-9);
    }
  });

  it("moves along negative curvature at a saddle point (the hard case)", () => {
    const { p, lambda } = cubicStep([0, 0], { a: 2, b: 0, d: -2 }, 1);
    expect(lambda).toBe(2);
    expect(Math.abs(p[1])).toBeCloseTo(4, 12);
    expect(p[0]).toBe(0);
    expect(cubicModel([0, 0], { a: 2, b: 0, d: -2 }, 1, p)).toBeLessThan(0);
  });
});

describe("optimizer paths", () => {
  const run = (f: string, kind: OptPath["method"], start: Vec2, s = settings, n = 200) => {
    const r = new PathRunner(new Objective(f), { kind, ...s }, start, 0);
    r.advance(n, n);
    return r.path;
  };

  it("Newton solves a quadratic in one step; gradient descent and its variants go downhill", () => {
    const newton = run("x^2 + 10y^2", "newton", [2, 1], { ...settings, lr: 1 });
    expect(newton.xs[1]).toBeCloseTo(0, 12);
    expect(newton.ys[1]).toBeCloseTo(0, 12);
    expect(newton.status).toBe("converged");
    for (const kind of ["gd", "momentum", "adam"] as const) {
      const p = run("x^2 + 10y^2", kind, [2, 1], { ...settings, lr: 0.05 });
      expect(p.fs[p.fs.length - 1]!).toBeLessThan(1e-3 * p.fs[0]!);
    }
  });

  it("stops at a saddle with first-order methods and Newton; cubic regularization escapes it", () => {
    const f = "x^4/4 - x^2/2 + y^2";
    const newton = run(f, "newton", [0, 1.4], { ...settings, lr: 1 });
    expect(newton.fs[newton.fs.length - 1]).toBeCloseTo(0, 12);
    const gd = run(f, "gd", [0, 1.4]);
    expect(gd.fs[gd.fs.length - 1]).toBeCloseTo(0, 6);
    const cubic = run(f, "cubic", [0, 1.4], { ...settings, M: 1 });
    expect(cubic.fs[cubic.fs.length - 1]).toBeCloseTo(-0.25, 9);
  });

  it("reports divergence instead of running off to infinity", () => {
    const p = run("x^2 + y^2", "gd", [1, 1], { ...settings, lr: 5 });
    expect(p.status).toBe("diverged");
  });

  it("evaluates the surface on a grid", () => {
    const z = new Objective("x^2 + y").grid([0, 1], [0, 2], 3, 2);
    expect(Array.from(z)).toEqual([0, 0.25, 1, 2, 2.25, 3]);
  });
});

describe("contours and Taylor polynomials", () => {
  it("puts contour segments on the level set", () => {
    const n = 41;
    const z = new Float64Array(n * n);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) z[j * n + i] = Math.hypot(i - 20, j - 20);
    const seg = contourSegments(z, n, n, 10.5);
    expect(seg.length).toBeGreaterThan(40);
    for (let k = 0; k < seg.length; k += 2)
      expect(Math.hypot(seg[k]! - 20, seg[k + 1]! - 20)).toBeCloseTo(10.5, 0);
    const levels = quantileLevels(z, 10);
    expect(levels.every((v, i) => i === 0 || v > levels[i - 1]!)).toBe(true);
  });

  it("builds Taylor polynomials from derivative values", () => {
    const c = taylorCoefficients([1, 1, 1, 1, 1], 4);
    expect(c).toEqual([1, 1, 1 / 2, 1 / 6, 1 / 24]);
    expect(evalTaylor(c, 0, 0.1)).toBeCloseTo(Math.exp(0.1), 6);
    expect(taylorTex([3, -2, 0.5], 1.5)).toBe("3 - 2\\,(x - 1.5) + 0.5\\,(x - 1.5)^{2}");
    expect(taylorTex([0, 1], 0)).toBe("x");
  });
});

describe("formula checks on the page's main thread", () => {
  it("points at the offending character and refuses oversized input", () => {
    expect(checkFormula("x^2 + * 3")).toMatchObject({ ok: false, column: 7 });
    expect(checkFormula("x^2 y")).toEqual({ ok: true, variables: ["x", "y"] });
    expect(checkFormula("x + ".repeat(300) + "x")).toMatchObject({
      ok: false,
      message: expect.stringContaining("too long"),
    });
    expect(checkFormula(`${"(".repeat(250)}x${")".repeat(250)}`)).toMatchObject({ ok: false });
    expect(checkFormula("a b c", 2)).toMatchObject({
      ok: false,
      message: expect.stringContaining("at most 2"),
    });
  });
});

describe("training", () => {
  it("lowers the loss and records one gradient norm per layer", () => {
    const t = new Trainer({
      dataset: "moons",
      points: 100,
      noise: 0.1,
      seed: 3,
      activation: "tanh",
      layers: 2,
      width: 8,
      initScale: 1,
      optimizer: "adam",
      lr: 0.05,
    });
    const first = t.step();
    expect(first.gradNorms.length).toBe(3);
    let last = first;
    for (let i = 0; i < 60; i++) last = t.step();
    expect(last.loss).toBeLessThan(first.loss * 0.7);
    expect(t.accuracy()).toBeGreaterThan(0.8);
    const b = t.boundary(8, 1.5);
    expect(b.length).toBe(64);
    expect(b.every((p) => p >= 0 && p <= 1)).toBe(true);
  });

  it("shows vanishing gradients in a deep sigmoid network", () => {
    const t = new Trainer({
      dataset: "spirals",
      points: 100,
      noise: 0.1,
      seed: 1,
      activation: "sigmoid",
      layers: 6,
      width: 16,
      initScale: 1,
      optimizer: "sgd",
      lr: 0.1,
    });
    const n = t.step().gradNorms;
    expect(n[0]!).toBeLessThan(n[n.length - 1]! / 100);
  });
});
