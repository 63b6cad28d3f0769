// Goto-style GEMM: for each block of KC rows of op(B) and NC columns, B is packed into KC×NR column panels;
// for each block of MC rows of op(A), A is packed into MR-row panels (both zero padded, k-major), and an
// MR×NR register tile of accumulators runs over the block. The packed B panel of one tile column stays in
// L1 while the MR panels of A stream from L2. Edge tiles run on a scratch copy of their part of C.
//
// Summation order: accumulators start from the C of the previous k blocks, so every output is summed over k
// in order from zero, and splitting across threads never splits k. float32 uses fused multiply-adds;
// float64 rounds each product, then each sum (no FMA, and this file is compiled with -ffp-contract=off), so
// float64 results equal the reference backend's (and the WebAssembly kernel's) bit for bit.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>

#include "pool.h"

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace nabla {
namespace {

// ------------------------------------------------------------------ vectors
// Simd<T>: V (a vector of L lanes of T), load/store (unaligned), broadcast, madd (a·b + c: fused for float
// only), add, sum (of the lanes); plus the register tile (MR rows × NV vectors) that fits the register file
// with room for the B row and a broadcast.

#if defined(__AVX512F__)
// 32 zmm registers: 24 accumulators + 2 B vectors + 1 broadcast.
constexpr const char* kIsa = "avx512";
// GCC 12's _mm512_reduce_add_* trip -Wmaybe-uninitialized inside its own header; a sum through memory is
// as good for a once-per-column reduction.
template <class T, int L, class V>
T lanesSum(V v) {
  alignas(64) T lanes[L];
  std::memcpy(lanes, &v, sizeof v);
  T s = 0;
  for (int i = 0; i < L; i++) s += lanes[i];
  return s;
}
template <class T>
struct Simd;
template <>
struct Simd<float> {
  using V = __m512;
  static constexpr int L = 16, MR = 12, NV = 2;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static V splat(float x) { return _mm512_set1_ps(x); }
  static V madd(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static float sum(V v) { return lanesSum<float, L>(v); }
};
template <>
struct Simd<double> {
  using V = __m512d;
  static constexpr int L = 8, MR = 12, NV = 2;
  static V zero() { return _mm512_setzero_pd(); }
  static V load(const double* p) { return _mm512_loadu_pd(p); }
  static void store(double* p, V v) { _mm512_storeu_pd(p, v); }
  static V splat(double x) { return _mm512_set1_pd(x); }
  static V madd(V a, V b, V c) { return _mm512_add_pd(_mm512_mul_pd(a, b), c); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm512_add_pd(a, b); }
  static double sum(V v) { return lanesSum<double, L>(v); }
};
#elif defined(__AVX2__) && defined(__FMA__)
// 16 ymm registers: 12 accumulators + 2 B vectors + 1 broadcast.
constexpr const char* kIsa = "avx2";
template <class T>
struct Simd;
template <>
struct Simd<float> {
  using V = __m256;
  static constexpr int L = 8, MR = 6, NV = 2;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v); }
  static V splat(float x) { return _mm256_set1_ps(x); }
  static V madd(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static float sum(V v) {
    const __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    const __m128 q = _mm_add_ps(h, _mm_movehl_ps(h, h));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
  }
};
template <>
struct Simd<double> {
  using V = __m256d;
  static constexpr int L = 4, MR = 6, NV = 2;
  static V zero() { return _mm256_setzero_pd(); }
  static V load(const double* p) { return _mm256_loadu_pd(p); }
  static void store(double* p, V v) { _mm256_storeu_pd(p, v); }
  static V splat(double x) { return _mm256_set1_pd(x); }
  static V madd(V a, V b, V c) { return _mm256_add_pd(_mm256_mul_pd(a, b), c); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  static V add(V a, V b) { return _mm256_add_pd(a, b); }
  static double sum(V v) {
    const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
  }
};
#else
// Plain C++: a 4×8 tile of scalars, left to the compiler's vectorizer for whatever the target has.
constexpr const char* kIsa = "generic";
template <class T>
struct Simd {
  using V = T;
  static constexpr int L = 1, MR = 4, NV = 8;
  static V zero() { return T(0); }
  static V load(const T* p) { return *p; }
  static void store(T* p, V v) { *p = v; }
  static V splat(T x) { return x; }
  static V madd(V a, V b, V c) { return a * b + c; }
  static V fma(V a, V b, V c) { return a * b + c; }
  static V add(V a, V b) { return a + b; }
  static T sum(V v) { return v; }
};
#endif

// ------------------------------------------------------------------ blocking
// KC: rows of op(B) per block (a KC×NR panel of B stays in L1); MC: rows of A per block (MC×KC in L2);
// NC: columns of B per block (KC×NC in the shared cache).
template <class T>
struct Blocking {
  static constexpr int MR = Simd<T>::MR;
  static constexpr int NR = Simd<T>::NV * Simd<T>::L;
  static constexpr int64_t KC = sizeof(T) == 4 ? 384 : 256;
  static constexpr int64_t MC = 192;
  static constexpr int64_t NC = 4096;
};

// ------------------------------------------------------------------ micro-kernel
// C[R×NR] = Ap·Bp (or C + Ap·Bp, summed onto C in k order, when `accumulate`), over kc steps of a packed A
// panel and of NR-wide rows of B `ldb` apart (NR in a packed panel; B's own row stride when B is read in
// place). R ≤ MR rows of the MR-row panel are used, so a thin product (M < MR) or the last row tile does not
// pay for the padding rows. `Fused` (gemmSub only) uses fused multiply-adds for float64 too.
template <class T, int R, bool Fused = false>
void microKernel(int64_t kc, const T* __restrict ap, const T* __restrict bp, int64_t ldb, T* c, int64_t ldc,
                 bool accumulate) {
  using S = Simd<T>;
  using V = typename S::V;
  constexpr int MR = S::MR, NV = S::NV, L = S::L;
  V acc[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; r++)
#pragma GCC unroll 16
    for (int v = 0; v < NV; v++) acc[r][v] = accumulate ? S::load(c + r * ldc + v * L) : S::zero();
  for (int64_t k = 0; k < kc; k++) {
    V b[NV];
#pragma GCC unroll 16
    for (int v = 0; v < NV; v++) b[v] = S::load(bp + v * L);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      const V a = S::splat(ap[r]);
#pragma GCC unroll 16
      for (int v = 0; v < NV; v++) acc[r][v] = Fused ? S::fma(a, b[v], acc[r][v]) : S::madd(a, b[v], acc[r][v]);
    }
    ap += MR;
    bp += ldb;
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; r++)
#pragma GCC unroll 16
    for (int v = 0; v < NV; v++) S::store(c + r * ldc + v * L, acc[r][v]);
}

template <class T>
using MicroKernel = void (*)(int64_t, const T*, const T*, int64_t, T*, int64_t, bool);

// kernelFor<T>(r): the micro-kernel for r rows, 1 ≤ r ≤ MR (kernelFor<T, true>: the fused one).
template <class T, bool Fused, int... R>
MicroKernel<T> kernelTable(int r, std::integer_sequence<int, R...>) {
  static constexpr MicroKernel<T> table[] = {&microKernel<T, R + 1, Fused>...};
  return table[r - 1];
}
template <class T, bool Fused = false>
MicroKernel<T> kernelFor(int r) {
  return kernelTable<T, Fused>(r, std::make_integer_sequence<int, Simd<T>::MR>());
}

// ------------------------------------------------------------------ packing
// A operand element (i, k) is at a[i·rs + k·cs]: rs = K, cs = 1 as stored, rs = 1, cs = M transposed.
template <class T>
void packA(const T* a, int64_t rs, int64_t cs, int64_t mc, int64_t kc, T* dst) {
  constexpr int MR = Blocking<T>::MR;
  for (int64_t ir = 0; ir < mc; ir += MR, dst += MR * kc) {
    const int64_t m = std::min<int64_t>(MR, mc - ir);
    const T* src = a + ir * rs;
    if (cs == 1) {
      // Rows are contiguous along k: read each row in order.
      for (int64_t r = 0; r < m; r++) {
        const T* row = src + r * rs;
        for (int64_t k = 0; k < kc; k++) dst[k * MR + r] = row[k];
      }
    } else {
      for (int64_t k = 0; k < kc; k++) {
        const T* col = src + k * cs;
        for (int64_t r = 0; r < m; r++) dst[k * MR + r] = col[r * rs];
      }
    }
    if (m < MR)
      for (int64_t k = 0; k < kc; k++)
        for (int64_t r = m; r < MR; r++) dst[k * MR + r] = T(0);
  }
}

// B operand element (k, j) is at b[k·rs + j·cs]: rs = N, cs = 1 as stored, rs = 1, cs = K transposed.
template <class T>
void packB(const T* b, int64_t rs, int64_t cs, int64_t kc, int64_t nc, T* dst) {
  constexpr int NR = Blocking<T>::NR;
  for (int64_t jr = 0; jr < nc; jr += NR, dst += NR * kc) {
    const int64_t n = std::min<int64_t>(NR, nc - jr);
    const T* src = b + jr * cs;
    if (cs == 1) {
      if (n == NR)  // a constant size, so the copy is inlined as vector moves
        for (int64_t k = 0; k < kc; k++) std::memcpy(dst + k * NR, src + k * rs, NR * sizeof(T));
      else
        for (int64_t k = 0; k < kc; k++) {
          std::memcpy(dst + k * NR, src + k * rs, n * sizeof(T));
          for (int64_t j = n; j < NR; j++) dst[k * NR + j] = T(0);
        }
    } else {
      // Columns are contiguous along k: read each column in order.
      for (int64_t j = 0; j < n; j++) {
        const T* col = src + j * cs;
        for (int64_t k = 0; k < kc; k++) dst[k * NR + j] = col[k * rs];
      }
      for (int64_t k = 0; k < kc; k++)
        for (int64_t j = n; j < NR; j++) dst[k * NR + j] = T(0);
    }
  }
}

// ------------------------------------------------------------------ buffers
// Packing buffers, one pair per thread, kept between products (fresh pages for every product would cost
// page faults comparable to the packing itself) and only ever grown.
struct Scratch {
  void* data = nullptr;
  size_t bytes = 0;
  ~Scratch() { std::free(data); }
  void* get(size_t want) {
    if (want > bytes) {
      std::free(data);
      want = (want + 4095) & ~size_t(4095);
      data = std::aligned_alloc(64, want);
      bytes = data != nullptr ? want : 0;
    }
    return data;
  }
};
thread_local Scratch scratchA, scratchB;

// ------------------------------------------------------------------ vector times transposed matrix
// c[j] = Σk a[k]·b[j·ldb + k] for j < n: one row of A against rows of a B stored [N,K]. Packing B would cost
// as much as the product itself, so this reads B in place, four rows at a time with vector dot products
// (float32 only: the lanes hold partial sums, which changes the order of summation).
template <class T>
void dotRows(const T* a, const T* b, int64_t ldb, T* c, int64_t k, int64_t n) {
  using S = Simd<T>;
  using V = typename S::V;
  constexpr int L = S::L, Q = 4;
  for (int64_t j = 0; j < n; j += Q) {
    const int64_t q = std::min<int64_t>(Q, n - j);
    const T* rows[Q];
    for (int r = 0; r < Q; r++) rows[r] = b + (j + std::min<int64_t>(r, q - 1)) * ldb;
    V acc[Q] = {S::zero(), S::zero(), S::zero(), S::zero()};
    int64_t kk = 0;
    for (; kk + L <= k; kk += L) {
      const V x = S::load(a + kk);
#pragma GCC unroll 4
      for (int r = 0; r < Q; r++) acc[r] = S::madd(x, S::load(rows[r] + kk), acc[r]);
    }
    for (int r = 0; r < q; r++) {
      T sum = S::sum(acc[r]);
      for (int64_t t = kk; t < k; t++) sum += a[t] * rows[r][t];
      c[j + r] = sum;
    }
  }
}

// ------------------------------------------------------------------ one product on one thread
template <class T>
struct Operands {
  const T* a;
  int64_t rsa, csa;
  const T* b;
  int64_t rsb, csb;
  T* c;
  int64_t ldc;
};

// Splits `total` into the fewest blocks of at most `most`, of equal size rounded up to a multiple of `unit`
// (so a 300-deep product runs as 2 × 152 rather than 256 + 44).
inline int64_t balancedBlock(int64_t total, int64_t most, int64_t unit) {
  const int64_t blocks = (total + most - 1) / most;
  const int64_t size = (total + blocks - 1) / blocks;
  return (size + unit - 1) / unit * unit;
}

// Without packing buffers (an allocation failed): plain loops, each output summed over k in order.
template <class T>
void unpacked(const Operands<T>& o, int64_t m, int64_t k, int64_t n) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      T s = 0;
      for (int64_t p = 0; p < k; p++) s += o.a[i * o.rsa + p * o.csa] * o.b[p * o.rsb + j * o.csb];
      o.c[i * o.ldc + j] = s;
    }
}

