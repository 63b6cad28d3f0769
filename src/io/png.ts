// PNG images as tensors ([H, W] gray or [H, W, C], values in [0, 1]): a strict decoder of our own that checks
// every CRC, checksum and size before allocating, and an encoder of our own (adaptive row filters; Node's
// zlib where there is one, stored deflate blocks elsewhere). Both run anywhere and load nothing at import.
import { config, fmtBytes } from "../core/config.js";
import { DTypeError, fmtShape, ShapeError, ValueError } from "../core/errors.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import { PngError } from "./errors.js";
import { allocate, checkDecodeBytes, checkTensorBytes, type MakeError, toBytes } from "./guards.js";
import { readFileBytes, writeFileAtomic } from "./node-fs.js";
import { COLOR_NAMES, crc32, readChunks } from "./png-chunks.js";
import { decodePixels, nativeChannels, passesOf, scanlineBytes } from "./png-pixels.js";
import { adler32, type Fail, inflateZlibInto, MAX_DEFLATE_RATIO } from "./zlib.js";

/** Options of {@link decodePng} and {@link readPng}. */
export interface ReadPngOptions {
  /**
   * Convert to this many channels: 1 gives [H, W] gray (luma 0.299 R + 0.587 G + 0.114 B), 3 RGB, 4 RGBA
   * (alpha 1 when the image has none). Alpha is dropped, not composited. Default: the image's own channels.
   */
  channels?: 1 | 3 | 4;
}

/** Options of {@link encodePng} and {@link writePng}. */
export interface WritePngOptions {
  /** The value drawn as black (0); default 0. Values below are clipped. */
  min?: number;
  /** The value drawn as white (255); default 1 (255 for int32 tensors). Values above are clipped. */
  max?: number;
}

const IN_BROWSER = "in a browser use nb.io.decodePng / nb.io.encodePng on bytes";
const pngError: MakeError = (message) => new PngError(message);

/** Decodes with messages that start with `where` (the function, and the file when there is one). */
function decodeWith(input: unknown, options: ReadPngOptions, where: string): Tensor {
  const want = options?.channels;
  if (want !== undefined && want !== 1 && want !== 3 && want !== 4)
    throw new ValueError(`${where}: channels must be 1, 3 or 4, got ${String(want)}`);
  const bytes = toBytes(input, where);
  const fail: Fail = (what) => {
    throw new PngError(`${where}: ${what}`);
  };
  const parts = readChunks(bytes, fail);
  const h = parts.header;
  const from = nativeChannels(h.colorType, parts.transparency !== undefined);
  const to = want ?? from;
  const shape = to === 1 ? [h.height, h.width] : [h.height, h.width, to];
  const size = `${h.width}×${h.height}`;
  const passes = passesOf(h);
  const rawBytes = scanlineBytes(passes);
  // Checked against the data first: a few bytes cannot hold a huge image, whatever IHDR claims.
  if (rawBytes > MAX_DEFLATE_RATIO * parts.idat.length + 64)
    fail(
      `its IHDR declares a ${size} image (${rawBytes} bytes of scanlines) but the compressed image data is ` +
        `${parts.idat.length} bytes, which inflate to at most ${MAX_DEFLATE_RATIO * parts.idat.length}: ` +
        `the file is corrupt or truncated; re-export or re-download it`,
    );
  const outBytes = h.width * h.height * to * 4;
  const what = `the ${size} ${COLOR_NAMES[h.colorType]} image (float32 ${fmtShape(shape)})`;
  checkDecodeBytes(where, what, outBytes, pngError);
  checkDecodeBytes(where, `the scanlines of the ${size} image`, rawBytes, pngError);
  checkTensorBytes(where, what, outBytes, pngError);
  const raw = allocate(where, "the scanlines", rawBytes, () => new Uint8Array(rawBytes), pngError);
  inflateZlibInto(parts.idat, raw, (problem) =>
    fail(`its compressed image data (IDAT) is corrupt: ${problem}; re-export or re-download the file`),
  );
  const out = allocate(where, what, outBytes, () => new Float32Array(outBytes / 4), pngError);
  decodePixels(parts, raw, to, out, fail);
  return new ConcreteTensor(out, { shape, dtype: "float32", weak: false });
}

/**
 * Decodes PNG bytes to a float32 tensor with values in [0, 1]: [H, W] for grayscale, [H, W, C] otherwise
 * (C = 2 gray+alpha, 3 RGB, 4 RGBA), or converted to `channels`. Handles 1–16-bit depths, palettes,
 * interlacing and transparency (a tRNS chunk adds an alpha channel). The file is checked strictly (CRCs,
 * the zlib checksum, chunk order, bit depths, exact data length) and its size against
 * `nb.config.maxDecodeBytes` before anything is allocated. Works in browsers.
 * @throws {PngError} when the bytes are not a valid PNG or the image is larger than the limit.
 * @example
 * ```ts
 * const img = nb.io.decodePng(nb.io.encodePng(nb.ones([2, 3])));
 * img.shape; // [2, 3]
 * ```
 */
