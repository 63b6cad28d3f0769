// Shared by the examples: options, the headline, MNIST loading, pictures (SVG + PNG), scatter plots, figures.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as Plot from "@observablehq/plot";
import { parseHTML } from "linkedom";
import * as nb from "nabla";

/** What every example accepts: `--quick` (the small CI size) and `--out DIR` (default `out/`). */
export interface ExampleOptions {
  quick: boolean;
  out: string;
}

/** Reads `--quick` and `--out DIR` (or `--out=DIR`) from the command line; anything else is an error. */
export function exampleOptions(name: string, argv = process.argv.slice(2)): ExampleOptions {
  let quick = false;
  let out = "out";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") quick = true;
    else if (a === "--out") out = argv[++i] ?? "";
    else if (a.startsWith("--out=")) out = a.slice("--out=".length);
    else {
      console.error(`${name}: unknown option "${a}"; use --quick (small run) and --out DIR (pictures)`);
      process.exit(2);
    }
  }
  if (out === "") {
    console.error(`${name}: --out needs a folder name`);
    process.exit(2);
  }
  mkdirSync(out, { recursive: true });
  return { quick, out };
}

/** A number as the headline prints it: fixed digits, or an exponent for tiny values (never a "+"). */
export function formatValue(v: number, digits = 4): string {
  if (v === 0) return "0";
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) < 10 ** -(digits - 1)) return v.toExponential(2).replace("e+", "e");
  return Number.isInteger(v) ? String(v) : v.toFixed(digits);
}

/** Prints the example's headline metric, `name: value`; examples print it last. */
export function headline(name: string, value: number, digits = 4): void {
  console.log(`${name}: ${formatValue(value, digits)}`);
}

/** Digit images [N, 28, 28] and labels [N]. */
export interface Digits {
  images: nb.Tensor;
  labels: nb.Tensor;
}

/**
 * The MNIST split every MNIST example uses: the package's 10,000 digits, 2,000 held out with
 * trainTestSplit(…, { testSize: 0.2, seed: 0 }); with `sizes`, only the first digits of each part.
 */
export async function mnistSplit(sizes?: {
  train: number;
  test: number;
}): Promise<{ train: Digits; test: Digits }> {
  const { train, test } = nb.data.trainTestSplit(await nb.data.mnist(), { testSize: 0.2, seed: 0 });
  if (sizes === undefined) return { train, test };
  const first = (d: Digits, n: number): Digits => ({
    images: nb.slice(d.images, [0, 0, 0], [n, 28, 28]),
    labels: nb.slice(d.labels, [0], [n]),
  });
  return { train: first(train, sizes.train), test: first(test, sizes.test) };
}

/**
 * A copy of digit images [N, 28, 28] with each image moved by a random whole number of pixels (at most
 * `maxShift` each way, seeded), the uncovered border left blank: cheap data augmentation.
 */
export function shiftedDigits(images: nb.Tensor, maxShift: number, seed: number): nb.Tensor {
  const n = images.shape[0]!;
  const src = images.dataSync();
  const shifts = nb.random.randint(nb.random.key(seed), [n, 2], -maxShift, maxShift + 1).dataSync();
  const dst = new Float32Array(n * 784);
  for (let k = 0; k < n; k++) {
    const dy = Number(shifts[2 * k]);
    const dx = Number(shifts[2 * k + 1]);
    for (let i = Math.max(0, dy); i < Math.min(28, 28 + dy); i++)
      for (let j = Math.max(0, dx); j < Math.min(28, 28 + dx); j++)
        dst[k * 784 + i * 28 + j] = Number(src[k * 784 + (i - dy) * 28 + (j - dx)]);
  }
  return nb.reshape(nb.array(dst), [n, 28, 28]);
}

/**
 * A chart's SVG document with a bold title and one line of legend (colored dots and labels) drawn into it
 * (Observable Plot's own title and legend would wrap the chart in HTML). `x` is where both start,
 * `legendY` the legend dots' height and `charWidth` the width allowed per label character.
 */
export function titledSvg(
  chart: unknown,
  title: string,
  legend: readonly (readonly [color: string, label: string])[] = [],
  { x = 12, legendY = 36, charWidth = 6.6 }: { x?: number; legendY?: number; charWidth?: number } = {},
): string {
  const el = chart as SVGSVGElement;
  const add = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const node = el.ownerDocument.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    el.appendChild(node);
  };
  add("text", { x, y: 18, "font-weight": "bold", "font-size": 13, "text-anchor": "start" }, title);
  let lx = x;
  for (const [color, label] of legend) {
    add("circle", { cx: lx + 5, cy: legendY, r: 5, fill: color });
    add("text", { x: lx + 14, y: legendY + 4, "font-size": 12, "text-anchor": "start" }, label);
    lx += 14 + label.length * charWidth + 18;
  }
  el.setAttribute("font-family", "'DejaVu Sans', system-ui, Helvetica, Arial, sans-serif");
  el.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  return el.outerHTML;
}

