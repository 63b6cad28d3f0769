// safetensors in memory: a pytree of tensors to bytes and back, interoperable with Python's safetensors.
// Layout: u64 little-endian header length N, N bytes of JSON (space-padded to 8), then the raw data.
import { fmtShape, ValueError } from "../core/errors.js";
import { sizeOf } from "../core/shape.js";
import { ConcreteTensor, Tensor } from "../core/tensor.js";
import { array } from "../ops/creation.js";
import { SafetensorsError } from "./errors.js";
import { allocate, checkDecodeBytes, checkTensorBytes, type MakeError, toBytes } from "./guards.js";
import {
  DECODED_ITEMSIZE,
  elementBytes,
  ITEMSIZE,
  isStDType,
  NABLA_DTYPE,
  readElements,
  ST_DTYPE,
  ST_RANK,
  type StDType,
} from "./safetensors-dtypes.js";
import {
  checkExpected,
  type LeafSpec,
  leafSpecs,
  nestByName,
  rebuildLike,
  type TensorTree,
  walkLeaves,
} from "./tree.js";

/** Free-form string pairs stored in a safetensors header under `__metadata__`. */
export type Metadata = Record<string, string>;

/** What decoding returns: the tensors (flat by dotted name, nested, or shaped like `expect`) and metadata. */
export interface SafetensorsContents<T> {
  tensors: T;
  /** The header's `__metadata__` pairs; `{}` when the file has none. */
  metadata: Metadata;
}

/** Options of {@link decodeSafetensors} and `loadSafetensors`. */
export interface DecodeOptions<T = unknown> {
  /** Nest dotted names into objects ("layer1.w" → `{ layer1: { w } }`; keys 0 … n−1 become arrays). */
  nested?: boolean;
  /**
   * A pytree of tensors (such as freshly initialised parameters) the file must match exactly: the same
   * names, shapes and dtypes. The result has the same structure. A mismatch throws and loads nothing.
   */
  expect?: T;
}

/** The largest header accepted, in bytes; Python's reader refuses larger ones too. */
export const MAX_HEADER_BYTES = 100_000_000;
const safetensorsError: MakeError = (message) => new SafetensorsError(message);

/** A short JSON rendering of a header value for a message (never throws, whatever the value). */
function preview(v: unknown, max = 60): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = Array.isArray(v) ? "[…]" : typeof v === "object" ? "{…}" : String(v);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A tensor name for a message: quoted, and cut short when a corrupt header holds a huge one. */
const quote = (name: string): string => preview(name, 80);
const SUPPORTED = "F32, F64, I32, BOOL and, widened exactly, F16, BF16, U8, I8, I16, U16, U32, I64, U64";

// Code-point order equals UTF-8 byte order, which is how the Rust writer orders names.
function compareNames(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

function checkMetadata(op: string, metadata: unknown): Metadata | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== "object" || Array.isArray(metadata))
    throw new ValueError(`${op}: metadata must be an object of strings, got ${typeof metadata}`);
  for (const [k, v] of Object.entries(metadata))
    if (typeof v !== "string")
      throw new ValueError(
        `${op}: metadata value "${k}" is a ${typeof v}; safetensors metadata holds strings only ` +
          `(use String(value) or JSON.stringify(value))`,
      );
  return metadata as Metadata;
}

/**
 * Encodes tensors as safetensors bytes, exactly as Python's `safetensors` writes them (same order, same
 * padding). `tensors` is an object of tensors, possibly nested (names are joined with dots:
 * `{ layer1: { w } }` → "layer1.w", arrays give indices: "layers.0.w"); numbers become scalars of the
 * default float dtype.
 * `metadata` is an optional object of strings. Works in browsers.
 * @throws {ValueError} for non-string metadata or two leaves with one dotted name.
 * @example
 * ```ts
 * const params = { layer1: { w: nb.ones([2, 3]), b: nb.zeros([3]) } };
 * const bytes = nb.io.encodeSafetensors(params, { epoch: "3" });
 * nb.io.decodeSafetensors(bytes).tensors["layer1.w"].shape; // [2, 3]
 * ```
 */
