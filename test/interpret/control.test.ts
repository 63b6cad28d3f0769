// cond and switch: their errors, what they stage, and their semantics under every transformation.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { Program } from "../../src/core/program.js";

type T = nb.Tensor;
const f64 = (v: number | number[] | number[][]) => nb.array(v, { dtype: "float64" });
const sq = (y: T) => nb.mul(y, y);

describe("lax.cond: errors", () => {
  it("refuses branches whose outputs differ, naming the leaf", () => {
    expect(() =>
      nb.lax.cond(
        true,
        (x: T) => [x, x],
        (x: T) => [x, nb.sum(x)],
        f64([1, 2]),
      ),
    ).toThrow(/lax\.cond: trueFn returns f64\[2\] as output\[1\] but falseFn returns f64\[\]/);
    expect(() =>
      nb.lax.cond(
        true,
        (x: T) => ({ a: x }),
        (x: T) => ({ a: nb.astype(x, "float32") }),
        f64(1),
      ),
    ).toThrow(/trueFn returns f64\[\] as output\.a but falseFn returns f32\[\]/);
    expect(() => nb.lax.switch(1, [sq, (x: T) => nb.sum(x)], f64([1, 2]))).toThrow(
      /lax\.switch: branches\[1\] returns f64\[\] as the output but branches\[0\] returns f64\[2\]/,
    );
    expect(() => nb.lax.cond(true, (x: T) => ({ a: x }), ((x: T) => ({ b: x })) as never, f64(1))).toThrow(
      /lax\.cond: trueFn returns the structure .* but falseFn returns/,
    );
  });

  it("refuses a predicate that is not a scalar bool or int, and a branch that is not a function", () => {
    expect(() => nb.lax.cond(f64([1, 2]), sq, sq, f64(1))).toThrow(/predicate must be a scalar/);
    expect(() => nb.lax.cond(f64(1), sq, sq, f64(1))).toThrow(/bool \(or int32\) scalar/);
    expect(() => nb.lax.cond(true, sq, 3 as never, f64(1))).toThrow(/lax\.cond: .*falseFn/);
    expect(() => nb.lax.switch(0, [], f64(1))).toThrow(/non-empty array of branch functions/);
    expect(() => nb.lax.switch(nb.array(0.5, { dtype: "float32" }), [sq], f64(1))).toThrow(
      /index must be an int32 scalar/,
    );
  });
});

