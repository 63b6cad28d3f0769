// Derivatives of nb.linalg against closed-form matrix calculus evaluated in NumPy / SciPy float64
// (test/fixtures/linalg/grads.json, written by scripts/linalg-fixtures.py, where every formula is checked
// against central differences). First derivatives by nb.grad; second derivatives H[V] = d/dt ∇f(A + tV)
// by nested nb.grad and by nb.hessian, against exact formulas (hvExact) or Richardson-extrapolated differences
// of the analytic gradient.
//
// Tolerances: ‖∇ − ∇_ref‖_F/‖∇_ref‖_F ≤ 1e3·n·EPS·cond (at least 1e-10): the gradients are products of a few
// solves / factor derivatives, each accurate to about cond·EPS. Second derivatives: the same rule, at least
// 1e-9 against exact values and 1e-6 against differences.
//
// Symmetric-input functions (Cholesky, eigh, choSolve of a Cholesky factor): the spec has the Cholesky
// derivative symmetrize (as JAX), so ∇ is the symmetric matrix stored. Where the convention could differ
// (reading one triangle), sym(∇) is compared: it is the same for every convention that gives the right
// directional derivatives along symmetric directions.
import * as nb from "nabla";
import { describe, expect, it } from "vitest";
import {
  EPS,
  EPS32,
  f32,
  f64,
  fixture,
  fro,
  la,
  linalg,
  type Mat,
  mat,
  relErr,
  sym,
  transpose,
  values,
  within,
} from "./lapack-util.js";

interface GradCase {
  fn: string;
  kind: string;
  n: number;
  cond: number | null;
  a: Mat;
  value: number;
  grad: Mat;
  v: Mat;
  hv: Mat | null;
  hvExact: boolean;
  w?: Mat | number[];
  b?: Mat;
  wb?: Mat;
  wq?: Mat;
  wr?: Mat;
  j?: number;
  gradB?: Mat;
}
const G = fixture<GradCase[]>("grads.json");

type F = (a: nb.Tensor) => nb.Tensor;
const SYMMETRIC = new Set([
  "logdetCholesky",
  "choleskyWeighted",
  "choleskyFro2",
  "choSolveWeighted",
  "eigvalshWeighted",
  "eighVectorQuadratic",
]);
/** Functions whose derivative rule the spec says symmetrizes (Cholesky). */
const SYMMETRIZED = new Set(["logdetCholesky", "choleskyWeighted", "choleskyFro2", "choSolveWeighted"]);

