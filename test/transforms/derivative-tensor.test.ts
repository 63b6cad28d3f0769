// k-th derivative tensors: the distinct-entry ("symmetric") method, forward and reverse nesting and the
// automatic choice between them must all give the same tensor; the choice follows the staged arithmetic.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { makeRng } from "../../src/numeric/rng.js";
import * as api from "../../src/transforms/api.js";
import {
  cheapest,
  programCost,
  sortedTuples,
  symmetricDerivative,
  symmetricIndex,
} from "../../src/transforms/derivative-tensor.js";
import { jacrev } from "../../src/transforms/jacobians.js";
import { expectClose, expectTreeClose } from "../util/close.js";

type Tensor = nb.Tensor;
const f64 = (data: nb.TensorLike) => nb.array(data, { dtype: "float64" });
function randn(shape: number[], seed: number): Tensor {
  const rng = makeRng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return nb.reshape(f64(Float64Array.from({ length: n }, () => rng.normal())), shape);
}
const TOL = { atol: 1e-11, rtol: 1e-11 };
const transforms = { jacrev, jvp: api.jvp, vmap: api.vmap, makeProgram: api.makeProgram };
const binomial = (n: number, k: number) => {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
};

describe("sorted index tuples", () => {
  it("enumerates C(n+d−1, d) nondecreasing tuples in lexicographic order", () => {
    for (const [n, d] of [
      [1, 3],
      [4, 1],
      [4, 2],
      [5, 3],
      [3, 4],
    ] as const) {
      const rows = sortedTuples(n, d);
      expect(rows.length).toBe(binomial(n + d - 1, d));
      for (const r of rows) for (let l = 1; l < d; l++) expect(r[l]!).toBeGreaterThanOrEqual(r[l - 1]!);
      const keys = rows.map((r) => r.join(","));
      expect([...keys].sort()).toEqual(keys);
    }
  });

  it("maps every permutation of a tuple to the row of its sorted version", () => {
    const n = 4;
    const d = 3;
    const rows = sortedTuples(n, d).map((r) => r.join(","));
    const index = symmetricIndex(n, d);
    for (let f = 0; f < n ** d; f++) {
      const t = [Math.floor(f / 16), Math.floor(f / 4) % 4, f % 4];
      expect(rows[index[f]!]).toBe([...t].sort((a, b) => a - b).join(","));
    }
  });
});

const A = randn([3, 4], 1);
const cases: [string, (x: Tensor) => unknown, Tensor][] = [
  ["Σ tanh(A sin x), R⁴ → R", (x) => nb.sum(nb.tanh(nb.matmul(A, nb.sin(x)))), randn([4], 2)],
  ["exp(A x) · x₀, R⁴ → R³", (x) => nb.mul(nb.exp(nb.matmul(A, x)), nb.slice(x, [0], [1])), randn([4], 3)],
  ["a matrix argument, R^{2×2} → R", (x) => nb.sum(nb.pow(nb.matmul(x, x), 3)), randn([2, 2], 4)],
  ["a pytree output", (x) => ({ s: nb.sum(nb.cos(x)), v: nb.mul(x, nb.sum(nb.square(x))) }), randn([3], 5)],
];

describe("derivative methods agree", () => {
  for (const [name, f, x] of cases)
    it(`${name}: symmetric = forward = reverse = auto, orders 1–4`, () => {
      for (const k of [1, 2, 3, 4]) {
        const ref = nb.derivative(f, k, { method: "reverse" })(x);
        for (const method of ["forward", "symmetric", "auto"] as const)
          expectTreeClose(nb.derivative(f, k, { method })(x), ref, TOL);
      }
    });

  it("the symmetric tensor is exactly symmetric and has the nested shape", () => {
    const f = cases[0]![1];
    const t = nb.derivative(f, 3, { method: "symmetric" })(randn([4], 7)) as Tensor;
    // every permutation of (i, j, l) reads the same element
    expect(t.shape).toEqual([4, 4, 4]);
    const d = t.dataSync();
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++)
        for (let l = 0; l < 4; l++) {
          const v = d[i * 16 + j * 4 + l];
          for (const [a, b, c] of [
            [i, l, j],
            [j, i, l],
            [j, l, i],
            [l, i, j],
            [l, j, i],
          ] as const)
            expect(d[a * 16 + b * 4 + c]).toBe(v);
        }
  });

  it("a second argument (argnums 1) with the first held fixed", () => {
    const g = (w: Tensor, x: Tensor) => nb.sum(nb.tanh(nb.mul(w, x)));
    const w = randn([3], 8);
    const x = randn([3], 9);
    const ref = nb.derivative(g, 3, { argnums: 1, method: "reverse" })(w, x);
    expectClose(nb.derivative(g, 3, { argnums: 1, method: "symmetric" })(w, x), ref, TOL);
  });

  it("under jit, vmap and grad", () => {
    const f = (x: Tensor) => nb.sum(nb.sin(nb.mul(x, nb.sum(x))));
    const x = randn([3], 10);
    const sym = nb.derivative(f, 3, { method: "symmetric" });
    const ref = nb.derivative(f, 3, { method: "reverse" });
    expectClose(nb.jit(sym)(x), ref(x), TOL);
    const xs = randn([2, 3], 11);
    expectClose(nb.vmap(sym)(xs), nb.vmap(ref)(xs), TOL);
    // d/dx of Σ T: the fourth derivative contracted with ones
    const total = (h: typeof sym) => (v: Tensor) => nb.sum(h(v) as Tensor);
    expectClose(nb.grad(total(sym))(x), nb.grad(total(ref))(x), TOL);
  });

  it("float32 stays close to the float64 tensor", () => {
    const f = cases[0]![1];
    const x = randn([4], 12);
    const t32 = nb.derivative(f, 3, { method: "symmetric" })(nb.array(x.dataSync(), { dtype: "float32" }));
    expectClose(t32, nb.derivative(f, 3, { method: "reverse" })(x), { atol: 1e-5, rtol: 1e-4 });
  });
});