export function decodePng(bytes: Uint8Array | ArrayBuffer, options: ReadPngOptions = {}): Tensor {
  return decodeWith(bytes, options, "decodePng");
}

const DTYPES = new Set(["float32", "float64", "int32", "bool"]);

/** Encodes with messages that start with `op`. */
function encodeWith(tensor: Tensor, options: WritePngOptions, op: string): Uint8Array {
  if (!(tensor instanceof Tensor))
    throw new ValueError(
      `${op}: expected a tensor of shape [H, W] or [H, W, C], got ` +
        `${tensor === null ? "null" : Array.isArray(tensor) ? "an array" : `a ${typeof tensor}`}; wrap data ` +
        `with nb.array(...)`,
    );
  const t = tensor.concrete();
  const { shape, dtype } = t.aval;
  const channels = shape.length === 2 ? 1 : shape.length === 3 ? shape[2]! : 0;
  if (channels < 1 || channels > 4)
    throw new ShapeError(
      `${op}: an image must be [H, W] or [H, W, C] with C = 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA); ` +
        `got ${fmtShape(shape)}`,
    );
  const [height, width] = shape as [number, number];
  if (height === 0 || width === 0)
    throw new ShapeError(`${op}: a PNG needs at least one pixel; got ${fmtShape(shape)}`);
  if (!DTYPES.has(dtype))
    throw new DTypeError(`${op}: cannot draw a ${dtype} tensor; convert it with .astype("float32") first`);
  const min = options.min ?? 0;
  const max = options.max ?? (dtype === "int32" ? 255 : 1);
  if (!(Number.isFinite(min) && Number.isFinite(max) && min < max))
    throw new ValueError(`${op}: min (${min}) must be a finite number below max (${max})`);
  const scale = 255 / (max - min);
  const src = t.data;
  const data = new Uint8Array(src.length);
  for (let i = 0; i < data.length; i++) {
    const x = src[i]!;
    if (Number.isNaN(x)) throw nanError(op, src, i, shape);
    const v = Math.round((x - min) * scale);
    data[i] = v > 255 ? 255 : v > 0 ? v : 0;
  }
  try {
    return encode8(width, height, channels, data);
  } catch (e) {
    throw new PngError(`${op}: cannot encode the ${fmtShape(shape)} image: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

// PNG colour types for 1–4 channels of 8 bits: gray, gray+alpha, RGB, RGBA.
const COLOR_TYPE = [0, 0, 4, 2, 6] as const;

/** An 8-bit PNG: signature, IHDR, one IDAT, IEND. */
function encode8(width: number, height: number, channels: number, pixels: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, COLOR_TYPE[channels]!, 0, 0, 0], 8);
  const idat = zlibCompress(filterRows(pixels, width * channels, height, channels));
  const parts = [chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))];
  const out = new Uint8Array(8 + parts.reduce((n, c) => n + c.length, 0));
  out.set([137, 80, 78, 71, 13, 10, 26, 10]);
  let at = 8;
  for (const c of parts) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** A chunk: length, type, data, CRC of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const c = new Uint8Array(12 + data.length);
  const view = new DataView(c.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) c[4 + i] = type.charCodeAt(i);
  c.set(data, 8);
  view.setUint32(8 + data.length, crc32(c, 4, 8 + data.length));
  return c;
}

const paeth = (a: number, b: number, c: number): number => {
  const pa = Math.abs(b - c);
  const pb = Math.abs(a - c);
  const pc = Math.abs(a + b - 2 * c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/**
 * Filtered scanlines: each row gets the filter (None, Sub, Up, Average, Paeth) whose output has the smallest
 * sum of absolute signed bytes, the usual heuristic for what deflate compresses best.
 */
function filterRows(px: Uint8Array, stride: number, height: number, bpp: number): Uint8Array {
  const out = new Uint8Array(height * (stride + 1));
  const trial = new Uint8Array(stride);
  const best = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    const up = y > 0 ? row - stride : -1;
    let bestCost = Number.POSITIVE_INFINITY;
    let bestType = 0;
    for (let type = 0; type < 5; type++) {
      let cost = 0;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? px[row + i - bpp]! : 0;
        const b = up >= 0 ? px[up + i]! : 0;
        const c = up >= 0 && i >= bpp ? px[up + i - bpp]! : 0;
        const predictor =
          type === 0 ? 0 : type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (px[row + i]! - predictor) & 255;
        trial[i] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < bestCost) {
        bestCost = cost;
        bestType = type;
        best.set(trial);
      }
    }
    out[y * (stride + 1)] = bestType;
    out.set(best, y * (stride + 1) + 1);
  }
  return out;
}

interface NodeProcess {
  getBuiltinModule?(id: string): unknown;
}

/**
 * A zlib stream of `data`: Node's deflate when there is one (reached through process.getBuiltinModule, so
 * bundles carry no Node import), else stored (uncompressed) deflate blocks, which every decoder reads.
 */
function zlibCompress(data: Uint8Array): Uint8Array {
  const p = (globalThis as { process?: NodeProcess }).process;
  const zlib =
    typeof p?.getBuiltinModule === "function"
      ? (p.getBuiltinModule("node:zlib") as typeof import("node:zlib") | undefined)
      : undefined;
  if (zlib !== undefined) {
    const z = zlib.deflateSync(data);
    return new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
  }
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + data.length + 5 * blocks + 4);
  out[0] = 0x78; // deflate, 32 KiB window
  out[1] = 0x01; // no dictionary, fastest level; 0x7801 is a multiple of 31
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535;
    const len = Math.min(65535, data.length - start);
    out[at] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00 (stored)
    out[at + 1] = len & 255;
    out[at + 2] = len >> 8;
    out[at + 3] = ~len & 255;
    out[at + 4] = (~len >> 8) & 255;
    out.set(data.subarray(start, start + len), at + 5);
    at += 5 + len;
  }
  new DataView(out.buffer).setUint32(at, adler32(data));
  return out;
}

function nanError(op: string, data: ArrayLike<number>, first: number, shape: readonly number[]): ValueError {
  let count = 0;
  for (let i = first; i < data.length; i++) if (Number.isNaN(data[i])) count++;
  const index: number[] = [];
  for (let i = shape.length - 1, rest = first; i >= 0; i--) {
    index.unshift(rest % shape[i]!);
    rest = Math.floor(rest / shape[i]!);
  }
  return new ValueError(
    `${op}: the image holds ${count} NaN value${count > 1 ? "s" : ""} (the first at ${fmtShape(index)}); NaN has no ` +
      `colour, so replace them first, e.g. nb.where(nb.equal(x, x), x, 0) draws them as 0`,
  );
}

/**
 * Encodes a tensor as 8-bit PNG bytes: [H, W] or [H, W, 1] gray, [H, W, 2] gray+alpha, [H, W, 3] RGB,
 * [H, W, 4] RGBA. Values are mapped linearly from [min, max] (default [0, 1]; [0, 255] for int32) to
 * [0, 255] and clipped (±Infinity to black or white). Works in browsers.
 * @throws {ShapeError} for other shapes or an empty image; {ValueError} when the tensor holds NaN or
 * min ≥ max.
 * @example
 * ```ts
 * const gradient = nb.linspace(0, 1, 64).reshape([1, 64]).mul(nb.ones([16, 1]));
 * const bytes = nb.io.encodePng(gradient); // a 16×64 gray ramp
 * ```
 */
export function encodePng(tensor: Tensor, options: WritePngOptions = {}): Uint8Array {
  return encodeWith(tensor, options, "encodePng");
}

/**
 * Reads a PNG file (or PNG bytes) as a float32 tensor in [0, 1]: [H, W] for grayscale, [H, W, C]
 * otherwise, or converted with `{ channels: 1 | 3 | 4 }` (see {@link decodePng}). Reading a path needs
 * Node.
 * @throws {IoError} when the file cannot be read; {PngError} when it is not a valid PNG or is too large.
 * @example
 * ```ts
 * await nb.io.writePng("digit.png", nb.zeros([28, 28]));
 * const img = await nb.io.readPng("digit.png"); // shape [28, 28]
 * const rgb = await nb.io.readPng("digit.png", { channels: 3 }); // shape [28, 28, 3]
 * ```
 */
export async function readPng(
  pathOrBytes: string | URL | Uint8Array | ArrayBuffer,
  options: ReadPngOptions = {},
): Promise<Tensor> {
  if (typeof pathOrBytes === "string" || pathOrBytes instanceof URL) {
    const bytes = await readFileBytes("readPng", pathOrBytes, IN_BROWSER, (size, p) => {
      // The scanlines are at most maxDecodeBytes and deflate adds almost nothing to incompressible data.
      if (size > 2 * config.maxDecodeBytes)
        throw new PngError(
          `readPng: ${p} is ${fmtBytes(size)}, more than a PNG whose image fits nb.config.maxDecodeBytes ` +
            `(${fmtBytes(config.maxDecodeBytes)}) can be; raise the limit if the file is genuine`,
        );
    });
    return decodeWith(bytes, options, `readPng: ${String(pathOrBytes)}`);
  }
  return decodeWith(pathOrBytes, options, "readPng");
}

/**
 * Writes a tensor as an 8-bit PNG file (see {@link encodePng} for shapes and scaling). Node only.
 * @throws {ShapeError} for shapes that are not images; {ValueError} for NaN values; {IoError} when the
 * file cannot be written.
 * @example
 * ```ts
 * await nb.io.writePng("noise.png", nb.random.uniform(nb.random.key(0), [32, 32, 3]));
 * const w = nb.random.normal(nb.random.key(1), [8, 8]);
 * await nb.io.writePng("weights.png", w, { min: -1, max: 1 }); // -1 black, 0 gray, 1 white
 * ```
 */
export async function writePng(
  path: string | URL,
  tensor: Tensor,
  options: WritePngOptions = {},
): Promise<void> {
  const bytes = encodeWith(tensor, options, "writePng");
  await writeFileAtomic("writePng", path, bytes, IN_BROWSER);
}
