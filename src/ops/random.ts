// Seeded, splittable random numbers (JAX-style keys) from the Threefry-2x32 counter-based generator. Every
// function is built from the threefry2x32 primitive and ordinary lax operations, so keys may be traced: the
// functions work under jit, vmap (a batch of keys gives a batch of streams) and inside grad.
// biome-ignore-all lint/complexity/noArguments: each op compares its argument count with the most it takes, reading no copy of the arguments
import { getDefaultFloat } from "../core/convert.js";
import { allocate, type DType } from "../core/dtype.js";
import { TraceError, ValueError } from "../core/errors.js";
import { type Shape, sizeOf } from "../core/shape.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import * as lax from "../primitives/lax.js";
import { threefryInto } from "../primitives/random.js";
import { describeValue, dtypeArg, extraArgument, intArg, numberArg, optionsArg, shapeArg } from "./util.js";

/** A random key: a tensor of two 32-bit words. Pass it to `normal`, `uniform`, `split`, ... */
export type Key = Tensor;

/** Checks a key on its abstract value (dtype int32, shape [2]), so traced keys pass as concrete ones do. */
function checkKey(op: string, key: unknown): Key {
  if (!(key instanceof Tensor))
    throw new ValueError(
      `random.${op}: expected a key from nb.random.key(seed) as the first argument, got ${describeValue(key)}`,
    );
  const { dtype, shape } = key.aval;
  if (dtype !== "int32" || shape.length !== 1 || shape[0] !== 2)
    throw new ValueError(
      `random.${op}: expected a key from nb.random.key(seed) (int32 of shape [2]), got ${dtype}[${shape.join(",")}]`,
    );
  return key;
}

const makeKey = (a: number, b: number): Key =>
  new ConcreteTensor(Int32Array.of(a | 0, b | 0), { shape: [2], dtype: "int32", weak: false });

/** Counters as int32[n, 2] constants: pair i is `at(i)`. */
function counters(n: number, at: (i: number) => [number, number]): ConcreteTensor {
  const data = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const [c0, c1] = at(i);
    data[2 * i] = c0;
    data[2 * i + 1] = c1;
  }
  return new ConcreteTensor(data, { shape: [n, 2], dtype: "int32", weak: false });
}

/**
 * A key from an integer seed.
 * @example
 * ```ts
 * const key = nb.random.key(0);
 * ```
 */
export function key(seed: number): Key {
  if (arguments.length > 1) extraArgument("random.key", "seed", arguments[1], arguments.length);
  if (!Number.isSafeInteger(seed))
    throw new ValueError(`random.key: the seed must be an integer, got ${describeValue(seed)}`);
  return makeKey(Math.floor(seed / 2 ** 32), seed >>> 0);
}

/**
 * `n` new independent keys (2 by default). Never reuse a key once split.
 * @example
 * ```ts
 * const [k1, k2] = nb.random.split(nb.random.key(0));
 * ```
 */
export function split(k: Key, n = 2): Key[] {
  if (arguments.length > 2) extraArgument("random.split", "key, n?", arguments[2], arguments.length);
  checkKey("split", k);
  intArg("random.split", "n", n);
  shapeArg("random.split", [n, 2], "int32");
  // Key i is Threefry of the counter (0, i).
  const all = lax.threefry2x32(
    k,
    counters(n, (i) => [0, i]),
  );
  if (all instanceof ConcreteTensor)
    return Array.from({ length: n }, (_, i) => makeKey(all.data[2 * i]!, all.data[2 * i + 1]!));
  return Array.from({ length: n }, (_, i) => lax.reshape(lax.slice(all, [i, 0], [i + 1, 2]), [2]));
}

/** The second counter word of foldIn, apart from split's (0) and the draws' (0x9e3779b9). */
const FOLD_WORD = 0x243f6a88 | 0;

/**
 * A new key from `k` and an integer, for deriving a distinct stream per step, example or layer without
 * splitting ahead (JAX's `fold_in`): the same key and data always give the same key, and different data
 * give independent keys. `data` is a JavaScript integer in [−2³¹, 2³²) or an int32 scalar tensor, so a
 * traced step count works under jit and a batch of indices under vmap.
 * @example
 * ```ts
 * const base = nb.random.key(0);
 * const perStep = (step: number) => nb.random.normal(nb.random.foldIn(base, step), [3]);
 * ```
 */
