// The fast backend against the reference backend, primitive by primitive, in float32 and float64, on random
// inputs with broadcasting, odd sizes (1, 7, 33, 129) and batch dimensions. Elementwise kernels, reductions
// and data movement must agree bit for bit; float64 matrix products too; float32 ones to rounding.
import { describe, expect, it } from "vitest";
import { compileFused, interpretFused } from "../../src/backend/fast/codegen.js";
import { fastBackend } from "../../src/backend/fast/index.js";
import { matmulJs } from "../../src/backend/fast/matmul.js";
import type { FusedSpec } from "../../src/backend/fusion.js";
import { referenceBackend } from "../../src/backend/reference/index.js";
import { compileSimdF32 } from "../../src/backend/wasm/elementwise.js";
import { wasmMatmul } from "../../src/backend/wasm/matmul.js";
import { simdSupported } from "../../src/backend/wasm/runtime.js";
import { castArray, type DType, type TypedArray } from "../../src/core/dtype.js";
import type { Prim, PrimParams } from "../../src/core/primitives.js";
import { sizeOf } from "../../src/core/shape.js";
import { ConcreteTensor } from "../../src/core/tensor.js";
import { makeRng } from "../../src/numeric/rng.js";
import { BINARY_PRIMS, COMPARE_PRIMS } from "../../src/primitives/binary.js";
import { abstractEval } from "../../src/primitives/shape-rules.js";
import { UNARY_PRIMS } from "../../src/primitives/unary.js";
import { everyFloat, SPECIAL, ulps } from "../util/float-inputs.js";

const rng = makeRng(1234);
const FLOATS: DType[] = ["float32", "float64"];

function tensor(shape: number[], dtype: DType, lo = -2, hi = 2): ConcreteTensor {
  const n = sizeOf(shape);
  const vals = Array.from({ length: n }, () =>
    dtype === "bool" ? (rng.uniform() < 0.5 ? 1 : 0) : lo + (hi - lo) * rng.uniform(),
  );
  return new ConcreteTensor(castArray(dtype === "int32" ? vals.map(Math.round) : vals, dtype), {
    shape,
    dtype,
    weak: false,
  });
}

/** Max |fast − ref| / (1 + |ref|), with NaN positions required to match. */
function maxErr(a: TypedArray, b: TypedArray): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(y)) {
      expect(Number.isNaN(x), `element ${i}: expected NaN, got ${x}`).toBe(true);
      continue;
    }
    if (x === y) continue;
    err = Math.max(err, Math.abs(x - y) / (1 + Math.abs(y)));
  }
  return err;
}

function run<P extends Prim>(prim: P, inputs: ConcreteTensor[], params: PrimParams[P]) {
  const out = abstractEval(
    prim,
    inputs.map((x) => x.aval),
    params,
  );
  const got = fastBackend.kernels[prim](inputs, params, out);
  const want = referenceBackend.kernels[prim](inputs, params, out);
  expect(got.constructor).toBe(want.constructor);
  return maxErr(got, want);
}

/** Fast and reference agree exactly. */
function same<P extends Prim>(prim: P, inputs: ConcreteTensor[], params: PrimParams[P]) {
  expect(run(prim, inputs, params), `${prim} on ${inputs.map((x) => `[${x.aval.shape}]`).join(" ")}`).toBe(0);
}

const DOMAIN: Partial<Record<string, [number, number]>> = {
  log: [0.1, 3],
  sqrt: [0, 3],
  log1p: [-0.9, 3],
  asin: [-0.99, 0.99],
  acos: [-0.99, 0.99],
  tan: [-1.5, 1.5],
};
const SHAPES: number[][] = [[], [1], [7], [33, 4], [129], [2, 3, 5]];

