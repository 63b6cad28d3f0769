// nb.profile: time per primitive (eager) and per compiled step and call (jit), a table sorted by total
// time, and Chrome trace events that parse and nest.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { profiler } from "../../src/debug/profile.js";

type Tensor = nb.Tensor;

describe("nb.profile, eager", () => {
  it("counts and times every primitive, and returns the callback's result", () => {
    const x = nb.ones([1000]);
    const report = nb.profile(() => {
      let y = x;
      for (let i = 0; i < 3; i++) y = nb.sin(nb.exp(y));
      return nb.sum(y);
    });
    expect(report.result).toBeInstanceOf(nb.Tensor);
    expect(report.result.shape).toEqual([]);
    const byName = new Map(report.rows.map((r) => [r.name, r]));
    expect(byName.get("exp")).toMatchObject({ category: "primitive", count: 3 });
    expect(byName.get("sin")).toMatchObject({ category: "primitive", count: 3 });
    expect(byName.get("reduce_sum")).toMatchObject({ category: "primitive", count: 1 });
    for (const r of report.rows) {
      expect(r.totalMs).toBeGreaterThanOrEqual(0);
      expect(r.selfMs).toBeLessThanOrEqual(r.totalMs + 1e-9);
      expect(r.meanMs).toBeCloseTo(r.totalMs / r.count, 12);
    }
    // Largest total first.
    const totals = report.rows.map((r) => r.totalMs);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
    expect(report.totalMs).toBeGreaterThanOrEqual(totals[0]!);
  });

  it("records primitives run inside derivatives", () => {
    const report = nb.profile(() => nb.grad((x: Tensor) => nb.sum(nb.tanh(x)))(nb.ones([10])));
    const names = report.rows.map((r) => r.name);
    expect(names).toContain("tanh");
    expect(names).toContain("mul");
  });

  it("is off outside profile, also after the callback throws", () => {
    expect(profiler.active).toBe(false);
    expect(() =>
      nb.profile(() => {
        expect(profiler.active).toBe(true);
        throw new RangeError("boom");
      }),
    ).toThrow(RangeError);
    expect(profiler.active).toBe(false);
    const outer = nb.profile(() => {
      const inner = nb.profile(() => nb.exp(nb.ones([2])));
      expect(profiler.active).toBe(true);
      nb.sin(nb.ones([2]));
      return inner;
    });
    expect(profiler.active).toBe(false);
    // The inner report sees its own operations, the outer one sees both.
    expect(outer.result.rows.map((r) => r.name)).not.toContain("sin");
    expect(outer.rows.map((r) => r.name)).toEqual(expect.arrayContaining(["exp", "sin"]));
  });

  it("awaits an async callback", async () => {
    const report = await nb.profile(async () => {
      await Promise.resolve();
      return nb.cos(nb.ones([3]));
    });
    expect(report.rows.map((r) => r.name)).toContain("cos");
    expect(profiler.active).toBe(false);
  });
});

describe("nb.profile, jit", () => {
  it("times the compilation, each compiled call and each compiled step with its engine", () => {
    const f = nb.jit(function step(x: Tensor, w: Tensor) {
      return nb.sum(nb.tanh(nb.matmul(x, w)));
    });
    const x = nb.ones([32, 64]);
    const w = nb.ones([64, 16]);
    const report = nb.profile(() => {
      for (let i = 0; i < 4; i++) f(x, w);
    });
    const rows = report.rows;
    expect(rows.find((r) => r.category === "compile")).toMatchObject({ name: "compile step", count: 1 });
    const call = rows.find((r) => r.category === "jit")!;
    expect(call).toMatchObject({ name: "jit step", count: 4 });
    const matmul = rows.find((r) => r.category === "matmul")!;
    expect(matmul.name).toMatch(/^dot_general \[32,16\] \((native|threads|wasm|js)\)$/);
    expect(matmul.count).toBe(4);
    const fused = rows.find((r) => r.category === "fused")!;
    expect(fused.name).toMatch(/^tanh,reduce_sum \[32,16\] \(\w+\)$/);
    // A call's self time excludes its steps.
    expect(call.selfMs).toBeLessThanOrEqual(call.totalMs - matmul.totalMs - fused.totalMs + 1e-6);
    expect(report.table()).toMatch(/total ms\s+self ms\s+count\s+mean ms\s+category\s+name/);
    expect(String(report)).toContain("jit step");
  });

  it("adds nothing to results: profiled and unprofiled calls agree", () => {
    const f = nb.jit((x: Tensor) => nb.mul(nb.exp(x), 3));
    const x = nb.linspace(0, 1, 5);
    const plain = f(x).toArray();
    expect(nb.profile(() => f(x)).result.toArray()).toEqual(plain);
  });
});

describe("trace events (chrome://tracing, Perfetto)", () => {
  const report = nb.profile(() => {
    const g = nb.jit(nb.grad((x: Tensor) => nb.sum(nb.mul(nb.sin(x), x))));
    g(nb.ones([100]));
    return nb.exp(nb.ones([4]));
  });

  it("are complete events with names, microsecond times and args", () => {
    const events = report.traceEvents;
    expect(events.length).toBeGreaterThan(3);
    for (const e of events) {
      expect(e.ph).toBe("X");
      expect(typeof e.name).toBe("string");
      expect(e.ts).toBeGreaterThanOrEqual(0);
      expect(e.dur).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(e.pid) && Number.isInteger(e.tid)).toBe(true);
      expect(typeof e.args).toBe("object");
    }
    const exp = events.find((e) => e.name === "exp")!;
    expect(exp.cat).toBe("primitive");
    expect(exp.args.shapes).toBe("f32[4] → f32[4]");
    expect(events.map((e) => e.cat)).toEqual(expect.arrayContaining(["compile", "jit", "primitive"]));
    // The compiled call contains its steps.
    const call = events.find((e) => e.cat === "jit")!;
    const steps = events.filter((e) => e.cat === "fused");
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) {
      expect(s.ts).toBeGreaterThanOrEqual(call.ts - 1e-3);
      expect(s.ts + s.dur).toBeLessThanOrEqual(call.ts + call.dur + 1e-3);
    }
  });

  it("serialize to the JSON object the viewers open", () => {
    const parsed = JSON.parse(JSON.stringify(report)) as { traceEvents: { name: string; ph: string }[] };
    expect(parsed.traceEvents.length).toBe(report.traceEvents.length);
    expect(parsed.traceEvents.every((e) => e.ph === "X")).toBe(true);
  });

  it("writeTrace writes a file that parses", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "nabla-trace-"));
    try {
      const file = path.join(dir, "trace.json");
      await report.writeTrace(file);
      const parsed = JSON.parse(readFileSync(file, "utf8")) as { traceEvents: unknown[] };
      expect(parsed.traceEvents.length).toBe(report.traceEvents.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
