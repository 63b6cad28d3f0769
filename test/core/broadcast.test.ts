// Property tests of broadcasting against a naive reference written here with plain index arithmetic:
// values and output shapes of add/mul/maximum/where, errors for incompatible shapes, gradients through
// broadcast operands (unbroadcast), and reshape/transpose round trips.
import fc from "fast-check";
import * as nb from "nabla";
import { describe, expect, it } from "vitest";

type Shape = number[];
const RUNS = { numRuns: 150 };

const sizeOf = (s: Shape) => s.reduce((a, b) => a * b, 1);
const fmt = (s: Shape) => `[${s.join(",")}]`;

/** NumPy's rule, written out independently: align right, each pair of dims equal or one of them 1. */
function numpyBroadcast(...shapes: Shape[]): Shape | null {
  const r = Math.max(0, ...shapes.map((s) => s.length));
  const out: Shape = [];
  for (let i = 0; i < r; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - r + i;
      const e = k >= 0 ? s[k]! : 1;
      if (e === 1) continue;
      if (d !== 1 && d !== e) return null;
      d = e;
    }
    out.push(d);
  }
  return out;
}

/** Row-major multi-index of flat position `flat` in `shape`. */
function unravel(flat: number, shape: Shape): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i]!;
    flat = Math.floor(flat / shape[i]!);
  }
  return idx;
}

/** Flat position in an operand of `shape` read at output index `outIdx` under broadcasting. */
function sourceOffset(outIdx: number[], shape: Shape): number {
  const lead = outIdx.length - shape.length;
  let off = 0;
  for (let i = 0; i < shape.length; i++) off = off * shape[i]! + (shape[i] === 1 ? 0 : outIdx[lead + i]!);
  return off;
}

/** The naive elementwise map over broadcast operands. */
function naive(shapes: Shape[], data: number[][], f: (...xs: number[]) => number): number[] {
  const out = numpyBroadcast(...shapes)!;
  return Array.from({ length: sizeOf(out) }, (_, k) => {
    const idx = unravel(k, out);
    return f(...shapes.map((s, j) => data[j]![sourceOffset(idx, s)]!));
  });
}

/** Deterministic small integers (exact in float32) for an operand of `n` elements. */
const fill = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13) % 11) - 5);
const tensor = (shape: Shape, data: number[]) => nb.reshape(nb.array(data), shape);

const dim = fc.integer({ min: 1, max: 3 });
const shapeArb = fc.array(dim, { minLength: 0, maxLength: 4 });

/** An operand shape that broadcasts to `out`: a suffix of it with some dims replaced by 1. */
const operandOf = (out: Shape) =>
  fc
    .tuple(fc.integer({ min: 0, max: out.length }), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }))
    .map(([rank, ones]) => out.slice(out.length - rank).map((d, i) => (ones[i] ? 1 : d)));

/** `n` operand shapes that broadcast together. */
const compatible = (n: number) =>
  shapeArb.chain((out) => fc.tuple(...Array.from({ length: n }, () => operandOf(out))));

/** Two shapes that do not broadcast together. */
const incompatible = fc
  .tuple(shapeArb, shapeArb)
  .filter(([a, b]) => numpyBroadcast(a, b) === null)
  .map(([a, b]): [Shape, Shape] => [a, b]);
const incompatibleArb = fc.oneof(
  incompatible,
  // guarantee plenty of clashes: two different dims > 1 aligned at the end
  fc.tuple(shapeArb, shapeArb, fc.constantFrom([2, 3], [3, 2])).map(([a, b, [p, q]]): [Shape, Shape] => [
    [...a, p!],
    [...b, q!],
  ]),
);

const seed = fc.integer({ min: 0, max: 100 });