describe("fast backend: elementwise primitives equal the reference bit for bit", () => {
  for (const dtype of FLOATS)
    it(`unary primitives, ${dtype}`, () => {
      for (const p of UNARY_PRIMS)
        for (const s of SHAPES) {
          const [lo, hi] = DOMAIN[p] ?? [-3, 3];
          same(p, [tensor(s, dtype, lo, hi)], {});
        }
    });

  it("integer unary primitives", () => {
    for (const p of ["neg", "sign", "abs", "floor", "ceil", "round", "stop_gradient"] as const)
      for (const s of SHAPES) same(p, [tensor(s, "int32", -50, 50)], {});
  });

  const pairs: [number[], number[]][] = [
    [[7], [7]],
    [
      [33, 1],
      [1, 5],
    ],
    [[], [4, 3]],
    [
      [2, 1, 3],
      [4, 1],
    ],
    [[129], []],
    [[1], [1]],
  ];
  for (const dtype of [...FLOATS, "int32" as const])
    it(`binary and comparison primitives with broadcasting, ${dtype}`, () => {
      for (const p of [...BINARY_PRIMS, ...COMPARE_PRIMS])
        for (const [s1, s2] of pairs) {
          if (dtype === "int32" && (p === "atan2" || p === "pow")) continue;
          const lo = p === "pow" ? 0.2 : -3;
          same(p, [tensor(s1, dtype, lo, 3), tensor(s2, dtype, -3, 3)], {});
        }
    });

  it("bool arithmetic and select_n", () => {
    for (const p of ["add", "mul", "max", "min", "eq", "ne"] as const)
      same(p, [tensor([7, 3], "bool"), tensor([3], "bool")], {});
    for (const dtype of FLOATS) {
      same("select_n", [tensor([4, 1], "bool"), tensor([4, 5], dtype), tensor([5], dtype)], {});
      same("select_n", [tensor([], "bool"), tensor([33], dtype), tensor([33], dtype)], {});
    }
  });

  it("special values propagate as in the reference (NaN, ±Infinity, -0)", () => {
    const vals = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1, -1, 0.5];
    for (const dtype of FLOATS) {
      const x = new ConcreteTensor(castArray(vals, dtype), { shape: [8], dtype, weak: false });
      const y = new ConcreteTensor(castArray(vals.slice().reverse(), dtype), {
        shape: [8],
        dtype,
        weak: false,
      });
      for (const p of UNARY_PRIMS) same(p, [x], {});
      for (const p of [...BINARY_PRIMS, ...COMPARE_PRIMS]) same(p, [x, y], {});
    }
  });

  it("convert_element_type between every pair of dtypes", () => {
    const all: DType[] = ["float32", "float64", "int32", "bool"];
    for (const from of all)
      for (const to of all) {
        const x = from === "bool" ? tensor([33], from) : tensor([33], from, -1e10, 1e10);
        same("convert_element_type", [x], { dtype: to, weak: false });
        same("convert_element_type", [tensor([7], from, -3, 3)], { dtype: to, weak: false });
      }
  });
});

