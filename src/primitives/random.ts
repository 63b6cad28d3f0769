// threefry2x32: the counter-based generator behind nb.random as a primitive, so random numbers are ordinary
// data that jit stages, vmap batches (a batch of keys gives a batch of streams) and grad passes through.
// Its rules (THREEFRY) and its kernel live here: the shape rule, and one line for each other interpreter
// (integer output: no tangent, no series; elementwise over the leading axes: the broadcasting batch rule).
import { DTypeError, fmtShape, ShapeError } from "../core/errors.js";
import { broadcastShapes, type Shape, sizeOf, stridesOf } from "../core/shape.js";
import type { Aval } from "../core/tensor.js";
import { elementwise, type FamilyRules, none } from "./rule-helpers.js";
import { zero } from "./series-rules.js";

/**
 * Threefry-2x32 with 20 rounds (Salmon et al., 2011): a bijection of the 64-bit counter (c0, c1) keyed by
 * (k0, k1), written as two words at `out[o]`, `out[o + 1]`. Words are read as unsigned 32-bit integers.
 * Rounds rotate by 13, 15, 26, 6 in even blocks of four and 17, 29, 16, 24 in odd ones (unrolled: this is
 * the inner loop of every random draw).
 */
export function threefryInto(
  out: Int32Array,
  o: number,
  k0: number,
  k1: number,
  c0: number,
  c1: number,
): void {
  const ks0 = k0 | 0;
  const ks1 = k1 | 0;
  const ks2 = 0x1bd11bda ^ ks0 ^ ks1;
  let x0 = (c0 + ks0) | 0;
  let x1 = (c1 + ks1) | 0;
  for (let block = 0; block < 5; block++) {
    if ((block & 1) === 0) {
      x0 = (x0 + x1) | 0;
      x1 = ((x1 << 13) | (x1 >>> 19)) ^ x0;
      x0 = (x0 + x1) | 0;
      x1 = ((x1 << 15) | (x1 >>> 17)) ^ x0;
      x0 = (x0 + x1) | 0;
      x1 = ((x1 << 26) | (x1 >>> 6)) ^ x0;
      x0 = (x0 + x1) | 0;
      x1 = ((x1 << 6) | (x1 >>> 26)) ^ x0;
    } else {
      x0 = (x0 + x1) | 0;
      x1 = ((x1 << 17) | (x1 >>> 15)) ^ x0;
      x0 = (x0 + x1) | 0;
      x1 = ((x1 << 29) | (x1 >>> 3)) ^ x0;
      x0 = (x0 + x1) | 0;
      x1 = ((x1 << 16) | (x1 >>> 16)) ^ x0;
      x0 = (x0 + x1) | 0;
      x1 = ((x1 << 24) | (x1 >>> 8)) ^ x0;
    }
    // Key injection: words (block + 1) mod 3 and (block + 2) mod 3 of the extended key, and the block count.
    const m = block % 3;
    x0 = (x0 + (m === 0 ? ks1 : m === 1 ? ks2 : ks0)) | 0;
    x1 = (x1 + (m === 0 ? ks2 : m === 1 ? ks0 : ks1) + block + 1) | 0;
  }
  out[o] = x0;
  out[o + 1] = x1;
}

/**
 * threefry2x32(key, count): operands int32[..., 2] (two 32-bit words per key and per counter); the axes
 * before the last broadcast against each other (NumPy's rule), and the output holds one pair of words
 * per broadcast position.
 */
export function threefryShape([key, count]: readonly Aval[]): Aval {
  for (const [what, a] of [
    ["key", key!],
    ["counter", count!],
  ] as const) {
    if (a.dtype !== "int32")
      throw new DTypeError(`threefry2x32: the ${what} must be int32 (two 32-bit words), got ${a.dtype}`);
    if (a.shape.length === 0 || a.shape[a.shape.length - 1] !== 2)
      throw new ShapeError(
        `threefry2x32: the ${what}'s last axis must hold its two words (size 2), got shape ${fmtShape(a.shape)}`,
      );
  }
  const lead = broadcastShapes("threefry2x32", key!.shape.slice(0, -1), count!.shape.slice(0, -1));
  return { shape: [...lead, 2], dtype: "int32", weak: false };
}

export const THREEFRY: FamilyRules<"threefry2x32"> = {
  shape: { threefry2x32: threefryShape },
  // Random bits are integers: no tangent, whatever the key.
  jvp: { threefry2x32: none("threefry2x32") },
  // Elementwise over the axes before the word pair: a batch of keys is one more broadcast axis, so per-example
  // keys give per-example streams in one kernel call.
  vmap: { threefry2x32: elementwise("threefry2x32") },
  jet: { threefry2x32: zero("threefry2x32") },
  // Not linear in any argument.
  transpose: {},
};

/** Strides, in pairs, of leading axes `inShape` read at the positions of `outShape` (0 where broadcast). */
function pairStrides(inShape: Shape, outShape: Shape): number[] {
  const st = stridesOf(inShape);
  const off = outShape.length - inShape.length;
  return outShape.map((_, i) => (i < off || inShape[i - off] === 1 ? 0 : st[i - off]!));
}

/** The kernel: for every broadcast position, the two output words of Threefry on its key and counter. */
export function threefryData(
  key: ArrayLike<number>,
  keyShape: Shape,
  count: ArrayLike<number>,
  countShape: Shape,
  outShape: Shape,
): Int32Array {
  const lead = outShape.slice(0, -1);
  const n = sizeOf(lead);
  const out = new Int32Array(2 * n);
  // The common case: one key, one counter per output pair.
  if (key.length === 2 && count.length === 2 * n) {
    const k0 = key[0]!;
    const k1 = key[1]!;
    for (let o = 0; o < 2 * n; o += 2) threefryInto(out, o, k0, k1, count[o]!, count[o + 1]!);
    return out;
  }
  const ks = pairStrides(keyShape.slice(0, -1), lead);
  const cs = pairStrides(countShape.slice(0, -1), lead);
  const nd = lead.length;
  const idx = new Array<number>(nd).fill(0);
  let ko = 0;
  let co = 0;
  for (let o = 0; o < n; o++) {
    threefryInto(out, 2 * o, key[2 * ko]!, key[2 * ko + 1]!, count[2 * co]!, count[2 * co + 1]!);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]!++;
      ko += ks[d]!;
      co += cs[d]!;
      if (idx[d]! < lead[d]!) break;
      ko -= ks[d]! * lead[d]!;
      co -= cs[d]! * lead[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
