// Taylor mode through the decompositions with jet rules of their own: lu (the pivots held fixed, and solve,
// inv, det and slogdet through it), qr and eigh. For a random curved path x(t) through the inputs, jet's terms must equal
// d^k/dt^k f(x(t)) at t = 0 by nesting nb.jvp (which uses the JVP rules), to order 5 in float64; the staged
// jet holds one factorization, where nested forward mode would factor again at every level.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { jet } from "../../src/interpret/jet.js";
import { makeRng } from "../../src/numeric/rng.js";
import * as lax from "../../src/primitives/lax.js";
import { expectClose } from "../util/close.js";

type Tensor = nb.Tensor;
const ORDER = 5;

const f64 = (v: number) => nb.array(v, { dtype: "float64" });
const randn = (seed: number, shape: number[]): Tensor => {
  const rng = makeRng(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  return nb.reshape(nb.array(Float64Array.from({ length: size }, () => rng.normal())), shape);
};
/** 0.3·x plus a constant whose large off-diagonal entries fix the pivot order along the whole path. */
const fixedPivots = (x: Tensor, base: number[]) =>
  nb.add(nb.mul(x, 0.3), nb.reshape(nb.array(Float64Array.from(base)), x.shape.slice(-2)));
const B33 = [0, 0, 4, 4, 1, 0, 1, 4, 0];
const QR43 = [3, 0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0];
/** diag(3, 6, 9, 12): keeps the eigenvalues of 0.3·(x + xᵀ) + it apart. */
const DIAG4 = nb.reshape(
  nb.array(Float64Array.from({ length: 16 }, (_, k) => (k % 5 === 0 ? 3 * (1 + k / 5) : 0))),
  [4, 4],
);
/** [w; v∘v; V diag(w²) Vᵀ] of the symmetric 0.3·(x + xᵀ) + diag(3, 6, 9, 12). */
function eighParts(x: Tensor, lower: boolean): Tensor {
  const a = nb.add(nb.mul(nb.add(x, nb.transpose(x)), 0.3), DIAG4);
  const [v, w] = lax.eigh(a, { lower });
  const vw = nb.mul(v, nb.reshape(nb.mul(w, w), [1, 4]));
  return nb.concatenate([nb.reshape(w, [1, 4]), nb.mul(v, v), nb.matmul(vw, nb.transpose(v))], 0);
}

/** The path x_i(t) = x_i + Σ_j s_ij t^j / j!. */
const pathOf =
  (xs: Tensor[], series: Tensor[][]) =>
  (t: Tensor): Tensor[] =>
    xs.map((x, i) => {
      let p = x;
      let tj = f64(1);
      series[i]!.forEach((s, j) => {
        tj = nb.div(nb.mul(tj, t), j + 1);
        p = nb.add(p, nb.mul(tj, s));
      });
      return p;
    });

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

interface Case {
  name: string;
  fn: (...a: Tensor[]) => Tensor;
  args: Tensor[];
}

const cases: Case[] = [
  { name: "lu (3×3)", fn: (x) => lax.lu(fixedPivots(x, B33))[0]!, args: [randn(1, [3, 3])] },
  {
    name: "lu (4×3, tall)",
    fn: (x) => lax.lu(fixedPivots(x, [0, 0, 4, 4, 1, 0, 1, 4, 0, 1, 1, 1]))[0]!,
    args: [randn(2, [4, 3])],
  },
  {
    name: "lu (2×3, wide)",
    fn: (x) => lax.lu(fixedPivots(x, [0, 4, 1, 4, 0, 1]))[0]!,
    args: [randn(3, [2, 3])],
  },
  {
    name: "lu (batched [2, 3, 3])",
    fn: (x) => lax.lu(fixedPivots(x, B33))[0]!,
    args: [randn(4, [2, 3, 3])],
  },
  {
    name: "nb.linalg.solve",
    fn: (a, b) => nb.linalg.solve(fixedPivots(a, B33), b),
    args: [randn(5, [3, 3]), randn(6, [3, 2])],
  },
  { name: "nb.linalg.inv", fn: (a) => nb.linalg.inv(fixedPivots(a, B33)), args: [randn(7, [3, 3])] },
  { name: "nb.linalg.det", fn: (a) => nb.linalg.det(fixedPivots(a, B33)), args: [randn(8, [3, 3])] },
  {
    name: "nb.linalg.slogdet (logabsdet)",
    fn: (a) => nb.linalg.slogdet(fixedPivots(a, B33)).logabsdet,
    args: [randn(9, [3, 3])],
  },
  // qr: q stacked on r.
  {
    name: "qr (4×3 reduced)",
    fn: (x) => {
      const [q, r] = lax.qr(nb.add(x, nb.reshape(nb.array(Float64Array.from(QR43)), [4, 3])));
      return nb.concatenate([q!, r!], 0);
    },
    args: [randn(15, [4, 3])],
  },
  {
    name: "qr (3×3 complete)",
    fn: (x) => {
      const [q, r] = lax.qr(nb.add(x, nb.mul(nb.eye(3, 3, { dtype: "float64" }), 4)), { fullMatrices: true });
      return nb.concatenate([q!, r!], 0);
    },
    args: [randn(16, [3, 3])],
  },
  {
    name: "qr (batched [2, 4, 3])",
    fn: (x) => {
      const [q, r] = lax.qr(nb.add(x, nb.reshape(nb.array(Float64Array.from(QR43)), [4, 3])));
      return nb.concatenate([q!, r!], 1);
    },
    args: [randn(17, [2, 4, 3])],
  },
  // eigh: w, v∘v and V diag(w²) Vᵀ, which do not depend on the eigenvectors' signs.
  { name: "eigh (4×4)", fn: (x) => eighParts(x, true), args: [randn(18, [4, 4])] },
  { name: "eigh (4×4, upper triangle)", fn: (x) => eighParts(x, false), args: [randn(19, [4, 4])] },
  {
    name: "nb.linalg.eigvalsh (batched [2, 4, 4])",
    fn: (x) => nb.linalg.eigvalsh(nb.add(nb.mul(nb.add(x, nb.matrixTranspose(x)), 0.3), DIAG4)),
    args: [randn(20, [2, 4, 4])],
  },
];

describe("jet through lu, qr and eigh", () => {
  cases.forEach(({ name, fn, args }, c) => {
    for (const curved of [false, true])
      it(`${name}: jet matches nested jvp to order ${ORDER} ${curved ? "along a curved path" : "along a line"}`, () => {
        const series = args.map((x, i) =>
          Array.from({ length: ORDER }, (_, j) =>
            j === 0 || curved ? randn(100 * c + 10 * i + j + 50, x.shape) : nb.zerosLike(x),
          ),
        );
        const [y, terms] = jet<Tensor>(fn, args, series);
        expectClose(y, fn(...args), { atol: 0, rtol: 0 }, `${name}: primal`);
        nestedDerivatives(fn, pathOf(args, series)).forEach((e, k) => {
          const scale = Math.max(1, ...Array.from(e.dataSync(), Math.abs));
          expectClose(terms[k], e, { atol: 1e-9 * scale, rtol: 1e-9 }, `${name}: term ${k + 1}`);
        });
      });
  });

  it("factors once: the staged jet of solve holds a single lu at order 6", () => {
    const a = fixedPivots(randn(11, [3, 3]), B33);
    const b = randn(12, [3, 2]);
    const terms = Array.from({ length: 6 }, (_, j) => randn(13 + j, [3, 3]));
    const g = (x: Tensor) => {
      const [y, ts] = nb.jet((m: Tensor) => nb.linalg.solve(m, b), [x], [terms]);
      return [y, ...(ts as Tensor[])];
    };
    const eqns = nb.makeProgram(g)(a).pruned().eqns;
    expect(eqns.filter((e) => e.prim === "lu")).toHaveLength(1);
  });

  it("factors once: the staged jets of qr and eigh hold a single factorization at order 6", () => {
    const terms = (shape: number[]) => Array.from({ length: 6 }, (_, j) => randn(21 + j, shape));
    const count = (f: (x: Tensor) => Tensor, x: Tensor, prim: string) => {
      const g = (y: Tensor) => {
        const [out, ts] = nb.jet(f, [y], [terms(x.shape)]);
        return [out, ...(ts as Tensor[])];
      };
      return nb
        .makeProgram(g)(x)
        .pruned()
        .eqns.filter((e) => e.prim === prim).length;
    };
    const qrOf = (x: Tensor) => {
      const [q, r] = lax.qr(nb.add(x, nb.reshape(nb.array(Float64Array.from(QR43)), [4, 3])));
      return nb.concatenate([q!, r!], 0);
    };
    expect(count(qrOf, randn(27, [4, 3]), "qr")).toBe(1);
    expect(count((x) => eighParts(x, true), randn(28, [4, 4]), "eigh")).toBe(1);
  });

  it("a constant series gives zero terms and the plain factors", () => {
    const a = fixedPivots(randn(14, [3, 3]), B33);
    const [y, [t1, t2]] = jet<Tensor>((x: Tensor) => lax.lu(x)[0]!, [a], [[0, 0]]);
    expectClose(y, lax.lu(a)[0]!, { atol: 0, rtol: 0 });
    expectClose(t1!, nb.zerosLike(a), { atol: 0, rtol: 0 });
    expectClose(t2!, nb.zerosLike(a), { atol: 0, rtol: 0 });
  });
});
