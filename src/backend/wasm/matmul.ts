// Matrix product in WebAssembly SIMD, float32 and float64 (Goto-style): for each block of KC rows of B,
// B is packed into KC×NR column panels and A into MR-row panels (both zero padded), and an MR×NR register
// tile of accumulators runs over the block; row tiles are walked in groups that stay in L2 for every
// panel. Accumulators start from the C computed so far, so each output is summed over k in order from zero
// (no FMA): float64 results equal the reference's bit for bit.
import type { TypedArray } from "../../core/dtype.js";
import { assemble, Func, I32, SIMD, V128 } from "./emit.js";
import { instantiate, memoryOf, simdSupported } from "./runtime.js";

export type DT = "f32" | "f64";
export interface Geometry {
  /** Bytes per element and lanes per vector. */
  eb: number;
  lanes: number;
  /** Rows per tile and vectors per tile row (NR = nrv · lanes columns). */
  mr: number;
  nrv: number;
  /** Rows of B per packed block. */
  kc: number;
}

export const GEOM: Record<DT, Geometry> = {
  f32: { eb: 4, lanes: 4, mr: 4, nrv: 2, kc: 256 },
  f64: { eb: 8, lanes: 2, mr: 4, nrv: 2, kc: 256 },
};
/** Row tiles per L2 block. */
const MC_TILES = 16;

const ADD = { f32: SIMD.f32x4Add, f64: SIMD.f64x2Add };
const MUL = { f32: SIMD.f32x4Mul, f64: SIMD.f64x2Mul };
const SPLAT = { f32: SIMD.load32Splat, f64: SIMD.load64Splat };
const LOAD = { f32: 0x2a, f64: 0x2b };
const STORE = { f32: 0x38, f64: 0x39 };
const ALIGN = { f32: 2, f64: 3 };

/** tile(pa, pb, pc, ldc, kc, accumulate): C[MR×NR] (+)= Apanel·Bpanel. */
function tileFunc(dt: DT): Func {
  const { eb, lanes, mr, nrv } = GEOM[dt];
  const nr = nrv * lanes;
  const f = new Func(`tile_${dt}`, [I32, I32, I32, I32, I32, I32]);
  const [pa, pb, pc, ldc, kc, accumulate] = [0, 1, 2, 3, 4, 5];
  const acc = Array.from({ length: mr * nrv }, () => f.local(V128));
  const b = Array.from({ length: nrv }, () => f.local(V128));
  const a = f.local(V128);
  const kk = f.local(I32);
  const row = (r: number) => f.get(pc).get(ldc).i32(r).i32Mul().i32Add();
  f.get(accumulate).ifElse(
    () => {
      for (let r = 0; r < mr; r++)
        for (let v = 0; v < nrv; v++)
          row(r)
            .vload(v * 16)
            .set(acc[r * nrv + v]!);
    },
    () => {
      for (const x of acc) f.vconst([0, 0, 0, 0]).set(x);
    },
  );
  f.get(kc).set(kk);
  f.block(() => {
    f.loop(() => {
      f.get(kk).op(0x45 /* eqz */).brIf(1);
      for (let v = 0; v < nrv; v++)
        f.get(pb)
          .vload(v * 16)
          .set(b[v]!);
      for (let r = 0; r < mr; r++) {
        f.get(pa)
          .simd(SPLAT[dt], ALIGN[dt], r * eb)
          .set(a);
        for (let v = 0; v < nrv; v++) {
          const c = acc[r * nrv + v]!;
          f.get(c).get(a).get(b[v]!).simd(MUL[dt]).simd(ADD[dt]).set(c);
        }
      }
      f.get(pa)
        .i32(mr * eb)
        .i32Add()
        .set(pa);
      f.get(pb)
        .i32(nr * eb)
        .i32Add()
        .set(pb);
      f.get(kk).i32(1).i32Sub().set(kk).br(0);
    });
  });
  for (let r = 0; r < mr; r++)
    for (let v = 0; v < nrv; v++)
      row(r)
        .get(acc[r * nrv + v]!)
        .vstore(v * 16);
  return f;
}