describe("broadcasting agrees with a naive reference", () => {
  const binaries: [string, (x: nb.Tensor, y: nb.Tensor) => nb.Tensor, (a: number, b: number) => number][] = [
    ["add", nb.add, (a, b) => a + b],
    ["mul", nb.mul, (a, b) => a * b],
    ["maximum", nb.maximum, (a, b) => Math.max(a, b)],
    ["sub", nb.sub, (a, b) => a - b],
  ];
  for (const [name, op, ref] of binaries)
    it(`${name}: values and output shape`, () => {
      fc.assert(
        fc.property(compatible(2), seed, ([sa, sb], s) => {
          const da = fill(sizeOf(sa), s);
          const db = fill(sizeOf(sb), s + 1);
          const r = op(tensor(sa, da), tensor(sb, db));
          expect(r.shape).toEqual(numpyBroadcast(sa, sb));
          expect(Array.from(r.dataSync())).toEqual(naive([sa, sb], [da, db], ref));
        }),
        RUNS,
      );
    });

  it("where: condition and both branches broadcast together", () => {
    fc.assert(
      fc.property(compatible(3), seed, ([sc, sx, sy], s) => {
        const dc = fill(sizeOf(sc), s).map((v) => (v > 0 ? 1 : 0));
        const dx = fill(sizeOf(sx), s + 1);
        const dy = fill(sizeOf(sy), s + 2).map((v) => v + 100);
        const cond = nb.greater(tensor(sc, dc), 0);
        const r = nb.where(cond, tensor(sx, dx), tensor(sy, dy));
        expect(r.shape).toEqual(numpyBroadcast(sc, sx, sy));
        expect(Array.from(r.dataSync())).toEqual(naive([sc, sx, sy], [dc, dx, dy], (c, x, y) => (c ? x : y)));
      }),
      RUNS,
    );
  });

  it("broadcastTo gives the same values as the reference", () => {
    fc.assert(
      fc.property(
        shapeArb.chain((out) => fc.tuple(fc.constant(out), operandOf(out))),
        seed,
        ([out, sa], s) => {
          const da = fill(sizeOf(sa), s);
          const r = nb.broadcastTo(tensor(sa, da), out);
          expect(r.shape).toEqual(out);
          expect(Array.from(r.dataSync())).toEqual(naive([sa, out], [da, fill(sizeOf(out), 0)], (a) => a));
        },
      ),
      RUNS,
    );
  });

  it("incompatible shapes throw a ShapeError naming the operation and both shapes", () => {
    fc.assert(
      fc.property(incompatibleArb, ([sa, sb]) => {
        const a = nb.zeros(sa);
        const b = nb.zeros(sb);
        for (const [name, op] of [
          ["add", nb.add],
          ["mul", nb.mul],
          ["maximum", nb.maximum],
        ] as const) {
          let err: unknown;
          try {
            op(a, b);
          } catch (e) {
            err = e;
          }
          expect(err).toBeInstanceOf(nb.ShapeError);
          const msg = (err as Error).message;
          expect(msg.startsWith(`${name}: `)).toBe(true);
          expect(msg).toContain(fmt(sa));
          expect(msg).toContain(fmt(sb));
        }
        expect(() => nb.where(true, a, b)).toThrow(nb.ShapeError);
      }),
      RUNS,
    );
  });
});

describe("gradients through broadcast operands (unbroadcast)", () => {
  /** d/da Σ a·b: b summed over the dims along which a was broadcast. */
  function naiveGrad(sa: Shape, sb: Shape, db: number[]): number[] {
    const out = numpyBroadcast(sa, sb)!;
    const g = new Array<number>(sizeOf(sa)).fill(0);
    for (let k = 0; k < sizeOf(out); k++) {
      const idx = unravel(k, out);
      g[sourceOffset(idx, sa)]! += db[sourceOffset(idx, sb)]!;
    }
    return g;
  }

  it("grad of sum(a*b) w.r.t. each operand sums the other over the broadcast dims", () => {
    fc.assert(
      fc.property(compatible(2), seed, ([sa, sb], s) => {
        const da = fill(sizeOf(sa), s);
        const db = fill(sizeOf(sb), s + 1);
        const [ga, gb] = nb.grad((a: nb.Tensor, b: nb.Tensor) => nb.sum(nb.mul(a, b)), { argnums: [0, 1] })(
          tensor(sa, da),
          tensor(sb, db),
        ) as nb.Tensor[];
        expect(ga!.shape).toEqual(sa);
        expect(gb!.shape).toEqual(sb);
        expect(Array.from(ga!.dataSync())).toEqual(naiveGrad(sa, sb, db));
        expect(Array.from(gb!.dataSync())).toEqual(naiveGrad(sb, sa, da));
      }),
      RUNS,
    );
  });

  it("the same holds in forward mode (jacfwd of the sum) and for a JS-number operand", () => {
    fc.assert(
      fc.property(compatible(2), seed, ([sa, sb], s) => {
        const db = fill(sizeOf(sb), s + 1);
        const b = tensor(sb, db);
        const j = nb.jacfwd((a: nb.Tensor) => nb.sum(nb.mul(a, b)))(
          tensor(sa, fill(sizeOf(sa), s)),
        ) as nb.Tensor;
        expect(j.shape).toEqual(sa);
        expect(Array.from(j.dataSync())).toEqual(naiveGrad(sa, sb, db));
      }),
      { numRuns: 50 },
    );
    const g = nb.grad((a: nb.Tensor) => nb.sum(nb.add(a, 2)))(nb.zeros([2, 3])) as nb.Tensor;
    expect(g.toArray()).toEqual([
      [1, 1, 1],
      [1, 1, 1],
    ]);
  });

  it("grad through broadcastTo sums back to the operand's shape", () => {
    fc.assert(
      fc.property(
        shapeArb.chain((out) => fc.tuple(fc.constant(out), operandOf(out))),
        ([out, sa]) => {
          const g = nb.grad((a: nb.Tensor) => nb.sum(nb.broadcastTo(a, out)))(nb.zeros(sa)) as nb.Tensor;
          expect(g.shape).toEqual(sa);
          const ratio = sizeOf(out) / sizeOf(sa);
          expect(Array.from(g.dataSync())).toEqual(new Array(sizeOf(sa)).fill(ratio));
        },
      ),
      RUNS,
    );
  });
});

