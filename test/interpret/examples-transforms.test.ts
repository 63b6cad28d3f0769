// Readable examples of the transformations: grad, valueAndGrad, jvp, vjp, linearize, jacobians, hessian,
// derivative, vmap, stopGradient, makeProgram/Program and checkGrads.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectTensor } from "../util/approx.js";

type T = nb.Tensor;
const f64 = (x: nb.TensorLike) => nb.array(x, { dtype: "float64" });

describe("grad", () => {
  it("the TSDoc examples", () => {
    const df = nb.grad((x: T) => nb.sum(nb.sin(x)));
    expectTensor(df(nb.array([0, Math.PI])), [1, -1]);
    const d3 = nb.grad(nb.grad(nb.grad((x: T) => x.mul(x).mul(x))));
    expectTensor(d3(2), 6);
  });

  it("gradient of a matrix function: d/dW Σ (W x)² = 2 (W x) xᵀ", () => {
    const x = f64([1, 2]);
    const W = f64([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const g = nb.grad((w: T) => nb.sum(nb.square(nb.matmul(w, x))))(W) as T;
    // W x = [1, 2, 3]; 2 (W x) xᵀ
    expectTensor(g, [
      [2, 4],
      [4, 8],
      [6, 12],
    ]);
  });

  it("a JS number input gives a float64 gradient; a float32 input a float32 one", () => {
    const sq = (x: T) => nb.mul(x, x);
    const g = nb.grad(sq)(3) as T;
    expect(g.dtype).toBe("float64");
    expect(g.item()).toBe(6);
    expect((nb.grad((x: T) => nb.sum(sq(x)))(nb.array([3])) as T).dtype).toBe("float32");
  });

  it("pytree inputs: gradients come back in the same structure", () => {
    const loss = (p: { w: T; x: T[]; b: T }) => nb.add(nb.sum(nb.mul(p.w, p.x[0]!)), nb.mul(p.b, 2));
    // The gradient's type is the argument's with every leaf a tensor: nb.TensorTree names it.
    const g: nb.TensorTree<{ w: T; x: T[]; b: number }> = nb.grad(loss)({
      w: nb.array([1, 2]),
      x: [nb.array([3, 4])],
      b: 1.5,
    });
    expectTensor(g.w, [3, 4]);
    expectTensor(g.x[0], [1, 2]);
    expectTensor(g.b, 2);
  });

  it("argnums picks the arguments; a list gives a list of gradients", () => {
    const f = (a: T, b: T) => nb.sum(nb.mul(a, b));
    const opts: nb.GradOptions = { argnums: 1 };
    expectTensor(nb.grad(f, opts)(nb.array([1, 2]), nb.array([3, 4])), [1, 2]);
    const [ga, gb] = nb.grad(f, { argnums: [0, 1] })(nb.array([1, 2]), nb.array([3, 4]));
    expectTensor(ga, [3, 4]);
    expectTensor(gb, [1, 2]);
    expectTensor(nb.grad(f, { argnums: -1 })(nb.array([1, 2]), nb.array([3, 4])), [1, 2]);
  });

  it("hasAux: f returns [value, aux]; grad returns [gradient, aux]", () => {
    const [g, aux] = nb.grad((a: T) => [nb.sum(nb.square(a)), nb.mean(a)], { hasAux: true })(
      nb.array([1, 2]),
    );
    expectTensor(g, [2, 4]);
    expectTensor(aux, 1.5);
  });

  it("control flow on a comparison works under grad (the value itself carries a derivative and cannot be read)", () => {
    const f = (x: T) => (nb.greater(x, 0).item() ? nb.mul(x, x) : nb.neg(x));
    expect((nb.grad(f)(3) as T).item()).toBe(6);
    expect((nb.grad(f)(-3) as T).item()).toBe(-1);
    expect(() => nb.grad((x: T) => (x.item() > 0 ? nb.mul(x, x) : nb.neg(x)))(3)).toThrow(nb.TraceError);
  });
});

describe("valueAndGrad", () => {
  it("the TSDoc example: value and gradient of a pytree function in one pass", () => {
    const [loss, grads] = nb.valueAndGrad((p: { w: T }) => nb.sum(nb.square(p.w)))({ w: nb.array([1, 2]) });
    expectTensor(loss, 5);
    expectTensor(grads.w, [2, 4]);
  });

  it("a small linear model: loss and gradients for weights and bias", () => {
    const xs = f64([
      [1, 2],
      [3, 4],
    ]);
    const ys = f64([1, 2]);
    const params = { w: f64([0.5, -0.5]), b: f64(0.25) };
    const lossFn = (p: typeof params, x: T, y: T) =>
      nb.mean(nb.square(nb.sub(nb.add(nb.matmul(x, p.w), p.b), y)));
    const [loss, g] = nb.valueAndGrad(lossFn)(params, xs, ys);
    // residuals r = x·w + b − y = [-0.25 - 1, -0.25 - 2] = [-1.25, -2.25]
    expectTensor(loss, (1.25 ** 2 + 2.25 ** 2) / 2);
    // d/dw = mean(2 r x) = r₁x₁ + r₂x₂ ; d/db = mean(2r) = r₁ + r₂
    expectTensor(g.w, [-1.25 * 1 + -2.25 * 3, -1.25 * 2 + -2.25 * 4]);
    expectTensor(g.b, -1.25 + -2.25);
  });

  it("argnums and hasAux together", () => {
    const f = (a: T, b: T) => [nb.sum(nb.mul(a, b)), { prod: nb.mul(a, b) }] as const;
    const [[value, aux], [ga, gb]] = nb.valueAndGrad(f, { argnums: [0, 1], hasAux: true })(
      nb.array([1, 2]),
      nb.array([3, 4]),
    );
    expectTensor(value, 11);
    expectTensor(aux.prod, [3, 8]);
    expectTensor(ga, [3, 4]);
    expectTensor(gb, [1, 2]);
  });
});

describe("jvp, vjp, linearize", () => {
  it("jvp: the TSDoc example", () => {
    const [y, dy] = nb.jvp(nb.sin, [0], [1]);
    expect(y.item()).toBe(0);
    expect(dy.item()).toBe(1);
  });

  it("jvp with pytrees: d(a·b) = da·b + a·db", () => {
    const [y, dy] = nb.jvp(
      (p: { a: T; b: T }) => nb.mul(p.a, p.b),
      [{ a: nb.array([1, 2]), b: nb.array([3, 4]) }],
      [{ a: nb.array([1, 0]), b: nb.array([0, 1]) }],
    );
    expectTensor(y, [3, 8]);
    expectTensor(dy, [3, 2]);
  });

  it("vjp: the TSDoc example", () => {
    const [y, pullback] = nb.vjp((x: T) => nb.mul(x, x), 3);
    expect(y.item()).toBe(9);
    const [dx] = pullback(1) as T[];
    expect(dx!.item()).toBe(6);
  });

  it("vjp with two inputs and a vector output returns one cotangent per input", () => {
    const [y, pullback] = nb.vjp((a: T, b: T) => nb.mul(a, b), nb.array([1, 2]), nb.array([3, 4]));
    expectTensor(y, [3, 8]);
    const [ca, cb] = pullback(nb.array([1, 10])) as T[];
    expectTensor(ca, [3, 40]);
    expectTensor(cb, [1, 20]);
  });

  it("linearize: the TSDoc example, and reuse of the linear map", () => {
    const [y, fLin] = nb.linearize(nb.exp, 0);
    expect(y.item()).toBe(1);
    expect(fLin(2).item()).toBe(2);
    expect(fLin(-1).item()).toBe(-1);
  });

  it("linearize with a pytree argument", () => {
    const [y, fLin] = nb.linearize((p: { a: T; b: T }) => nb.mul(p.a, p.b), {
      a: nb.array([1, 2]),
      b: nb.array([3, 4]),
    });
    expectTensor(y, [3, 8]);
    expectTensor(fLin({ a: nb.array([1, 0]), b: nb.array([0, 1]) }), [3, 2]);
  });
});

describe("jacobians, hessian, derivative", () => {
  it("the TSDoc examples", () => {
    expectTensor(nb.jacrev((x: T) => nb.mul(x, x))(nb.array([1, 2])), [
      [2, 0],
      [0, 4],
    ]);
    expectTensor(nb.jacfwd((x: T) => nb.mul(x, x))(nb.array([1, 2])), [
      [2, 0],
      [0, 4],
    ]);
    expectTensor(nb.hessian((x: T) => nb.sum(nb.pow(x, 3)))(nb.array([1, 2])), [
      [6, 0],
      [0, 12],
    ]);
    const third = nb.derivative((x: T) => nb.pow(x, 4), 3);
    expectTensor(third(2), 48);
  });

  it("matrix inputs: the Jacobian has shape out ++ in, and forward equals reverse", () => {
    const A = f64([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const B = f64([
      [1, 0, 2, 0],
      [0, 1, 0, 2],
      [1, 1, 1, 1],
    ]);
    const f = (x: T) => nb.matmul(x, B);
    const jr = nb.jacrev(f)(A) as T;
    const jf = nb.jacfwd(f)(A) as T;
    expect(jr.shape).toEqual([2, 4, 2, 3]);
    expect(jf.shape).toEqual([2, 4, 2, 3]);
    // d(xB)[i,j] / dx[k,l] = δik B[l,j]
    const want = [0, 1].map((i) =>
      [0, 1, 2, 3].map((j) =>
        [0, 1].map((k) =>
          [0, 1, 2].map((l) =>
            i === k
              ? [
                  [1, 0, 2, 0],
                  [0, 1, 0, 2],
                  [1, 1, 1, 1],
                ][l]![j]!
              : 0,
          ),
        ),
      ),
    );
    expectTensor(jr, want);
    expectTensor(jf, want);
    const g = (x: T) => nb.tanh(nb.matmul(x, x.T));
    expectTensor(nb.jacrev(g)(A), (nb.jacfwd(g)(A) as T).toArray() as number[][][][], { atol: 1e-12 });
  });

  it("hessian of a function of a matrix has shape in ++ in", () => {
    const A = f64([
      [1, 2],
      [3, 4],
    ]);
    const h = nb.hessian((x: T) => nb.sum(nb.pow(x, 3)))(A) as T;
    expect(h.shape).toEqual([2, 2, 2, 2]);
    // ∂²/∂x_ij∂x_kl Σ x³ = 6 x_ij δ(ij,kl)
    expect(h.toArray()).toEqual([
      [
        [
          [6, 0],
          [0, 0],
        ],
        [
          [0, 12],
          [0, 0],
        ],
      ],
      [
        [
          [0, 0],
          [18, 0],
        ],
        [
          [0, 0],
          [0, 24],
        ],
      ],
    ]);
  });

  it("jacobians with argnums and pytree outputs", () => {
    const opts: nb.JacOptions<[0, 1]> = { argnums: [0, 1] };
    const [ja, jb] = nb.jacrev((a: T, b: T) => nb.mul(a, b), opts)(nb.array([1, 2]), nb.array([3, 4]));
    expectTensor(ja, [
      [3, 0],
      [0, 4],
    ]);
    expectTensor(jb, [
      [1, 0],
      [0, 2],
    ]);
    const j = nb.jacfwd((a: T) => ({ s: nb.sum(a), d: nb.mul(a, 2) }))(nb.array([1, 2]));
    expectTensor(j.s, [1, 1]);
    expectTensor(j.d, [
      [2, 0],
      [0, 2],
    ]);
    expectTensor(
      nb.hessian((a: T, b: T) => nb.sum(nb.mul(nb.mul(a, a), b)), { argnums: 0 })(
        nb.array([1, 2]),
        nb.array([3, 4]),
      ),
      [
        [6, 0],
        [0, 8],
      ],
    );
  });

  it("derivative(f, k) has shape out ++ in × k", () => {
    const x = f64([1, 2]);
    const vec = (v: T) => nb.sin(v);
    const scalar = (v: T) => nb.sum(nb.sin(v));
    expect([0, 1, 2, 3].map((k) => (nb.derivative(vec, k)(x) as T).shape)).toEqual([
      [2],
      [2, 2],
      [2, 2, 2],
      [2, 2, 2, 2],
    ]);
    expect([0, 1, 2, 3].map((k) => (nb.derivative(scalar, k)(x) as T).shape)).toEqual([
      [],
      [2],
      [2, 2],
      [2, 2, 2],
    ]);
    // the third derivative of Σ sin is diagonal with −cos
    const d3 = nb.derivative(scalar, 3)(x) as T;
    expectTensor(d3, [
      [
        [-Math.cos(1), 0],
        [0, 0],
      ],
      [
        [0, 0],
        [0, -Math.cos(2)],
      ],
    ]);
    expect(nb.derivative(nb.exp, 5)(0).item()).toBe(1);
  });

  it("derivative methods: distinct entries only, nested forward or reverse, or the cheapest", () => {
    // f(x) = (x₀ + x₁ + x₂)⁴: every fourth derivative is 4! = 24
    const f = (v: T) => nb.pow(nb.sum(v), 4);
    const method: nb.DerivativeMethod = "symmetric";
    const opts: nb.DerivativeOptions = { method };
    const t = nb.derivative(f, 4, opts)(f64([0.1, 0.2, 0.3])) as T;
    expect(t.shape).toEqual([3, 3, 3, 3]);
    expect(new Set(t.dataSync())).toEqual(new Set([24]));
    // "auto" (the default) traces the candidates and runs the one with the least arithmetic
    expectTensor(nb.derivative(f, 4)(f64([0.1, 0.2, 0.3])) as T, t.toArray());
  });
});

describe("vmap", () => {
  it("maps over the leading axis by default", () => {
    expectTensor(
      nb.vmap((x: T) => nb.sum(x))(
        nb.array([
          [1, 2],
          [3, 4],
        ]),
      ),
      [3, 7],
    );
  });

  it("inAxes chooses the mapped axis per argument; null shares an argument", () => {
    expectTensor(
      nb.vmap((x: T) => nb.sum(x), { inAxes: 1 })(
        nb.array([
          [1, 2],
          [3, 4],
        ]),
      ),
      [4, 6],
    );
    const opts: nb.VmapOptions = { inAxes: [null, 0] };
    const rows = nb.vmap((w: T, x: T) => nb.dot(w, x), opts)(
      nb.array([1, 1]),
      nb.array([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    );
    expectTensor(rows, [3, 7, 11]);
  });

  it("outAxes chooses where the batch axis goes; null for outputs that do not depend on it", () => {
    const x = nb.array([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expectTensor(nb.vmap((r: T) => nb.mul(r, 2), { outAxes: 1 })(x), [
      [2, 8],
      [4, 10],
      [6, 12],
    ]);
    expectTensor(nb.vmap((_: T) => nb.ones([2]), { outAxes: [null] })(x), [1, 1]);
    const [batched, shared] = nb.vmap((r: T) => [nb.sum(r), nb.ones([2])], { outAxes: [0, null] })(x);
    expectTensor(batched, [6, 15]);
    expectTensor(shared, [1, 1]);
  });

  it("outAxes: null (not in a list) leaves an unbatched output unbatched", () => {
    const x = nb.array([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expectTensor(nb.vmap((_: T) => nb.ones([2]), { outAxes: null })(x), [1, 1]);
  });

  it("maps over pytrees", () => {
    const out = nb.vmap((p: { a: T; b: T }) => nb.add(p.a, p.b))({
      a: nb.array([1, 2]),
      b: nb.array([10, 20]),
    });
    expectTensor(out, [11, 22]);
  });

  it("per-example gradients (the TSDoc use case)", () => {
    const lossOne = (w: T, x: T, y: T) => nb.square(nb.sub(nb.dot(w, x), y));
    const w = nb.array([1, 1]);
    const xs = nb.array([
      [1, 2],
      [3, 4],
    ]);
    const ys = nb.array([0, 1]);
    const perExample = nb.vmap(nb.grad(lossOne), { inAxes: [null, 0, 0] })(w, xs, ys);
    // 2 (w·x − y) x: [2·3·[1,2], 2·6·[3,4]]
    expectTensor(perExample, [
      [6, 12],
      [36, 48],
    ]);
  });

  it("vmap of a matrix product equals a batched matmul", () => {
    const A = nb.reshape(nb.arange(12), [3, 2, 2]).astype("float32");
    const B = nb.array([
      [1, 2],
      [3, 4],
    ]);
    expectTensor(nb.vmap((a: T) => nb.matmul(a, B))(A), nb.matmul(A, B).toArray() as number[][][]);
  });
});

describe("stopGradient", () => {
  it("the TSDoc example: the value passes, its derivative is zero", () => {
    const df = nb.grad((x: T) => nb.mul(x, nb.stopGradient(x)));
    expectTensor(df(3), 3); // 3, not 6
    expect(nb.stopGradient(nb.array([1, 2])).toArray()).toEqual([1, 2]);
  });

  it("works on pytrees", () => {
    const s = nb.stopGradient({ a: nb.array([1]), b: [2] });
    expectTensor(s.a, [1]);
    expectTensor(s.b[0], 2);
    const g = nb.grad((p: { a: T; b: T }) => {
      const frozen = nb.stopGradient(p);
      return nb.add(nb.mul(p.a, frozen.b), nb.mul(frozen.a, frozen.b));
    })({ a: f64(2), b: f64(5) });
    expectTensor(g.a, 5);
    expectTensor(g.b, 0);
  });
});

describe("makeProgram and Program", () => {
  it("the TSDoc example prints the primitives", () => {
    const program = nb.makeProgram((x: T) => nb.sin(nb.mul(x, 2)))(1.0);
    expect(program).toBeInstanceOf(nb.Program);
    const text = String(program);
    expect(text).toMatch(/mul/);
    expect(text).toMatch(/sin/);
    expect(text).toMatch(/f64\[\]/);
  });

  it("prints JAX primitive names with shapes and parameters", () => {
    const text = String(
      nb.makeProgram((x: T, y: T) => nb.sum(nb.matmul(x, y)))(nb.ones([2, 3]), nb.ones([3, 2])),
    );
    expect(text).toMatch(/a:f32\[2,3\] b:f32\[3,2\]/);
    expect(text).toMatch(/dot_general/);
    expect(text).toMatch(/reduce_sum\[axes=\(0,1\)\]/);
  });

  it("a staged gradient shows the derivative's own primitives", () => {
    const text = String(nb.makeProgram(nb.grad((x: T) => nb.sum(nb.sin(x))))(nb.ones([3])));
    expect(text).toMatch(/cos/);
    expect(text).not.toMatch(/ sin /);
  });

  it("the Program TSDoc example as written: p.run([nb.array(0.5)]) gives [sin(1)]", () => {
    const p = nb.makeProgram((x: T) => nb.sin(nb.mul(x, 2)))(nb.array(1.0));
    const [y] = p.run([nb.array(0.5)]);
    expectTensor(y, Math.sin(1));
    expect(() => p.run([nb.array(0.5, { dtype: "float64" })])).toThrow(/expects f32\[\]/);
  });

  it("the Program TSDoc example with a float64 input", () => {
    const p = nb.makeProgram((x: T) => nb.sin(nb.mul(x, 2)))(1.0);
    expect(String(p)).toBe(
      "{ lambda a:f64[]. let\n    b:f64[] = mul a 2.0\n    c:f64[] = sin b\n  in ( c ) }",
    );
    const [y] = p.run([nb.array(0.5, { dtype: "float64" })]);
    expectTensor(y, Math.sin(1), { atol: 1e-12 });
  });

  it("Program.run evaluates the staged program on new inputs", () => {
    const program = nb.makeProgram((x: T) => nb.exp(x))(nb.array([0, 0]));
    const [y] = program.run([nb.array([0, 1])]);
    expectTensor(y, [1, Math.E]);
  });
});

describe("checkGrads", () => {
  it("the TSDoc examples: passes silently on correct functions", () => {
    expect(() => nb.checkGrads((x: T) => nb.sin(x), [1.0], { order: 3 })).not.toThrow();
    expect(() =>
      nb.checkGrads((x: T, y: T) => nb.mul(nb.mul(x, x), y), [nb.array([1, 2]), 3.0]),
    ).not.toThrow();
  });

  it("passes on a composite of many ops, in both modes", () => {
    const f = (p: { w: T; b: T }, x: T) => nb.logSumExp(nb.tanh(nb.add(nb.matmul(x, p.w), p.b)));
    const opts: nb.CheckGradsOptions = { order: 2, modes: ["fwd", "rev"], seed: 3 };
    expect(() =>
      nb.checkGrads(
        f,
        [
          {
            w: nb.array([
              [0.1, -0.2],
              [0.3, 0.4],
            ]),
            b: nb.array([0.5, -0.5]),
          },
          nb.array([[1, 2]]),
        ],
        opts,
      ),
    ).not.toThrow();
  });

  it("throws GradCheckError on a wrong derivative built with stopGradient", () => {
    const wrong = (x: T) => nb.mul(x, nb.stopGradient(x)); // AD says x, the truth is 2x
    expect(() => nb.checkGrads(wrong, [2.0])).toThrow(nb.GradCheckError);
    expect(() => nb.checkGrads(wrong, [1.5])).toThrow(nb.GradCheckError); // the GradCheckError TSDoc example
    expect(() => nb.checkGrads(wrong, [2.0])).toThrow(/forward mode .*order 1/);
    expect(() => nb.checkGrads(wrong, [2.0], { modes: ["rev"] })).toThrow(/reverse mode .*args\[0\]/);
  });

  it("catches a wrong second derivative only at order 2", () => {
    const g = (x: T) => {
      // value x³, first derivative 3x² (right), but the derivative's x is frozen: second derivative 0 (wrong)
      const s = nb.stopGradient(x);
      return nb.add(nb.pow(s, 3), nb.mul(nb.mul(3, nb.square(s)), nb.sub(x, s)));
    };
    expect(() => nb.checkGrads(g, [1.5], { order: 1 })).not.toThrow();
    expect(() => nb.checkGrads(g, [1.5], { order: 2 })).toThrow(/order 2/);
  });
});
