// Native fused elementwise kernels (native/src/fused.cc, src/backend/native/fused.ts) against interpretFused,
// which has the reference backend's semantics (float64 arithmetic rounded once per primitive): every
// primitive the addon runs in float32, float64, int32 and bool over dense sweeps with special values;
// strided, transposed, reversed, broadcast and zero-padded inputs; reductions over leading, middle and
// trailing axes; the outs reuse contract; one and two threads alike; and what it declines falling back.
// Each kernel is checked to have run natively (nativeFusedStats). Skipped when the addon is not built.
import { describe, expect, it } from "vitest";
import {
  compileFused,
  compileFusedOn,
  type Declined,
  interpretFused,
} from "../../src/backend/fast/codegen.js";
import { type FusedNode, type FusedSpec, isElementwise, type ReduceKind } from "../../src/backend/fusion.js";
import {
  compileNativeFused,
  fusedCostNs,
  NATIVE_FUSED_MIN_ELEMENTS,
  NATIVE_FUSED_THREAD_MIN_NS,
  nativeFusedDecline,
  nativeFusedStats,
  nativeFusedThreads,
} from "../../src/backend/native/fused.js";
import { type NativeAddon, nativeAddon, replaceNativeAddon } from "../../src/backend/native/load.js";
import { compileSimdF32 } from "../../src/backend/wasm/elementwise.js";
import { simdSupported } from "../../src/backend/wasm/runtime.js";
import type { DType, TypedArray } from "../../src/core/dtype.js";
import type { Prim } from "../../src/core/primitives.js";
import { sizeOf, stridesOf } from "../../src/core/shape.js";
import { makeRng } from "../../src/numeric/rng.js";
import { everyFloat, SPECIAL, ulps } from "../util/float-inputs.js";

const rng = makeRng(77);
const addon = nativeAddon();

// ---- helpers -----------------------------------------------------------------------------------------

/** Runs `spec` natively (failing if it would take another path) on `threads` threads. */
function native(spec: FusedSpec, ins: TypedArray[], threads = 1, outs?: (TypedArray | undefined)[]) {
  const kernel = compileNativeFused(
    spec,
    () => {
      throw new Error("the native kernel refused its arrays");
    },
    { threads, minElements: 0 },
  );
  expect(kernel, `runs natively (declined: ${nativeFusedDecline(spec)})`).not.toBeNull();
  const before = nativeFusedStats.runs;
  const got = kernel!(ins, outs);
  expect(nativeFusedStats.runs, "the native path was taken").toBe(before + 1);
  return got;
}

/** The first element that differs bit for bit (NaNs alike), as a message, or null. */
function firstDifference(got: ArrayLike<number>, want: ArrayLike<number>): string | null {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i]) && !(Number.isNaN(got[i]) && Number.isNaN(want[i])))
      return `element ${i}: ${got[i]} vs ${want[i]}`;
  return null;
}

/** Native and interpretFused outputs agree bit for bit, with the same array types. */
function expectSame(spec: FusedSpec, ins: TypedArray[], what: string, threads = 1) {
  const got = native(spec, ins, threads);
  const want = interpretFused(spec)(ins);
  got.forEach((g, j) => {
    expect(g.constructor, `${what}: output ${j} type`).toBe(want[j]!.constructor);
    expect(firstDifference(g, want[j]!), `${what}: output ${j}`).toBeNull();
  });
  return got;
}

/** The largest distance in float32 steps between native and interpretFused, and where. */
function worstUlps(spec: FusedSpec, ins: TypedArray[]): { ulps: number; at: number } {
  const [got] = native(spec, ins);
  const [want] = interpretFused(spec)(ins);
  let worst = { ulps: 0, at: -1 };
  for (let i = 0; i < want!.length; i++) {
    const u = ulps(got![i]!, want![i]!);
    if (u > worst.ulps) worst = { ulps: u, at: i };
  }
  return worst;
}

const contiguous = (dtype: DType, shape: number[]) => ({ dtype, offset: 0, strides: stridesOf(shape) });

/** One node over contiguous inputs of `shape`. */
function nodeSpec(prim: string, dtype: DType, argTypes: DType[], n: number): FusedSpec {
  return {
    shape: [n],
    inputs: argTypes.map((t) => contiguous(t, [n])),
    nodes: [{ prim: prim as FusedNode["prim"], args: argTypes.map((_, i) => ({ input: i })), dtype }],
    outputs: [{ value: { node: 0 }, dtype, size: n }],
  };
}

const uniform = (n: number, lo: number, hi: number) =>
  Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
const SPECIAL64 = [
  ...SPECIAL,
  5e-324,
  1.7976931348623157e308,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  0.5,
  -2.5,
];

/** `n` values: the special ones, then uniform in [lo, hi], with a few exact repeats and integers. */
function mixed(n: number, lo = -3, hi = 3, special = SPECIAL): Float64Array {
  const v = uniform(n, lo, hi);
  v.set(special.slice(0, Math.min(special.length, n)));
  for (let i = special.length; i < n; i += 13) v[i] = Math.round(v[i]!);
  return v;
}