describe("reshape and transpose round trips", () => {
  const permOf = (n: number) =>
    fc
      .array(fc.nat(), { minLength: n, maxLength: n })
      .map((keys) => Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b));
  const shapeAndPerm = shapeArb.chain((s) => fc.tuple(fc.constant(s), permOf(s.length)));

  it("transpose moves element [i…] to [perm⁻¹ i…]; transposing back restores the tensor", () => {
    fc.assert(
      fc.property(shapeAndPerm, seed, ([shape, perm], s) => {
        const data = fill(sizeOf(shape), s);
        const x = tensor(shape, data);
        const y = nb.transpose(x, perm);
        const outShape = perm.map((p) => shape[p]!);
        expect(y.shape).toEqual(outShape);
        const yd = y.dataSync();
        for (let k = 0; k < yd.length; k++) {
          const oi = unravel(k, outShape);
          const xi = new Array<number>(shape.length);
          perm.forEach((p, i) => {
            xi[p] = oi[i]!;
          });
          expect(yd[k]).toBe(data[sourceOffset(xi, shape)]);
        }
        const inv = new Array<number>(perm.length);
        perm.forEach((p, i) => {
          inv[p] = i;
        });
        expect(nb.transpose(y, inv).toArray()).toEqual(x.toArray());
        expect(x.T.T.toArray()).toEqual(x.toArray());
      }),
      RUNS,
    );
  });

  it("reshape keeps row-major order and reshaping back restores the tensor", () => {
    fc.assert(
      fc.property(shapeArb, shapeArb, seed, (shape, other, s) => {
        const data = fill(sizeOf(shape), s);
        const x = tensor(shape, data);
        const flat = nb.reshape(x, [-1]);
        expect(Array.from(flat.dataSync())).toEqual(data);
        expect(nb.reshape(flat, shape).toArray()).toEqual(x.toArray());
        if (sizeOf(other) === sizeOf(shape)) {
          const y = nb.reshape(x, other);
          expect(y.shape).toEqual(other);
          expect(Array.from(y.dataSync())).toEqual(data);
        } else expect(() => nb.reshape(x, other)).toThrow(nb.ShapeError);
      }),
      RUNS,
    );
  });

  it("the gradient of a reshape/transpose chain is the inverse chain applied to the cotangent", () => {
    fc.assert(
      fc.property(shapeAndPerm, seed, ([shape, perm], s) => {
        const w = tensor(
          perm.map((p) => shape[p]!),
          fill(sizeOf(shape), s),
        );
        const f = (x: nb.Tensor) =>
          nb.sum(nb.mul(nb.transpose(nb.reshape(nb.reshape(x, [-1]), shape), perm), w));
        const g = nb.grad(f)(nb.zeros(shape)) as nb.Tensor;
        const inv = new Array<number>(perm.length);
        perm.forEach((p, i) => {
          inv[p] = i;
        });
        expect(g.toArray()).toEqual(nb.transpose(w, inv).toArray());
      }),
      { numRuns: 75 },
    );
  });
});