/** gemm(pa, pb, pc, ldc, mtiles, npanels, kc, accumulate): every tile of one KC block, L2-blocked. */
function gemmFunc(dt: DT, tileIndex: number): Func {
  const { eb, lanes, mr, nrv } = GEOM[dt];
  const nr = nrv * lanes;
  const f = new Func(`gemm_${dt}`, [I32, I32, I32, I32, I32, I32, I32, I32]);
  const [pa, pb, pc, ldc, mtiles, npanels, kc, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7];
  const ic = f.local(I32);
  const icEnd = f.local(I32);
  const jp = f.local(I32);
  const it = f.local(I32);
  f.forLoop(
    ic,
    () => f.i32(0),
    mtiles,
    MC_TILES,
    () => {
      // icEnd = min(ic + MC_TILES, mtiles)
      f.get(ic)
        .i32(MC_TILES)
        .i32Add()
        .get(mtiles)
        .get(ic)
        .i32(MC_TILES)
        .i32Add()
        .get(mtiles)
        .op(0x48)
        .op(0x1b);
      f.set(icEnd);
      f.forLoop(
        jp,
        () => f.i32(0),
        npanels,
        1,
        () => {
          f.forLoop(
            it,
            () => f.get(ic),
            icEnd,
            1,
            () => {
              // tile(pa + it·kc·MR·eb, pb + jp·kc·NR·eb, pc + it·MR·ldc + jp·NR·eb, ldc, kc, accumulate)
              f.get(pa)
                .get(it)
                .get(kc)
                .i32Mul()
                .i32(mr * eb)
                .i32Mul()
                .i32Add();
              f.get(pb)
                .get(jp)
                .get(kc)
                .i32Mul()
                .i32(nr * eb)
                .i32Mul()
                .i32Add();
              f.get(pc).get(it).get(ldc).i32(mr).i32Mul().i32Mul().i32Add();
              f.get(jp)
                .i32(nr * eb)
                .i32Mul()
                .i32Add();
              f.get(ldc).get(kc).get(accumulate).call(tileIndex);
            },
          );
        },
      );
    },
  );
  return f;
}

/**
 * packA(src, lda, dst, mtiles, kc, transposed): MR-row panels, k-major. Untransposed, element (i, k) is at
 * src + i·lda + k·eb; transposed, at src + k·lda + i·eb.
 */
function packAFunc(dt: DT): Func {
  const { eb, mr } = GEOM[dt];
  const f = new Func(`packA_${dt}`, [I32, I32, I32, I32, I32, I32]);
  const [src, lda, dst, mtiles, kc, transposed] = [0, 1, 2, 3, 4, 5];
  const it = f.local(I32);
  const k = f.local(I32);
  const q = f.local(I32);
  f.forLoop(
    it,
    () => f.i32(0),
    mtiles,
    1,
    () => {
      f.forLoop(
        k,
        () => f.i32(0),
        kc,
        1,
        () => {
          f.get(transposed).ifElse(
            () => {
              // q = src + k·lda + it·MR·eb; MR consecutive elements.
              f.get(src)
                .get(k)
                .get(lda)
                .i32Mul()
                .i32Add()
                .get(it)
                .i32(mr * eb)
                .i32Mul()
                .i32Add()
                .set(q);
              for (let r = 0; r < mr; r++)
                f.get(dst)
                  .get(q)
                  .op(LOAD[dt], ALIGN[dt], r * eb)
                  .op(STORE[dt], ALIGN[dt], r * eb);
            },
            () => {
              // q = src + it·MR·lda + k·eb; rows r·lda apart.
              f.get(src)
                .get(it)
                .i32(mr)
                .i32Mul()
                .get(lda)
                .i32Mul()
                .i32Add()
                .get(k)
                .i32(eb)
                .i32Mul()
                .i32Add()
                .set(q);
              for (let r = 0; r < mr; r++) {
                f.get(dst).get(q);
                if (r > 0) f.get(lda).i32(r).i32Mul().i32Add();
                f.op(LOAD[dt], ALIGN[dt], 0).op(STORE[dt], ALIGN[dt], r * eb);
              }
            },
          );
          f.get(dst)
            .i32(mr * eb)
            .i32Add()
            .set(dst);
        },
      );
    },
  );
  return f;
}

/**
 * packB(src, ldb, dst, npanels, kc, transposed): KC×NR panels. Untransposed, element (k, j) is at
 * src + k·ldb + j·eb; transposed, at src + j·ldb + k·eb.
 */
