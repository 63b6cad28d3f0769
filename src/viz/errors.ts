// The error of a chart or picture asked for without the optional package that draws it.
import { NablaError } from "../core/errors.js";

/**
 * A chart or PNG was asked for, but the optional package that draws it is not installed. nabla keeps its
 * drawing libraries out of its own dependencies, so that programs that never draw do not install them;
 * `packages` lists what to install, and the message gives the npm command and names the function.
 * @example
 * ```ts
 * try {
 *   nb.viz.lineChart([{ label: "y = x", x: [0, 1], y: [0, 1] }]);
 * } catch (e) {
 *   if (e instanceof nb.viz.MissingPackageError) console.log(e.packages); // ["@observablehq/plot", "linkedom"]
 * }
 * ```
 */
export class MissingPackageError extends NablaError {
  override name = "MissingPackageError";
  /** The npm packages to install. */
  readonly packages: readonly string[];
  constructor(message: string, packages: readonly string[], options?: { cause?: unknown }) {
    super(message, options);
    this.packages = packages;
  }
}
