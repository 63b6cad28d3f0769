// jit against eager evaluation: every row of the op table (values and gradients, float64 to 1e-12 and
// float32), composition with grad and vmap in both orders, the signature cache, pytrees, numbers as
// inputs, closures over outer tracers, and what the optimizer and fusion do to a program.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { ENGINES, withEngines } from "../../src/backend/engines.js";
import { compileGraph } from "../../src/compile/executable.js";
import { optimize, toGraph } from "../../src/compile/optimize.js";
import { getBackend, setBackend } from "../../src/interpret/eval.js";
import { makeRng } from "../../src/numeric/rng.js";
import { type Jitted, jit } from "../../src/transforms/jit.js";
import { expectClose, expectTreeClose } from "../util/close.js";
import { type OpRow, opTable } from "../util/op-table.js";

type Tensor = nb.Tensor;
const TIGHT = { atol: 1e-12, rtol: 1e-12 };

function seedOf(name: string): number {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}
const draw = (row: OpRow, k = 0): Tensor[] => row.args(makeRng(seedOf(row.name) + 7919 * k));

/** x ↦ Σ w·row.fn(x) with fixed weights, and its gradient in every argument. */
function lossOf(row: OpRow, like: Tensor) {
  const rng = makeRng(seedOf(row.name) + 3);
  const w = nb.reshape(nb.array(Float64Array.from({ length: like.size }, () => rng.normal())), like.shape);
  return (...a: Tensor[]) => nb.sum(nb.mul(row.fn(...a), nb.astype(w, a[0]!.dtype)));
}
const allArgnums = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("jit agrees with eager evaluation on every op-table row", () => {
  for (const row of opTable)
    describe(row.name, () => {
      it("values and gradients in float64 (to 1e-12), gradient program compiled whole", () => {
        const args = draw(row);
        const f = jit(row.fn);
        expectClose(f(...args), row.fn(...args), TIGHT, "jit(f)");
        expectClose(f(...draw(row, 1)), row.fn(...draw(row, 1)), TIGHT, "jit(f), second call");
        expect(f.stats.misses).toBe(1);
        expect(f.stats.hits).toBe(1);
        const loss = lossOf(row, row.fn(...args));
        // A row without reverse mode (a while loop) is differentiated in forward mode.
        const g =
          row.modes !== undefined && !row.modes.includes("rev")
            ? (...a: Tensor[]) =>
                a.map(
                  (x, i) =>
                    nb.jacfwd((t: Tensor) => loss(...a.map((y, j) => (j === i ? t : y))))(x) as Tensor,
                )
            : nb.grad(loss, { argnums: allArgnums(args.length) });
        expectTreeClose(jit(g)(...args), g(...args), TIGHT, "jit(grad(f))");
        if (row.modes === undefined || row.modes.includes("rev"))
          expectTreeClose(
            nb.grad(jit(loss), { argnums: allArgnums(args.length) })(...args),
            g(...args),
            TIGHT,
            "grad(jit(f))",
          );
      });

      it("float32", () => {
        const args = draw(row).map((a) => nb.astype(a, "float32"));
        const y = row.fn(...args);
        const got = jit(row.fn)(...args);
        expect(got.dtype).toBe(y.dtype);
        expectClose(got, y, { atol: 1e-6, rtol: 1e-5 }, "jit(f) float32");
      });

      if (row.vmap !== false)
        it("vmap(jit(f)) and jit(vmap(f)) equal vmap(f)", () => {
          const xs = [1, 2, 3].map((k) => draw(row, k));
          const batched = xs[0]!.map((_, i) => nb.stack(xs.map((a) => a[i]!)));
          const want = nb.vmap(row.fn)(...batched);
          expectClose(nb.vmap(jit(row.fn))(...batched), want, TIGHT, "vmap(jit(f))");
          expectClose(jit(nb.vmap(row.fn))(...batched), want, TIGHT, "jit(vmap(f))");
        });
    });
});

