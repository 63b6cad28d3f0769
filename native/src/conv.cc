// Direct 2-D convolution (see conv.h). The input is first copied into a zero-padded buffer when it has
// padding, so the loops have no bounds tests. Two loop orders, both keeping each output pixel's sum in the
// reference order: a wide output plane accumulates whole rows per kernel tap (the inner loop runs along an
// output row, vectorized when the stride is 1); a small one (at most 16 pixels, as a weight gradient's
// kernel-sized plane) keeps every pixel's sum in a register over all the taps. Output planes (n, o) are
// shared among the pool's threads.
#include "conv.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "pool.h"

namespace nabla {
namespace {

// Below this many multiply-adds a convolution stays on the calling thread.
constexpr int64_t kThreadWork = 1 << 17;
constexpr int kSmallPlane = 16;

template <class T>
struct Job {
  const T* x;  // padded input [n, c, hp, wp]
  int64_t hp, wp;
  const T* w;
  T* out;
  ConvGeom g;
};

// One output plane with at most P pixels: P independent sums, each over the taps in reference order.
template <class T, int P>
void smallPlane(const Job<T>& j, int64_t n, int64_t o) {
  const ConvGeom& g = j.g;
  int64_t off[P];
  double acc[P];
  for (int p = 0; p < P; p++) {
    const int64_t oy = p / g.ow, ox = p % g.ow;
    off[p] = oy * g.sh * j.wp + ox * g.sw;
    acc[p] = 0;
  }
  for (int64_t c = 0; c < g.c; c++) {
    const T* base = j.x + (n * g.c + c) * j.hp * j.wp;
    const T* wr = j.w + (o * g.c + c) * g.kh * g.kw;
    for (int64_t i = 0; i < g.kh; i++)
      for (int64_t k = 0; k < g.kw; k++) {
        const double wv = static_cast<double>(wr[i * g.kw + k]);
        const T* b = base + i * g.dh * j.wp + k * g.dw;
        for (int p = 0; p < P; p++) acc[p] += wv * static_cast<double>(b[off[p]]);
      }
  }
  T* dst = j.out + (n * g.o + o) * P;
  for (int p = 0; p < P; p++) dst[p] = static_cast<T>(acc[p]);
}

template <class T, int P>
void smallPlaneDispatch(const Job<T>& j, int64_t n, int64_t o, int64_t pixels) {
  if constexpr (P > 1) {
    if (pixels < P) return smallPlaneDispatch<T, P - 1>(j, n, o, pixels);
  }
  smallPlane<T, P>(j, n, o);
}

// One output plane of any size: rows of double sums in `acc`, updated once per kernel tap.
// Unit strides: the sums are kept at the padded input's row pitch, so one kernel tap updates the whole
// plane in a single contiguous loop (the columns past the output's width are computed and dropped).
template <class T>
void unitStridePlane(const Job<T>& j, int64_t n, int64_t o, double* acc) {
  const ConvGeom& g = j.g;
  const int64_t span = (g.oh - 1) * j.wp + g.ow;
  std::fill(acc, acc + span, 0.0);
  for (int64_t c = 0; c < g.c; c++) {
    const T* base = j.x + (n * g.c + c) * j.hp * j.wp;
    const T* wr = j.w + (o * g.c + c) * g.kh * g.kw;
    for (int64_t i = 0; i < g.kh; i++)
      for (int64_t k = 0; k < g.kw; k++) {
        const double wv = static_cast<double>(wr[i * g.kw + k]);
        const T* row = base + i * g.dh * j.wp + k * g.dw;
        for (int64_t t = 0; t < span; t++) acc[t] += wv * static_cast<double>(row[t]);
      }
  }
  T* dst = j.out + (n * g.o + o) * g.oh * g.ow;
  for (int64_t oy = 0; oy < g.oh; oy++)
    for (int64_t ox = 0; ox < g.ow; ox++) dst[oy * g.ow + ox] = static_cast<T>(acc[oy * j.wp + ox]);
}

template <class T>
void widePlane(const Job<T>& j, int64_t n, int64_t o, double* acc) {
  const ConvGeom& g = j.g;
  const int64_t plane = g.oh * g.ow;
  std::fill(acc, acc + plane, 0.0);
  for (int64_t c = 0; c < g.c; c++) {
    const T* base = j.x + (n * g.c + c) * j.hp * j.wp;
    const T* wr = j.w + (o * g.c + c) * g.kh * g.kw;
    for (int64_t i = 0; i < g.kh; i++)
      for (int64_t k = 0; k < g.kw; k++) {
        const double wv = static_cast<double>(wr[i * g.kw + k]);
        for (int64_t oy = 0; oy < g.oh; oy++) {
          const T* row = base + (oy * g.sh + i * g.dh) * j.wp + k * g.dw;
          double* a = acc + oy * g.ow;
          if (g.sw == 1)
            for (int64_t ox = 0; ox < g.ow; ox++) a[ox] += wv * static_cast<double>(row[ox]);
          else
            for (int64_t ox = 0; ox < g.ow; ox++) a[ox] += wv * static_cast<double>(row[ox * g.sw]);
        }
      }
  }
  T* dst = j.out + (n * g.o + o) * plane;
  for (int64_t p = 0; p < plane; p++) dst[p] = static_cast<T>(acc[p]);
}

template <class T>
void part(void* arg, int part, int parts) {
  const Job<T>& j = *static_cast<const Job<T>*>(arg);
  const ConvGeom& g = j.g;
  const int64_t planes = g.n * g.o;
  const int64_t lo = planes * part / parts, hi = planes * (part + 1) / parts;
  const int64_t pixels = g.oh * g.ow;
  const bool unit = g.sh == 1 && g.sw == 1;
  std::vector<double> acc(pixels <= kSmallPlane ? 0 : unit ? g.oh * j.wp : pixels);
  for (int64_t q = lo; q < hi; q++) {
    const int64_t n = q / g.o, o = q % g.o;
    if (pixels <= kSmallPlane)
      smallPlaneDispatch<T, kSmallPlane>(j, n, o, pixels);
    else if (unit)
      unitStridePlane(j, n, o, acc.data());
    else
      widePlane(j, n, o, acc.data());
  }
}

}  // namespace

template <class T>
void conv2d(const T* x, const T* w, T* out, const ConvGeom& g, int threads) {
  if (g.n <= 0 || g.o <= 0 || g.oh <= 0 || g.ow <= 0) return;
  // The rows and columns the windows reach, padding included.
  const int64_t hp = std::max(g.h + g.ph, (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  const int64_t wp = std::max(g.w + g.pw, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1);
  // Kept from call to call: a fresh buffer of this size would cost its page faults every time.
  static thread_local std::vector<T> padded;
  Job<T> job{x, g.h, g.w, w, out, g};
  if (hp != g.h || wp != g.w) {
    const size_t size = static_cast<size_t>(g.n * g.c * hp * wp);
    if (padded.size() < size) padded.resize(size);
    std::fill(padded.begin(), padded.begin() + static_cast<std::ptrdiff_t>(size), T(0));
    for (int64_t b = 0; b < g.n * g.c; b++)
      for (int64_t y = 0; y < g.h; y++)
        std::copy(x + (b * g.h + y) * g.w, x + (b * g.h + y + 1) * g.w,
                  padded.data() + (b * hp + y + g.ph) * wp + g.pw);
    job = Job<T>{padded.data(), hp, wp, w, out, g};
  }
  const int64_t planes = g.n * g.o;
  const int64_t work = planes * g.oh * g.ow * g.c * g.kh * g.kw;
  const int parts =
      static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({threads, planes, work / kThreadWork})));
  if (parts == 1)
    part<T>(&job, 0, 1);
  else
    poolRun(&part<T>, &job, parts);
}

template void conv2d<float>(const float*, const float*, float*, const ConvGeom&, int);
template void conv2d<double>(const double*, const double*, double*, const ConvGeom&, int);

}  // namespace nabla
