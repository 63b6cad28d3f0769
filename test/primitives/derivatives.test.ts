// Drives the op table (test/util/op-table.ts): for every row, derivatives to order 3 in forward, reverse and
// mixed modes against finite differences, vmap (of the op and of its gradient) against a loop, the staged
// program against eager evaluation, and float32 against float64.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { makeRng } from "../../src/numeric/rng.js";
import { expectClose, stackRaw } from "../util/close.js";
import { type OpRow, opTable } from "../util/op-table.js";

type Tensor = nb.Tensor;

/** A stable seed per row, so a failure reproduces. */
function seedOf(name: string): number {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

const draw = (row: OpRow, k = 0): Tensor[] => row.args(makeRng(seedOf(row.name) + 7919 * k));

/** Fixed random weights shaped like `like`, so gradients see a cotangent that is not all ones. */
function weightsLike(like: Tensor, seed: number): Tensor {
  const rng = makeRng(seed);
  const vals = Float64Array.from({ length: like.size }, () => rng.normal());
  return nb.astype(nb.reshape(nb.array(vals), like.shape), like.dtype);
}

/**
 * x ↦ Σ w·row.fn(x) and its gradient with respect to every argument (by forward mode for a row without
 * reverse mode, such as a while loop).
 */
function gradOf(row: OpRow, w: Tensor) {
  const n = draw(row).length;
  const loss = (...a: Tensor[]) => nb.sum(nb.mul(row.fn(...a), nb.astype(w, a[0]!.dtype)));
  if (row.modes !== undefined && !row.modes.includes("rev"))
    return (...a: Tensor[]) =>
      a.map((x, i) => nb.jacfwd((t: Tensor) => loss(...a.map((y, j) => (j === i ? t : y))))(x) as Tensor);
  return nb.grad(loss, { argnums: Array.from({ length: n }, (_, i) => i) }) as (...a: Tensor[]) => Tensor[];
}

const BATCH = 3;
const VMAP_TOL = { atol: 1e-12, rtol: 1e-12 };

/** The i-th entry of every list. */
const column = <T>(lists: readonly T[][], i: number): T[] => lists.map((l) => l[i]!);
/** Per-example argument lists → batched arguments, argument i stacked along axes[i] (null: not stacked). */
const stackArgs = (xs: Tensor[][], axes: readonly (number | null)[]): Tensor[] =>
  axes.map((ax, i) => (ax === null ? xs[0]![i]! : stackRaw(column(xs, i), ax)));
/** Per-example gradient lists → one stacked tensor per argument. */
const stackGrads = (gs: Tensor[][]): Tensor[] => gs[0]!.map((_, i) => stackRaw(column(gs, i), 0));
/** f applied to each per-example argument list, stacked along `axis`. */
const loop = (f: (...a: Tensor[]) => Tensor, xs: Tensor[][], axis = 0): Tensor =>
  stackRaw(
    xs.map((a) => f(...a)),
    axis,
  );
const zeros = (n: number) => new Array<number>(n).fill(0);
const lastAxes = (args: Tensor[]) => args.map((a) => a.ndim);

function checkOptions(row: OpRow, order: number, seed: number): nb.CheckGradsOptions {
  const { eps, ...tol } = row.tol ?? { atol: 1e-5, rtol: 1e-5 };
  return { order, modes: row.modes ?? ["fwd", "rev"], ...tol, ...(eps === undefined ? {} : { eps }), seed };
}

for (const row of opTable) {
  describe(row.name, () => {
    const order = row.order ?? 3;
    const nArgs = draw(row).length;

    it(`derivatives to order ${order} match finite differences (fwd, rev and mixed)`, () => {
      nb.checkGrads(row.fn, draw(row), checkOptions(row, order, seedOf(row.name)));
    });

    if (row.vmap !== false) {
      const batches = () => Array.from({ length: BATCH }, (_, b) => draw(row, b + 1));

      it("vmap over axis 0 matches a loop", () => {
        const xs = batches();
        const got = nb.vmap(row.fn)(...stackArgs(xs, zeros(nArgs)));
        expectClose(got, loop(row.fn, xs), VMAP_TOL, "vmap(f)");
      });

      it("vmap over the last axis (outAxes -1) matches a loop", () => {
        const xs = batches();
        const axes = lastAxes(xs[0]!);
        const got = nb.vmap(row.fn, { inAxes: axes, outAxes: -1 })(...stackArgs(xs, axes));
        expectClose(got, loop(row.fn, xs, row.fn(...xs[0]!).ndim), VMAP_TOL, "vmap(f, last axes)");
      });

      it("nested vmap (outer on axis 0, inner on the last axes) matches a double loop", () => {
        const grid = [0, 1].map((b) => [0, 1, 2].map((k) => draw(row, 10 + 3 * b + k)));
        const axes = lastAxes(grid[0]![0]!);
        const ins = stackArgs(
          grid.map((xs) => stackArgs(xs, axes)),
          zeros(nArgs),
        );
        const got = nb.vmap(nb.vmap(row.fn, { inAxes: axes }))(...ins);
        const want = stackRaw(
          grid.map((xs) => loop(row.fn, xs)),
          0,
        );
        expectClose(got, want, VMAP_TOL, "vmap(vmap(f))");
      });

      if (nArgs >= 2)
        it("vmap with one argument unbatched (inAxes null) matches a loop, for f and its gradient", () => {
          const xs = batches();
          const df = gradOf(row, weightsLike(row.fn(...xs[0]!), 11));
          for (let fixed = 0; fixed < nArgs; fixed++) {
            const per = xs.map((a) => a.map((t, i) => (i === fixed ? xs[0]![i]! : t)));
            const inAxes = xs[0]!.map((_, i) => (i === fixed ? null : 0));
            const ins = stackArgs(xs, inAxes);
            const what = `argument ${fixed} unbatched`;
            const want = loop(row.fn, per);
            expectClose(nb.vmap(row.fn, { inAxes })(...ins), want, VMAP_TOL, `vmap(f), ${what}`);
            const got = nb.vmap(df, { inAxes })(...ins) as Tensor[];
            const wantGrads = stackGrads(per.map((a) => df(...a)));
            got.forEach((g, i) => expectClose(g, wantGrads[i]!, VMAP_TOL, `vmap(grad) arg ${i}, ${what}`));
          }
        });

      it("derivatives of vmap(f) (batched on the last axes) match finite differences to order 2", () => {
        const xs = batches();
        const axes = lastAxes(xs[0]!);
        const f = nb.vmap(row.fn, { inAxes: axes });
        nb.checkGrads(f, stackArgs(xs, axes), checkOptions(row, Math.min(order, 2), seedOf(row.name) + 1));
      });

      it("vmap of grad gives the per-example gradients", () => {
        const xs = batches();
        const df = gradOf(row, weightsLike(row.fn(...xs[0]!), 13));
        const got = nb.vmap(df)(...stackArgs(xs, zeros(nArgs))) as Tensor[];
        const want = stackGrads(xs.map((a) => df(...a)));
        expect(got).toHaveLength(nArgs);
        got.forEach((g, i) => expectClose(g, want[i]!, VMAP_TOL, `arg ${i}`));
      });
    }

    it("the staged program has the eager output's shape and dtype, and computes the same values", () => {
      const args = draw(row);
      const y = row.fn(...args);
      const program = nb.makeProgram(row.fn)(...args);
      const out = program.outs[program.outs.length - 1]!;
      expect(out.aval.shape).toEqual(y.shape);
      expect(out.aval.dtype).toBe(y.dtype);
      expect(y.dataSync().length, "kernel output length vs shape").toBe(y.size);
      expectClose(program.run(args)[0]!, y, { atol: 0, rtol: 0 }, "program.run");
      // Tangents are shaped like outputs and gradients like inputs, staged or not.
      const ones = args.map((a) => nb.onesLike(a));
      if (row.modes?.includes("fwd") ?? true)
        expect((nb.jvp(row.fn, args, ones)[1] as Tensor).shape).toEqual(y.shape);
      const df = gradOf(row, weightsLike(y, 17));
      const gProgram = nb.makeProgram(df)(...args);
      expect(df(...args).map((g) => g.shape)).toEqual(args.map((a) => a.shape));
      expect(gProgram.outs.map((v) => v.aval.shape)).toEqual(args.map((a) => a.shape));
      expect(gProgram.outs.map((v) => v.aval.dtype)).toEqual(args.map((a) => a.dtype));
    });

    it("works in float32: float32 output and gradients, close to float64", () => {
      const args = draw(row);
      const args32 = args.map((a) => nb.astype(a, "float32"));
      const tol = row.f32Tol ?? { atol: 1e-4, rtol: 1e-4 };
      const y32 = row.fn(...args32);
      expect(y32.dtype).toBe("float32");
      const y64 = row.fn(...args);
      expect(y64.dtype).toBe("float64");
      expectClose(y32, y64, tol, "float32 output");
      const df = gradOf(row, weightsLike(y64, 19));
      const g32 = df(...args32);
      const g64 = df(...args);
      g32.forEach((g, i) => {
        expect(g.dtype, `gradient ${i} dtype`).toBe("float32");
        expectClose(g, g64[i]!, tol, `float32 gradient ${i}`);
      });
    });
  });
}

describe("stop_gradient", () => {
  const x = nb.array([0.5, -1.2, 2], { dtype: "float64" });
  const f = (t: Tensor) => nb.mul(t, nb.stopGradient(nb.mul(t, t)));

  it("is the identity on values", () => {
    expectClose(nb.stopGradient(x), x, { atol: 0, rtol: 0 });
  });

  it("has derivative zero in forward and reverse mode, at every order", () => {
    // f = x · sg(x²): with sg's derivative 0, f' = x², f'' = 0 (the true d/dx x³ would be 3x², 6x).
    const [, dy] = nb.jvp(f, [x], [nb.onesLike(x)]);
    expectClose(dy, nb.square(x), {}, "jvp");
    const g = (t: Tensor) => nb.sum(f(t));
    expectClose(nb.grad(g)(x), nb.square(x), {}, "grad");
    expectClose(nb.grad((t: Tensor) => nb.sum(nb.grad(g)(t)))(x), nb.zerosLike(x), {}, "grad of grad");
    expectClose(nb.jacfwd(nb.grad(g))(x), nb.zeros([3, 3], { dtype: "float64" }), {}, "jacfwd of grad");
    expectClose(nb.vmap(nb.grad((t: Tensor) => f(t)))(x), nb.square(x), {}, "vmap of grad");
  });
});