// An edge tile: the kernel runs on a full MR×NR scratch tile holding the valid mv×nv corner of C (when
// accumulating), which is then copied back.
template <class T>
void edgeTile(MicroKernel<T> kernel, int64_t kc, const T* ap, const T* bp, int64_t ldb, T* c, int64_t ldc,
              int64_t mv, int64_t nv, bool accumulate) {
  constexpr int MR = Blocking<T>::MR, NR = Blocking<T>::NR;
  alignas(64) T edge[MR * NR] = {};  // zeros: no stale denormals or NaNs in the unused part
  if (accumulate)
    for (int64_t i = 0; i < mv; i++) std::memcpy(edge + i * NR, c + i * ldc, nv * sizeof(T));
  kernel(kc, ap, bp, ldb, edge, NR, accumulate);
  for (int64_t i = 0; i < mv; i++) std::memcpy(c + i * ldc, edge + i * NR, nv * sizeof(T));
}

// Fewer rows than a register tile, B stored [K,N]: every element of B is used once, so B is read in place
// rather than packed (packing would triple the memory traffic of a product that is bound by it); only the
// last, partial column panel is packed, with zero padding.
template <class T>
void fewRows(const Operands<T>& o, int64_t m, int64_t k, int64_t n) {
  using Bl = Blocking<T>;
  constexpr int MR = Bl::MR, NR = Bl::NR;
  const int64_t KC = balancedBlock(k, Bl::KC, 1);
  T* ap = static_cast<T*>(scratchA.get(sizeof(T) * MR * KC));
  T* bp = static_cast<T*>(scratchB.get(sizeof(T) * NR * KC));
  if (ap == nullptr || bp == nullptr) return unpacked(o, m, k, n);
  const MicroKernel<T> kernel = kernelFor<T>(static_cast<int>(m));
  for (int64_t pc = 0; pc < k; pc += KC) {
    const int64_t kc = std::min(KC, k - pc);
    const bool accumulate = pc > 0;
    packA(o.a + pc * o.csa, o.rsa, o.csa, m, kc, ap);
    const T* b = o.b + pc * o.rsb;
    int64_t j = 0;
    for (; j + NR <= n; j += NR) kernel(kc, ap, b + j, o.rsb, o.c + j, o.ldc, accumulate);
    if (j == n) continue;
    packB(b + j, o.rsb, int64_t(1), kc, n - j, bp);
    edgeTile(kernel, kc, ap, bp, NR, o.c + j, o.ldc, m, n - j, accumulate);
  }
}