function packBFunc(dt: DT): Func {
  const { eb, lanes, nrv } = GEOM[dt];
  const nr = nrv * lanes;
  const f = new Func(`packB_${dt}`, [I32, I32, I32, I32, I32, I32]);
  const [src, ldb, dst, npanels, kc, transposed] = [0, 1, 2, 3, 4, 5];
  const jp = f.local(I32);
  const k = f.local(I32);
  const q = f.local(I32);
  f.forLoop(
    jp,
    () => f.i32(0),
    npanels,
    1,
    () => {
      f.forLoop(
        k,
        () => f.i32(0),
        kc,
        1,
        () => {
          f.get(transposed).ifElse(
            () => {
              // q = src + jp·NR·ldb + k·eb; columns ldb apart.
              f.get(src)
                .get(jp)
                .i32(nr)
                .i32Mul()
                .get(ldb)
                .i32Mul()
                .i32Add()
                .get(k)
                .i32(eb)
                .i32Mul()
                .i32Add()
                .set(q);
              for (let c = 0; c < nr; c++) {
                f.get(dst).get(q);
                if (c > 0) f.get(ldb).i32(c).i32Mul().i32Add();
                f.op(LOAD[dt], ALIGN[dt], 0).op(STORE[dt], ALIGN[dt], c * eb);
              }
            },
            () => {
              // q = src + k·ldb + jp·NR·eb; NR consecutive elements.
              f.get(src)
                .get(k)
                .get(ldb)
                .i32Mul()
                .i32Add()
                .get(jp)
                .i32(nr * eb)
                .i32Mul()
                .i32Add()
                .set(q);
              for (let v = 0; v < nrv; v++)
                f.get(dst)
                  .get(q)
                  .vload(v * 16)
                  .vstore(v * 16);
            },
          );
          f.get(dst)
            .i32(nr * eb)
            .i32Add()
            .set(dst);
        },
      );
    },
  );
  return f;
}

type WasmFn = (...a: number[]) => void;
interface Kernels {
  gemm: Record<DT, WasmFn>;
  packA: Record<DT, WasmFn>;
  packB: Record<DT, WasmFn>;
}

let kernels: Kernels | null | undefined;

/**
 * The kernel module: exports gemm_, packA_ and packB_ for f32 and f64. With `sharedMaxPages` it imports a
 * shared memory (for the thread pool in ../threads); the code is the same.
 */
export function buildMatmulModule(sharedMaxPages?: number): Uint8Array {
  const funcs: Func[] = [];
  for (const dt of ["f32", "f64"] as const) {
    const ti = funcs.length;
    funcs.push(tileFunc(dt), gemmFunc(dt, ti), packAFunc(dt), packBFunc(dt));
  }
  return assemble(funcs, sharedMaxPages);
}
const build = () => buildMatmulModule();

function load(): Kernels | null {
  if (kernels !== undefined) return kernels;
  kernels = null;
  if (!simdSupported()) return null;
  const wrap = (e: WebAssembly.Exports): Kernels => {
    const g = (n: string) => e[n] as WasmFn;
    return {
      gemm: { f32: g("gemm_f32"), f64: g("gemm_f64") },
      packA: { f32: g("packA_f32"), f64: g("packA_f64") },
      packB: { f32: g("packB_f32"), f64: g("packB_f64") },
    };
  };
  const e = instantiate(build(), (later) => {
    kernels = wrap(later);
  });
  if (e) kernels = wrap(e);
  return kernels;
}

/** Whether the WebAssembly matrix product is ready. */
export const wasmMatmulReady = (): boolean => load() !== null;

export const align = (n: number) => (n + 63) & ~63;

/**
 * Copies batch `bi` of the operands into `view` (a view of WebAssembly memory): A at element 0 as [Mp, K]
 * rows (zero rows below M) or transposed [K, Mp] (zero columns right of M); B at element `bBase` as [K, Np]
 * (zero columns right of N) or transposed [Np, K] (zero rows below N).
 */
