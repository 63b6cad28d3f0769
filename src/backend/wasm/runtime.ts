// The WebAssembly runtime of the fast backend: one linear memory shared by every kernel module (operands
// are copied in and results out around each call, so tensors stay ordinary garbage-collected arrays),
// feature detection, and module instantiation that degrades gracefully (no WebAssembly, no SIMD, or a
// browser main thread that refuses synchronous compilation of larger modules).
import { assemble, Func, V128 } from "./emit.js";
import { mathImports } from "./vmath.js";

const hasWasm = typeof WebAssembly === "object" && typeof WebAssembly.Memory === "function";

let memory: WebAssembly.Memory | null = null;

/** The shared memory, grown to at least `bytes`. Views of it must be re-created after every call. */
export function memoryOf(bytes: number): WebAssembly.Memory {
  if (memory === null) memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
  return memory;
}

let simd: boolean | undefined;
/** Whether this engine runs WebAssembly fixed-width SIMD. */
export function simdSupported(): boolean {
  if (simd === undefined) {
    simd = false;
    if (hasWasm && !disabled()) {
      try {
        const f = new Func("t", [], [V128]);
        f.i32(0).simd(0x11 /* i32x4.splat */);
        simd = WebAssembly.validate(assemble([f]) as BufferSource);
      } catch {
        simd = false;
      }
    }
  }
  return simd;
}

/** NABLA_WASM=0 in the environment turns every WebAssembly kernel off (JS kernels only). */
function disabled(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.NABLA_WASM === "0";
}

/**
 * Instantiates `bytes` against the shared memory. Returns the exports now when synchronous compilation is
 * allowed; otherwise compiles in the background, calls `onReady` later, and returns null meanwhile.
 */
let syncRefused = false;
export function instantiate(
  bytes: Uint8Array,
  onReady?: (exports: WebAssembly.Exports) => void,
): WebAssembly.Exports | null {
  const imports = { env: { memory: memoryOf(65536) }, math: mathImports() };
  try {
    // Once refused (a Content-Security-Policy without 'wasm-unsafe-eval', or a size limit on the main
    // thread), do not ask again for every kernel.
    if (syncRefused) throw new Error("synchronous compilation refused");
    const module = new WebAssembly.Module(bytes as BufferSource);
    return new WebAssembly.Instance(module, imports).exports;
  } catch {
    syncRefused = true;
    if (onReady)
      WebAssembly.instantiate(bytes as BufferSource, imports).then(
        (r) => onReady(r.instance.exports),
        () => {},
      );
    return null;
  }
}
