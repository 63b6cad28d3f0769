// jit called under a transformation: a jit_call of the function's program, traced once per signature, whose
// transformations equal those of the function itself.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { Program } from "../../src/core/program.js";
import { linearizeFlat } from "../../src/interpret/partial-eval.js";

type T = nb.Tensor;
const f64 = (v: number | number[] | number[][]) => nb.array(v, { dtype: "float64" });
const body = (x: T): T => nb.sum(nb.add(nb.mul(nb.sin(x), nb.mul(x, x)), nb.tanh(x)));
const close = (a: T, b: T) => {
  const fx = Array.from(a.dataSync(), Number);
  const fy = Array.from(b.dataSync(), Number);
  expect(a.shape).toEqual(b.shape);
  expect(fx.length).toBe(fy.length);
  fx.forEach((v, i) => expect(Math.abs(v - fy[i]!)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v))));
};

describe("jit_call: transformations of jit(f) equal those of f", () => {
  const x = f64([0.3, -1.2, 2.1, 0.7]);
  const jf = nb.jit(body);

  it("grad, grad of grad, jvp and jit of grad", () => {
    close(nb.grad(jf)(x), nb.grad(body)(x));
    const gg = (g: (x: T) => T) => nb.grad((y: T) => nb.sum(nb.mul(g(y), g(y))));
    close(gg(nb.grad(jf))(x), gg(nb.grad(body))(x));
    const t = f64([1, 0.5, -2, 0.25]);
    const [p1, t1] = nb.jvp(jf, [x], [t]) as [T, T];
    const [p2, t2] = nb.jvp(body, [x], [t]) as [T, T];
    close(p1, p2);
    close(t1, t2);
    close(nb.jit(nb.grad(jf))(x), nb.grad(body)(x));
    const sumOf = (g: (y: T) => T) => (y: T) => nb.sum(g(y));
    close(nb.jit(nb.grad(sumOf(nb.jit(nb.grad(jf)))))(x), nb.grad(sumOf(nb.grad(body)))(x));
  });

  it("vmap, with several outputs and an unbatched operand", () => {
    const pair = (a: T, b: T) => [nb.mul(nb.sin(a), b), nb.sum(nb.exp(nb.mul(a, b)))];
    const jp = nb.jit(pair);
    const xs = f64([
      [0.1, 0.2],
      [0.3, -0.4],
      [1.5, 0.6],
    ]);
    const b = f64([2, -1]);
    const [u1, v1] = nb.vmap(jp, { inAxes: [0, null] })(xs, b) as T[];
    const [u2, v2] = nb.vmap(pair, { inAxes: [0, null] })(xs, b) as T[];
    close(u1!, u2!);
    close(v1!, v2!);
    close(nb.vmap(nb.grad(jf))(xs), nb.vmap(nb.grad(body))(xs));
  });

  it("a jitted function closing over a traced value", () => {
    const g = (s: T) => nb.jit((y: T) => nb.sum(nb.mul(nb.sin(y), s)))(x);
    close(nb.grad(g)(f64(1.5)), nb.grad((s: T) => nb.sum(nb.mul(nb.sin(x), s)))(f64(1.5)));
  });
});

describe("jit_call: traced once per signature, staged as a call", () => {
  it("f's body runs once per input signature, not once per grad call", () => {
    let traces = 0;
    const jf = nb.jit((x: T) => {
      traces++;
      return body(x);
    });
    // grad of a function calling jf: every grad call binds jf's call on tracers.
    const g = nb.grad((x: T) => jf(x));
    for (let i = 0; i < 5; i++) g(f64([0.1 * i, 1, 2]));
    expect(traces).toBe(1);
    g(f64([1, 2]));
    expect(traces).toBe(2);
    nb.vmap(g)(f64([[1, 2, 3, 4]]));
    expect(traces).toBe(3);
    expect(jf.stats.inlined).toBe(7);
    // grad(jf) is compiled as one program: jf is bound on tracers once per signature.
    const gj = nb.grad(jf);
    for (let i = 0; i < 5; i++) gj(f64([0.1 * i, 1, 2]));
    expect(traces).toBe(3);
    expect(jf.stats.inlined).toBe(8);
  });

  it("the staged program shows the called program by name", () => {
    function cube(x: T) {
      return nb.mul(x, nb.mul(x, x));
    }
    const jc = nb.jit(cube);
    const p = nb.makeProgram((x: T) => nb.add(jc(x), x))(f64([1, 2]));
    const s = String(p);
    expect(s).toMatch(/jit_call\[name=cube\]/);
    expect(s).toMatch(/program: \{ lambda/);
    expect(p).toBeInstanceOf(Program);
    // Grad of the call: the forward and transposed programs are calls too.
    const gs = String(nb.makeProgram(nb.grad((x: T) => nb.sum(jc(x))))(f64([1, 2])));
    expect(gs).toMatch(/jit_call\[name=transpose\(jvp\(cube\)\)\]/);
  });
});

describe("jit_call: what reverse mode stores", () => {
  const x = nb.array([0.5, -1.2, 2.0, 0.3], { dtype: "float64" });
  const consts = (f: (v: nb.Tensor) => nb.Tensor) => linearizeFlat((v) => [f(v)], [x])[1].constValues;

  it("recomputes elementwise residuals from the operands instead of storing them", () => {
    // Rosenbrock: every residual is an elementwise function of x, so x itself is all that is kept.
    const rosen = nb.jit((v: nb.Tensor) => {
      const a = nb.slice(v, [0], [3]);
      const b = nb.slice(v, [1], [3]);
      return nb.sum(nb.add(nb.mul(100, nb.square(nb.sub(b, nb.square(a)))), nb.square(nb.sub(1, a))));
    });
    const kept = consts(rosen);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toBe(x);
    const plain = (v: nb.Tensor) => {
      const a = nb.slice(v, [0], [3]);
      const b = nb.slice(v, [1], [3]);
      return nb.sum(nb.add(nb.mul(100, nb.square(nb.sub(b, nb.square(a)))), nb.square(nb.sub(1, a))));
    };
    expect(nb.grad(rosen)(x).toArray()).toEqual(nb.grad(plain)(x).toArray());
    nb.checkGrads(rosen, [x], { order: 3 });
  });

  it("stores what a product computes", () => {
    const w = nb.mul(nb.reshape(nb.arange(0, 16, 1, { dtype: "float64" }), [4, 4]), 0.05);
    const layer = nb.jit((v: nb.Tensor) => nb.sum(nb.tanh(nb.matmul(w, v))));
    const kept = consts(layer);
    expect(kept.some((c) => c !== x && c.shape.join() === "4")).toBe(true);
    nb.checkGrads(layer, [x], { order: 2 });
  });
});
