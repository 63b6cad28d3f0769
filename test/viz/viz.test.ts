// Charts: standalone SVG structure, log axes, gaps for non-finite values, robust y ranges, PNG output, and the
// errors when an optional drawing package is missing.
import { describe, expect, it } from "vitest";
import { NablaError, ValueError } from "../../src/core/errors.js";
import { robustDomain } from "../../src/viz/data.js";
import { lineChart, load, MissingPackageError, type Series, svgToPng } from "../../src/viz/index.js";
import { CHART_PACKAGES, requirePackage, requirePackagesInstalled } from "../../src/viz/libs.js";

const grid = (from: number, to: number, n: number) =>
  Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
const xs = grid(-2, 4, 121);
const poly: Series[] = [
  { label: "f(x)", x: xs, y: xs.map((t) => t ** 4 - 2 * t ** 3 + 3 * t ** 2 - 4 * t + 5) },
  { label: "f′(x)", x: xs, y: xs.map((t) => 4 * t ** 3 - 6 * t ** 2 + 6 * t - 4) },
  { label: "f″(x)", x: xs, y: xs.map((t) => 12 * t ** 2 - 12 * t + 6) },
];

/** The `d` of the one path drawn for series i (undefined if there is not exactly one). */
function seriesPaths(svg: string, i: number): string[] {
  const group = svg.match(new RegExp(`<g[^>]*class="nabla-series-${i}"[^>]*>(.*?)</g>`));
  return group ? [...group[1].matchAll(/<path d="([^"]*)"/g)].map((m) => m[1]) : [];
}

/** The tick labels of one axis, as drawn. */
function tickLabels(svg: string, axis: "x" | "y"): string[] {
  const group = svg.match(new RegExp(`aria-label="${axis}-axis tick label"[^>]*>(.*?)</g>`));
  return group ? [...group[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]) : [];
}

const tickValue = (label: string) => Number(label.replace("\u2212", "-").replace(/,/g, ""));

const pngWidth = (png: Uint8Array) => new DataView(png.buffer, png.byteOffset).getUint32(16);

