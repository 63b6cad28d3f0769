// Global settings that guard correctness and protect the process: NaN/Inf debugging and size limits.
import { ValueError } from "./errors.js";

/** The settings of `nb.config`. */
export interface Config {
  /**
   * Raise when a primitive produces a NaN that its inputs did not have — forward, in a derivative pass,
   * eager or under jit (a compiled program that produced a NaN is re-run op by op to find the culprit).
   */
  debugNans: boolean;
  /** Like `debugNans`, for a ±Infinity that the inputs did not have. */
  debugInfs: boolean;
  /**
   * The largest tensor, in bytes, that an operation may create (default 4 GiB). A larger one fails with a
   * `ValueError` naming the operation and the shape instead of exhausting memory.
   */
  maxTensorBytes: number;
  /**
   * The largest decoded image or tensor file, in bytes, that the readers in `nb.io` accept (default
   * 1 GiB). A file declaring more fails with the reader's own error before anything is allocated.
   */
  maxDecodeBytes: number;
  /** How many compiled signatures each `jit` function keeps (least recently used evicted first; default 64). */
  jitCacheSize: number;
}

const values: Config = {
  debugNans: false,
  debugInfs: false,
  maxTensorBytes: 4 * 2 ** 30,
  maxDecodeBytes: 2 ** 30,
  jitCacheSize: 64,
};

/** The current settings for reading on hot paths inside the library (no proxy in between). */
export const settings: Readonly<Config> = values;

const checks: { [K in keyof Config]: (v: unknown) => string | undefined } = {
  debugNans: (v) => (typeof v === "boolean" ? undefined : "a boolean"),
  debugInfs: (v) => (typeof v === "boolean" ? undefined : "a boolean"),
  maxTensorBytes: (v) =>
    typeof v === "number" && v > 0 && !Number.isNaN(v) ? undefined : "a positive number",
  maxDecodeBytes: (v) =>
    typeof v === "number" && v > 0 && !Number.isNaN(v) ? undefined : "a positive number",
  jitCacheSize: (v) => (Number.isInteger(v) && (v as number) >= 1 ? undefined : "an integer ≥ 1"),
};

/**
 * nabla's global settings. Assigning a value of the wrong kind throws a `ValueError`.
 * @example
 * ```ts
 * nb.config.debugNans = true;
 * nb.sqrt(nb.array([-1])); // NablaError: debugNans: sqrt produced a NaN from finite inputs ...
 * nb.config.debugNans = false;
 * ```
 */
export const config: Config = new Proxy(values, {
  set(target, key, v) {
    const check =
      typeof key === "string" && Object.hasOwn(checks, key) ? checks[key as keyof Config] : undefined;
    if (check === undefined)
      throw new ValueError(
        `config: unknown setting ${String(key)}; the settings are ${Object.keys(checks).join(", ")}`,
      );
    const want = check(v);
    if (want !== undefined)
      throw new ValueError(`config.${String(key)}: expected ${want}, got ${JSON.stringify(v) ?? String(v)}`);
    (target as unknown as Record<string, unknown>)[key as string] = v;
    return true;
  },
  defineProperty(_target, key) {
    throw new ValueError(`config: settings are assigned (nb.config.${String(key)} = …), not defined`);
  },
  deleteProperty(_target, key) {
    throw new ValueError(`config: the setting ${String(key)} cannot be deleted`);
  },
});

const BYTES: Record<string, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/**
 * Throws a `ValueError` naming `op` when a tensor of `shape` and `dtype` would exceed
 * `config.maxTensorBytes` (or its shape is not a list of non-negative integers); call it before allocating.
 */
export function checkTensorSize(op: string, shape: readonly number[], dtype: string): void {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0)
      throw new ValueError(
        `${op}: shape [${shape.join(",")}] has a dimension ${d}; dimensions are non-negative integers`,
      );
    n *= d;
  }
  const bytes = n * (BYTES[dtype] ?? 8);
  if (bytes > values.maxTensorBytes)
    throw new ValueError(
      `${op}: a ${dtype} tensor of shape [${shape.join(",")}] needs ${fmtBytes(bytes)}, more than nb.config.maxTensorBytes ` +
        `(${fmtBytes(values.maxTensorBytes)}); use smaller shapes or raise the limit`,
    );
}

/** Bytes in a short human form: `1.5 GiB`. */
export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return String(b);
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let i = 0;
  while (b >= 1024 && i < units.length - 1) {
    b /= 1024;
    i++;
  }
  return `${i === 0 ? b : b.toFixed(b < 10 ? 1 : 0)} ${units[i]}`;
}
