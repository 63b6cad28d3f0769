// The chunk structure of a PNG file, checked against the specification: signature, CRCs, IHDR, PLTE, tRNS,
// IDAT and IEND (order, count, lengths, allowed bit depths). Pixels are decoded in png-pixels.ts.
import type { Fail } from "./zlib.js";
import { hex } from "./zlib.js";

/** The fields of IHDR that decoding needs. */
export interface PngHeader {
  width: number;
  height: number;
  /** Bits per sample: 1, 2, 4, 8 or 16. */
  depth: number;
  /** 0 gray, 2 RGB, 3 indexed, 4 gray + alpha, 6 RGBA. */
  colorType: number;
  interlaced: boolean;
}

/** What decoding needs from a checked file. */
export interface PngParts {
  header: PngHeader;
  /** PLTE: RGB triples (indexed images only; a suggested palette of an RGB image is ignored). */
  palette: Uint8Array | undefined;
  /** tRNS data, its length already checked against the colour type (and palette). */
  transparency: Uint8Array | undefined;
  /** The contents of every IDAT chunk in order: one zlib stream. */
  idat: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const MAX_U31 = 2 ** 31 - 1;

/** The bit depths each colour type allows (PNG specification, table 11.1). */
const DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
/** The colour types of the PNG specification, by number. */
export const COLOR_NAMES: Readonly<Record<number, string>> = {
  0: "grayscale",
  2: "RGB",
  3: "indexed-colour",
  4: "grayscale+alpha",
  6: "RGBA",
};

/** Samples per pixel in the file for each colour type (an index counts as one). */
export const SAMPLES: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG uses it) of `data[start, end)`. */
export function crc32(data: Uint8Array, start = 0, end = data.length): number {
  let c = -1;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ data[i]!) & 255]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const u32 = (b: Uint8Array, p: number): number =>
  ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;

const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

const CORRUPT = "the file is corrupt; re-export or re-download it";
const TRUNCATED = "the file is truncated; re-export or re-download it";

function parseHeader(data: Uint8Array, fail: Fail): PngHeader {
  if (data.length !== 13) fail(`its IHDR chunk is ${data.length} bytes instead of 13: ${CORRUPT}`);
  const width = u32(data, 0);
  const height = u32(data, 4);
  const depth = data[8]!;
  const colorType = data[9]!;
  const compression = data[10]!;
  const filter = data[11]!;
  const interlace = data[12]!;
  if (width === 0 || height === 0 || width > MAX_U31 || height > MAX_U31)
    fail(`its IHDR declares a ${width}×${height} image; both sides must be 1 … 2^31−1: ${CORRUPT}`);
  const allowed = DEPTHS[colorType];
  if (allowed === undefined)
    fail(`its IHDR declares colour type ${colorType}; PNG defines 0, 2, 3, 4 and 6: ${CORRUPT}`);
  if (!allowed.includes(depth))
    fail(
      `its IHDR declares a ${COLOR_NAMES[colorType]} image of bit depth ${depth}, which PNG does not allow ` +
        `(${COLOR_NAMES[colorType]} allows ${allowed.join(", ")}): ${CORRUPT}`,
    );
  if (compression !== 0)
    fail(`its IHDR declares compression method ${compression}; PNG defines only 0: ${CORRUPT}`);
  if (filter !== 0) fail(`its IHDR declares filter method ${filter}; PNG defines only 0: ${CORRUPT}`);
  if (interlace !== 0 && interlace !== 1)
    fail(`its IHDR declares interlace method ${interlace}; PNG defines 0 and 1: ${CORRUPT}`);
  return { width, height, depth: depth, colorType: colorType, interlaced: interlace === 1 };
}

/**
 * Walks every chunk of `bytes`, checking the signature, each CRC, the order and count of the critical
 * chunks and tRNS, and that IEND ends the file. Unknown ancillary chunks are skipped (after their CRC).
 */
