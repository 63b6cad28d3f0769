// scan, foriLoop and whileLoop: their errors, what they stage, and their semantics under every transformation.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as lax from "../../src/primitives/lax.js";
import { expectClose } from "../util/close.js";

type T = nb.Tensor;
const f64 = (v: number | number[] | number[][]) => nb.array(v, { dtype: "float64" });
const TIGHT = { atol: 1e-12, rtol: 1e-12 };

/** An RNN-like recurrence h ← tanh(W·h + x_t), written as a scan and as an unrolled loop. */
const cell = (w: T, h: T, x: T) => nb.tanh(nb.add(nb.matmul(w, h), x));
const rnnScan = (w: T, h0: T, xs: T) => {
  const [h, hs] = nb.lax.scan(
    (h: T, x: T) => {
      const next = cell(w, h, x);
      return [next, next];
    },
    h0,
    xs,
  ) as [T, T];
  return nb.add(nb.sum(h), nb.sum(nb.mul(hs, hs)));
};
const rnnUnrolled = (w: T, h0: T, xs: T) => {
  let h = h0;
  let total: T = f64(0);
  for (let t = 0; t < xs.shape[0]!; t++) {
    h = cell(w, h, lax.reshape(lax.slice(xs, [t, 0], [t + 1, xs.shape[1]!]), [xs.shape[1]!]));
    total = nb.add(total, nb.sum(nb.mul(h, h)));
  }
  return nb.add(nb.sum(h), total);
};
const rnnArgs = (steps: number): [T, T, T] => {
  const w = nb.mul(nb.random.normal(nb.random.key(1), [4, 4], { dtype: "float64" }), 0.4);
  const h0 = nb.random.normal(nb.random.key(2), [4], { dtype: "float64" });
  const xs = nb.random.normal(nb.random.key(3), [steps, 4], { dtype: "float64" });
  return [w, h0, xs];
};

