// The conv primitive against plain loops written from its definition: the reference kernel, the native
// direct kernel (bit for bit in float64 and float32) and the unrolled matrix product of large channel
// counts; its transposes against the inner-product identity; vmap with either or both operands batched;
// and the errors of bad operands.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { withEngines } from "../../src/backend/engines.js";
import { nativeConvReady } from "../../src/backend/native/conv.js";
import { type ConvParams, conv } from "../../src/primitives/conv.js";
import { values } from "../util/approx.js";
import { expectClose } from "../util/close.js";

type T = nb.Tensor;
const randn = (seed: number, shape: number[], dtype: "float32" | "float64" = "float64") =>
  nb.random.normal(nb.random.key(seed), shape, { dtype });

/**
 * out[n, o, y, x] = Σ_c Σ_i Σ_j w[o, c, i, j] · x_d[n, c, y·s + i·d − lo, x·s + j·d − lo], x_d the input with
 * lhsDilation − 1 zeros between pixels, zero outside.
 */
function loops(x: T, w: T, p: ConvParams): { shape: number[]; data: number[] } {
  const [n, c, h, wd] = x.shape as [number, number, number, number];
  const [o, , kh, kw] = w.shape as [number, number, number, number];
  const xv = values(x);
  const wv = values(w);
  const size = (len: number, k: number, a: number) =>
    Math.floor(
      ((len - 1) * p.lhsDilation[a]! + 1 + p.padLo[a]! + p.padHi[a]! - p.dilation[a]! * (k - 1) - 1) /
        p.strides[a]!,
    ) + 1;
  const oh = size(h, kh, 0);
  const ow = size(wd, kw, 1);
  const data: number[] = [];
  for (let b = 0; b < n; b++)
    for (let f = 0; f < o; f++)
      for (let y = 0; y < oh; y++)
        for (let z = 0; z < ow; z++) {
          let acc = 0;
          for (let ch = 0; ch < c; ch++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const yd = y * p.strides[0]! + i * p.dilation[0]! - p.padLo[0]!;
                const zd = z * p.strides[1]! + j * p.dilation[1]! - p.padLo[1]!;
                const [yy, zz] = [yd / p.lhsDilation[0]!, zd / p.lhsDilation[1]!];
                if (Number.isInteger(yy) && Number.isInteger(zz) && yy >= 0 && yy < h && zz >= 0 && zz < wd)
                  acc += wv[((f * c + ch) * kh + i) * kw + j]! * xv[((b * c + ch) * h + yy) * wd + zz]!;
              }
          data.push(acc);
        }
  return { shape: [n, o, oh, ow], data };
}

