// Batched derivatives and empty inputs of nb.linalg. Gradients of scalar functions of a [2, 3, 4, 4] batch
// (test/fixtures/linalg/batched.json, NumPy-made inputs) must equal the per-matrix gradients, which the other
// lapack-*.test.ts files check against closed forms; a batch rule that mixes up batch and matrix axes in a
// transpose or JVP rule shows up here. Empty matrices and batches follow NumPy (det of a 0×0 matrix is 1, etc.).
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { f64, fixture, la, linalg, type Mat, relErr, within } from "./lapack-util.js";

type T4 = Mat[][];
const B = fixture<{ aGeneral: T4; aSpd: T4; aSym: T4; b: T4 }>("batched.json");
const W = [
  [0.3, -1.2, 0.5, 2.0],
  [1.1, 0.4, -0.7, 0.2],
  [-0.6, 0.9, 1.3, -0.1],
  [0.8, -0.3, 0.05, 1.7],
];

describe.skipIf(!linalg)("gradients over a [2, 3, 4, 4] batch equal per-matrix gradients", () => {
  const L = la();
  const w = f64(W);
  const cases: [string, T4, (a: nb.Tensor) => nb.Tensor][] = [
    ["cholesky", B.aSpd, (a) => nb.sum(nb.mul(w, L.cholesky(a)))],
    ["slogdet", B.aGeneral, (a) => nb.sum(L.slogdet(a).logabsdet)],
    ["det", B.aGeneral, (a) => nb.sum(L.det(a))],
    ["inv", B.aGeneral, (a) => nb.sum(nb.mul(w, L.inv(a)))],
    ["solve", B.aGeneral, (a) => nb.sum(nb.mul(f64(B.b), L.solve(a, f64(B.b))))],
    ["triangularSolve", B.aSpd, (a) => nb.sum(L.triangularSolve(L.cholesky(a), f64(B.b)))],
    ["luSolve", B.aGeneral, (a) => nb.sum(L.luSolve(L.lu(a), f64(B.b)))],
    ["choSolve", B.aSpd, (a) => nb.sum(L.choSolve(L.cholesky(a), f64(B.b)))],
    ["eigvalsh", B.aSym, (a) => nb.sum(nb.mul(f64([1, -2, 0.5, 3]), L.eigvalsh(a)))],
    ["eigh vectors", B.aSym, (a) => nb.sum(nb.square(nb.mul(w, L.eigh(a).eigenvectors)))],
    ["svdvals", B.aGeneral, (a) => nb.sum(nb.mul(f64([1, -2, 0.5, 3]), L.svdvals(a)))],
    ["qr", B.aGeneral, (a) => nb.add(nb.sum(nb.mul(w, L.qr(a).q)), nb.sum(nb.mul(w, L.qr(a).r)))],
    ["expm", B.aGeneral, (a) => nb.sum(nb.mul(w, L.expm(a)))],
    ["matrixPower", B.aGeneral, (a) => nb.sum(nb.mul(w, L.matrixPower(a, -2)))],
    ["pinv", B.aGeneral, (a) => nb.sum(nb.mul(w, L.pinv(a)))],
    ["norm nuc", B.aGeneral, (a) => nb.sum(L.norm(a, { ord: "nuc", axis: [-2, -1] }))],
  ];
  for (const [name, as, f] of cases)
    it(name, () => {
      const g = nb.grad(f)(f64(as));
      expect(g.shape).toEqual([2, 3, 4, 4]);
      const got = g.toArray() as T4;
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 3; j++) {
          // The per-matrix function: the batch's other entries enter the sum as constants.
          const one = (a: nb.Tensor) =>
            f(nb.stack(as.map((r, p) => nb.stack(r.map((m, q) => (p === i && q === j ? a : f64(m)))))));
          const ref = nb.grad(one)(f64(as[i]![j]!)).toArray();
          within(`[${i},${j}]`, relErr(got[i]![j], ref), 1e-12);
        }
    });
});