export function readChunks(bytes: Uint8Array, fail: Fail): PngParts {
  const n = bytes.length;
  if (n < 8 || SIGNATURE.some((b, i) => bytes[i] !== b))
    fail(
      "the data does not start with the PNG signature: it is not a PNG file (or it was altered in transfer)",
    );
  let header: PngHeader | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idats: Uint8Array[] = [];
  let idatBytes = 0;
  let idatEnded = false;
  let pos = 8;
  for (;;) {
    if (pos + 12 > n)
      fail(
        pos === n
          ? `it ends without an IEND chunk: ${TRUNCATED}`
          : `it ends inside the chunk that starts at byte ${pos}: ${TRUNCATED}`,
      );
    const length = u32(bytes, pos);
    const typeBytes = bytes.subarray(pos + 4, pos + 8);
    if (!typeBytes.every(isLetter))
      fail(
        `the chunk at byte ${pos} has the type bytes [${typeBytes.join(",")}], which are not 4 letters: ${CORRUPT}`,
      );
    const type = String.fromCharCode(...typeBytes);
    if (length > MAX_U31)
      fail(
        `chunk ${type} at byte ${pos} declares ${length} bytes, more than PNG allows (2^31−1): ${CORRUPT}`,
      );
    if (pos + 12 + length > n)
      fail(
        `chunk ${type} at byte ${pos} declares ${length} bytes of data but only ${Math.max(0, n - pos - 12)} ` +
          `follow: ${TRUNCATED}`,
      );
    const stored = u32(bytes, pos + 8 + length);
    const actual = crc32(bytes, pos + 4, pos + 8 + length);
    if (stored !== actual)
      fail(
        `chunk ${type} at byte ${pos} has CRC ${hex(stored)} but its bytes give ${hex(actual)}: ${CORRUPT}`,
      );
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    const misplaced: Fail = (why) => fail(`chunk ${type} at byte ${pos} ${why}: ${CORRUPT}`);
    if (header === undefined && type !== "IHDR")
      misplaced("comes before IHDR, which must be the first chunk");
    if (idats.length > 0 && type !== "IDAT") idatEnded = true;
    switch (type) {
      case "IHDR":
        if (header !== undefined) misplaced("repeats IHDR");
        header = parseHeader(data, fail);
        break;
      case "PLTE": {
        const h = header!;
        if (palette !== undefined) misplaced("repeats PLTE");
        if (idats.length > 0) misplaced("comes after the image data (PLTE must precede IDAT)");
        if (transparency !== undefined) misplaced("comes after tRNS (PLTE must precede it)");
        if (h.colorType === 0 || h.colorType === 4)
          misplaced(`is a palette, which a ${COLOR_NAMES[h.colorType]} image must not have`);
        const entries = length / 3;
        const most = h.colorType === 3 ? Math.min(256, 2 ** h.depth) : 256;
        if (!Number.isInteger(entries) || entries < 1 || entries > most)
          misplaced(`is ${length} bytes; a palette holds 1 … ${most} RGB entries of 3 bytes`);
        if (h.colorType === 3) palette = data;
        else palette = new Uint8Array(0); // a suggested palette: only its presence matters
        break;
      }
      case "tRNS": {
        const h = header!;
        if (transparency !== undefined) misplaced("repeats tRNS");
        if (idats.length > 0) misplaced("comes after the image data (tRNS must precede IDAT)");
        if (h.colorType === 4 || h.colorType === 6)
          misplaced(`is a transparency chunk, which a ${COLOR_NAMES[h.colorType]} image must not have`);
        if (h.colorType === 3) {
          if (palette === undefined) misplaced("comes before PLTE (tRNS must follow it)");
          if (length > palette.length / 3)
            misplaced(`holds ${length} alpha values for a palette of ${palette.length / 3} entries`);
        } else if (length !== (h.colorType === 0 ? 2 : 6))
          misplaced(
            `is ${length} bytes; for a ${COLOR_NAMES[h.colorType]} image it is ${h.colorType === 0 ? 2 : 6}`,
          );
        transparency = data;
        break;
      }
      case "IDAT":
        if (idatEnded) misplaced("is separated from the earlier IDAT chunks (they must be consecutive)");
        idats.push(data);
        idatBytes += length;
        break;
      case "IEND":
        if (length !== 0) misplaced(`has ${length} bytes of data (IEND is empty)`);
        if (pos + 12 !== n)
          fail(`${n - pos - 12} bytes follow the IEND chunk that ends the image: ${CORRUPT}`);
        break;
      default:
        if (!(typeBytes[0]! & 32))
          misplaced("is a critical chunk this decoder does not know (PNG requires refusing the image)");
    }
    pos += 12 + length;
    if (type === "IEND") break;
  }
  const h = header!;
  if (idats.length === 0) fail(`it has no IDAT chunk, so no image data: ${CORRUPT}`);
  if (h.colorType === 3 && palette === undefined)
    fail(`it is an indexed-colour image without a PLTE chunk (its palette): ${CORRUPT}`);
  let idat = idats[0]!;
  if (idats.length > 1) {
    idat = new Uint8Array(idatBytes);
    let at = 0;
    for (const d of idats) {
      idat.set(d, at);
      at += d.length;
    }
  }
  return { header: h, palette: h.colorType === 3 ? palette : undefined, transparency, idat };
}
