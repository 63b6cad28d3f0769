// The per-job drivers of the pool's kernels, as real functions: the calling thread runs them directly, and
// their source (Function.prototype.toString, which survives bundling and minification as long as they stay
// self-contained) goes to the workers. A browser worker cannot compile source under a Content-Security-Policy
// without 'unsafe-eval', so the pool writes these into the worker's own script instead (pool.ts).

/**
 * The matrix product's driver: every k block of rows tiles [it0, it1).
 * params: f64, tA, tB, K, KC, npanels, lda, ldb, ldc (bytes), offA, offB, offAp, offBp, offC, it0, it1.
 */
// biome-ignore lint/suspicious/noExplicitAny: the kernel's exports, untyped on purpose (plain JavaScript)
export function matmulDriver(k: any, p: ArrayLike<number>): void {
  const f64 = p[0];
  const tA = p[1];
  const tB = p[2];
  const K = p[3]!;
  const KC = p[4]!;
  const npanels = p[5];
  const lda = p[6]!;
  const ldb = p[7]!;
  const ldc = p[8]!;
  const offA = p[9]!;
  const offB = p[10]!;
  const offAp = p[11];
  const offBp = p[12];
  const offC = p[13]!;
  const it0 = p[14]!;
  const it1 = p[15]!;
  const eb = f64 ? 8 : 4;
  const mr = 4;
  const packA = f64 ? k.packA_f64 : k.packA_f32;
  const packB = f64 ? k.packB_f64 : k.packB_f32;
  const gemm = f64 ? k.gemm_f64 : k.gemm_f32;
  const n = it1 - it0;
  if (n <= 0) return;
  const a0 = tA ? offA + it0 * mr * eb : offA + it0 * mr * lda;
  for (let pc = 0; pc < K; pc += KC) {
    const kc = Math.min(KC, K - pc);
    packA(tA ? a0 + pc * lda : a0 + pc * eb, lda, offAp, n, kc, tA);
    packB(offB + (tB ? pc * eb : pc * ldb), ldb, offBp, npanels, kc, tB);
    gemm(offAp, offBp, offC + it0 * mr * ldc, ldc, n, npanels, kc, pc > 0 ? 1 : 0);
  }
}

/** A fused loop's driver: `k(start, end, pointers…)` (a WebAssembly export ignores surplus arguments). */
// biome-ignore lint/suspicious/noExplicitAny: as above
export function loopDriver(k: any, p: ArrayLike<number>): void {
  k.k.apply(null, p);
}

/** Sources of the drivers above, known to every browser worker. */
export const DRIVERS: readonly string[] = [matmulDriver.toString(), loopDriver.toString()];
