// Examples: minimizing with curvature (nb.optim.minimize) and looking at curvature (nb.analysis).
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

const rosenbrock = (p: nb.Tensor) => {
  const [x, y] = nb.split(p, 2).map((t) => t.reshape([]));
  return nb.add(nb.square(nb.sub(1, x!)), nb.mul(100, nb.square(nb.sub(y!, nb.square(x!)))));
};

describe("nb.optim.minimize", () => {
  it("Newton and cubic regularization solve Rosenbrock in far fewer steps than Adam", () => {
    const x0 = nb.array([-1.2, 1], { dtype: "float64" });
    const newton = nb.optim.minimize(rosenbrock, x0, { method: "newton" });
    const cubic = nb.optim.minimize(rosenbrock, x0, { method: "cubic" });
    const adam = nb.optim.minimize(rosenbrock, x0, { method: "adam", maxIter: 20000 });
    expect(newton.converged && cubic.converged).toBe(true);
    expect((newton.x as nb.Tensor).toArray()).toEqual([expect.closeTo(1, 6), expect.closeTo(1, 6)]);
    expect(newton.iterations * 50).toBeLessThan(adam.iterations);
    expect(cubic.iterations * 50).toBeLessThan(adam.iterations);
  });
});

describe("nb.analysis", () => {
  it("finds the top Hessian eigenvalue by Lanczos and contracts the third derivative", () => {
    const x = nb.array([1, 1], { dtype: "float64" });
    const top = nb.analysis.lanczos(rosenbrock, x, { k: 1, iterations: 2 });
    expect(top.eigenvalues[0]).toBeCloseTo(1001.6, 0);
    const u = nb.array([1, 0], { dtype: "float64" });
    const T = nb.analysis.thirdOrder(rosenbrock, x, u, u, u);
    expect(T).toBeCloseTo(2400, 8); // ∂³f/∂x³ = 2400x
  });
});
