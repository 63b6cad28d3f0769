// Every refusal of nb.linalg: wrong ranks and non-square matrices (ShapeError naming the function, the
// argument and the shape), singular and non-positive-definite values (ValueError naming the pivot and the
// batch element, eagerly and under grad), what happens instead under jit and vmap (NaN or Infinity, as
// documented), bad options, and one argument too many.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import { f64 } from "./helpers.js";

const L = nb.linalg;
// biome-ignore lint/suspicious/noExplicitAny: plain-JavaScript calls, arguments of any type
const js = L as any;

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  return expect.fail("expected an error, got a result");
}

const sq = nb.array(
  [
    [2, 1],
    [1, 3],
  ],
  f64,
);
const rect = nb.ones([2, 3]);
const vec = nb.ones([3]);

describe("shapes", () => {
  const squareOnly: [string, (a: nb.Tensor) => unknown][] = [
    ["cholesky", (a) => L.cholesky(a)],
    ["eigh", (a) => L.eigh(a)],
    ["eigvalsh", (a) => L.eigvalsh(a)],
    ["inv", (a) => L.inv(a)],
    ["det", (a) => L.det(a)],
    ["slogdet", (a) => L.slogdet(a)],
    ["expm", (a) => L.expm(a)],
    ["matrixPower", (a) => L.matrixPower(a, 2)],
    ["solve", (a) => L.solve(a, [1, 1])],
    ["choSolve", (a) => L.choSolve(a, [1, 1])],
    ["triangularSolve", (a) => L.triangularSolve(a, [[1], [1]])],
    ["cond", (a) => L.cond(a, 1)],
  ];
  it.each(squareOnly)("%s refuses a non-square matrix, naming itself and the shape", (name, f) => {
    const e = thrown(() => f(rect));
    expect(e).toBeInstanceOf(nb.ShapeError);
    expect(e.message).toMatch(new RegExp(`^linalg\\.${name}: `));
    expect(e.message).toContain("[2,3]");
    expect(e.message).toContain("square");
  });

  const matrices: [string, (a: nb.Tensor) => unknown][] = [
    ...squareOnly,
    ["lu", (a) => L.lu(a)],
    ["qr", (a) => L.qr(a)],
    ["svd", (a) => L.svd(a)],
    ["svdvals", (a) => L.svdvals(a)],
    ["pinv", (a) => L.pinv(a)],
    ["matrixRank", (a) => L.matrixRank(a)],
    ["lstsq", (a) => L.lstsq(a, [1, 1, 1])],
  ];
  it.each(matrices)("%s refuses a vector, asking for [..., m, n]", (name, f) => {
    const e = thrown(() => f(vec));
    expect(e).toBeInstanceOf(nb.ShapeError);
    expect(e.message).toMatch(
      new RegExp(`^linalg\\.${name}: the (matrix a|factor l) must have at least 2 dimensions`),
    );
    expect(e.message).toContain("[3]");
  });

  it("right-hand sides that do not fit", () => {
    expect(() => L.solve(sq, [1, 2, 3])).toThrow(
      /^linalg\.solve: b has shape \[3\] but the matrix a has shape \[2,2\]/,
    );
    expect(() => L.solve(sq, nb.ones([3, 1]))).toThrow(
      /^linalg\.solve: b has shape \[3,1\].*\[\.\.\., 2, k\]/,
    );
    expect(() => L.solve(sq, 1)).toThrow(nb.ShapeError);
    expect(() => L.solve(nb.ones([2, 2, 2]), nb.ones([3, 2, 1]))).toThrow(
      /batch dimensions .* cannot be broadcast/,
    );
    expect(() => L.triangularSolve(sq, [1, 2])).toThrow(/^linalg\.triangularSolve: b must be a matrix/);
    expect(() => L.triangularSolve(sq, nb.ones([2, 3]), { leftSide: false })).toThrow(/\[\.\.\., k, 2\]/);
    expect(() => L.lstsq(rect, [1, 2, 3])).toThrow(/^linalg\.lstsq: a has shape \[2,3\] so b must be \[2\]/);
    expect(() => L.luSolve(L.lu(sq), [1, 2, 3])).toThrow(nb.ShapeError);
    expect(() => L.choSolve(sq, nb.ones([3, 2]))).toThrow(nb.ShapeError);
  });

  it("norm: the axes and ord must agree", () => {
    expect(() => L.norm(nb.ones([2, 2, 2]), { ord: 1 })).toThrow(
      /^linalg\.norm: with ord and no axis, x must be 1-D or 2-D/,
    );
    expect(() => L.norm(vec, { ord: "fro" })).toThrow(/^linalg\.norm: ord "fro" is a matrix norm/);
    expect(() => L.norm(rect, { ord: 3 })).toThrow(/^linalg\.norm: ord 3 is not a matrix norm/);
    expect(() => L.norm(rect, { axis: [0, 1, 1] })).toThrow(/one integer or two/);
    expect(() => L.norm(rect, { axis: [1, 1] })).toThrow(/must differ/);
    expect(() => L.norm(rect, { axis: 2 })).toThrow(nb.NablaError);
    expect(() => L.norm(nb.zeros([0, 0]), { ord: 2 })).toThrow(
      /^linalg\.norm: the 2-norm of an empty 0×0 matrix/,
    );
    expect(() => L.norm(nb.zeros([0]), { ord: Infinity })).toThrow(/empty axis/);
    expect(L.norm(nb.zeros([0, 0]), { ord: "fro" }).item()).toBe(0);
    expect(() => js.norm(rect, { ord: "max" })).toThrow(
      /ord must be a number, Infinity, -Infinity, "fro" or "nuc"/,
    );
  });
});