describe("fast backend: reductions and data movement equal the reference bit for bit", () => {
  for (const dtype of FLOATS)
    it(`reductions, ${dtype}`, () => {
      const cases: [number[], number[]][] = [
        [[7], [0]],
        [
          [3, 4, 5],
          [0, 2],
        ],
        [[3, 4, 5], [2]],
        [[3, 4, 5], [0]],
        [[3, 4, 5], [1]],
        [
          [3, 4, 5],
          [0, 1, 2],
        ],
        [[33, 1, 2], [1]],
        [[129, 3], [0]],
        [[2, 0, 3], [1]],
      ];
      for (const [s, axes] of cases)
        for (const p of ["reduce_sum", "reduce_max", "reduce_min", "reduce_prod"] as const)
          same(p, [tensor(s, dtype)], { axes });
      same("argmax", [tensor([33, 7], dtype)], { axis: 1 });
      same("argmin", [tensor([33, 7], dtype)], { axis: 0 });
      same("cumsum", [tensor([7, 5], dtype)], { axis: 1, reverse: true });
    });

  for (const dtype of [...FLOATS, "int32" as const, "bool" as const])
    it(`movement, ${dtype}`, () => {
      const x = tensor([3, 4, 5], dtype);
      same("reshape", [x], { shape: [12, 5] });
      same("transpose", [x], { perm: [2, 0, 1] });
      same("transpose", [x], { perm: [1, 0, 2] });
      same("broadcast_in_dim", [tensor([3, 1], dtype)], { shape: [2, 3, 4], broadcastDims: [1, 2] });
      same("broadcast_in_dim", [tensor([], dtype)], { shape: [33, 7], broadcastDims: [] });
      same("slice", [x], { start: [1, 0, 2], limit: [3, 4, 5] });
      same("rev", [x], { axes: [0, 2] });
      same("pad", [x], { lo: [1, 0, 2], hi: [0, 3, 1] });
      same("pad", [tensor([7], dtype)], { lo: [0], hi: [129] });
      same("concatenate", [tensor([3, 1], dtype), tensor([3, 4], dtype)], { axis: 1 });
      const idx = new ConcreteTensor(Int32Array.from([0, 2, -1, 3]), {
        shape: [2, 2],
        dtype: "int32",
        weak: false,
      });
      same("gather", [x, idx], { axis: 1 });
      same("gather", [x, idx], { axis: 2 });
      same("gather", [tensor([2, 4, 70], dtype), idx], { axis: 1 });
      const bad = new ConcreteTensor(Int32Array.from([1, 4]), { shape: [2], dtype: "int32", weak: false });
      const gatherOf = (b: typeof fastBackend) => () => b.kernels.gather([x, bad], { axis: 1 }, x.aval);
      expect(gatherOf(fastBackend)).toThrow(/index 4 is out of range for axis 1 of size 4/);
      same("scatter_add", [tensor([3, 2, 2, 5], dtype), idx], { axis: 1, size: 4 });
    });
});

describe("fast backend: dot_general", () => {
  const dn = (lc: number[], rc: number[], lb: number[] = [], rb: number[] = []) => ({
    lhsContract: lc,
    rhsContract: rc,
    lhsBatch: lb,
    rhsBatch: rb,
  });
  const cases: [number[], number[], PrimParams["dot_general"]][] = [
    [[3, 4], [4], dn([1], [0])],
    [[4, 3], [2, 4], dn([0], [1])],
    [[2, 3, 4], [2, 4, 3], dn([2], [1], [0], [0])],
    [[3, 2, 4], [4, 3, 2], dn([2], [0], [1], [2])],
    [[2, 3, 4], [4, 2, 3], dn([2, 1], [0, 2])],
    [[2, 4, 3, 2], [3, 2, 2, 3], dn([3], [2], [0, 2], [1, 0])],
    [[3], [2, 2], dn([], [])],
    // Large enough for the WebAssembly kernel: odd sizes, both operands transposed, batches.
    [[33, 65], [65, 17], dn([1], [0])],
    [[129, 7], [7, 129], dn([1], [0])],
    [[65, 33], [17, 65], dn([0], [1])],
    [[3, 40, 50], [3, 50, 30], dn([2], [1], [0], [0])],
    [[40, 3, 50], [30, 50, 3], dn([2], [1], [1], [2])],
    [[1, 300], [300, 1], dn([1], [0])],
    [[64, 64], [64, 64], dn([1], [0])],
  ];
  it("float64 equals the reference bit for bit", () => {
    for (const [s1, s2, p] of cases) same("dot_general", [tensor(s1, "float64"), tensor(s2, "float64")], p);
  });
  it("float32 agrees with the reference to float32 rounding", () => {
    for (const [s1, s2, p] of cases) {
      const K = p.lhsContract.reduce((k, i) => k * s1[i]!, 1);
      const err = run("dot_general", [tensor(s1, "float32"), tensor(s2, "float32")], p);
      expect(err).toBeLessThan(4e-7 * Math.sqrt(K + 1) * 4);
    }
  });
  it("int32 products", () => {
    same("dot_general", [tensor([7, 5], "int32", -9, 9), tensor([5, 3], "int32", -9, 9)], dn([1], [0]));
  });
});

