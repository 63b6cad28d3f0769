// PNG images as tensors ([H, W] gray or [H, W, C], values in [0, 1]) through fast-png, which runs anywhere.
import { convertIndexedToRgb, decode, encode } from "fast-png";
import { fmtShape, ShapeError, ValueError } from "../core/errors.js";
import { ConcreteTensor, type Tensor } from "../core/tensor.js";
import { IoError } from "./errors.js";
import { readFileBytes, writeFileAtomic } from "./node-fs.js";

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

/** Unpacks 1-, 2- or 4-bit gray samples (rows padded to whole bytes) to one byte-range value per pixel. */
function unpackBits(data: ArrayLike<number>, width: number, height: number, depth: number): Float32Array {
  const out = new Float32Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const max = 2 ** depth - 1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      const byte = data[y * rowBytes + (bit >> 3)]!;
      out[y * width + x] = ((byte >> (8 - depth - (bit & 7))) & max) / max;
    }
  return out;
}

/**
 * Decodes PNG bytes to a float32 tensor with values in [0, 1]: [H, W] for grayscale, [H, W, C] otherwise
 * (C = 2 gray+alpha, 3 RGB, 4 RGBA), or converted to `channels`. Handles 1–16-bit depths and palettes.
 * Works in browsers.
 * @throws {IoError} when the bytes are not a valid PNG.
 * @example
 * ```ts
 * const img = nb.io.decodePng(nb.io.encodePng(nb.ones([2, 3])));
 * img.shape; // [2, 3]
 * ```
 */
export function decodePng(bytes: Uint8Array | ArrayBuffer, options: ReadPngOptions = {}): Tensor {
  const op = "decodePng";
  const { channels: want } = options;
  if (want !== undefined && want !== 1 && want !== 3 && want !== 4)
    throw new ValueError(`${op}: channels must be 1, 3 or 4, got ${String(want)}`);
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes);
  } catch (e) {
    throw new IoError(`${op}: the data is not a valid PNG (${(e as Error).message})`, { cause: e });
  }
  const { width, height } = png;
  let c = png.channels;
  let values: Float32Array;
  if (png.palette !== undefined) {
    const rgb = convertIndexedToRgb(png);
    c = png.palette[0]?.length ?? 3;
    values = Float32Array.from(rgb, (v) => v / 255);
  } else if (png.depth < 8) values = unpackBits(png.data, width, height, png.depth);
  else {
    const max = png.depth === 16 ? 65535 : 255;
    values = Float32Array.from(png.data, (v) => v / max);
  }
  return toChannels(values, height, width, c, want ?? c);
}

/** Converts interleaved pixels with `from` channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) to `to`. */
function toChannels(v: Float32Array, h: number, w: number, from: number, to: number): Tensor {
  const shape = to === 1 ? [h, w] : [h, w, to];
  if (from === to) return new ConcreteTensor(v, { shape, dtype: "float32", weak: false });
  const n = h * w;
  const out = new Float32Array(n * to);
  for (let i = 0; i < n; i++) {
    const p = i * from;
    const gray = from <= 2;
    const r = v[p]!;
    const g = gray ? r : v[p + 1]!;
    const b = gray ? r : v[p + 2]!;
    const a = from === 2 || from === 4 ? v[p + from - 1]! : 1;
    if (to === 1) out[i] = gray ? r : 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      out[i * to] = r;
      out[i * to + 1] = g;
      out[i * to + 2] = b;
      if (to === 4) out[i * to + 3] = a;
    }
  }
  return new ConcreteTensor(out, { shape, dtype: "float32", weak: false });
}

/**
 * Encodes a tensor as 8-bit PNG bytes: [H, W] or [H, W, 1] gray, [H, W, 2] gray+alpha, [H, W, 3] RGB,
 * [H, W, 4] RGBA. Values are mapped linearly from [min, max] (default [0, 1]; [0, 255] for int32) to
 * [0, 255], clipped, and NaN is drawn as min. Works in browsers.
 * @throws {ShapeError} for other shapes or an empty image; {ValueError} when min ≥ max.
 * @example
 * ```ts
 * const gradient = nb.linspace(0, 1, 64).reshape([1, 64]).mul(nb.ones([16, 1]));
 * const bytes = nb.io.encodePng(gradient); // a 16×64 gray ramp
 * ```
 */
export function encodePng(tensor: Tensor, options: WritePngOptions = {}): Uint8Array {
  const op = "encodePng";
  const t = tensor.concrete();
  const shape = t.aval.shape;
  const channels = shape.length === 2 ? 1 : shape.length === 3 ? shape[2]! : 0;
  if (channels < 1 || channels > 4)
    throw new ShapeError(
      `${op}: an image must be [H, W] or [H, W, C] with C = 1 (gray), 2 (gray+alpha), 3 (RGB) or 4 (RGBA); ` +
        `got ${fmtShape(shape)}`,
    );
  const [height, width] = shape as [number, number];
  if (height === 0 || width === 0)
    throw new ShapeError(`${op}: a PNG needs at least one pixel; got ${fmtShape(shape)}`);
  const min = options.min ?? 0;
  const max = options.max ?? (t.aval.dtype === "int32" ? 255 : 1);
  if (!(Number.isFinite(min) && Number.isFinite(max) && min < max))
    throw new ValueError(`${op}: min (${min}) must be a finite number below max (${max})`);
  const scale = 255 / (max - min);
  const data = new Uint8Array(t.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = Math.round((t.data[i]! - min) * scale);
    data[i] = v > 255 ? 255 : v > 0 ? v : 0; // NaN fails both tests and becomes 0
  }
  return encode({ width, height, data, depth: 8, channels });
}

/**
 * Reads a PNG file (or PNG bytes) as a float32 tensor in [0, 1]: [H, W] for grayscale, [H, W, C]
 * otherwise, or converted with `{ channels: 1 | 3 | 4 }`. Reading a path needs Node.
 * @throws {IoError} when the file cannot be read or is not a valid PNG.
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
  const bytes =
    typeof pathOrBytes === "string" || pathOrBytes instanceof URL
      ? await readFileBytes("readPng", pathOrBytes, IN_BROWSER)
      : pathOrBytes;
  return decodePng(bytes, options);
}

/**
 * Writes a tensor as an 8-bit PNG file (see {@link encodePng} for shapes and scaling). Node only.
 * @throws {ShapeError} for shapes that are not images; {IoError} when the file cannot be written.
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
  const bytes = encodePng(tensor, options);
  await writeFileAtomic("writePng", path, bytes, IN_BROWSER);
}
