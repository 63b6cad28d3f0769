// Errors of nb.io: files that cannot be read or written, and PNG or safetensors data that breaks its format.
import { NablaError } from "../core/errors.js";

/**
 * A file that cannot be read or written, or whose bytes are not what its format requires. The errors of
 * each format ({@link PngError}, {@link SafetensorsError}) are subclasses.
 * @example
 * ```ts
 * await nb.io.readPng("no-such-file.png"); // IoError: readPng: cannot read no-such-file.png ...
 * ```
 */
export class IoError extends NablaError {
  override name = "IoError";
}

/**
 * PNG data that breaks the format: a bad signature, a chunk with a wrong CRC, a missing, repeated or
 * misplaced IHDR, PLTE, tRNS or IDAT chunk, a bit depth the colour type does not allow, corrupt or
 * truncated compressed data, or an image larger than `nb.config.maxDecodeBytes`. Nothing is returned
 * when it is thrown.
 * @example
 * ```ts
 * nb.io.decodePng(new Uint8Array([1, 2, 3])); // PngError: decodePng: the data does not start with the PNG signature ...
 * ```
 */
export class PngError extends IoError {
  override name = "PngError";
}

/**
 * A safetensors file that is truncated or corrupt (bad header length, invalid JSON, unknown dtype,
 * overlapping or out-of-range offsets), larger than `nb.config.maxDecodeBytes` once decoded, or whose
 * tensors do not match the ones expected. Nothing is loaded when it is thrown.
 * @example
 * ```ts
 * nb.io.decodeSafetensors(new Uint8Array(4)); // SafetensorsError: decodeSafetensors: the data is 4 bytes ...
 * ```
 */
export class SafetensorsError extends IoError {
  override name = "SafetensorsError";
}
