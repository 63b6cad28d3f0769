// Composition identities: different routes to the same derivative must agree (jacfwd = jacrev, symmetric
// Hessians, grad∘grad = jacfwd∘grad, ...), and closed forms are reproduced exactly where they can be.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { makeRng } from "../../src/numeric/rng.js";
import { expectClose, expectTreeClose, stackRaw } from "../util/close.js";

type Tensor = nb.Tensor;
type Params = { w: Tensor; b: Tensor };

const f64 = (data: nb.TensorLike) => nb.array(data, { dtype: "float64" });

function randn(shape: number[], seed: number): Tensor {
  const rng = makeRng(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return nb.reshape(f64(Float64Array.from({ length: n }, () => rng.normal())), shape);
}

const A = randn([3, 4], 1);
/** f(x) = Σ tanh(A x): a small network, R⁴ → R. */
const tanhNet = (x: Tensor) => nb.sum(nb.tanh(nb.matmul(A, x)));
/** Rosenbrock: Σ 100 (x[i+1] − x[i]²)² + (1 − x[i])², R⁴ → R. */
const rosenbrock = (x: Tensor) => {
  const head = nb.slice(x, [0], [3]);
  const tail = nb.slice(x, [1], [3]);
  return nb.sum(nb.add(nb.mul(100, nb.square(nb.sub(tail, nb.square(head)))), nb.square(nb.sub(1, head))));
};
/** A function of two pytree arguments: parameters {w, b} and data x. */
const model = (p: Params, x: Tensor) => nb.sum(nb.square(nb.sigmoid(nb.add(nb.matmul(x, p.w), p.b))));

const x0 = f64([0.3, -0.7, 1.1, 0.2]);
const params: Params = { w: randn([4, 3], 2), b: randn([3], 3) };
const data = randn([2, 4], 4);

const scalarFns: [string, (x: Tensor) => Tensor][] = [
  ["tanh network", tanhNet],
  ["rosenbrock", rosenbrock],
];

const TOL = { atol: 1e-10, rtol: 1e-10 };

describe("jacfwd = jacrev", () => {
  it("on a vector-valued function", () => {
    const f = (x: Tensor) => nb.tanh(nb.matmul(A, nb.mul(x, x)));
    const jf = nb.jacfwd(f)(x0);
    expect(jf.shape).toEqual([3, 4]);
    expectClose(jf, nb.jacrev(f)(x0), TOL);
  });

  it.each(scalarFns)("on the gradient of the %s", (_name, f) => {
    expectClose(nb.jacfwd(nb.grad(f))(x0), nb.jacrev(nb.grad(f))(x0), TOL);
  });

  it("on pytree arguments and several outputs, with argnums", () => {
    const f = (p: Params, x: Tensor) => {
      const h = nb.add(nb.matmul(x, p.w), p.b);
      return { out: nb.tanh(h), total: nb.sum(nb.exp(h)) };
    };
    const jf = nb.jacfwd(f, { argnums: [0, 1] })(params, data);
    expect(jf.out[0].w.shape).toEqual([2, 3, 4, 3]);
    expect(jf.total[1].shape).toEqual([2, 4]);
    expectTreeClose(jf, nb.jacrev(f, { argnums: [0, 1] })(params, data), TOL);
  });
});

describe("Hessians", () => {
  it.each(scalarFns)("of the %s are symmetric and agree across all four routes", (_name, f) => {
    const h = nb.hessian(f)(x0);
    expect(h.shape).toEqual([4, 4]);
    expectClose(nb.transpose(h), h, TOL, "Hᵀ vs H");
    expectClose(nb.jacfwd(nb.jacrev(f))(x0), h, TOL, "jacfwd(jacrev)");
    expectClose(nb.jacrev(nb.jacrev(f))(x0), h, TOL, "jacrev(jacrev)");
    expectClose(nb.jacfwd(nb.jacfwd(f))(x0), h, TOL, "jacfwd(jacfwd)");
  });

  it("of rosenbrock match the closed form", () => {
    const [a, b, c, d] = [0.3, -0.7, 1.1, 0.2];
    const xs = [a, b, c, d];
    // ∂²/∂xᵢ² = 2 − 400(x_{i+1} − 3xᵢ²) (i < 3) + 200 (i > 0); ∂²/∂xᵢ∂x_{i+1} = −400 xᵢ.
    const want = xs.map((_, i) =>
      xs.map((_, j) => {
        if (i === j) return (i < 3 ? 2 - 400 * (xs[i + 1]! - 3 * xs[i]! ** 2) : 0) + (i > 0 ? 200 : 0);
        if (Math.abs(i - j) === 1) return -400 * xs[Math.min(i, j)]!;
        return 0;
      }),
    );
    expectClose(nb.hessian(rosenbrock)(x0), want, { atol: 1e-9, rtol: 1e-12 });
    void [b, c, d];
  });

  it("of a function of a pytree are symmetric across blocks", () => {
    const f = (p: Params) => model(p, data);
    const h = nb.hessian(f)(params) as { b: Params; w: Params };
    // H.w.b[i,j,k] = ∂²f/∂w_ij ∂b_k = H.b.w[k,i,j]
    expect(h.w.b.shape).toEqual([4, 3, 3]);
    expectClose(nb.transpose(h.w.b, [2, 0, 1]), h.b.w, TOL, "H.w.b vs H.b.w");
    expectClose(nb.transpose(h.b.b), h.b.b, TOL, "H.b.b");
    expectClose(nb.transpose(h.w.w, [2, 3, 0, 1]), h.w.w, TOL, "H.w.w");
    expectTreeClose(nb.jacrev(nb.jacrev(f))(params), h, TOL, "jacrev(jacrev)");
  });
});

describe("grad∘grad = jacfwd∘grad on scalars", () => {
  const f = (x: Tensor) => nb.mul(nb.sin(x), nb.exp(nb.mul(x, 0.5)));
  // f'' = e^{x/2} (−¾ sin x + cos x)
  const f2 = (x: number) => Math.exp(x / 2) * (-0.75 * Math.sin(x) + Math.cos(x));
  it.each([-1.3, 0, 0.4, 2.2])("at x = %f", (x) => {
    const gg = nb.grad(nb.grad(f))(f64(x));
    expect(gg.shape).toEqual([]);
    expectClose(nb.jacfwd(nb.grad(f))(f64(x)), gg, TOL);
    expectClose(gg, f2(x), { atol: 1e-12, rtol: 1e-12 }, "closed form");
  });
});

describe("third derivatives", () => {
  const f = (x: Tensor) => nb.sum(nb.mul(nb.tanh(nb.matmul(A, x)), f64([1, -2, 0.5])));
  const x = f64([0.2, -0.1, 0.4, 0.3]);

  it("derivative(f, 3) is symmetric under every permutation of its indices", () => {
    const t = nb.derivative(f, 3)(x);
    expect(t.shape).toEqual([4, 4, 4]);
    for (const perm of [
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ])
      expectClose(nb.transpose(t, perm), t, TOL, `perm ${perm}`);
  });

  it("derivative(f, 3) = jacfwd(jacfwd(jacrev)) = jacrev³ = jacfwd³", () => {
    const t = nb.derivative(f, 3)(x);
    expectClose(nb.jacfwd(nb.jacfwd(nb.jacrev(f)))(x), t, TOL, "jacfwd(jacfwd(jacrev))");
    expectClose(nb.jacrev(nb.jacrev(nb.jacrev(f)))(x), t, TOL, "jacrev³");
    expectClose(nb.jacfwd(nb.jacfwd(nb.jacfwd(f)))(x), t, TOL, "jacfwd³");
  });

  it("of a tanh network match central differences of its Hessian", () => {
    const t = nb.derivative(f, 3)(x);
    const hess = nb.hessian(f);
    const h = 1e-4;
    const xd = x.dataSync();
    for (let k = 0; k < 4; k++) {
      const at = (s: number) => hess(f64(Array.from(xd, (v, i) => (i === k ? v + s : v))));
      const fd = nb.div(nb.sub(at(h), at(-h)), 2 * h);
      expectClose(nb.take(t, [k], 2).reshape([4, 4]), fd, { atol: 1e-7, rtol: 1e-6 }, `∂H/∂x${k}`);
    }
  });

  it("matches the closed form of a one-dimensional tanh", () => {
    // with s = 1 − tanh²: tanh' = s, tanh'' = −2 tanh·s, tanh''' = 4 tanh²·s − 2 s²
    const at = 0.7;
    const th = Math.tanh(at);
    const s2 = 1 - th * th;
    const want = 4 * th * th * s2 - 2 * s2 * s2;
    expectClose(nb.derivative(nb.tanh, 3)(f64(at)), want, { atol: 1e-12, rtol: 1e-12 });
  });
});

describe("the polynomial x⁴ − 2x³ + 3x² − 4x + 5", () => {
  const withPow = (x: Tensor) =>
    nb.add(
      nb.sub(nb.add(nb.sub(nb.pow(x, 4), nb.mul(2, nb.pow(x, 3))), nb.mul(3, nb.pow(x, 2))), nb.mul(4, x)),
      5,
    );
  // Horner form, built from mul/add only.
  const horner = (x: Tensor) =>
    nb.add(nb.mul(nb.add(nb.mul(nb.add(nb.mul(nb.sub(x, 2), x), 3), x), -4), x), 5);
  const closed = [
    (x: number) => x ** 4 - 2 * x ** 3 + 3 * x ** 2 - 4 * x + 5,
    (x: number) => 4 * x ** 3 - 6 * x ** 2 + 6 * x - 4,
    (x: number) => 12 * x ** 2 - 12 * x + 6,
    (x: number) => 24 * x - 12,
    () => 24,
  ];
  // Points where every intermediate is a dyadic rational: the derivatives come out exact.
  const points = [-2, -1, 0, 0.5, 1, 1.5, 3];

  for (const [name, p] of [
    ["pow form", withPow],
    ["Horner form", horner],
  ] as const) {
    it(`${name}: grad to the 4th order equals the closed forms exactly`, () => {
      for (const x of points) {
        let g: (t: Tensor) => Tensor = p;
        for (let k = 0; k <= 4; k++) {
          expect(g(f64(x)).item(), `order ${k} at x = ${x}`).toBe(closed[k]!(x));
          g = nb.grad(g);
        }
      }
    });
  }

  it("derivative(p, k) and jvp of jvp agree with the closed forms", () => {
    for (const x of points) {
      expect(nb.derivative(withPow, 2)(f64(x)).item()).toBe(closed[2]!(x));
      const d1 = (t: Tensor) => nb.jvp(withPow, [t], [f64(1)])[1] as Tensor;
      const [, d2] = nb.jvp(d1, [f64(x)], [f64(1)]);
      expect((d2 as Tensor).item()).toBe(closed[2]!(x));
    }
  });
});

describe("linearize, vjp and grad agree with jvp", () => {
  const f = (p: Params, x: Tensor) => nb.tanh(nb.add(nb.matmul(x, p.w), p.b));
  const tangents: [Params, Tensor] = [{ w: randn([4, 3], 5), b: randn([3], 6) }, randn([2, 4], 7)];

  it("linearize's function equals jvp, and its primal output equals f", () => {
    const [y, fLin] = nb.linearize(f, params, data);
    const [y2, dy] = nb.jvp(f, [params, data], tangents);
    expectClose(y, f(params, data), { atol: 0, rtol: 0 }, "primal");
    expectClose(y2, y, { atol: 0, rtol: 0 }, "jvp primal");
    expectClose(fLin(...tangents), dy, TOL, "fLin(t) vs jvp");
    // Linear: fLin(2t) = 2 fLin(t).
    const twice: [Params, Tensor] = [nb.treeMap((t) => nb.mul(t, 2), tangents[0]), nb.mul(tangents[1], 2)];
    expectClose(fLin(...twice), nb.mul(fLin(...tangents), 2), TOL, "linearity");
  });

  it("the vjp pullback of a scalar function equals grad, for every argument", () => {
    const loss = (p: Params, x: Tensor) => nb.sum(nb.square(f(p, x)));
    const [v, pullback] = nb.vjp(loss, params, data);
    const [v2, g] = nb.valueAndGrad(loss, { argnums: [0, 1] })(params, data);
    expectClose(v, v2, { atol: 0, rtol: 0 });
    expectTreeClose(pullback(f64(1)), g, TOL);
  });

  it("the vjp pullback is the transpose of the jvp: <ct, J t> = <Jᵀ ct, t>", () => {
    const [y, pullback] = nb.vjp(f, params, data);
    const ct = randn(y.shape, 8);
    const [, dy] = nb.jvp(f, [params, data], tangents);
    const [gp, gx] = pullback(ct) as unknown as [Params, Tensor];
    const lhs = nb.sum(nb.mul(ct, dy)).item();
    const rhs =
      nb.sum(nb.mul(gp.w, tangents[0].w)).item() +
      nb.sum(nb.mul(gp.b, tangents[0].b)).item() +
      nb.sum(nb.mul(gx, tangents[1])).item();
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * (1 + Math.abs(lhs)));
  });
});

