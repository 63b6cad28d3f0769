// Checks shared by the readers of nb.io: what counts as bytes, and size limits applied before allocating.
import { config, fmtBytes } from "../core/config.js";
import { ValueError } from "../core/errors.js";
import type { IoError } from "./errors.js";

/** Makes the reader's own error (a PngError, a SafetensorsError …) from a finished message. */
export type MakeError = (message: string) => IoError;

const describe = (x: unknown): string =>
  x === null
    ? "null"
    : typeof x === "object"
      ? `a ${(x as object).constructor?.name ?? "object"}`
      : `a ${typeof x}`;

/**
 * A plain byte view (no copy) of a Uint8Array (a Node Buffer included), another typed array or DataView, or
 * an ArrayBuffer. Anything else is a ValueError naming `where`.
 */
export function toBytes(data: unknown, where: string): Uint8Array {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (
    data instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== "undefined" && data instanceof SharedArrayBuffer)
  )
    return new Uint8Array(data);
  throw new ValueError(
    `${where}: expected the file's bytes as a Uint8Array or an ArrayBuffer, got ${describe(data)}; ` +
      `read the file first (fs.readFileSync, or (await fetch(url)).arrayBuffer())`,
  );
}

/**
 * Throws the reader's error when decoding would produce `bytes` bytes in all, more than
 * `nb.config.maxDecodeBytes`. Call it before allocating anything of that size.
 */
export function checkDecodeBytes(where: string, what: string, bytes: number, make: MakeError): void {
  const limit = config.maxDecodeBytes;
  if (bytes > limit)
    throw make(
      `${where}: ${what} would take ${fmtBytes(bytes)} decoded, more than nb.config.maxDecodeBytes ` +
        `(${fmtBytes(limit)}); the file is corrupt, or, if it is genuine and memory allows, raise the limit ` +
        `(nb.config.maxDecodeBytes = ${Math.ceil(bytes / 2 ** 30)} * 2 ** 30)`,
    );
}

/** Throws the reader's error when one decoded tensor of `bytes` bytes would exceed `nb.config.maxTensorBytes`. */
export function checkTensorBytes(where: string, what: string, bytes: number, make: MakeError): void {
  const limit = config.maxTensorBytes;
  if (bytes > limit)
    throw make(
      `${where}: ${what} would take ${fmtBytes(bytes)}, more than nb.config.maxTensorBytes ` +
        `(${fmtBytes(limit)}); the file is corrupt, or, if it is genuine and memory allows, raise the limit`,
    );
}

/** Runs `create` (an allocation already within the limits); a failed allocation becomes the reader's error. */
export function allocate<T>(where: string, what: string, bytes: number, create: () => T, make: MakeError): T {
  try {
    return create();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw make(
      `${where}: cannot allocate ${fmtBytes(bytes)} for ${what} (${e.message}); free memory, or lower ` +
        `nb.config.maxDecodeBytes so that such files are refused up front`,
    );
  }
}