/** The scalar function of A that a case describes, in nabla, with the case's constants in `dtype`. */
function build(c: GradCase, dtype: "float32" | "float64" = "float64"): F {
  const L = la();
  const k = (x: nb.TensorLike) => nb.array(x, { dtype });
  const w = c.w === undefined ? undefined : k(c.w);
  switch (c.fn) {
    case "logdetSlogdet":
    case "logabsdet":
      return (a) => L.slogdet(a).logabsdet;
    case "logdetCholesky":
      return (a) => nb.mul(2, nb.sum(nb.log(nb.diag(L.cholesky(a)))));
    case "det":
      return (a) => L.det(a);
    case "invWeighted":
      return (a) => nb.sum(nb.mul(w!, L.inv(a)));
    case "sumSolve":
      return (a) => nb.sum(L.solve(a, k(c.b!)));
    case "matrixPower3Weighted":
      return (a) => nb.sum(nb.mul(w!, L.matrixPower(a, 3)));
    case "choleskyWeighted":
      return (a) => nb.sum(nb.mul(w!, L.cholesky(a)));
    case "choleskyFro2":
      return (a) => nb.sum(nb.square(L.cholesky(a)));
    case "choSolveWeighted":
      return (a) => nb.sum(nb.mul(k(c.wb!), L.choSolve(L.cholesky(a), k(c.b!))));
    case "eigvalshWeighted":
      return (a) => nb.sum(nb.mul(w!, L.eigvalsh(a)));
    case "eighVectorQuadratic": {
      const e = k(Array.from({ length: c.n }, (_, i) => [i === c.j ? 1 : 0]));
      return (a) => {
        const v = nb.matmul(L.eigh(a).eigenvectors, e);
        return nb.sum(nb.mul(v, nb.matmul(w!, v)));
      };
    }
    case "svdvalsWeighted":
      return (a) => nb.sum(nb.mul(w!, L.svdvals(a)));
    case "normNuc":
      return (a) => L.norm(a, { ord: "nuc" });
    case "norm2":
      return (a) => L.norm(a, { ord: 2 });
    case "normFro":
      return (a) => L.norm(a, { ord: "fro" });
    case "traceExpm":
      return (a) => nb.trace(L.expm(a));
    case "expmWeighted":
      return (a) => nb.sum(nb.mul(w!, L.expm(a)));
    case "qrWeighted":
      return (a) => {
        const { q, r } = L.qr(a);
        return nb.add(nb.sum(nb.mul(k(c.wq!), q)), nb.sum(nb.mul(k(c.wr!), r)));
      };
    case "triangularSolveWeighted":
      return (a) => nb.sum(nb.mul(w!, L.triangularSolve(a, k(c.b!), { lower: true })));
    case "svdVectorBilinear": {
      const m = c.a.length;
      const n = c.a[0]!.length;
      const kk = Math.min(m, n);
      const col = k(Array.from({ length: kk }, (_, i) => [i === c.j ? 1 : 0]));
      const row = k([Array.from({ length: kk }, (_, i) => (i === c.j ? 1 : 0))]);
      return (a) => {
        const { u, vh } = L.svd(a);
        return nb.sum(nb.mul(w!, nb.matmul(nb.matmul(u, col), nb.matmul(row, vh))));
      };
    }
    case "luWeighted":
      return (a) => nb.sum(nb.mul(w!, L.lu(a).lu));
    case "matrixPowerNeg2Weighted":
      return (a) => nb.sum(nb.mul(w!, L.matrixPower(a, -2)));
    case "luSolveWeighted":
      return (a) => nb.sum(nb.mul(k(c.wb!), L.luSolve(L.lu(a), k(c.b!))));
    case "normInf":
      return (a) => L.norm(a, { ord: Infinity });
    case "norm1":
      return (a) => L.norm(a, { ord: 1 });
    case "normMinus2":
      return (a) => L.norm(a, { ord: -2 });
    case "pinvWeighted":
      return (a) => nb.sum(nb.mul(w!, L.pinv(a)));
    case "lstsqWeighted":
      return (a) => nb.sum(nb.mul(w!, L.lstsq(a, k(c.b!)).solution));
    case "cond2":
      return (a) => L.cond(a);
    default:
      throw new Error(`unknown fixture function ${c.fn}`);
  }
}

const condOf = (c: GradCase) => Math.max(c.cond ?? 10, 1);
/** Gradients stored from finite differences (no short closed form) are good to about 1e-9. */
const gradTol = (c: GradCase) =>
  c.fn === "svdVectorBilinear" || c.fn === "luWeighted" ? 1e-7 : Math.max(1e-10, 1e3 * c.n * EPS * condOf(c));
const hvTol = (c: GradCase) => Math.max(c.hvExact ? 1e-9 : 1e-6, 1e3 * c.n * EPS * condOf(c) ** 2);
const label = (c: GradCase, i: number) =>
  `#${i} ${c.fn} ${c.kind} ${c.a.length}×${c.a[0]!.length}${c.cond ? ` cond ${c.cond.toExponential(0)}` : ""}`;
const cmp = (c: GradCase, g: Mat) => (SYMMETRIC.has(c.fn) ? sym(g) : g);
/**
 * Relative error of H[V] with a floor on the denominator: ‖∇f‖/‖A‖·‖V‖ is the natural scale of a second
 * derivative, so a reference that is zero up to rounding (e.g. the Frobenius norm of a 1×1 matrix) is compared
 * absolutely on that scale instead of relatively to its rounding noise.
 */
function hvErr(c: GradCase, got: Mat): number {
  const e = relErr(cmp(c, got), c.hv!) * (fro(c.hv!) || 1);
  return e / Math.max(fro(c.hv!), (fro(c.grad) / fro(c.a)) * fro(c.v));
}