describe("lineChart", () => {
  const svg = lineChart(poly, { title: "Function and Its Derivatives", xLabel: "x axis", yLabel: "y axis" });

  it("returns a standalone SVG document with a background, namespaces and a font", () => {
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toMatch(/<rect[^>]*fill="white"/);
    expect(svg).toMatch(/<svg[^>]*font-family="[^"]*sans-serif/);
    expect(svg).toMatch(/<svg[^>]*width="720"[^>]*/);
    expect(svg).not.toContain("<figure");
  });

  it("draws exactly one path per series, each in its own colour", () => {
    const colours = poly.map((_, i) => {
      expect(seriesPaths(svg, i)).toHaveLength(1);
      return svg.match(new RegExp(`stroke="(#[0-9a-f]{6})"[^>]*class="nabla-series-${i}"`))?.[1];
    });
    expect(new Set(colours).size).toBe(poly.length);
  });

  it("writes the title, axis labels and a legend entry per series as SVG text", () => {
    for (const text of ["Function and Its Derivatives", "x axis", "y axis", "f(x)", "f′(x)", "f″(x)"]) {
      expect(svg).toMatch(new RegExp(`<text[^>]*>${text.replace(/[()]/g, "\\$&")}</text>`));
    }
    const legend = svg.match(/aria-label="legend"[^>]*>(.*?)<\/g>/)?.[1] ?? "";
    expect(legend.match(/<line /g)).toHaveLength(poly.length);
  });

  it("covers the x range exactly and the y range of every series", () => {
    const x = tickLabels(svg, "x").map(tickValue);
    expect([x[0], x[x.length - 1]]).toEqual([-2, 4]);
    const y = tickLabels(svg, "y").map(tickValue);
    expect(Math.min(...y)).toBeLessThanOrEqual(-72); // f′(−2) = −72
    expect(Math.max(...y)).toBeGreaterThanOrEqual(165); // f(4) = 165
  });

  it("escapes markup in labels so the document stays well-formed", async () => {
    const odd = lineChart([{ label: 'a < b & "c"', x: [0, 1], y: [0, 1] }], { title: "x & y <z>" });
    expect(odd).toContain("a &lt; b &amp; &quot;c&quot;");
    expect(odd).toContain("x &amp; y &lt;z&gt;");
    await expect(svgToPng(odd)).resolves.toBeInstanceOf(Uint8Array); // resvg parses strict XML
  });

  it("draws the zero line only when asked", () => {
    const rule = /aria-label="rule"/;
    expect(svg).not.toMatch(rule);
    expect(lineChart(poly, { zeroLine: true })).toMatch(rule);
  });

  it("breaks lines at NaN and ±Infinity instead of writing them into path data", () => {
    const x = grid(-1, 3, 41);
    const chart = lineChart([
      { label: "log x", x, y: x.map(Math.log) },
      { label: "holes", x, y: x.map((t, i) => (i % 10 === 5 ? Number.NaN : i === 20 ? Infinity : t)) },
    ]);
    expect(chart).not.toMatch(/NaN|Infinity/);
    expect(seriesPaths(chart, 0)).toHaveLength(1);
    expect(seriesPaths(chart, 1)[0].match(/M/g)!.length).toBeGreaterThan(3);
  });

  it("clips the y range when a curve runs into a pole, and breaks the line across it", () => {
    const x = grid(-2, 2, 400);
    const chart = lineChart([
      { label: "1/x", x, y: x.map((t) => 1 / t) },
      { label: "2/x³", x, y: x.map((t) => 2 / t ** 3) },
    ]);
    const y = tickLabels(chart, "y").map(tickValue);
    expect(Math.max(...y.map(Math.abs))).toBeLessThan(1e4); // 2/x³ reaches 1.6e7 on this grid
    expect(seriesPaths(chart, 0)[0].match(/M/g)).toHaveLength(2); // no stroke from −∞ up to +∞
  });

  it("does not cut smooth curves that cross zero steeply", () => {
    const x = grid(-2, 2, 101);
    const chart = lineChart([
      { label: "tanh 20x", x, y: x.map((t) => Math.tanh(20 * t)) },
      { label: "x³ − x", x, y: x.map((t) => t ** 3 - t) },
    ]);
    expect(seriesPaths(chart, 0)[0].match(/M/g)).toHaveLength(1);
    expect(seriesPaths(chart, 1)[0].match(/M/g)).toHaveLength(1);
  });

  it("uses yDomain as given", () => {
    const y = tickLabels(lineChart(poly, { yDomain: [-10, 10] }), "y").map(tickValue);
    expect(Math.min(...y)).toBe(-10);
    expect(Math.max(...y)).toBe(10);
  });

  it("draws log–log axes and drops values a log axis cannot show", () => {
    const h = Array.from({ length: 45 }, (_, i) => 10 ** (-1 - i / 4));
    const err = h.map((s) => Math.abs((Math.sin(1 + s) - Math.sin(1 - s)) / (2 * s) - Math.cos(1)));
    err[3] = 0;
    const chart = lineChart(
      [
        { label: "central", x: h, y: err },
        { label: "with h ≤ 0", x: [-1, 0, ...h], y: [1, 1, ...h] },
      ],
      { logX: true, logY: true, xLabel: "h", yLabel: "|error|" },
    );
    expect(chart).not.toMatch(/NaN|Infinity/);
    expect(tickLabels(chart, "x")).toContain("10⁻¹⁰");
    expect(tickLabels(chart, "y").some((l) => l.startsWith("10⁻"))).toBe(true);
    expect(seriesPaths(chart, 0)[0].match(/M/g)!.length).toBe(2); // the zero error is a gap
  });

  it("rejects charts it cannot draw, naming the problem", () => {
    expect(() => lineChart([])).toThrow(ValueError);
    expect(() => lineChart([{ label: "e", x: [], y: [] }])).toThrow(/series 0 \("e"\) is empty/);
    expect(() => lineChart([{ label: "g", x: [1, 2, 3], y: [1, 2] }])).toThrow(/3 x values but 2 y values/);
    expect(() => lineChart(poly, { yDomain: [1, -1] })).toThrow(/yDomain/);
    expect(() => lineChart(poly, { logY: true, yDomain: [0, 1] })).toThrow(/positive/);
    expect(() => lineChart(poly, { width: 0 })).toThrow(ValueError);
  });
});

