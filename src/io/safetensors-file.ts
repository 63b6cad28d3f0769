// safetensors files: save and load parameter pytrees in Node (the byte-level codec is in safetensors.ts).
import { config, fmtBytes } from "../core/config.js";
import type { Tensor } from "../core/tensor.js";
import { SafetensorsError } from "./errors.js";
import { readFileBytes, writeFileAtomic } from "./node-fs.js";
import {
  type DecodeOptions,
  decodeWith,
  encodeSafetensors,
  MAX_HEADER_BYTES,
  type Metadata,
  type SafetensorsContents,
} from "./safetensors.js";
import type { TensorTree } from "./tree.js";

const IN_BROWSER =
  "in a browser use nb.io.decodeSafetensors(await (await fetch(url)).arrayBuffer()) " +
  "or nb.io.encodeSafetensors";

/**
 * Saves tensors to a safetensors file that Python's `safetensors` (and PyTorch, JAX, candle …) can read.
 * `tensors` is an object of tensors, possibly nested (names join with dots: `{ layer1: { w } }` →
 * "layer1.w"); `metadata` is an optional object of strings. The file is written to a temporary name and
 * renamed, so it is never left half-written. Node only (see {@link encodeSafetensors} for browsers).
 * @throws {IoError} when the file cannot be written; {ValueError} for bad names or metadata.
 * @example
 * ```ts
 * const params = { layer1: { w: nb.random.normal(nb.random.key(0), [4, 3]), b: nb.zeros([3]) } };
 * await nb.io.saveSafetensors("model.safetensors", params, { step: "1000" });
 * ```
 */
export async function saveSafetensors(
  path: string | URL,
  tensors: object,
  metadata?: Metadata,
): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata);
  await writeFileAtomic("saveSafetensors", path, bytes, IN_BROWSER);
}

/**
 * Loads a safetensors file (written by nabla, Python's `safetensors`, PyTorch …) as
 * `{ tensors, metadata }`.
 * Tensors come back flat by dotted name, nested with `{ nested: true }`, or in the structure of
 * `{ expect: params }`, which also checks that every name, shape and dtype matches. A corrupt, truncated
 * or mismatched file throws a {@link SafetensorsError} naming the file and loads nothing. Node only.
 * @throws {SafetensorsError} for corrupt, truncated or mismatched files; {IoError} when it cannot be read.
 * @example
 * ```ts
 * const params = { layer1: { w: nb.ones([4, 3]), b: nb.zeros([3]) } };
 * await nb.io.saveSafetensors("model.safetensors", params);
 * const { tensors, metadata } = await nb.io.loadSafetensors("model.safetensors");
 * tensors["layer1.w"].shape;                  // [4, 3]
 * const loaded = await nb.io.loadSafetensors("model.safetensors", { expect: params });
 * loaded.tensors.layer1.w.shape;              // [4, 3]: the structure of params
 * ```
 */
export async function loadSafetensors<T>(
  path: string | URL,
  options: DecodeOptions<T> & { expect: T },
): Promise<SafetensorsContents<T>>;
export async function loadSafetensors(
  path: string | URL,
  options: DecodeOptions & { nested: true },
): Promise<SafetensorsContents<{ [key: string]: TensorTree }>>;
export async function loadSafetensors(
  path: string | URL,
  options?: DecodeOptions & { nested?: false },
): Promise<SafetensorsContents<Record<string, Tensor>>>;
export async function loadSafetensors(
  path: string | URL,
  options: DecodeOptions = {},
): Promise<SafetensorsContents<unknown>> {
  const bytes = await readFileBytes("loadSafetensors", path, IN_BROWSER, (size, p) => {
    // Stored data is at most twice its decoded size (I64 and U64 become int32), plus a bounded header.
    if (size > 8 + MAX_HEADER_BYTES + 2 * config.maxDecodeBytes)
      throw new SafetensorsError(
        `loadSafetensors: ${p} is ${fmtBytes(size)}, more than a file whose tensors fit ` +
          `nb.config.maxDecodeBytes (${fmtBytes(config.maxDecodeBytes)}) can be; raise the limit if the ` +
          `file is genuine and memory allows`,
      );
  });
  return decodeWith(bytes, options, `loadSafetensors: ${String(path)}`);
}
