// Shared by test/linalg/lapack*.test.ts: the fixtures written by scripts/linalg-fixtures.py (NumPy / SciPy,
// i.e. LAPACK, in float64), plain-JS float64 matrix helpers for the invariants (so that a check never relies on
// the nabla ops it is testing), and the tolerance rules.
//
// Tolerance rules (EPS = 2⁻⁵², n the matrix size, cond the 2-norm condition number stored with each case):
// - backward error of a factorization, ‖A − reconstruction‖_F / ‖A‖_F ≤ C_BACK·n·EPS, and orthogonality
//   ‖QᵀQ − I‖_F ≤ C_BACK·n·EPS: a backward-stable algorithm meets these whatever the conditioning;
// - forward error against LAPACK's result, ‖X − X_lapack‖_F / ‖X_lapack‖_F ≤ C_FWD·n·cond·EPS for solves,
//   inverses, factors and determinants (two backward-stable algorithms can differ by about cond·EPS);
// - eigenvalues and singular values (Weyl): |λᵢ − λᵢ_lapack| ≤ C_BACK·n·EPS·‖A‖₂; eigen/singular vectors
//   (Davis–Kahan): angle ≤ C_BACK·n·EPS·‖A‖₂ / gapᵢ, compared up to the sign of each column.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as nb from "nabla";
import { expect } from "vitest";

/** The backends every value test runs on. */
export const BACKENDS = ["fast", "reference"] as const;
export const EPS = 2 ** -52;
export const EPS32 = 2 ** -23;
export const C_BACK = 20;
export const C_FWD = 20;

const here = path.dirname(fileURLToPath(import.meta.url));
export function fixture<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(here, "..", "fixtures", "linalg", name), "utf8")) as T;
}

// ---------------------------------------------------------------- the API under test (issue 15's agreed API)
type TL = nb.TensorLike;
export type Ord = number | "fro" | "nuc";
export interface Linalg {
  cholesky(a: TL, options?: { upper?: boolean }): nb.Tensor;
  triangularSolve(
    a: TL,
    b: TL,
    options?: { lower?: boolean; leftSide?: boolean; transposeA?: boolean; unitDiagonal?: boolean },
  ): nb.Tensor;
  lu(a: TL): { lu: nb.Tensor; pivots: nb.Tensor; permutation: nb.Tensor };
  luSolve(factors: { lu: TL; pivots: TL }, b: TL, options?: { transpose?: boolean }): nb.Tensor;
  qr(a: TL, options?: { mode?: "reduced" | "complete" }): { q: nb.Tensor; r: nb.Tensor };
  eigh(a: TL, options?: { lower?: boolean }): { eigenvalues: nb.Tensor; eigenvectors: nb.Tensor };
  svd(a: TL, options: { fullMatrices?: boolean; computeUv: false }): nb.Tensor;
  svd(
    a: TL,
    options?: { fullMatrices?: boolean; computeUv?: true },
  ): { u: nb.Tensor; s: nb.Tensor; vh: nb.Tensor };
  solve(a: TL, b: TL): nb.Tensor;
  inv(a: TL): nb.Tensor;
  det(a: TL): nb.Tensor;
  slogdet(a: TL): { sign: nb.Tensor; logabsdet: nb.Tensor };
  choSolve(l: TL, b: TL, options?: { lower?: boolean }): nb.Tensor;
  eigvalsh(a: TL): nb.Tensor;
  svdvals(a: TL): nb.Tensor;
  lstsq(
    a: TL,
    b: TL,
    options?: { rcond?: number },
  ): { solution: nb.Tensor; residuals: nb.Tensor; rank: nb.Tensor | number; singularValues: nb.Tensor };
  pinv(a: TL, options?: { rtol?: number }): nb.Tensor;
  matrixRank(a: TL, options?: { rtol?: number; tol?: number }): nb.Tensor;
  cond(a: TL, ord?: Ord): nb.Tensor;
  matrixPower(a: TL, n: number): nb.Tensor;
  expm(a: TL): nb.Tensor;
  norm(x: TL, options?: { ord?: Ord; axis?: number | [number, number]; keepdims?: boolean }): nb.Tensor;
}
/** `nb.linalg`, type-checked against the spec's signatures above. */
export const linalg: Linalg = nb.linalg;
export const la = (): Linalg => linalg;

// ---------------------------------------------------------------- plain-JS float64 matrices
export type Mat = number[][];
export const f64 = (x: TL) => nb.array(x, { dtype: "float64" });
export const f32 = (x: TL) => nb.array(x, { dtype: "float32" });