describe("jit: compilation cache", () => {
  it("traces once per signature: shape, dtype, weak type and pytree structure", () => {
    let traces = 0;
    const f = jit((x: Tensor, y: Tensor | number) => {
      traces++;
      return nb.add(nb.mul(x, 2), y);
    });
    const a = nb.array([1, 2, 3], { dtype: "float64" });
    f(a, a);
    f(nb.add(a, 1), a);
    expect(traces).toBe(1);
    f(nb.array([1, 2]), nb.array([1, 2]));
    expect(traces).toBe(2);
    f(nb.astype(a, "float32"), nb.astype(a, "float32"));
    expect(traces).toBe(3);
    expectClose(f(a, 1), [3, 5, 7]);
    expect(traces).toBe(4);
    f(a, 5);
    expect(traces).toBe(4);
    expect(f.stats).toMatchObject({ misses: 4, hits: 2, size: 4 });
  });

  it("numbers are traced inputs, not constants", () => {
    const f = jit((x: number, y: Tensor) => nb.mul(x, y));
    const y = nb.array([1, 2]);
    expectClose(f(2, y), [2, 4]);
    expectClose(f(3, y), [3, 6]);
    expect(f.stats.misses).toBe(1);
    expect(f(3, y).dtype).toBe("float32");
  });

  it("recompiles for each backend and agrees with the reference backend", () => {
    const f = jit((x: Tensor) => nb.sum(nb.tanh(nb.matmul(x, x))));
    const x = nb.random.normal(nb.random.key(0), [40, 40], { dtype: "float64" });
    const fast = f(x);
    const previous = setBackend("reference");
    try {
      expect(getBackend().name).toBe("reference");
      expectClose(f(x), fast, TIGHT);
      expect(f.stats.misses).toBe(2);
    } finally {
      setBackend(previous);
    }
  });
});

describe("jit: the cache is bounded by nb.config.jitCacheSize (least recently used evicted)", () => {
  const withCacheSize = (n: number, body: () => void) => {
    const previous = nb.config.jitCacheSize;
    nb.config.jitCacheSize = n;
    try {
      body();
    } finally {
      nb.config.jitCacheSize = previous;
    }
  };
  const shape = (n: number) => nb.zeros([n]);

  it("keeps at most jitCacheSize signatures and evicts the least recently used", () =>
    withCacheSize(2, () => {
      let traces = 0;
      const f = jit((x: Tensor) => {
        traces++;
        return nb.add(x, 1);
      });
      f(shape(1)); // A
      f(shape(2)); // B
      f(shape(1)); // A again: now B is the least recently used
      f(shape(3)); // C evicts B
      expect(f.stats).toMatchObject({ misses: 3, hits: 1, size: 2, evictions: 1 });
      f(shape(1)); // A is still compiled
      expect(traces).toBe(3);
      f(shape(2)); // B was evicted: traced again, evicting C
      expect(traces).toBe(4);
      expect(f.stats).toMatchObject({ misses: 4, hits: 2, size: 2, evictions: 2 });
      expectClose(f(shape(3)), [1, 1, 1]);
      expect(f.stats.evictions).toBe(3);
    }));

  it("300 shapes through a cache of 16 hold 16 programs", () =>
    withCacheSize(16, () => {
      const f = jit((x: Tensor) => nb.sum(nb.exp(x)));
      for (let n = 1; n <= 300; n++) f(shape(n));
      expect(f.stats).toMatchObject({ misses: 300, size: 16, evictions: 300 - 16 });
      f(shape(300));
      expect(f.stats.hits).toBe(1);
    }));

  it("clearCache drops every compiled signature", () => {
    let traces = 0;
    const f = jit((x: Tensor) => {
      traces++;
      return nb.mul(x, 2);
    });
    f(shape(2));
    f(shape(3));
    expect(f.stats.size).toBe(2);
    f.clearCache();
    expect(f.stats.size).toBe(0);
    expectClose(f(shape(2)), [0, 0]);
    expect(traces).toBe(3);
    expect(f.stats.misses).toBe(3);
  });
});