describe.skipIf(!linalg)("values and gradients (nb.grad) against analytic formulas", () => {
  G.forEach((c, i) => {
    it(label(c, i), () => {
      const f = build(c);
      const a = f64(c.a);
      const v = f(a);
      expect(v.shape).toEqual([]);
      expect(v.dtype).toBe("float64");
      within("value", Math.abs(v.item() - c.value) / Math.max(1, Math.abs(c.value)), gradTol(c));
      const g = nb.grad(f)(a);
      expect(g.shape).toEqual([c.a.length, c.a[0]!.length]);
      expect(g.dtype).toBe("float64");
      within("gradient", relErr(cmp(c, mat(g)), c.grad), gradTol(c));
      if (SYMMETRIZED.has(c.fn))
        within(
          "symmetrized gradient (spec: the Cholesky rule symmetrizes)",
          relErr(mat(g), transpose(mat(g))),
          1e-12,
        );
      if (c.fn === "triangularSolveWeighted") {
        // The strict upper triangle of a is not read: its gradient is exactly zero.
        mat(g).forEach((row, r) =>
          row.forEach((x, col) => col > r && expect(x === 0, `∂/∂a[${r}][${col}] = ${x}`).toBe(true)),
        );
      }
    });
  });
  it("eigh / eigvalsh gradients are the symmetric V diag(w) Vᵀ (JAX's convention, as cholesky's)", () => {
    // jnp.linalg.eigh symmetrizes its input, so JAX's gradient of sum(w · eigenvalues) is V diag(w) Vᵀ, the
    // standard formula; nabla's cholesky rule symmetrizes the same way (spec). A gradient folded onto the
    // lower triangle (the triangle eigh reads) gives the same directional derivatives along symmetric
    // directions, but not the same matrix.
    for (const c of G.filter((c) => c.fn === "eigvalshWeighted" || c.fn === "eighVectorQuadratic")) {
      const g = mat(nb.grad(build(c))(f64(c.a)));
      within(`${c.fn} n=${c.n} ${c.kind}: ∇ = stored symmetric gradient`, relErr(g, c.grad), gradTol(c));
    }
  });
  it("gradients with respect to the right-hand side", () => {
    for (const c of G.filter((c) => c.gradB)) {
      const L = la();
      const a = f64(c.a);
      let g: nb.Tensor;
      if (c.fn === "sumSolve") g = nb.grad((b: nb.Tensor) => nb.sum(L.solve(a, b)))(f64(c.b!));
      else if (c.fn === "choSolveWeighted") {
        const l = L.cholesky(a);
        g = nb.grad((b: nb.Tensor) => nb.sum(nb.mul(f64(c.wb!), L.choSolve(l, b))))(f64(c.b!));
      } else g = nb.grad((b: nb.Tensor) => nb.sum(nb.mul(f64(c.w!), L.triangularSolve(a, b))))(f64(c.b!));
      within(`${c.fn} n=${c.n} ${c.kind}`, relErr(mat(g), c.gradB!), gradTol(c));
    }
  });
  it("float32 gradients within float32 tolerance (well-conditioned)", () => {
    for (const c of G.filter((c) => c.kind === "well" && c.n <= 5)) {
      const g = nb.grad(build(c, "float32"))(f32(c.a));
      expect(g.dtype, c.fn).toBe("float32");
      within(`${c.fn} n=${c.n}`, relErr(cmp(c, mat(g)), c.grad), 1e2 * c.n * EPS32 * condOf(c) ** 2);
    }
  });
});

describe.skipIf(!linalg)("second derivatives H[V] = d/dt ∇f(A + tV)", () => {
  const small = G.map((c, i) => [c, i] as const).filter(
    ([c]) => c.hv !== null && c.a.length <= 5 && c.a[0]!.length <= 5 && (c.kind === "well" || c.hvExact),
  );
  small.forEach(([c, i]) => {
    it(`nested grad ${label(c, i)}${c.hvExact ? " (exact)" : ""}`, () => {
      const f = build(c);
      const V = f64(c.v);
      const hv = nb.grad((a: nb.Tensor) => nb.sum(nb.mul(nb.grad(f)(a), V)))(f64(c.a));
      within("H[V]", hvErr(c, mat(hv)), hvTol(c));
    });
  });
  // nb.hessian on the smallest cases: [m, n, m, n] contracted with V.
  const seen = new Map<string, number>();
  small
    .filter(([c]) => c.a.length <= 3 && c.a[0]!.length <= 3 && c.a.length >= 2)
    .filter(([c]) => {
      const k = (seen.get(c.fn) ?? 0) + 1;
      seen.set(c.fn, k);
      return k <= 1;
    })
    .forEach(([c, i]) => {
      it(`nb.hessian ${label(c, i)}`, () => {
        const [m, n] = [c.a.length, c.a[0]!.length];
        const H = nb.hessian(build(c))(f64(c.a)) as nb.Tensor;
        expect(H.shape).toEqual([m, n, m, n]);
        const h = values(H);
        const vf = c.v.flat();
        const hv: Mat = Array.from({ length: m }, (_, r) =>
          Array.from({ length: n }, (_, s) =>
            vf.reduce((acc, x, kl) => acc + h[(r * n + s) * m * n + kl]! * x, 0),
          ),
        );
        within("H·V", hvErr(c, hv), hvTol(c));
        // A Hessian of a twice-differentiable scalar function is symmetric (for symmetric-input functions,
        // after the same symmetrization of its input pairs).
        if (!SYMMETRIC.has(c.fn)) {
          let asym = 0;
          for (let p = 0; p < m * n; p++)
            for (let q = 0; q < m * n; q++)
              asym = Math.max(asym, Math.abs(h[p * m * n + q]! - h[q * m * n + p]!));
          within("Hessian symmetry", asym / (Math.max(...h.map(Math.abs)) || 1), 1e-9);
        }
      });
    });
  it("third order: ∇ of d²/dt² log det(A + tV) through cholesky is 2 A⁻¹VA⁻¹VA⁻¹", () => {
    const c = G.find((c) => c.fn === "logdetCholesky" && c.n === 3 && c.kind === "well")!;
    const V = f64(c.v);
    const f = build(c);
    const d1 = (a: nb.Tensor) => nb.sum(nb.mul(nb.grad(f)(a), V));
    const d2 = (a: nb.Tensor) => nb.sum(nb.mul(nb.grad(d1)(a), V));
    const got = mat(nb.grad(d2)(f64(c.a)));
    // d²/dt² log det(A + tV) = −tr(A⁻¹VA⁻¹V); its gradient in A (A, V symmetric) is 2 A⁻¹VA⁻¹VA⁻¹.
    const ai = mat(la().inv(f64(c.a)));
    const mm = (x: Mat, y: Mat) =>
      x.map((r) => y[0]!.map((_, j) => r.reduce((s, v, k) => s + v * y[k]![j]!, 0)));
    const ref = mm(mm(mm(mm(ai, c.v), ai), c.v), ai).map((r) => r.map((x) => 2 * x));
    within("third derivative", relErr(sym(got), ref), 1e-9);
  });
});