describe("singular and not positive definite", () => {
  const singular = nb.array(
    [
      [1, 2],
      [2, 4],
    ],
    f64,
  );

  it("solve, inv and matrixPower(·, −n) refuse a singular matrix, naming the pivot", () => {
    for (const [name, f] of [
      ["solve", () => L.solve(singular, [1, 2])],
      ["inv", () => L.inv(singular)],
      ["matrixPower", () => L.matrixPower(singular, -1)],
    ] as const) {
      const e = thrown(f);
      expect(e).toBeInstanceOf(nb.ValueError);
      expect(e.message).toMatch(new RegExp(`^linalg\\.${name}: the matrix is singular \\(pivot 1 is 0\\)`));
    }
  });

  it("the batch element is named; a pivot below n·eps·max|a| counts as singular", () => {
    const batch = nb.stack([nb.eye(2, undefined, f64), singular]);
    expect(() => L.solve(batch, [1, 1])).toThrow(/pivot 1 of batch \[1\] is 0/);
    const nearly = nb.array(
      [
        [1, 1],
        [1, 1 + 1e-17 * 4],
      ],
      f64,
    );
    expect(() =>
      L.inv(
        nb.array(
          [
            [1, 0],
            [0, 1e-20],
          ],
          f64,
        ),
      ),
    ).toThrow(/below n·eps·max\|a\|/);
    expect(() => L.inv(nearly)).toThrow(nb.ValueError);
  });

  it("also under grad: the value is read without its derivative", () => {
    expect(() => nb.grad((a: nb.Tensor) => nb.sum(L.inv(a)))(singular)).toThrow(
      /^linalg\.inv: the matrix is singular/,
    );
  });

  it("under jit and vmap the values cannot be read: Infinity or NaN comes out instead (documented)", () => {
    const x = nb.jit((a: nb.Tensor) => L.solve(a, nb.array([1, 2], f64)))(singular);
    expect(Array.from(x.dataSync()).some((v) => !Number.isFinite(v))).toBe(true);
    const y = nb.vmap((a: nb.Tensor) => L.inv(a))(nb.stack([singular, singular]));
    expect(Array.from(y.dataSync()).some((v) => !Number.isFinite(v))).toBe(true);
  });

  it("cholesky names the failing leading minor and the batch element; NaN under jit", () => {
    const notPd = nb.array(
      [
        [1, 2],
        [2, 1],
      ],
      f64,
    );
    const e = thrown(() => L.cholesky(notPd));
    expect(e).toBeInstanceOf(nb.ValueError);
    expect(e.message).toMatch(/^linalg\.cholesky: .*not positive definite.*leading minor of order 2/);
    expect(() => L.cholesky(nb.stack([sq, notPd]))).toThrow(/batch index 1/);
    const j = nb.jit((a: nb.Tensor) => L.cholesky(a))(notPd);
    expect(Array.from(j.dataSync()).some(Number.isNaN)).toBe(true);
  });

  it("NaN or Infinity in the input is refused by name where it would be misread as singular", () => {
    const bad = nb.array(
      [
        [1, Number.NaN],
        [0, 1],
      ],
      f64,
    );
    for (const f of [() => L.solve(bad, [1, 1]), () => L.inv(bad), () => L.expm(bad)])
      expect(f).toThrow(/the matrix a holds NaN .*finite numbers/);
    expect(() =>
      L.cholesky(
        nb.array(
          [
            [Infinity, 0],
            [0, 1],
          ],
          f64,
        ),
      ),
    ).toThrow(/^linalg\.cholesky: the matrix a holds Infinity/);
    // cholesky never reads the upper triangle: NaN there is no error
    expect(
      L.cholesky(
        nb.array(
          [
            [4, Number.NaN],
            [2, 5],
          ],
          f64,
        ),
      ).toArray(),
    ).toEqual([
      [2, 0],
      [1, 2],
    ]);
  });
});

