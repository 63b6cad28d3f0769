// nb.io PNG: tensors to images and back (gray, RGB, RGBA), scaling and clipping, channel conversion,
// 16-bit, low bit depths, palettes, transparency and interlacing, clear errors for tensors that are not
// images, and a PngError (never a foreign error, never an abort) for every kind of broken or oversized file.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encode } from "fast-png";
import * as nb from "nabla";
import { afterAll, describe, expect, it } from "vitest";
import * as io from "../../src/io/index.js";
import {
  buildPng,
  type Chunk,
  chunk,
  ihdr,
  pngBytes,
  scanlines,
  zlibStream,
} from "../fixtures/png-builder.js";

const dir = mkdtempSync(path.join(tmpdir(), "nabla-png-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Values k/255, which 8-bit PNG stores exactly. */
const levels = (shape: number[], seed: number) =>
  nb.random.randint(nb.random.key(seed), shape, 0, 256).astype("float32").div(255);

const close = (a: nb.Tensor, b: nb.Tensor, tol = 1e-6) => {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  expect(worst).toBeLessThanOrEqual(tol);
};

describe("round trips", () => {
  it("gray [H, W], RGB and RGBA keep their shape and values", () => {
    for (const shape of [
      [5, 7],
      [4, 3, 3],
      [2, 6, 4],
      [3, 3, 2],
    ]) {
      const img = levels(shape, shape.length + shape.at(-1)!);
      const back = io.decodePng(io.encodePng(img));
      close(back, img);
      expect(back.dtype).toBe("float32");
    }
  });

  it("[H, W, 1] is written as gray and read back as [H, W]", () => {
    const img = levels([4, 4, 1], 3);
    expect(io.decodePng(io.encodePng(img)).shape).toEqual([4, 4]);
  });

  it("writes and reads files", async () => {
    const file = path.join(dir, "img.png");
    const img = levels([8, 9, 3], 4);
    await io.writePng(file, img);
    close(await io.readPng(file), img);
    close(
      await io.readPng(new URL(`file://${file}`), { channels: 4 }),
      nb.concatenate([img, nb.ones([8, 9, 1])], 2),
    );
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("scaling", () => {
  it("maps [min, max] to [0, 255] and clips outside it, infinities included", () => {
    const w = nb.array([[-2, -1, 0, 1, 2, -Infinity, Infinity]]);
    expect(
      io
        .decodePng(io.encodePng(w, { min: -1, max: 1 }))
        .mul(255)
        .toArray(),
    ).toEqual([[0, 0, 128, 255, 255, 0, 255]]);
  });

  it("reads int32 as 0 … 255 and bool as 0 or 1", () => {
    const ints = nb.array([[0, 51, 255, 300]], { dtype: "int32" });
    expect(nb.round(io.decodePng(io.encodePng(ints)).mul(255)).toArray()).toEqual([[0, 51, 255, 255]]);
    const mask = nb.array([[true, false]]);
    expect(io.decodePng(io.encodePng(mask)).toArray()).toEqual([[1, 0]]);
  });
});

describe("channels", () => {
  it("converts RGB to gray by luma and gray to RGB by copying", () => {
    const rgb = nb.array([
      [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
    ]);
    const gray = io.decodePng(io.encodePng(rgb), { channels: 1 });
    close(gray, nb.array([[0.299, 0.587, 0.114]]));
    const g = nb.round(nb.array([[0.2, 0.6]]).mul(255)).div(255);
    close(io.decodePng(io.encodePng(g), { channels: 3 }), nb.stack([g, g, g], 2));
  });

  it("drops alpha when asked for RGB", () => {
    const rgba = levels([2, 2, 4], 9);
    close(io.decodePng(io.encodePng(rgba), { channels: 3 }), nb.slice(rgba, [0, 0, 0], [2, 2, 3]));
  });

  it("reads 16-bit, 1-bit and palette PNGs", () => {
    const deep = io.decodePng(
      encode({ width: 2, height: 1, data: new Uint16Array([0, 65535]), depth: 16, channels: 1 }),
    );
    expect(deep.toArray()).toEqual([[0, 1]]);
    // 1-bit gray, width 10 (rows padded to 2 bytes): 1010101010
    const bits = io.decodePng(
      encode({ width: 10, height: 1, data: new Uint8Array([0b10101010, 0b10000000]), depth: 1, channels: 1 }),
    );
    expect(bits.toArray()).toEqual([[1, 0, 1, 0, 1, 0, 1, 0, 1, 0]]);
    const palette = [
      [255, 0, 0],
      [0, 0, 255],
    ];
    const indexed = io.decodePng(
      encode({ width: 2, height: 1, data: new Uint8Array([1, 0]), depth: 8, channels: 1, palette }),
    );
    expect(indexed.toArray()).toEqual([
      [
        [0, 0, 1],
        [1, 0, 0],
      ],
    ]);
  });
});

describe("errors", () => {
  it("names the shape when a tensor is not an image", () => {
    expect(() => io.encodePng(nb.zeros([3]))).toThrow(nb.ShapeError);
    expect(() => io.encodePng(nb.zeros([2, 2, 5]))).toThrow(/got \[2,2,5\]/);
    expect(() => io.encodePng(nb.zeros([0, 4]))).toThrow(/at least one pixel/);
    expect(() => io.encodePng(nb.zeros([2, 2]), { min: 1, max: 1 })).toThrow(nb.ValueError);
  });

  it("rejects NaN, non-tensors and unknown dtypes when writing, naming the function", async () => {
    const withNan = nb.array([
      [0, 1],
      [Number.NaN, Number.NaN],
    ]);
    expect(() => io.encodePng(withNan)).toThrow(nb.ValueError);
    expect(() => io.encodePng(withNan)).toThrow(
      /encodePng: the image holds 2 NaN values \(the first at \[1,0\]\)/,
    );
    await expect(io.writePng(path.join(dir, "nan.png"), withNan)).rejects.toThrow(
      /writePng: .*NaN.*nb\.where/,
    );
    expect(readdirSync(dir).filter((f) => f.startsWith("nan"))).toEqual([]);
    expect(() => io.encodePng([[0, 1]] as unknown as nb.Tensor)).toThrow(
      /encodePng: expected a tensor.*an array/,
    );
    expect(() => io.encodePng(nb.zeros([2, 2, 2, 1]))).toThrow(/got \[2,2,2,1\]/);
  });

  it("rejects bytes that are not a PNG and bad channel options", async () => {
    expect(() => io.decodePng(new Uint8Array([1, 2, 3]))).toThrow(io.PngError);
    expect(() => io.decodePng("abc" as unknown as Uint8Array)).toThrow(
      /decodePng: expected the file's bytes/,
    );
    expect(() => io.decodePng(io.encodePng(nb.zeros([1, 1])), { channels: 2 as 1 })).toThrow(
      /channels must be 1, 3 or 4/,
    );
    await expect(io.readPng(path.join(dir, "missing.png"))).rejects.toThrow(/readPng: cannot read/);
  });
});

/** The error `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): Error | undefined {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

/** Expects decoding `bytes` to throw a PngError (a NablaError) whose message matches `pattern`. */
function rejects(bytes: Uint8Array, pattern: RegExp): void {
  const e = thrown(() => io.decodePng(bytes));
  expect(e, "expected a PngError").toBeInstanceOf(io.PngError);
  expect(e).toBeInstanceOf(nb.NablaError);
  expect(e!.message).toMatch(/^decodePng: /);
  expect(e!.message).toMatch(pattern);
}

const gray4x3 = () =>
  scanlines(
    4,
    3,
    8,
    0,
    Array.from({ length: 12 }, (_, i) => i * 20),
  );
const validGray = () => buildPng(ihdr(4, 3, 8, 0), gray4x3());
const PLTE = chunk("PLTE", [255, 0, 0, 0, 255, 0, 0, 0, 255]);

describe("sizes are checked against the data and nb.config.maxDecodeBytes before anything is allocated", () => {
  it("a 67-byte file declaring a 150,000,000×1 image", () => {
    const bytes = buildPng(ihdr(150_000_000, 1, 8, 0), new Uint8Array(2));
    expect(bytes.length).toBeLessThan(70);
    rejects(
      bytes,
      /declares a 150000000×1 image \(150000001 bytes of scanlines\) but the compressed image data is \d+ bytes/,
    );
  });

  it("huge declared sides with real data behind them: refused by the limit, accepted when it is raised", () => {
    // 1024×1024 RGBA: 16 MiB of float32 from a 4 MiB stream of zeros that deflate squeezes to a few KiB
    const raw = new Uint8Array(1024 * (1 + 4096));
    const bytes = buildPng(ihdr(1024, 1024, 8, 6), raw);
    const limit = nb.config.maxDecodeBytes;
    try {
      nb.config.maxDecodeBytes = 8 * 2 ** 20;
      rejects(
        bytes,
        /the 1024×1024 RGBA image \(float32 \[1024,1024,4\]\) would take 16 MiB decoded, more than nb\.config\.maxDecodeBytes \(8\.0 MiB\).*raise the limit/,
      );
      nb.config.maxDecodeBytes = 16 * 2 ** 20;
      expect(io.decodePng(bytes).shape).toEqual([1024, 1024, 4]);
    } finally {
      nb.config.maxDecodeBytes = limit;
    }
    const tensorLimit = nb.config.maxTensorBytes;
    try {
      nb.config.maxTensorBytes = 2 ** 20;
      rejects(bytes, /more than nb\.config\.maxTensorBytes/);
    } finally {
      nb.config.maxTensorBytes = tensorLimit;
    }
  });

  it("refuses a file too large to hold an image within the limit before reading it", async () => {
    const file = path.join(dir, "big.png");
    writeFileSync(file, validGray());
    const limit = nb.config.maxDecodeBytes;
    try {
      nb.config.maxDecodeBytes = 16;
      await expect(io.readPng(file)).rejects.toThrow(
        /readPng: .*big\.png is \d+ B, more than a PNG whose image fits/,
      );
    } finally {
      nb.config.maxDecodeBytes = limit;
    }
  });

  it("large images decode in a small heap (no per-value JavaScript arrays)", () => {
    // Converting with TypedArray.from(data, fn) gathered 16.7 million values in an ordinary array first,
    // which aborts the process with a 64 MiB heap; plain loops need only the result itself.
    const script = path.join(import.meta.dirname, "..", "fixtures", "decode-large.mts");
    const out = execFileSync(process.execPath, ["--max-old-space-size=64", "--import", "tsx", script, dir], {
      encoding: "utf8",
      cwd: path.join(import.meta.dirname, "../.."),
    });
    expect(out).toContain("png [2048,2048,4] 1");
    expect(out).toContain("safetensors bool [16777216] 5592406");
  });
});

describe("corrupt files give a PngError and return nothing", () => {
  it("decodes the valid file these tests corrupt", () => {
    expect(io.decodePng(validGray()).mul(255).toArray()).toEqual([
      [0, 20, 40, 60],
      [80, 100, 120, 140],
      [160, 180, 200, 220],
    ]);
  });

  it("a wrong chunk CRC, in the data or in the CRC field itself", () => {
    const bytes = validGray();
    const flipped = bytes.slice();
    flipped[45] ^= 1; // inside the IDAT data
    rejects(
      flipped,
      /chunk IDAT at byte 33 has CRC 0x[0-9a-f]{8} but its bytes give 0x[0-9a-f]{8}: the file is corrupt/,
    );
    const crcField = bytes.slice();
    crcField[29] ^= 0x80; // the CRC of IHDR
    rejects(crcField, /chunk IHDR at byte 8 has CRC/);
  });

  it("a wrong zlib checksum, and corrupt compressed data", () => {
    const z = zlibStream(gray4x3());
    const good = new DataView(z.buffer).getUint32(z.length - 4);
    const badAdler = pngBytes([
      ihdr(4, 3, 8, 0),
      chunk("IDAT", zlibStream(gray4x3(), 6, good ^ 1)),
      chunk("IEND"),
    ]);
    rejects(
      badAdler,
      /compressed image data \(IDAT\) is corrupt: its Adler-32 checksum is 0x[0-9a-f]+ but the inflated data gives/,
    );
    const badHeader = z.slice();
    badHeader[0] = 0x79;
    rejects(pngBytes([ihdr(4, 3, 8, 0), chunk("IDAT", badHeader), chunk("IEND")]), /zlib header/);
    const badBlock = z.slice();
    badBlock[2] = 0xff; // block type 3
    rejects(pngBytes([ihdr(4, 3, 8, 0), chunk("IDAT", badBlock), chunk("IEND")]), /IDAT\) is corrupt/);
    const extra = Uint8Array.from([...z, 0, 0]);
    rejects(
      pngBytes([ihdr(4, 3, 8, 0), chunk("IDAT", extra), chunk("IEND")]),
      /2 bytes follow the end of the zlib stream/,
    );
  });

  it("image data shorter or longer than the image (never zero-filled, never cut silently)", () => {
    const short = buildPng(ihdr(4, 3, 8, 0), gray4x3().subarray(0, 14));
    rejects(short, /it ends after 14 of the 15 bytes expected \(data is missing\)/);
    const long = buildPng(ihdr(4, 3, 8, 0), Uint8Array.from([...gray4x3(), 0, 0, 0, 0, 0]));
    rejects(long, /it holds more than the 15 bytes expected/);
    const cut = zlibStream(gray4x3());
    rejects(
      pngBytes([ihdr(4, 3, 8, 0), chunk("IDAT", cut.subarray(0, cut.length - 6)), chunk("IEND")]),
      /IDAT\) is corrupt/,
    );
  });

  it("a file cut anywhere", () => {
    const bytes = validGray();
    for (let cut = 0; cut < bytes.length; cut++) rejects(bytes.subarray(0, cut), /signature|truncated/);
  });

  it("bit depths the colour type does not allow (PNG table 11.1), unknown colour types and methods", () => {
    const illegal: [number, number][] = [
      [0, 3],
      [0, 32],
      [2, 1],
      [2, 2],
      [2, 4],
      [3, 16],
      [4, 1],
      [4, 4],
      [6, 2],
      [6, 4],
    ];
    for (const [colorType, depth] of illegal)
      rejects(
        buildPng(ihdr(4, 3, depth, colorType), gray4x3()),
        new RegExp(`image of bit depth ${depth}, which PNG does not allow`),
      );
    rejects(buildPng(ihdr(4, 3, 8, 1), gray4x3()), /colour type 1; PNG defines 0, 2, 3, 4 and 6/);
    rejects(buildPng(ihdr(4, 3, 8, 0, 2), gray4x3()), /interlace method 2/);
    rejects(buildPng(ihdr(0, 3, 8, 0), gray4x3()), /declares a 0×3 image/);
    rejects(buildPng(ihdr(2 ** 31, 1, 8, 0), gray4x3()), /declares a 2147483648×1 image/);
    const ihdr12 = { ...ihdr(4, 3, 8, 0) };
    ihdr12.data = ihdr12.data.subarray(0, 12);
    rejects(buildPng(ihdr12, gray4x3()), /IHDR chunk is 12 bytes instead of 13/);
  });

  it("repeated, misplaced and missing critical chunks and tRNS", () => {
    const idx = scanlines(3, 1, 8, 3, [0, 1, 2]);
    const z = chunk("IDAT", zlibStream(idx));
    const png = (...chunks: Chunk[]) => pngBytes(chunks);
    const H = ihdr(3, 1, 8, 3);
    const end = chunk("IEND");
    const trns = chunk("tRNS", [0, 128]);
    expect(io.decodePng(png(H, PLTE, trns, z, end)).shape).toEqual([1, 3, 4]);
    rejects(png(H, PLTE, trns, trns, z, end), /chunk tRNS at byte \d+ repeats tRNS/);
    rejects(png(H, PLTE, z, trns, end), /tRNS .* comes after the image data/);
    rejects(png(H, trns, PLTE, z, end), /tRNS .* comes before PLTE/);
    rejects(png(H, PLTE, PLTE, z, end), /repeats PLTE/);
    rejects(png(H, z, PLTE, end), /PLTE .* comes after the image data/);
    rejects(png(H, z, end), /indexed-colour image without a PLTE chunk/);
    rejects(png(H, H, PLTE, z, end), /repeats IHDR/);
    rejects(png(PLTE, H, z, end), /chunk PLTE at byte 8 comes before IHDR/);
    rejects(
      png(H, PLTE, chunk("tRNS", [1, 2, 3, 4]), z, end),
      /holds 4 alpha values for a palette of 3 entries/,
    );
    rejects(png(H, chunk("PLTE", [1, 2]), z, end), /PLTE .* is 2 bytes/);
    rejects(png(ihdr(2, 1, 1, 3), PLTE, z, end), /a palette holds 1 … 2 RGB entries/);
    rejects(png(H, PLTE, z, chunk("tEXt", [65, 0, 66]), z, end), /separated from the earlier IDAT chunks/);
    rejects(png(H, PLTE, end), /no IDAT chunk/);
    rejects(png(H, PLTE, z), /without an IEND chunk/);
    rejects(png(H, PLTE, z, chunk("IEND", [0])), /IEND .* has 1 bytes of data/);
    rejects(Uint8Array.from([...png(H, PLTE, z, end), 0]), /1 bytes follow the IEND chunk/);
    rejects(
      png(H, PLTE, chunk("ABCD", [1]), z, end),
      /ABCD .* is a critical chunk this decoder does not know/,
    );
    expect(io.decodePng(png(H, PLTE, chunk("abCD", [1]), z, end)).shape).toEqual([1, 3, 3]); // ancillary: skipped
    rejects(png(H, PLTE, chunk("a1CD", [1]), z, end), /type bytes \[97,49,67,68\], which are not 4 letters/);
    const G = ihdr(4, 3, 8, 0);
    const zg = chunk("IDAT", zlibStream(gray4x3()));
    rejects(png(G, PLTE, zg, end), /PLTE .* is a palette, which a grayscale image must not have/);
    rejects(
      png(G, chunk("tRNS", [0, 0, 0, 0, 0, 0]), zg, end),
      /tRNS .* is 6 bytes; for a grayscale image it is 2/,
    );
    rejects(
      png(ihdr(4, 3, 8, 4), chunk("tRNS", [0, 0]), zg, end),
      /tRNS .* grayscale\+alpha image must not have/,
    );
  });

  it("an unknown filter type and a palette index outside the palette", () => {
    const raw = gray4x3();
    raw[5] = 5;
    rejects(buildPng(ihdr(4, 3, 8, 0), raw), /scanline 1 has filter type 5; PNG defines 0 … 4/);
    rejects(
      buildPng(ihdr(3, 1, 8, 3), scanlines(3, 1, 8, 3, [0, 3, 1]), { before: [PLTE] }),
      /pixel \(x 1, y 0\) uses palette index 3 but the palette has 3 entries/,
    );
  });
});

describe("valid files of every kind", () => {
  it("every filter type, interlaced or not, split over several IDAT chunks", () => {
    const w = 13;
    const h = 11;
    const samples = Array.from({ length: w * h * 3 }, (_, i) => (i * 37 + (i >> 3) * 11) & 255);
    const want = nb.array(samples.map((v) => v / 255)).reshape([h, w, 3]);
    for (const interlace of [false, true]) {
      const raw = scanlines(w, h, 8, 2, samples, { filters: [0, 1, 2, 3, 4], interlace });
      const bytes = buildPng(ihdr(w, h, 8, 2, interlace ? 1 : 0), raw, { parts: 3 });
      close(io.decodePng(bytes), want);
    }
  });

  it("long streams: distances up to 32 KiB, stored, fixed and dynamic blocks", () => {
    const w = 256;
    const h = 64;
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    const samples = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++)
      for (let i = 0; i < w * 4; i++)
        samples[y * w * 4 + i] =
          y < 24 || i % 97 === 0 ? next() : samples[(y - (y % 3 === 0 ? 24 : 1)) * w * 4 + i]!;
    const want = Array.from(samples, (v) => Math.fround(v / 255));
    for (const level of [0, 1, 6, 9]) {
      const bytes = buildPng(ihdr(w, h, 8, 6), scanlines(w, h, 8, 6, samples), { level, parts: 4 });
      const got = io.decodePng(bytes).dataSync();
      expect(got.length).toBe(want.length);
      expect(want.filter((v, i) => got[i] !== v).length, `level ${level}`).toBe(0);
    }
  });

  it("tRNS gives gray and RGB images an alpha channel: 0 for the named colour, 1 elsewhere", () => {
    const gray = buildPng(ihdr(3, 1, 16, 0), scanlines(3, 1, 16, 0, [0, 700, 65535]), {
      before: [chunk("tRNS", [2, 188])],
    });
    close(
      io.decodePng(gray),
      nb.array([
        [
          [0, 1],
          [700 / 65535, 0],
          [1, 1],
        ],
      ]),
    );
    const rgb = buildPng(ihdr(2, 1, 8, 2), scanlines(2, 1, 8, 2, [1, 2, 3, 1, 2, 4]), {
      before: [chunk("tRNS", [0, 1, 0, 2, 0, 3])],
    });
    expect(nb.slice(io.decodePng(rgb), [0, 0, 3], [1, 2, 1]).toArray()).toEqual([[[0], [1]]]);
    expect(io.decodePng(rgb, { channels: 3 }).shape).toEqual([1, 2, 3]);
  });

  it("2- and 4-bit gray and indexed images, the palette's own alpha included", () => {
    const g2 = buildPng(ihdr(5, 1, 2, 0), scanlines(5, 1, 2, 0, [0, 1, 2, 3, 1]));
    close(io.decodePng(g2), nb.array([[0, 1 / 3, 2 / 3, 1, 1 / 3]]));
    const p4 = buildPng(ihdr(3, 1, 4, 3), scanlines(3, 1, 4, 3, [2, 0, 1]), {
      before: [PLTE, chunk("tRNS", [51])],
    });
    close(
      io.decodePng(p4),
      nb.array([
        [
          [0, 0, 1, 1],
          [1, 0, 0, 0.2],
          [0, 1, 0, 1],
        ],
      ]),
    );
  });
});