export function foldIn(k: Key, data: number | Tensor): Key {
  if (arguments.length > 2) extraArgument("random.foldIn", "key, data", arguments[2], arguments.length);
  checkKey("foldIn", k);
  let counter: Tensor;
  if (typeof data === "number") {
    if (!Number.isInteger(data) || data < -(2 ** 31) || data >= 2 ** 32)
      throw new ValueError(
        `random.foldIn: data must be an integer in [-2^31, 2^32) or an int32 scalar tensor, got ${describeValue(data)}`,
      );
    counter = counters(1, () => [data | 0, FOLD_WORD]);
  } else if (data instanceof Tensor && data.aval.dtype === "int32" && data.aval.shape.length === 0) {
    counter = lax.concatenate(
      [
        lax.reshape(data, [1]),
        new ConcreteTensor(Int32Array.of(FOLD_WORD), { shape: [1], dtype: "int32", weak: false }),
      ],
      0,
    );
  } else
    throw new ValueError(
      `random.foldIn: data must be an integer in [-2^31, 2^32) or an int32 scalar tensor, got ${describeValue(data)}`,
    );
  const out = lax.reshape(lax.threefry2x32(k, lax.reshape(counter, [1, 2])), [2]);
  return out instanceof ConcreteTensor ? makeKey(out.data[0]!, out.data[1]!) : out;
}

/**
 * `size` 32-bit words (as int32) from a key: word 2i and 2i+1 are Threefry of the counter (2i, 0x9e3779b9),
 * so a longer stream starts with the words of a shorter one.
 */
function bits(k: Key, size: number): Tensor {
  const pairs = Math.ceil(size / 2);
  const w = lax.threefry2x32(
    k,
    counters(pairs, (i) => [2 * i, 0x9e3779b9 | 0]),
  );
  return lax.slice(lax.reshape(w, [2 * pairs]), [0], [size]);
}

const f64 = (v: number) => lax.scalarLike({ shape: [], dtype: "float64", weak: false }, v);

/**
 * The doubles of `unitDoubles` for a concrete key, computed in one JavaScript pass (the same words and the
 * same arithmetic, without a kernel per step): eager draws cost what a plain loop costs.
 */
function unitDoublesNow(k: ConcreteTensor, size: number): Float64Array {
  const k0 = k.data[0]!;
  const k1 = k.data[1]!;
  const w = new Int32Array(2);
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    threefryInto(w, 0, k0, k1, 2 * i, 0x9e3779b9 | 0);
    out[i] = ((w[0]! >>> 5) * 67108864 + (w[1]! >>> 6)) / 9007199254740992;
  }
  return out;
}

const concreteOf = (values: Float64Array, shape: Shape, dtype: DType): ConcreteTensor => {
  const data = allocate(dtype, values.length);
  data.set(values);
  return new ConcreteTensor(data, { shape: [...shape], dtype, weak: false });
};

/** Uniform float64 in [0, 1) with 53 random bits from two words: (w₀ >>> 5) · 2²⁶ + (w₁ >>> 6), over 2⁵³. */
function unitDoubles(k: Key, size: number): Tensor {
  if (k instanceof ConcreteTensor) return concreteOf(unitDoublesNow(k, size), [size], "float64");
  const w = lax.reshape(bits(k, 2 * size), [size, 2]);
  // A word as its unsigned value, exactly, in float64 (one column at a time: cheaper than broadcasting
  // per-column constants over [size, 2]).
  const unsigned = (col: number) => {
    const x = lax.convert(lax.reshape(lax.slice(w, [0, col], [size, col + 1]), [size]), "float64");
    return lax.select(lax.lt(x, f64(0)), lax.add(x, f64(2 ** 32)), x);
  };
  // Division by a power of two then floor is an exact right shift; both parts are integers, and their
  // combination stays below 2⁵³, so every step is exact.
  const hi = lax.floor(lax.div(unsigned(0), f64(32)));
  const lo = lax.floor(lax.div(unsigned(1), f64(64)));
  return lax.div(lax.add(lax.mul(hi, f64(67108864)), lo), f64(9007199254740992));
}

export interface RandomOptions {
  dtype?: "float32" | "float64";
}

const FLOATS = ["float32", "float64"] as const;

