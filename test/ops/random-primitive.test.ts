// nb.random as data: the streams every seed gave before keys could be traced (pinned numbers), and the same
// numbers under jit, vmap over keys and grad.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { type Engine, withEngines } from "../../src/backend/engines.js";
import * as lax from "../../src/primitives/lax.js";

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
    expect(arr(random.bernoulli(random.key(5), 0.3, [10]))).toEqual([0, 1, 0, 0, 0, 0, 1, 1, 1, 0]);
  });
});

describe("the threefry2x32 primitive", () => {
  const ints = (values: number[], shape: number[]) => nb.array(values, { dtype: "int32" }).reshape(shape);
  const one = (k: nb.Tensor, c: nb.Tensor) => arr(lax.threefry2x32(k, c));

  it("broadcasts the axes before the word pair, like an elementwise operation", () => {
    const keys = [
      [1, 2],
      [3, -4],
      [0, 2 ** 31 - 1],
    ];
    const counts = [
      [0, 0],
      [5, -1],
      [7, 9],
      [2, 3],
    ];
    const out = lax.threefry2x32(ints(keys.flat(), [3, 1, 2]), ints(counts.flat(), [4, 2]));
    expect(out.shape).toEqual([3, 4, 2]);
    expect(arr(out)).toEqual(keys.flatMap((k) => counts.flatMap((c) => one(ints(k, [2]), ints(c, [2])))));
  });

  it("vmap batches keys, counters or both in one call", () => {
    const keys = [
      [1, 2],
      [3, 4],
      [5, 6],
    ];
    const counts = [
      [0, 1],
      [2, 3],
      [4, 5],
    ];
    const pairs = (k: nb.Tensor, c: nb.Tensor) => lax.threefry2x32(k, c);
    const both = nb.vmap(pairs)(ints(keys.flat(), [3, 2]), ints(counts.flat(), [3, 2]));
    expect(arr(both)).toEqual(keys.flatMap((k, i) => one(ints(k, [2]), ints(counts[i]!, [2]))));
    const k0 = ints(keys[0]!, [2]);
    const counters = nb.vmap(pairs, { inAxes: [null, 0] })(k0, ints(counts.flat(), [3, 2]));
    expect(arr(counters)).toEqual(counts.flatMap((c) => one(k0, ints(c, [2]))));
  });

  it("refuses operands that are not int32 word pairs, naming the primitive", () => {
    expect(() => lax.threefry2x32(nb.zeros([2]), ints([0, 0], [2]))).toThrow(
      "threefry2x32: the key must be int32 (two 32-bit words), got float32",
    );
    expect(() => lax.threefry2x32(ints([0, 0, 0], [3]), ints([0, 0], [2]))).toThrow(
      "threefry2x32: the key's last axis must hold its two words (size 2), got shape [3]",
    );
  });
});

/** Every random function of a key, with its options, as a function of the key alone. */
const samplers: [string, (k: nb.Tensor) => nb.Tensor][] = [
  ["uniform float32", (k) => random.uniform(k, [3, 5])],
  ["uniform float64 in [-3, 2)", (k) => random.uniform(k, [7], { dtype: "float64", minval: -3, maxval: 2 })],
  ["normal float32, odd size", (k) => random.normal(k, [5])],
  ["normal float64", (k) => random.normal(k, [2, 3], { dtype: "float64" })],
  ["normal scalar", (k) => random.normal(k)],
  ["randint", (k) => random.randint(k, [9], -5, 17)],
  ["bernoulli", (k) => random.bernoulli(k, 0.3, [4, 4])],
  ["split", (k) => nb.stack(random.split(k, 3))],
  ["split of a split", (k) => random.split(random.split(k)[1]!, 2)[0]!],
];