/** Writes an SVG document as `<name>.svg` and `<name>.png` (2× by default) into `dir`; returns the PNG path. */
export async function savePicture(dir: string, name: string, svg: string, scale = 2): Promise<string> {
  writeFileSync(join(dir, `${name}.svg`), svg);
  const png = join(dir, `${name}.png`);
  writeFileSync(png, await nb.viz.svgToPng(svg, { scale }));
  return png;
}

/** Writes a gray image (values in [min, max]) as a PNG in `dir`; returns the path. */
export async function saveImage(
  dir: string,
  name: string,
  image: nb.Tensor,
  range: { min?: number; max?: number } = {},
): Promise<string> {
  const file = join(dir, `${name}.png`);
  await nb.io.writePng(file, image, range);
  return file;
}

/** One group of points in a {@link scatterChart}. */
export interface PointGroup {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color: string;
  /** Dot radius in px. Default 2. */
  r?: number;
  opacity?: number;
  /** A label drawn beside each point. */
  text?: readonly string[];
}

const FONT = "'DejaVu Sans', system-ui, Helvetica, Arial, sans-serif";

/**
 * A scatter plot of point groups (drawn in order, so later groups are on top) with a title and a legend
 * inside the SVG. `domain` fixes both axes (give a square size for equal units).
 */
export function scatterChart(
  groups: readonly PointGroup[],
  options: {
    title: string;
    width?: number;
    height?: number;
    domain?: [number, number];
    /** Draw the legend under the title. Default true. */
    legend?: boolean;
  },
): string {
  const { title, width = 560, height = 600, domain, legend = true } = options;
  const { document } = parseHTML("<!DOCTYPE html><html><body></body></html>");
  const marginTop = legend ? 48 : 30;
  const marks: Plot.Markish[] = [Plot.frame({ strokeOpacity: 0.25 })];
  for (const g of groups)
    marks.push(
      Plot.dot(
        { length: g.x.length },
        {
          x: Array.from(g.x),
          y: Array.from(g.y),
          r: g.r ?? 2,
          fill: g.color,
          fillOpacity: g.opacity ?? 0.7,
          stroke: "none",
          clip: true,
        },
      ),
    );
  for (const g of groups)
    if (g.text)
      marks.push(
        Plot.text(g.text, {
          x: Array.from(g.x),
          y: Array.from(g.y),
          text: (t: string) => t,
          dx: 7,
          textAnchor: "start",
          fontSize: 13,
          fill: g.color,
        }),
      );
  const scale = { domain, grid: true, label: null } as const;
  const svg = Plot.plot({
    document: document as unknown as Document,
    width,
    height,
    marginTop,
    marginLeft: 44,
    marginRight: groups.some((g) => g.text) ? 40 : 16,
    marginBottom: 32,
    inset: 10,
    x: scale,
    y: scale,
    marks,
  }) as unknown as SVGSVGElement;
  const add = (tag: string, attrs: Record<string, string | number>, text?: string) => {
    const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
    if (text !== undefined) el.textContent = text;
    svg.appendChild(el);
  };
  add("text", { x: 44, y: 18, "font-weight": "bold", "font-size": 13, "text-anchor": "start" }, title);
  let x = 44;
  for (const g of legend ? groups : []) {
    add("circle", { cx: x + 5, cy: 36, r: 5, fill: g.color });
    add("text", { x: x + 14, y: 40, "font-size": 12, "text-anchor": "start" }, g.label);
    x += 14 + g.label.length * 7 + 18;
  }
  svg.setAttribute("font-family", FONT);
  svg.setAttribute("xmlns", "http://www.w3.org/2000/svg");
  return svg.outerHTML;
}

/** One captioned image of an {@link imageFigure}: gray [H, W] or RGB [H, W, 3], values in [0, 1]. */
export interface FigurePanel {
  label: string;
  image: nb.Tensor;
}

/**
 * Captioned images in a grid under a title, as an SVG document that embeds each image as a PNG (drawn with
 * crisp pixels at `cellWidth` px wide). Save it with {@link savePicture}.
 */
