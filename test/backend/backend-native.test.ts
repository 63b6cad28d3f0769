// The native matrix product (native/, src/backend/native). When the addon is built: every layout the fast
// backend passes (either operand transposed, batches, odd and thin sizes, k blocks) against a float64
// reference, float64 bit for bit and float32 to rounding, on one and two threads; dot_general through the
// fast backend against the reference backend. Always: the loader's fallbacks (NABLA_NATIVE=0, a missing or
// foreign file) and, in a child process with NABLA_NATIVE=0, products on the WebAssembly path.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fastBackend } from "../../src/backend/fast/index.js";
import {
  ADDON_PATH,
  loadAddon,
  NATIVE_VERSION,
  nativeAddon,
  nativeDisabled,
} from "../../src/backend/native/load.js";
import {
  NATIVE_MIN_WORK,
  NATIVE_THREAD_MIN_WORK,
  nativeMatmul,
  nativeThreads,
} from "../../src/backend/native/matmul.js";
import { referenceBackend } from "../../src/backend/reference/index.js";
import { threadCount } from "../../src/backend/threads/pool.js";
import { simdSupported } from "../../src/backend/wasm/runtime.js";
import type { DType, TypedArray } from "../../src/core/dtype.js";
import type { PrimParams } from "../../src/core/primitives.js";
import { sizeOf } from "../../src/core/shape.js";
import { ConcreteTensor } from "../../src/core/tensor.js";
import { makeRng } from "../../src/numeric/rng.js";
import { abstractEval } from "../../src/primitives/shape-rules.js";

const rng = makeRng(2024);
const root = resolve(__dirname, "../..");
const builtFile = join(root, "native", "build", "Release", "nabla_native.node");
const built = existsSync(builtFile);
const disabled = nativeDisabled(process.env);
const addon = nativeAddon();

type FloatArray = Float32Array | Float64Array;
type FloatArrayCtor = Float32ArrayConstructor | Float64ArrayConstructor;

function random(Arr: FloatArrayCtor, n: number): FloatArray {
  const r = new Arr(n);
  for (let i = 0; i < n; i++) r[i] = rng.uniform() * 2 - 1;
  return r;
}

/**
 * The product in float64, each output summed over k in order from zero (the reference backend's order), and
 * the sum of |a·b| over k per output (the scale of float32 rounding error).
 */
function reference(
  a: FloatArray,
  tA: boolean,
  b: FloatArray,
  tB: boolean,
  B: number,
  M: number,
  K: number,
  N: number,
) {
  const c = new Float64Array(B * M * N);
  const scale = new Float64Array(B * M * N);
  for (let bi = 0; bi < B; bi++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        let t = 0;
        for (let k = 0; k < K; k++) {
          const x = tA ? a[bi * M * K + k * M + i]! : a[bi * M * K + i * K + k]!;
          const y = tB ? b[bi * K * N + j * K + k]! : b[bi * K * N + k * N + j]!;
          s += x * y;
          t += Math.abs(x * y);
        }
        c[bi * M * N + i * N + j] = s;
        scale[bi * M * N + i * N + j] = t;
      }
  return { c, scale };
}

/** Index of the first element of `got` off from `want` by more than tol·scale (−1 when none). */
function firstOff(got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, tol: number) {
  for (let i = 0; i < want.length; i++) if (!(Math.abs(got[i]! - want[i]!) <= tol * scale[i]!)) return i;
  return -1;
}

/** Index of the first element that differs bit for bit (−1 when none). */
function firstDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  for (let i = 0; i < y.length; i++) if (!Object.is(x[i], y[i])) return i;
  return x.length === y.length ? -1 : y.length;
}