// C[0:m, 0:n] = op(A)[0:m, :]·op(B)[:, 0:n] with the operands' strides.
template <class T>
void gemmSerial(const Operands<T>& o, int64_t m, int64_t k, int64_t n) {
  using Bl = Blocking<T>;
  constexpr int MR = Bl::MR, NR = Bl::NR;
  if (m <= 0 || n <= 0) return;
  if (k == 0) {
    for (int64_t i = 0; i < m; i++) std::fill(o.c + i * o.ldc, o.c + i * o.ldc + n, T(0));
    return;
  }
  if (m < Bl::MR && o.csb == 1) return fewRows(o, m, k, n);
  // One row of A is contiguous in either layout. float64 keeps to the packed path, whose sums run in k order.
  if (std::is_same<T, float>::value && m == 1) return dotRows(o.a, o.b, o.csb, o.c, k, n);
  const int64_t KC = balancedBlock(k, Bl::KC, 1);
  const int64_t MC = balancedBlock(m, Bl::MC, MR);
  const int64_t NC = balancedBlock(n, Bl::NC, NR);
  T* ap = static_cast<T*>(scratchA.get(sizeof(T) * MC * KC));
  T* bp = static_cast<T*>(scratchB.get(sizeof(T) * NC * KC));
  if (ap == nullptr || bp == nullptr) return unpacked(o, m, k, n);
  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t nc = std::min(NC, n - jc);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min(KC, k - pc);
      const bool accumulate = pc > 0;
      packB(o.b + pc * o.rsb + jc * o.csb, o.rsb, o.csb, kc, nc, bp);
      for (int64_t ic = 0; ic < m; ic += MC) {
        const int64_t mc = std::min(MC, m - ic);
        packA(o.a + ic * o.rsa + pc * o.csa, o.rsa, o.csa, mc, kc, ap);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nv = std::min<int64_t>(NR, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mv = std::min<int64_t>(MR, mc - ir);
            T* c = o.c + (ic + ir) * o.ldc + jc + jr;
            const T* a = ap + ir * kc;
            const T* b = bp + jr * kc;
            if (mv == MR && nv == NR)
              microKernel<T, MR>(kc, a, b, NR, c, o.ldc, accumulate);
            else
              edgeTile(kernelFor<T>(static_cast<int>(mv)), kc, a, b, NR, c, o.ldc, mv, nv, accumulate);
          }
        }
      }
    }
  }
}

