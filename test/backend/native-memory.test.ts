// The native memory pool (native/src/memory.cc, src/backend/native/memory.ts): kernel outputs over blocks
// that were touched before, returned when the engine collects their ArrayBuffer. The blocks are not zeroed,
// so every result computed into a reused block must be exact; and reading a result with readonlyData shares
// the tensor's memory without a copy. Skipped when the module is not built.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { memoryAddon, outputArray, POOL_MIN_BYTES } from "../../src/backend/native/memory.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const pool = memoryAddon();

describe.skipIf(pool === null)("native memory pool", () => {
  it("hands back collected blocks: later outputs reuse them and are computed in full", () => {
    const n = 1 << 18; // 1 MiB of float32
    const f = nb.jit((x: nb.Tensor, s: nb.Tensor) => nb.add(nb.mul(x, s), 1));
    const x = nb.arange(n, { dtype: "float32" });
    const [hits0] = pool!.memoryStats();
    for (let round = 0; round < 6; round++) {
      for (let k = 0; k < 4; k++) {
        const y = f(x, nb.array(round * 4 + k)).readonlyData();
        const s = round * 4 + k;
        // Spot checks across the whole array, including its last element.
        for (const i of [0, 1, 17, n >> 1, n - 2, n - 1]) expect(y[i]).toBe(Math.fround(i * s + 1));
      }
      gc();
    }
    const [hits1, , pooled, limit] = pool!.memoryStats();
    expect(hits1).toBeGreaterThan(hits0);
    expect(pooled).toBeLessThanOrEqual(limit);
  });

  it("a block still viewed is not handed out again", () => {
    const a = outputArray("float64", POOL_MIN_BYTES);
    a.fill(7);
    const kept = new Float64Array(a.buffer, 8, 4);
    const others: unknown[] = [];
    gc();
    for (let i = 0; i < 8; i++) others.push(outputArray("float64", POOL_MIN_BYTES).fill(-1));
    expect(Array.from(kept)).toEqual([7, 7, 7, 7]);
    expect(others).toHaveLength(8);
  });

  it("small arrays and a disabled pool allocate as usual (zeroed)", () => {
    const small = outputArray("float32", 16);
    expect(small.buffer.byteLength).toBe(64);
    expect(Array.from(small)).toEqual(new Array(16).fill(0));
    pool!.setPoolLimit(0);
    try {
      expect(pool!.memoryStats()[2]).toBe(0);
      const big = outputArray("int32", POOL_MIN_BYTES);
      expect(big.length).toBe(POOL_MIN_BYTES);
    } finally {
      pool!.setPoolLimit(512 * 2 ** 20);
    }
  });

  it("refuses byte counts that are not counts, in its own words", () => {
    expect(() => pool!.pooledArray(-1)).toThrow(/pooledArray/);
    expect(() => pool!.pooledArray(1.5)).toThrow(/pooledArray/);
  });
});

describe("readonlyData", () => {
  it("is the tensor's own memory: the same array every time, equal to dataSync's copy", () => {
    const y = nb.jit((x: nb.Tensor) => nb.exp(x))(nb.arange(5, { dtype: "float64" }));
    const v = y.readonlyData();
    expect(y.readonlyData()).toBe(v);
    expect(Array.from(v)).toEqual(Array.from(y.dataSync()));
    const copy = y.dataSync();
    expect(copy).not.toBe(v);
    copy[0] = 99;
    expect(y.readonlyData()[0]).toBe(1);
  });

  it("tells a traced value apart, as every read does", () => {
    expect(() => nb.jit((x: nb.Tensor) => nb.array(x.readonlyData()[0]!))(nb.ones([2]))).toThrow(
      nb.TraceError,
    );
  });
});