describe("native addon loader", () => {
  it("NABLA_NATIVE=0 (or false, no, off) turns the addon off", () => {
    for (const v of ["0", "false", "no", "off", " OFF "])
      expect(nativeDisabled({ NABLA_NATIVE: v }), v).toBe(true);
    for (const v of [undefined, "", "1", "yes"])
      expect(nativeDisabled({ NABLA_NATIVE: v }), String(v)).toBe(false);
    expect(loadAddon(ADDON_PATH, { NABLA_NATIVE: "0" })).toBeNull();
  });

  it("threads: large products split, mid-sized ones onto awake workers only, none with NABLA_THREADS=1", () => {
    const { cold, warm } = NATIVE_THREAD_MIN_WORK.f32;
    const saved = process.env.NABLA_THREADS;
    try {
      process.env.NABLA_THREADS = "2";
      expect(nativeThreads(false, cold, () => 0)).toBe(2);
      expect(nativeThreads(false, warm, () => 1)).toBe(2);
      expect(nativeThreads(false, warm, () => 0)).toBe(1);
      expect(nativeThreads(false, warm / 2, () => 1)).toBe(1);
      expect(nativeThreads(true, NATIVE_THREAD_MIN_WORK.f64.cold, () => 0)).toBe(2);
      process.env.NABLA_THREADS = "1";
      expect(threadCount()).toBe(1);
      expect(nativeThreads(false, cold * 64, () => 1)).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.NABLA_THREADS;
      else process.env.NABLA_THREADS = saved;
    }
  });

  it("a missing file or a module that is not the addon gives null, not an error", () => {
    expect(loadAddon("../../../native/build/Release/no-such-addon.node", {})).toBeNull();
    expect(loadAddon("../../../package.json", {})).toBeNull();
  });

  it("a module that does not report the operations it knows is not the addon", () => {
    const dir = mkdtempSync(join(tmpdir(), "nabla-addon-"));
    try {
      const fake = (ops: boolean) => {
        const file = join(dir, `fake-${ops}.cjs`);
        const f = "() => undefined";
        const members = `matmul: ${f}, fusedCompile: ${f}, fusedRun: ${f}, workersAwake: ${f}`;
        const list = ops ? `, fusedOps: () => ["add"]` : "";
        writeFileSync(
          file,
          `module.exports = { version: ${NATIVE_VERSION}, isa: "generic", ${members}${list} };`,
        );
        return file;
      };
      expect(loadAddon(fake(false), {})).toBeNull();
      expect(loadAddon(fake(true), {})?.fusedOps()).toEqual(["add"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!built || disabled)(
    !built
      ? "the built addon loads — skipped: native/build has no addon (node scripts/build-native.mjs builds it)"
      : disabled
        ? "the built addon loads — skipped: NABLA_NATIVE=0"
        : "the built addon loads (a build that exists must not be missed)",
    () => {
      const why =
        "native/build has an addon that does not load here (stale? `node scripts/build-native.mjs`)";
      expect(loadAddon(ADDON_PATH, {}), why).not.toBeNull();
      expect(nativeAddon(), why).not.toBeNull();
    },
  );
});

describe.skipIf(addon === null)(
  addon === null
    ? "native matrix product — skipped: the addon is not built (node scripts/build-native.mjs) or NABLA_NATIVE=0"
    : `native matrix product (${addon.isa} kernels)`,
  () => {
    const native = addon!;

    // [B, M, K, N]: scalars, vectors on either side, K = 1, fewer rows than a register tile, odd edges,
    // several k blocks (K > 384), row blocks (M > 192), column blocks (N > 4096), batches.
    const shapes: [number, number, number, number][] = [
      [1, 1, 1, 1],
      [1, 1, 37, 1],
      [1, 1, 300, 257],
      [2, 1, 129, 70],
      [1, 97, 211, 1],
      [3, 70, 1, 50],
      [1, 5, 401, 77],
      [2, 11, 90, 33],
      [1, 13, 17, 19],
      [3, 37, 300, 45],
      [1, 130, 770, 66],
      [1, 403, 67, 129],
      [1, 3, 20, 4103],
      [4, 25, 31, 29],
    ];
    for (const [name, Arr] of [
      ["float32", Float32Array],
      ["float64", Float64Array],
    ] as const)
      it(`${name}: every layout and shape against a float64 reference, one and two threads alike`, () => {
        for (const [B, M, K, N] of shapes)
          for (const tA of [false, true])
            for (const tB of [false, true]) {
              const what = `${name} [${B}] ${M}×${K}·${K}×${N}${tA ? " tA" : ""}${tB ? " tB" : ""}`;
              const a = random(Arr, B * M * K);
              const b = random(Arr, B * K * N);
              const want = reference(a, tA, b, tB, B, M, K, N);
              const one = new Arr(B * M * N).fill(Number.NaN);
              const two = new Arr(B * M * N).fill(Number.NaN);
              expect(native.matmul(a, tA, b, tB, one, B, M, K, N, 1), what).toBe(true);
              expect(native.matmul(a, tA, b, tB, two, B, M, K, N, 2), what).toBe(true);
              // Threads split rows or columns, never k: the same sums in the same order.
              expect(firstDifference(two, one), `${what}: one vs two threads`).toBe(-1);
              if (Arr === Float64Array) expect(firstDifference(one, want.c), what).toBe(-1);
              else expect(firstOff(one, want.c, want.scale, 1e-6), what).toBe(-1);
            }
      });

    it("a product with K = 0 is zeros; other array types and mixed types are declined", () => {
      const c = new Float32Array(6).fill(Number.NaN);
      expect(native.matmul(new Float32Array(0), false, new Float32Array(0), false, c, 1, 2, 0, 3, 1)).toBe(
        true,
      );
      expect([...c]).toEqual([0, 0, 0, 0, 0, 0]);
      const i = new Int32Array(4);
      expect(native.matmul(i, false, i, false, new Int32Array(4), 1, 2, 2, 2, 1)).toBe(false);
      const f = new Float32Array(4);
      expect(native.matmul(f, false, new Float64Array(4), false, new Float32Array(4), 1, 2, 2, 2, 1)).toBe(
        false,
      );
      expect(nativeMatmul(f, false, new Float64Array(4), false, new Float32Array(4), 1, 2, 2, 2)).toBe(false);
    });

    it("arrays shorter than their sizes are refused with an error, not read out of bounds", () => {
      const f = new Float32Array(4);
      expect(() => native.matmul(f, false, f, false, new Float32Array(4), 1, 2, 3, 2, 1)).toThrow(TypeError);
      expect(() => native.matmul(f, false, f, false, new Float32Array(3), 1, 2, 2, 2, 1)).toThrow(TypeError);
    });

    describe("dot_general on the fast backend", () => {
      afterEach(() => {
        vi.restoreAllMocks();
      });
      const dn = (lc: number[], rc: number[], lb: number[] = [], rb: number[] = []) => ({
        lhsContract: lc,
        rhsContract: rc,
        lhsBatch: lb,
        rhsBatch: rb,
      });
      const tensor = (shape: number[], dtype: DType) => {
        const Arr = dtype === "float32" ? Float32Array : Float64Array;
        return new ConcreteTensor(random(Arr, sizeOf(shape)), { shape, dtype, weak: false });
      };
      // Plain, transposed on either side (read in place), batched, and a layout that needs a copy.
      const cases: [number[], number[], PrimParams["dot_general"]][] = [
        [[33, 65], [65, 17], dn([1], [0])],
        [[65, 33], [17, 65], dn([0], [1])],
        [[1, 300], [300, 200], dn([1], [0])],
        [[200, 300], [300], dn([1], [0])],
        [[3, 40, 50], [3, 50, 30], dn([2], [1], [0], [0])],
        [[40, 3, 50], [30, 50, 3], dn([2], [1], [1], [2])],
        [[2, 24, 3, 20], [24, 20, 2, 31], dn([1, 3], [0, 1], [0], [2])],
      ];
      for (const dtype of ["float32", "float64"] as const)
        it(`${dtype}: equals the reference backend${dtype === "float64" ? " bit for bit" : " to rounding"}`, () => {
          const calls = vi.spyOn(native, "matmul");
          for (const [s1, s2, p] of cases) {
            const x = tensor(s1, dtype);
            const y = tensor(s2, dtype);
            const out = abstractEval("dot_general", [x.aval, y.aval], p);
            const got = fastBackend.kernels.dot_general([x, y], p, out);
            const want = referenceBackend.kernels.dot_general([x, y], p, out);
            const what = `[${s1}]·[${s2}]`;
            if (dtype === "float64") expect(firstDifference(got, want), what).toBe(-1);
            else {
              const K = p.lhsContract.reduce((k, i) => k * s1[i]!, 1);
              const scale = new Float64Array(want.length).fill(K);
              expect(firstOff(got, want, scale, 1e-6), what).toBe(-1);
            }
          }
          expect(calls).toHaveBeenCalledTimes(cases.length);
        });

      it(`products below ${NATIVE_MIN_WORK} multiply-adds stay in JavaScript`, () => {
        const calls = vi.spyOn(native, "matmul");
        const x = tensor([8, 8], "float32");
        const p = dn([1], [0]);
        const out = abstractEval("dot_general", [x.aval, x.aval], p);
        const got: TypedArray = fastBackend.kernels.dot_general([x, x], p, out);
        expect(got.length).toBe(64);
        expect(calls).not.toHaveBeenCalled();
      });
    });
  },
);

/** Runs a TypeScript script (through tsx) in a child node process with `env`; returns status and output. */
function runChild(source: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "nabla-native-"));
  try {
    const file = join(dir, "child.mts");
    writeFileSync(file, source);
    const r = spawnSync(process.execPath, ["--import", "tsx", file], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 30_000,
    });
    return { status: r.status, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const src = (p: string) => JSON.stringify(pathToFileURL(join(root, p)).href);

describe.skipIf(!simdSupported())("without the addon", () => {
  it("NABLA_NATIVE=0 runs products on the WebAssembly kernel", () => {
    const r = runChild(
      `
import { dotGeneralData } from ${src("src/backend/fast/matmul.ts")};
import { nativeAddon } from ${src("src/backend/native/load.ts")};
import { wasmMatmul } from ${src("src/backend/wasm/matmul.ts")};
const n = 96;
const a = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));
const b = Float32Array.from({ length: n * n }, (_, i) => Math.cos(i));
const params = { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] };
const c = dotGeneralData(a, [n, n], b, [n, n], params, { shape: [n, n], dtype: "float32", weak: false });
const want = new Float32Array(n * n);
wasmMatmul(a, false, b, false, want, 1, n, n, n);
console.log(JSON.stringify({ addon: nativeAddon() !== null, same: c.every((v, i) => Object.is(v, want[i])) }));
`,
      { NABLA_NATIVE: "0", NABLA_THREADS: "1" },
    );
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim().split("\n").at(-1)!)).toEqual({ addon: false, same: true });
  });
});
