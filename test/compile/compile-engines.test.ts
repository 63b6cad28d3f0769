// Kernel engines as one ordered list: each fused loop runs on the first engine that accepts it, jit's
// statistics and lower() say which, and lower() says why the engines before it declined.
import { describe, expect, it } from "vitest";
import { type Engine, withEngines } from "../../src/backend/engines.js";
import { compileFusedOn } from "../../src/backend/fast/codegen.js";
import type { FusedSpec } from "../../src/backend/fusion.js";
import { KERNEL_ENGINES } from "../../src/compile/engines.js";
import * as nb from "../../src/index.js";

type Tensor = nb.Tensor;
const N = 10_000;
const halves = () => nb.mul(nb.ones([N]), 0.5);
const asinLoop = (x: Tensor) => nb.mul(nb.asin(x), 2);
const expLoop = (x: Tensor) => nb.mul(nb.exp(x), 2);
/** Every engine except the native addon (which runs asin too, when it is built). */
const NO_NATIVE: Engine[] = ["threads", "wasm", "js", "interpreter"];

describe("kernel engines", () => {
  it("are tried in one order: native, WebAssembly SIMD, generated JavaScript, interpreter", () => {
    expect(KERNEL_ENGINES.map((e) => e.name)).toEqual(["native", "wasm", "js", "interpreter"]);
  });

  it("a loop with an operation WebAssembly has no kernel for runs as generated JavaScript, and says why", () => {
    const low = withEngines(NO_NATIVE, () => nb.jit(asinLoop).lower(halves()));
    expect(low.steps).toHaveLength(1);
    const step = low.steps[0]!;
    expect(step).toMatchObject({ kind: "fused", engine: "js", prims: ["asin", "mul"] });
    expect(step.declined).toEqual([
      { engine: "native", reason: "turned off (setEngines)" },
      { engine: "wasm", reason: "no SIMD kernel for asin" },
    ]);
    expect(low.text).toContain("wasm: no SIMD kernel for asin");
  });

  it("WebAssembly's other reasons: float64 data, a strided read, a short loop", () => {
    const reason = (f: (x: Tensor) => Tensor, x: Tensor) =>
      withEngines(NO_NATIVE, () => nb.jit(f).lower(x)).steps[0]!.declined.find((d) => d.engine === "wasm")
        ?.reason;
    expect(reason(expLoop, nb.ones([N], { dtype: "float64" }))).toBe("float64 data (it runs float32)");
    expect(reason((x) => nb.exp(nb.transpose(x)), nb.ones([100, 100]))).toMatch(/^a strided read/);
    expect(reason(expLoop, nb.ones([10]))).toBe("too few elements (10)");
  });

  it("with every engine on, a loop runs on the first that accepts it, after those that declined", () => {
    const names = KERNEL_ENGINES.map((e) => e.name as Engine);
    for (const f of [asinLoop, expLoop]) {
      const step = nb.jit(f).lower(halves()).steps[0]!;
      const at = names.indexOf(step.engine === "threads" ? "wasm" : (step.engine as Engine));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(step.declined.map((d) => d.engine)).toEqual(names.slice(0, at));
      for (const d of step.declined) expect(d.reason).not.toBe("");
    }
  });

  it("the choice follows the enabled engines, in jit statistics as in lower()", () => {
    const cases: [Engine[], Engine][] = [
      [["wasm", "js"], "wasm"],
      [["js"], "js"],
      [["interpreter"], "interpreter"],
    ];
    const x = halves();
    const eager = expLoop(x).dataSync();
    for (const [engines, expected] of cases) {
      const f = nb.jit(expLoop);
      const y = withEngines(engines, () => f(x));
      expect(f.stats.engines).toEqual({ [expected]: 1 });
      expect(Array.from(y.dataSync())).toEqual(Array.from(eager));
      const step = withEngines(engines, () => f.lower(x)).steps[0]!;
      expect(step.engine).toBe(expected);
      if (expected === "interpreter")
        expect(step.declined.find((d) => d.engine === "js")?.reason).toBe("turned off (setEngines)");
    }
  });

  it("statistics add up every compiled signature", () => {
    const f = nb.jit((a: Tensor) => nb.sum(nb.tanh(nb.matmul(a, a))));
    withEngines(["js"], () => {
      f(nb.ones([4, 4]));
      f(nb.ones([4, 4])); // a hit compiles nothing
      f(nb.ones([3, 3]));
    });
    expect(f.stats.engines).toEqual({ js: 4 }); // per signature: a matrix product and a fused loop
  });

  it("a small matrix product says why the faster kernels declined it", () => {
    const step = nb.jit((a: Tensor) => nb.matmul(a, a)).lower(nb.ones([4, 4])).steps[0]!;
    expect(step).toMatchObject({ kind: "matmul", engine: "js" });
    expect(step.declined.map((d) => d.engine)).toEqual(["native", "wasm"]);
    for (const d of step.declined) expect(d.reason).toMatch(/64 multiply-adds, fewer than|turned off/);
  });

  it("the eager fast backend chooses from the same list", () => {
    const spec: FusedSpec = {
      shape: [N],
      inputs: [{ dtype: "float32", offset: 0, strides: [1] }],
      nodes: [{ prim: "asin", args: [{ input: 0 }], dtype: "float32" }],
      outputs: [{ value: { node: 0 }, dtype: "float32", size: N }],
    };
    expect(withEngines(NO_NATIVE, () => compileFusedOn(spec).engine)).toBe("js");
    expect(withEngines(["interpreter"], () => compileFusedOn(spec).engine)).toBe("interpreter");
    // An eager asin under a restricted set runs (the eager kernel cache is dropped when the set changes).
    const eager = withEngines(["interpreter"], () => nb.asin(halves()).dataSync());
    expect(eager[0]).toBeCloseTo(Math.asin(0.5), 6);
  });
});
