// The multithreaded matrix product and fused elementwise kernels (src/backend/threads) against their
// single-threaded WebAssembly kernels: results must be identical bit for bit (both dtypes, odd sizes,
// transposed operands, batches; fused loops with scalar, shifted and padded inputs and new or provided
// outputs), small work must stay single-threaded, a process that used the pool must exit on its own, and
// NABLA_THREADS=1 must fall back to one thread.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FusedSpec } from "../../src/backend/fusion.js";
import { splitPolicy, splitStats } from "../../src/backend/threads/elementwise.js";
import { THREAD_MIN_WORK, threadedMatmul, threadsReady } from "../../src/backend/threads/matmul.js";
import { createNodePool, threadCount } from "../../src/backend/threads/pool.js";
import { compileSimdF32 } from "../../src/backend/wasm/elementwise.js";
import { assemble, Func, I32 } from "../../src/backend/wasm/emit.js";
import { wasmMatmul } from "../../src/backend/wasm/matmul.js";
import { simdSupported } from "../../src/backend/wasm/runtime.js";
import { makeRng } from "../../src/numeric/rng.js";

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

describe.skipIf(!canThread)("thread pool", () => {
  it("runs kernels loaded at any time, and takes back jobs no worker has started", async () => {
    const pool = createNodePool(1)!;
    // A job posted before the worker has even started is run here.
    let stolen = -1;
    expect(
      pool.run(
        0,
        [[]],
        () => {},
        (w) => (stolen = w),
      ),
    ).toBe(true);
    expect(stolen).toBe(0);
    expect(await pool.whenReady).toBe(true);
    // store(address, value), loaded after the start, run by the worker.
    const f = new Func("k", [I32, I32]);
    f.get(0).get(1).op(0x36, 2, 0);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const module = new WebAssembly.Module(assemble([f], 1) as BufferSource);
    const id = pool.load(module, memory, "function run(k, p) { k.k(p[0], p[1]); }");
    const view = new Int32Array(memory.buffer);
    for (let i = 1; i <= 3; i++) {
      expect(pool.run(id, [[8 * i, 40 + i]], () => {})).toBe(true);
      expect(view[2 * i]).toBe(40 + i);
    }
  });
});

/** A float32 spec over n elements: sin/cos/exp of shifted reads of one array, a scalar, a padded read. */
function fusedSpec(n: number, outputs: number[]): FusedSpec {
  const f32 = "float32" as const;
  return {
    shape: [n],
    inputs: [
      { dtype: f32, offset: 0, strides: [1] },
      { dtype: f32, offset: 3, strides: [1] },
      { dtype: f32, offset: 5, strides: [0] },
      { dtype: f32, offset: -2, strides: [1], bounds: { lo: [2], hi: [n - 7] } },
    ],
    nodes: [
      { prim: "sin", args: [{ input: 0 }], dtype: f32 },
      { prim: "cos", args: [{ input: 1 }], dtype: f32 },
      { prim: "mul", args: [{ node: 0 }, { input: 2 }], dtype: f32 },
      { prim: "exp", args: [{ node: 1 }], dtype: f32 },
      { prim: "add", args: [{ node: 3 }, { input: 3 }], dtype: f32 },
      { prim: "log1p", args: [{ node: 4 }], dtype: f32 },
    ],
    outputs: outputs.map((k) => ({ value: { node: k }, dtype: f32, size: n })),
  };
}

describe.skipIf(!canThread)("threaded fused elementwise kernels", () => {
  beforeAll(async () => {
    expect(await threadsReady()).toBe(true);
    // Split every large call, even when this machine is busy (splitting pays or not; the bits are the same).
    splitPolicy.always = true;
  });
  afterAll(() => {
    splitPolicy.always = false;
  });

  for (const n of [65536, 100003, 1_000_001])
    for (const outputs of [[5], [2, 5, 1]])
      it(`n = ${n}, ${outputs.length} output(s), new and provided arrays`, () => {
        const spec = fusedSpec(n, outputs);
        const x = Float32Array.from({ length: n + 16 }, () => rng.uniform() * 40 - 20);
        const ins = [x, x, x, x];
        const single = compileSimdF32(spec, false)!(ins);
        const threaded = compileSimdF32(spec)!;
        const before = { ...splitStats };
        const fresh = threaded(ins);
        expect(splitStats.calls).toBe(before.calls + 1);
        const provided = outputs.map(() => new Float32Array(n).fill(Number.NaN));
        threaded(ins, provided);
        expect(splitStats.calls).toBe(before.calls + 2);
        single.forEach((want, j) => {
          expect(firstDifference(fresh[j]!, want), `new output ${j}`).toBe(-1);
          expect(firstDifference(provided[j]!, want), `provided output ${j}`).toBe(-1);
        });
      });

  it("leaves cheap loops to the calling thread", () => {
    const n = 2 ** 17;
    const x = Float32Array.from({ length: n }, () => rng.uniform());
    const spec: FusedSpec = {
      shape: [n],
      inputs: [{ dtype: "float32", offset: 0, strides: [1] }],
      nodes: [{ prim: "add", args: [{ input: 0 }, { input: 0 }], dtype: "float32" }],
      outputs: [{ value: { node: 0 }, dtype: "float32", size: n }],
    };
    const before = splitStats.calls;
    compileSimdF32(spec)!([x]);
    expect(splitStats.calls).toBe(before);
  });
});

