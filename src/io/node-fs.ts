// Reading and writing whole files in Node, with node:fs imported on first use so browsers never load it.
import { IoError } from "./errors.js";

const isNode = (): boolean =>
  typeof process !== "undefined" &&
  typeof process.versions === "object" &&
  process.versions?.node !== undefined;

async function fsFor(op: string, alternative: string): Promise<typeof import("node:fs/promises")> {
  if (!isNode())
    throw new IoError(`${op} reads and writes files with node:fs and runs in Node only; ${alternative}`);
  return import("node:fs/promises");
}

async function toPath(path: string | URL): Promise<string> {
  if (typeof path === "string") return path;
  const { fileURLToPath } = await import("node:url");
  return fileURLToPath(path);
}

/**
 * The bytes of a whole file; failures name the operation and the path. `checkSize`, given the file's size
 * in bytes, may throw to refuse a file before it is read into memory.
 */
export async function readFileBytes(
  op: string,
  path: string | URL,
  alternative: string,
  checkSize?: (bytes: number, path: string) => void,
): Promise<Uint8Array> {
  const fs = await fsFor(op, alternative);
  const p = await toPath(path);
  let size: number;
  try {
    size = (await fs.stat(p)).size;
  } catch (e) {
    throw new IoError(`${op}: cannot read ${p}: ${(e as Error).message}`, { cause: e });
  }
  checkSize?.(size, p);
  try {
    const buf = await fs.readFile(p);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw new IoError(`${op}: cannot read ${p}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Writes a whole file through a temporary file and a rename, so a crash or a full disk never leaves a
 * half-written file under the final name.
 */
export async function writeFileAtomic(
  op: string,
  path: string | URL,
  bytes: Uint8Array,
  alternative: string,
): Promise<void> {
  const fs = await fsFor(op, alternative);
  const p = await toPath(path);
  const tmp = `${p}.${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}.tmp`;
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, p);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw new IoError(`${op}: cannot write ${p}: ${(e as Error).message}`, { cause: e });
  }
}