export function stageOperands(
  view: Float32Array | Float64Array,
  a: TypedArray,
  tA: boolean,
  b: TypedArray,
  tB: boolean,
  bi: number,
  M: number,
  K: number,
  N: number,
  Mp: number,
  Np: number,
  bBase: number,
): void {
  const A0 = bi * M * K;
  const B0 = bi * K * N;
  if (!tA || Mp === M) {
    view.set(a.subarray(A0, A0 + M * K), 0);
    view.fill(0, M * K, Mp * K);
  } else
    for (let kk = 0; kk < K; kk++) {
      view.set(a.subarray(A0 + kk * M, A0 + (kk + 1) * M), kk * Mp);
      view.fill(0, kk * Mp + M, (kk + 1) * Mp);
    }
  if (tB || Np === N) {
    view.set(b.subarray(B0, B0 + N * K), bBase);
    view.fill(0, bBase + N * K, bBase + Np * K);
  } else
    for (let kk = 0; kk < K; kk++) {
      view.set(b.subarray(B0 + kk * N, B0 + (kk + 1) * N), bBase + kk * Np);
      view.fill(0, bBase + kk * Np + N, bBase + (kk + 1) * Np);
    }
}

/** The kernel's dtype for an output array, or null when it has none. */
export const matmulDtype = (c: TypedArray): DT | null =>
  c instanceof Float32Array ? "f32" : c instanceof Float64Array ? "f64" : null;

/** How an M×K by K×N product is cut into register tiles and panels (shared by the one- and two-thread paths). */
export function tiling(dt: DT, M: number, K: number, N: number) {
  const { eb, lanes, mr, nrv, kc } = GEOM[dt];
  const nr = nrv * lanes;
  const mtiles = Math.ceil(M / mr);
  const npanels = Math.ceil(N / nr);
  const Mp = mtiles * mr;
  const Np = npanels * nr;
  // Rows of C a multiple of 1 KiB apart would share cache sets: pad them.
  const ldc = (Np * eb) % 1024 === 0 ? Np + nr : Np;
  return { eb, mr, nr, mtiles, npanels, Mp, Np, KC: kc, kcMax: Math.min(kc, K), ldc };
}

/**
 * c[b] = op(a[b])·op(b[b]) for float32 or float64 data, where op transposes when tA/tB (a is then stored
 * [K,M], b [N,K]). Returns false (and does nothing) when the WebAssembly kernel is not available.
 */
/**
 * A batched matrix product c[b] = op(a[b])·op(b[b]) of float32 or float64 data, op transposing when tA/tB
 * (a is then stored [K,M], b [N,K]); false (and nothing done) when the kernel cannot run it. The native,
 * threaded and WebAssembly kernels share this contract, so the dispatcher tries them in turn.
 */
export type MatmulKernel = (
  a: TypedArray,
  tA: boolean,
  b: TypedArray,
  tB: boolean,
  c: TypedArray,
  B: number,
  M: number,
  K: number,
  N: number,
) => boolean;

export const wasmMatmul: MatmulKernel = (a, tA, b, tB, c, B, M, K, N) => {
  const k = load();
  if (k === null) return false;
  const dt = matmulDtype(c);
  if (dt === null || K === 0) return false;
  const { eb, mtiles, npanels, Mp, Np, KC, kcMax, ldc } = tiling(dt, M, K, N);
  // Layout: A raw (padded to Mp rows or columns), B raw (padded to Np), packed A and B blocks, C (Mp × Np).
  const offB = align(Mp * K * eb);
  const offAp = offB + align(Np * K * eb);
  const offBp = offAp + align(Mp * kcMax * eb);
  const offC = offBp + align(Np * kcMax * eb);
  const total = offC + align(Mp * ldc * eb);
  if (total > 2 ** 31 - 65536) return false;
  const mem = memoryOf(total);
  const Arr = dt === "f32" ? Float32Array : Float64Array;
  for (let bi = 0; bi < B; bi++) {
    const view = new Arr(mem.buffer);
    stageOperands(view, a, tA, b, tB, bi, M, K, N, Mp, Np, offB / eb);
    const lda = (tA ? Mp : K) * eb;
    const ldb = (tB ? K : Np) * eb;
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      k.packA[dt](tA ? pc * lda : pc * eb, lda, offAp, mtiles, kc, tA ? 1 : 0);
      k.packB[dt](offB + (tB ? pc * eb : pc * ldb), ldb, offBp, npanels, kc, tB ? 1 : 0);
      k.gemm[dt](offAp, offBp, offC, ldc * eb, mtiles, npanels, kc, pc > 0 ? 1 : 0);
    }
    const out = new Arr(mem.buffer, offC, Mp * ldc);
    const C0 = bi * M * N;
    if (ldc === N) c.set(out.subarray(0, M * N), C0);
    else for (let i = 0; i < M; i++) c.set(out.subarray(i * ldc, i * ldc + N), C0 + i * N);
  }
  return true;
};