describe("lax.scan: semantics", () => {
  it("carries a running sum and stacks the ys, forwards and in reverse", () => {
    const step = (c: T, x: T) => {
      const s = nb.add(c, x);
      return [s, s] as const;
    };
    const [total, partial] = nb.lax.scan(step, f64(0), f64([1, 2, 3])) as [T, T];
    expect(total.item()).toBe(6);
    expect(partial.toArray()).toEqual([1, 3, 6]);
    const [rTotal, rPartial] = nb.lax.scan(step, f64(0), f64([1, 2, 3]), { reverse: true }) as [T, T];
    expect(rTotal.item()).toBe(6);
    expect(rPartial.toArray()).toEqual([6, 5, 3]);
  });

  it("takes pytree carries and xs, no ys, and a length without xs", () => {
    const [c, ys] = nb.lax.scan(
      (c: { a: T; n: T }, x: [T, T]) => [{ a: nb.add(c.a, nb.mul(x[0], x[1])), n: nb.add(c.n, 1) }, null],
      { a: f64(0), n: nb.array(0, { dtype: "int32" }) },
      [f64([1, 2]), f64([3, 4])],
    ) as [{ a: T; n: T }, null];
    expect(c.a.item()).toBe(11);
    expect(c.n.item()).toBe(2);
    expect(ys).toBeNull();
    const [p] = nb.lax.scan((c: T) => [nb.mul(c, 2), null], f64(1), null, { length: 10 }) as unknown as [T];
    expect(p.item()).toBe(1024);
    const [z, zs] = nb.lax.scan((c: T, x: T) => [c, x], f64(5), nb.zeros([0, 2], { dtype: "float64" })) as [
      T,
      T,
    ];
    expect(z.item()).toBe(5);
    expect(zs.shape).toEqual([0, 2]);
  });

  it("a weakly typed initial carry (a JS number) takes the body's dtype", () => {
    const [c] = nb.lax.scan(
      (c: T, x: T) => [nb.add(c, x), null],
      0,
      nb.array([1, 2], { dtype: "float32" }),
    ) as unknown as [T];
    expect(c.dtype).toBe("float32");
    expect(c.item()).toBe(3);
  });

  it("stages one scan equation whose body prints below it", () => {
    const p = nb.makeProgram(
      (x: T) => nb.lax.scan((c: T, y: T) => [nb.sin(nb.add(c, y)), c], f64(0), x)[0] as T,
    )(f64([1, 2, 3]));
    const text = String(p);
    expect(p.eqns.filter((e) => e.prim === "scan")).toHaveLength(1);
    expect(text).toMatch(/scan\[.*length=3.*reverse=false.*\]/);
    expect(text).toMatch(/body: \{ lambda a:f64\[\] b:f64\[\]\. let/);
    expect(p.run([f64([0, 0, 0])])[0]!.item()).toBe(0);
  });
});

describe("lax.scan: errors", () => {
  it("names the carry leaf whose shape or dtype changes", () => {
    expect(() =>
      nb.lax.scan(
        (c: { h: T; n: T }) => [{ h: nb.stack([c.h, c.h]), n: c.n }, null],
        { h: f64(1), n: f64(0) },
        null,
        {
          length: 2,
        },
      ),
    ).toThrow(/lax\.scan: the carry leaf carry\.h is f64\[\] initially but the body returns f64\[2\]/);
    expect(() =>
      nb.lax.scan((c: [T, T]) => [[c[0], nb.astype(c[1], "float32")], null], [f64(1), f64(2)], null, {
        length: 2,
      }),
    ).toThrow(/carry leaf carry\[1\] is f64\[\] initially but the body returns f32\[\]/);
    // The types refuse these bodies too; the checks are for JavaScript callers.
    expect(() => nb.lax.scan(((c: T) => [[c, c], null]) as never, f64(1), null, { length: 2 })).toThrow(
      /lax\.scan: the body returns a carry of structure/,
    );
  });

  it("asks for a length without xs, and refuses xs of different lengths", () => {
    expect(() => nb.lax.scan((c: T) => [c, null], f64(1))).toThrow(
      /give the number of steps as \{ length \}/,
    );
    expect(() => nb.lax.scan((c: T) => [c, null], f64(1), [f64([1, 2]), f64([1, 2, 3])])).toThrow(
      /every xs leaf must have a leading axis of length 2, got f64\[3\]/,
    );
    expect(() => nb.lax.scan(((c: T) => c) as never, f64(1), f64([1]))).toThrow(
      /must return a pair \[carry, y\]/,
    );
  });
});

describe("lax.scan: transformations", () => {
  it("grad of a 50-step RNN-like scan equals the unrolled loop's gradient", () => {
    const args = rnnArgs(50);
    const all = { argnums: [0, 1, 2] };
    expectClose(rnnScan(...args), rnnUnrolled(...args), TIGHT, "value");
    const gs = nb.grad(rnnScan, all)(...args) as T[];
    const gu = nb.grad(rnnUnrolled, all)(...args) as T[];
    gs.forEach((g, i) => expectClose(g, gu[i]!, { atol: 1e-10, rtol: 1e-10 }, `grad ${i}`));
  });

  it("grad of grad and jvp of grad agree with the unrolled loop", () => {
    const [w, h0, xs] = rnnArgs(6);
    const gg = (f: typeof rnnScan) => nb.grad((v: T) => nb.sum(nb.grad((u: T) => f(w, u, xs))(v)));
    expectClose(gg(rnnScan)(h0), gg(rnnUnrolled)(h0), { atol: 1e-10, rtol: 1e-10 }, "grad of grad");
    const hv = (f: typeof rnnScan) =>
      nb.jvp(
        nb.grad((u: T) => f(w, u, xs)),
        [h0],
        [nb.onesLike(h0)],
      )[1];
    expectClose(hv(rnnScan), hv(rnnUnrolled), { atol: 1e-10, rtol: 1e-10 }, "jvp of grad");
  });

  it("a scan nested in a scan body or a cond branch differentiates to second order like the unrolled loops", () => {
    const inner = (c: T, a: T) =>
      (nb.lax.scan((u: T) => [nb.sin(nb.mul(u, a)), null], c, null, { length: 3 }) as [T, null])[0];
    const nested = (a: T) =>
      (nb.lax.scan((c: T, x: T) => [nb.add(inner(c, a), x), null], a, f64([0.1, 0.2])) as [T, null])[0];
    const unrolled = (a: T) => {
      let c = a;
      for (const x of [0.1, 0.2]) {
        for (let k = 0; k < 3; k++) c = nb.sin(nb.mul(c, a));
        c = nb.add(c, x);
      }
      return c;
    };
    const x = f64(0.8);
    expectClose(nb.grad(nested)(x), nb.grad(unrolled)(x), TIGHT, "grad");
    expectClose(
      nb.grad(nb.grad(nested))(x),
      nb.grad(nb.grad(unrolled))(x),
      { atol: 1e-11, rtol: 1e-11 },
      "grad of grad",
    );
    const inCond = (a: T) =>
      nb.lax.cond(
        nb.greater(a, 0),
        (b: T) => inner(b, b),
        (b: T) => b,
        a,
      ) as T;
    const inCondUnrolled = (a: T) => nb.sin(nb.mul(nb.sin(nb.mul(nb.sin(nb.mul(a, a)), a)), a));
    expectClose(nb.grad(inCond)(x), nb.grad(inCondUnrolled)(x), TIGHT, "grad through cond");
    expectClose(
      nb.grad(nb.grad(inCond))(x),
      nb.grad(nb.grad(inCondUnrolled))(x),
      { atol: 1e-11, rtol: 1e-11 },
      "grad of grad through cond",
    );
  });

  it("vmap batches the carry, the xs and closed-over values, keeping the scanned axis leading", () => {
    const [w, h0, xs] = rnnArgs(5);
    const hs = nb.stack([h0, nb.neg(h0), nb.mul(h0, 0.5)]);
    const xss = nb.stack([xs, nb.mul(xs, 2), nb.neg(xs)], 1);
    const got = nb.vmap((h: T, x: T) => rnnScan(w, h, x), { inAxes: [0, 1] })(hs, xss);
    const want = [0, 1, 2].map((b) =>
      rnnScan(
        w,
        lax.reshape(lax.slice(hs, [b, 0], [b + 1, 4]), [4]),
        lax.reshape(lax.slice(xss, [0, b, 0], [5, b + 1, 4]), [5, 4]),
      ),
    );
    expectClose(got, nb.stack(want), TIGHT, "vmap over carry and xs");
    const ws = nb.stack([w, nb.mul(w, 0.5)]);
    const gotW = nb.vmap((a: T) => rnnScan(a, h0, xs))(ws);
    expectClose(
      gotW,
      nb.stack([rnnScan(w, h0, xs), rnnScan(nb.mul(w, 0.5), h0, xs)]),
      TIGHT,
      "vmap over a closure",
    );
  });

  it("jit(grad(scan)) compiles once and agrees with eager", () => {
    const [w, h0, xs] = rnnArgs(20);
    const g = nb.grad(rnnScan);
    const jg = nb.jit(g);
    expectClose(jg(w, h0, xs), g(w, h0, xs), TIGHT, "first call");
    const w2 = nb.mul(w, 0.9);
    expectClose(jg(w2, h0, xs), g(w2, h0, xs), TIGHT, "second call");
    expect(jg.stats.misses).toBe(1);
    expect(jg.stats.hits).toBe(1);
  });

  it("jet gives the Taylor coefficients of the unrolled loop", () => {
    const [w, h0, xs] = rnnArgs(4);
    const [p1, s1] = nb.jet(
      (u: T) => rnnScan(w, u, xs),
      [h0],
      [[nb.onesLike(h0), nb.zerosLike(h0), nb.onesLike(h0)]],
    );
    const [p2, s2] = nb.jet(
      (u: T) => rnnUnrolled(w, u, xs),
      [h0],
      [[nb.onesLike(h0), nb.zerosLike(h0), nb.onesLike(h0)]],
    );
    expectClose(p1 as T, p2 as T, TIGHT, "primal");
    (s1 as T[]).forEach((t, i) =>
      expectClose(t, (s2 as T[])[i]!, { atol: 1e-10, rtol: 1e-10 }, `term ${i + 1}`),
    );
  });
});

describe("lax.foriLoop", () => {
  it("runs the body over static bounds and is reverse-differentiable", () => {
    const f = (x: T) =>
      nb.lax.foriLoop(2, 5, (i: T, c: T) => nb.add(nb.mul(c, x), nb.astype(i, "float64")), f64(1)) as T;
    // ((1·x + 2)·x + 3)·x + 4
    const x = f64(1.5);
    expect(f(x).item()).toBeCloseTo(((1.5 + 2) * 1.5 + 3) * 1.5 + 4, 12);
    expect(nb.grad(f)(x).item()).toBeCloseTo(3 * 1.5 * 1.5 + 2 * 2 * 1.5 + 3, 12);
    expect((nb.lax.foriLoop(3, 3, (_i: T, c: T) => nb.mul(c, 2), f64(7)) as T).item()).toBe(7);
    expect(() => nb.lax.foriLoop(0, 2.5, (_i: T, c: T) => c, f64(1))).toThrow(/bounds must be integers/);
  });
});

describe("lax.whileLoop", () => {
  // Doubles k until it reaches 100, counting the steps: the carry and the trip count both depend on data.
  const doublings = (n: T) =>
    nb.lax.whileLoop(
      ([k]: [T, T]) => nb.less(k, 100),
      ([k, s]: [T, T]) => [nb.mul(k, 2), nb.add(s, 1)],
      [n, nb.array(0, { dtype: "int32" })],
    ) as [T, T];
  const i32 = (v: number | number[]) => nb.array(v, { dtype: "int32" });

  it("loops on data, eager and under jit", () => {
    expect(doublings(i32(3)).map((t) => t.item())).toEqual([192, 6]);
    const j = nb.jit((n: T) => doublings(n)[1]);
    expect(j(i32(1)).item()).toBe(7);
    expect(j(i32(500)).item()).toBe(0);
  });

  it("under vmap every lane runs until all are done, lanes that are done keeping their carry", () => {
    const ns = i32([1, 50, 200, 3]);
    const [k, s] = nb.vmap(doublings)(ns) as [T, T];
    expect(k.toArray()).toEqual([128, 100, 200, 192]);
    expect(s.toArray()).toEqual([7, 1, 0, 6]);
    expect(
      nb
        .jit(nb.vmap((n: T) => doublings(n)[1]))(ns)
        .toArray(),
    ).toEqual([7, 1, 0, 6]);
  });

  it("forward mode differentiates through the loop; reverse mode raises a clear error", () => {
    // Doubles x until it reaches 10: for x = 3 that is 2 doublings, so f(x) = 4x.
    const f = (x: T) =>
      nb.lax.whileLoop(
        (y: T) => nb.less(y, 10),
        (y: T) => nb.mul(y, 2),
        x,
      ) as T;
    expect(nb.jvp(f, [f64(3)], [f64(1)])[1].item()).toBe(4);
    expect(nb.jacfwd(f)(f64(3)).item()).toBe(4);
    expect(
      nb
        .vmap((x: T) => nb.jvp(f, [x], [f64(1)])[1])(f64([3, 0.5, 20]))
        .toArray(),
    ).toEqual([4, 32, 1]);
    expect(() => nb.grad(f)(f64(3))).toThrow(
      /lax\.whileLoop: reverse-mode differentiation .* is not supported.*use nb\.lax\.scan or nb\.lax\.foriLoop with static bounds/,
    );
  });

  it("refuses a condition that is not a bool scalar and a body that changes the carry", () => {
    expect(() =>
      nb.lax.whileLoop(
        (y: T) => y,
        (y: T) => y,
        f64(1),
      ),
    ).toThrow(/cond must return a bool scalar, got f64\[\]/);
    expect(() =>
      nb.lax.whileLoop(
        (y: T) => nb.less(nb.sum(y), 1),
        (y: T) => nb.stack([y, y]),
        f64(1),
      ),
    ).toThrow(/lax\.whileLoop: the carry leaf carry is f64\[\] initially but the body returns f64\[2\]/);
  });
});
