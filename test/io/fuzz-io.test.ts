// The readers of nb.io under random files: valid PNG and safetensors files of every kind decode to exactly
// what was written, and mutated ones (bit flips, truncations, inserted, repeated, dropped or swapped chunks,
// header edits with huge sizes, corrupt compressed data) either decode to sane values or throw the reader's
// own NablaError: never a TypeError or RangeError from inside, never NaN, never an abort.
// `npm run fuzz` (NABLA_LONG=1) tries many more files than `npm test`.
import { inflateSync } from "node:zlib";
import fc from "fast-check";
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import * as io from "../../src/io/index.js";
import {
  type Chunk,
  chunk,
  ihdr,
  pngBytes,
  SAMPLES,
  scanlines,
  zlibStream,
} from "../fixtures/png-builder.js";

const LONG = process.env.NABLA_LONG === "1";
const SEED = Number(process.env.NABLA_FUZZ_SEED ?? 20261206);
/** Files tried per property. */
const RUNS = (n: number) => (LONG ? n * 40 : n);
const TIMEOUT = LONG ? 1_800_000 : 60_000;
const options = (n: number, offset: number) => ({ seed: SEED + offset, numRuns: RUNS(n) });

/** A small deterministic generator, so one fast-check integer fixes a whole image. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) >>> 0;
  };
}

// ---------------------------------------------------------------------------------------------------------
// PNG

/** Every bit depth each colour type allows. */
const COMBOS: [number, number][] = [
  [0, 1],
  [0, 2],
  [0, 4],
  [0, 8],
  [0, 16],
  [2, 8],
  [2, 16],
  [3, 1],
  [3, 2],
  [3, 4],
  [3, 8],
  [4, 8],
  [4, 16],
  [6, 8],
  [6, 16],
];

interface PngCase {
  chunks: Chunk[];
  /** The scanlines, before compression. */
  raw: Uint8Array;
  shape: number[];
  /** The decoded values with the image's own channels. */
  want: number[];
}

const pngCase = fc
  .record({
    combo: fc.constantFrom(...COMBOS),
    w: fc.integer({ min: 1, max: 19 }),
    h: fc.integer({ min: 1, max: 19 }),
    interlace: fc.boolean(),
    transparency: fc.boolean(),
    filters: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 }),
    parts: fc.integer({ min: 1, max: 3 }),
    level: fc.integer({ min: 0, max: 9 }),
    seed: fc.integer(),
  })
  .map(
    ({ combo: [colorType, depth], w, h, interlace, transparency, filters, parts, level, seed }): PngCase => {
      const rand = prng(seed);
      const spp = SAMPLES[colorType]!;
      const max = 2 ** depth - 1;
      const entries = colorType === 3 ? 1 + rand(Math.min(256, 2 ** depth)) : 0;
      const samples = Array.from({ length: w * h * spp }, () => rand(colorType === 3 ? entries : max + 1));
      const before: Chunk[] = [];
      const palette = Array.from({ length: 3 * entries }, () => rand(256));
      if (colorType === 3) before.push(chunk("PLTE", palette));
      let alpha: number[] | undefined;
      if (transparency && colorType !== 4 && colorType !== 6) {
        if (colorType === 3) alpha = Array.from({ length: rand(entries + 1) }, () => rand(256));
        else {
          // often the colour of the first pixel, so some pixels are transparent
          const key = Array.from({ length: spp }, (_, s) => (rand(2) ? samples[s]! : rand(max + 1)));
          alpha = key.flatMap((v) => [v >> 8, v & 255]);
          const want: number[] = [];
          for (let p = 0; p < w * h; p++) {
            const px = samples.slice(p * spp, (p + 1) * spp);
            want.push(...px.map((v) => Math.fround(v / max)), px.every((v, s) => v === key[s]) ? 0 : 1);
          }
          before.push(chunk("tRNS", alpha));
          const raw = scanlines(w, h, depth, colorType, samples, { filters, interlace });
          return finish(w, h, depth, colorType, interlace, raw, before, parts, level, spp + 1, want);
        }
        before.push(chunk("tRNS", alpha));
      }
      const want: number[] = [];
      for (let p = 0; p < w * h; p++)
        if (colorType === 3) {
          const i = samples[p]!;
          want.push(...palette.slice(3 * i, 3 * i + 3).map((v) => Math.fround(v / 255)));
          if (alpha !== undefined) want.push(i < alpha.length ? Math.fround(alpha[i]! / 255) : 1);
        } else for (let s = 0; s < spp; s++) want.push(Math.fround(samples[p * spp + s]! / max));
      const channels = colorType === 3 ? (alpha === undefined ? 3 : 4) : spp;
      const raw = scanlines(w, h, depth, colorType, samples, { filters, interlace });
      return finish(w, h, depth, colorType, interlace, raw, before, parts, level, channels, want);
    },
  );