describe.skipIf(!simdSupported())("WebAssembly matrix product", () => {
  it("matches the JS kernel for every layout and edge size", () => {
    for (const Arr of [Float32Array, Float64Array])
      for (const [M, K, N] of [
        [1, 1, 1],
        [7, 33, 129],
        [129, 7, 33],
        [33, 300, 5],
        [4, 256, 8],
        [5, 257, 9],
      ] as const)
        for (const tA of [false, true])
          for (const tB of [false, true]) {
            const a = new Arr(Array.from({ length: 2 * M * K }, () => rng.uniform() - 0.5));
            const b = new Arr(Array.from({ length: 2 * K * N }, () => rng.uniform() - 0.5));
            // Untransposed copies for the JS reference product.
            const a2 = new Arr(a.length);
            const b2 = new Arr(b.length);
            for (let bi = 0; bi < 2; bi++) {
              for (let i = 0; i < M; i++)
                for (let k = 0; k < K; k++)
                  a2[bi * M * K + i * K + k] = tA ? a[bi * M * K + k * M + i]! : a[bi * M * K + i * K + k]!;
              for (let k = 0; k < K; k++)
                for (let j = 0; j < N; j++)
                  b2[bi * K * N + k * N + j] = tB ? b[bi * K * N + j * K + k]! : b[bi * K * N + k * N + j]!;
            }
            const want = new Arr(2 * M * N);
            matmulJs(a2, b2, want, 2, M, K, N);
            const got = new Arr(2 * M * N);
            expect(wasmMatmul(a, tA, b, tB, got, 2, M, K, N)).toBe(true);
            const err = maxErr(got, want);
            if (Arr === Float64Array) expect(err, `f64 ${M}x${K}x${N} tA=${tA} tB=${tB}`).toBe(0);
            else expect(err, `f32 ${M}x${K}x${N}`).toBeLessThan(1e-5);
          }
  });
});

describe("fused kernels", () => {
  it("generated code and the interpreter fallback agree on a fused spec with every kind of read", () => {
    const spec: FusedSpec = {
      shape: [3, 4, 5],
      inputs: [
        { dtype: "float64", offset: 0, strides: [20, 5, 1] },
        { dtype: "float64", offset: 4, strides: [0, 0, -1] },
        { dtype: "float32", offset: -1, strides: [0, 3, 0], bounds: { lo: [0, 1, 0], hi: [3, 4, 5] } },
        { dtype: "bool", offset: 0, strides: [1, 0, 0] },
      ],
      nodes: [
        { prim: "mul", args: [{ input: 0 }, { input: 1 }], dtype: "float64" },
        { prim: "convert_element_type", args: [{ input: 2 }], dtype: "float64" },
        { prim: "add", args: [{ node: 0 }, { node: 1 }], dtype: "float64" },
        { prim: "tanh", args: [{ node: 2 }], dtype: "float64" },
        { prim: "select_n", args: [{ input: 3 }, { node: 3 }, { literal: 2.5 }], dtype: "float64" },
        { prim: "convert_element_type", args: [{ node: 4 }], dtype: "float32" },
      ],
      outputs: [
        { value: { node: 4 }, dtype: "float64", size: 60 },
        { value: { node: 5 }, dtype: "float32", size: 60 },
        { value: { node: 2 }, dtype: "float64", reduce: "sum", strides: [0, 1, 0], size: 4 },
        { value: { node: 3 }, dtype: "float64", reduce: "max", strides: [5, 0, 1], size: 15 },
        { value: { node: 0 }, dtype: "float32", reduce: "prod", strides: [1, 0, 0], size: 3 },
      ],
    };
    const ins = [
      Float64Array.from({ length: 60 }, () => rng.normal()),
      Float64Array.from({ length: 5 }, () => rng.normal()),
      Float32Array.from({ length: 9 }, () => rng.normal()),
      Uint8Array.from([1, 0, 1]),
    ];
    const a = compileFused(spec)(ins);
    const b = interpretFused(spec)(ins);
    a.forEach((x, i) => {
      expect(x.constructor).toBe(b[i]!.constructor);
      expect(maxErr(x, b[i]!), `output ${i}`).toBe(0);
    });
  });
});

