// The chart libraries (Observable Plot; linkedom for a DOM outside browsers): optional peer dependencies,
// loaded on first use rather than when nabla is imported, so programs that never draw neither install nor
// load them. In Node the synchronous chart functions load them with `require` (reached through
// process.getBuiltinModule, so bundles carry no Node import and never try to resolve them); a browser has no
// synchronous loader, so a page passes Plot in once: `await nb.viz.load(await import("@observablehq/plot"))`.
import type * as PlotModule from "@observablehq/plot";
import { NablaError } from "../core/errors.js";
import { MissingPackageError } from "./errors.js";

type Plot = typeof PlotModule;
type Linkedom = typeof import("linkedom");
type NodeRequire = ReturnType<typeof import("node:module").createRequire>;

let plot: Plot | undefined;
let linkedom: Linkedom | undefined;

/** The packages that draw charts in Node. */
export const CHART_PACKAGES = ["@observablehq/plot", "linkedom"] as const;
const BROWSER_LOAD = 'await nb.viz.load(await import("@observablehq/plot"))';

interface NodeProcess {
  getBuiltinModule?(id: string): unknown;
}

/** Whether the page has a document Plot can draw into (then linkedom is never needed). */
export const hasPageDocument = (): boolean =>
  typeof document !== "undefined" && typeof document.createElementNS === "function";

/** Node's `require` for this module, or undefined outside Node (browsers, workers of a page). */
export function nodeRequire(): NodeRequire | undefined {
  const p = (globalThis as { process?: NodeProcess }).process;
  if (typeof p?.getBuiltinModule !== "function") return undefined;
  const mod = p.getBuiltinModule("node:module") as typeof import("node:module") | undefined;
  return mod?.createRequire(import.meta.url);
}

/** Whether `e`, thrown by `require(pkg)`, says that `pkg` itself is not installed (not a failure inside it). */
function notInstalled(e: unknown, pkg: string): boolean {
  const err = e as { code?: string; message?: string } | undefined;
  return (
    (err?.code === "MODULE_NOT_FOUND" || err?.code === "ERR_MODULE_NOT_FOUND") &&
    (err.message ?? "").includes(`'${pkg}'`)
  );
}

/**
 * `require(pkg)` for `op`; a MissingPackageError naming `op` and the install command when it is not
 * installed, a NablaError with the cause when it is but fails to load.
 */
export function requirePackage<T>(
  require: NodeRequire,
  op: string,
  pkg: string,
  what: string,
  install: readonly string[],
): T {
  try {
    return require(pkg) as T;
  } catch (e) {
    if (notInstalled(e, pkg))
      throw new MissingPackageError(
        `${op} ${what} with the optional package ${pkg}, which is not installed; install it with: ` +
          `npm install ${install.join(" ")}`,
        install,
        { cause: e },
      );
    throw new NablaError(
      `${op}: the optional package ${pkg} is installed but did not load ` +
        `(${(e as Error)?.message?.split("\n")[0]}); reinstall it: npm install ${install.join(" ")}`,
      { cause: e },
    );
  }
}

function requireLibrary<T>(op: string, pkg: string): T {
  const require = nodeRequire();
  if (require === undefined)
    throw new NablaError(
      pkg === "linkedom"
        ? `${op}: charts are drawn in a document, the page's or one from linkedom in Node; here there is neither`
        : `${op} draws with Observable Plot, which a page passes in once before drawing: ${BROWSER_LOAD} ` +
            "(npm install @observablehq/plot)",
    );
  const missing = CHART_PACKAGES.filter((p) => p !== pkg && !resolves(require, p));
  return requirePackage<T>(require, op, pkg, "draws", missing.length > 0 ? CHART_PACKAGES : [pkg]);
}

function resolves(require: NodeRequire, pkg: string): boolean {
  if (pkg === "linkedom" && hasPageDocument()) return true;
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
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
 * Loads the chart libraries ahead of the first chart (see nb.viz.load). `module`, when given, is Observable
 * Plot as the caller imported it (the only way in a browser: nabla itself never names the package in an
 * `import`, so bundlers build apps that do not draw without it installed); otherwise Node's `require`
 * loads it. linkedom is needed, and loaded, only where there is no page document.
 */
export async function loadLibraries(module?: unknown): Promise<void> {
  const op = "nb.viz.load";
  if (module !== undefined) {
    const m = module as { plot?: unknown; default?: { plot?: unknown } };
    const lib =
      typeof m?.plot === "function" ? m : typeof m?.default?.plot === "function" ? m.default : undefined;
    if (lib === undefined)
      throw new NablaError(
        `${op}: expected the Observable Plot module (${BROWSER_LOAD}), got ` +
          `${module === null ? "null" : typeof module === "object" ? "an object without a plot function" : `a ${typeof module}`}`,
      );
    plot = lib as Plot;
  }
  if (plot === undefined) {
    if (nodeRequire() === undefined)
      throw new NablaError(
        `${op}: in a browser, pass Observable Plot in: ${BROWSER_LOAD} (npm install @observablehq/plot)`,
      );
    plotLibrary(op);
  }
  if (!hasPageDocument()) linkedomLibrary(op);
}

/**
 * Throws a MissingPackageError naming `op` when any of `packages` is not installed (all of them listed in
 * one install command), so a command that needs several learns it once, before doing any work.
 */
export function requirePackagesInstalled(op: string, what: string, packages: readonly string[]): void {
  const require = nodeRequire();
  if (require === undefined) return;
  const missing = packages.filter((p) => !resolves(require, p));
  if (missing.length === 0) return;
  const names =
    missing.length === 1 ? `package ${missing[0]}, which is` : `packages ${missing.join(", ")}, which are`;
  throw new MissingPackageError(
    `${op} ${what} with the optional ${names} not installed; install with: npm install ${missing.join(" ")}`,
    missing,
  );
}
