// Cholesky, triangular solves and LU on row-major matrices (linalg.h), blocked so that nearly all the work
// is a matrix product on gemm.cc's packed kernels (gemmSub), which also spreads the large ones over the
// thread pool.
//
// Row-major storage is LAPACK's column-major transposed: a row-major lower Cholesky factor is a
// column-major upper one. The routines here are written for row-major data directly:
//   potrf: right-looking blocked (kCholBlock columns a step): the diagonal block is factored (recursively,
//     down to kCholBase rows done by dot products along rows), the panel below it is solved against its
//     transpose (trsm), and the trailing lower triangle is updated by A22 −= A21·A21ᵀ (gemmSub on the lower
//     triangle only).
//   trsm: every variant is reduced to a left solve M·X = B with M lower or upper, through strides: op(A)
//     transposes A's strides, and a right solve X·M = B is the left solve Mᵀ·Xᵀ = Bᵀ on B's transposed view.
//     Left-looking by blocks of kTrsmBlock rows: the block's right-hand sides are updated by one product
//     with every row solved so far, then solved against the diagonal block by row operations on strips of
//     columns held in registers (on a contiguous copy when B's view is transposed). Columns of B are
//     independent: threads split them. Up to kFewRhs columns are solved one at a time by dot products
//     along M's rows (or updates along its columns), since the packed kernels would pad them to a tile.
//   getrf: recursive on columns (LAPACK's dgetrf2, Toledo's method): the left half is factored, the top of
//     the right half solved (unit lower trsm), the rest updated by one product and factored in turn; at
//     kLuBase columns, unblocked right-looking steps on a column-major copy of the panel. Partial pivoting takes the first entry of largest
//     magnitude in the column (idamax) and exchanges whole rows at once, which is LAPACK's dlaswp applied
//     to the left and right parts.
// The products round as gemmSub does (fused multiply-adds, float64 too), so results agree with the
// unblocked references in src/backend/native/linalg.ts to rounding, not bit for bit.
#include "linalg.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "gemm.h"
#include "pool.h"

