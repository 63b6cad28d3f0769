// Seeded, splittable random numbers (JAX-style keys) from the Threefry-2x32 counter-based generator.
import { getDefaultFloat } from "../core/convert.js";
import { allocate, type DType } from "../core/dtype.js";
import { ValueError } from "../core/errors.js";
import { type Shape, sizeOf } from "../core/shape.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import { describeValue, dtypeArg, intArg, numberArg, optionsArg, shapeArg } from "./util.js";

const ROT = [13, 15, 26, 6, 17, 29, 16, 24];
const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;

/** Threefry-2x32 with 20 rounds: a keyed bijection of 64-bit counters (Salmon et al., 2011). */
function threefry(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const ks = [k0 >>> 0, k1 >>> 0, (0x1bd11bda ^ k0 ^ k1) >>> 0];
  let x0 = (c0 + ks[0]!) >>> 0;
  let x1 = (c1 + ks[1]!) >>> 0;
  for (let block = 0; block < 5; block++) {
    for (let r = 0; r < 4; r++) {
      x0 = (x0 + x1) >>> 0;
      x1 = rotl(x1, ROT[(block % 2) * 4 + r]!) ^ x0;
    }
    x0 = (x0 + ks[(block + 1) % 3]!) >>> 0;
    x1 = (x1 + ks[(block + 2) % 3]! + block + 1) >>> 0;
  }
  return [x0, x1];
}

/** A random key: a tensor of two 32-bit words. Pass it to `normal`, `uniform`, `split`, ... */
export type Key = Tensor;

function words(op: string, key: Key): [number, number] {
  if (!(key instanceof Tensor))
    throw new ValueError(
      `random.${op}: expected a key from nb.random.key(seed) as the first argument, got ${describeValue(key)}`,
    );
  const c = key.concrete();
  if (c.aval.dtype !== "int32" || c.aval.shape.length !== 1 || c.aval.shape[0] !== 2)
    throw new ValueError(
      `random.${op}: expected a key from nb.random.key(seed) (int32 of shape [2]), got ${c.aval.dtype}[${c.aval.shape.join(",")}]`,
    );
  return [c.data[0]! >>> 0, c.data[1]! >>> 0];
}

const makeKey = (a: number, b: number): Key =>
  new ConcreteTensor(Int32Array.of(a | 0, b | 0), { shape: [2], dtype: "int32", weak: false });

/**
 * A key from an integer seed.
 * @example
 * ```ts
 * const key = nb.random.key(0);
 * ```
 */
export function key(seed: number): Key {
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
  const [a, b] = words("split", k);
  intArg("random.split", "n", n);
  shapeArg("random.split", [n, 2], "int32");
  return Array.from({ length: n }, (_, i) => {
    const [x, y] = threefry(a, b, 0, i);
    return makeKey(x, y);
  });
}

/** `size` uniform 32-bit words from a key. */
function bits(k: Key, size: number, op: string): Uint32Array {
  const [a, b] = words(op, k);
  const out = new Uint32Array(size);
  for (let i = 0; i < size; i += 2) {
    const [x, y] = threefry(a, b, i >>> 0, 0x9e3779b9);
    out[i] = x;
    if (i + 1 < size) out[i + 1] = y;
  }
  return out;
}

/** Uniform doubles in [0, 1) with 53 random bits from two words. */
function unitDoubles(k: Key, size: number, op: string): Float64Array {
  const w = bits(k, 2 * size, op);
  const out = new Float64Array(size);
  for (let i = 0; i < size; i++)
    out[i] = ((w[2 * i]! >>> 5) * 67108864 + (w[2 * i + 1]! >>> 6)) / 9007199254740992;
  return out;
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

function floatTensor(values: Float64Array, shape: Shape, dtype: DType): Tensor {
  const data = allocate(dtype, values.length);
  data.set(values);
  return new ConcreteTensor(data, { shape: [...shape], dtype, weak: false });
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
  const op = "random.uniform";
  words("uniform", k);
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
  const u = unitDoubles(k, sizeOf(s), "uniform");
  for (let i = 0; i < u.length; i++) u[i] = lo + (hi - lo) * u[i]!;
  const t = floatTensor(u, s, dtype) as ConcreteTensor;
  // float32 rounding can reach maxval; keep the interval half-open.
  if (dtype === "float32")
    for (let i = 0; i < t.data.length; i++)
      if (t.data[i]! >= hi) t.data[i] = Math.fround(hi - (hi - lo) * 2 ** -24);
  return t;
}

/**
 * Standard normal samples (Box–Muller on Threefry bits).
 * @example
 * ```ts
 * nb.random.normal(nb.random.key(0), [1000]).shape; // [1000]
 * ```
 */
export function normal(k: Key, shape: Shape = [], options?: RandomOptions): Tensor {
  words("normal", k);
  const { dtype, shape: s } = samplerArgs(
    "random.normal",
    shape,
    options,
    ["dtype"],
    'nb.random.normal(key, [2, 3], { dtype: "float64" })',
  );
  const n = sizeOf(s);
  const u = unitDoubles(k, 2 * Math.ceil(n / 2), "normal");
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u[i]!));
    const th = 2 * Math.PI * u[i + 1]!;
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return floatTensor(out, s, dtype);
}

/**
 * Uniform integers in [minval, maxval), as int32.
 * @example
 * ```ts
 * nb.random.randint(nb.random.key(0), [5], 0, 10).dtype; // "int32"
 * ```
 */
export function randint(k: Key, shape: Shape, minval: number, maxval: number): Tensor {
  const op = "random.randint";
  words("randint", k);
  const s = shapeArg(op, shape, "int32");
  intArg(op, "minval", minval, -(2 ** 31), 2 ** 31 - 1);
  intArg(op, "maxval", maxval, -(2 ** 31), 2 ** 31);
  if (maxval <= minval)
    throw new ValueError(`${op}: need integers minval < maxval, got ${minval} and ${maxval}`);
  const u = unitDoubles(k, sizeOf(s), "randint");
  const data = new Int32Array(u.length);
  for (let i = 0; i < u.length; i++) data[i] = minval + Math.floor(u[i]! * (maxval - minval));
  return new ConcreteTensor(data, { shape: s, dtype: "int32", weak: false });
}

/**
 * A random permutation of 0 … n−1 (Fisher–Yates), as int32.
 * @example
 * ```ts
 * nb.random.permutation(nb.random.key(0), 5).shape; // [5]
 * ```
 */
export function permutation(k: Key, n: number): Tensor {
  words("permutation", k);
  intArg("random.permutation", "n", n, 0, 2 ** 31 - 1);
  shapeArg("random.permutation", [n], "int32");
  const u = unitDoubles(k, n, "permutation");
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
  const op = "random.bernoulli";
  words("bernoulli", k);
  if (!(typeof p === "number" && p >= 0 && p <= 1))
    throw new ValueError(`${op}: p must be a probability in [0, 1], got ${describeValue(p)}`);
  const s = shapeArg(op, shape, "bool");
  const u = unitDoubles(k, sizeOf(s), "bernoulli");
  return new ConcreteTensor(
    Uint8Array.from(u, (v) => (v < p ? 1 : 0)),
    { shape: s, dtype: "bool", weak: false },
  );
}