describe.skipIf(!linalg)("empty matrices and empty batches (NumPy's results)", () => {
  const L = la();
  const z = nb.zeros([0, 0], { dtype: "float64" });
  const zb = nb.zeros([0, 3, 3], { dtype: "float64" });
  it("0×0: det 1, slogdet (1, 0), cholesky / inv [0, 0], solve [0], eigh ([0], [0, 0]), svdvals [0]", () => {
    expect(L.det(z).item()).toBe(1);
    const s = L.slogdet(z);
    expect([s.sign.item(), s.logabsdet.item()]).toEqual([1, 0]);
    expect(L.cholesky(z).shape).toEqual([0, 0]);
    expect(L.inv(z).shape).toEqual([0, 0]);
    expect(L.solve(z, nb.zeros([0], { dtype: "float64" })).shape).toEqual([0]);
    const e = L.eigh(z);
    expect([e.eigenvalues.shape, e.eigenvectors.shape]).toEqual([[0], [0, 0]]);
    expect(L.svdvals(z).shape).toEqual([0]);
  });
  it("an empty batch [0, 3, 3] keeps its shape", () => {
    expect(L.cholesky(zb).shape).toEqual([0, 3, 3]);
    expect(L.inv(zb).shape).toEqual([0, 3, 3]);
    expect(L.det(zb).shape).toEqual([0]);
    expect(L.eigh(zb).eigenvalues.shape).toEqual([0, 3]);
  });
});

describe.skipIf(!linalg)(
  "vmap with the batch axis elsewhere (inAxes 1 / 2, outAxes 1) and vmap of derivatives",
  () => {
    const L = la();
    const gen = B.aGeneral[0]!; // three 4×4 matrices
    const spdm = B.aSpd[0]!;
    const symm = B.aSym[0]!;
    /** [4, 3, 4]: matrix k at [:, k, :]. */
    const alongAxis1 = (ms: Mat[]) => ms[0]!.map((_, r) => ms.map((m) => m[r]!));
    const alongAxis2 = (ms: Mat[]) =>
      ms[0]!.map((_, r) => ms[0]![0]!.map((__, c) => ms.map((m) => m[r]![c]!)));
    const fs: [string, Mat[], (a: nb.Tensor) => nb.Tensor][] = [
      ["cholesky", spdm, (a) => L.cholesky(a)],
      ["lu", gen, (a) => L.lu(a).lu],
      ["qr", gen, (a) => L.qr(a).r],
      ["eigh", symm, (a) => L.eigh(a).eigenvalues],
      ["svd", gen, (a) => L.svd(a).s],
      ["solve", gen, (a) => L.solve(a, f64(W))],
      ["inv", gen, (a) => L.inv(a)],
      ["det", gen, (a) => L.det(a)],
      ["expm", gen, (a) => L.expm(a)],
      ["triangularSolve", spdm, (a) => L.triangularSolve(L.cholesky(a), f64(W))],
    ];
    for (const [name, ms, f] of fs)
      it(name, () => {
        const per = ms.map((m) => f(f64(m)).toArray());
        const a1 = nb.vmap(f, { inAxes: 1 })(f64(alongAxis1(ms))) as nb.Tensor;
        within("inAxes 1", relErr(a1.toArray(), per), 1e-12);
        const a2 = nb.vmap(f, { inAxes: 2 })(f64(alongAxis2(ms))) as nb.Tensor;
        within("inAxes 2", relErr(a2.toArray(), per), 1e-12);
        const o1 = nb.vmap(f, { inAxes: 1, outAxes: -1 })(f64(alongAxis1(ms))) as nb.Tensor;
        within("outAxes −1", relErr(nb.moveaxis(o1, -1, 0).toArray(), per), 1e-12);
      });
    it("vmap of grad and of hessian equals a loop", () => {
      const f = (a: nb.Tensor) => L.slogdet(a).logabsdet;
      const g = nb.vmap(nb.grad(f), { inAxes: 1 })(f64(alongAxis1(gen))) as nb.Tensor;
      within(
        "vmap grad",
        relErr(
          g.toArray(),
          gen.map((m) => nb.grad(f)(f64(m)).toArray()),
        ),
        1e-12,
      );
      const h = nb.vmap(nb.hessian((a: nb.Tensor) => nb.sum(nb.mul(f64(W), L.inv(a)))))(
        f64(gen),
      ) as nb.Tensor;
      const loop = gen.map((m) =>
        (nb.hessian((a: nb.Tensor) => nb.sum(nb.mul(f64(W), L.inv(a))))(f64(m)) as nb.Tensor).toArray(),
      );
      within("vmap hessian", relErr(h.toArray(), loop), 1e-12);
    });
  },
);