/** The checked options, float dtype and shape of a sampler `op` (random.uniform, random.normal). */
function samplerArgs(
  op: string,
  shape: unknown,
  options: object | undefined,
  keys: readonly string[],
  usage: string,
) {
  const o = optionsArg(op, options, keys, usage, "third") as {
    dtype?: unknown;
    minval?: unknown;
    maxval?: unknown;
  };
  const dtype = dtypeArg(op, o.dtype, FLOATS) ?? (getDefaultFloat() as "float32" | "float64");
  return { o, dtype, shape: shapeArg(op, shape, dtype) };
}

/**
 * Uniform samples in [minval, maxval) (default [0, 1)).
 * @example
 * ```ts
 * nb.random.uniform(nb.random.key(0), [2, 3]).shape; // [2, 3]
 * ```
 */
export function uniform(
  k: Key,
  shape: Shape = [],
  options?: RandomOptions & { minval?: number; maxval?: number },
): Tensor {
  if (arguments.length > 3)
    extraArgument("random.uniform", "key, shape?, options?", arguments[3], arguments.length);
  const op = "random.uniform";
  checkKey("uniform", k);
  const {
    o,
    dtype,
    shape: s,
  } = samplerArgs(
    op,
    shape,
    options,
    ["dtype", "minval", "maxval"],
    "nb.random.uniform(key, [2, 3], { minval: -1, maxval: 1 })",
  );
  const lo = o.minval === undefined ? 0 : numberArg(op, "minval", o.minval);
  const hi = o.maxval === undefined ? 1 : numberArg(op, "maxval", o.maxval);
  if (!(lo < hi) || !Number.isFinite(hi - lo))
    throw new ValueError(
      `${op}: need minval < maxval with a finite difference, got minval ${lo} and maxval ${hi}`,
    );
  if (k instanceof ConcreteTensor) {
    const v = unitDoublesNow(k, sizeOf(s));
    for (let i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * v[i]!;
    const t = concreteOf(v, s, dtype);
    // float32 rounding can reach maxval; keep the interval half-open.
    if (dtype === "float32")
      for (let i = 0; i < t.data.length; i++)
        if (t.data[i]! >= hi) t.data[i] = Math.fround(hi - (hi - lo) * 2 ** -24);
    return t;
  }
  const u = lax.add(f64(lo), lax.mul(f64(hi - lo), unitDoubles(k, sizeOf(s))));
  let t = lax.convert(u, dtype);
  // float32 rounding can reach maxval; keep the interval half-open (compared in float64, as maxval is).
  if (dtype === "float32")
    t = lax.select(
      lax.ge(lax.convert(t, "float64"), f64(hi)),
      lax.scalarLike(t, Math.fround(hi - (hi - lo) * 2 ** -24)),
      t,
    );
  return lax.reshape(t, s);
}

/**
 * Standard normal samples (Box–Muller on Threefry bits).
 * @example
 * ```ts
 * nb.random.normal(nb.random.key(0), [1000]).shape; // [1000]
 * ```
 */
export function normal(k: Key, shape: Shape = [], options?: RandomOptions): Tensor {
  if (arguments.length > 3)
    extraArgument("random.normal", "key, shape?, options?", arguments[3], arguments.length);
  checkKey("normal", k);
  const { dtype, shape: s } = samplerArgs(
    "random.normal",
    shape,
    options,
    ["dtype"],
    'nb.random.normal(key, [2, 3], { dtype: "float64" })',
  );
  const n = sizeOf(s);
  const m = Math.ceil(n / 2);
  if (k instanceof ConcreteTensor) {
    const v = unitDoublesNow(k, 2 * m);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - v[i]!));
      const th = 2 * Math.PI * v[i + 1]!;
      out[i] = r * Math.cos(th);
      if (i + 1 < n) out[i + 1] = r * Math.sin(th);
    }
    return concreteOf(out, s, dtype);
  }
  const u = lax.reshape(unitDoubles(k, 2 * m), [m, 2]);
  const col = (c: number) => lax.slice(u, [0, c], [m, c + 1]);
  // Each pair of uniforms gives two normals: r·cos θ and r·sin θ, r = √(−2 log(1 − u₀)), θ = 2π u₁.
  const r = lax.sqrt(lax.mul(f64(-2), lax.log(lax.sub(f64(1), col(0)))));
  const th = lax.mul(f64(2 * Math.PI), col(1));
  const pairs = lax.concatenate([lax.mul(r, lax.cos(th)), lax.mul(r, lax.sin(th))], 1);
  return lax.reshape(lax.convert(lax.slice(lax.reshape(pairs, [2 * m]), [0], [n]), dtype), s);
}