// ------------------------------------------------------------------ splitting across threads
// Part p of `parts`: whole products when there are at least as many as parts, else a range of row tiles
// (or column panels, whichever dimension is longer) of every product.
template <class T>
void gemmPart(void* arg, int part, int parts) {
  const Gemm<T>& g = *static_cast<const Gemm<T>*>(arg);
  const int64_t M = g.m, K = g.k, N = g.n;
  auto product = [&](int64_t bi) {
    return Operands<T>{g.a + bi * M * K, g.ta ? 1 : K, g.ta ? M : 1, g.b + bi * K * N, g.tb ? 1 : N,
                       g.tb ? K : 1, g.c + bi * M * N, N};
  };
  if (g.batch >= parts) {
    for (int64_t bi = g.batch * part / parts; bi < g.batch * (part + 1) / parts; bi++)
      gemmSerial(product(bi), M, K, N);
    return;
  }
  const bool byRows = M >= N;
  const int64_t unit = byRows ? Blocking<T>::MR : Blocking<T>::NR;
  const int64_t tiles = ((byRows ? M : N) + unit - 1) / unit;
  const int64_t lo = std::min(tiles * part / parts * unit, byRows ? M : N);
  const int64_t hi = std::min(tiles * (part + 1) / parts * unit, byRows ? M : N);
  if (hi <= lo) return;
  for (int64_t bi = 0; bi < g.batch; bi++) {
    Operands<T> o = product(bi);
    if (byRows) {
      o.a += lo * o.rsa;
      o.c += lo * o.ldc;
      gemmSerial(o, hi - lo, K, N);
    } else {
      o.b += lo * o.csb;
      o.c += lo;
      gemmSerial(o, M, K, hi - lo);
    }
  }
}