describe("lax.cond: semantics", () => {
  it("traces each branch once to a program and runs the branch taken", () => {
    let traced = 0;
    const f = (x: T) =>
      nb.lax.cond(
        nb.greater(x, 0),
        (y: T) => {
          traced++;
          return nb.log(y);
        },
        (y: T) => nb.neg(y),
        x,
      ) as T;
    expect(f(f64(-2)).item()).toBe(2);
    expect(traced).toBe(1); // traced once, to a program
    expect(f(f64(Math.E)).item()).toBeCloseTo(1, 14);
  });

  it("an int predicate means nonzero; switch clamps its index", () => {
    const f = (p: number) =>
      nb.lax.cond(
        nb.array(p, { dtype: "int32" }),
        () => 1,
        () => 0,
      ) as T;
    expect([f(0).item(), f(1).item(), f(-7).item()]).toEqual([0, 1, 1]);
    const g = (i: number) => nb.lax.switch(i, [() => 10, () => 20, () => 30]) as T;
    expect([g(-1), g(0), g(1), g(2), g(3)].map((t) => t.item())).toEqual([10, 10, 20, 30, 30]);
  });

  it("stages one cond equation whose branches print below it", () => {
    const p = nb.makeProgram((x: T) => nb.lax.cond(nb.greater(x, 0), nb.sin, sq, x))(f64(1));
    const text = String(p);
    expect(text).toMatch(/cond c a\n\s+branches\[0\]: \{ lambda a:f64\[\]\. let\n\s+b:f64\[\] = mul a a/);
    expect(text).toMatch(/branches\[1\]: \{ lambda a:f64\[\]\. let\n\s+b:f64\[\] = sin a/);
    expect(p.eqns.filter((e) => e.prim === "cond")).toHaveLength(1);
    const cond = p.eqns.find((e) => e.prim === "cond")!;
    expect((cond.params as { branches: Program[] }).branches.every((b) => b instanceof Program)).toBe(true);
    expect(p.run([f64(-2)])[0]!.item()).toBe(4);
  });

  it("values a branch closes over become operands, so grad sees them", () => {
    const f = (a: T, x: T) =>
      nb.lax.cond(
        nb.greater(x, 0),
        (y: T) => nb.mul(a, y),
        (y: T) => nb.add(a, y),
        x,
      ) as T;
    const [da, dx] = nb.grad(f, { argnums: [0, 1] })(f64(3), f64(2)) as T[];
    expect([da!.item(), dx!.item()]).toEqual([2, 3]);
    const [ea, ex] = nb.grad(f, { argnums: [0, 1] })(f64(3), f64(-2)) as T[];
    expect([ea!.item(), ex!.item()]).toEqual([1, 1]);
  });

  it("grad of grad, jacfwd of jacrev and hessians go through cond", () => {
    const f = (x: T) =>
      nb.sum(nb.lax.cond(nb.greater(nb.sum(x), 0), (y: T) => nb.mul(nb.sin(y), y), sq, x) as T);
    const x = f64([0.5, 1.5]);
    const h = nb.hessian(f)(x) as T;
    const want = [0.5, 1.5].map((v) => 2 * Math.cos(v) - v * Math.sin(v));
    const hv = h.toArray() as number[][];
    expect(hv[0]![0]).toBeCloseTo(want[0]!, 12);
    expect(hv[1]![1]).toBeCloseTo(want[1]!, 12);
    expect(hv[0]![1]).toBe(0);
    const hf = nb.jacfwd(nb.jacrev(f))(x) as T;
    expect(hf.toArray()).toEqual(h.toArray());
    const d3 = nb.grad((v: T) => nb.grad(nb.grad((u: T) => f(nb.reshape(u, [1]))))(v))(f64(-2));
    expect((d3 as T).item()).toBe(0);
  });

  it("vmap with a batched index runs every branch and selects per lane; unbatched keeps one cond", () => {
    const branches = [(y: T) => nb.neg(y), (y: T) => nb.exp(y), (y: T) => nb.mul(y, 10)];
    const g = (i: T, x: T) => nb.lax.switch(i, branches, x) as T;
    const idx = nb.array([0, 1, 2, 5], { dtype: "int32" });
    const xs = f64([1, 0, 2, 3]);
    expect(nb.vmap(g)(idx, xs).toArray()).toEqual([-1, 1, 20, 30]);
    const batchedIndex = String(nb.makeProgram(nb.vmap(g))(idx, xs));
    expect(batchedIndex).not.toMatch(/cond/);
    expect(batchedIndex).toMatch(/select_n/);
    const unbatched = nb.makeProgram(nb.vmap(g, { inAxes: [null, 0] }))(nb.array(1, { dtype: "int32" }), xs);
    expect(unbatched.eqns.map((e) => e.prim)).toContain("cond");
    expect(unbatched.run([nb.array(1, { dtype: "int32" }), xs])[0]!.toArray()).toEqual(
      [1, 0, 2, 3].map(Math.exp),
    );
  });

  it("jit compiles a cond as one call step and takes the branch on each call", () => {
    const f = nb.jit((x: T) =>
      nb.lax.cond(
        nb.greater(nb.sum(x), 0),
        (y: T) => nb.exp(nb.mul(y, 2)),
        (y: T) => nb.add(y, 1),
        x,
      ),
    );
    expect((f(f64([1, 2])) as T).toArray()).toEqual([Math.exp(2), Math.exp(4)]);
    expect((f(f64([-1, -2])) as T).toArray()).toEqual([0, -1]);
    expect(f.stats.misses).toBe(1);
    const lowered = String(f.lower(f64([1, 2])));
    expect(lowered).toMatch(/call\s+kernel.*cond/);
  });

  it("jet expands through the branch taken", () => {
    const f = (x: T) => nb.lax.cond(nb.greater(x, 0), nb.exp, nb.sin, x) as T;
    const [y, terms] = nb.jet(f, [f64(0.5)], [[f64(1), f64(0), f64(0)]]) as [T, T[]];
    expect(y.item()).toBeCloseTo(Math.exp(0.5), 14);
    expect(terms.map((t) => t.item())).toEqual(
      [1, 1, 1].map(() => expect.closeTo(Math.exp(0.5), 12)) as unknown as number[],
    );
  });

  it("a cond inside a branch: nested partial evaluation, grad of grad and vmap", () => {
    const inner = (y: T) => nb.lax.cond(nb.greater(y, 1), nb.exp, (z: T) => nb.mul(z, nb.sin(z)), y) as T;
    const f = (x: T) => nb.lax.cond(nb.greater(x, 0), inner, sq, x) as T;
    const d2 = (v: number) => (nb.grad(nb.grad(f))(f64(v)) as T).item();
    expect(d2(2)).toBeCloseTo(Math.exp(2), 12);
    expect(d2(0.5)).toBeCloseTo(2 * Math.cos(0.5) - 0.5 * Math.sin(0.5), 12);
    expect(d2(-1)).toBe(2);
    const xs = f64([-1, 0.5, 2]);
    const want = [1, 0.5 * Math.sin(0.5), Math.exp(2)];
    (nb.vmap(f)(xs).toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 14));
    const g = nb
      .vmap(nb.grad(nb.grad(f)))(xs)
      .toArray() as number[];
    expect(g[2]).toBeCloseTo(Math.exp(2), 12);
  });

  it("jit fuses around a cond without reordering: values read before and after it", () => {
    const f = (x: T) => {
      const y = nb.exp(x);
      const c = nb.lax.cond(
        nb.greater(nb.sum(x), 0),
        (a: T) => nb.mul(a, 2),
        (a: T) => nb.add(a, 1),
        y,
      ) as T;
      return nb.add(nb.mul(y, y), c);
    };
    const x = f64([0.1, 0.2, 0.3]);
    const jf = nb.jit(f);
    expect(jf(x).toArray()).toEqual(f(x).toArray());
    expect(jf(nb.neg(x)).toArray()).toEqual(f(nb.neg(x)).toArray());
    const jg = nb.jit(nb.grad((v: T) => nb.sum(f(v))));
    const g = nb.grad((v: T) => nb.sum(f(v)));
    (jg(x).toArray() as number[]).forEach((v, i) =>
      expect(v).toBeCloseTo((g(x).toArray() as number[])[i]!, 14),
    );
  });

  it("a NaN made inside a compiled branch is found and named", () => {
    const f = nb.jit((x: T) => nb.lax.cond(nb.greater(x, 0), nb.log, (y: T) => nb.log(nb.sub(y, 1)), x));
    const previous = nb.config.debugNans;
    nb.config.debugNans = true;
    try {
      expect(() => f(f64(-1))).toThrow(/log/);
    } finally {
      nb.config.debugNans = previous;
    }
  });
});

describe("JavaScript control flow on traced values", () => {
  it("an if on a tensor inside jit is a TraceError that shows nb.lax.cond, and that call works", () => {
    const branchy = nb.jit((x: nb.Tensor) => (nb.greater(x, 0).item() ? x : nb.neg(x)));
    expect(() => branchy(nb.array(1))).toThrow(nb.TraceError);
    expect(() => branchy(nb.array(1))).toThrow(
      "nb.lax.cond(nb.greater(x, 0), (x) => x, (x) => nb.neg(x), x)",
    );
    const f = nb.jit((x: nb.Tensor) =>
      nb.lax.cond(
        nb.greater(x, 0),
        (x: nb.Tensor) => x,
        (x: nb.Tensor) => nb.neg(x),
        x,
      ),
    );
    expect([(f(nb.array(-2)) as nb.Tensor).item(), (f(nb.array(3)) as nb.Tensor).item()]).toEqual([2, 3]);
    // Outside jit, ordinary JavaScript on concrete values keeps working.
    const eager = (x: nb.Tensor) => (nb.greater(x, 0).item() ? x : nb.neg(x));
    expect(eager(nb.array(-2)).item()).toBe(2);
  });
});
