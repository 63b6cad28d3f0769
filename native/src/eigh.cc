// Symmetric eigendecomposition (eigh.h), in float64 whatever the input type:
//   1. Householder reduction to tridiagonal form (LAPACK's dsytd2, lower): the matrix is held as its lower
//      triangle stored column by column, which in row-major memory is the upper triangle (row k holds
//      column k below the diagonal, contiguous). Each step's symmetric rank-2 update A22 −= u·wᵀ + w·uᵀ is
//      fused with the next step's product A22·u' (symv on the one stored triangle) in a single pass over
//      the trailing triangle, so the O(n³) part reads and writes the matrix once a step; rows of that pass
//      are shared among threads (equal areas), each accumulating its own part of A22·u'.
//   2. Q = H0·H1···H(n−3) formed by blocks of kBlock reflectors (compact WY, Q ← (I − U·T·Uᵀ)·Q) on
//      gemm.cc's packed kernels (gemmSub).
//   3. Implicit QL with Wilkinson shifts on the tridiagonal matrix (EISPACK's tql2, as the TypeScript
//      eighData runs it), which records each sweep's plane rotations instead of applying them at once.
//      The rotations are then applied to Qᵀ held in strips of kStrip columns (one strip, n·kStrip values,
//      stays in L2 while every recorded rotation runs over it, the row a sweep carries held in registers);
//      strips are independent and shared among threads. When the record grows past kMaxRotations it is
//      applied and cleared. This part costs about 6n³ flops (n² rotations over rows of n), which is why a
//      large matrix takes 1.5–1.8 times as long as LAPACK's dsyevd (divide and conquer, mostly matrix
//      products).
//   4. Eigenvalues sorted ascending (stably) with their vectors.
// A matrix whose largest entry is beyond 2^±480 is first scaled by a power of two (as dsyev does).
// Small matrices of a batch (or a batch of at least one matrix per thread) are shared among threads by
// matrices instead.
// Sign convention: each vector's sign is whatever the reflectors and rotations give; it need not agree with
// eighData's (whose Householder reduction runs from the last row up).
#include "eigh.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "gemm.h"
#include "pool.h"