// ------------------------------------------------------------------ C −= A·B on strided submatrices
// For the blocked factorizations (linalg.cc). The packed A block is negated, so the accumulating kernel
// computes C + (−A)·B; float64 uses fused multiply-adds here. With `lower`, tiles wholly above the line
// j = i + diag are skipped and those crossing it run on a scratch tile copied back below the line only.
template <class T>
void subUnpacked(const GemmSub<T>& g) {
  for (int64_t i = 0; i < g.m; i++) {
    const int64_t jn = g.lower ? std::min(g.n, i + g.diag + 1) : g.n;
    for (int64_t j = 0; j < jn; j++) {
      T s = 0;
      for (int64_t p = 0; p < g.k; p++) s += g.a[i * g.rsa + p * g.csa] * g.b[p * g.rsb + j * g.csb];
      g.c[i * g.ldc + j] -= s;
    }
  }
}

template <class T>
void subSerial(const GemmSub<T>& g) {
  using Bl = Blocking<T>;
  constexpr int MR = Bl::MR, NR = Bl::NR;
  const int64_t m = g.m, k = g.k, n = g.n;
  if (m <= 0 || n <= 0 || k <= 0) return;
  const int64_t KC = balancedBlock(k, Bl::KC, 1);
  const int64_t MC = balancedBlock(m, Bl::MC, MR);
  const int64_t NC = balancedBlock(n, Bl::NC, NR);
  T* ap = static_cast<T*>(scratchA.get(sizeof(T) * MC * KC));
  T* bp = static_cast<T*>(scratchB.get(sizeof(T) * NC * KC));
  if (ap == nullptr || bp == nullptr) return subUnpacked(g);
  for (int64_t jc = 0; jc < n; jc += NC) {
    const int64_t nc = std::min(NC, n - jc);
    for (int64_t pc = 0; pc < k; pc += KC) {
      const int64_t kc = std::min(KC, k - pc);
      packB(g.b + pc * g.rsb + jc * g.csb, g.rsb, g.csb, kc, nc, bp);
      for (int64_t ic = 0; ic < m; ic += MC) {
        const int64_t mc = std::min(MC, m - ic);
        if (g.lower && jc > ic + mc - 1 + g.diag) continue;
        packA(g.a + ic * g.rsa + pc * g.csa, g.rsa, g.csa, mc, kc, ap);
        const int64_t packed = (mc + MR - 1) / MR * MR * kc;
        for (int64_t t = 0; t < packed; t++) ap[t] = -ap[t];
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t nv = std::min<int64_t>(NR, nc - jr);
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t mv = std::min<int64_t>(MR, mc - ir);
            const int64_t row0 = ic + ir, col0 = jc + jr;
            if (g.lower && col0 > row0 + mv - 1 + g.diag) continue;
            T* c = g.c + row0 * g.ldc + col0;
            const T* a = ap + ir * kc;
            const T* b = bp + jr * kc;
            const bool crosses = g.lower && col0 + nv - 1 > row0 + g.diag;
            if (mv == MR && nv == NR && !crosses) {
              microKernel<T, MR, true>(kc, a, b, NR, c, g.ldc, true);
              continue;
            }
            alignas(64) T edge[MR * NR] = {};
            for (int64_t i = 0; i < mv; i++) std::memcpy(edge + i * NR, c + i * g.ldc, nv * sizeof(T));
            kernelFor<T, true>(static_cast<int>(mv))(kc, a, b, NR, edge, NR, true);
            for (int64_t i = 0; i < mv; i++) {
              const int64_t keep = crosses ? std::min<int64_t>(nv, row0 + i + g.diag - col0 + 1) : nv;
              if (keep > 0) std::memcpy(c + i * g.ldc, edge + i * NR, keep * sizeof(T));
            }
          }
        }
      }
    }
  }
}

