// The multithreaded matrix product (src/backend/threads) against the single-threaded WebAssembly kernel:
// results must be identical bit for bit (both dtypes, odd sizes, transposed operands, batches), small
// products must stay single-threaded, a process that used the pool must exit on its own, and NABLA_THREADS=1
// must fall back to one thread.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { THREAD_MIN_WORK, threadedMatmul, threadsReady } from "../src/backend/threads/matmul.js";
import { threadCount } from "../src/backend/threads/pool.js";
import { wasmMatmul } from "../src/backend/wasm/matmul.js";
import { simdSupported } from "../src/backend/wasm/runtime.js";
import { makeRng } from "../src/numeric/rng.js";

const rng = makeRng(4321);
const canThread = simdSupported() && threadCount() > 1 && typeof SharedArrayBuffer === "function";

function random(Arr: Float32ArrayConstructor | Float64ArrayConstructor, n: number) {
  const r = new Arr(n);
  for (let i = 0; i < n; i++) r[i] = rng.uniform() * 4 - 2;
  return r;
}

function firstDifference(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) return -2;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return i;
  return -1;
}

describe.skipIf(!canThread)("threaded matrix product", () => {
  beforeAll(async () => {
    expect(await threadsReady()).toBe(true);
  });

  // [B, M, K, N, tA, tB]: odd sizes, fewer rows than a tile split, transposed operands, several k blocks.
  const shapes: [number, number, number, number, boolean, boolean][] = [
    [1, 163, 161, 165, false, false],
    [1, 257, 131, 127, false, false],
    [1, 13, 2053, 163, false, false],
    [3, 130, 300, 111, false, false],
    [2, 203, 517, 41, true, false],
    [2, 97, 601, 73, false, true],
    [1, 301, 257, 259, true, true],
    [1, 512, 512, 512, false, false],
  ];
  for (const dtype of ["float32", "float64"] as const)
    for (const [B, M, K, N, tA, tB] of shapes)
      it(`${dtype} [${B}] ${M}×${K}·${K}×${N}${tA ? " tA" : ""}${tB ? " tB" : ""}`, () => {
        expect(M * K * N).toBeGreaterThanOrEqual(THREAD_MIN_WORK[dtype === "float32" ? "f32" : "f64"]);
        const Arr = dtype === "float32" ? Float32Array : Float64Array;
        const a = random(Arr, B * M * K);
        const b = random(Arr, B * K * N);
        const single = new Arr(B * M * N);
        const threaded = new Arr(B * M * N).fill(Number.NaN);
        expect(wasmMatmul(a, tA, b, tB, single, B, M, K, N)).toBe(true);
        expect(threadedMatmul(a, tA, b, tB, threaded, B, M, K, N)).toBe(true);
        expect(firstDifference(threaded, single)).toBe(-1);
      });

  it("leaves small products and other dtypes to the single-threaded kernels", () => {
    const a = random(Float32Array, 64 * 64);
    const c = new Float32Array(64 * 64);
    expect(threadedMatmul(a, false, a, false, c, 1, 64, 64, 64)).toBe(false);
    const big = new Int32Array(256 * 256);
    expect(threadedMatmul(big, false, big, false, new Int32Array(256 * 256), 1, 256, 256, 256)).toBe(false);
  });
});

/** Runs a script (TypeScript, through tsx) in a child node process with `env`; returns status, output, time. */
function runChild(source: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "nabla-threads-"));
  try {
    const file = join(dir, "child.mts");
    writeFileSync(file, source);
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", file], {
      cwd: resolve(__dirname, ".."),
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 30_000,
    });
    return { status: r.status, signal: r.signal, out: r.stdout + r.stderr, ms: Date.now() - t0 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const src = (p: string) => JSON.stringify(pathToFileURL(resolve(__dirname, "..", p)).href);
// One product through the fast backend's dot_general, compared with the single-threaded kernel.
const childScript = (awaitPool: boolean) => `
import { dotGeneralData } from ${src("src/backend/fast/matmul.ts")};
import { threadedMatmul, threadsReady } from ${src("src/backend/threads/matmul.ts")};
import { wasmMatmul } from ${src("src/backend/wasm/matmul.ts")};
const ready = ${awaitPool ? "await threadsReady()" : "false"};
const n = 192;
const a = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i));
const b = Float32Array.from({ length: n * n }, (_, i) => Math.cos(i));
const params = { lhsContract: [1], rhsContract: [0], lhsBatch: [], rhsBatch: [] };
const c = dotGeneralData(a, [n, n], b, [n, n], params, { shape: [n, n], dtype: "float32", weak: false });
const want = new Float32Array(n * n);
wasmMatmul(a, false, b, false, want, 1, n, n, n);
const same = c.every((v, i) => Object.is(v, want[i]));
const threaded = threadedMatmul(a, false, b, false, new Float32Array(n * n), 1, n, n, n);
console.log(JSON.stringify({ ready, same, threaded }));
`;

describe.skipIf(!simdSupported())("thread pool lifetime and fallback", () => {
  it.skipIf(!canThread)("a process that ran threaded products exits on its own", () => {
    const r = runChild(childScript(true), { NABLA_THREADS: "2" });
    expect(r.signal).toBe(null);
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim().split("\n").at(-1)!)).toEqual({ ready: true, same: true, threaded: true });
    expect(r.ms).toBeLessThan(10_000);
  });

  it.skipIf(!canThread)("a process whose first large product started the workers exits on its own", () => {
    const r = runChild(childScript(false), { NABLA_THREADS: "2" });
    expect(r.signal).toBe(null);
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim().split("\n").at(-1)!).same).toBe(true);
    expect(r.ms).toBeLessThan(10_000);
  });

  it("NABLA_THREADS=1 runs single-threaded", () => {
    const r = runChild(childScript(true), { NABLA_THREADS: "1" });
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim().split("\n").at(-1)!)).toEqual({
      ready: false,
      same: true,
      threaded: false,
    });
  });
});