function finish(
  w: number,
  h: number,
  depth: number,
  colorType: number,
  interlace: boolean,
  raw: Uint8Array,
  before: Chunk[],
  parts: number,
  level: number,
  channels: number,
  want: number[],
): PngCase {
  const z = zlibStream(raw, level);
  const idats = Array.from({ length: parts }, (_, i) =>
    chunk("IDAT", z.subarray(Math.floor((i * z.length) / parts), Math.floor(((i + 1) * z.length) / parts))),
  );
  return {
    chunks: [ihdr(w, h, depth, colorType, interlace ? 1 : 0), ...before, ...idats, chunk("IEND")],
    raw,
    shape: channels === 1 ? [h, w] : [h, w, channels],
    want,
  };
}

const HUGE = [0, 1, 2, 255, 65535, 65536, 150_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1];
const CHUNK_TYPES = [
  "IHDR",
  "PLTE",
  "tRNS",
  "IDAT",
  "IEND",
  "gAMA",
  "tEXt",
  "acTL",
  "fdAT",
  "ABCD",
  "abcd",
  "aB1d",
];

type Mutation =
  | { kind: "insert"; at: number; type: string; data: Uint8Array }
  | { kind: "duplicate" | "remove"; at: number }
  | { kind: "swap"; at: number; other: number }
  | { kind: "ihdr"; field: number; value: number }
  | { kind: "zlib"; at: number; bit: number }
  | { kind: "zlibCut"; at: number }
  | { kind: "raw"; at: number; value: number };

type ByteMutation = { kind: "flip"; at: number; bit: number } | { kind: "cut"; at: number };

const index = fc.nat({ max: 1 << 20 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("insert" as const),
    at: index,
    type: fc.constantFrom(...CHUNK_TYPES),
    data: fc.uint8Array({ maxLength: 24 }),
  }),
  fc.record({ kind: fc.constantFrom("duplicate" as const, "remove" as const), at: index }),
  fc.record({ kind: fc.constant("swap" as const), at: index, other: index }),
  // IHDR fields: 0 width, 1 height, 2 depth, 3 colour type, 4 compression, 5 filter, 6 interlace
  fc.record({
    kind: fc.constant("ihdr" as const),
    field: fc.integer({ min: 0, max: 6 }),
    value: fc.oneof(fc.constantFrom(...HUGE), fc.nat({ max: 40 })),
  }),
  fc.record({ kind: fc.constant("zlib" as const), at: index, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("zlibCut" as const), at: index }),
  fc.record({ kind: fc.constant("raw" as const), at: index, value: fc.integer({ min: 0, max: 255 }) }),
);
const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: index, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: index }),
);

/** The IDAT chunks replaced by one holding `data`. */
function withIdat(chunks: Chunk[], data: Uint8Array): Chunk[] {
  const first = chunks.findIndex((c) => c.type === "IDAT");
  if (first < 0) return chunks;
  const rest = chunks.filter((c, i) => c.type !== "IDAT" || i === first);
  return rest.map((c) => (c.type === "IDAT" ? chunk("IDAT", data) : c));
}

const idatOf = (chunks: Chunk[]): Uint8Array =>
  Uint8Array.from(chunks.filter((c) => c.type === "IDAT").flatMap((c) => [...c.data]));