/** Runs a script (TypeScript, through tsx) in a child node process with `env`; returns status and output. */
function runChild(source: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "nabla-threads-"));
  try {
    const file = join(dir, "child.mts");
    writeFileSync(file, source);
    const r = spawnSync(process.execPath, ["--import", "tsx", file], {
      cwd: resolve(__dirname, "../.."),
      // The pool's WebAssembly products are under test, not the optional native addon's.
      env: { ...process.env, NABLA_NATIVE: "0", ...env },
      encoding: "utf8",
      // Only a child that never exits reaches this: it is killed, and the test fails on its signal.
      timeout: 30_000,
    });
    return { status: r.status, signal: r.signal, out: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const src = (p: string) => JSON.stringify(pathToFileURL(resolve(__dirname, "../..", p)).href);
// One product through the fast backend's dot_general, compared with the single-threaded kernel.
const childScript = (awaitPool: boolean) => `
import { dotGeneralData } from ${src("src/backend/fast/matmul.ts")};
import { threadedMatmul, threadsReady } from ${src("src/backend/threads/matmul.ts")};
import { wasmMatmul } from ${src("src/backend/wasm/matmul.ts")};
import { compileFused } from ${src("src/backend/fast/codegen.ts")};
import { splitStats } from ${src("src/backend/threads/elementwise.ts")};
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
// A fused loop large enough to be split; its bits are compared across processes.
const m = 300001;
const spec = {
  shape: [m],
  inputs: [{ dtype: "float32", offset: 0, strides: [1] }],
  nodes: [{ prim: "sin", args: [{ input: 0 }], dtype: "float32" }, { prim: "exp", args: [{ node: 0 }], dtype: "float32" }],
  outputs: [{ value: { node: 1 }, dtype: "float32", size: m }],
};
const x = Float32Array.from({ length: m }, (_, i) => Math.cos(i) * 100);
const y = compileFused(spec)([x])[0];
let hash = 0;
for (const v of new Int32Array(y.buffer, y.byteOffset, y.length)) hash = (Math.imul(hash, 31) + v) | 0;
console.log(JSON.stringify({ ready, same, threaded, hash, split: splitStats.calls > 0 }));
`;

describe.skipIf(!simdSupported())("thread pool lifetime and fallback", () => {
  /** The fused loop's bits in a process that split it across threads. */
  let threadedHash: number | undefined;

  it.skipIf(!canThread)("a process that ran threaded products and loops exits on its own", () => {
    const r = runChild(childScript(true), { NABLA_THREADS: "2" });
    expect(r.signal).toBe(null);
    expect(r.status, r.out).toBe(0);
    const got = JSON.parse(r.out.trim().split("\n").at(-1)!);
    expect(got).toMatchObject({ ready: true, same: true, threaded: true, split: true });
    threadedHash = got.hash;
  });

  it.skipIf(!canThread)("a process whose first large product started the workers exits on its own", () => {
    const r = runChild(childScript(false), { NABLA_THREADS: "2" });
    expect(r.signal).toBe(null);
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out.trim().split("\n").at(-1)!).same).toBe(true);
  });

  it("NABLA_THREADS=1 runs single-threaded, with the same bits", () => {
    const r = runChild(childScript(true), { NABLA_THREADS: "1" });
    expect(r.status, r.out).toBe(0);
    const got = JSON.parse(r.out.trim().split("\n").at(-1)!);
    expect(got).toMatchObject({ ready: false, same: true, threaded: false, split: false });
    if (threadedHash !== undefined) expect(got.hash).toBe(threadedHash);
  });
});