describe.skipIf(!linalg)("third order: nested reverse mode agrees with Taylor mode", () => {
  // φ(t) = f(A + tV): φ‴(0) by three nested nb.grad calls (each contracted with V) and by nb.jet.
  const seen = new Set<string>();
  const picks = G.map((c, i) => [c, i] as const).filter(([c]) => {
    if (c.kind !== "well" || c.a.length !== 3 || c.a[0]!.length !== 3 || seen.has(c.fn)) return false;
    seen.add(c.fn);
    return true;
  });
  picks.forEach(([c, i]) => {
    it(label(c, i), () => {
      const f = build(c);
      const V = f64(c.v);
      const d1 = (a: nb.Tensor) => nb.sum(nb.mul(nb.grad(f)(a), V));
      const d2 = (a: nb.Tensor) => nb.sum(nb.mul(nb.grad(d1)(a), V));
      const rev = nb.sum(nb.mul(nb.grad(d2)(f64(c.a)), V)).item();
      const [, terms] = nb.jet(f, [f64(c.a)], [[V, 0, 0]]) as [nb.Tensor, nb.Tensor[]];
      const [j1, j2, j3] = terms.map((t) => t.item());
      const scale = Math.max(Math.abs(j1!), Math.abs(j2!), Math.abs(j3!), 1);
      within("φ′ (jet vs grad)", Math.abs(j1! - d1(f64(c.a)).item()) / scale, 1e-9);
      within("φ″ (jet vs nested grad)", Math.abs(j2! - d2(f64(c.a)).item()) / scale, 1e-9);
      within("φ‴ (jet vs three nested grads)", Math.abs(j3! - rev) / scale, 1e-8);
    });
  });
});

describe.skipIf(!linalg)("transforms compose with the derivative rules", () => {
  it("jit(grad) equals grad, vmap(grad) equals a loop", () => {
    for (const fn of [
      "logdetCholesky",
      "sumSolve",
      "eigvalshWeighted",
      "invWeighted",
      "traceExpm",
      "svdvalsWeighted",
    ]) {
      const cs = G.filter((c) => c.fn === fn && c.kind === "well" && c.n === 3);
      const c = cs[0]!;
      const f = build(c);
      const g = mat(nb.grad(f)(f64(c.a)));
      const gj = mat(nb.jit(nb.grad(f))(f64(c.a)) as nb.Tensor);
      within(`${fn} jit`, relErr(gj, g), 1e-12);
      const twice = c.a.map((r) => r.map((x) => 2 * x));
      const gv = nb.vmap(nb.grad(f))(f64([c.a, twice])) as nb.Tensor;
      const loop = [g, mat(nb.grad(f)(f64(twice)))];
      within(`${fn} vmap`, relErr(gv.toArray(), loop), 1e-12);
    }
  });
});