export function imageFigure(
  panels: readonly FigurePanel[],
  options: { title: string; cols: number; cellWidth?: number; fontSize?: number },
): string {
  const { title, cols, fontSize = 14 } = options;
  const [ph, pw] = panels[0]!.image.shape as [number, number];
  const cw = options.cellWidth ?? Math.max(pw, 120);
  const ch = cw * (ph / pw);
  const gap = 12;
  const caption = fontSize + 8;
  const rows = Math.ceil(panels.length / cols);
  const width = Math.max(cols * cw + (cols + 1) * gap, title.length * 10.5 + 2 * gap);
  const height = 40 + rows * (ch + caption + gap) + gap;
  const xmlText = (t: string) => t.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const cells = panels.map((p, k) => {
    const x = gap + (k % cols) * (cw + gap);
    const y = 40 + Math.floor(k / cols) * (ch + caption + gap);
    // resvg smooths scaled images, so small ones are enlarged here with square pixels first.
    const zoom = Math.max(1, Math.floor(cw / pw));
    const big = zoom > 1 ? zoomImage(p.image, zoom) : p.image;
    const href = `data:image/png;base64,${Buffer.from(nb.io.encodePng(big)).toString("base64")}`;
    return (
      `<text x="${x + cw / 2}" y="${y + fontSize + 1}" text-anchor="middle" font-size="${fontSize}">${xmlText(p.label)}</text>` +
      `<image x="${x}" y="${y + caption}" width="${cw}" height="${ch}" href="${href}"/>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="${gap}" y="24" font-size="16" font-weight="bold">${xmlText(title)}</text>` +
    cells.join("") +
    "</svg>"
  );
}

/** A gray image [H, W] enlarged `zoom` times, each pixel becoming a zoom × zoom block. */
function zoomImage(image: nb.Tensor, zoom: number): nb.Tensor {
  const [h, w] = image.shape as [number, number];
  const blocks = nb.broadcastTo(nb.reshape(image, [h, 1, w, 1]), [h, zoom, w, zoom]);
  return nb.reshape(blocks, [h * zoom, w * zoom]);
}

/** Mulberry32: a small seeded generator of uniform numbers in [0, 1), for data and simulations that must be the same on every run. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One month of the Mauna Loa CO₂ record: year, month (1–12), the month's middle as a decimal year, ppm. */
export interface Co2Month {
  year: number;
  month: number;
  t: number;
  y: number;
}

/** Monthly mean CO₂ at Mauna Loa (vega-datasets' co2-concentration.csv), in time order. */
export function maunaLoaCo2(): Co2Month[] {
  const csvPath = fileURLToPath(
    new URL("../data/co2-concentration.csv", import.meta.resolve("vega-datasets")),
  );
  return readFileSync(csvPath, "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => {
      const [date, co2] = line.split(",");
      const [year, month] = date!.split("-").map(Number);
      return { year: year!, month: month!, t: year! + (month! - 0.5) / 12, y: Number(co2) };
    });
}

/** Names encoded for next-letter prediction: inputs, targets and a mask (1 where the target is real) as [N, T]. */
export interface EncodedNames {
  x: nb.Tensor;
  y: nb.Tensor;
  m: nb.Tensor;
  /** The same as flat typed arrays, for counting. */
  pairs: { x: Int32Array; y: Int32Array; m: Float32Array };
}

/**
 * nb.data's names corpus split as names-rnn and names-lm use it: every name read as ".name" → "name.",
 * padded with "." to one length T, the first 10% (after a seeded shuffle) held out.
 */
export async function namesCorpus() {
  const all = await nb.data.names({ seed: 0 });
  const chars = nb.data.vocabulary(all.join(""), { specials: ["."] });
  const T = Math.max(...all.map((n) => n.length)) + 1; // steps: the letters and the closing "."
  const nTest = Math.round(all.length / 10);
  const testNames = all.slice(0, nTest);
  const trainNames = all.slice(nTest);
  const encode = (list: readonly string[]): EncodedNames => {
    const x = new Int32Array(list.length * T);
    const y = new Int32Array(list.length * T);
    const m = new Float32Array(list.length * T);
    list.forEach((name, i) => {
      const ids = [0, ...Array.from(name, (c) => chars.id(c)), 0];
      for (let t = 0; t < ids.length - 1; t++) {
        x[i * T + t] = ids[t]!;
        y[i * T + t] = ids[t + 1]!;
        m[i * T + t] = 1;
      }
    });
    const shape = [list.length, T];
    return {
      x: nb.reshape(nb.array(x, { dtype: "int32" }), shape),
      y: nb.reshape(nb.array(y, { dtype: "int32" }), shape),
      m: nb.reshape(nb.array(m), shape),
      pairs: { x, y, m },
    };
  };
  return {
    all,
    chars,
    V: chars.size,
    T,
    nTest,
    trainNames,
    testNames,
    train: encode(trainNames),
    test: encode(testNames),
  };
}

/**
 * Held-out bits per character of the count-based bigram model, P(next | previous) from the training pairs,
 * add-α smoothed: the baseline the names examples compare with.
 */
export function bigramBitsPerChar(train: EncodedNames, test: EncodedNames, V: number, alpha = 0.5): number {
  const counts = new Float64Array(V * V).fill(alpha);
  for (let k = 0; k < train.pairs.m.length; k++)
    if (train.pairs.m[k]) counts[train.pairs.x[k]! * V + train.pairs.y[k]!]! += 1;
  const rowTotal = Array.from({ length: V }, (_, a) =>
    counts.slice(a * V, a * V + V).reduce((s, c) => s + c, 0),
  );
  let bits = 0;
  let chars = 0;
  for (let k = 0; k < test.pairs.m.length; k++)
    if (test.pairs.m[k]) {
      const a = test.pairs.x[k]!;
      bits -= Math.log2(counts[a * V + test.pairs.y[k]!]! / rowTotal[a]!);
      chars++;
    }
  return bits / chars;
}
