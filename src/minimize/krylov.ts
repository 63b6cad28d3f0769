// Matrix-free Krylov methods on Hessian-vector products: truncated conjugate gradients and Lanczos.
import { dot, norm, scale } from "./linalg.js";

type MatVec = (v: Float64Array) => Float64Array;

/** The approximate solution of Hs = −g and whether CG met a direction of non-positive curvature. */
export interface CGResult {
  s: Float64Array;
  negativeCurvature: boolean;
  iterations: number;
}

/**
 * Conjugate gradients on Hs = −g, stopped when ‖Hs + g‖ ≤ tol or when a search direction has pᵀHp ≤ 0
 * (Newton–CG, Nocedal & Wright Alg. 7.1): the iterate so far is still a descent direction, and at the first
 * iteration −g is returned.
 */
export function truncatedCG(matvec: MatVec, g: Float64Array, tol: number, maxIter: number): CGResult {
  const n = g.length;
  const s = new Float64Array(n);
  const r = scale(g, -1);
  const p = r.slice();
  let rr = dot(r, r);
  for (let k = 0; k < maxIter; k++) {
    if (Math.sqrt(rr) <= tol) return { s, negativeCurvature: false, iterations: k };
    const Hp = matvec(p);
    const curv = dot(p, Hp);
    if (!(curv > 1e-14 * dot(p, p) * Math.max(1, Math.abs(curv) / dot(p, p)))) {
      return { s: k === 0 ? scale(g, -1) : s, negativeCurvature: true, iterations: k };
    }
    const a = rr / curv;
    for (let i = 0; i < n; i++) {
      s[i] += a * p[i];
      r[i] -= a * Hp[i];
    }
    const rrNew = dot(r, r);
    const b = rrNew / rr;
    rr = rrNew;
    for (let i = 0; i < n; i++) p[i] = r[i] + b * p[i];
  }
  return { s, negativeCurvature: false, iterations: maxIter };
}

/** An orthonormal Lanczos basis Q and the tridiagonal T = QᵀAQ (diagonal `alpha`, off-diagonal `beta`). */
export interface LanczosBasis {
  Q: Float64Array[];
  alpha: number[];
  beta: number[];
}

/**
 * Lanczos tridiagonalization of a symmetric operator from the unit vector `q1`, with full
 * reorthogonalization (twice, "twice is enough") so the basis stays orthogonal in floating point.
 * On breakdown (an invariant subspace) `restart` supplies a new vector, which is orthogonalized and
 * continues the basis with a zero coupling; without it the basis stops there. `done(basis)` may stop early.
 */
export function lanczosBasis(
  matvec: MatVec,
  q1: Float64Array,
  steps: number,
  restart?: () => Float64Array,
  done?: (basis: LanczosBasis) => boolean,
): LanczosBasis {
  const Q: Float64Array[] = [scale(q1, 1 / norm(q1))];
  const alpha: number[] = [];
  const beta: number[] = [];
  const n = q1.length;
  let size = 0;
  const orthogonalize = (w: Float64Array) => {
    for (let pass = 0; pass < 2; pass++)
      for (const q of Q) {
        const c = dot(q, w);
        for (let i = 0; i < n; i++) w[i] -= c * q[i];
      }
  };
  for (let j = 0; j < steps; j++) {
    const q = Q[j];
    const w = matvec(q);
    const a = dot(q, w);
    alpha.push(a);
    size = Math.max(size, Math.abs(a), j > 0 ? beta[j - 1] : 0);
    if (j === steps - 1 || Q.length === n) break;
    orthogonalize(w);
    let b = norm(w);
    let next = scale(w, 1 / b);
    if (!(b > 1e-10 * Math.max(size, 1e-300))) {
      if (!restart) break;
      // Krylov space exhausted: continue in a fresh direction, decoupled from the block found so far.
      const fresh = restart();
      const len0 = norm(fresh);
      orthogonalize(fresh);
      const len = norm(fresh);
      if (!(len > 1e-8 * len0)) break;
      b = 0;
      next = scale(fresh, 1 / len);
    }
    beta.push(b);
    Q.push(next);
    if (done?.({ Q, alpha, beta })) break;
  }
  return { Q: Q.slice(0, alpha.length), alpha, beta: beta.slice(0, alpha.length - 1) };
}

/** The tridiagonal matrix of a Lanczos basis as a dense row-major k×k matrix. */
export function tridiagonal(alpha: readonly number[], beta: readonly number[]): Float64Array {
  const k = alpha.length;
  const T = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    T[i * k + i] = alpha[i];
    if (i + 1 < k) T[i * k + i + 1] = T[(i + 1) * k + i] = beta[i];
  }
  return T;
}