// Part p of `parts`: a range of row tiles (of equal area below the line when `lower`) or of column panels.
template <class T>
void subPart(void* arg, int part, int parts) {
  const GemmSub<T>& g = *static_cast<const GemmSub<T>*>(arg);
  const bool byRows = g.lower || g.m >= g.n;
  const int64_t unit = byRows ? Blocking<T>::MR : Blocking<T>::NR;
  const int64_t len = byRows ? g.m : g.n;
  const int64_t tiles = (len + unit - 1) / unit;
  int64_t lo, hi;
  if (g.lower) {
    // Row tile t updates min(n, (t+1)·unit + diag) columns at most; the parts split that work evenly.
    auto work = [&](int64_t t) {
      return static_cast<double>(std::max<int64_t>(0, std::min(g.n, (t + 1) * unit + g.diag)));
    };
    double total = 0;
    for (int64_t t = 0; t < tiles; t++) total += work(t);
    // The first tile at which the running total reaches total·q/parts.
    auto boundary = [&](int q) {
      if (q <= 0) return int64_t(0);
      if (q >= parts) return tiles;
      const double want = total * q / parts;
      double run = 0;
      int64_t t = 0;
      for (; t < tiles && run < want; t++) run += work(t);
      return t;
    };
    lo = std::min(boundary(part) * unit, len);
    hi = std::min(boundary(part + 1) * unit, len);
  } else {
    lo = std::min(tiles * part / parts * unit, len);
    hi = std::min(tiles * (part + 1) / parts * unit, len);
  }
  if (hi <= lo) return;
  GemmSub<T> s = g;
  if (byRows) {
    s.a += lo * g.rsa;
    s.c += lo * g.ldc;
    s.m = hi - lo;
    s.diag = g.diag + lo;
    if (g.lower) s.n = std::min(g.n, hi + g.diag);
  } else {
    s.b += lo * g.csb;
    s.c += lo;
    s.n = hi - lo;
  }
  subSerial(s);
}