/** Every pair of special values (first operand major), then random pairs. */
function pairs(n: number, special = SPECIAL): [Float64Array, Float64Array] {
  const a = uniform(n, -3, 3);
  const b = uniform(n, -3, 3);
  let k = 0;
  for (const x of special) for (const y of special) if (k < n) [a[k], b[k++]] = [x, y];
  for (let i = k; i < n; i += 7) b[i] = a[i]!;
  return [a, b];
}

const F32_MATH: [string, number, () => Float32Array][] = [
  // [primitive, most float32 steps from the reference, inputs]
  ["exp", 1, () => everyFloat(2 ** 12)],
  ["expm1", 1, () => everyFloat(2 ** 12)],
  ["log", 1, () => everyFloat(2 ** 12)],
  ["log1p", 1, () => everyFloat(2 ** 12)],
  ["tanh", 1, () => everyFloat(2 ** 12)],
  ["logistic", 2, () => everyFloat(2 ** 12)],
  ["sin", 1, () => everyFloat(2 ** 12)],
  ["cos", 1, () => everyFloat(2 ** 12)],
  ["tan", 1, () => everyFloat(2 ** 12)],
  ["asin", 1, () => everyFloat(2 ** 12)],
  ["acos", 1, () => everyFloat(2 ** 12)],
  ["atan", 1, () => everyFloat(2 ** 12)],
  ["sinh", 1, () => everyFloat(2 ** 12)],
  ["cosh", 1, () => everyFloat(2 ** 12)],
  ["exp", 1, () => Float32Array.from(uniform(2 ** 18, -104, 89))],
  ["tanh", 1, () => Float32Array.from(uniform(2 ** 18, -12, 12))],
  ["sin", 1, () => Float32Array.from(uniform(2 ** 18, -1e5, 1e5))],
  ["log", 1, () => Float32Array.from(uniform(2 ** 18, 0.5, 2))],
];
const F32_EXACT = ["neg", "sign", "floor", "ceil", "round", "abs", "sqrt", "stop_gradient"];
const F64_EXACT = ["neg", "sign", "floor", "ceil", "round", "abs", "sqrt", "stop_gradient"];
const ARITH = ["add", "sub", "mul", "div", "max", "min"];
const COMPARE = ["eq", "ne", "lt", "le", "gt", "ge"];

// ---- tests -------------------------------------------------------------------------------------------

describe("native fused kernels: when to use threads", () => {
  it("long loops split, mid-sized ones onto awake workers only, short ones never", () => {
    const { warm, cold } = NATIVE_FUSED_THREAD_MIN_NS;
    expect(nativeFusedThreads(cold, 2, () => 0)).toBe(2);
    expect(nativeFusedThreads(warm, 2, () => 1)).toBe(2);
    expect(nativeFusedThreads(warm, 2, () => 0)).toBe(1);
    expect(nativeFusedThreads(warm / 2, 2, () => 1)).toBe(1);
    expect(nativeFusedThreads(cold * 100, 1, () => 1)).toBe(1);
  });

  it("the cost grows with the loop, its arrays and its math", () => {
    const cheap = fusedCostNs(nodeSpec("add", "float32", ["float32", "float32"], 1000));
    expect(fusedCostNs(nodeSpec("add", "float32", ["float32", "float32"], 2000))).toBe(2 * cheap);
    expect(fusedCostNs(nodeSpec("tanh", "float32", ["float32"], 1000))).toBeGreaterThan(cheap);
  });
});

