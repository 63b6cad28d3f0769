// Bugs found in review, each pinned by the smallest reproduction.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

const A = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });

describe("pow with a traced exponent that is 0 at the point", () => {
  it("keeps d/dy of y·x^(y−1) (second derivatives, symmetric Hessian)", () => {
    const f = (x: nb.Tensor) => nb.pow(nb.add(x, 2), nb.mul(x, 0.5));
    expect(nb.grad(nb.grad(f))(A(0)).item()).toBeCloseTo(nb.derivative(f, 2)(A(0)).item(), 12);
    const H = nb.hessian((v: nb.Tensor) => nb.pow(nb.take(v, 0), nb.take(v, 1)))(A([2, 0])) as nb.Tensor;
    expect(H.toArray()).toEqual([
      [0, 0.5],
      [0.5, expect.closeTo(Math.log(2) ** 2, 12)],
    ]);
    expect(
      nb
        .grad(nb.grad(nb.grad((x: nb.Tensor) => nb.pow(x, x))))(A(1))
        .item(),
    ).toBeCloseTo(3, 12);
    nb.checkGrads((v: nb.Tensor) => nb.pow(nb.take(v, 0), nb.take(v, 1)), [A([2, 0])], { order: 2 });
  });
});

describe("custom rules inside vmap inside differentiation", () => {
  it("customJvp's rule is used", () => {
    const f: (x: nb.Tensor) => nb.Tensor = nb.customJvp(
      (x: nb.Tensor) => nb.mul(x, 1),
      ([x], [dx]) => [f(x as nb.Tensor), nb.mul(dx as nb.Tensor, 2)],
    );
    expect(
      nb
        .grad((x: nb.Tensor) => nb.sum(nb.vmap(f)(x)))(A([1, 2]))
        .toArray(),
    ).toEqual([2, 2]);
    expect((nb.jacfwd(nb.vmap(f))(A([1, 2])) as nb.Tensor).toArray()).toEqual([
      [2, 0],
      [0, 2],
    ]);
  });

  it("customVjp's bwd is used, and unbatched arguments sum their cotangents", () => {
    const g = nb.customVjp(
      (x: nb.Tensor) => nb.sin(x),
      (x: unknown) => [nb.sin(x as nb.Tensor), [x]],
      (_r: unknown, ct: nb.Tensor) => [nb.mul(ct, 3)],
    );
    expect(
      nb
        .grad((x: nb.Tensor) => nb.sum(nb.vmap(g)(x)))(A([1, 2]))
        .toArray(),
    ).toEqual([3, 3]);
    const h = nb.customVjp(
      (w: nb.Tensor, x: nb.Tensor) => nb.mul(w, x),
      (w: unknown, x: unknown) => [nb.mul(w as nb.Tensor, x as nb.Tensor), [w, x]],
      (res: unknown, ct: nb.Tensor) => {
        const [w, x] = res as nb.Tensor[];
        return [nb.mul(ct, x!), nb.mul(ct, w!)];
      },
    );
    const total = (w: nb.Tensor) => nb.sum(nb.vmap(h, { inAxes: [null, 0] })(w, A([1, 2, 3])));
    expect(nb.grad(total)(A(2)).item()).toBe(6);
  });
});