describe("choosing the method", () => {
  it("programCost counts the multiply–adds of a product and one per element otherwise", () => {
    const p = api.makeProgram((a: Tensor, b: Tensor) => nb.exp(nb.matmul(a, b)))(
      randn([2, 3], 1),
      randn([3, 5], 2),
    );
    expect(programCost(p)).toBe(2 * 2 * 5 * 3 + 2 * 5);
  });

  it("forward mode for a function with few inputs and many outputs, reverse for the opposite", () => {
    // The weights are arguments, so tracing cannot fold products with the one-hot directions away.
    const wide = (x: Tensor, w: Tensor) => nb.sum(nb.tanh(nb.matmul(w, x)));
    const tall = (x: Tensor, w: Tensor) => nb.tanh(nb.matmul(w, x));
    const [rw, fw] = [nb.jacrev(wide), nb.jacfwd(wide)];
    expect(cheapest([fw, rw], api.makeProgram)([randn([40], 5), randn([40, 40], 3)])).toBe(rw);
    const [rt, ft] = [nb.jacrev(tall), nb.jacfwd(tall)];
    expect(cheapest([rt, ft], api.makeProgram)([randn([2], 6), randn([40, 2], 4)])).toBe(ft);
  });

  it("the distinct entries at the fifth order, the nested Jacobians at the third", () => {
    const f = (x: Tensor) => nb.sum(nb.tanh(nb.matmul(randn([8, 8], 7), nb.sin(x))));
    const x = randn([8], 8);
    for (const [k, expected] of [
      [3, "reverse"],
      [5, "symmetric"],
    ] as const) {
      const reverse = nb.derivative(f, k, { method: "reverse" });
      const symmetric = symmetricDerivative(f, k, 0, transforms);
      const chosen = cheapest([reverse, symmetric], api.makeProgram)([x]);
      expect(chosen === symmetric ? "symmetric" : "reverse").toBe(expected);
    }
  });

  it("a candidate that cannot be traced drops out (forward mode through a custom VJP)", () => {
    const cube = nb.customVjp(
      (x: Tensor) => nb.mul(x, nb.mul(x, x)),
      (x: unknown) => [nb.mul(x as Tensor, nb.mul(x as Tensor, x as Tensor)), x],
      (x: unknown, ct: Tensor) => [nb.mul(ct, nb.mul(3, nb.square(x as Tensor)))],
    );
    const f = (x: Tensor) => nb.sum(cube(x));
    const x = f64([1, 2, 3]);
    expectClose(nb.derivative(f, 1)(x), f64([3, 12, 27]), TOL);
  });
});

describe("derivative options are checked", () => {
  it("an unknown method", () => {
    expect(() => nb.derivative(nb.sin, 2, { method: "fastest" as never })).toThrow(
      /derivative: method must be one of auto, reverse, forward, symmetric; got fastest/,
    );
  });

  it("symmetric needs one tensor argument", () => {
    expect(() => nb.derivative(nb.sin, 2, { method: "symmetric", argnums: [0] })).toThrow(
      /needs a single argument/,
    );
    const g = (p: { a: Tensor; b: Tensor }) => nb.sum(nb.mul(p.a, p.b));
    expect(() => nb.derivative(g, 3, { method: "symmetric" })({ a: f64([1]), b: f64([2]) })).toThrow(
      /one tensor, not a pytree/,
    );
  });
});
