// Symmetric eigendecomposition (LAPACK's syev, restated for row-major storage), batched.
#pragma once

#include <cstdint>

namespace nabla {

// a is [batch, n, n] row-major; only its lower triangle (j ≤ i) is read, or the upper one (j ≥ i) when
// !lower. w [batch, n] receives the eigenvalues in ascending order and v [batch, n, n] the orthonormal
// eigenvectors as columns (v[b][i][k] is component i of the vector of w[b][k]); equal eigenvalues keep
// the order in which the tridiagonal QL delivered them. A matrix with a non-finite entry in the triangle
// read gets NaN in all its outputs. Both precisions compute in float64 and round the results once.
template <class T>
void syev(const T* a, int64_t batch, int64_t n, bool lower, T* w, T* v, int threads);

}  // namespace nabla