describe("jit: lower() shows the optimized program and who runs each step", () => {
  it("names the engine of each fused loop and matrix product, and the buffers", () => {
    const f = jit(function mlp(x: Tensor, w: Tensor) {
      return nb.sum(nb.tanh(nb.matmul(x, w)));
    });
    const x = nb.ones([64, 96]);
    const w = nb.ones([96, 32]);
    const low = f.lower(x, w);
    expect(f.stats.misses).toBe(0); // lowering runs nothing and caches nothing
    expect(low.signature).toBe("(f32[64,96], f32[96,32])");
    expect(low.steps.map((s) => s.kind)).toEqual(["matmul", "fused"]);
    expect(low.steps[1]!.prims).toEqual(["tanh", "reduce_sum"]);
    for (const s of low.steps) expect(ENGINES).toContain(s.engine);
    expect(low.buffers.inputBytes).toBe((64 * 96 + 96 * 32) * 4);
    expect(low.buffers.outputBytes).toBe(4);
    expect(low.buffers.intermediates).toBe(1);
    expect(low.buffers.intermediateBytes).toBe(64 * 32 * 4);
    const text = String(low);
    expect(text).toBe(low.text);
    expect(text).toContain("jit(mlp) lowered for (f32[64,96], f32[96,32])");
    expect(text).toContain("dot_general");
    expect(text).toMatch(/fused\s+\w+\s+\[64,32\]/);
    expect(text).toContain(`engines: ${low.steps[0]!.engine}`);
    expect(String(low.optimized)).toContain("tanh");
  });

  it("reports the engine each loop was compiled for", () => {
    const f = jit((x: Tensor) => nb.mul(nb.exp(x), 2));
    const x = nb.ones([4096]);
    const js = withEngines(["js"], () => f.lower(x));
    expect(js.steps.map((s) => s.engine)).toEqual(["js"]);
    expect(js.engines).toEqual({ js: 1 });
    const interp = withEngines(["interpreter"], () => f.lower(x));
    expect(interp.steps.map((s) => s.engine)).toEqual(["interpreter"]);
    expect(String(interp)).toMatch(/fused\s+interpreter/);
    // A float32 loop over contiguous inputs runs as WebAssembly when the native addon is off.
    expect(withEngines(["wasm", "js"], () => f.lower(x)).steps[0]!.engine).toBe("wasm");
    // Products too small for the fast kernels run in JavaScript.
    const small = withEngines(["native", "wasm", "js"], () =>
      jit((a: Tensor) => nb.matmul(a, a)).lower(nb.ones([4, 4])),
    );
    expect(small.steps[0]).toMatchObject({ kind: "matmul", engine: "js" });
  });

  it("shows views read in place and buffers reused across runs", () => {
    const f = jit((x: Tensor) => {
      const y = nb.exp(x);
      return [nb.transpose(nb.reshape(y, [512, 512])), nb.sum(nb.mul(y, y))];
    });
    const low = f.lower(nb.ones([512 * 512]));
    expect(low.steps.some((s) => s.kind === "fused")).toBe(true);
    expect(low.text).toContain("steps (");
    expect(low.text).toMatch(/buffers: inputs 1\.0 MiB/);
  });

  it("refuses traced arguments", () => {
    const f = jit((x: Tensor) => nb.sin(x));
    expect(() => nb.grad((x: Tensor) => nb.sum(f.lower(x) as unknown as Tensor))(nb.ones([2]))).toThrow(
      /jit\.lower: an argument is traced/,
    );
  });
});

describe("jit: pytrees and outputs", () => {
  it("takes and returns nested objects, arrays, null and numbers", () => {
    const f = jit((p: { w: Tensor; b: Tensor[] }, s: number) => ({
      out: [nb.add(p.w, p.b[0]!), nb.mul(p.b[1]!, s)],
      nothing: null,
      same: p.w,
      k: 7,
    }));
    const p = { w: nb.array([1, 2]), b: [nb.array(3), nb.array([4, 5])] };
    const r = f(p, 2) as unknown as { out: Tensor[]; nothing: null; same: Tensor; k: Tensor };
    expectClose(r.out[0], [4, 5]);
    expectClose(r.out[1], [8, 10]);
    expect(r.nothing).toBeNull();
    expectClose(r.same, [1, 2]);
    expectClose(r.k, 7);
  });

  it("int32 and bool outputs keep their dtypes", () => {
    const f = jit((x: Tensor) => [nb.argmax(x), nb.greater(x, 0), nb.astype(x, "int32")]);
    const [i, b, n] = f(nb.array([-1.5, 2.5, 0.5])) as Tensor[];
    expect([i!.dtype, b!.dtype, n!.dtype]).toEqual(["int32", "bool", "int32"]);
    expect(i!.item()).toBe(1);
    expect(b!.toArray()).toEqual([false, true, true]);
    expect(n!.toArray()).toEqual([-1, 2, 0]);
  });

  it("a function that closes over an outer tracer is evaluated through that transformation", () => {
    const df = nb.grad((x: Tensor) =>
      jit((y: Tensor) => nb.mul(nb.mul(y, x), x))(nb.array(2, { dtype: "float64" })),
    );
    expectClose(df(nb.array(3, { dtype: "float64" })), 12);
  });

  it("composes to higher order: jit(grad(jit(grad(f))))", () => {
    const f = (x: Tensor) => nb.sum(nb.mul(nb.sin(x), nb.exp(nb.neg(nb.square(x)))));
    const g2 = nb.grad((x: Tensor) => nb.sum(nb.grad(f)(x)));
    const j = jit(nb.grad((x: Tensor) => nb.sum(jit(nb.grad(f))(x))));
    const x = nb.linspace(-2, 2, 9, { dtype: "float64" });
    expectClose(j(x), g2(x), TIGHT);
  });
});

