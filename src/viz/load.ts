// nb.viz.load: the chart libraries ahead of the first chart (kept apart from ./libs.ts so that the public
// types never refer to the libraries' own).
import { loadLibraries } from "./libs.js";

/**
 * Loads the chart libraries ahead of time: Observable Plot, and linkedom where there is no page document.
 * Needed once in a browser before `nb.viz.lineChart`, `nb.analysis.contourChart` and the other charts draw
 * (a bundler puts the libraries in a separate chunk); optional in Node, where the first chart loads them.
 * @example
 * ```ts
 * await nb.viz.load();
 * const svg = nb.viz.lineChart([{ label: "y = x²", x: [0, 1, 2], y: [0, 1, 4] }]);
 * ```
 */
export function load(): Promise<void> {
  return loadLibraries();
}
