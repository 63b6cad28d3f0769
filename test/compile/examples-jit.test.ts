// Examples: compiling with nb.jit, and choosing the backend.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("nb.jit", () => {
  it("compiles a function once per input signature and runs it fast", () => {
    const f = (x: nb.Tensor) => nb.sum(nb.mul(nb.tanh(x), nb.exp(nb.neg(nb.square(x)))));
    const g: nb.Jitted<typeof f> = nb.jit(nb.grad(f));
    const x = nb.linspace(-2, 2, 1000, { dtype: "float64" });
    const want = nb.grad(f)(x).toArray() as number[];
    const got = g(x).toArray() as number[];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 12));
    g(x);
    const stats: nb.JitStats = g.stats;
    expect(stats.misses).toBe(1);
    expect(stats.hits).toBe(1);
  });
});

describe("backends", () => {
  it("can switch to the reference backend, the executable specification", () => {
    const before = nb.getBackend().name;
    nb.setBackend("reference");
    expect(nb.getBackend().name).toBe("reference");
    expect(nb.add([1, 2], 1).toArray()).toEqual([2, 3]);
    nb.setBackend(before);
  });
});
