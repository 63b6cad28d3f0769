// SVG → PNG in Node with resvg (an optional peer dependency), loaded on first use through `require` (reached
// via process.getBuiltinModule), so bundlers never see the native module and programs that never make a PNG
// neither install nor load it.
import { NablaError, ValueError } from "../core/errors.js";
import { nodeRequire, requirePackage } from "./libs.js";

const FONT_DIR = "/usr/share/fonts/truetype/dejavu/";
const DEJAVU = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"];

/**
 * Rasterizes an SVG document (such as {@link lineChart}'s output) to PNG bytes with resvg. Text is set in
 * DejaVu Sans when the machine has it (identical output across runs), else in the system fonts.
 * `scale` multiplies the SVG's width and height (default 1; use 2 for sharp images on high-DPI screens).
 * Node only, with the optional package `@resvg/resvg-js` (`npm install @resvg/resvg-js`).
 * @throws {ValueError} when `scale` is not a positive number; {MissingPackageError} when resvg is not
 * installed.
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
  const { Resvg, existsSync } = nodeModules();
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

interface NodeProcess {
  getBuiltinModule?(id: string): unknown;
}

/** resvg and fs.existsSync, from Node; a NablaError elsewhere, a MissingPackageError without resvg. */
function nodeModules(): {
  Resvg: typeof import("@resvg/resvg-js").Resvg;
  existsSync: typeof import("node:fs").existsSync;
} {
  const require = nodeRequire();
  const p = (globalThis as { process?: NodeProcess }).process;
  const fs = require ? (p!.getBuiltinModule!("node:fs") as typeof import("node:fs") | undefined) : undefined;
  if (!require || !fs)
    throw new NablaError("svgToPng renders with resvg and runs in Node only; in a browser use the SVG");
  const { Resvg } = requirePackage<typeof import("@resvg/resvg-js")>(
    require,
    "svgToPng",
    "@resvg/resvg-js",
    "renders",
    ["@resvg/resvg-js"],
  );
  return { Resvg, existsSync: fs.existsSync };
}
