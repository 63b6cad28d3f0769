// The chart libraries (Observable Plot; linkedom for a DOM outside browsers), loaded on first use rather
// than when nabla is imported: they are ~300 modules that most programs never need. In Node the synchronous
// chart functions load them with `require` (reached through process.getBuiltinModule, so bundles carry no
// Node import); a browser has no synchronous loader, so a page calls `await nb.viz.load()` once first.
import type * as PlotModule from "@observablehq/plot";
import { NablaError } from "../core/errors.js";

type Plot = typeof PlotModule;
type Linkedom = typeof import("linkedom");

let plot: Plot | undefined;
let linkedom: Linkedom | undefined;

interface NodeProcess {
  getBuiltinModule?(id: string): unknown;
}

/** Whether the page has a document Plot can draw into (then linkedom is never needed). */
export const hasPageDocument = (): boolean =>
  typeof document !== "undefined" && typeof document.createElementNS === "function";

/** Node's `require` for this module, or undefined outside Node (browsers, workers of a page). */
function nodeRequire(): ReturnType<typeof import("node:module").createRequire> | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  if (typeof p?.getBuiltinModule !== "function") return undefined;
  const mod = p.getBuiltinModule("node:module") as typeof import("node:module") | undefined;
  return mod?.createRequire(import.meta.url);
}

function requireLibrary<T>(op: string, pkg: string): T {
  const require = nodeRequire();
  if (require === undefined)
    throw new NablaError(
      pkg === "linkedom"
        ? `${op}: charts are drawn in a document, the page's or one from linkedom in Node; here there is neither`
        : `${op} draws with ${pkg}, which loads on first use: call \`await nb.viz.load()\` once before drawing`,
    );
  try {
    return require(pkg) as T;
  } catch (e) {
    throw new NablaError(
      `${op} needs the \`${pkg}\` package, which did not load (${(e as Error)?.message?.split("\n")[0]}); ` +
        `reinstall nabla or run npm install ${pkg}`,
      { cause: e },
    );
  }
}

/** Observable Plot, loaded on first use. */
export function plotLibrary(op: string): Plot {
  plot ??= requireLibrary<Plot>(op, "@observablehq/plot");
  return plot;
}

/** linkedom, loaded on first use (only where there is no page document). */
export function linkedomLibrary(op: string): Linkedom {
  linkedom ??= requireLibrary<Linkedom>(op, "linkedom");
  return linkedom;
}

/**
 * Loads the chart libraries (see nb.viz.load): Plot with a dynamic import, which a bundler turns into a
 * chunk; linkedom, needed only where there is no page document, through Node's `require`, so that browser
 * bundles never include it.
 */
export async function loadLibraries(): Promise<void> {
  if (!hasPageDocument()) linkedomLibrary("nb.viz.load");
  try {
    plot ??= await import("@observablehq/plot");
  } catch (e) {
    throw new NablaError(
      `nb.viz.load: the chart libraries did not load (${(e as Error)?.message?.split("\n")[0]})`,
      { cause: e },
    );
  }
}
