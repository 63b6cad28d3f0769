// Blocked factorizations and triangular solves on row-major matrices, in place, batched (LAPACK's potrf,
// trsm and getrf, restated for row-major storage). The products run on gemm.cc's packed kernels and the
// thread pool; float32 accumulates in float32 (as LAPACK's single-precision routines do).
#pragma once

#include <cstdint>

namespace nabla {

// Cholesky: a is [batch, n, n]; the lower triangle of each matrix is replaced by L with L·Lᵀ = A (the
// strictly upper triangle is neither read nor written). info[b] = 0, or the 1-based order of the first
// leading minor that is not positive definite (the factorization of that matrix then stops there).
template <class T>
void potrf(T* a, int64_t batch, int64_t n, int32_t* info, int threads);

// Triangular solve, in place in b: op(A)·X = B (leftSide; b is [batch, n, k]) or X·op(A) = B (b is
// [batch, k, n]), with A [batch, n, n] lower or upper (the other triangle is not read), op(A) = Aᵀ when
// transposeA, and a diagonal of ones assumed (not read) when unitDiagonal.
struct TrsmOptions {
  bool leftSide, lower, transposeA, unitDiagonal;
};
template <class T>
void trsm(const T* a, T* b, int64_t batch, int64_t n, int64_t k, TrsmOptions opts, int threads);

// LU with partial pivoting: a is [batch, m, n]; each matrix is replaced by L (unit lower, below the
// diagonal) and U (upper) with P·A = L·U, where row i was exchanged with row pivots[b·r + i] (0-based,
// r = min(m, n)) at step i, in order. info[b] = 0, or the 1-based index of the first exactly zero pivot
// (the factorization goes on, as LAPACK's does).
template <class T>
void getrf(T* a, int64_t batch, int64_t m, int64_t n, int32_t* pivots, int32_t* info, int threads);

}  // namespace nabla