const geometries: { name: string; x: number[]; w: number[]; p: ConvParams }[] = [
  {
    name: "a dilated input with unit strides (a transposed convolution's, zero rows skipped)",
    x: [2, 2, 5, 6],
    w: [3, 2, 3, 2],
    p: { strides: [1, 1], padLo: [2, 1], padHi: [2, 0], dilation: [1, 1], lhsDilation: [2, 2] },
  },
  {
    name: "a transposed convolution whose stride equals its kernel (each output pixel meets one input pixel)",
    x: [2, 2, 3, 4],
    w: [3, 2, 2, 3],
    p: { strides: [1, 1], padLo: [1, 2], padHi: [1, 2], dilation: [1, 1], lhsDilation: [2, 3] },
  },
  {
    name: "unit strides, padding 1",
    x: [2, 3, 7, 6],
    w: [4, 3, 3, 3],
    p: { strides: [1, 1], padLo: [1, 1], padHi: [1, 1], dilation: [1, 1], lhsDilation: [1, 1] },
  },
  {
    name: "strides, dilation, uneven padding",
    x: [2, 2, 9, 8],
    w: [3, 2, 2, 3],
    p: { strides: [2, 3], padLo: [2, 0], padHi: [0, 3], dilation: [2, 1], lhsDilation: [1, 1] },
  },
  {
    name: "a kernel-sized output plane (a weight gradient's shape), nine output channels",
    x: [2, 6, 10, 10],
    w: [9, 6, 8, 8],
    p: { strides: [1, 1], padLo: [1, 0], padHi: [0, 1], dilation: [1, 1], lhsDilation: [1, 1] },
  },
  {
    name: "a small output plane, two output channels",
    x: [1, 3, 6, 5],
    w: [2, 3, 4, 4],
    p: { strides: [1, 1], padLo: [0, 1], padHi: [0, 0], dilation: [1, 1], lhsDilation: [1, 1] },
  },
  {
    name: "a dilated input (a transposed convolution's), with strides and padding",
    x: [2, 3, 5, 4],
    w: [4, 3, 3, 2],
    p: { strides: [1, 2], padLo: [2, 1], padHi: [1, 0], dilation: [1, 2], lhsDilation: [2, 3] },
  },
  {
    name: "many channels (unrolled into a matrix product)",
    x: [2, 24, 9, 9],
    w: [5, 24, 3, 3],
    p: { strides: [1, 2], padLo: [1, 1], padHi: [1, 1], dilation: [1, 1], lhsDilation: [1, 1] },
  },
];

