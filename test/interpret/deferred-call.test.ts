// Reverse mode through a call of jit(f) defers the known half of the split call: it runs only when one of
// its outputs is read. grad discards the primal value, so when every residual is recomputed from the
// operands the forward call never runs; valueAndGrad reads the value and runs it once. (grad(jit(f)) itself,
// on concrete values, runs as jit(grad(f)); the calls below wrap jit(f) so that they take the eager path.)
import * as nb from "nabla";
import { describe, expect, it, vi } from "vitest";
import { Deferred } from "../../src/core/tensor.js";

// Counts every evaluation of a jit_call on concrete values, through bind or deferred.
const calls = vi.hoisted(() => ({ jit: 0 }));
vi.mock("../../src/core/trace.js", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../../src/core/trace.js")>();
  return {
    ...mod,
    setEvalMulti: ((fn) =>
      mod.setEvalMulti((prim, args, params) => {
        if (prim === "jit_call") calls.jit++;
        return fn(prim, args, params);
      })) as typeof mod.setEvalMulti,
  };
});

type T = nb.Tensor;
const rosen = (x: T): T => {
  const n = x.shape[0]!;
  const a = nb.slice(x, [0], [n - 1]);
  const b = nb.slice(x, [1], [n - 1]);
  return nb.sum(nb.add(nb.mul(100, nb.square(nb.sub(b, nb.square(a)))), nb.square(nb.sub(1, a))));
};
const x = nb.array([0.3, -1.2, 2.1, 0.7, 1.5], { dtype: "float64" });

describe("deferred known calls", () => {
  it("grad of a call of jit(f) does not run the forward call whose value nothing reads", () => {
    const jf = nb.jit(rosen);
    const g = nb.grad((y: T) => jf(y));
    g(x).dataSync();
    calls.jit = 0;
    const gx = g(x);
    expect(Array.from(gx.dataSync())).toEqual(Array.from(nb.grad(rosen)(x).dataSync()));
    // The backward call alone.
    expect(calls.jit).toBe(1);
  });

  it("valueAndGrad of a call of jit(f) runs the forward call once, when the value is read", () => {
    const jf = nb.jit(rosen);
    const vg = nb.valueAndGrad((y: T) => jf(y));
    calls.jit = 0;
    const [v, gx] = vg(x);
    gx.dataSync();
    expect(calls.jit).toBe(1);
    v.dataSync();
    expect(calls.jit).toBe(2);
    expect(v.item()).toBeCloseTo(rosen(x).item(), 12);
  });

  it("a residual the backward pass needs is computed once", () => {
    // exp(x) is not recomputed from the operand's movement alone, so it is a stored residual.
    const f = (y: T) =>
      nb.sum(nb.mul(nb.exp(nb.matmul(nb.reshape(y, [1, 5]), nb.ones([5, 5], { dtype: "float64" }))), 2));
    const jf = nb.jit(f);
    calls.jit = 0;
    const gx = nb.grad((y: T) => jf(y))(x);
    expect(Array.from(gx.dataSync())).toEqual(Array.from(nb.grad(f)(x).dataSync()));
    // The forward call (for the stored residual) and the backward call.
    expect(calls.jit).toBe(2);
  });

  it("grad's seed is a constant of the backward call, which then takes only the operands", () => {
    const p = nb.makeProgram(nb.grad(nb.jit(rosen)))(x);
    expect(p.eqns).toHaveLength(1);
    const call = p.eqns[0]!;
    expect(call.prim).toBe("jit_call");
    expect(call.inputs).toHaveLength(1);
    // vjp with another cotangent passes it in.
    const [, pull] = nb.vjp(nb.jit(rosen), x);
    expect(pull(nb.array(2, { dtype: "float64" }))[0]!.dataSync()).toEqual(
      nb.mul(nb.grad(rosen)(x), 2).dataSync(),
    );
  });

  it("nested transformations see concrete values (jvp of grad of jit)", () => {
    const t = nb.array([1, 0, 0, 0, 0], { dtype: "float64" });
    const [, hv] = nb.jvp(nb.grad(nb.jit(rosen)), [x], [t]);
    const [, ref] = nb.jvp(nb.grad(rosen), [x], [t]);
    expect(Array.from(hv.dataSync())).toEqual(Array.from(ref.dataSync()));
  });

  it("grad(jit(f)) and valueAndGrad(jit(f)) on concrete values run one compiled program", () => {
    const jf = nb.jit(rosen);
    const g = nb.grad(jf);
    const vg = nb.valueAndGrad(jf);
    g(x);
    vg(x);
    calls.jit = 0;
    const gx = g(x);
    const [v, gv] = vg(x);
    // No call of f's program is evaluated on its own: each derivative is one compiled program.
    expect(calls.jit).toBe(0);
    expect(Array.from(gx.dataSync())).toEqual(Array.from(nb.grad(rosen)(x).dataSync()));
    expect(Array.from(gv.dataSync())).toEqual(Array.from(gx.dataSync()));
    expect(v.item()).toBe(rosen(x).item());
  });

  it("Deferred runs its computation once, on the first read of any output", () => {
    let runs = 0;
    const d = new Deferred(() => {
      runs++;
      return [nb.array([1, 2]), nb.array([3])].map((t) => t.concrete());
    });
    const a = d.output(0, { shape: [2], dtype: "float32", weak: false });
    const b = d.output(1, { shape: [1], dtype: "float32", weak: false });
    expect(runs).toBe(0);
    expect(d.done).toBe(false);
    expect(Array.from(b.data)).toEqual([3]);
    expect(Array.from(a.data)).toEqual([1, 2]);
    expect(runs).toBe(1);
    expect(d.done).toBe(true);
  });
});
