// Matrix products for float32 and float64: C[b] = op(A[b])·op(B[b]) for a batch of row-major products,
// where op transposes an operand stored the other way round ([K,M] for A, [N,K] for B).
#pragma once

#include <cstdint>

namespace nabla {

template <class T>
struct Gemm {
  const T* a;
  bool ta;
  const T* b;
  bool tb;
  T* c;
  int64_t batch, m, k, n;
};

// Fills gemm.c (never accumulates into it). Runs on up to `threads` threads, the caller included; when the
// pool is busy (another JS thread is using it) the product runs on the calling thread alone.
template <class T>
void gemm(const Gemm<T>& gemm, int threads);

// C −= op(A)·op(B) on strided submatrices, for the blocked factorizations (linalg.cc): element (i, p) of A is
// at a[i·rsa + p·csa], (p, j) of B at b[p·rsb + j·csb] and (i, j) of C at c[i·ldc + j], for i < m, p < k,
// j < n. With `lower`, only the elements with j ≤ i + diag are written (the others may be read). float64
// uses fused multiply-adds here (unlike gemm). Threads as for gemm.
template <class T>
struct GemmSub {
  const T* a;
  int64_t rsa, csa;
  const T* b;
  int64_t rsb, csb;
  T* c;
  int64_t ldc;
  int64_t m, k, n;
  bool lower;
  int64_t diag;
};
template <class T>
void gemmSub(const GemmSub<T>& g, int threads);

// The instruction set the kernels were compiled for: "avx512", "avx2" or "generic".
const char* gemmIsa();

// The x86 extensions the kernels were compiled to use (-march=native on the machine that built them), as a
// mask of Feature bits. The glue, compiled for the baseline, checks them against the CPU before exposing
// the kernels, so a build copied to an older CPU falls back instead of dying of an illegal instruction.
enum Feature : unsigned {
  kSse41 = 1u << 0,
  kAvx = 1u << 1,
  kAvx2 = 1u << 2,
  kFma = 1u << 3,
  kAvx512f = 1u << 4,
  kAvx512vl = 1u << 5,
  kAvx512bw = 1u << 6,
  kAvx512dq = 1u << 7,
};
unsigned gemmFeatures();

}  // namespace nabla