describe("jit: the optimized, fused program", () => {
  const stepsOf = (f: (...a: Tensor[]) => unknown, ...args: Tensor[]) => {
    const program = nb.makeProgram(f)(...args);
    const g = optimize(toGraph(program)!, getBackend());
    return { graph: g, exe: compileGraph(g, getBackend()) };
  };

  it("fuses an elementwise chain into one kernel", () => {
    const x = nb.linspace(-2, 2, 1000);
    const { exe } = stepsOf((t) => nb.mul(nb.tanh(t), nb.exp(nb.neg(nb.mul(t, t)))), x);
    expect(exe.steps).toBe(1);
  });

  it("folds an operation on broadcast constants into one broadcast constant", () => {
    // grad(jit(f))'s backward program multiplies its broadcast unit seed by f's constants.
    const n = 5000;
    const f = (x: Tensor) =>
      nb.mul(nb.mul(nb.ones([n]), nb.array(1 / 3)), nb.add(x, nb.mul(nb.full([n], 2), 3)));
    const x = nb.linspace(-1, 1, n);
    const { graph } = stepsOf(f, x);
    const prims = graph.defs.flatMap((d) => (d.kind === "eqn" ? [d.prim] : []));
    expect(prims.sort()).toEqual(["add", "broadcast_in_dim", "broadcast_in_dim", "mul"]);
    expect(Array.from(jit(f)(x).dataSync())).toEqual(Array.from(f(x).dataSync()));
  });

  it("fuses the reduction and the slices of the Rosenbrock function", () => {
    const rosen = (x: Tensor) => {
      const a = nb.slice(x, [1], [99]);
      const b = nb.slice(x, [0], [99]);
      return nb.sum(nb.add(nb.mul(100, nb.square(nb.sub(a, nb.square(b)))), nb.square(nb.sub(1, b))));
    };
    const x = nb.linspace(-1, 1, 100, { dtype: "float64" });
    expect(stepsOf(rosen, x).exe.steps).toBe(1);
    expectClose(jit(rosen)(x), rosen(x), TIGHT);
    const g = nb.grad(rosen);
    expectClose(jit(g)(x), g(x), TIGHT);
  });

  it("writes a product in the layout its consumer reads, through unit dims (a Hessian's)", () => {
    const n = 7;
    const A = nb.reshape(nb.linspace(-1, 1, n * n, { dtype: "float64" }), [n, n]);
    const f = (v: Tensor) => nb.sum(nb.tanh(nb.matmul(A, v)));
    const x = nb.linspace(-0.5, 0.7, n, { dtype: "float64" });
    const h = nb.hessian(f);
    const { graph } = stepsOf(h, x);
    const prims = graph.defs.flatMap((d) => (d.kind === "eqn" ? [d.prim] : []));
    expect(prims).not.toContain("transpose");
    expectClose(jit(h)(x), h(x), TIGHT);
    // The same product read in its own layout elsewhere is not computed twice.
    const both = (v: Tensor) => {
      const H = h(v);
      return [H, nb.transpose(H)];
    };
    const { graph: g2 } = stepsOf(both, x);
    expect(g2.defs.filter((d) => d.kind === "eqn" && d.prim === "dot_general").length).toBeLessThanOrEqual(3);
    const [j0, j1] = jit(both)(x) as Tensor[];
    const [e0, e1] = both(x);
    expectClose(j0!, e0!, TIGHT);
    expectClose(j1!, e1!, TIGHT);
  });

  it("removes duplicate and dead work and simplifies x·1, x+0, −(−x)", () => {
    const f = (x: Tensor) => {
      nb.exp(x); // dead
      const a = nb.sin(x);
      const b = nb.sin(x); // duplicate
      return nb.add(nb.mul(nb.neg(nb.neg(a)), 1), nb.add(b, 0));
    };
    const { graph } = stepsOf(f, nb.array([1, 2, 3]));
    const prims = graph.defs.flatMap((d) => (d.kind === "eqn" ? [d.prim] : []));
    expect(prims).toEqual(["sin", "add"]);
  });

  it("runs a scalar program as one straight-line function (B8-style graph)", () => {
    const f = (x: Tensor, y: Tensor) => {
      for (let i = 0; i < 50; i++) x = nb.add(nb.mul(nb.sin(x), y), nb.div(x, nb.add(1, nb.mul(y, y))));
      return x;
    };
    const g = nb.grad(f, { argnums: [0, 1] });
    const x = nb.array(0.5, { dtype: "float64" });
    const y = nb.array(0.3, { dtype: "float64" });
    const jg = jit(g) as Jitted<typeof g>;
    expectTreeClose(jg(x, y), g(x, y), TIGHT);
    expect(stepsOf(g, x, y).exe.steps).toBe(1);
    // float32: fused loops keep intermediates in float64, so they agree to float32 rounding.
    const x32 = nb.array(0.5);
    const y32 = nb.array(0.3);
    expectTreeClose(jg(x32, y32), g(x32, y32), { atol: 1e-30, rtol: 1e-5 });
  });
});