describe("conv", () => {
  for (const g of geometries)
    it(`matches plain loops on every backend and engine: ${g.name}`, () => {
      const x = randn(1, g.x);
      const w = randn(2, g.w);
      const want = loops(x, w, g.p);
      const ref = (() => {
        const prev = nb.getBackend();
        nb.setBackend("reference");
        try {
          return conv(x, w, g.p);
        } finally {
          nb.setBackend(prev);
        }
      })();
      expect(ref.shape).toEqual(want.shape);
      expectClose(values(ref), want.data, { atol: 1e-12, rtol: 1e-12 });
      for (const engines of [["native", "wasm", "threads", "js"], ["wasm", "js"], ["js"]] as const)
        withEngines(engines, () => {
          const fast = conv(x, w, g.p);
          const jitted = nb.jit((a: T, b: T) => conv(a, b, g.p))(x, w);
          expectClose(values(fast), values(ref), { atol: 1e-12, rtol: 1e-12 });
          expect(values(jitted)).toEqual(values(fast));
        });
    });

  it.skipIf(!nativeConvReady())(
    "the native kernel equals the reference bit for bit in float64 and float32",
    () => {
      for (const dtype of ["float64", "float32"] as const)
        for (const g of geometries.slice(0, 7)) {
          const x = randn(3, g.x, dtype);
          const w = randn(4, g.w, dtype);
          const fast = values(conv(x, w, g.p));
          const prev = nb.getBackend();
          nb.setBackend("reference");
          try {
            expect(fast).toEqual(values(conv(x, w, g.p)));
          } finally {
            nb.setBackend(prev);
          }
        }
    },
  );

  for (const g of geometries.slice(0, 7))
    it(`its transposes satisfy ⟨conv(x, w), v⟩ = ⟨x, x̄(v)⟩ = ⟨w, w̄(v)⟩: ${g.name}`, () => {
      const x = randn(5, g.x);
      const w = randn(6, g.w);
      const y = conv(x, w, g.p);
      const v = randn(7, y.shape as number[]);
      const [, pullX] = nb.vjp((a: T) => conv(a, w, g.p), x);
      const [, pullW] = nb.vjp((b: T) => conv(x, b, g.p), w);
      const lhs = nb.sum(nb.mul(y, v)).item();
      expect(nb.sum(nb.mul(x, pullX(v)[0]!)).item()).toBeCloseTo(lhs, 10);
      expect(nb.sum(nb.mul(w, pullW(v)[0]!)).item()).toBeCloseTo(lhs, 10);
    });

  it("a non-finite weight times padding or an input dilation's zeros gives NaN, as in the reference", () => {
    for (const g of geometries.slice(0, 2)) {
      const x = randn(10, g.x);
      const size = g.w.reduce((p, d) => p * d, 1);
      const w = nb.where(nb.equal(nb.arange(size).reshape(g.w), 5), Infinity, randn(11, g.w));
      const fast = values(conv(x, w, g.p));
      const prev = nb.getBackend();
      nb.setBackend("reference");
      try {
        expect(fast).toEqual(values(conv(x, w, g.p)));
      } finally {
        nb.setBackend(prev);
      }
      expect(fast.some(Number.isNaN)).toBe(true);
    }
  });

  it("batches either operand or both under vmap", () => {
    const p: ConvParams = {
      strides: [2, 1],
      padLo: [1, 0],
      padHi: [0, 1],
      dilation: [1, 2],
      lhsDilation: [1, 1],
    };
    const xs = randn(8, [3, 2, 2, 6, 5]);
    const ws = randn(9, [3, 4, 2, 2, 2]);
    const x0 = nb.slice(xs, [0, 0, 0, 0, 0], [1, 2, 2, 6, 5]).reshape([2, 2, 6, 5]);
    const w0 = nb.slice(ws, [0, 0, 0, 0, 0], [1, 4, 2, 2, 2]).reshape([4, 2, 2, 2]);
    const one = (a: T, b: T) => values(conv(a, b, p));
    const byX = nb.vmap((a: T) => conv(a, w0, p))(xs);
    const byW = nb.vmap((b: T) => conv(x0, b, p), { inAxes: 0 })(ws);
    const both = nb.vmap((a: T, b: T) => conv(a, b, p))(xs, ws);
    for (let i = 0; i < 3; i++) {
      const xi = nb.slice(xs, [i, 0, 0, 0, 0], [1, 2, 2, 6, 5]).reshape([2, 2, 6, 5]);
      const wi = nb.slice(ws, [i, 0, 0, 0, 0], [1, 4, 2, 2, 2]).reshape([4, 2, 2, 2]);
      const at = (t: T) => values(nb.slice(t, [i, 0, 0, 0, 0], [1, ...t.shape.slice(1)]));
      expectClose(at(byX), one(xi, w0), { atol: 1e-12, rtol: 1e-12 });
      expectClose(at(byW), one(x0, wi), { atol: 1e-12, rtol: 1e-12 });
      expectClose(at(both), one(xi, wi), { atol: 1e-12, rtol: 1e-12 });
    }
  });

  it("rejects bad operands with the library's errors", () => {
    const p: ConvParams = {
      strides: [1, 1],
      padLo: [0, 0],
      padHi: [0, 0],
      dilation: [1, 1],
      lhsDilation: [1, 1],
    };
    expect(() => conv(nb.zeros([1, 2, 4, 4]), nb.zeros([3, 1, 2, 2]), p)).toThrow(nb.ShapeError);
    expect(() => conv(nb.zeros([1, 2, 4, 4]), nb.zeros([3, 1, 2, 2]), p)).toThrow(/conv: .*channel/);
    expect(() => conv(nb.zeros([1, 1, 2, 2]), nb.zeros([1, 1, 3, 3]), p)).toThrow(
      /smaller than the dilated kernel/,
    );
    expect(() => conv(nb.zeros([1, 1, 4, 4]), nb.zeros([1, 1, 2, 2]), { ...p, strides: [0, 1] })).toThrow(
      /strides and dilations must be positive/,
    );
    expect(() => conv(nb.zeros([1, 1, 4, 4]), nb.zeros([1, 1, 2, 2], { dtype: "float64" }), p)).toThrow(
      nb.DTypeError,
    );
    expect(() => nb.nn.conv2d(nb.zeros([1, 2, 4, 4]), nb.zeros([3, 1, 2, 2]))).toThrow(
      "conv2d: expected input with 1 channels",
    );
  });
});
