// Readable examples of nb.linalg: every function called as nb.linalg.<name>, with the values it prints.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { expectClose } from "../util/close.js";

const f64 = { dtype: "float64" } as const;
const spd = nb.array(
  [
    [4, 2],
    [2, 5],
  ],
  f64,
);

describe("decompositions", () => {
  it("cholesky: a = L Lᵀ, or the upper factor", () => {
    expect(nb.linalg.cholesky(spd).toArray()).toEqual([
      [2, 0],
      [1, 2],
    ]);
    expect(nb.linalg.cholesky(spd, { upper: true }).toArray()).toEqual([
      [2, 1],
      [0, 2],
    ]);
  });

  it("triangularSolve: lower by default, upper, transposed, right side", () => {
    const l = [
      [2, 0],
      [1, 1],
    ];
    expect(nb.linalg.triangularSolve(l, [[2], [3]]).toArray()).toEqual([[1], [2]]);
    // lᵀ x = b
    expect(nb.linalg.triangularSolve(l, [[4], [1]], { transposeA: true }).toArray()).toEqual([[1.5], [1]]);
    // x l = b
    expect(nb.linalg.triangularSolve(l, [[4, 1]], { leftSide: false }).toArray()).toEqual([[1.5, 1]]);
    expect(
      nb.linalg
        .triangularSolve(
          [
            [1, 5],
            [0, 1],
          ],
          [[7], [1]],
          { lower: false, unitDiagonal: true },
        )
        .toArray(),
    ).toEqual([[2], [1]]);
  });

  it("lu: a[permutation] = L U, pivots as LAPACK's row swaps", () => {
    const { lu, pivots, permutation } = nb.linalg.lu(
      nb.array(
        [
          [1, 2],
          [3, 4],
        ],
        f64,
      ),
    );
    expect(pivots.toArray()).toEqual([1, 1]);
    expect(permutation.toArray()).toEqual([1, 0]);
    expectClose(lu, [
      [3, 4],
      [1 / 3, 2 / 3],
    ]);
  });

  it("luSolve: solves with the factors of lu (a x = b, or aᵀ x = b)", () => {
    const f = nb.linalg.lu(
      nb.array(
        [
          [3, 1],
          [1, 2],
        ],
        f64,
      ),
    );
    expectClose(nb.linalg.luSolve(f, [9, 8]), [2, 3]);
    expectClose(nb.linalg.luSolve(f, [[9], [8]], { transpose: true }), [[2], [3]]);
  });

  it("qr: q with orthonormal columns, r upper triangular", () => {
    const a = nb.array(
      [
        [3, 0],
        [4, 5],
      ],
      f64,
    );
    const { q, r } = nb.linalg.qr(a);
    expectClose(nb.matmul(q, r), a, { atol: 1e-12 });
    expectClose(nb.abs(r), [
      [5, 4],
      [0, 3],
    ]);
    expect(nb.linalg.qr(nb.ones([3, 2]), { mode: "complete" }).q.shape).toEqual([3, 3]);
  });

  it("eigh: ascending eigenvalues and the eigenvectors as columns", () => {
    const { eigenvalues, eigenvectors } = nb.linalg.eigh(
      nb.array(
        [
          [2, 1],
          [1, 2],
        ],
        f64,
      ),
    );
    expectClose(eigenvalues, [1, 3]);
    expectClose(nb.abs(eigenvectors), [
      [Math.SQRT1_2, Math.SQRT1_2],
      [Math.SQRT1_2, Math.SQRT1_2],
    ]);
  });

  it("svd: a = u diag(s) vh; computeUv: false gives s alone", () => {
    const a = nb.array(
      [
        [3, 0],
        [0, -2],
      ],
      f64,
    );
    const { u, s, vh } = nb.linalg.svd(a);
    expectClose(s, [3, 2]);
    expectClose(nb.matmul(nb.mul(u, s), vh), a, { atol: 1e-12 });
    const only: nb.Tensor = nb.linalg.svd(a, { computeUv: false }); // typed as a tensor, not { u, s, vh }
    expectClose(only, [3, 2]);
  });
});

