// SVG → PNG in Node with resvg, loaded on first use so browser bundles never pull in the native module.
import { ValueError } from "../core/errors.js";

const FONT_DIR = "/usr/share/fonts/truetype/dejavu/";
const DEJAVU = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"];

/**
 * Rasterizes an SVG document (such as {@link lineChart}'s output) to PNG bytes with resvg. Text is set in
 * DejaVu Sans when the machine has it (identical output across runs), else in the system fonts.
 * `scale` multiplies the SVG's width and height (default 1; use 2 for sharp images on high-DPI screens).
 * Node only.
 * @throws {ValueError} when `scale` is not a positive number.
 * @example
 * ```ts
 * const png = await svgToPng(lineChart([{ label: "y = x", x: [0, 1], y: [0, 1] }]), { scale: 2 });
 * png.subarray(1, 4); // the bytes of "PNG"
 * ```
 */
export async function svgToPng(svg: string, options: { scale?: number } = {}): Promise<Uint8Array> {
  const scale = options.scale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0) {
    throw new ValueError(`svgToPng: scale ${scale} must be a positive number`);
  }
  const [{ Resvg }, { existsSync }] = await Promise.all([import("@resvg/resvg-js"), import("node:fs")]);
  const fontFiles = DEJAVU.map((f) => FONT_DIR + f).filter((f) => existsSync(f));
  const font =
    fontFiles.length > 0
      ? {
          fontFiles,
          loadSystemFonts: false,
          defaultFontFamily: "DejaVu Sans",
          sansSerifFamily: "DejaVu Sans",
        }
      : { loadSystemFonts: true };
  const fitTo = scale === 1 ? { mode: "original" as const } : { mode: "zoom" as const, value: scale };
  const png = new Resvg(svg, { font, fitTo, background: "white" }).render().asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