describe("arguments", () => {
  it("options are checked: unknown keys, wrong types, positional values", () => {
    expect(() => js.cholesky(sq, { uper: true })).toThrow(
      /^linalg\.cholesky: unknown option "uper"; the options are upper/,
    );
    expect(() => js.cholesky(sq, { upper: 1 })).toThrow(/^linalg\.cholesky: upper must be true or false/);
    expect(() => js.cholesky(sq, true)).toThrow(/the second argument is an options object/);
    expect(() => js.qr(sq, { mode: "r" })).toThrow(/^linalg\.qr: mode must be "reduced" or "complete"/);
    expect(() => js.svd(sq, { full_matrices: true })).toThrow(/unknown option "full_matrices"/);
    expect(() => js.triangularSolve(sq, [[1], [1]], { lower: "yes" })).toThrow(/lower must be true or false/);
    expect(() => js.pinv(sq, { rtol: -1 })).toThrow(/rtol must be a non-negative number/);
    expect(() => js.matrixRank(sq, { rtol: 0.1, tol: 0.1 })).toThrow(/not both/);
    expect(() => js.lstsq(sq, [1, 1], { rcond: "auto" })).toThrow(/rcond must be a finite number/);
    expect(() => js.matrixPower(sq, 1.5)).toThrow(/^linalg\.matrixPower: n must be an integer/);
    expect(() => js.matrixPower(sq, nb.array(2))).toThrow(/n must be an integer/);
    expect(() => js.cond(sq, 3)).toThrow(/^linalg\.cond: ord must be 2, -2/);
    expect(() => js.luSolve(sq, [1, 1])).toThrow(
      /^linalg\.luSolve: the first argument must be the factors \{ lu, pivots \}/,
    );
    expect(() => js.luSolve({ lu: sq, pivots: [0.5, 1] }, [1, 1])).toThrow(/pivots must be int32/);
  });

  it("a tensor argument that is not one names the function", () => {
    expect(() => js.inv("a")).toThrow(/^linalg\.inv: cannot make a tensor from the string "a"/);
    expect(() => js.solve(sq, undefined)).toThrow(/^linalg\.solve: cannot make a tensor from undefined, b/);
  });

  it("one argument too many is refused, not ignored", () => {
    const most: [string, number][] = [
      ["cholesky", 2],
      ["triangularSolve", 3],
      ["lu", 1],
      ["luSolve", 3],
      ["qr", 2],
      ["eigh", 2],
      ["svd", 2],
      ["solve", 2],
      ["inv", 1],
      ["det", 1],
      ["slogdet", 1],
      ["choSolve", 3],
      ["eigvalsh", 1],
      ["svdvals", 1],
      ["lstsq", 3],
      ["pinv", 2],
      ["matrixRank", 2],
      ["cond", 2],
      ["matrixPower", 2],
      ["expm", 1],
      ["norm", 2],
    ];
    expect(most.map(([n]) => n).sort()).toEqual(
      Object.keys(L)
        .filter((k) => typeof js[k] === "function")
        .sort(),
    );
    for (const [name, n] of most) {
      const e = thrown(() => js[name](...Array(n).fill(undefined), "extra"));
      expect(e).toBeInstanceOf(nb.ValueError);
      expect(e.message).toMatch(
        new RegExp(
          `^linalg\\.${name}: takes (at most )?${n} arguments? \\(.*\\), got ${n + 1}; the .* is the string "extra"$`,
        ),
      );
    }
  });

  it("dtypes: int32 and bool become float32; results keep float32 or float64", () => {
    expect(
      L.det(
        nb.array(
          [
            [2, 0],
            [0, 3],
          ],
          { dtype: "int32" },
        ),
      ).dtype,
    ).toBe("float32");
    expect(
      L.inv(
        nb.array(
          [
            [2, 0],
            [0, 3],
          ],
          f64,
        ),
      ).dtype,
    ).toBe("float64");
  });
});
