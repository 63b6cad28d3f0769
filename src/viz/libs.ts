// The chart libraries (Observable Plot; linkedom for a DOM outside browsers), loaded on first use rather
// when nabla is imported: they are ~200 modules that most programs never need. In Node the synchronous
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
      `${op} draws with ${pkg}, which loads on first use: call \`await nb.viz.load()\` once before drawing`,
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

/** Loads the chart libraries with dynamic imports (see nb.viz.load). */
export async function loadLibraries(): Promise<void> {
  try {
    plot ??= await import("@observablehq/plot");
    if (!hasPageDocument()) linkedom ??= await import("linkedom");
  } catch (e) {
    throw new NablaError(
      `nb.viz.load: the chart libraries did not load (${(e as Error)?.message?.split("\n")[0]})`,
      { cause: e },
    );
  }
}