describe.skipIf(!linalg)("a long batch [257, 5, 5]: every matrix handled, none mixed up", () => {
  const L = la();
  const n = 5;
  const count = 257;
  // SPD_k = M_k M_kᵀ/n + I with deterministic M_k (sines), distinct for every k.
  const spd: Mat[] = Array.from({ length: count }, (_, k) => {
    const m: Mat = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => Math.sin(1 + k * 0.37 + i * 1.3 + j * j * 0.7)),
    );
    return m.map((r, i) =>
      m.map((s, j) => r.reduce((acc, v, t) => acc + v * s[t]!, 0) / n + (i === j ? 1 : 0)),
    );
  });
  it("cholesky, det, eigvalsh and solve equal the per-matrix results", () => {
    const A = f64(spd);
    const chol = L.cholesky(A).toArray() as Mat[];
    const det = L.det(A).toArray() as number[];
    const ev = L.eigvalsh(A).toArray() as number[][];
    const b = f64(Array.from({ length: n }, (_, i) => [i + 1]));
    const x = L.solve(A, b).toArray() as Mat[];
    for (let k = 0; k < count; k++) {
      const l = chol[k]!;
      const llt = l.map((r) => l.map((s) => r.reduce((acc, v, t) => acc + v * s[t]!, 0)));
      within(`[${k}] LLᵀ = A`, relErr(llt, spd[k]), 1e-14);
      if (k % 64 === 0) {
        const one = f64(spd[k]!);
        within(`[${k}] det`, Math.abs(det[k]! - L.det(one).item()) / Math.abs(det[k]!), 1e-13);
        within(`[${k}] eigvalsh`, relErr(ev[k], L.eigvalsh(one).toArray()), 1e-13);
        within(`[${k}] solve`, relErr(x[k], L.solve(one, b).toArray()), 1e-13);
      }
    }
  });
});

describe.skipIf(!linalg)(
  "vmap of two-argument functions with one argument unbatched (inAxes [0, null] and [null, 0])",
  () => {
    const L = la();
    const gen = B.aGeneral[0]!;
    const spdm = B.aSpd[0]!;
    const rhs = B.b[0]!; // three [4, 2]
    const fs: [string, Mat[], (a: nb.Tensor, b: nb.Tensor) => nb.Tensor][] = [
      ["solve", gen, (a, b) => L.solve(a, b)],
      ["triangularSolve", spdm, (a, b) => L.triangularSolve(L.cholesky(a), b)],
      [
        "triangularSolve right transposed",
        spdm,
        (a, b) => L.triangularSolve(L.cholesky(a), nb.transpose(b), { leftSide: false, transposeA: true }),
      ],
      ["choSolve", spdm, (a, b) => L.choSolve(L.cholesky(a), b)],
      ["luSolve", gen, (a, b) => L.luSolve(L.lu(a), b)],
      ["luSolve transpose", gen, (a, b) => L.luSolve(L.lu(a), b, { transpose: true })],
      ["lstsq", gen, (a, b) => L.lstsq(a, b).solution],
    ];
    for (const [name, as, f] of fs)
      it(name, () => {
        const aBatched = nb.vmap(f, { inAxes: [0, null] })(f64(as), f64(rhs[0]!)) as nb.Tensor;
        within(
          "a batched",
          relErr(
            aBatched.toArray(),
            as.map((a) => f(f64(a), f64(rhs[0]!)).toArray()),
          ),
          1e-12,
        );
        const bBatched = nb.vmap(f, { inAxes: [null, 0] })(f64(as[1]!), f64(rhs)) as nb.Tensor;
        within(
          "b batched",
          relErr(
            bBatched.toArray(),
            rhs.map((b) => f(f64(as[1]!), f64(b)).toArray()),
          ),
          1e-12,
        );
        const g = nb.vmap(
          nb.grad((a: nb.Tensor, b: nb.Tensor) => nb.sum(f(a, b))),
          { inAxes: [null, 0] },
        )(f64(as[1]!), f64(rhs)) as nb.Tensor;
        const loop = rhs.map((b) =>
          nb
            .grad((a: nb.Tensor) => nb.sum(f(a, f64(b))))(f64(as[1]!))
            .toArray(),
        );
        within("grad, b batched", relErr(g.toArray(), loop), 1e-12);
      });
  },
);
