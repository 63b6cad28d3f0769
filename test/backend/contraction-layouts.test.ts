// Contractions whose operands are stored in layouts the matrix kernels read in place (transposed) or not
// (rotated, interleaved axes), at sizes that reach the native, threaded and WebAssembly kernels: every
// engine must agree with the reference backend.
import * as nb from "nabla";
import { afterEach, describe, expect, it } from "vitest";

const ref = <T>(f: () => T): T => {
  const prev = nb.getBackend();
  nb.setBackend("reference");
  try {
    return f();
  } finally {
    nb.setBackend(prev);
  }
};

const maxDiff = (a: nb.Tensor, b: nb.Tensor): number =>
  nb.max(nb.abs(nb.sub(a, b))).item() / Math.max(1, nb.max(nb.abs(b)).item());

afterEach(() => nb.setBackend("fast"));

describe("contractions over rotated axes", () => {
  const cases: [string, number[], number[], [number[], number[]]][] = [
    [
      "tensordot [n,2]·[2,3,n] over [[0,1],[2,0]]",
      [1624, 2],
      [2, 3, 1624],
      [
        [0, 1],
        [2, 0],
      ],
    ],
    [
      "tensordot [n,2]·[2,3,n] small",
      [400, 2],
      [2, 3, 400],
      [
        [0, 1],
        [2, 0],
      ],
    ],
    [
      "rotated lhs [k1,m,k2]·[k2,k1,n]",
      [12, 40, 11],
      [11, 12, 50],
      [
        [0, 2],
        [1, 0],
      ],
    ],
    ["transposed lhs [k,m]·[k,n]", [64, 48], [64, 40], [[0], [0]]],
    ["transposed rhs [m,k]·[n,k]", [48, 64], [40, 64], [[1], [1]]],
    [
      "two contracted axes in order [m,k1,k2]·[n,k1,k2]",
      [30, 12, 11],
      [20, 12, 11],
      [
        [1, 2],
        [1, 2],
      ],
    ],
    [
      "interleaved [k1,m,k2]·[n,k2,k1]",
      [8, 33, 9],
      [35, 9, 8],
      [
        [0, 2],
        [2, 1],
      ],
    ],
  ];
  for (const dtype of ["float32", "float64"] as const)
    for (const [name, as, bs, axes] of cases)
      it(`${name} (${dtype})`, () => {
        const [k1, k2] = nb.random.split(nb.random.key(7));
        const a = nb.random.normal(k1!, as, { dtype });
        const b = nb.random.normal(k2!, bs, { dtype });
        const want = ref(() => nb.tensordot(a, b, axes));
        expect(maxDiff(nb.tensordot(a, b, axes), want)).toBeLessThan(dtype === "float64" ? 1e-12 : 1e-4);
        expect(
          maxDiff(nb.jit((x: nb.Tensor, y: nb.Tensor) => nb.tensordot(x, y, axes))(a, b), want),
        ).toBeLessThan(dtype === "float64" ? 1e-12 : 1e-4);
      });

  it('einsum("bij,ji->b") at sizes of every kernel', () => {
    for (const [bsz, i, j] of [
      [30, 12, 11],
      [200, 12, 11],
      [3, 40, 41],
    ] as const) {
      const [k1, k2] = nb.random.split(nb.random.key(bsz));
      const x = nb.random.normal(k1!, [bsz, i, j], { dtype: "float64" });
      const c = nb.random.normal(k2!, [j, i], { dtype: "float64" });
      const want = ref(() => nb.einsum("bij,ji->b", x, c));
      expect(maxDiff(nb.einsum("bij,ji->b", x, c), want)).toBeLessThan(1e-12);
    }
  });

  it('einsum("ab,bda->d") under vmap', () => {
    const [k1, k2] = nb.random.split(nb.random.key(3));
    const a = nb.random.normal(k1!, [4, 600, 2], { dtype: "float64" });
    const b = nb.random.normal(k2!, [2, 3, 600], { dtype: "float64" });
    const f = (x: nb.Tensor) => nb.einsum("ab,bda->d", x, b);
    const want = ref(() => nb.stack([0, 1, 2, 3].map((i) => f(nb.take(a, i, 0)))));
    expect(maxDiff(nb.vmap(f)(a) as nb.Tensor, want)).toBeLessThan(1e-12);
  });
});
