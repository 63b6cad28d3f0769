// Loads the optional native addon (native/, built by scripts/build-native.mjs when the package is installed):
// in Node only, lazily, and silently — a missing or broken build, a browser, or NABLA_NATIVE=0 all give null,
// and callers fall back to the WebAssembly and JavaScript kernels. Node's `require` is reached through
// process.getBuiltinModule rather than a static import, so bundles for the browser carry no Node import.

/** What the compiled addon exports (native/src/addon.cc). */
export interface NativeAddon {
  /**
   * c[b] = op(a[b])·op(b[b]) for Float32Array or Float64Array data of one type, op transposing when tA/tB
   * (a stored [K,M], b [N,K]), on up to `threads` threads. False (c untouched) for other array types.
   */
  matmul(
    a: ArrayBufferView,
    tA: boolean,
    b: ArrayBufferView,
    tB: boolean,
    c: ArrayBufferView,
    B: number,
    M: number,
    K: number,
    N: number,
    threads: number,
  ): boolean;
  /**
   * Compiles a fused elementwise kernel from its description (./fused.ts's encode), whose operations,
   * element types and reductions are indices into `names`: an opaque kernel, or why the addon does not run
   * it (an unknown name among the reasons).
   */
  fusedCompile(desc: Float64Array, names: readonly string[]): object | string;
  /** The names of the operations fusedCompile knows (primitive names, as in core/primitives.ts). */
  fusedOps(): string[];
  /**
   * Runs a compiled kernel on up to `threads` threads, reading the inputs and writing every element of the
   * outputs in place. undefined, or why nothing was computed (arrays of the wrong number, type or length).
   */
  fusedRun(
    kernel: object,
    inputs: readonly ArrayBufferView[],
    outputs: readonly ArrayBufferView[],
    threads: number,
  ): string | undefined;
  /** Pool workers awake (busy, or spinning after a product) rather than asleep. */
  workersAwake(): number;
  /** The instruction set the kernels were compiled for. */
  readonly isa: "avx512" | "avx2" | "generic";
  /** The version of this interface (NATIVE_VERSION). */
  readonly version: number;
}

/** The addon interface this code expects (native/src/addon.cc's kVersion): an older build is not used. */
export const NATIVE_VERSION = 3;

/**
 * The addon as built by node-gyp, relative to this module: src/backend/native/ (tsx, vitest) and
 * dist/backend/native/ (the built package) both sit three levels below the package root.
 */
export const ADDON_PATH = "../../../native/build/Release/nabla_native.node";

interface NodeProcess {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
  getBuiltinModule?(id: string): unknown;
}

const nodeProcess = (): NodeProcess | undefined => (globalThis as { process?: NodeProcess }).process;

/** Whether the environment turns the addon off (NABLA_NATIVE=0, false, no or off). */
export function nativeDisabled(env: Record<string, string | undefined>): boolean {
  const v = env.NABLA_NATIVE?.trim().toLowerCase();
  return v === "0" || v === "false" || v === "no" || v === "off";
}

const isAddon = (m: unknown): m is NativeAddon =>
  typeof m === "object" &&
  m !== null &&
  (m as NativeAddon).version === NATIVE_VERSION &&
  typeof (m as NativeAddon).matmul === "function" &&
  typeof (m as NativeAddon).fusedCompile === "function" &&
  typeof (m as NativeAddon).fusedRun === "function" &&
  typeof (m as NativeAddon).fusedOps === "function" &&
  typeof (m as NativeAddon).workersAwake === "function";

/**
 * Loads the addon at `path` (resolved against this module) or returns null: outside Node, when the
 * environment disables it, or when the file is missing, fails to load, or is not this addon (another file,
 * a build older than these sources, or one whose kernels this CPU cannot run).
 */
export function loadAddon(
  path: string = ADDON_PATH,
  env?: Record<string, string | undefined>,
): NativeAddon | null {
  const loaded = requireNative(path, env);
  return isAddon(loaded) ? loaded : null;
}

/**
 * The native module at `path` (resolved against this module), or null: outside Node, when the environment
 * disables native code, or when the file is missing or fails to load (built for another Node, say).
 */
export function requireNative(path: string, env?: Record<string, string | undefined>): unknown {
  const p = nodeProcess();
  if (!p?.versions?.node || typeof p.getBuiltinModule !== "function") return null;
  if (nativeDisabled(env ?? p.env ?? {})) return null;
  try {
    const mod = p.getBuiltinModule("node:module") as typeof import("node:module") | undefined;
    return mod?.createRequire(import.meta.url)(path) ?? null;
  } catch {
    return null;
  }
}

/** undefined: not tried yet. */
let cached: NativeAddon | null | undefined;

/** The addon of this process, loaded on first use (null when unavailable). */
export function nativeAddon(): NativeAddon | null {
  if (cached === undefined) cached = loadAddon();
  return cached;
}

/**
 * @internal Tests only: makes nativeAddon() return `addon` (say, the real one with an operation hidden)
 * until the next call; undefined loads the real one again.
 */
export function replaceNativeAddon(addon: NativeAddon | null | undefined): void {
  cached = addon;
}
