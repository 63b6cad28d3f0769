// Readable examples of nb.random: keys, splitting, and samples that are deterministic and roughly right.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

const { random } = nb;
const meanOf = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;
const stdOf = (xs: ArrayLike<number>) => {
  const m = meanOf(xs);
  return Math.sqrt(Array.from(xs).reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
};

describe("keys", () => {
  it("key makes an int32 tensor of two words from a seed", () => {
    expect(nb.random.key(0)).toBeInstanceOf(nb.Tensor);
    const k: nb.random.Key = random.key(0);
    expect(k.dtype).toBe("int32");
    expect(k.shape).toEqual([2]);
    expect(random.key(42).toArray()).toEqual(random.key(42).toArray());
    expect(random.key(1).toArray()).not.toEqual(random.key(2).toArray());
  });

  it("split makes new keys, deterministically, all different", () => {
    const [k1, k2] = random.split(random.key(0));
    expect(k1!.toArray()).not.toEqual(k2!.toArray());
    expect(random.split(random.key(0))[0]!.toArray()).toEqual(k1!.toArray());
    const many = random.split(random.key(0), 5).map((k) => String(k.toArray()));
    expect(many).toHaveLength(5);
    expect(new Set(many).size).toBe(5);
  });
});

describe("foldIn", () => {
  it("derives a key from a key and an integer: the same data, the same key; other data, another key", () => {
    const base = random.key(0);
    const k3 = random.foldIn(base, 3);
    expect(k3.toArray()).toEqual(random.foldIn(base, 3).toArray());
    expect(k3.toArray()).not.toEqual(random.foldIn(base, 4).toArray());
    expect(k3.toArray()).not.toEqual(base.toArray());
    // Not one of split's keys either.
    for (const k of random.split(base, 8)) expect(k.toArray()).not.toEqual(k3.toArray());
    expect(random.foldIn(base, 2 ** 32 - 1).toArray()).toEqual(random.foldIn(base, -1).toArray());
  });

  it("takes traced data and keys: the same keys under jit and vmap", () => {
    const base = random.key(5);
    const step = nb.array(3, { dtype: "int32" });
    expect(random.foldIn(base, step).toArray()).toEqual(random.foldIn(base, 3).toArray());
    const draw = nb.jit((s: nb.Tensor) => random.normal(random.foldIn(base, s), [2]));
    expect(draw(step).toArray()).toEqual(random.normal(random.foldIn(base, 3), [2]).toArray());
    const keys = nb.vmap((s: nb.Tensor) => random.foldIn(base, s))(nb.array([1, 2], { dtype: "int32" }));
    expect(keys.toArray()).toEqual([random.foldIn(base, 1).toArray(), random.foldIn(base, 2).toArray()]);
  });

  it("refuses data that is not a 32-bit integer", () => {
    const base = random.key(0);
    for (const bad of [1.5, 2 ** 32, -(2 ** 31) - 1, nb.array(1.0)])
      expect(() => random.foldIn(base, bad)).toThrow(/random\.foldIn: data must be an integer/);
  });
});

describe("samples", () => {
  it("the same key gives the same numbers; different keys give different ones", () => {
    const a = random.normal(random.key(7), [100]).toArray();
    expect(random.normal(random.key(7), [100]).toArray()).toEqual(a);
    expect(random.normal(random.key(8), [100]).toArray()).not.toEqual(a);
    const [k1, k2] = random.split(random.key(7));
    expect(random.uniform(k1!, [10]).toArray()).not.toEqual(random.uniform(k2!, [10]).toArray());
  });

  it("normal: shape, default float32, mean ≈ 0 and std ≈ 1 over 10k samples", () => {
    expect(random.normal(random.key(0), [1000]).shape).toEqual([1000]);
    const x = random.normal(random.key(0), [10_000]);
    expect(x.dtype).toBe("float32");
    expect(Math.abs(meanOf(x.dataSync()))).toBeLessThan(0.05); // standard error 0.01
    expect(Math.abs(stdOf(x.dataSync()) - 1)).toBeLessThan(0.03);
    expect(random.normal(random.key(0), [2, 3], { dtype: "float64" }).dtype).toBe("float64");
    expect(random.normal(random.key(0)).shape).toEqual([]);
  });

  it("uniform: in [0, 1) by default, mean ≈ 1/2 and std ≈ 1/√12; or in [minval, maxval)", () => {
    expect(random.uniform(random.key(0), [2, 3]).shape).toEqual([2, 3]);
    const u = Array.from(random.uniform(random.key(1), [10_000]).dataSync());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    expect(Math.abs(meanOf(u) - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(stdOf(u) - 1 / Math.sqrt(12))).toBeLessThan(0.01);
    const v = Array.from(random.uniform(random.key(2), [1000], { minval: -3, maxval: -1 }).dataSync());
    expect(Math.min(...v)).toBeGreaterThanOrEqual(-3);
    expect(Math.max(...v)).toBeLessThan(-1);
  });

  it("randint: int32 in [minval, maxval), every value reached", () => {
    const r = random.randint(random.key(0), [5], 0, 10);
    expect(r.dtype).toBe("int32");
    const many = Array.from(random.randint(random.key(3), [2000], 0, 10).dataSync());
    expect(new Set(many)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  });

  it("permutation: a shuffle of 0 … n−1", () => {
    const p = random.permutation(random.key(0), 5);
    expect(p.shape).toEqual([5]);
    expect(p.dtype).toBe("int32");
    expect([...p.dataSync()].sort()).toEqual([0, 1, 2, 3, 4]);
    const big = Array.from(random.permutation(random.key(0), 50).dataSync());
    expect(big).not.toEqual([...big].sort((a, b) => a - b));
  });

  it("bernoulli: bool with P(true) ≈ p", () => {
    expect(random.bernoulli(random.key(0), 0.5, [4]).dtype).toBe("bool");
    const b = random.bernoulli(random.key(5), 0.3, [10_000]);
    expect(Math.abs(meanOf(b.dataSync()) - 0.3)).toBeLessThan(0.02);
  });

  it("RandomOptions chooses float32 or float64", () => {
    const opts: nb.random.RandomOptions = { dtype: "float64" };
    expect(random.uniform(random.key(0), [2], opts).dtype).toBe("float64");
  });
});

describe("keys inside transformations", () => {
  it("a key can be an argument of a jitted function, and a batch of keys can be vmapped", () => {
    const noisy = nb.jit((x: nb.Tensor, k: nb.Tensor) => nb.add(x, random.normal(k, x.shape)));
    const x = nb.zeros([3]);
    expect(noisy(x, random.key(1)).toArray()).toEqual(random.normal(random.key(1), [3]).toArray());
    const keys = nb.stack(random.split(random.key(0), 5));
    const draws = nb.vmap((k: nb.Tensor) => random.uniform(k, [2]))(keys);
    expect(draws.shape).toEqual([5, 2]);
  });
});