namespace nabla {
namespace {

constexpr int64_t kCholBlock = 128;  // columns per step of the blocked Cholesky
constexpr int64_t kCholBase = 32;    // diagonal blocks this small are factored unblocked
constexpr int64_t kTrsmBlock = 32;   // rows per diagonal block of the triangular solve
constexpr int64_t kChunk = 256;      // right-hand sides per diagonal-block solve (kept in cache)
constexpr int64_t kFewRhs = 4;       // right-hand sides solved one at a time, without the packed kernels
constexpr int64_t kLuBase = 16;      // columns factored without recursion
// Multiply-adds worth sharing out: waking a sleeping worker costs 30–100 µs on a virtual machine, while one
// still spinning after the previous step of the same factorization (pool.cc) picks a job up at once.
constexpr double kThreadWorkCold = double(1 << 21);
constexpr double kThreadWork = double(1 << 17);

int threadsFor(double work, int threads) {
  if (threads < 2 || work < kThreadWork) return 1;
  return work >= kThreadWorkCold || poolAwake() >= threads - 1 ? threads : 1;
}

// Runs f(part, parts) for every part on up to `threads` threads, each taking the next part when it is free
// (pool.h): several parts per thread keep one that loses its core from holding the rest up.
template <class F>
void trampoline(void* arg, int part, int parts) {
  (*static_cast<F*>(arg))(part, parts);
}
template <class F>
void parallel(int parts, int threads, F f) {
  if (parts <= 1 || threads <= 1) return f(0, 1);
  poolRun(&trampoline<F>, &f, parts, threads);
}
constexpr int kPartsPerThread = 4;

// C[m×n] −= A[m×k]·B[k×n] (strided), on the lower part j ≤ i only when `lower`.
template <class T>
void sub(const T* a, int64_t rsa, int64_t csa, const T* b, int64_t rsb, int64_t csb, T* c, int64_t ldc,
         int64_t m, int64_t k, int64_t n, int threads, bool lower = false) {
  if (m <= 0 || n <= 0 || k <= 0) return;
  const GemmSub<T> g{a, rsa, csa, b, rsb, csb, c, ldc, m, k, n, lower, 0};
  gemmSub(g, threadsFor(double(m) * double(k) * double(n) * (lower ? 0.5 : 1), threads));
}

// A triangular matrix: element (i, j) at a[i·rs + j·cs].
template <class T>
struct Tri {
  const T* a;
  int64_t rs, cs;
  bool lower, unit;
  T at(int64_t i, int64_t j) const { return a[i * rs + j * cs]; }
};

// Right-hand sides n×k: element (i, c) at b[i·rs + c·cs], where rs == 1 or cs == 1.
template <class T>
struct Rhs {
  T* b;
  int64_t rs, cs;
};

template <class T>
void axpy(T* __restrict y, const T* __restrict x, T m, int64_t w) {
  for (int64_t c = 0; c < w; c++) y[c] -= m * x[c];
}

template <class T>
void divide(T* __restrict y, T d, int64_t w) {
  for (int64_t c = 0; c < w; c++) y[c] /= d;
}

// Rows [i0, i0 + ib) of M·X = B against M's diagonal block, on W columns of x (row stride ld): each row's
// W values stay in registers while the rows solved before it are subtracted, in order.
template <class T, int W>
void solveStrip(const Tri<T>& M, int64_t i0, int64_t ib, T* x, int64_t ld) {
  for (int64_t t = 0; t < ib; t++) {
    const int64_t r = M.lower ? t : ib - 1 - t;
    const int64_t p0 = M.lower ? 0 : r + 1, p1 = M.lower ? r : ib;
    T acc[W];
    T* xr = x + r * ld;
#pragma GCC unroll 64
    for (int c = 0; c < W; c++) acc[c] = xr[c];
    for (int64_t p = p0; p < p1; p++) {
      const T m = M.at(i0 + r, i0 + p);
      const T* xp = x + p * ld;
#pragma GCC unroll 64
      for (int c = 0; c < W; c++) acc[c] -= m * xp[c];
    }
    if (!M.unit) {
      const T d = M.at(i0 + r, i0 + r);
#pragma GCC unroll 64
      for (int c = 0; c < W; c++) acc[c] /= d;
    }
#pragma GCC unroll 64
    for (int c = 0; c < W; c++) xr[c] = acc[c];
  }
}

// Solves rows [i0, i0 + ib) of M·X = B against M's diagonal block, on a contiguous ib×w block x (row
// stride ld) whose rows already hold B minus the contributions of the other rows.
template <class T>
void blockSolve(const Tri<T>& M, int64_t i0, int64_t ib, T* x, int64_t ld, int64_t w) {
  constexpr int W = 32;
  int64_t c0 = 0;
  for (; c0 + W <= w; c0 += W) solveStrip<T, W>(M, i0, ib, x + c0, ld);
  x += c0;
  w -= c0;
  if (w == 0) return;
  if (w == 1) return solveStrip<T, 1>(M, i0, ib, x, ld);
  if (M.lower) {
    for (int64_t r = 0; r < ib; r++) {
      for (int64_t p = 0; p < r; p++) axpy(x + r * ld, x + p * ld, M.at(i0 + r, i0 + p), w);
      if (!M.unit) divide(x + r * ld, M.at(i0 + r, i0 + r), w);
    }
  } else {
    for (int64_t r = ib - 1; r >= 0; r--) {
      for (int64_t p = r + 1; p < ib; p++) axpy(x + r * ld, x + p * ld, M.at(i0 + r, i0 + p), w);
      if (!M.unit) divide(x + r * ld, M.at(i0 + r, i0 + r), w);
    }
  }
}

template <class T>
std::vector<T>& solveBuffer() {
  thread_local std::vector<T> buffer;
  return buffer;
}

template <class T>
T dot(const T* x, const T* y, int64_t n) {
  T s[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; l++) s[l] += x[i + l] * y[i + l];
  T t = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
  for (; i < n; i++) t += x[i] * y[i];
  return t;
}

// M·x = b for a few right-hand sides, one at a time on a contiguous copy: dot products along M's rows when
// they are contiguous, else column updates along M's contiguous columns (a product through the packed
// kernels would pad a single column to a whole register tile).
template <class T>
void solveFew(const Tri<T>& M, int64_t n, const Rhs<T>& B, int64_t k) {
  std::vector<T>& buf = solveBuffer<T>();
  buf.resize(static_cast<size_t>(n));
  T* x = buf.data();
  for (int64_t c = 0; c < k; c++) {
    T* col = B.b + c * B.cs;
    for (int64_t i = 0; i < n; i++) x[i] = col[i * B.rs];
    if (M.cs == 1) {
      for (int64_t t = 0; t < n; t++) {
        const int64_t i = M.lower ? t : n - 1 - t;
        const T* row = M.a + i * M.rs;
        const T s = M.lower ? x[i] - dot(row, x, i) : x[i] - dot(row + i + 1, x + i + 1, n - i - 1);
        x[i] = M.unit ? s : s / row[i];
      }
    } else {
      for (int64_t t = 0; t < n; t++) {
        const int64_t p = M.lower ? t : n - 1 - t;
        const T* column = M.a + p * M.cs;  // M(i, p) = column[i·rs], rs == 1
        if (!M.unit) x[p] /= column[p];
        if (M.lower)
          axpy(x + p + 1, column + p + 1, x[p], n - p - 1);
        else
          axpy(x, column, x[p], p);
      }
    }
    for (int64_t i = 0; i < n; i++) col[i * B.rs] = x[i];
  }
}

// M·X = B for n×k right-hand sides, on this thread.
template <class T>
void solveSerial(const Tri<T>& M, int64_t n, const Rhs<T>& B, int64_t k) {
  if (n <= 0 || k <= 0) return;
  if (k <= kFewRhs && (M.cs == 1 || M.rs == 1)) return solveFew(M, n, B, k);
  auto diagonal = [&](int64_t i0, int64_t ib) {
    if (B.cs == 1) {
      for (int64_t c0 = 0; c0 < k; c0 += kChunk)
        blockSolve(M, i0, ib, B.b + i0 * B.rs + c0, B.rs, std::min(kChunk, k - c0));
      return;
    }
    std::vector<T>& buf = solveBuffer<T>();
    buf.resize(static_cast<size_t>(ib * kChunk));
    T* x = buf.data();
    for (int64_t c0 = 0; c0 < k; c0 += kChunk) {
      const int64_t w = std::min(kChunk, k - c0);
      for (int64_t c = 0; c < w; c++) {
        const T* col = B.b + (c0 + c) * B.cs + i0;
        for (int64_t r = 0; r < ib; r++) x[r * w + c] = col[r];
      }
      blockSolve(M, i0, ib, x, w, w);
      for (int64_t c = 0; c < w; c++) {
        T* col = B.b + (c0 + c) * B.cs + i0;
        for (int64_t r = 0; r < ib; r++) col[r] = x[r * w + c];
      }
    }
  };
  // B[i0 : i0+ib] −= M[i0 : i0+ib, s0 : s1]·X[s0 : s1].
  auto update = [&](int64_t i0, int64_t ib, int64_t s0, int64_t s1) {
    const int64_t len = s1 - s0;
    const T* m = M.a + i0 * M.rs + s0 * M.cs;
    if (B.cs == 1)
      sub(m, M.rs, M.cs, B.b + s0 * B.rs, B.rs, int64_t(1), B.b + i0 * B.rs, B.rs, ib, len, k, 1);
    else  // the transposed view: Bᵀ[:, i0 : i0+ib] −= Xᵀ[:, s0 : s1]·Mᵀ[s0 : s1, i0 : i0+ib]
      sub(B.b + s0, B.cs, int64_t(1), m, M.cs, M.rs, B.b + i0, B.cs, k, len, ib, 1);
  };
  const int64_t blocks = (n + kTrsmBlock - 1) / kTrsmBlock;
  for (int64_t t = 0; t < blocks; t++) {
    const int64_t blk = M.lower ? t : blocks - 1 - t;
    const int64_t i0 = blk * kTrsmBlock, ib = std::min(kTrsmBlock, n - i0);
    if (M.lower)
      update(i0, ib, 0, i0);
    else
      update(i0, ib, i0 + ib, n);
    diagonal(i0, ib);
  }
}

// M·X = B, the columns of B shared out among threads.
template <class T>
void solve(const Tri<T>& M, int64_t n, const Rhs<T>& B, int64_t k, int threads) {
  // Parts of whole 16-column strips: one per thread, or a multiple of the threads that keeps 4 strips each.
  const int64_t strips = (k + 15) / 16;
  const int64_t want = threadsFor(double(n) * double(n) * double(k) / 2, threads);
  const int64_t t = std::max<int64_t>(1, std::min(want, strips));
  const int64_t finer = std::min<int64_t>(strips / 4, t * kPartsPerThread) / t * t;
  const int parts = static_cast<int>(std::min(strips, std::max(t, finer)));
  parallel(parts, static_cast<int>(t), [&](int part, int ps) {
    const int64_t units = (k + 15) / 16;
    const int64_t lo = std::min(k, units * part / ps * 16), hi = std::min(k, units * (part + 1) / ps * 16);
    if (hi > lo) solveSerial(M, n, Rhs<T>{B.b + lo * B.cs, B.rs, B.cs}, hi - lo);
  });
}

// ------------------------------------------------------------------ Cholesky

// Row by row (Cholesky–Banachiewicz): L[i][j] = (A[i][j] − L[i][:j]·L[j][:j]) / L[j][j].
template <class T>
int32_t cholUnblocked(T* a, int64_t ld, int64_t n) {
  for (int64_t i = 0; i < n; i++) {
    T* ai = a + i * ld;
    for (int64_t j = 0; j < i; j++) {
      const T* aj = a + j * ld;
      ai[j] = (ai[j] - dot(ai, aj, j)) / aj[j];
    }
    const T d = ai[i] - dot(ai, ai, i);
    ai[i] = d;
    if (!(d > T(0))) return static_cast<int32_t>(i + 1);
    ai[i] = std::sqrt(d);
  }
  return 0;
}

template <class T>
int32_t chol(T* a, int64_t ld, int64_t n, int threads) {
  if (n <= kCholBase) return cholUnblocked(a, ld, n);
  const int64_t nb = n >= 2 * kCholBlock ? kCholBlock : std::max<int64_t>(8, (n / 2 + 7) / 8 * 8);
  for (int64_t j0 = 0; j0 < n; j0 += nb) {
    const int64_t jb = std::min(nb, n - j0), j1 = j0 + jb, rest = n - j1;
    T* a11 = a + j0 * ld + j0;
    const int32_t info = chol(a11, ld, jb, threads);
    if (info != 0) return static_cast<int32_t>(j0) + info;
    if (rest == 0) break;
    T* a21 = a + j1 * ld + j0;
    // A21 := A21·L11⁻ᵀ, i.e. L11·A21ᵀ = A21ᵀ.
    solve(Tri<T>{a11, ld, 1, true, false}, jb, Rhs<T>{a21, 1, ld}, rest, threads);
    sub(a21, ld, int64_t(1), a21, int64_t(1), ld, a + j1 * ld + j1, ld, rest, jb, rest, threads, true);
  }
  return 0;
}

// ------------------------------------------------------------------ LU
template <class T>
struct Lu {
  T* a;
  int64_t m, n;
  int32_t* pivots;
  int32_t info;
  int threads;
};

template <class T>
std::vector<T>& luBuffer() {
  thread_local std::vector<T> buffer;
  return buffer;
}

// Columns [c0, c0 + w), rows [c0, m), one column at a time, on a column-major copy of the panel (so that
// the pivot search, the scaling and the updates run along contiguous columns). Rows are exchanged in the
// copy and, outside the panel, in A; the scaling multiplies by the pivot's reciprocal unless that would
// overflow (as LAPACK's dgetf2 does).
template <class T>
void luUnblocked(Lu<T>& f, int64_t c0, int64_t w) {
  T* a = f.a;
  const int64_t n = f.n, rows = f.m - c0;
  std::vector<T>& buf = luBuffer<T>();
  buf.resize(static_cast<size_t>(rows * w));
  T* x = buf.data();
  for (int64_t i = 0; i < rows; i++) {
    const T* row = a + (c0 + i) * n + c0;
    for (int64_t c = 0; c < w; c++) x[c * rows + i] = row[c];
  }
  for (int64_t j = 0; j < w; j++) {
    T* cj = x + j * rows;
    int64_t p = j;
    T best = std::abs(cj[j]);
    for (int64_t i = j + 1; i < rows; i++) {
      const T v = std::abs(cj[i]);
      if (v > best) best = v, p = i;
    }
    f.pivots[c0 + j] = static_cast<int32_t>(c0 + p);
    if (cj[p] != T(0)) {
      if (p != j) {
        for (int64_t c = 0; c < w; c++) std::swap(x[c * rows + j], x[c * rows + p]);
        T* rj = a + (c0 + j) * n;
        T* rp = a + (c0 + p) * n;
        std::swap_ranges(rj, rj + c0, rp);
        std::swap_ranges(rj + c0 + w, rj + n, rp + c0 + w);
      }
      const T d = cj[j];
      if (std::abs(d) >= std::numeric_limits<T>::min()) {
        const T r = T(1) / d;
        for (int64_t i = j + 1; i < rows; i++) cj[i] *= r;
      } else {
        for (int64_t i = j + 1; i < rows; i++) cj[i] /= d;
      }
    } else if (f.info == 0) {
      f.info = static_cast<int32_t>(c0 + j + 1);
    }
    for (int64_t c = j + 1; c < w; c++) {
      T* cc = x + c * rows;
      axpy(cc + j + 1, cj + j + 1, cc[j], rows - j - 1);
    }
  }
  for (int64_t i = 0; i < rows; i++) {
    T* row = a + (c0 + i) * n + c0;
    for (int64_t c = 0; c < w; c++) row[c] = x[c * rows + i];
  }
}

template <class T>
void luRecursive(Lu<T>& f, int64_t c0, int64_t w) {
  if (w <= kLuBase) return luUnblocked(f, c0, w);
  const int64_t h = w / 2, c1 = c0 + h, w2 = w - h, below = f.m - c1;
  T* a = f.a;
  const int64_t n = f.n;
  luRecursive(f, c0, h);
  solve(Tri<T>{a + c0 * n + c0, n, 1, true, true}, h, Rhs<T>{a + c0 * n + c1, n, 1}, w2, f.threads);
  sub(a + c1 * n + c0, n, int64_t(1), a + c0 * n + c1, n, int64_t(1), a + c1 * n + c1, n, below, h, w2,
      f.threads);
  luRecursive(f, c1, w2);
}

template <class T>
int32_t lu(T* a, int64_t m, int64_t n, int32_t* pivots, int threads) {
  Lu<T> f{a, m, n, pivots, 0, threads};
  const int64_t r = std::min(m, n);
  if (r == 0) return 0;
  luRecursive(f, 0, r);
  if (n > m) solve(Tri<T>{a, n, 1, true, true}, m, Rhs<T>{a + m, n, 1}, n - m, threads);
  return f.info;
}

// Runs f(b, threads) for every matrix: small matrices of a batch share the threads out among matrices,
// large ones use them all, one matrix after another.
template <class F>
void forBatch(int64_t batch, double work, int threads, F f) {
  if (batch > 1 && work < double(1 << 22) && threadsFor(work * double(batch), threads) > 1) {
    const int parts = static_cast<int>(std::min<int64_t>(int64_t(threads) * kPartsPerThread, batch));
    parallel(parts, threads, [&](int part, int ps) {
      for (int64_t b = batch * part / ps; b < batch * (part + 1) / ps; b++) f(b, 1);
    });
    return;
  }
  for (int64_t b = 0; b < batch; b++) f(b, threads);
}

}  // namespace

template <class T>
void potrf(T* a, int64_t batch, int64_t n, int32_t* info, int threads) {
  forBatch(batch, double(n) * double(n) * double(n) / 3, threads,
           [&](int64_t b, int t) { info[b] = chol(a + b * n * n, n, n, t); });
}

template <class T>
void trsm(const T* a, T* b, int64_t batch, int64_t n, int64_t k, TrsmOptions o, int threads) {
  forBatch(batch, double(n) * double(n) * double(k) / 2, threads, [&](int64_t i, int t) {
    const T* ai = a + i * n * n;
    T* bi = b + i * n * k;
    // M = op(A): strides of A, swapped when transposed; lower when A is lower xor transposed.
    const int64_t rs = o.transposeA ? 1 : n, cs = o.transposeA ? n : 1;
    const bool lower = o.lower != o.transposeA;
    if (o.leftSide)
      solve(Tri<T>{ai, rs, cs, lower, o.unitDiagonal}, n, Rhs<T>{bi, k, 1}, k, t);
    else  // X·M = B as Mᵀ·Xᵀ = Bᵀ, with B [k, n] viewed as Bᵀ [n, k]
      solve(Tri<T>{ai, cs, rs, !lower, o.unitDiagonal}, n, Rhs<T>{bi, 1, n}, k, t);
  });
}

template <class T>
void getrf(T* a, int64_t batch, int64_t m, int64_t n, int32_t* pivots, int32_t* info, int threads) {
  const int64_t r = std::min(m, n);
  forBatch(batch, double(m) * double(n) * double(r), threads,
           [&](int64_t b, int t) { info[b] = lu(a + b * m * n, m, n, pivots + b * r, t); });
}

template void potrf<float>(float*, int64_t, int64_t, int32_t*, int);
template void potrf<double>(double*, int64_t, int64_t, int32_t*, int);
template void trsm<float>(const float*, float*, int64_t, int64_t, int64_t, TrsmOptions, int);
template void trsm<double>(const double*, double*, int64_t, int64_t, int64_t, TrsmOptions, int);
template void getrf<float>(float*, int64_t, int64_t, int64_t, int32_t*, int32_t*, int);
template void getrf<double>(double*, int64_t, int64_t, int64_t, int32_t*, int32_t*, int);

}  // namespace nabla