describe("grad options", () => {
  const f = (x: Tensor, y: Tensor, z: Tensor) => nb.sum(nb.mul(nb.mul(x, nb.square(y)), nb.exp(z)));
  const [x, y, z] = [f64([1, 2]), f64([0.5, -1]), f64([0.1, 0.3])];
  // ∂f/∂x = y² eᶻ, ∂f/∂y = 2xy eᶻ, ∂f/∂z = x y² eᶻ
  const ez = nb.exp(z);
  const dx = nb.mul(nb.square(y), ez);
  const dy = nb.mul(nb.mul(nb.mul(x, y), 2), ez);
  const dz = nb.mul(nb.mul(x, nb.square(y)), ez);

  it("argnums selects which arguments are differentiated", () => {
    expectClose(nb.grad(f)(x, y, z), dx, TOL, "default argnums 0");
    expectClose(nb.grad(f, { argnums: 1 })(x, y, z), dy, TOL, "argnums 1");
    expectClose(nb.grad(f, { argnums: -1 })(x, y, z), dz, TOL, "argnums -1");
    const gs = nb.grad(f, { argnums: [2, 0] })(x, y, z);
    expect(gs).toHaveLength(2);
    expectClose(gs[0], dz, TOL, "argnums [2, 0] → z");
    expectClose(gs[1], dx, TOL, "argnums [2, 0] → x");
    expectClose(nb.jacrev(f, { argnums: 1 })(x, y, z), dy, TOL, "jacrev argnums 1");
    expectClose(nb.jacfwd(f, { argnums: 2 })(x, y, z), dz, TOL, "jacfwd argnums 2");
  });

  it("hasAux returns the auxiliary value untouched and does not differentiate it", () => {
    const g = (t: Tensor) => {
      const loss = f(t, y, z);
      return [loss, { doubled: nb.mul(t, 2), label: 7 }] as const;
    };
    const [grads, aux] = nb.grad(g, { hasAux: true })(x);
    expectClose(grads, dx, TOL, "gradient");
    expectClose(aux.doubled, nb.mul(x, 2), { atol: 0, rtol: 0 }, "aux tensor");
    expectClose(aux.label, 7, { atol: 0, rtol: 0 }, "aux number");
    const [[v, aux2], g2] = nb.valueAndGrad(g, { hasAux: true })(x);
    expectClose(v, f(x, y, z), { atol: 0, rtol: 0 }, "value");
    expectClose(aux2.doubled, nb.mul(x, 2), { atol: 0, rtol: 0 }, "valueAndGrad aux");
    expectClose(g2, dx, TOL, "valueAndGrad gradient");
  });

  it("hasAux composes with grad of grad", () => {
    const g = (t: Tensor) => [nb.sum(nb.pow(t, 3)), nb.sum(t)] as const;
    const gg = nb.grad((t: Tensor) => nb.sum(nb.grad(g, { hasAux: true })(t)[0]));
    expectClose(gg(x), nb.mul(x, 6), TOL);
  });
});