/**
 * Uniform integers in [minval, maxval), as int32.
 * @example
 * ```ts
 * nb.random.randint(nb.random.key(0), [5], 0, 10).dtype; // "int32"
 * ```
 */
export function randint(k: Key, shape: Shape, minval: number, maxval: number): Tensor {
  if (arguments.length > 4)
    extraArgument("random.randint", "key, shape, minval, maxval", arguments[4], arguments.length);
  const op = "random.randint";
  checkKey("randint", k);
  const s = shapeArg(op, shape, "int32");
  intArg(op, "minval", minval, -(2 ** 31), 2 ** 31 - 1);
  intArg(op, "maxval", maxval, -(2 ** 31), 2 ** 31);
  if (maxval <= minval)
    throw new ValueError(`${op}: need integers minval < maxval, got ${minval} and ${maxval}`);
  const u = unitDoubles(k, sizeOf(s));
  const v = lax.add(f64(minval), lax.floor(lax.mul(u, f64(maxval - minval))));
  return lax.reshape(lax.convert(v, "int32"), s);
}

/**
 * A random permutation of 0 … n−1 (Fisher–Yates), as int32. Its swaps run one after another in JavaScript,
 * so it needs a concrete key: it runs eagerly, not under jit or vmap.
 * @example
 * ```ts
 * nb.random.permutation(nb.random.key(0), 5).shape; // [5]
 * ```
 */
export function permutation(k: Key, n: number): Tensor {
  if (arguments.length > 2) extraArgument("random.permutation", "key, n", arguments[2], arguments.length);
  checkKey("permutation", k);
  intArg("random.permutation", "n", n, 0, 2 ** 31 - 1);
  shapeArg("random.permutation", [n], "int32");
  if (!(k instanceof ConcreteTensor))
    throw new TraceError(
      "random.permutation: needs a concrete key (its shuffle runs eagerly, in JavaScript), got a traced one " +
        "(under jit or vmap); draw the permutation outside the traced function and pass it in",
    );
  const u = unitDoubles(k, n).concrete().data;
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u[i]! * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return new ConcreteTensor(p, { shape: [n], dtype: "int32", weak: false });
}

/**
 * Bernoulli samples (true with probability p), as bool.
 * @example
 * ```ts
 * nb.random.bernoulli(nb.random.key(0), 0.5, [4]).dtype; // "bool"
 * ```
 */
export function bernoulli(k: Key, p: number, shape: Shape = []): Tensor {
  if (arguments.length > 3)
    extraArgument("random.bernoulli", "key, p, shape?", arguments[3], arguments.length);
  const op = "random.bernoulli";
  checkKey("bernoulli", k);
  if (!(typeof p === "number" && p >= 0 && p <= 1))
    throw new ValueError(`${op}: p must be a probability in [0, 1], got ${describeValue(p)}`);
  const s = shapeArg(op, shape, "bool");
  const size = sizeOf(s);
  // One 32-bit word per element, kept when its unsigned value is below p·2³² (exact in float64): half the
  // Threefry work of a uniform draw, which needs 53 bits.
  const threshold = p * 2 ** 32;
  if (k instanceof ConcreteTensor) {
    const out = new Uint8Array(size);
    const w = new Int32Array(2);
    for (let i = 0; i < size; i += 2) {
      threefryInto(w, 0, k.data[0]!, k.data[1]!, i, 0x9e3779b9 | 0);
      out[i] = w[0]! >>> 0 < threshold ? 1 : 0;
      if (i + 1 < size) out[i + 1] = w[1]! >>> 0 < threshold ? 1 : 0;
    }
    return new ConcreteTensor(out, { shape: [...s], dtype: "bool", weak: false });
  }
  const x = lax.convert(bits(k, size), "float64");
  const unsigned = lax.select(lax.lt(x, f64(0)), lax.add(x, f64(2 ** 32)), x);
  return lax.reshape(lax.lt(unsigned, f64(threshold)), s);
}
