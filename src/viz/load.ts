// nb.viz.load: the chart libraries ahead of the first chart (kept apart from ./libs.ts so that the public
// types never refer to the libraries' own: they are optional packages, absent from most installs).
import { loadLibraries } from "./libs.js";

/** What {@link load} accepts: the Observable Plot module, as `import("@observablehq/plot")` gives it. */
export interface PlotModuleLike {
  readonly plot: (...args: never[]) => unknown;
}

/**
 * Loads the chart libraries ahead of the first chart. Charts draw with the optional packages
 * `@observablehq/plot` and, outside browsers, `linkedom` (`npm install @observablehq/plot linkedom`).
 * In Node this is optional: the first chart loads them. A browser page passes Plot in once before
 * `nb.viz.lineChart`, `nb.analysis.contourChart` and the other charts draw; the page's own `import` lets its
 * bundler put Plot in a separate chunk, while apps that never draw build without it installed.
 * @throws {MissingPackageError} in Node, when a chart package is not installed.
 * @example
 * ```ts
 * await nb.viz.load(await import("@observablehq/plot")); // in a browser; `await nb.viz.load()` in Node
 * const svg = nb.viz.lineChart([{ label: "y = x²", x: [0, 1, 2], y: [0, 1, 4] }]);
 * ```
 */
export function load(plot?: PlotModuleLike): Promise<void> {
  return loadLibraries(plot);
}