describe("ops", () => {
  it("elu's derivative at 0 is α from both sides, at every order of the left branch", () => {
    expect(
      nb
        .grad((x: nb.Tensor) => nb.sum(nb.elu(x)))(A([-1, 0, 1]))
        .toArray(),
    ).toEqual([Math.exp(-1), 1, 1]);
  });

  it("pad with an infinite fill leaves the inside alone", () => {
    expect(nb.pad(A([1, 2]), [[1, 1]], Number.POSITIVE_INFINITY).toArray()).toEqual([
      Number.POSITIVE_INFINITY,
      1,
      2,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it("hinge maps 0 labels to −1 under jit and vmap too", () => {
    const s = A([2, 0.5, -1]);
    const y = A([1, 0, 1]);
    const eager = nb.nn.hinge(s, y).item();
    expect(nb.jit(nb.nn.hinge)(s, y).item()).toBeCloseTo(eager, 14);
    expect(
      nb
        .vmap(nb.nn.hinge)(s.reshape([3, 1]), y.reshape([3, 1]))
        .toArray(),
    ).toEqual([0, 1.5, 2]);
  });
});

describe("formula text reads back", () => {
  it.each([
    ["2^x", 1],
    ["e^(2x)", 1],
    ["e2^2", 1],
    ["(x/(1+x))^2.5", 2],
    ["sin(cos(tan(x)))", 3],
  ])("%s, order %i: printed text parses to the same function", (f, k) => {
    const d = nb.symbolic.derivative(f, undefined, k);
    const back = nb.parse(String(d));
    const at = Object.fromEntries(d.variables.map((v) => [v, 0.7]));
    expect(back.evaluate(at)).toBeCloseTo(d.evaluate(at), 9);
  });

  it("keeps named constants apart from names: pi x, e x^2", () => {
    expect(String(nb.parse("pi x"))).toBe("pi x");
    expect(String(nb.parse("e x^2"))).toBe("e x^2");
    expect(String(nb.symbolic.derivative("e^(2x)", "x"))).toBe("2 exp(2x)");
  });
});

describe("finite differences far from 0", () => {
  it("sin at 1e6: the automatic step stays small next to the period, and the estimate is honest", () => {
    for (const r of [nb.numeric.best(Math.sin, 1e6), nb.numeric.derivative(Math.sin, 1e6)])
      expect(Math.abs(r.value - Math.cos(1e6))).toBeLessThanOrEqual(r.error);
  });
});

describe("caches that outlive a trace", () => {
  it("conv2d's window indices, first built under jit, serve a second compiled shape", () => {
    const f = nb.jit((x: nb.Tensor, w: nb.Tensor) => nb.nn.conv2d(x, w, { padding: 1 }));
    const w = nb.ones([2, 1, 3, 3]);
    // a fresh geometry, so its indices are first made inside the trace
    const a = f(nb.ones([2, 1, 11, 13]), w);
    const b = f(nb.ones([3, 1, 11, 13]), w);
    expect([a.shape, b.shape]).toEqual([
      [2, 2, 11, 13],
      [3, 2, 11, 13],
    ]);
    expect(b.dataSync()[13 + 1]).toBe(9);
  });
});

describe("a value that carries a derivative is never read as a plain number", () => {
  const T = nb.TraceError;
  it("JavaScript arithmetic, item() and comparisons raise under every derivative transformation", () => {
    const times = (x: nb.Tensor) => (x as unknown as number) * (x as unknown as number);
    expect(() => nb.grad(times)(3)).toThrow(T);
    expect(() => nb.grad((x: nb.Tensor) => x.item())(3)).toThrow(T);
    expect(() => nb.hessian((x: nb.Tensor) => (nb.sum(x) as unknown as number) ** 2)(A([1, 2]))).toThrow(T);
    expect(() => nb.jvp(times, [A(3)], [A(1)])).toThrow(T);
    expect(() => nb.vjp(times, A(3))).toThrow(T);
    expect(() => nb.jacfwd(times)(A(3))).toThrow(T);
    expect(() => nb.jacrev(times)(A(3))).toThrow(T);
    expect(() => nb.grad(nb.grad((x: nb.Tensor) => nb.mul(x, x.item())))(A(3))).toThrow(T);
    expect(() => nb.jet(times, [A(3)], [[A(1)]])).toThrow(T);
    expect(() => nb.derivative(times, 3)(A(3))).toThrow(T);
    expect(() => nb.grad((x: nb.Tensor) => x.toArray() as unknown as nb.Tensor)(3)).toThrow(
      /carries a derivative/,
    );
  });
  it("values without a derivative still read: comparisons, integer results, constants", () => {
    const f = (x: nb.Tensor) => (nb.greater(x, 0).item() ? nb.mul(x, x) : nb.neg(x));
    expect(nb.grad(f)(A(3)).item()).toBe(6);
    expect(nb.grad(f)(A(-3)).item()).toBe(-1);
    expect(
      nb
        .grad((x: nb.Tensor) => nb.mul(x, nb.argmax(nb.stack([x, nb.neg(x)])).item() + 1))(A(2))
        .item(),
    ).toBe(1);
  });
});

describe("vmap of a custom-rule function whose arguments are all unmapped", () => {
  it("runs the call once, unbatched, for customJvp, customVjp and checkpoint", () => {
    const f = (a: nb.Tensor, b: nb.Tensor) => nb.add(nb.softplus(a), b);
    const r = nb.vmap(f, { inAxes: [null, 0] })(A([0.5]), A([[1], [2], [3]])) as nb.Tensor;
    const sp = Math.log1p(Math.exp(0.5));
    expect(r.toArray()).toEqual(
      [[sp + 1], [sp + 2], [sp + 3]].map((row) => row.map((v) => expect.closeTo(v, 14))),
    );
    const twice = nb.customVjp(
      (x: nb.Tensor) => nb.mul(x, 2),
      (x) => [nb.mul(x as nb.Tensor, 2), null],
      (_r, ct) => [nb.mul(ct, 3)],
    );
    const g = nb.vmap((a: nb.Tensor, b: nb.Tensor) => nb.add(twice(a), b), { inAxes: [null, 0] })(
      A(1),
      A([1, 2]),
    );
    expect((g as nb.Tensor).toArray()).toEqual([3, 4]);
    // The custom VJP (3, not 2) is still the one reverse mode uses, once per batch member.
    const s = nb.grad((a: nb.Tensor) =>
      nb.sum(
        nb.vmap((u: nb.Tensor, b: nb.Tensor) => nb.add(twice(u), b), { inAxes: [null, 0] })(
          a,
          A([1, 2]),
        ) as nb.Tensor,
      ),
    )(A(1));
    expect(s.item()).toBe(6);
    const c = nb.vmap((a: nb.Tensor, b: nb.Tensor) => nb.add(nb.checkpoint(nb.sin)(a), b), {
      inAxes: [null, 0],
    });
    expect((nb.jit(c)(A(0.5), A([1, 2])) as nb.Tensor).toArray()).toEqual([
      1 + Math.sin(0.5),
      2 + Math.sin(0.5),
    ]);
  });
});

describe("checks on data also run under jit and vmap", () => {
  const logits = A([
    [2, 0, 0],
    [0, 0, 1],
  ]);
  const I = (v: number[]) => nb.array(v, { dtype: "int32" });
  it("crossEntropy refuses a label out of range eagerly, under jit, jit(grad) and vmap", () => {
    const ce = (l: nb.Tensor, y: nb.Tensor) => nb.nn.crossEntropy(l, y);
    for (const bad of [I([0, 3]), I([-1, 0]), A([0.5, 1])]) {
      expect(() => ce(logits, bad)).toThrow(/crossEntropy/);
      expect(() => nb.jit(ce)(logits, bad)).toThrow(/crossEntropy: a label is not a class index in \[0, 3\)/);
      expect(() => nb.jit(nb.grad(ce))(logits, bad)).toThrow(/crossEntropy/);
    }
    expect(() => nb.vmap(ce)(nb.stack([logits, logits]), I([0, 1, 2, 7]).reshape([2, 2]))).toThrow(
      /crossEntropy/,
    );
    expect(
      nb
        .jit(ce)(logits, I([0, 2]))
        .item(),
    ).toBeCloseTo(ce(logits, I([0, 2])).item(), 14);
  });
  it("an embedding refuses an id out of range under jit (a negative id would silently pick the last row)", () => {
    const emb = nb.nn.Embedding(5, 2);
    const { params } = emb.init(0);
    const f = nb.jit((p: typeof params, ids: nb.Tensor) => emb.apply(p, ids));
    expect(() => f(params, I([1, -1]))).toThrow(/Embedding\(5, 2\): an id is not an integer in \[0, 5\)/);
    expect(() => f(params, I([5]))).toThrow(/Embedding/);
    expect((f(params, I([4])) as nb.Tensor).shape).toEqual([1, 2]);
  });
  it("hinge refuses labels other than ±1 (or 0/1) under jit", () => {
    const h = nb.jit((s: nb.Tensor, y: nb.Tensor) => nb.nn.hinge(s, y));
    expect(() => h(A([1, 2]), A([1, 0.5]))).toThrow(/hinge: labels must be/);
    expect(h(A([1, 2]), A([1, 0])).item()).toBe(nb.nn.hinge(A([1, 2]), A([1, 0])).item());
  });
  it("take (gather) refuses an index out of range under jit instead of returning NaN", () => {
    expect(() => nb.jit((x: nb.Tensor, i: nb.Tensor) => nb.take(x, i))(A([1, 2, 3]), I([3]))).toThrow(
      /index 3 is out of range/,
    );
    expect(
      nb
        .jit((x: nb.Tensor, i: nb.Tensor) => nb.take(x, i))(A([1, 2, 3]), I([-1]))
        .toArray(),
    ).toEqual([3]);
  });
});