/** A one-node float32 spec over `n` elements (unary) or with a second operand. */
const unarySpec = (prim: string, n: number): FusedSpec => ({
  shape: [n],
  inputs: [{ dtype: "float32", offset: 0, strides: [1] }],
  nodes: [{ prim: prim as "exp", args: [{ input: 0 }], dtype: "float32" }],
  outputs: [{ value: { node: 0 }, dtype: "float32", size: n }],
});

/** Runs `spec` through the WebAssembly kernel, failing if the spec would take another path. */
function wasmRun(spec: FusedSpec, ins: Float32Array[]): TypedArray[] {
  const kernel = compileSimdF32(spec);
  expect(kernel, "the spec runs as WebAssembly").not.toBe(null);
  return kernel!(ins);
}

/** The worst distance of the wasm kernel of `prim` from the reference kernel on `xs`, and where. */
function worstUlps(prim: (typeof UNARY_PRIMS)[number], xs: Float32Array): { ulps: number; x: number } {
  const [got] = wasmRun(unarySpec(prim, xs.length), [xs]);
  const x = new ConcreteTensor(xs, { shape: [xs.length], dtype: "float32", weak: false });
  const want = referenceBackend.kernels[prim]([x], {}, x.aval);
  let worst = { ulps: 0, x: 0 };
  for (let i = 0; i < xs.length; i++) {
    const u = ulps(got![i]!, want[i]!);
    if (u > worst.ulps) worst = { ulps: u, x: xs[i]! };
  }
  return worst;
}

const uniform = (n: number, lo: number, hi: number) =>
  Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
/** Floats within a few steps of k·π/2 for random k below 1e7 (where the reduction cancels most). */
const nearHalfPi = (n: number) => {
  const xs = Float32Array.from({ length: n }, () => Math.floor(1 + 1e7 * rng.uniform()) * (Math.PI / 2));
  const bits = new Int32Array(xs.buffer);
  for (let i = 0; i < n; i++) bits[i] = bits[i]! + (i % 7) - 3;
  return xs;
};
const specials = () => Float32Array.from({ length: 4096 }, (_, i) => SPECIAL[i % SPECIAL.length]!);