/** Applies a chunk-level mutation; the file is written afterwards with correct CRCs. */
function mutate(chunks: Chunk[], m: Mutation): Chunk[] {
  const out = chunks.slice();
  const n = out.length;
  switch (m.kind) {
    case "insert":
      out.splice(m.at % (n + 1), 0, chunk(m.type, m.data));
      return out;
    case "duplicate":
      if (n > 0) out.splice(m.at % n, 0, out[m.at % n]!);
      return out;
    case "remove":
      if (n > 0) out.splice(m.at % n, 1);
      return out;
    case "swap": {
      if (n === 0) return out;
      const [a, b] = [m.at % n, m.other % n];
      [out[a], out[b]] = [out[b]!, out[a]!];
      return out;
    }
    case "ihdr": {
      const i = out.findIndex((c) => c.type === "IHDR");
      if (i < 0 || out[i]!.data.length !== 13) return out;
      const data = out[i]!.data.slice();
      if (m.field < 2) new DataView(data.buffer).setUint32(4 * m.field, m.value >>> 0);
      else data[6 + m.field] = m.value & 255;
      out[i] = chunk("IHDR", data);
      return out;
    }
    case "zlib": {
      const z = idatOf(out);
      if (z.length === 0) return out;
      z[m.at % z.length]! ^= 1 << m.bit;
      return withIdat(out, z);
    }
    case "zlibCut": {
      const z = idatOf(out);
      return withIdat(out, z.subarray(0, m.at % (z.length + 1)));
    }
    case "raw": {
      let raw: Uint8Array;
      try {
        raw = new Uint8Array(inflateSync(idatOf(out)));
      } catch {
        return out;
      }
      if (raw.length === 0) return out;
      raw[m.at % raw.length] = m.value;
      return withIdat(out, zlibStream(raw));
    }
  }
}

function mutateBytes(bytes: Uint8Array, m: ByteMutation): Uint8Array {
  if (m.kind === "cut") return bytes.subarray(0, m.at % (bytes.length + 1));
  const out = bytes.slice();
  if (out.length > 0) out[m.at % out.length]! ^= 1 << m.bit;
  return out;
}

/** `fn` returns a value, or throws an instance of `cls` whose message starts with `prefix`. */
function cleanly<T>(fn: () => T, cls: new (...a: never[]) => Error, prefix: string): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof cls) || !(e instanceof nb.NablaError)) throw e;
    expect(e.message.startsWith(prefix), e.message).toBe(true);
    return undefined;
  }
}

/** An accepted image has a consistent shape and every value in [0, 1]. */
function checkImage(t: nb.Tensor, channels: 1 | 3 | 4 | undefined): void {
  expect(t.dtype).toBe("float32");
  expect(t.shape.length === 2 || t.shape.length === 3).toBe(true);
  if (channels !== undefined) expect(t.shape[2] ?? 1).toBe(channels);
  const d = t.dataSync();
  expect(d.length).toBe(t.shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < d.length; i++)
    if (!(d[i]! >= 0 && d[i]! <= 1)) throw new Error(`value ${d[i]} at ${i}`);
}

describe("PNG", () => {
  it(
    "valid files of every depth, colour type, filter, interlacing and transparency decode exactly",
    () => {
      fc.assert(
        fc.property(pngCase, (c) => {
          const t = io.decodePng(pngBytes(c.chunks));
          expect(t.shape).toEqual(c.shape);
          expect(Array.from(t.dataSync())).toEqual(c.want);
        }),
        options(120, 0),
      );
    },
    TIMEOUT,
  );

  it(
    "encodePng then decodePng is the identity on 8-bit levels",
    () => {
      const image = fc.record({
        h: fc.integer({ min: 1, max: 24 }),
        w: fc.integer({ min: 1, max: 24 }),
        c: fc.constantFrom(0, 1, 2, 3, 4),
        seed: fc.integer(),
      });
      fc.assert(
        fc.property(image, ({ h, w, c, seed }) => {
          const rand = prng(seed);
          const shape = c === 0 ? [h, w] : [h, w, c];
          const levels = Array.from({ length: h * w * Math.max(1, c) }, () => rand(256) / 255);
          const t = nb.array(levels).reshape(shape);
          const back = io.decodePng(io.encodePng(t));
          expect(back.shape).toEqual(c <= 1 ? [h, w] : shape);
          expect(Array.from(back.dataSync())).toEqual(Array.from(t.dataSync()));
        }),
        options(60, 1),
      );
    },
    TIMEOUT,
  );

  it(
    "mutated files decode to sane values or throw a PngError",
    () => {
      const arb = fc.record({
        c: pngCase,
        mutations: fc.array(mutation, { maxLength: 3 }),
        bytes: fc.array(byteMutation, { maxLength: 1 }),
        channels: fc.constantFrom(undefined, 1, 3, 4),
      });
      fc.assert(
        fc.property(arb, ({ c, mutations, bytes, channels }) => {
          let file = pngBytes(mutations.reduce(mutate, c.chunks));
          file = bytes.reduce(mutateBytes, file);
          const t = cleanly(() => io.decodePng(file, { channels }), io.PngError, "decodePng: ");
          if (t !== undefined) checkImage(t, channels === 1 ? undefined : channels);
        }),
        options(800, 2),
      );
    },
    TIMEOUT,
  );

  it(
    "random bytes after a valid signature and IHDR throw a PngError",
    () => {
      const arb = fc.record({
        w: fc.constantFrom(...HUGE),
        h: fc.constantFrom(...HUGE),
        tail: fc.uint8Array(),
      });
      fc.assert(
        fc.property(arb, ({ w, h, tail }) => {
          const head = pngBytes([ihdr(w, h, 8, 2)]);
          const file = Uint8Array.from([...head, ...tail]);
          const t = cleanly(() => io.decodePng(file), io.PngError, "decodePng: ");
          expect(t).toBeUndefined();
        }),
        options(150, 3),
      );
    },
    TIMEOUT,
  );
});

