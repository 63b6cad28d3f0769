// Examples: finding where a NaN comes from, seeing what a compiled function runs, and where time goes.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

describe("nb.config.debugNans and nb.FloatingPointError", () => {
  it("names the operation that made a NaN, and the pass it ran in", () => {
    const norm = (x: nb.Tensor) => nb.sqrt(nb.sum(nb.square(x)));
    const settings: nb.Config = nb.config;
    settings.debugNans = true;
    try {
      nb.grad(norm)(nb.zeros([3])); // the gradient of the norm at 0 is NaN
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(nb.FloatingPointError);
      const details: nb.FloatingPointDetails = (e as nb.FloatingPointError).details;
      expect(details.kind).toBe("NaN");
      expect(details.context).toMatch(/JVP|VJP/); // a derivative pass, not the forward one
      expect(details.source).toMatch(/examples-debug\.test\.ts/);
    } finally {
      nb.config.debugNans = false;
    }
  });
});

describe("jit(f).lower", () => {
  it("prints the optimized program and which engine runs each step", () => {
    const layer = nb.jit((x: nb.Tensor, w: nb.Tensor) => nb.tanh(nb.matmul(x, w)));
    const lowered: nb.Lowered = layer.lower(nb.ones([64, 128]), nb.ones([128, 32]));
    const steps: readonly nb.LoweredStep[] = lowered.steps;
    expect(steps.map((s) => s.kind)).toEqual(["matmul", "fused"]);
    const engine: nb.StepEngine = steps[0]!.engine;
    expect(["native", "threads", "wasm", "js"]).toContain(engine);
    const buffers: nb.LoweredBuffers = lowered.buffers;
    expect(buffers.outputBytes).toBe(64 * 32 * 4);
    expect(String(lowered)).toContain("dot_general");
  });
});

describe("nb.profile", () => {
  it("adds up time per primitive and per compiled step, and writes a Chrome trace", () => {
    const f = nb.jit((x: nb.Tensor) => nb.sum(nb.exp(x)));
    const report: nb.ProfileReport<number> = nb.profile(() => f(nb.ones([1000])).item());
    expect(report.result).toBeCloseTo(1000 * Math.E, 1);
    const rows: readonly nb.ProfileRow[] = report.rows;
    const categories: nb.ProfileCategory[] = rows.map((r) => r.category);
    expect(categories).toEqual(expect.arrayContaining(["compile", "jit", "fused"]));
    const events: nb.TraceEvent[] = report.traceEvents;
    expect(events.every((e) => e.ph === "X")).toBe(true);
    expect(report.table()).toContain("jit");
  });
});
