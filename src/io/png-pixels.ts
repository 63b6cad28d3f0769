// PNG pixels: the size of the scanlines, unfiltering them in place, and float32 samples in [0, 1] with palette,
// transparency and channel conversion applied, written straight into the preallocated result.
import { type PngHeader, SAMPLES } from "./png-chunks.js";
import type { Fail } from "./zlib.js";

/** One sub-image: the whole image, or one of the seven Adam7 passes of an interlaced one. */
export interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  width: number;
  height: number;
  /** Bytes of one scanline without its filter byte. */
  rowBytes: number;
}

const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The non-empty sub-images of `h`, in the order their scanlines are stored. */
export function passesOf(h: PngHeader): Pass[] {
  const bitsPerPixel = SAMPLES[h.colorType]! * h.depth;
  const grid = h.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  return grid
    .map(([x0, y0, dx, dy]) => {
      const width = Math.max(0, Math.ceil((h.width - x0) / dx));
      const height = Math.max(0, Math.ceil((h.height - y0) / dy));
      return { x0, y0, dx, dy, width, height, rowBytes: Math.ceil((width * bitsPerPixel) / 8) };
    })
    .filter((p) => p.width > 0 && p.height > 0);
}

/** Bytes of all scanlines, filter bytes included: what the compressed data must inflate to exactly. */
export const scanlineBytes = (passes: readonly Pass[]): number =>
  passes.reduce((n, p) => n + p.height * (1 + p.rowBytes), 0);

/**
 * Channels of the decoded image before any conversion: gray 1, gray+alpha 2, RGB 3, RGBA 4; a palette
 * gives RGB, and a tRNS chunk adds an alpha channel.
 */
export function nativeChannels(colorType: number, hasTransparency: boolean): number {
  if (colorType === 0) return hasTransparency ? 2 : 1;
  if (colorType === 2 || colorType === 3) return hasTransparency ? 4 : 3;
  return SAMPLES[colorType]!;
}