describe.skipIf(addon === null)(
  addon === null
    ? "native fused kernels — skipped: the addon is not built (node scripts/build-native.mjs) or NABLA_NATIVE=0"
    : `native fused kernels (${addon.isa})`,
  () => {
    describe("float32 primitives over every binade and special values", () => {
      for (const [prim, bound, make] of F32_MATH)
        it(`${prim}: at most ${bound} ulp from the reference`, () => {
          const xs = make();
          const w = worstUlps(nodeSpec(prim, "float32", ["float32"], xs.length), [xs]);
          expect(w.ulps, `${prim}(${xs[w.at]})`).toBeLessThanOrEqual(bound);
        });

      for (const prim of F32_EXACT)
        it(`${prim} is exact`, () => {
          const xs = everyFloat(2 ** 12);
          expectSame(nodeSpec(prim, "float32", ["float32"], xs.length), [xs], prim);
        });

      it("special values give the reference's results exactly", () => {
        const xs = Float32Array.from({ length: 4096 }, (_, i) => SPECIAL[i % SPECIAL.length]!);
        for (const [prim] of F32_MATH) {
          const w = worstUlps(nodeSpec(prim, "float32", ["float32"], xs.length), [xs]);
          expect(w.ulps, `${prim}(${xs[w.at]})`).toBe(0);
        }
      });

      it.skipIf(!simdSupported())(
        "exp, expm1, log, log1p, tanh, logistic, sin, cos and sign equal the WebAssembly kernels bit for bit",
        () => {
          const xs = everyFloat(2 ** 11);
          for (const prim of ["exp", "expm1", "log", "log1p", "tanh", "logistic", "sin", "cos", "sign"]) {
            const spec = nodeSpec(prim, "float32", ["float32"], xs.length);
            const [wasm] = compileSimdF32(spec, false)!([xs]);
            expect(firstDifference(native(spec, [xs])[0]!, wasm!), prim).toBeNull();
          }
        },
      );

      it("arithmetic, max and min are exact; pow and atan2 within 1 ulp", () => {
        const [a, b] = pairs(20000);
        const ins = [Float32Array.from(a), Float32Array.from(b)];
        for (const prim of ARITH)
          expectSame(nodeSpec(prim, "float32", ["float32", "float32"], a.length), ins, prim);
        const pa = Float32Array.from(a, (x, i) => (i < 200 ? x : Math.abs(x)));
        for (const prim of ["pow", "atan2"]) {
          const w = worstUlps(nodeSpec(prim, "float32", ["float32", "float32"], a.length), [pa, ins[1]!]);
          expect(w.ulps, `${prim}(${pa[w.at]}, ${ins[1]![w.at]})`).toBeLessThanOrEqual(1);
        }
      });

      it("pow follows Math.pow where C's pow differs: NaN exponents and (±1)^±∞", () => {
        const a = Float32Array.from([1, 1, -1, -1, 1, Number.NaN, 2, 0]);
        const b = Float32Array.from([Number.NaN, Infinity, -Infinity, Infinity, 0, 0, -Infinity, -1]);
        expectSame(nodeSpec("pow", "float32", ["float32", "float32"], a.length), [a, b], "pow");
      });
    });

    describe("float64", () => {
      it("unary primitives without rounding error are exact", () => {
        const xs = mixed(30000, -1e6, 1e6, SPECIAL64);
        for (let i = 100; i < 3000; i++) xs[i] = (i % 40) / 4 - 5; // halves for round
        for (const prim of F64_EXACT)
          expectSame(nodeSpec(prim, "float64", ["float64"], xs.length), [xs], prim);
      });

      it("arithmetic, max and min are exact", () => {
        const ins = pairs(30000, SPECIAL64);
        for (const prim of ARITH)
          expectSame(nodeSpec(prim, "float64", ["float64", "float64"], 30000), ins, prim);
      });

      it("transcendental functions are declined (libm and V8's Math differ in the last bit)", () => {
        for (const prim of ["exp", "log", "sin", "tanh", "logistic", "tan", "pow", "atan2", "erf"]) {
          const args: DType[] = prim === "pow" || prim === "atan2" ? ["float64", "float64"] : ["float64"];
          expect(nativeFusedDecline(nodeSpec(prim, "float64", args, 4096)), prim).not.toBeNull();
        }
        expect(nativeFusedDecline(nodeSpec("erf", "float32", ["float32"], 4096))).not.toBeNull();
      });
    });

    describe("int32, bool: comparisons, select_n, conversions", () => {
      const ints = () => {
        const v = Int32Array.from(uniform(20000, -3e9, 3e9), (x) => x | 0);
        v.set([0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 65536, -65536, 46341, 7, -7, 0, 3]);
        for (let i = 12; i < v.length; i += 5) v[i] = (v[i]! % 100) | 0;
        return v;
      };

      it("int32 arithmetic wraps as JavaScript's | 0 (products rounded in float64 first)", () => {
        const a = ints();
        const b = ints().reverse();
        for (const prim of ARITH)
          expectSame(nodeSpec(prim, "int32", ["int32", "int32"], a.length), [a, b], prim);
        for (const prim of ["neg", "abs", "sign", "floor", "ceil", "round", "stop_gradient"])
          expectSame(nodeSpec(prim, "int32", ["int32"], a.length), [a], prim);
      });

      it("comparisons of every dtype, NaN and ±0 included", () => {
        const [a, b] = pairs(8192, SPECIAL64);
        const cases: [DType, TypedArray[]][] = [
          ["float32", [Float32Array.from(a), Float32Array.from(b)]],
          ["float64", [a, b]],
          ["int32", [Int32Array.from(a, (x) => x | 0), Int32Array.from(b, (x) => x | 0)]],
          ["bool", [Uint8Array.from(a, (x) => (x > 0 ? 1 : 0)), Uint8Array.from(b, (x) => (x > 0 ? 1 : 0))]],
        ];
        for (const [t, ins] of cases)
          for (const prim of COMPARE) expectSame(nodeSpec(prim, "bool", [t, t], 8192), ins, `${prim} ${t}`);
      });

      it("conversions between every pair of dtypes (NaN, ±∞ and out-of-range values to int32)", () => {
        const v = mixed(8192, -5e9, 5e9, [...SPECIAL64, 4294967296 + 5, -4294967296 - 5, 2 ** 63, 1e300]);
        const data: Record<DType, TypedArray> = {
          float32: Float32Array.from(v),
          float64: v,
          int32: Int32Array.from(v, (x) => x | 0),
          bool: Uint8Array.from(v, (x) => (x ? 1 : 0)),
        };
        for (const from of ["float32", "float64", "int32", "bool"] as DType[])
          for (const to of ["float32", "float64", "int32", "bool"] as DType[])
            expectSame(nodeSpec("convert_element_type", to, [from], 8192), [data[from]], `${from} → ${to}`);
      });

      it("select_n of every dtype on bool and int32 predicates; comparisons feeding selects", () => {
        const n = 8192;
        const [a, b] = pairs(n);
        const pred = Uint8Array.from({ length: n }, () => (rng.uniform() < 0.5 ? 1 : 0));
        const ipred = Int32Array.from(pred, (p, i) => p * ((i % 3) - 1));
        const data: Record<DType, [TypedArray, TypedArray]> = {
          float32: [Float32Array.from(a), Float32Array.from(b)],
          float64: [a, b],
          int32: [Int32Array.from(a, (x) => x * 1000), Int32Array.from(b, (x) => x * 1000)],
          bool: [Uint8Array.from(a, (x) => (x > 0 ? 1 : 0)), Uint8Array.from(b, (x) => (x > 0 ? 1 : 0))],
        };
        for (const t of ["float32", "float64", "int32", "bool"] as DType[])
          for (const [pt, p] of [
            ["bool", pred],
            ["int32", ipred],
          ] as const)
            expectSame(nodeSpec("select_n", t, [pt, t, t], n), [p, ...data[t]], `select_n ${pt} ${t}`);
        // relu as jit writes it, with the mask stored as bool.
        const x = Float32Array.from(a);
        const spec: FusedSpec = {
          shape: [n],
          inputs: [contiguous("float32", [n])],
          nodes: [
            { prim: "le", args: [{ input: 0 }, { literal: 0 }], dtype: "bool" },
            { prim: "select_n", args: [{ node: 0 }, { input: 0 }, { literal: 0 }], dtype: "float32" },
            { prim: "abs", args: [{ input: 0 }], dtype: "float32" },
            { prim: "eq", args: [{ node: 2 }, { literal: Infinity }], dtype: "bool" },
          ],
          outputs: [
            { value: { node: 0 }, dtype: "bool", size: n },
            { value: { node: 1 }, dtype: "float32", size: n },
            { value: { node: 3 }, dtype: "bool", size: n },
          ],
        };
        expectSame(spec, [x], "relu with its mask");
      });

      it("a literal a float32 node cannot hold exactly is declined", () => {
        const n = 4096;
        const spec: FusedSpec = {
          shape: [n],
          inputs: [contiguous("float32", [n])],
          nodes: [{ prim: "add", args: [{ input: 0 }, { literal: 0.1 }], dtype: "float32" }],
          outputs: [{ value: { node: 0 }, dtype: "float32", size: n }],
        };
        expect(nativeFusedDecline(spec)).not.toBeNull();
      });
    });

    describe("input layouts", () => {
      const x = Float32Array.from(mixed(40000));
      const y = Float64Array.from(mixed(40000));
      /** add(a, b) over `shape` with the given reads of x (float32) and y (float64 converted). */
      const layoutSpec = (
        shape: number[],
        a: { offset: number; strides: number[]; bounds?: { lo: number[]; hi: number[] } },
        b: { offset: number; strides: number[]; bounds?: { lo: number[]; hi: number[] } },
      ): FusedSpec => ({
        shape,
        inputs: [
          { dtype: "float32", ...a },
          { dtype: "float64", ...b },
        ],
        nodes: [
          { prim: "convert_element_type", args: [{ input: 1 }], dtype: "float32" },
          { prim: "mul", args: [{ input: 0 }, { node: 0 }], dtype: "float32" },
          { prim: "add", args: [{ node: 1 }, { input: 0 }], dtype: "float32" },
        ],
        outputs: [
          { value: { node: 2 }, dtype: "float32", size: sizeOf(shape) },
          { value: { input: 0 }, dtype: "float32", size: sizeOf(shape) },
        ],
      });
      const cases: [string, FusedSpec][] = [
        [
          "contiguous",
          layoutSpec([100, 300], { offset: 0, strides: [300, 1] }, { offset: 5, strides: [300, 1] }),
        ],
        [
          "transposed",
          layoutSpec([150, 200], { offset: 0, strides: [1, 150] }, { offset: 0, strides: [200, 1] }),
        ],
        [
          "row broadcast",
          layoutSpec([120, 250], { offset: 0, strides: [0, 1] }, { offset: 0, strides: [250, 1] }),
        ],
        [
          "column broadcast",
          layoutSpec([120, 250], { offset: 3, strides: [1, 0] }, { offset: 0, strides: [250, 1] }),
        ],
        ["scalar", layoutSpec([120, 250], { offset: 7, strides: [0, 0] }, { offset: 0, strides: [250, 1] })],
        ["reversed", layoutSpec([30000], { offset: 29999, strides: [-1] }, { offset: 0, strides: [1] })],
        [
          "strided slice, reversed rows",
          layoutSpec([90, 70], { offset: 11, strides: [420, 3] }, { offset: 6301, strides: [-70, -1] }),
        ],
        [
          "short rows",
          layoutSpec([1000, 7], { offset: 0, strides: [9, 1] }, { offset: 0, strides: [1, 1000] }),
        ],
        [
          "3-D, not mergeable",
          layoutSpec([20, 30, 50], { offset: 0, strides: [1600, 50, 1] }, { offset: 0, strides: [0, 1, 30] }),
        ],
        [
          "padded along the row",
          layoutSpec(
            [30000],
            { offset: -1, strides: [1], bounds: { lo: [1], hi: [29999] } },
            { offset: 0, strides: [1], bounds: { lo: [0], hi: [25000] } },
          ),
        ],
        [
          "padded along rows and columns",
          layoutSpec(
            [100, 130],
            { offset: -130 * 3 - 5, strides: [130, 1], bounds: { lo: [3, 5], hi: [90, 120] } },
            { offset: 0, strides: [130, 1], bounds: { lo: [0, 0], hi: [100, 64] } },
          ),
        ],
        [
          "padded to nothing",
          layoutSpec(
            [100, 100],
            { offset: 0, strides: [100, 1], bounds: { lo: [0, 50], hi: [100, 50] } },
            { offset: 0, strides: [100, 1] },
          ),
        ],
      ];
      for (const [what, spec] of cases)
        it(`${what}: exact, one and two threads alike`, () => {
          const one = expectSame(spec, [x, y], what, 1);
          const two = native(spec, [x, y], 2);
          two.forEach((t, j) => expect(firstDifference(t, one[j]!), `${what}: two threads`).toBeNull());
        });

      it("bool and int32 inputs broadcast and strided", () => {
        const shape = [64, 80];
        const mask = Uint8Array.from({ length: 80 }, (_, i) => (i % 3) & 1);
        const ints = Int32Array.from({ length: 64 * 80 }, (_, i) => (i * 7919) % 1000);
        const spec: FusedSpec = {
          shape,
          inputs: [
            { dtype: "bool", offset: 0, strides: [0, 1] },
            { dtype: "int32", offset: 0, strides: [1, 64] },
          ],
          nodes: [
            { prim: "convert_element_type", args: [{ input: 1 }], dtype: "float64" },
            { prim: "select_n", args: [{ input: 0 }, { node: 0 }, { literal: -1.5 }], dtype: "float64" },
          ],
          outputs: [{ value: { node: 1 }, dtype: "float64", size: 64 * 80 }],
        };
        expectSame(spec, [mask, ints], "bool and int32 reads");
      });
    });

    describe("reductions", () => {
      const shape = [37, 29, 41];
      const n = sizeOf(shape);
      /** |x|·w reduced over `axes` by `kind` (exact operations: any difference is the reduction's). */
      const reduceSpec = (dtype: DType, kind: ReduceKind, axes: number[], transposed = false): FusedSpec => {
        const keep = shape.map((d, i) => (axes.includes(i) ? 1 : d));
        const kst = stridesOf(keep);
        const xst = transposed ? [1, shape[0]! * shape[2]!, shape[0]!] : stridesOf(shape);
        return {
          shape,
          inputs: [
            { dtype, offset: 0, strides: xst },
            { dtype, offset: 0, strides: [0, 0, 1] },
          ],
          nodes: [
            { prim: "abs", args: [{ input: 0 }], dtype },
            { prim: "mul", args: [{ node: 0 }, { input: 1 }], dtype },
          ],
          outputs: [
            {
              value: { node: 1 },
              dtype,
              reduce: kind,
              strides: keep.map((k, i) => (axes.includes(i) || k === 1 ? 0 : kst[i]!)),
              size: sizeOf(keep),
            },
          ],
        };
      };
      const data = (dtype: DType) => {
        const v = mixed(n, -4, 4);
        // Zeros of both signs, to see which one a zero maximum or minimum keeps, and no NaN in most rows.
        for (let i = 0; i < n; i++) if (i % 5 === 0) v[i] = i % 10 === 0 ? 0 : -0;
        for (let i = 0; i < 12; i++) v[i] = 1;
        v[n - 100] = Number.NaN;
        const w = Float64Array.from({ length: 41 }, (_, i) => (i % 4 === 0 ? 0 : i / 7));
        return dtype === "float32" ? [Float32Array.from(v), Float32Array.from(w)] : [v, w];
      };
      const AXES = [[0], [1], [2], [0, 1], [1, 2], [0, 2], [0, 1, 2]];

      for (const kind of ["sum", "max", "min", "prod"] as ReduceKind[])
        for (const dtype of ["float32", "float64"] as DType[])
          it(`${kind}, ${dtype}, over every set of axes, transposed too, one and two threads alike`, () => {
            const ins = data(dtype);
            for (const axes of AXES)
              for (const transposed of [false, true]) {
                const spec = reduceSpec(dtype, kind, axes, transposed);
                const what = `${kind} over [${axes}]${transposed ? " (transposed)" : ""}`;
                const one = native(spec, ins, 1)[0]!;
                const two = native(spec, ins, 2)[0]!;
                expect(firstDifference(two, one), `${what}: two threads`).toBeNull();
                const want = interpretFused(spec)(ins)[0]!;
                // Along kept rows, and everywhere in float64 and for max, min and prod, the reference's order;
                // float32 sums along a row use lanes: within an ulp.
                const lanes = dtype === "float32" && kind === "sum" && axes.includes(2) && !transposed;
                if (!lanes) expect(firstDifference(one, want), what).toBeNull();
                else
                  for (let i = 0; i < want.length; i++)
                    expect(ulps(one[i]!, want[i]!), `${what} [${i}]`).toBeLessThanOrEqual(1);
              }
          });

      it("long float32 rows (16 lanes): sums within an ulp, maxima and minima exact; threads alike", () => {
        const rows = 23;
        const cols = 1999;
        const x = Float32Array.from(mixed(rows * cols, -50, 50));
        x[5 * cols + 77] = Number.NaN;
        for (const kind of ["sum", "max", "min"] as const)
          for (const strides of [
            [1, 0],
            [0, 0],
          ]) {
            const spec: FusedSpec = {
              shape: [rows, cols],
              inputs: [contiguous("float32", [rows, cols])],
              nodes: [{ prim: "abs", args: [{ input: 0 }], dtype: "float32" }],
              outputs: [
                {
                  value: { node: 0 },
                  dtype: "float32",
                  reduce: kind,
                  strides,
                  size: strides[0] === 1 ? rows : 1,
                },
              ],
            };
            const what = `${kind} with strides [${strides}]`;
            const [one] = native(spec, [x], 1);
            expect(firstDifference(native(spec, [x], 2)[0]!, one!), `${what}: two threads`).toBeNull();
            const [want] = interpretFused(spec)([x]);
            for (let i = 0; i < want!.length; i++)
              expect(ulps(one![i]!, want![i]!), `${what} [${i}]`).toBeLessThanOrEqual(kind === "sum" ? 1 : 0);
          }
      });

      it("int32 and bool reductions cast as the reference casts them", () => {
        const ints = Int32Array.from({ length: n }, (_, i) => ((i * 7919) % 2001) - 1000);
        ints.set([2 ** 31 - 1, 2 ** 31 - 1, 2 ** 31 - 1, -(2 ** 31)]);
        const bools = Uint8Array.from(ints, (v) => (v % 3 === 0 ? 1 : 0));
        for (const axes of AXES) {
          const keep = shape.map((d, i) => (axes.includes(i) ? 1 : d));
          const kst = stridesOf(keep);
          const strides = keep.map((k, i) => (axes.includes(i) || k === 1 ? 0 : kst[i]!));
          for (const [dtype, x, kinds] of [
            ["int32", ints, ["sum", "max", "min", "prod"]],
            ["bool", bools, ["sum", "max", "min"]],
          ] as const)
            for (const kind of kinds) {
              const spec: FusedSpec = {
                shape,
                inputs: [contiguous(dtype, shape)],
                nodes: [],
                outputs: [{ value: { input: 0 }, dtype, reduce: kind, strides, size: sizeOf(keep) }],
              };
              const what = `${dtype} ${kind} over [${axes}]`;
              const one = expectSame(spec, [x], what);
              expect(firstDifference(native(spec, [x], 2)[0]!, one[0]!), `${what}: two threads`).toBeNull();
            }
        }
      });

      it("a zero maximum or minimum keeps the sign of the row's first zero", () => {
        const rows = 64;
        const cols = 300;
        const v = new Float32Array(rows * cols).fill(-1);
        for (let r = 0; r < rows; r++) {
          // The first zero lands in a different lane (and block position) in every row.
          const first = (r * 37) % cols;
          v[r * cols + first] = r % 2 === 0 ? -0 : 0;
          for (let c = first + 1; c < cols; c += 17) v[r * cols + c] = r % 2 === 0 ? 0 : -0;
          if (r % 8 === 3) v.fill(1, r * cols, (r + 1) * cols); // nonzero maximum, zero nowhere
        }
        for (const kind of ["max", "min"] as const) {
          const x = kind === "max" ? v : v.map((a) => -a);
          const spec: FusedSpec = {
            shape: [rows, cols],
            inputs: [contiguous("float32", [rows, cols])],
            nodes: [],
            outputs: [{ value: { input: 0 }, dtype: "float32", reduce: kind, strides: [1, 0], size: rows }],
          };
          expectSame(spec, [x], `${kind} along rows`);
        }
      });

      it("stored and reduced outputs of one loop (softmax's exp and its row sums, a bias gradient)", () => {
        const x = Float32Array.from(mixed(128 * 10, -5, 5));
        const m = Float32Array.from(uniform(128, 0, 3));
        const softmax: FusedSpec = {
          shape: [128, 10],
          inputs: [contiguous("float32", [128, 10]), { dtype: "float32", offset: 0, strides: [1, 0] }],
          nodes: [
            { prim: "sub", args: [{ input: 0 }, { input: 1 }], dtype: "float32" },
            { prim: "exp", args: [{ node: 0 }], dtype: "float32" },
          ],
          outputs: [
            { value: { node: 1 }, dtype: "float32", size: 1280 },
            { value: { node: 1 }, dtype: "float32", reduce: "sum", strides: [1, 0], size: 128 },
            { value: { node: 0 }, dtype: "float32", reduce: "max", strides: [0, 0], size: 1 },
          ],
        };
        const [e, s, top] = native(softmax, [x, m]);
        const want = interpretFused(softmax)([x, m]);
        for (let i = 0; i < 1280; i++)
          expect(ulps(e![i]!, want[0]![i]!), `exp [${i}]`).toBeLessThanOrEqual(1);
        // Sums of values each within an ulp of the reference's.
        for (let i = 0; i < 128; i++) {
          const [a, b] = [s![i]!, want[1]![i]!];
          expect(Object.is(a, b) || Math.abs(a - b) <= 2e-6 * b, `sum [${i}]: ${a} vs ${b}`).toBe(true);
        }
        expect(top![0]).toBe(want[2]![0]);
        const mask = Uint8Array.from({ length: 128 * 256 }, () => (rng.uniform() < 0.5 ? 1 : 0));
        const g = Float32Array.from(uniform(128 * 256, -1, 1));
        const bias: FusedSpec = {
          shape: [128, 256],
          inputs: [contiguous("bool", [128, 256]), contiguous("float32", [128, 256])],
          nodes: [{ prim: "select_n", args: [{ input: 0 }, { input: 1 }, { literal: 0 }], dtype: "float32" }],
          outputs: [
            { value: { node: 0 }, dtype: "float32", size: 128 * 256 },
            { value: { node: 0 }, dtype: "float32", reduce: "sum", strides: [0, 1], size: 256 },
          ],
        };
        const one = expectSame(bias, [mask, g], "bias gradient");
        const two = native(bias, [mask, g], 2);
        two.forEach((t, j) => expect(firstDifference(t, one[j]!), "two threads").toBeNull());
      });
    });

    describe("the kernel contract", () => {
      const n = 5000;
      const spec: FusedSpec = {
        shape: [n],
        inputs: [contiguous("float32", [n])],
        nodes: [
          { prim: "tanh", args: [{ input: 0 }], dtype: "float32" },
          { prim: "gt", args: [{ node: 0 }, { literal: 0 }], dtype: "bool" },
        ],
        outputs: [
          { value: { node: 0 }, dtype: "float32", size: n },
          { value: { node: 1 }, dtype: "bool", size: n },
          { value: { node: 0 }, dtype: "float32", reduce: "sum", strides: [0], size: 1 },
        ],
      };
      const x = Float32Array.from(uniform(n, -3, 3));

      it("writes into the arrays it is given (outs) and returns them", () => {
        const outs = [new Float32Array(n).fill(7), new Uint8Array(n).fill(9), undefined];
        const got = native(spec, [x], 1, outs);
        expect(got[0]).toBe(outs[0]);
        expect(got[1]).toBe(outs[1]);
        const want = native(spec, [x], 1);
        got.forEach((g, j) => expect(firstDifference(g, want[j]!), `output ${j}`).toBeNull());
      });

      it("compileFused runs large loops natively and small ones elsewhere", () => {
        const before = nativeFusedStats.runs;
        compileFused(spec)([x]);
        expect(nativeFusedStats.runs).toBe(before + 1);
        const small = NATIVE_FUSED_MIN_ELEMENTS - 1;
        compileFused(nodeSpec("exp", "float32", ["float32"], small))([new Float32Array(small)]);
        expect(nativeFusedStats.runs).toBe(before + 1);
      });

      it("arrays of the wrong type or length go to the fallback kernel instead", () => {
        let fallbacks = 0;
        const kernel = compileNativeFused(
          spec,
          () => {
            fallbacks++;
            return interpretFused(spec);
          },
          { minElements: 0 },
        )!;
        const want = interpretFused(spec)([x]);
        for (const bad of [Float64Array.from(x), x.subarray(1)]) {
          const got = kernel([bad]);
          if (bad instanceof Float64Array) continue; // the fallback reads it as numbers too
          got.forEach((g, j) => expect(g.length, `output ${j}`).toBe(want[j]!.length));
        }
        expect(fallbacks).toBe(1);
        const outs = [new Float64Array(n), undefined, undefined];
        expect(kernel([x], outs)[0]).not.toBe(outs[0]);
        // An output that is an input (computing in place) is left to the fallback too.
        const y = Float32Array.from(x);
        const inPlace = kernel([y], [y, undefined, undefined]);
        expect(firstDifference(inPlace[0]!, want[0]!)).toBeNull();
        expect(fallbacks).toBe(1);
      });

      it("size-1 dims are dropped and dims walked as one are merged: a 4-D view runs as a 1-D loop", () => {
        const shape = [1, 20, 1, 300];
        const x = Float32Array.from(uniform(6000, -2, 2));
        const spec: FusedSpec = {
          shape,
          inputs: [
            { dtype: "float32", offset: 0, strides: [0, 300, 7, 1] },
            {
              dtype: "float32",
              offset: 0,
              strides: [0, 0, 0, 1],
              bounds: { lo: [0, 0, 0, 0], hi: [1, 20, 1, 250] },
            },
          ],
          nodes: [{ prim: "sub", args: [{ input: 0 }, { input: 1 }], dtype: "float32" }],
          outputs: [
            { value: { node: 0 }, dtype: "float32", size: 6000 },
            { value: { node: 0 }, dtype: "float32", reduce: "sum", strides: [0, 1, 0, 0], size: 20 },
          ],
        };
        expectSame(spec, [x, x], "4-D view");
        expect(nativeFusedDecline({ ...spec, shape: [1, 1, 1, 1], outputs: [] })).not.toBeNull();
      });

      it("malformed descriptions are refused with a reason, never run", () => {
        for (const desc of [
          [],
          [1],
          [1, 10, 0, 0, 0],
          [17],
          [1, 4, 1, 9, 0, 1, 0],
          [1, 4, 0, 1, 99, 0, 1, 0, 0, 0],
        ])
          expect(typeof addon!.fusedCompile(Float64Array.from(desc), ["float32", "neg"])).toBe("string");
        expect(() => addon!.fusedCompile(new Float64Array(1), [1 as unknown as string])).toThrow();
        expect(() => addon!.fusedRun({}, [], [], 1)).toThrow();
      });
    });

    describe("operations by name", () => {
      /** The elementwise primitives fused.ts sent the addon when operations were still numbered. */
      const SENT = [
        ...["neg", "sign", "floor", "ceil", "round", "abs", "exp", "log", "expm1", "log1p", "sqrt"],
        ...["sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "logistic", "erf"],
        ...["stop_gradient", "add", "sub", "mul", "div", "pow", "max", "min", "atan2"],
        ...["eq", "ne", "lt", "le", "gt", "ge", "select_n", "convert_element_type"],
      ];
      /** Primitives the addon leaves to the other engines (the reference's erf series is not libm's). */
      const NOT_NATIVE = ["erf"];

      /** The real addon, reporting `ops` as its operations instead of its own list. */
      const reporting = (ops: (real: string[]) => string[]): NativeAddon => ({
        ...addon!,
        fusedOps: () => ops(addon!.fusedOps()),
      });

      /** Runs `body` with nativeAddon() answering `stand`, then the real addon again. */
      function withAddon(stand: NativeAddon, body: () => void) {
        replaceNativeAddon(stand);
        try {
          body();
        } finally {
          replaceNativeAddon(undefined);
        }
      }

      // exp(x)·x + 1: a chain the addon runs, with exp as the stand-in for a primitive it does not know.
      const n = 4096;
      const chain: FusedSpec = {
        shape: [n],
        inputs: [contiguous("float32", [n])],
        nodes: [
          { prim: "exp", args: [{ input: 0 }], dtype: "float32" },
          { prim: "mul", args: [{ node: 0 }, { input: 0 }], dtype: "float32" },
          { prim: "add", args: [{ node: 1 }, { literal: 1 }], dtype: "float32" },
        ],
        outputs: [{ value: { node: 2 }, dtype: "float32", size: n }],
      };

      it("the addon names every elementwise primitive fused.ts sends, erf aside, and nothing else", () => {
        const ops = addon!.fusedOps();
        expect(SENT.filter((p) => !NOT_NATIVE.includes(p) && !ops.includes(p))).toEqual([]);
        expect(ops.filter((p) => !isElementwise(p as Prim) || NOT_NATIVE.includes(p))).toEqual([]);
        expect(new Set(ops).size).toBe(ops.length);
      });

      it("a loop with an operation the addon does not report is declined, and runs on the next engine", () => {
        const x = Float32Array.from(uniform(n, -4, 4));
        const [want] = interpretFused(chain)([x]);
        withAddon(
          reporting((real) => real.filter((p) => p !== "exp")),
          () => {
            const declined: Declined[] = [];
            const before = nativeFusedStats.runs;
            const { kernel, engine } = compileFusedOn(chain, declined);
            expect(declined[0]).toEqual({ engine: "native", reason: "the addon does not implement exp" });
            expect(engine).not.toBe("native");
            const [got] = kernel([x]);
            expect(nativeFusedStats.runs, "nothing ran natively").toBe(before);
            let worst = 0;
            for (let i = 0; i < n; i++) worst = Math.max(worst, ulps(got![i]!, want![i]!));
            expect(worst, `on ${engine}`).toBeLessThanOrEqual(2);
          },
        );
        // The same loop with the addon's own list runs natively.
        expect(nativeFusedDecline(chain)).toBeNull();
        expect(compileFusedOn(chain).engine).toBe("native");
      });

      it("the addon itself declines a name it does not know, naming it", () => {
        withAddon(
          reporting((real) => [...real, "made_up"]),
          () => {
            const nodes = [{ ...chain.nodes[0]!, prim: "made_up" as FusedNode["prim"] }];
            expect(
              nativeFusedDecline({
                ...chain,
                nodes,
                outputs: [{ ...chain.outputs[0]!, value: { node: 0 } }],
              }),
            ).toBe('unknown operation "made_up"');
          },
        );
        const inputs = [{ ...chain.inputs[0]!, dtype: "float16" as DType }];
        expect(nativeFusedDecline({ ...chain, inputs })).toBe('unknown element type "float16"');
        const outputs = [{ ...chain.outputs[0]!, reduce: "mean" as ReduceKind, strides: [0], size: 1 }];
        expect(nativeFusedDecline({ ...chain, outputs })).toBe('unknown reduction "mean"');
      });
    });

    it("large loops: one and two threads alike (rows, columns, a single row)", () => {
      const shapes = [[300, 700], [3, 100000], [250000]];
      for (const shape of shapes) {
        const n = sizeOf(shape);
        const x = Float32Array.from(uniform(n, -4, 4));
        const spec: FusedSpec = {
          shape,
          inputs: [contiguous("float32", shape)],
          nodes: [
            { prim: "sin", args: [{ input: 0 }], dtype: "float32" },
            { prim: "logistic", args: [{ node: 0 }], dtype: "float32" },
          ],
          outputs: [
            { value: { node: 1 }, dtype: "float32", size: n },
            ...(shape.length === 2
              ? [
                  {
                    value: { node: 0 },
                    dtype: "float32" as const,
                    reduce: "sum" as const,
                    strides: [0, 1],
                    size: shape[1]!,
                  },
                ]
              : []),
          ],
        };
        const one = native(spec, [x], 1);
        const two = native(spec, [x], 2);
        two.forEach((t, j) => expect(firstDifference(t, one[j]!), `[${shape}] output ${j}`).toBeNull());
      }
    });
  },
);