// Parts are claimed by whichever thread is free (pool.h). Whole products of a batch are cut finer than one
// part per thread, so that a thread that loses its core holds up fewer of them; a split product is not,
// since each of its parts packs the whole of the other operand again, which costs more on free cores than
// finer parts gain on busy ones (where the pool runs products on one thread anyway).
constexpr int64_t kProductPartsPerThread = 4;

}  // namespace

template <class T>
void gemm(const Gemm<T>& g, int threads) {
  if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
  // No more parts than there are products or tiles to share out; whole products need no repacking.
  const int64_t longest = std::max((g.m + Blocking<T>::MR - 1) / Blocking<T>::MR,
                                   (g.n + Blocking<T>::NR - 1) / Blocking<T>::NR);
  const int64_t units = g.batch >= threads ? std::min(g.batch, int64_t(threads) * kProductPartsPerThread)
                                           : std::min<int64_t>(threads, longest);
  const int parts = static_cast<int>(std::max<int64_t>(1, units));
  Gemm<T> job = g;
  // A matrix-vector product (N = 1) runs as the vector-matrix product Cᵀ = op(B)ᵀ·op(A)ᵀ, which has the same
  // memory layout for C and the vector, and fills the wide register tile along M instead of padding N.
  if (g.n == 1 && g.m > 1) job = Gemm<T>{g.b, false, g.a, !g.ta, g.c, g.batch, 1, g.k, g.m};
  poolRun(&gemmPart<T>, &job, parts, threads);
}

template void gemm<float>(const Gemm<float>&, int);
template void gemm<double>(const Gemm<double>&, int);

template <class T>
void gemmSub(const GemmSub<T>& g, int threads) {
  if (g.m <= 0 || g.n <= 0 || g.k <= 0) return;
  const bool byRows = g.lower || g.m >= g.n;
  const int64_t units = byRows ? (g.m + Blocking<T>::MR - 1) / Blocking<T>::MR
                               : (g.n + Blocking<T>::NR - 1) / Blocking<T>::NR;
  const int parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, units)));
  if (parts == 1) return subSerial(g);
  GemmSub<T> job = g;
  poolRun(&subPart<T>, &job, parts, threads);
}

template void gemmSub<float>(const GemmSub<float>&, int);
template void gemmSub<double>(const GemmSub<double>&, int);

const char* gemmIsa() { return kIsa; }

unsigned gemmFeatures() {
  unsigned f = 0;
#if defined(__SSE4_1__)
  f |= kSse41;
#endif
#if defined(__AVX__)
  f |= kAvx;
#endif
#if defined(__AVX2__)
  f |= kAvx2;
#endif
#if defined(__FMA__)
  f |= kFma;
#endif
#if defined(__AVX512F__)
  f |= kAvx512f;
#endif
#if defined(__AVX512VL__)
  f |= kAvx512vl;
#endif
#if defined(__AVX512BW__)
  f |= kAvx512bw;
#endif
#if defined(__AVX512DQ__)
  f |= kAvx512dq;
#endif
  return f;
}

}  // namespace nabla
