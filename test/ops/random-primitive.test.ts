// nb.random as data: the streams every seed gave before keys could be traced (pinned numbers), and the same
// numbers under jit, vmap over keys and grad.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

const { random } = nb;
const arr = (t: nb.Tensor) => Array.from(t.dataSync() as ArrayLike<number>);

describe("pinned streams: a seed gives the numbers it always gave", () => {
  it("key and split", () => {
    expect(arr(random.key(0))).toEqual([0, 0]);
    expect(arr(random.key(42))).toEqual([0, 42]);
    expect(arr(random.key(2 ** 40 + 5))).toEqual([256, 5]);
    expect(random.split(random.key(42), 3).map(arr)).toEqual([
      [1832780943, 270669613],
      [64467757, -1378843660],
      [-1829035798, 255383827],
    ]);
    expect(random.split(random.split(random.key(7))[1]!).map(arr)).toEqual([
      [1294055386, -504088379],
      [1610437339, -1937956931],
    ]);
  });

  it("uniform", () => {
    expect(arr(random.uniform(random.key(1), [5]))).toEqual([
      0.9883291125297546, 0.17371733486652374, 0.25798338651657104, 0.9864920973777771, 0.06346636265516281,
    ]);
    expect(arr(random.uniform(random.key(1), [5], { dtype: "float64" }))).toEqual([
      0.9883291286291258, 0.17371733176773219, 0.25798338646629115, 0.9864921237060543, 0.06346636204294065,
    ]);
    expect(arr(random.uniform(random.key(1), [2, 2], { minval: -3, maxval: 2 }))).toEqual([
      1.941645622253418, -2.131413459777832, -1.7100831270217896, 1.9324606657028198,
    ]);
  });

  it("normal", () => {
    expect(arr(random.normal(random.key(2), [5]))).toEqual([
      -0.3364400863647461, 0.9309085011482239, 0.3103486895561218, -1.127148151397705, 0.9581166505813599,
    ]);
    expect(arr(random.normal(random.key(2), [3], { dtype: "float64" }))).toEqual([
      -0.33644007762916306, 0.9309084785119549, 0.3103486839185815,
    ]);
    expect(arr(random.normal(random.key(2)))).toEqual([-0.3364400863647461]);
    const big = arr(random.normal(random.key(9), [1001], { dtype: "float64" }));
    expect([big[0], big[500], big[1000]]).toEqual([
      0.2248366175802783, -1.029295878155255, 0.3475008496772013,
    ]);
  });

  it("randint, permutation, bernoulli", () => {
    expect(arr(random.randint(random.key(3), [6], -5, 17))).toEqual([3, 12, -2, 8, 3, 6]);
    expect(arr(random.permutation(random.key(4), 8))).toEqual([6, 7, 0, 5, 2, 1, 3, 4]);
    expect(arr(random.bernoulli(random.key(5), 0.3, [10]))).toEqual([0, 0, 0, 1, 1, 1, 1, 0, 0, 1]);
  });
});