describe.skipIf(!simdSupported())(
  "WebAssembly float32 math in fused kernels, in units in the last place",
  () => {
    // [primitive, most float32 steps from the reference (float64 Math rounded to float32), inputs]
    const cases: [(typeof UNARY_PRIMS)[number], number, string, () => Float32Array][] = [
      ["sin", 1, "every 2^13-th float", () => everyFloat(2 ** 13)],
      ["sin", 1, "[-10, 10]", () => uniform(2 ** 20, -10, 10)],
      ["sin", 1, "next to multiples of π/2", () => nearHalfPi(2 ** 20)],
      ["sin", 0, "special values", specials],
      ["cos", 1, "every 2^13-th float", () => everyFloat(2 ** 13)],
      ["cos", 1, "[-10, 10]", () => uniform(2 ** 20, -10, 10)],
      ["cos", 1, "next to multiples of π/2", () => nearHalfPi(2 ** 20)],
      ["cos", 0, "special values", specials],
      ["log", 1, "every 2^13-th float", () => everyFloat(2 ** 13)],
      ["log", 1, "[0.5, 2]", () => uniform(2 ** 18, 0.5, 2)],
      ["log", 0, "special values", specials],
      ["log1p", 1, "every 2^13-th float", () => everyFloat(2 ** 13)],
      ["log1p", 1, "[-0.5, 0.5]", () => uniform(2 ** 18, -0.5, 0.5)],
      ["log1p", 0, "special values", specials],
      ["expm1", 1, "every 2^13-th float", () => everyFloat(2 ** 13)],
      ["expm1", 1, "[-1, 1]", () => uniform(2 ** 18, -1, 1)],
      ["expm1", 0, "special values", specials],
      ["exp", 1, "every 2^13-th float", () => everyFloat(2 ** 13)],
      ["exp", 1, "[-104, 89] (denormal to overflowing results)", () => uniform(2 ** 18, -104, 89)],
      ["exp", 0, "special values", specials],
      ["tanh", 1, "every 2^13-th float", () => everyFloat(2 ** 13)],
      ["tanh", 1, "[-12, 12]", () => uniform(2 ** 18, -12, 12)],
      ["tanh", 0, "special values", specials],
      ["logistic", 2, "every 2^13-th float", () => everyFloat(2 ** 13)],
      ["logistic", 2, "[-105, 20]", () => uniform(2 ** 18, -105, 20)],
      ["logistic", 0, "special values", specials],
      ["sign", 0, "every 2^13-th float", () => everyFloat(2 ** 13)],
    ];
    for (const [prim, bound, what, make] of cases)
      it(`${prim} on ${what}: at most ${bound} ulp`, () => {
        const w = worstUlps(prim, make());
        expect(w.ulps, `${prim}(${w.x})`).toBeLessThanOrEqual(bound);
      });

    it("the sweep next to multiples of π/2 catches a float32 argument reduction", () => {
      // Cephes' sinf reduction in float32 (π/4 in three float32 parts): fine on random arguments, thousands
      // of ulps off next to k·π/2, which is why the kernel reduces in float64.
      const f = Math.fround;
      const [dp1, dp2, dp3] = [0.78515625, 2.4187564849853516e-4, 3.774894977445941e-8];
      const xs = nearHalfPi(4096).map((x) => x / 256);
      const sloppy = xs.map((x) => {
        const y = 2 * Math.round(x / (Math.PI / 2));
        return f(Math.sin(f(f(f(x - f(y * dp1)) - f(y * dp2)) - f(y * dp3))) * (y % 4 === 0 ? 1 : -1));
      });
      const want = xs.map(Math.sin);
      expect(Math.max(...sloppy.map((v, i) => ulps(v, want[i]!)))).toBeGreaterThan(100);
      expect(worstUlps("sin", xs).ulps).toBeLessThanOrEqual(1);
    });

    it("eager kernels of large float32 arrays use the same code", () => {
      const x = tensor([20011], "float32", -50, 50);
      for (const prim of ["sin", "cos", "log1p", "expm1", "tanh"] as const) {
        const got = fastBackend.kernels[prim]([x], {}, x.aval);
        const [wasm] = wasmRun(unarySpec(prim, 20011), [x.data as Float32Array]);
        expect(maxErr(got, wasm!), prim).toBe(0);
      }
    });

    it("comparisons, select_n, sign and conversions run as lane masks, bit for bit", () => {
      const n = 4099;
      const x = uniform(n, -3, 3);
      const y = uniform(n, -3, 3);
      for (let i = 10; i < n; i += 7) y[i] = x[i]!;
      x.set([Number.NaN, 0, -0, Infinity, -Infinity, 1, Number.NaN]);
      y.set([1, -0, 0, Infinity, Number.NaN, 1, Number.NaN]);
      const inX = { input: 0 };
      const inY = { input: 1 };
      const nodes: FusedSpec["nodes"][number][] = [];
      const add = (node: FusedSpec["nodes"][number]) => ({ node: nodes.push(node) - 1 });
      const outs: { node: number }[] = [];
      for (const p of COMPARE_PRIMS) {
        const m = add({ prim: p, args: [inX, inY], dtype: "bool" });
        outs.push(add({ prim: "select_n", args: [m, inX, { literal: 0.5 }], dtype: "float32" }));
        outs.push(add({ prim: "convert_element_type", args: [m], dtype: "float32" }));
      }
      const nonzero = add({ prim: "convert_element_type", args: [inX], dtype: "bool" });
      outs.push(add({ prim: "select_n", args: [nonzero, inY, inX], dtype: "float32" }));
      outs.push(add({ prim: "sign", args: [inX], dtype: "float32" }));
      const le = add({ prim: "le", args: [inX, { literal: 0 }], dtype: "bool" });
      outs.push(add({ prim: "select_n", args: [le, inX, { literal: 0 }], dtype: "float32" }));
      const spec: FusedSpec = {
        shape: [n],
        inputs: [
          { dtype: "float32", offset: 0, strides: [1] },
          { dtype: "float32", offset: 0, strides: [1] },
        ],
        nodes,
        outputs: outs.map((value) => ({ value, dtype: "float32" as const, size: n })),
      };
      const got = wasmRun(spec, [x, y]);
      const want = interpretFused(spec)([x, y]);
      got.forEach((a, j) => {
        const i = a.findIndex((v, k) => !Object.is(v, want[j]![k]));
        expect(i, `output ${j} at x = ${x[i]}, y = ${y[i]}: ${a[i]} vs ${want[j]![i]}`).toBe(-1);
      });
    });

    it("sin and cos of one operand share a reduction and stay within 1 ulp", () => {
      const n = 5000;
      const x = uniform(n, -1e5, 1e5);
      x.set([Number.NaN, Infinity, -0, 3e38, 2 ** 24, -(2 ** 24) + 1]);
      const spec: FusedSpec = {
        shape: [n],
        inputs: [{ dtype: "float32", offset: 0, strides: [1] }],
        nodes: [
          { prim: "sin", args: [{ input: 0 }], dtype: "float32" },
          { prim: "cos", args: [{ input: 0 }], dtype: "float32" },
          { prim: "mul", args: [{ input: 0 }, { literal: 3 }], dtype: "float32" },
          { prim: "cos", args: [{ node: 2 }], dtype: "float32" },
          { prim: "add", args: [{ node: 0 }, { node: 1 }], dtype: "float32" },
        ],
        outputs: [0, 1, 3, 4].map((k) => ({ value: { node: k }, dtype: "float32" as const, size: n })),
      };
      const [s, c, c3, sum] = wasmRun(spec, [x]);
      const f = Math.fround;
      for (let i = 0; i < n; i++) {
        const xi = x[i]!;
        expect(ulps(s![i]!, f(Math.sin(xi))), `sin ${xi}`).toBeLessThanOrEqual(1);
        expect(ulps(c![i]!, f(Math.cos(xi))), `cos ${xi}`).toBeLessThanOrEqual(1);
        expect(ulps(c3![i]!, f(Math.cos(f(3 * xi)))), `cos 3·${xi}`).toBeLessThanOrEqual(1);
        expect(Object.is(sum![i]!, f(s![i]! + c![i]!)) || Number.isNaN(xi)).toBe(true);
      }
    });

    it("a fused chain tanh(x)·exp(−x²) with scalar and broadcast operands", () => {
      const x = tensor([3000], "float32");
      const spec: FusedSpec = {
        shape: [3000],
        inputs: [
          { dtype: "float32", offset: 0, strides: [1] },
          { dtype: "float32", offset: 7, strides: [0] },
        ],
        nodes: [
          { prim: "tanh", args: [{ input: 0 }], dtype: "float32" },
          { prim: "mul", args: [{ input: 0 }, { input: 0 }], dtype: "float32" },
          { prim: "neg", args: [{ node: 1 }], dtype: "float32" },
          { prim: "exp", args: [{ node: 2 }], dtype: "float32" },
          { prim: "mul", args: [{ node: 0 }, { node: 3 }], dtype: "float32" },
          { prim: "max", args: [{ node: 4 }, { input: 1 }], dtype: "float32" },
          { prim: "add", args: [{ node: 5 }, { literal: 0.25 }], dtype: "float32" },
        ],
        outputs: [
          { value: { node: 6 }, dtype: "float32", size: 3000 },
          { value: { node: 0 }, dtype: "float32", size: 3000 },
        ],
      };
      const got = compileFused(spec)([x.data, x.data]);
      const want = interpretFused(spec)([x.data, x.data]);
      got.forEach((a, i) => expect(maxErr(a, want[i]!), `output ${i}`).toBeLessThan(1e-6));
    });
  },
);