describe("robustDomain", () => {
  it("keeps the full range of well-behaved data", () => {
    expect(robustDomain([0, 1, 2, 3, 100], false)).toEqual([0, 100]);
  });
  it("clips a spike far beyond the bulk", () => {
    const values = [...grid(-1, 1, 200), 1e9];
    const [lo, hi] = robustDomain(values, false);
    expect(lo).toBe(-1);
    expect(hi).toBeLessThan(2);
  });
  it("widens a constant and falls back when there is nothing finite", () => {
    expect(robustDomain([3, 3], false)).toEqual([2, 4]);
    expect(robustDomain([], true)).toEqual([1, 10]);
  });
});

describe("svgToPng", () => {
  const svg = lineChart(poly, { title: "PNG" });
  it("produces a PNG as wide as the SVG", async () => {
    const png = await svgToPng(svg);
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(pngWidth(png)).toBe(720);
  });
  it("scales", async () => {
    expect(pngWidth(await svgToPng(svg, { scale: 2 }))).toBe(1440);
    await expect(svgToPng(svg, { scale: 0 })).rejects.toThrow(ValueError);
  });
});

describe("optional chart packages", () => {
  const notFound = (pkg: string) =>
    Object.assign(new Error(`Cannot find module '${pkg}'\nRequire stack:\n- here`), {
      code: "MODULE_NOT_FOUND",
    });
  const fakeRequire = (fail: (id: string) => Error | undefined) =>
    ((id: string) => {
      const e = fail(id);
      if (e) throw e;
      return { id };
    }) as unknown as NodeJS.Require;

  it("a package that is not installed is a MissingPackageError naming the function and the install line", () => {
    let err: unknown;
    try {
      requirePackage(fakeRequire(notFound), "lineChart", "@observablehq/plot", "draws", CHART_PACKAGES);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingPackageError);
    expect(err).toBeInstanceOf(NablaError);
    expect((err as MissingPackageError).packages).toEqual(["@observablehq/plot", "linkedom"]);
    expect((err as Error).message).toBe(
      "lineChart draws with the optional package @observablehq/plot, which is not installed; install it with: " +
        "npm install @observablehq/plot linkedom",
    );
  });

  it("a package that is installed but fails to load is reported with its own error, not as missing", () => {
    const broken = fakeRequire(() => new SyntaxError("Unexpected token"));
    expect(() =>
      requirePackage(broken, "svgToPng", "@resvg/resvg-js", "renders", ["@resvg/resvg-js"]),
    ).toThrow(
      /^svgToPng: the optional package @resvg\/resvg-js is installed but did not load \(Unexpected token\)/,
    );
    // A package missing one of *its* dependencies is broken, not missing.
    const inner = fakeRequire(() => notFound("d3-array"));
    expect(() => requirePackage(inner, "lineChart", "@observablehq/plot", "draws", CHART_PACKAGES)).toThrow(
      /installed but did not load/,
    );
  });

  it("installed packages pass the check; missing ones are listed once", () => {
    expect(() => requirePackagesInstalled("nabla plot", "draws", CHART_PACKAGES)).not.toThrow();
    expect(() =>
      requirePackagesInstalled("nabla plot", "draws", ["@observablehq/plot", "no-such-package-nabla"]),
    ).toThrow(
      "nabla plot draws with the optional package no-such-package-nabla, which is not installed; install with: " +
        "npm install no-such-package-nabla",
    );
  });

  it("nb.viz.load accepts the Plot module, as an import gives it, and refuses anything else", async () => {
    await expect(load(await import("@observablehq/plot"))).resolves.toBeUndefined();
    await expect(load({} as never)).rejects.toThrow(/^nb\.viz\.load: expected the Observable Plot module/);
    await expect(load(5 as never)).rejects.toThrow(/got a number/);
  });
});