// ---------------------------------------------------------------------------------------------------------
// safetensors

const DTYPES = ["float32", "float64", "int32", "bool"] as const;
const SPECIAL = [
  0,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e-40,
  3.4e38,
  1e-310,
];

const tensorArb = fc.record({
  dtype: fc.constantFrom(...DTYPES),
  shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
  seed: fc.integer(),
});

interface TensorSpec {
  dtype: (typeof DTYPES)[number];
  shape: number[];
  seed: number;
}

function makeTensor({ dtype, shape, seed }: TensorSpec): nb.Tensor {
  const rand = prng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, () =>
    dtype === "bool"
      ? rand(2)
      : dtype === "int32"
        ? rand(2 ** 32) - 2 ** 31
        : rand(4) === 0
          ? SPECIAL[rand(SPECIAL.length)]!
          : (rand(2 ** 31) - 2 ** 30) / (1 + rand(1000)),
  );
  return nb.array(dtype === "bool" ? values.map((v) => v !== 0) : values, { dtype }).reshape(shape);
}

const treeArb = fc.record({
  tensors: fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_.]{0,6}[a-z0-9]$/), tensorArb), {
    maxLength: 5,
    selector: ([name]) => name,
  }),
  metadata: fc.option(
    fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    {
      nil: undefined,
    },
  ),
});

const bytesOf = (t: nb.Tensor): number[] => {
  const d = t.dataSync();
  return Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
};

/** The file of `tree`, with the header JSON and data apart so they can be edited. */
function encodeTree(tree: [string, TensorSpec][], metadata?: Record<string, string>) {
  const tensors: Record<string, nb.Tensor> = {};
  for (const [name, spec] of tree)
    Object.defineProperty(tensors, name, { value: makeTensor(spec), enumerable: true });
  return { tensors, bytes: io.encodeSafetensors(tensors, metadata) };
}

type HeaderEdit =
  | { kind: "shape"; at: number; shape: unknown }
  | { kind: "dtype"; at: number; dtype: string }
  | { kind: "offsets"; at: number; offsets: unknown }
  | { kind: "fit"; at: number; shape: number[] }
  | { kind: "remove" | "copy"; at: number }
  | { kind: "length"; value: number };

const HUGE_DIMS = [2 ** 31, 2 ** 32, 65536, 2 ** 53 - 1, 2 ** 53, 1e6, 0];
const entryEdit: fc.Arbitrary<HeaderEdit> = fc.oneof(
  fc.record({
    kind: fc.constant("shape" as const),
    at: index,
    shape: fc.oneof(
      fc.array(fc.oneof(fc.constantFrom(...HUGE_DIMS), fc.nat({ max: 6 })), { maxLength: 4 }),
      fc.constantFrom(null, "3", [-1], [1.5], [[2]], { 0: 1 }, [Number.MAX_VALUE]),
    ),
  }),
  fc.record({
    kind: fc.constant("dtype" as const),
    at: index,
    dtype: fc.constantFrom(
      "F32",
      "F64",
      "I32",
      "BOOL",
      "F16",
      "BF16",
      "U8",
      "I8",
      "I64",
      "U64",
      "F8_E4M3",
      "",
      "f32",
    ),
  }),
  fc.record({
    kind: fc.constant("offsets" as const),
    at: index,
    offsets: fc.oneof(
      fc.tuple(
        fc.oneof(fc.nat({ max: 64 }), fc.constantFrom(...HUGE_DIMS)),
        fc.oneof(fc.nat({ max: 64 }), fc.constantFrom(...HUGE_DIMS)),
      ),
      fc.constantFrom(null, [0], [0, 1, 2], [-4, 0], [0.5, 4], ["0", "4"]),
    ),
  }),
  // a huge shape with offsets that agree with it: only the data can refute it
  fc.record({
    kind: fc.constant("fit" as const),
    at: index,
    shape: fc.array(fc.constantFrom(...HUGE_DIMS, 3), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constantFrom("remove" as const, "copy" as const), at: index }),
);

// The length field is edited rarely: a wrong one hides every other edit.
const headerEdit: fc.Arbitrary<HeaderEdit> = fc.oneof(
  { weight: 8, arbitrary: entryEdit },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("length" as const),
      value: fc.oneof(fc.nat({ max: 4096 }), fc.constantFrom(...HUGE_DIMS)),
    }),
  },
);