describe("keys are data: jit, vmap and grad", () => {
  it.each(samplers)("jit(f)(key) equals f(key) eagerly: %s", (_name, f) => {
    const jf = nb.jit(f);
    for (const seed of [0, 7, 2 ** 40 + 5]) {
      const k = random.key(seed);
      const eager = f(k);
      const compiled = jf(k);
      expect(compiled.dtype).toBe(eager.dtype);
      expect(compiled.shape).toEqual(eager.shape);
      expect(arr(compiled)).toEqual(arr(eager));
    }
  });

  it.each(["native", "wasm", "js", "interpreter"] as Engine[])(
    "compiled on the %s engine alone, every sampler gives the eager numbers",
    (engine) => {
      const k = random.key(9);
      // Small draws and large ones (large enough for the native engine's loops).
      const all: ((k: nb.Tensor) => nb.Tensor)[] = [
        ...samplers.map(([, f]) => f),
        (k) => random.normal(k, [1001], { dtype: "float64" }),
        (k) => random.uniform(k, [40, 50], { minval: -1, maxval: 1 }),
        (k) => random.bernoulli(k, 0.7, [3000]),
        (k) => random.randint(k, [2000], 0, 1000),
      ];
      const eager = all.map((f) => arr(f(k)));
      const compiled = withEngines([engine], () => all.map((f) => arr(nb.jit(f)(k))));
      expect(compiled).toEqual(eager);
    },
  );

  it.each(samplers)("vmap over a batch of keys equals the loop: %s", (_name, f) => {
    const keys = random.split(random.key(11), 4);
    const batched = nb.vmap(f)(nb.stack(keys));
    expect(arr(batched)).toEqual(keys.flatMap((k) => arr(f(k))));
  });

  it("vmap((k) => normal(k, [3])) over four split keys", () => {
    const key = random.key(3);
    const keys = random.split(key, 4);
    const out = nb.vmap((k: nb.Tensor) => random.normal(k, [3]))(nb.stack(keys));
    expect(out.shape).toEqual([4, 3]);
    expect(arr(out)).toEqual(keys.flatMap((k) => arr(random.normal(k, [3]))));
    // and under jit too
    const jv = nb.jit(nb.vmap((k: nb.Tensor) => random.normal(k, [3])));
    expect(arr(jv(nb.stack(keys)))).toEqual(arr(out));
  });

  it("a batch of keys against an unbatched one, inside vmap: split then sample", () => {
    const f = (k: nb.Tensor) => random.uniform(random.split(k)[1]!, [2]);
    const keys = random.split(random.key(5), 3);
    expect(arr(nb.vmap(f)(nb.stack(keys)))).toEqual(keys.flatMap((k) => arr(f(k))));
  });

  it("grad of uniform noise times x: the noise, which carries no derivative", () => {
    const k = random.key(4);
    const noise = random.uniform(k, [3], { dtype: "float64" });
    const x = nb.array([1, 2, 3], { dtype: "float64" });
    const f = (x: nb.Tensor) => nb.sum(nb.mul(random.uniform(k, [3], { dtype: "float64" }), nb.square(x)));
    expect(arr(nb.grad(f)(x))).toEqual(arr(nb.mul(noise, nb.mul(2, x))));
    expect(arr(nb.jit(nb.grad(f))(x))).toEqual(arr(nb.grad(f)(x)));
    // With the key as an argument, traced by jit, and the gradient with respect to x only.
    const g = nb.jit(
      nb.grad((x: nb.Tensor, key: nb.Tensor) =>
        nb.sum(nb.mul(random.normal(key, [3], { dtype: "float64" }), x)),
      ),
    );
    expect(arr(g(x, k))).toEqual(arr(random.normal(k, [3], { dtype: "float64" })));
  });

  it("the same key gives the same numbers, different keys different ones, also when traced", () => {
    const f = nb.jit((k: nb.Tensor) => random.normal(k, [8]));
    const [k1, k2] = random.split(random.key(0));
    expect(arr(f(k1!))).toEqual(arr(f(k1!)));
    expect(arr(f(k1!))).not.toEqual(arr(f(k2!)));
    expect(arr(f(random.key(1)))).not.toEqual(arr(f(random.key(2))));
  });

  it("a key is checked on its abstract value, traced or not", () => {
    expect(() => nb.jit((k: nb.Tensor) => random.normal(k, [2]))(nb.zeros([3], { dtype: "int32" }))).toThrow(
      "random.normal: expected a key from nb.random.key(seed) (int32 of shape [2]), got int32[3]",
    );
    expect(() => random.uniform(nb.zeros([2]), [2])).toThrow("int32 of shape [2]), got float32[2]");
  });

  it("permutation needs a concrete key and says so under jit", () => {
    expect(() => nb.jit((k: nb.Tensor) => random.permutation(k, 4))(random.key(0))).toThrow(
      "random.permutation: needs a concrete key",
    );
  });
});

describe("Dropout with a traced key", () => {
  it("under jit it drops what it drops eagerly", () => {
    const drop = nb.nn.Dropout(0.5);
    const x = nb.ones([200]);
    const f = (k: nb.Tensor) => drop.apply({}, x, { train: true, key: k });
    const k = random.key(1);
    expect(arr(nb.jit(f)(k))).toEqual(arr(f(k)));
    expect(new Set(arr(nb.jit(f)(k)))).toEqual(new Set([0, 2]));
  });

  it("a model with Dropout trains through fit's compiled step, as it trains eagerly", () => {
    const { nn } = nb;
    let calls = 0;
    const counted = nn.Lambda((x) => {
      calls++;
      return x;
    }, "counted");
    const model = nn.Sequential([nn.Linear(2, 8), nn.relu, nn.Dropout(0.2), counted, nn.Linear(8, 2)]);
    const { params } = model.init(random.key(0), [1, 2]);
    const x = random.normal(random.key(1), [32, 2]);
    const y = nb.astype(nb.greater(nb.sum(x, { axis: 1 }), 0), "int32");
    const run = (jit: boolean) =>
      nn.fit({
        model,
        params,
        loss: nn.crossEntropy,
        optimizer: nb.optim.sgd({ learningRate: 0.1 }),
        data: { x, y },
        epochs: 2,
        batchSize: 8,
        silent: true,
        jit,
      }).history.stepLoss;
    calls = 0;
    const compiled = run(true);
    // Traced once for the one batch shape, then run compiled: the model's code ran once, not per step.
    expect(calls).toBe(1);
    calls = 0;
    const eager = run(false);
    expect(calls).toBe(8);
    expect(compiled).toHaveLength(8);
    expect(new Set(compiled).size).toBeGreaterThan(1);
    for (let i = 0; i < eager.length; i++) expect(compiled[i]).toBeCloseTo(eager[i]!, 5);
  });
});
