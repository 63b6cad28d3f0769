// Taylor mode against nested forward mode, one row of the derivative table (test/util/op-table.ts) at a time:
// for a random path x(t) through the inputs, jet's terms must equal d^k/dt^k f(x(t)) at t = 0 computed by
// nesting nb.jvp, to order 4, both along a straight line (series [v, 0, 0, 0], the common case whose constant
// terms the rules fold away) and along a curved path (four non-zero terms, the general recurrences).
import * as nb from "nabla";
import { describe, it } from "vitest";
import { jet } from "../../src/interpret/jet.js";
import { makeRng } from "../../src/numeric/rng.js";
import { expectClose } from "../util/close.js";
import { type OpRow, opTable } from "../util/op-table.js";

type Tensor = nb.Tensor;
const ORDER = 4;

const f64 = (v: number) => nb.array(v, { dtype: "float64" });

function seedOf(name: string): number {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return h >>> 0;
}

/** Random terms shaped like each argument: `curved` gives all ORDER terms, otherwise only the first. */
function randomSeries(args: Tensor[], seed: number, curved: boolean): Tensor[][] {
  const rng = makeRng(seed);
  const rand = (x: Tensor) =>
    nb.reshape(nb.array(Float64Array.from({ length: x.size }, () => rng.normal())), x.shape);
  return args.map((x) =>
    Array.from({ length: ORDER }, (_, j) => (j === 0 || curved ? rand(x) : nb.zerosLike(x))),
  );
}

/** The path x_i(t) = x_i + Σ_j s_ij t^j / j!. */
const pathOf =
  (xs: Tensor[], series: Tensor[][]) =>
  (t: Tensor): Tensor[] =>
    xs.map((x, i) => {
      let p = x;
      let tj = f64(1);
      series[i]!.forEach((s, j) => {
        tj = nb.div(nb.mul(tj, t), j + 1); // t^(j+1) / (j+1)!
        p = nb.add(p, nb.mul(tj, s));
      });
      return p;
    });

/** d^k/dt^k f(path(t)) at t = 0 for k = 1..ORDER, by nesting nb.jvp (exponential in k; fine for small k). */
function nestedDerivatives(f: (...a: Tensor[]) => Tensor, path: (t: Tensor) => Tensor[]): Tensor[] {
  const out: Tensor[] = [];
  let h = (t: Tensor): Tensor => f(...path(t));
  for (let k = 1; k <= ORDER; k++) {
    const prev = h;
    h = (t: Tensor) => nb.jvp(prev, [t], [f64(1)])[1] as Tensor;
    out.push(h(f64(0)));
  }
  return out;
}

function checkRow(row: OpRow, curved: boolean): void {
  const seed = seedOf(row.name);
  const args = row.args(makeRng(seed));
  const series = randomSeries(args, seed + 1, curved);
  const [y, terms] = jet<Tensor>(row.fn, args, series);
  expectClose(y, row.fn(...args), { atol: 0, rtol: 0 }, `${row.name}: primal`);
  const expected = nestedDerivatives(row.fn, pathOf(args, series));
  expected.forEach((e, k) => {
    const scale = Math.max(1, ...Array.from(e.dataSync(), Math.abs));
    const tol = row.tol === undefined ? 1e-9 : row.tol.atol;
    expectClose(terms[k], e, { atol: tol * scale, rtol: tol }, `${row.name}: term ${k + 1}`);
  });
}

// Taylor mode is forward mode: rows defined in reverse mode only (a custom VJP) have no jet.
for (const row of opTable.filter((r) => r.modes?.includes("fwd") ?? true)) {
  describe(row.name, () => {
    it(`jet matches nested jvp to order ${ORDER} along a line`, () => checkRow(row, false));
    it(`jet matches nested jvp to order ${ORDER} along a curved path`, () => checkRow(row, true));
  });
}