describe("solves and determinants", () => {
  const a = nb.array(
    [
      [3, 1],
      [1, 2],
    ],
    f64,
  );

  it("solve: a vector b, or a stack of columns", () => {
    expectClose(nb.linalg.solve(a, [9, 8]), [2, 3]);
    expectClose(nb.linalg.solve(a, [[9], [8]]), [[2], [3]]);
  });

  it("inv, det and slogdet", () => {
    expectClose(nb.linalg.inv(a), [
      [0.4, -0.2],
      [-0.2, 0.6],
    ]);
    expectClose(
      nb.linalg.det([
        [1, 2],
        [3, 4],
      ]),
      -2,
      { rtol: 1e-6 },
    );
    const { sign, logabsdet } = nb.linalg.slogdet([
      [1, 2],
      [3, 4],
    ]);
    expect(sign.item()).toBe(-1);
    expectClose(logabsdet, Math.log(2), { rtol: 1e-6 });
  });

  it("choSolve: solves a x = b from the Cholesky factor of a", () => {
    expectClose(nb.linalg.choSolve(nb.linalg.cholesky(spd), [8, 9]), [1.375, 1.25]);
  });

  it("eigvalsh and svdvals", () => {
    expectClose(
      nb.linalg.eigvalsh(
        nb.array(
          [
            [2, 1],
            [1, 2],
          ],
          f64,
        ),
      ),
      [1, 3],
    );
    expectClose(
      nb.linalg.svdvals(
        nb.array(
          [
            [3, 0],
            [0, -4],
          ],
          f64,
        ),
      ),
      [4, 3],
    );
  });

  it("lstsq: the least-squares line through three points", () => {
    const { solution, residuals, rank, singularValues } = nb.linalg.lstsq(
      nb.array(
        [
          [1, 0],
          [1, 1],
          [1, 2],
        ],
        f64,
      ),
      [1, 2, 4],
    );
    expectClose(solution, [5 / 6, 3 / 2], { atol: 1e-12 });
    expectClose(residuals, [1 / 6], { atol: 1e-12 }); // one column
    expect(rank.item()).toBe(2);
    expect(singularValues.shape).toEqual([2]);
  });

  it("pinv, matrixRank and cond", () => {
    expectClose(
      nb.linalg.pinv(
        nb.array(
          [
            [1, 0],
            [0, 0],
          ],
          f64,
        ),
      ),
      [
        [1, 0],
        [0, 0],
      ],
    );
    expect(
      nb.linalg
        .matrixRank([
          [1, 2],
          [2, 4],
        ])
        .item(),
    ).toBe(1);
    expectClose(
      nb.linalg.cond(
        nb.array(
          [
            [1, 0],
            [0, 4],
          ],
          f64,
        ),
      ),
      4,
    );
    expectClose(
      nb.linalg.cond(
        nb.array(
          [
            [1, 0],
            [0, 4],
          ],
          f64,
        ),
        1,
      ),
      4,
    );
  });
});

describe("matrix functions and norms", () => {
  it("matrixPower: repeated squaring, the inverse for negative powers", () => {
    const a = nb.array(
      [
        [1, 1],
        [0, 1],
      ],
      f64,
    );
    expect(nb.linalg.matrixPower(a, 3).toArray()).toEqual([
      [1, 3],
      [0, 1],
    ]);
    expectClose(nb.linalg.matrixPower(a, -2), [
      [1, -2],
      [0, 1],
    ]);
  });

  it("expm: the exponential of a nilpotent and of a rotation generator", () => {
    expectClose(
      nb.linalg.expm(
        nb.array(
          [
            [0, 1],
            [0, 0],
          ],
          f64,
        ),
      ),
      [
        [1, 1],
        [0, 1],
      ],
    );
    const t = 0.5;
    expectClose(
      nb.linalg.expm(
        nb.array(
          [
            [0, -t],
            [t, 0],
          ],
          f64,
        ),
      ),
      [
        [Math.cos(t), -Math.sin(t)],
        [Math.sin(t), Math.cos(t)],
      ],
      { atol: 1e-15 },
    );
  });

  it("norm: NumPy's vector and matrix norms", () => {
    const x = nb.array(
      [
        [1, -2],
        [3, 4],
      ],
      f64,
    );
    expectClose(nb.linalg.norm(x), Math.sqrt(30)); // Frobenius
    expect(nb.linalg.norm(x, { ord: 1 }).item()).toBe(6); // largest column sum
    expect(nb.linalg.norm(x, { ord: Infinity }).item()).toBe(7); // largest row sum
    expect(nb.linalg.norm(x, { ord: 1, axis: 1 }).toArray()).toEqual([3, 7]); // a vector norm per row
    expect(nb.linalg.norm([3, 4]).item()).toBe(5);
    expect(nb.linalg.norm([3, 0, 4], { ord: 0 }).item()).toBe(2);
    expectClose(nb.linalg.norm(x, { ord: "nuc" }), nb.sum(nb.linalg.svdvals(x)));
  });
});