const ITEMSIZE: Record<string, number> = { F32: 4, F64: 8, I32: 4, BOOL: 1 };

/** Rewrites the header of a valid file after `edits`, keeping the data; the length field is set to fit. */
function editHeader(bytes: Uint8Array, edits: HeaderEdit[]): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    Record<string, unknown>
  >;
  let lengthField: number | undefined;
  for (const e of edits) {
    if (e.kind === "length") {
      lengthField = e.value;
      continue;
    }
    const names = Object.keys(header).filter((k) => k !== "__metadata__");
    if (names.length === 0) continue;
    const name = names[e.at % names.length]!;
    const entry = header[name]!;
    if (e.kind === "shape") entry.shape = e.shape;
    else if (e.kind === "dtype") entry.dtype = e.dtype;
    else if (e.kind === "offsets") entry.data_offsets = e.offsets;
    else if (e.kind === "fit") {
      entry.shape = e.shape;
      const offsets = entry.data_offsets;
      const begin = Array.isArray(offsets) && typeof offsets[0] === "number" ? offsets[0] : 0;
      entry.data_offsets = [
        begin,
        begin + e.shape.reduce((a, b) => a * b, ITEMSIZE[entry.dtype as string] ?? 4),
      ];
    } else if (e.kind === "remove") delete header[name];
    else header[`${name}_copy`] = { ...entry };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  const outView = new DataView(out.buffer);
  const len = lengthField ?? json.length;
  outView.setUint32(0, len % 2 ** 32, true);
  outView.setUint32(4, Math.floor(len / 2 ** 32), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

describe("safetensors", () => {
  it(
    "encode then decode is the identity, bit for bit, for random trees of every dtype",
    () => {
      fc.assert(
        fc.property(treeArb, ({ tensors: spec, metadata }) => {
          const { tensors, bytes } = encodeTree(spec, metadata);
          const back = io.decodeSafetensors(bytes);
          expect(back.metadata).toEqual(metadata ?? {});
          expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
          for (const [name, t] of Object.entries(tensors)) {
            const u = back.tensors[name]!;
            expect(u.dtype).toBe(t.dtype);
            expect(u.shape).toEqual(t.shape);
            expect(bytesOf(u)).toEqual(bytesOf(t));
          }
          expect(io.encodeSafetensors(back.tensors, metadata)).toEqual(bytes);
        }),
        options(120, 10),
      );
    },
    TIMEOUT,
  );

  it(
    "mutated files decode to consistent tensors or throw a SafetensorsError",
    () => {
      const arb = fc.record({
        tree: treeArb,
        edits: fc.array(headerEdit, { maxLength: 3 }),
        bytes: fc.array(byteMutation, { maxLength: 1 }),
        nested: fc.boolean(),
      });
      fc.assert(
        fc.property(arb, ({ tree, edits, bytes, nested }) => {
          let file = encodeTree(tree.tensors, tree.metadata).bytes;
          if (edits.length > 0) file = editHeader(file, edits);
          file = bytes.reduce(mutateBytes, file);
          const got = cleanly(
            () => io.decodeSafetensors(file, { nested: nested as false }),
            io.SafetensorsError,
            "decodeSafetensors: ",
          );
          if (got === undefined) return;
          const visit = (t: unknown): void => {
            if (t instanceof nb.Tensor) expect(t.dataSync().length).toBe(t.shape.reduce((a, b) => a * b, 1));
            else for (const v of Object.values(t as object)) visit(v);
          };
          visit(got.tensors);
        }),
        options(800, 11),
      );
    },
    TIMEOUT,
  );
});
