// Examples: Taylor mode — derivatives of any order in one pass.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("Taylor mode", () => {
  it("nb.jet propagates a Taylor series: [f(x), [f′, f″, f‴, f⁗]]", () => {
    const [y, [d1, d2, d3, d4]] = nb.jet(nb.exp, [0], [[1, 0, 0, 0]]) as [nb.Tensor, nb.Tensor[]];
    expect([y.item(), d1!.item(), d2!.item(), d3!.item(), d4!.item()]).toEqual([1, 1, 1, 1, 1]);
  });

  it("nb.taylorDerivatives and nb.taylorDerivative give k-th derivatives of scalar functions", () => {
    const poly = (x: nb.Tensor) => x.pow(4).sub(x.pow(3).mul(2)).add(x.pow(2).mul(3)).sub(x.mul(4)).add(5);
    const ds = (nb.taylorDerivatives(poly, 2.5, 4) as nb.Tensor[]).map((t) => t.item());
    expect(ds).toEqual([21.5625, 36, 51, 48, 24]);
    const opts: nb.TaylorDerivativeOptions = { argnums: 0 };
    expect(nb.taylorDerivative(poly, 3, opts)(2.5).item()).toBe(48);
    expect(nb.derivative(poly, 4)(2.5).item()).toBe(24);
  });

  it("nb.elementwiseDerivatives differentiates an elementwise function at many points at once", () => {
    const x = nb.linspace(-1, 1, 5, { dtype: "float64" });
    const terms = nb.elementwiseDerivatives(nb.sin, x, 2) as nb.Tensor[];
    expect(terms[2]!.toArray()).toEqual(nb.neg(nb.sin(x)).toArray());
  });
});