namespace nabla {
namespace {

constexpr int64_t kBlock = 64;               // reflectors per block when forming Q
constexpr int64_t kStrip = 32;               // columns of Qᵀ per strip the rotations run over
constexpr int64_t kMaxRotations = 1 << 21;   // rotations recorded before they are applied
constexpr int64_t kThreadRows = 512;         // trailing size from which a reduction step is threaded
constexpr int64_t kBatchSerial = 160;  // below this order (or with a matrix per thread), a batch is split among
                                       // threads by matrices, each solved on one thread
constexpr double kEps = std::numeric_limits<double>::epsilon();  // 2⁻⁵², eighData's EPS

template <class F>
void trampoline(void* arg, int part, int parts) {
  (*static_cast<F*>(arg))(part, parts);
}
// Runs f(part, parts) on up to `parts` threads; returns the number of parts run.
template <class F>
int parallel(int parts, F f) {
  if (parts <= 1) {
    f(0, 1);
    return 1;
  }
  return poolRun(&trampoline<F>, &f, parts);
}

// √(a² + b²), by the plain formula where it can neither overflow nor lose precision to underflow.
inline double hyp(double a, double b) {
  const double m = std::max(std::fabs(a), std::fabs(b));
  if (m < 1e-150 || m > 1e150) return std::hypot(a, b);
  return std::sqrt(a * a + b * b);
}

// Householder reflector (dlarfg) for x[0..m): H·x = (beta, 0, …) with H = I − tau·u·uᵀ, u[0] = 1; the rest
// of u overwrites x[1..m). Returns tau and sets beta.
double reflector(double* x, int64_t m, double* beta) {
  const double alpha = x[0];
  double scale = 0;
  for (int64_t j = 1; j < m; j++) scale = std::max(scale, std::fabs(x[j]));
  if (scale == 0 || !std::isfinite(scale)) {
    *beta = alpha;
    return 0;
  }
  double ss = 0;
  for (int64_t j = 1; j < m; j++) {
    const double t = x[j] / scale;
    ss += t * t;
  }
  const double xnorm = scale * std::sqrt(ss);
  const double b = -std::copysign(std::hypot(alpha, xnorm), alpha);
  const double tau = (b - alpha) / b;
  const double r = 1 / (alpha - b);
  for (int64_t j = 1; j < m; j++) x[j] *= r;
  *beta = b;
  return tau;
}

// Rows [r0, r1) of the trailing triangle: S[i][j] −= u[i]·w[j] + w[i]·u[j] for j ≥ i, and y += S·u2 over
// the updated symmetric matrix the triangle stands for (y zeroed by the caller).
void fusedRows(double* S, int64_t n, int64_t r0, int64_t r1, const double* u, const double* w, const double* u2,
               double* y) {
  for (int64_t i = r0; i < r1; i++) {
    double* __restrict row = S + i * n;
    const double ui = u[i], wi = w[i], u2i = u2[i];
    const double aii = row[i] - ui * w[i] - wi * u[i];
    row[i] = aii;
    double t = aii * u2i;
    double* __restrict yy = y;
#pragma omp simd reduction(+ : t)
    for (int64_t j = i + 1; j < n; j++) {
      const double a = row[j] - ui * w[j] - wi * u[j];
      row[j] = a;
      t += a * u2[j];
      yy[j] += a * u2i;
    }
    y[i] += t;
  }
}

// Splits rows [r0, n) into `parts` runs of about equal triangle area (row i holds n − i entries).
int64_t splitRow(int64_t r0, int64_t n, int part, int parts) {
  if (part <= 0) return r0;
  if (part >= parts) return n;
  const double m = double(n - r0);
  // area of rows [r0, r) ≈ m²/2 − (n − r)²/2
  const double rest = m * std::sqrt(1 - double(part) / parts);
  return std::min(n, std::max(r0, n - int64_t(std::llround(rest))));
}

struct Work {
  int64_t n = -1;
  std::vector<double> S, Q, Z, d, e, tau, u, w, u2, y, ypart, U, T, W1, rot;
  std::vector<int64_t> sweeps;  // (l, m, offset into rot) per recorded sweep
  std::vector<int64_t> order;
  int64_t strips = 0;
  void size(int64_t nn, int threads) {
    if (nn == n) return;
    n = nn;
    strips = (n + kStrip - 1) / kStrip;
    S.assign(n * n, 0);
    Q.assign(n * n, 0);
    Z.assign(strips * kStrip * n, 0);
    d.assign(n, 0);
    e.assign(n, 0);
    tau.assign(n, 0);
    u.assign(n, 0);
    w.assign(n, 0);
    u2.assign(n, 0);
    y.assign(n, 0);
    ypart.assign(size_t(std::max(threads, 1)) * n, 0);
    U.assign(n * kBlock, 0);
    T.assign(kBlock * kBlock, 0);
    W1.assign(kBlock * n, 0);
    order.assign(n, 0);
  }
};

// Step 1: tridiagonal form of S (upper triangle of the row-major array = lower triangle by columns): d, e,
// reflectors in S[k][k+2..n) with tau[k] (k < n − 2).
void tridiagonalize(Work& wk, int threads) {
  const int64_t n = wk.n;
  double* S = wk.S.data();
  double *u = wk.u.data(), *w = wk.w.data(), *u2 = wk.u2.data(), *y = wk.y.data();
  double *d = wk.d.data(), *e = wk.e.data(), *tau = wk.tau.data();
  std::fill(wk.tau.begin(), wk.tau.end(), 0.0);
  std::fill(wk.e.begin(), wk.e.end(), 0.0);
  d[0] = S[0];
  if (n == 1) return;
  std::fill(u, u + n, 0.0);
  std::fill(w, w + n, 0.0);
  // k = −1: only the reflector of row 0 and the product A22·u0.
  for (int64_t k = -1; k <= n - 3; k++) {
    if (k >= 0) {
      // w = p − (tau/2)(pᵀu)·u with p = tau·A22·u (y holds A22·u on [k+1, n)).
      const double t = tau[k];
      double pu = 0;
      for (int64_t j = k + 1; j < n; j++) {
        w[j] = t * y[j];
        pu += w[j] * u[j];
      }
      const double alpha = -0.5 * t * pu;
      for (int64_t j = k + 1; j < n; j++) w[j] += alpha * u[j];
    }
    // Row k+1, fully updated, gives the next reflector.
    const int64_t r = k + 1;
    double* row = S + r * n;
    if (k >= 0)
      for (int64_t j = r; j < n; j++) row[j] -= u[r] * w[j] + w[r] * u[j];
    d[r] = row[r];
    const int64_t m = n - r - 1;  // ≥ 1
    double beta;
    const double tr = reflector(row + r + 1, m, &beta);
    tau[r] = m > 1 ? tr : 0;
    e[r] = m > 1 ? beta : row[r + 1];
    if (m > 1) row[r + 1] = beta;
    std::fill(u2, u2 + n, 0.0);
    if (m > 1) {
      u2[r + 1] = 1;
      for (int64_t j = r + 2; j < n; j++) u2[j] = row[j];
    }
    // Rows r+1.. updated by this step and multiplied by u2.
    const int64_t r0 = r + 1;
    const int64_t rows = n - r0;
    int parts = threads > 1 && rows >= kThreadRows ? threads : 1;
    std::fill(y + r0, y + n, 0.0);
    if (k < 0) std::fill(w, w + n, 0.0);
    auto job = [&](int part, int np) {
      double* yp = part == 0 ? y : wk.ypart.data() + int64_t(part) * n;
      if (part > 0) std::fill(yp + r0, yp + n, 0.0);
      fusedRows(S, n, splitRow(r0, n, part, np), splitRow(r0, n, part + 1, np), u, w, u2, yp);
    };
    const int ran = parallel(parts, job);
    for (int p = 1; p < ran; p++) {
      const double* yp = wk.ypart.data() + int64_t(p) * n;
      for (int64_t j = r0; j < n; j++) y[j] += yp[j];
    }
    std::swap(u, u2);
  }
  d[n - 1] = S[(n - 1) * n + n - 1];
  e[n - 1] = 0;
}

void sub(const double* a, int64_t rsa, int64_t csa, const double* b, int64_t rsb, int64_t csb, double* c,
         int64_t ldc, int64_t m, int64_t k, int64_t n, int threads) {
  if (m <= 0 || n <= 0 || k <= 0) return;
  const GemmSub<double> g{a, rsa, csa, b, rsb, csb, c, ldc, m, k, n, false, 0};
  gemmSub(g, double(m) * double(k) * double(n) >= double(1 << 20) ? threads : 1);
}

// Step 2: Q (row-major, n×n) = diag(1, H0···H(n−3)) acting on coordinates 1..n−1, by blocks from the last.
void formQ(Work& wk, int threads) {
  const int64_t n = wk.n;
  double* Q = wk.Q.data();
  std::fill(wk.Q.begin(), wk.Q.end(), 0.0);
  for (int64_t i = 0; i < n; i++) Q[i * n + i] = 1;
  const int64_t nr = n - 2;  // reflectors (reduced order n − 1)
  if (nr <= 0) return;
  const double* S = wk.S.data();
  double *U = wk.U.data(), *T = wk.T.data(), *W1 = wk.W1.data();
  const int64_t last = ((nr - 1) / kBlock) * kBlock;
  for (int64_t kb = last; kb >= 0; kb -= kBlock) {
    const int64_t nb = std::min(kBlock, nr - kb);
    const int64_t mm = (n - 1) - kb;  // rows of the reduced trailing part
    // U [mm × kBlock]: reflector kb+i has 1 at relative row i, zeros above, S[kb+i][kb+p+1] below.
    for (int64_t i = 0; i < nb; i++) {
      const double* src = S + (kb + i) * n + kb + 1;
      for (int64_t p = 0; p < mm; p++) U[p * kBlock + i] = p < i ? 0 : p == i ? 1 : src[p];
    }
    // G = UᵀU (upper part), then T (upper triangular, dlarft forward, columnwise).
    double* G = W1;  // free until the first product below
    std::fill(G, G + nb * kBlock, 0.0);
    for (int64_t p = 0; p < mm; p++) {
      const double* up = U + p * kBlock;
      for (int64_t j = 0; j < std::min(p + 1, nb); j++) {
        const double uj = up[j];
        double* gj = G + j * kBlock;
        for (int64_t i = j; i < nb; i++) gj[i] += uj * up[i];
      }
    }
    for (int64_t i = 0; i < nb; i++) {
      const double ti = wk.tau[kb + i];
      for (int64_t j = 0; j < i; j++) {
        double s = 0;
        for (int64_t q = j; q < i; q++) s += T[j * kBlock + q] * G[q * kBlock + i];
        T[j * kBlock + i] = -ti * s;
      }
      T[i * kBlock + i] = ti;
      for (int64_t j = i + 1; j < nb; j++) T[j * kBlock + i] = 0;
    }
    double* Qs = Q + (kb + 1) * n + (kb + 1);
    // W1 = −Uᵀ·Qs  [nb × mm]
    std::fill(W1, W1 + nb * mm, 0.0);
    sub(U, 1, kBlock, Qs, n, 1, W1, mm, nb, mm, mm, threads);
    // W1 ← −T·W1 = T·Uᵀ·Qs (T upper: row j uses rows q ≥ j, so top-down in place is safe)
    for (int64_t j = 0; j < nb; j++) {
      double* wj = W1 + j * mm;
      const double tjj = T[j * kBlock + j];
      for (int64_t c = 0; c < mm; c++) wj[c] *= -tjj;
      for (int64_t q = j + 1; q < nb; q++) {
        const double t = -T[j * kBlock + q];
        const double* wq = W1 + q * mm;
        for (int64_t c = 0; c < mm; c++) wj[c] += t * wq[c];
      }
    }
    // Qs −= U·W1
    sub(U, kBlock, 1, W1, mm, 1, Qs, n, mm, nb, mm, threads);
  }
}

// Eight doubles, unaligned: one zmm (AVX-512), two ymm or four xmm registers.
typedef double V8 __attribute__((vector_size(64), aligned(8)));
constexpr int kVecs = int(kStrip / 8);
static_assert(kStrip % 8 == 0, "applyStrips handles a strip as whole V8");
inline V8 load8(const double* p) {
  V8 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}
inline void store8(double* p, V8 v) { __builtin_memcpy(p, &v, sizeof v); }

// Applies the recorded sweeps to strips [s0, s1) of Z.
void applyStrips(Work& wk, int64_t s0, int64_t s1) {
  const int64_t n = wk.n;
  const double* rot = wk.rot.data();
  const int64_t* sw = wk.sweeps.data();
  const size_t nsw = wk.sweeps.size() / 3;
  for (int64_t s = s0; s < s1; s++) {
    double* Zs = wk.Z.data() + s * n * kStrip;
    for (size_t q = 0; q < nsw; q++) {
      const int64_t l = sw[3 * q], m = sw[3 * q + 1];
      const double* cs = rot + sw[3 * q + 2];
      V8 x[kVecs];
      for (int t = 0; t < kVecs; t++) x[t] = load8(Zs + m * kStrip + 8 * t);
      for (int64_t i = m - 1; i >= l; i--, cs += 2) {
        const double c = cs[0], sn = cs[1];
        double* yi = Zs + i * kStrip;
        for (int t = 0; t < kVecs; t++) {
          const V8 y = load8(yi + 8 * t);
          store8(yi + kStrip + 8 * t, sn * y + c * x[t]);
          x[t] = c * y - sn * x[t];
        }
      }
      for (int t = 0; t < kVecs; t++) store8(Zs + l * kStrip + 8 * t, x[t]);
    }
  }
}

void flush(Work& wk, int threads) {
  if (wk.sweeps.empty()) return;
  const int64_t strips = wk.strips;
  const double work = double(wk.rot.size()) * kStrip * double(strips);
  const int parts = threads > 1 && work > double(1 << 18) ? int(std::min<int64_t>(threads, strips)) : 1;
  parallel(parts, [&](int part, int np) {
    applyStrips(wk, strips * part / np, strips * (part + 1) / np);
  });
  wk.sweeps.clear();
  wk.rot.clear();
}

// Step 3: tql2 on (d, e) (e[i] couples i and i+1), rotations recorded and applied to Z.
void tridiagonalQL(Work& wk, int threads) {
  const int64_t n = wk.n;
  double *d = wk.d.data(), *e = wk.e.data();
  e[n - 1] = 0;
  double f = 0, tst1 = 0;
  for (int64_t l = 0; l < n; l++) {
    tst1 = std::max(tst1, std::fabs(d[l]) + std::fabs(e[l]));
    int64_t m = l;
    while (m < n - 1 && !(std::fabs(e[m]) <= kEps * tst1)) m++;
    if (m > l) {
      for (int iter = 0; iter < 60; iter++) {
        double g = d[l];
        double p = (d[l + 1] - g) / (2 * e[l]);
        double r = hyp(p, 1.0);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const double dl1 = d[l + 1];
        double h = g - d[l];
        for (int64_t i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        double c = 1, c2 = 1, c3 = 1, s = 0, s2 = 0;
        const double el1 = e[l + 1];
        if (int64_t(wk.rot.size()) + 2 * (m - l) > 2 * kMaxRotations) flush(wk, threads);
        wk.sweeps.push_back(l);
        wk.sweeps.push_back(m);
        wk.sweeps.push_back(int64_t(wk.rot.size()));
        for (int64_t i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = hyp(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          wk.rot.push_back(c);
          wk.rot.push_back(s);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (!(std::fabs(e[l]) > kEps * tst1)) break;
      }
    }
    d[l] = d[l] + f;
    e[l] = 0;
  }
  flush(wk, threads);
}

template <class T>
void solveOne(Work& wk, const T* a, int64_t n, bool lower, T* w, T* v, int threads) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  if (n == 0) return;
  wk.size(n, threads);
  double* S = wk.S.data();
  // S's upper triangle = A's lower triangle by columns: S[j][i] = A[i][j] (j ≤ i).
  bool finite = true;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j <= i; j++) {
      const double x = lower ? double(a[i * n + j]) : double(a[j * n + i]);
      finite = finite && std::isfinite(x);
      S[j * n + i] = x;
    }
  if (!finite) {
    std::fill(w, w + n, nan);
    std::fill(v, v + n * n, nan);
    return;
  }
  // Far from 1, products of entries would overflow or lose digits to underflow: scale by a power of two
  // (exact) to bring the largest entry near 1, and the eigenvalues back (LAPACK's dsyev scales likewise).
  double anrm = 0;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = i; j < n; j++) anrm = std::max(anrm, std::fabs(S[i * n + j]));
  int shift = 0;
  if (anrm > 0 && (anrm < 0x1p-480 || anrm > 0x1p480)) {
    shift = std::ilogb(anrm);
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = i; j < n; j++) S[i * n + j] = std::ldexp(S[i * n + j], -shift);
  }
  tridiagonalize(wk, threads);
  formQ(wk, threads);
  // Z strips: Zs[i][c] = Qᵀ[i][s·kStrip + c] = Q[s·kStrip + c][i] (zero past n).
  const double* Q = wk.Q.data();
  for (int64_t s = 0; s < wk.strips; s++) {
    double* Zs = wk.Z.data() + s * n * kStrip;
    for (int64_t c = 0; c < kStrip; c++) {
      const int64_t j = s * kStrip + c;
      if (j < n)
        for (int64_t i = 0; i < n; i++) Zs[i * kStrip + c] = Q[j * n + i];
      else
        for (int64_t i = 0; i < n; i++) Zs[i * kStrip + c] = 0;
    }
  }
  wk.sweeps.clear();
  wk.rot.clear();
  // about n² rotations (two sweeps per eigenvalue over half the matrix on average)
  wk.rot.reserve(size_t(2 * std::min<int64_t>(kMaxRotations, n * n + 64 * n)));
  tridiagonalQL(wk, threads);
  std::iota(wk.order.begin(), wk.order.end(), int64_t(0));
  const double* d = wk.d.data();
  std::stable_sort(wk.order.begin(), wk.order.end(), [d](int64_t x, int64_t y) { return d[x] < d[y]; });
  for (int64_t k = 0; k < n; k++) w[k] = T(std::ldexp(d[wk.order[k]], shift));
  for (int64_t s = 0; s < wk.strips; s++) {
    const double* Zs = wk.Z.data() + s * n * kStrip;
    for (int64_t c = 0; c < kStrip && s * kStrip + c < n; c++) {
      T* out = v + (s * kStrip + c) * n;
      for (int64_t k = 0; k < n; k++) out[k] = T(Zs[wk.order[k] * kStrip + c]);
    }
  }
}

}  // namespace

template <class T>
void syev(const T* a, int64_t batch, int64_t n, bool lower, T* w, T* v, int threads) {
  if (batch <= 0 || n <= 0) return;
  if (threads > 1 && batch > 1 && (n < kBatchSerial || batch >= threads)) {
    parallel(int(std::min<int64_t>(threads, batch)), [&](int part, int parts) {
      Work wk;
      for (int64_t b = batch * part / parts; b < batch * (part + 1) / parts; b++)
        solveOne(wk, a + b * n * n, n, lower, w + b * n, v + b * n * n, 1);
    });
    return;
  }
  Work wk;
  for (int64_t b = 0; b < batch; b++) solveOne(wk, a + b * n * n, n, lower, w + b * n, v + b * n * n, threads);
}

template void syev<float>(const float*, int64_t, int64_t, bool, float*, float*, int);
template void syev<double>(const double*, int64_t, int64_t, bool, double*, double*, int);

}  // namespace nabla