export function encodeSafetensors(tensors: object, metadata?: Metadata): Uint8Array {
  const op = "encodeSafetensors";
  const meta = checkMetadata(op, metadata);
  const entries: { name: string; t: ConcreteTensor }[] = [];
  walkLeaves(tensors, op, (name, leaf) => {
    if (name === "__metadata__")
      throw new ValueError(`${op}: "__metadata__" is reserved by the format; rename that tensor`);
    const t = (leaf instanceof Tensor ? leaf : array(leaf)).concrete();
    if (t.data.length !== sizeOf(t.aval.shape))
      throw new ValueError(
        `${op}: tensor "${name}" holds ${t.data.length} values for shape ${fmtShape(t.aval.shape)}`,
      );
    entries.push({ name, t });
  });
  entries.sort((a, b) => ST_RANK[b.t.aval.dtype] - ST_RANK[a.t.aval.dtype] || compareNames(a.name, b.name));

  // Built by hand: JSON.stringify of an object would move integer-like names ("0") to the front.
  const fields: string[] = [];
  if (meta !== undefined)
    fields.push(
      `"__metadata__":{${Object.entries(meta)
        .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
        .join(",")}}`,
    );
  let offset = 0;
  for (const { name, t } of entries) {
    const end = offset + t.data.byteLength;
    const info = { dtype: ST_DTYPE[t.aval.dtype], shape: t.aval.shape, data_offsets: [offset, end] };
    fields.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${fields.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let pos = 8 + headerLength;
  for (const { t } of entries) {
    out.set(elementBytes(t.data), pos);
    pos += t.data.byteLength;
  }
  return out;
}

interface Entry {
  name: string;
  st: StDType;
  shape: number[];
  begin: number;
  end: number;
}

const isIndex = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function parseEntry(where: string, name: string, info: unknown): Entry {
  const bad = (what: string) => new SafetensorsError(`${where}: tensor ${quote(name)} has ${what}`);
  if (typeof info !== "object" || info === null || Array.isArray(info))
    throw bad(`a header entry that is not an object: ${preview(info)}`);
  const { dtype, shape, data_offsets } = info as Record<string, unknown>;
  if (typeof dtype !== "string") throw bad(`no dtype string (dtype: ${preview(dtype)})`);
  if (!isStDType(dtype))
    throw bad(`dtype ${preview(dtype, 30)}, which nabla cannot read (it reads ${SUPPORTED})`);
  if (!Array.isArray(shape) || !shape.every(isIndex))
    throw bad(`an invalid shape ${preview(shape)}: it must be an array of non-negative integers`);
  if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every(isIndex))
    throw bad(`invalid data_offsets ${preview(data_offsets)}: they must be [begin, end] byte offsets`);
  const [begin, end] = data_offsets as [number, number];
  if (end < begin) throw bad(`data_offsets [${begin},${end}] that end before they begin`);
  const bytes = shape.reduce((n: number, d: number) => n * d, ITEMSIZE[dtype]);
  if (!Number.isSafeInteger(bytes)) throw bad(`a shape ${preview(shape)} too large to address`);
  if (end - begin !== bytes)
    throw bad(
      `dtype ${dtype} and shape [${shape.join(",")}], which need ${bytes} bytes, but data_offsets ` +
        `[${begin},${end}] span ${end - begin}`,
    );
  return { name, st: dtype, shape, begin, end };
}

/** Reads and checks the header; throws before any tensor is made. */
function readHeader(
  bytes: Uint8Array,
  where: string,
): { entries: Entry[]; metadata: Metadata; dataStart: number } {
  if (bytes.length < 8)
    throw new SafetensorsError(
      `${where}: the data is ${bytes.length} bytes, shorter than the 8-byte header length every ` +
        `safetensors file starts with (truncated, or not a safetensors file)`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER_BYTES)
    throw new SafetensorsError(
      `${where}: the header length field says ${n} bytes, more than the 100 MB limit: the file is ` +
        `corrupt or not a safetensors file`,
    );
  if (8 + n > bytes.length)
    throw new SafetensorsError(
      `${where}: the header length field says ${n} bytes but only ${bytes.length - 8} follow it: the ` +
        `file is truncated or not a safetensors file`,
    );
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new SafetensorsError(`${where}: the header is not valid UTF-8: the file is corrupt`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(
      `${where}: the header is not valid JSON (${(e as Error).message}): the file is corrupt or not a ` +
        `safetensors file`,
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw new SafetensorsError(`${where}: the header must be a JSON object, got ${preview(header, 40)}`);

  const metadata: Metadata = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      if (info === null) continue;
      if (
        typeof info !== "object" ||
        Array.isArray(info) ||
        !Object.values(info).every((v) => typeof v === "string")
      )
        throw new SafetensorsError(
          `${where}: "__metadata__" must be an object of strings, got ${preview(info)}`,
        );
      for (const [k, v] of Object.entries(info as Metadata))
        Object.defineProperty(metadata, k, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
    } else entries.push(parseEntry(where, name, info));
  }

  const dataBytes = bytes.length - 8 - n;
  const last = entries.reduce<Entry | undefined>(
    (m, e) => (m === undefined || e.end > m.end ? e : m),
    undefined,
  );
  if (last !== undefined && last.end > dataBytes)
    throw new SafetensorsError(
      `${where}: the file is truncated: tensor ${quote(last.name)} ends at byte ${last.end} of the data but ` +
        `only ${dataBytes} bytes follow the header`,
    );
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  entries.forEach((e, i) => {
    if (e.begin < covered) {
      const prev = entries[i - 1]!;
      throw new SafetensorsError(
        `${where}: tensors ${quote(prev.name)} [${prev.begin},${prev.end}) and ` +
          `${quote(e.name)} [${e.begin},${e.end}) overlap: the header is corrupt`,
      );
    }
    if (e.begin > covered)
      throw new SafetensorsError(
        `${where}: bytes [${covered},${e.begin}) of the data belong to no tensor (before ${quote(e.name)}): ` +
          `the header is corrupt`,
      );
    covered = e.end;
  });
  if (covered !== dataBytes)
    throw new SafetensorsError(
      `${where}: ${dataBytes - covered} bytes after the last tensor belong to no tensor (the data is ` +
        `${dataBytes} bytes, the tensors cover ${covered}): the file is corrupt`,
    );
  // Sizes once decoded (BOOL stays 1 byte, F16 widens to 4, I64 narrows to 4), checked before allocating.
  let total = 0;
  for (const e of entries) {
    const size = (e.end - e.begin) / ITEMSIZE[e.st];
    const bytes = size * DECODED_ITEMSIZE[NABLA_DTYPE[e.st]];
    const what = `tensor ${quote(e.name)} (${e.st} ${fmtShape(e.shape)})`;
    checkTensorBytes(where, what, bytes, safetensorsError);
    total += bytes;
  }
  checkDecodeBytes(where, `the ${entries.length} tensors of the file`, total, safetensorsError);
  return { entries, metadata, dataStart: 8 + n };
}

/** Decodes with messages that name `where` (the function, and the file when there is one). */
export function decodeWith(
  bytes: Uint8Array,
  options: DecodeOptions,
  where: string,
): SafetensorsContents<unknown> {
  const { entries, metadata, dataStart } = readHeader(bytes, where);
  if (options.expect !== undefined) {
    const found = new Map<string, LeafSpec>(
      entries.map((e) => [e.name, { shape: e.shape, dtype: NABLA_DTYPE[e.st] }]),
    );
    checkExpected(found, leafSpecs(options.expect, where), where);
  }
  const byName = new Map<string, Tensor>();
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const size = (e.end - e.begin) / ITEMSIZE[e.st];
    const data = allocate(
      where,
      `tensor ${quote(e.name)}`,
      size * DECODED_ITEMSIZE[NABLA_DTYPE[e.st]],
      () => readElements(e.st, raw, size, `${where}: tensor ${quote(e.name)}`),
      safetensorsError,
    );
    byName.set(e.name, new ConcreteTensor(data, { shape: e.shape, dtype: NABLA_DTYPE[e.st], weak: false }));
  }
  if (options.expect !== undefined) return { tensors: rebuildLike(options.expect, byName), metadata };
  if (options.nested) return { tensors: nestByName(byName, where), metadata };
  const flat: Record<string, Tensor> = {};
  for (const [k, t] of byName)
    Object.defineProperty(flat, k, { value: t, enumerable: true, writable: true, configurable: true });
  return { tensors: flat, metadata };
}

/**
 * Decodes safetensors bytes (from a file, `fetch`, or {@link encodeSafetensors}) into tensors and metadata.
 * Every header field is checked first, so a corrupt or truncated file throws a {@link SafetensorsError}
 * and nothing is returned. F16, BF16 and 8/16-bit integers are widened exactly to float32 and int32; I64,
 * U64 and U32 become int32 when every value fits. Options: `nested` rebuilds nested objects from dotted
 * names; `expect` checks names, shapes and dtypes against a pytree and returns that structure. Works in
 * browsers.
 * @throws {SafetensorsError} when the data is corrupt, truncated or does not match `expect`.
 * @example
 * ```ts
 * const params = { dense: { w: nb.ones([2, 2]), b: nb.zeros([2]) } };
 * const bytes = nb.io.encodeSafetensors(params);
 * nb.io.decodeSafetensors(bytes).tensors["dense.b"].toArray();               // [0, 0]
 * nb.io.decodeSafetensors(bytes, { nested: true }).tensors.dense;            // { b, w }
 * const { tensors } = nb.io.decodeSafetensors(bytes, { expect: params });   // same structure as params
 * ```
 */
export function decodeSafetensors<T>(
  data: Uint8Array | ArrayBuffer,
  options: DecodeOptions<T> & { expect: T },
): SafetensorsContents<T>;
export function decodeSafetensors(
  data: Uint8Array | ArrayBuffer,
  options: DecodeOptions & { nested: true },
): SafetensorsContents<{ [key: string]: TensorTree }>;
export function decodeSafetensors(
  data: Uint8Array | ArrayBuffer,
  options?: DecodeOptions & { nested?: false },
): SafetensorsContents<Record<string, Tensor>>;
export function decodeSafetensors(
  data: Uint8Array | ArrayBuffer,
  options: DecodeOptions = {},
): SafetensorsContents<unknown> {
  return decodeWith(toBytes(data, "decodeSafetensors"), options ?? {}, "decodeSafetensors");
}
