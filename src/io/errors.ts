// Errors of nb.io: files that cannot be read or written, and safetensors data that breaks the format.
import { NablaError } from "../core/errors.js";

/**
 * A file that cannot be read or written, or whose bytes are not what its format requires (a corrupt PNG).
 * @example
 * ```ts
 * nb.io.decodePng(new Uint8Array([1, 2, 3])); // IoError: decodePng: the data is not a valid PNG ...
 * ```
 */
export class IoError extends NablaError {
  override name = "IoError";
}

/**
 * A safetensors file that is truncated or corrupt (bad header length, invalid JSON, unknown dtype,
 * overlapping or out-of-range offsets), or whose tensors do not match the ones expected. Nothing is
 * loaded when it is thrown.
 * @example
 * ```ts
 * nb.io.decodeSafetensors(new Uint8Array(4)); // SafetensorsError: decodeSafetensors: the data is 4 bytes ...
 * ```
 */
export class SafetensorsError extends IoError {
  override name = "SafetensorsError";
}
