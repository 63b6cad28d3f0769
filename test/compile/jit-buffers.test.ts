// jit keeps the buffers of values that never leave a run and overwrites them on the next run; returned
// tensors must stay fresh. Also: large float32 fused loops (arithmetic only, and padded reads) run as
// WebAssembly SIMD and agree with eager evaluation. And the buffer pass (src/compile/buffers.ts) itself.
import { describe, expect, it } from "vitest";
import { planBuffers, REUSE_MIN } from "../../src/compile/buffers.js";
import { fusesLoops } from "../../src/compile/engines.js";
import { planFusion } from "../../src/compile/groups.js";
import { optimize, toGraph } from "../../src/compile/optimize.js";
import * as nb from "../../src/index.js";
import { getBackend } from "../../src/interpret/eval.js";

const N = 5000;
const data = (seed: number) => new Float32Array(N).map((_, i) => Math.sin(i * 0.37 + seed) * 2);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(Math.abs(a[i]! - b[i]!)).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i]!)));
};

const rosen = (v: nb.Tensor) => {
  const n = v.shape[0]!;
  const a = nb.slice(v, [0], [n - 1]);
  const b = nb.slice(v, [1], [n - 1]);
  return nb.sum(nb.add(nb.mul(100, nb.square(nb.sub(b, nb.square(a)))), nb.square(nb.sub(1, a))));
};
// Intermediates (stored, read only by later fused loops), several outputs, one of them also read inside.
const multi = (v: nb.Tensor, w: nb.Tensor) => {
  const s = nb.mul(nb.add(v, w), nb.sub(v, w));
  const t = nb.exp(nb.neg(nb.mul(s, s)));
  const padded = nb.add(
    nb.pad(nb.slice(t, [1], [N - 1]), [[0, 1]]),
    nb.pad(nb.slice(s, [0], [N - 1]), [[1, 0]]),
  );
  return [nb.mul(padded, 2), s, nb.sum(t)];
};
const cases: [string, (...a: nb.Tensor[]) => nb.Tensor | nb.Tensor[], number][] = [
  ["tanh(x)·exp(−x²)", (v) => nb.mul(nb.tanh(v), nb.exp(nb.neg(nb.mul(v, v)))), 1],
  ["grad of the Rosenbrock sum", nb.grad(rosen) as (v: nb.Tensor) => nb.Tensor, 1],
  ["arithmetic only", (v, w) => nb.div(nb.add(nb.mul(v, v), 3), nb.add(nb.abs(w), 1)), 2],
  ["intermediates and several outputs", multi, 2],
];

describe("jit buffers", () => {
  for (const [name, f, arity] of cases)
    it(`${name}: successive calls are independent and match eager`, () => {
      const jf = nb.jit(f);
      const args = (seed: number) => Array.from({ length: arity }, (_, i) => nb.array(data(seed + i * 10)));
      const as = [0, 1, 2].map(args);
      const results = as.map((a) => [jf(...a)].flat() as nb.Tensor[]);
      const snapshots = results.map((r) => r.map((t) => Float64Array.from(t.dataSync())));
      // More calls with other inputs must not touch the tensors returned before.
      for (let i = 3; i < 6; i++) jf(...args(i));
      results.forEach((r, k) =>
        r.forEach((t, j) => {
          expect(Array.from(t.dataSync())).toEqual(Array.from(snapshots[k]![j]!));
          const eager = [f(...as[k]!)].flat() as nb.Tensor[];
          close(t.dataSync(), eager[j]!.dataSync(), name.startsWith("grad") ? 1e-4 : 1e-5);
        }),
      );
      // Results of different inputs differ (the outputs are not one shared buffer).
      expect(Array.from(results[0]![0]!.dataSync())).not.toEqual(Array.from(results[1]![0]!.dataSync()));
    });

  it("a result stays valid after the next call of the same function", () => {
    const inner = nb.jit((v: nb.Tensor) => nb.mul(nb.add(v, 1), nb.sub(v, 1)));
    const x = nb.array(data(0));
    const y = nb.array(data(1));
    const a = inner(x);
    const b = inner(y);
    close(a.dataSync(), nb.mul(nb.add(x, 1), nb.sub(x, 1)).dataSync());
    close(b.dataSync(), nb.mul(nb.add(y, 1), nb.sub(y, 1)).dataSync());
  });

  it("padded reads of a large loop match eager exactly at the edges", () => {
    const f = (v: nb.Tensor) => nb.add(nb.pad(nb.mul(v, 3), [[2, 0]]), nb.pad(nb.add(v, 1), [[0, 2]]));
    const x = nb.array(data(4));
    const got = nb.jit(f)(x).dataSync();
    const want = f(x).dataSync();
    expect(Array.from(got)).toEqual(Array.from(want));
  });
});

describe("the buffer pass", () => {
  // s is large, stored (a later loop reads it after a reduction it feeds) and never leaves the run.
  const f = (v: nb.Tensor) => {
    const s = nb.mul(nb.add(v, 1), nb.sub(v, 1));
    return nb.mul(s, nb.sum(nb.exp(s)));
  };
  const plan = (n: number) => {
    const backend = getBackend();
    const g = optimize(toGraph(nb.makeProgram(f)(nb.ones([n])))!, backend);
    const fusion = planFusion(g, fusesLoops(backend));
    return { g, fusion, buffers: planBuffers(g, fusion, fusesLoops(backend)) };
  };

  it("keeps the buffer of a large intermediate read only by fused loops, never an output's", () => {
    const { g, fusion, buffers } = plan(REUSE_MIN);
    expect(fusesLoops(getBackend())).toBe(true); // the reference backend fuses and keeps nothing
    const kept = [...buffers.reusable.keys()].filter((v) => buffers.reusable[v] === 1);
    expect(kept).toHaveLength(1);
    const s = kept[0]!;
    expect(g.outputs).not.toContain(s);
    expect(fusion.groupOf[s]).toBeGreaterThanOrEqual(0);
    expect(buffers.stored[s]).toBe(1);
    for (const v of g.outputs) expect(buffers.stored[v]).toBe(1);
    const low = nb.jit(f).lower(nb.ones([REUSE_MIN]));
    expect(low.buffers.reused).toBe(1);
  });

  it("allocates small intermediates afresh", () => {
    const { buffers } = plan(REUSE_MIN / 2);
    expect(buffers.reusable.every((x) => x === 0)).toBe(true);
  });
});