/** Undoes the filter of the scanline at `line` in place; `prev` is the previous one's start, or -1. */
function unfilter(
  raw: Uint8Array,
  type: number,
  line: number,
  prev: number,
  n: number,
  bpp: number,
): boolean {
  switch (type) {
    case 0:
      return true;
    case 1:
      for (let i = bpp; i < n; i++) raw[line + i] = raw[line + i]! + raw[line + i - bpp]!;
      return true;
    case 2:
      if (prev >= 0) for (let i = 0; i < n; i++) raw[line + i] = raw[line + i]! + raw[prev + i]!;
      return true;
    case 3:
      for (let i = 0; i < n; i++) {
        const left = i >= bpp ? raw[line + i - bpp]! : 0;
        const up = prev >= 0 ? raw[prev + i]! : 0;
        raw[line + i] = raw[line + i]! + ((left + up) >> 1);
      }
      return true;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? raw[line + i - bpp]! : 0;
        const b = prev >= 0 ? raw[prev + i]! : 0;
        const c = i >= bpp && prev >= 0 ? raw[prev + i - bpp]! : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        raw[line + i] = raw[line + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      return true;
    default:
      return false;
  }
}

/** Reads `count` integer samples of `depth` bits from the scanline at `line` into `dst`. */
function readSamples(raw: Uint8Array, line: number, count: number, depth: number, dst: Uint16Array): void {
  if (depth === 8) for (let i = 0; i < count; i++) dst[i] = raw[line + i]!;
  else if (depth === 16)
    for (let i = 0; i < count; i++) dst[i] = (raw[line + 2 * i]! << 8) | raw[line + 2 * i + 1]!;
  else {
    const max = (1 << depth) - 1;
    for (let i = 0; i < count; i++) {
      const bit = i * depth;
      dst[i] = (raw[line + (bit >> 3)]! >> (8 - depth - (bit & 7))) & max;
    }
  }
}

/** What {@link decodePixels} needs besides the scanlines. */
export interface PixelSource {
  header: PngHeader;
  palette: Uint8Array | undefined;
  transparency: Uint8Array | undefined;
}

/**
 * Unfilters the scanlines in `raw` (exactly {@link scanlineBytes} long) and writes the image into `out`
 * ([H, W, to] floats in [0, 1]) converted to `to` channels. Calls `fail` for an unknown filter type or a
 * palette index outside the palette.
 */
export function decodePixels(
  src: PixelSource,
  raw: Uint8Array,
  to: number,
  out: Float32Array,
  fail: Fail,
): void {
  const { header: h, palette, transparency: trns } = src;
  const samples = SAMPLES[h.colorType]!;
  const from = nativeChannels(h.colorType, trns !== undefined);
  const bpp = Math.max(1, (samples * h.depth) >> 3);
  const scale = new Float32Array(2 ** h.depth);
  for (let v = 0; v < scale.length; v++) scale[v] = v / (scale.length - 1);
  const ints = new Uint16Array(h.width * samples);
  const px = new Float32Array(h.width * from);
  // tRNS of gray and RGB images names one colour (as 16-bit samples) that is fully transparent.
  const key =
    trns !== undefined && h.colorType !== 3
      ? Array.from({ length: trns.length / 2 }, (_, i) => (trns[2 * i]! << 8) | trns[2 * i + 1]!)
      : [];
  const entries = palette === undefined ? 0 : palette.length / 3;
  const direct = h.depth === 8 && h.colorType !== 3 && key.length === 0 && from === to;
  let offset = 0;
  for (const pass of passesOf(h)) {
    const { width: w, rowBytes } = pass;
    for (let r = 0; r < pass.height; r++) {
      const line = offset + 1;
      const type = raw[offset]!;
      if (!unfilter(raw, type, line, r > 0 ? line - rowBytes - 1 : -1, rowBytes, bpp))
        fail(
          `scanline ${r}${h.interlaced ? " of an interlaced pass" : ""} has filter type ${type}; PNG defines ` +
            `0 … 4: the image data is corrupt; re-export or re-download the file`,
        );
      if (direct && pass.dx === 1) {
        // the common case (8-bit, no palette or tRNS, no conversion): straight from the scanline
        const o = ((pass.y0 + r * pass.dy) * h.width + pass.x0) * to;
        for (let i = 0; i < w * samples; i++) out[o + i] = scale[raw[line + i]!]!;
        offset += rowBytes + 1;
        continue;
      }
      readSamples(raw, line, w * samples, h.depth, ints);
      if (h.colorType === 3) {
        for (let k = 0; k < w; k++) {
          const idx = ints[k]!;
          if (idx >= entries)
            fail(
              `pixel (x ${pass.x0 + k * pass.dx}, y ${pass.y0 + r * pass.dy}) uses palette index ${idx} but the ` +
                `palette has ${entries} entries: the file is corrupt; re-export or re-download it`,
            );
          const p = k * from;
          px[p] = palette![3 * idx]! / 255;
          px[p + 1] = palette![3 * idx + 1]! / 255;
          px[p + 2] = palette![3 * idx + 2]! / 255;
          if (from === 4) px[p + 3] = idx < trns!.length ? trns![idx]! / 255 : 1;
        }
      } else if (key.length === 0) {
        for (let i = 0; i < w * samples; i++) px[i] = scale[ints[i]!]!;
      } else {
        for (let k = 0; k < w; k++) {
          let opaque = false;
          for (let s = 0; s < samples; s++) {
            const v = ints[k * samples + s]!;
            px[k * from + s] = scale[v]!;
            if (v !== key[s]) opaque = true;
          }
          px[k * from + samples] = opaque ? 1 : 0;
        }
      }
      emit(px, w, from, to, out, (pass.y0 + r * pass.dy) * h.width + pass.x0, pass.dx);
      offset += rowBytes + 1;
    }
  }
}

/** Writes `w` pixels of `from` channels to `out` at pixels dst, dst + step, … converted to `to` channels. */
function emit(
  px: Float32Array,
  w: number,
  from: number,
  to: number,
  out: Float32Array,
  dst: number,
  step: number,
) {
  if (from === to) {
    if (step === 1) out.set(px.subarray(0, w * from), dst * to);
    else
      for (let k = 0; k < w; k++)
        for (let c = 0; c < to; c++) out[(dst + k * step) * to + c] = px[k * from + c]!;
    return;
  }
  const gray = from <= 2;
  const alpha = from === 2 || from === 4;
  for (let k = 0; k < w; k++) {
    const p = k * from;
    const o = (dst + k * step) * to;
    const r = px[p]!;
    const g = gray ? r : px[p + 1]!;
    const b = gray ? r : px[p + 2]!;
    if (to === 1)
      out[o] = gray ? r : 0.299 * r + 0.587 * g + 0.114 * b; // luma (ITU-R BT.601)
    else {
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
      if (to === 4) out[o + 3] = alpha ? px[p + from - 1]! : 1;
    }
  }
}
