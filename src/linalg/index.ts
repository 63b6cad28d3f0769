// nb.linalg: linear algebra batched over leading dimensions, float32 and float64, differentiable to any order
// because every function is composed of primitives (the decompositions are primitives with their own rules).
export {
  cholesky,
  type Eigh,
  eigh,
  type LU,
  lu,
  luSolve,
  type QR,
  qr,
  type SVD,
  type SvdOptions,
  svd,
  type TriangularSolveOptions,
  triangularSolve,
} from "./decompositions.js";
export { cond, expm, type LinalgNormOptions, matrixPower, type NormOrd, norm } from "./functions.js";
export {
  choSolve,
  det,
  eigvalsh,
  inv,
  type Lstsq,
  lstsq,
  matrixRank,
  pinv,
  type Slogdet,
  slogdet,
  solve,
  svdvals,
} from "./solve.js";