describe("vmap of derivatives", () => {
  const xs = randn([5, 4], 9);
  const ys = randn([5, 3], 10);
  const lossOne = (p: Params, x: Tensor, y: Tensor) =>
    nb.sum(nb.square(nb.sub(nb.tanh(nb.add(nb.matmul(x, p.w), p.b)), y)));

  it("vmap(grad) gives per-example gradients equal to a loop", () => {
    const perExample = nb.vmap(nb.grad(lossOne), { inAxes: [null, 0, 0] })(params, xs, ys) as Params;
    expect(perExample.w.shape).toEqual([5, 4, 3]);
    const loop = Array.from({ length: 5 }, (_, i) =>
      nb.grad(lossOne)(params, nb.take(xs, [i], 0).reshape([4]), nb.take(ys, [i], 0).reshape([3])),
    ) as Params[];
    expectClose(
      perExample.w,
      stackRaw(
        loop.map((g) => g.w),
        0,
      ),
      TOL,
      "w",
    );
    expectClose(
      perExample.b,
      stackRaw(
        loop.map((g) => g.b),
        0,
      ),
      TOL,
      "b",
    );
    // Their mean is the gradient of the mean loss.
    const batchLoss = (p: Params) => nb.mean(nb.vmap(lossOne, { inAxes: [null, 0, 0] })(p, xs, ys));
    expectTreeClose(
      nb.grad(batchLoss)(params),
      nb.treeMap((t) => nb.mean(t, { axis: 0 }), perExample),
      TOL,
      "mean of per-example gradients",
    );
  });

  it("vmap(hessian) equals a loop of Hessians", () => {
    const h = nb.vmap(nb.hessian(tanhNet))(xs);
    expect(h.shape).toEqual([5, 4, 4]);
    const loop = Array.from({ length: 5 }, (_, i) => nb.hessian(tanhNet)(nb.take(xs, [i], 0).reshape([4])));
    expectClose(h, stackRaw(loop, 0), TOL);
  });

  it("grad of a vmapped function equals the sum of per-example gradients", () => {
    const g = nb.grad((x: Tensor) => nb.sum(nb.vmap(tanhNet)(x)))(xs);
    const loop = Array.from({ length: 5 }, (_, i) => nb.grad(tanhNet)(nb.take(xs, [i], 0).reshape([4])));
    expectClose(g, stackRaw(loop, 0), TOL);
  });

  it("jacfwd of vmap equals jacrev of vmap (block diagonal)", () => {
    const f = (x: Tensor) => nb.vmap((r: Tensor) => nb.tanh(nb.matmul(A, r)))(x);
    const jf = nb.jacfwd(f)(xs);
    expect(jf.shape).toEqual([5, 3, 5, 4]);
    expectClose(jf, nb.jacrev(f)(xs), TOL);
    // Off-diagonal blocks vanish: row i of the output does not depend on row j ≠ i of the input.
    expectClose(nb.take(nb.take(jf, [0], 0), [1], 2), nb.zeros([1, 3, 1, 4], { dtype: "float64" }), {
      atol: 0,
      rtol: 0,
    });
  });
});