/** Flattens nested arrays (or a number) to a list. */
export function flat(x: unknown): number[] {
  if (typeof x === "number") return [x];
  if (x === null) return [Number.NaN];
  if (Array.isArray(x)) return x.flatMap((e) => flat(e));
  throw new Error(`flat: unexpected ${typeof x}`);
}
export const values = (t: nb.Tensor): number[] => Array.from(t.dataSync() as ArrayLike<number>);
export function mat(t: nb.Tensor): Mat {
  const s = t.shape;
  if (s.length !== 2) throw new Error(`mat: expected a matrix, got shape [${s}]`);
  return t.toArray() as Mat;
}
export const shapeOf = (m: Mat): [number, number] => [m.length, m[0]?.length ?? 0];
export function matmul(a: Mat, b: Mat): Mat {
  const [m, k] = shapeOf(a);
  const n = b[0]?.length ?? 0;
  const c: Mat = Array.from({ length: m }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const aip = a[i]![p]!;
      for (let j = 0; j < n; j++) c[i]![j]! += aip * b[p]![j]!;
    }
  return c;
}
/** Inverse by Gauss–Jordan with partial pivoting (small, well-conditioned matrices only). */
export function inverse(a: Mat): Mat {
  const n = a.length;
  const m = a.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    const d = m[c]![c]!;
    m[c] = m[c]!.map((x) => x / d);
    for (let r = 0; r < n; r++)
      if (r !== c) {
        const f = m[r]![c]!;
        m[r] = m[r]!.map((x, j) => x - f * m[c]![j]!);
      }
  }
  return m.map((r) => r.slice(n));
}
export const transpose = (a: Mat): Mat => (a[0] ?? []).map((_, j) => a.map((row) => row[j]!));
export const eye = (n: number): Mat =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
export const sub = (a: Mat, b: Mat): Mat => a.map((r, i) => r.map((v, j) => v - b[i]![j]!));
export const fro = (x: unknown) => Math.hypot(...flat(x));
/** ‖got − ref‖_F / ‖ref‖_F (absolute when ref is 0). */
export function relErr(got: unknown, ref: unknown): number {
  const g = flat(got);
  const r = flat(ref);
  if (g.length !== r.length) return Number.POSITIVE_INFINITY;
  let e = 0;
  let m = 0;
  for (let i = 0; i < r.length; i++) {
    e += (g[i]! - r[i]!) ** 2;
    m += r[i]! ** 2;
  }
  const out = Math.sqrt(e) / (Math.sqrt(m) || 1);
  return Number.isNaN(out) ? Number.POSITIVE_INFINITY : out;
}
export const sym = (a: Mat): Mat => a.map((r, i) => r.map((v, j) => 0.5 * (v + a[j]![i]!)));
export const tril = (a: Mat, k = 0): Mat => a.map((r, i) => r.map((v, j) => (j - i <= k ? v : 0)));
export const triu = (a: Mat, k = 0): Mat => a.map((r, i) => r.map((v, j) => (j - i >= k ? v : 0)));

/** Asserts `err ≤ tol` with a message naming the quantity, so a failure reads as a measurement. */
export function within(what: string, err: number, tol: number) {
  expect(
    err,
    `${what}: error ${err.toExponential(2)} > tolerance ${tol.toExponential(2)}`,
  ).toBeLessThanOrEqual(tol);
}

/** Columns of `got` equal those of `ref` up to one sign per column, each within its own tolerance. */
export function expectColumnsUpToSign(what: string, got: Mat, ref: Mat, tols: number[]) {
  const [m, k] = shapeOf(ref);
  expect(shapeOf(got), `${what}: shape`).toEqual([m, k]);
  for (let j = 0; j < k; j++) {
    if (!(tols[j]! < 0.1)) continue; // a (near-)repeated value: the vector is not determined
    const g = got.map((r) => r[j]!);
    const r = ref.map((row) => row[j]!);
    const dot = g.reduce((s, v, i) => s + v * r[i]!, 0);
    const s = dot < 0 ? -1 : 1;
    within(
      `${what} column ${j}`,
      relErr(
        g.map((v) => v * s),
        r,
      ),
      tols[j]!,
    );
  }
}

/** Per-index gaps of a sorted spectrum: min over k ≠ i of |wᵢ − w_k| (and |wᵢ| when `withZero`). */
export function gaps(w: number[], withZero = false): number[] {
  return w.map((wi, i) => {
    let g = Number.POSITIVE_INFINITY;
    w.forEach((wk, k) => {
      if (k !== i) g = Math.min(g, Math.abs(wi - wk));
    });
    return withZero ? Math.min(g, Math.abs(wi)) : g;
  });
}

export const caseName = (c: { kind: string; a?: unknown }, i: number) => {
  const a = c.a as Mat | undefined;
  return `#${i} ${c.kind}${a ? ` ${a.length}×${a[0]?.length ?? 0}` : ""}`;
};
