// Direct 2-D convolution (see conv.h). The input is first copied into a zero-padded buffer when it has
// padding or dilation, so the loops have no bounds tests. Two loop orders, both keeping each output pixel's sum in the
// reference order: a wide output plane accumulates whole rows per kernel tap (the inner loop runs along an
// output row, vectorized when the stride is 1); a small one (at most 16 pixels, as a weight gradient's
// kernel-sized plane) keeps every pixel's sum in a register over all the taps, eight output channels at a
// time in vector lanes when there are enough of them. Output planes (n, o) are shared among the pool's
// threads.
#include "conv.h"

#include <algorithm>
#include <cmath>
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
  // The weights regrouped as [ceil(o / 8), c, kh, kw, 8] (zeros past o), or null: small planes then run
  // eight output channels at a time, one vector lane each.
  const T* wt;
  // Every weight is finite, so a product with an input dilation's zero adds exactly nothing and the
  // zero rows of a dilated input may be skipped.
  bool skipZeroRows;
  // The input itself [n, c, h, w] and whether each output pixel reads it through one kernel tap only (see
  // repeatPlane).
  const T* x0;
  bool repeat;
};

constexpr int kLanes = 8;

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

// Eight output channels [o0, o0 + 8) of one small plane: per tap, one vector of weights times each pixel's
// input, every (channel, pixel) sum still over the taps in reference order.
template <class T, int P>
void smallPlaneBlock(const Job<T>& j, int64_t n, int64_t block) {
  const ConvGeom& g = j.g;
  int64_t off[P];
  double acc[P][kLanes];
  for (int p = 0; p < P; p++) {
    off[p] = (p / g.ow) * g.sh * j.wp + (p % g.ow) * g.sw;
    for (int l = 0; l < kLanes; l++) acc[p][l] = 0;
  }
  const int64_t taps = g.kh * g.kw;
  const T* wb = j.wt + block * g.c * taps * kLanes;
  for (int64_t c = 0; c < g.c; c++) {
    const T* base = j.x + (n * g.c + c) * j.hp * j.wp;
    for (int64_t i = 0; i < g.kh; i++)
      for (int64_t k = 0; k < g.kw; k++) {
        const T* wr = wb + ((c * g.kh + i) * g.kw + k) * kLanes;
        double wv[kLanes];
        for (int l = 0; l < kLanes; l++) wv[l] = static_cast<double>(wr[l]);
        const T* b = base + i * g.dh * j.wp + k * g.dw;
        for (int p = 0; p < P; p++) {
          const double xv = static_cast<double>(b[off[p]]);
          for (int l = 0; l < kLanes; l++) acc[p][l] += wv[l] * xv;
        }
      }
  }
  const int64_t o0 = block * kLanes;
  const int64_t lanes = std::min<int64_t>(kLanes, g.o - o0);
  for (int64_t l = 0; l < lanes; l++) {
    T* dst = j.out + (n * g.o + o0 + l) * P;
    for (int p = 0; p < P; p++) dst[p] = static_cast<T>(acc[p][l]);
  }
}

template <class T, int P>
void smallBlockDispatch(const Job<T>& j, int64_t n, int64_t block, int64_t pixels) {
  if constexpr (P > 1) {
    if (pixels < P) return smallBlockDispatch<T, P - 1>(j, n, block, pixels);
  }
  smallPlaneBlock<T, P>(j, n, block);
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
        if (!j.skipZeroRows) {
          for (int64_t t = 0; t < span; t++) acc[t] += wv * static_cast<double>(row[t]);
          continue;
        }
        for (int64_t oy = 0; oy < g.oh; oy++) {
          const int64_t r = oy + i * g.dh - g.ph;  // row of the dilated input (unit stride)
          if (r < 0 || r % g.lh != 0 || r / g.lh >= g.h) continue;
          const T* src = row + oy * j.wp;
          double* a = acc + oy * j.wp;
          for (int64_t ox = 0; ox < g.ow; ox++) a[ox] += wv * static_cast<double>(src[ox]);
        }
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

// A transposed convolution whose stride equals its kernel (input dilation kh × kw, unit strides, no kernel
// dilation, kh − 1 and kw − 1 padding): every output pixel meets one input pixel, through one tap; the
// other taps multiply the dilation's zeros, which with finite weights add exactly nothing.
template <class T>
void repeatPlane(const Job<T>& j, int64_t n, int64_t o, double* acc) {
  const ConvGeom& g = j.g;
  T* dst = j.out + (n * g.o + o) * g.oh * g.ow;
  for (int64_t y = 0; y < g.oh; y++) {
    const int64_t i = g.kh - 1 - y % g.kh, row = y / g.kh;
    std::fill(acc, acc + g.ow, 0.0);
    for (int64_t c = 0; c < g.c; c++) {
      const T* xr = j.x0 + ((n * g.c + c) * g.h + row) * g.w;
      const T* wr = j.w + ((o * g.c + c) * g.kh + i) * g.kw;
      for (int64_t col = 0; col < g.w; col++) {
        const double xv = static_cast<double>(xr[col]);
        double* a = acc + col * g.kw;
        for (int64_t k = 0; k < g.kw; k++) a[k] += static_cast<double>(wr[g.kw - 1 - k]) * xv;
      }
    }
    for (int64_t x = 0; x < g.ow; x++) dst[y * g.ow + x] = static_cast<T>(acc[x]);
  }
}

template <class T>
void part(void* arg, int part, int parts) {
  const Job<T>& j = *static_cast<const Job<T>*>(arg);
  const ConvGeom& g = j.g;
  if (j.wt != nullptr) {
    const int64_t blocks = (g.o + kLanes - 1) / kLanes;
    const int64_t units = g.n * blocks;
    for (int64_t q = units * part / parts; q < units * (part + 1) / parts; q++)
      smallBlockDispatch<T, kSmallPlane>(j, q / blocks, q % blocks, g.oh * g.ow);
    return;
  }
  const int64_t planes = g.n * g.o;
  const int64_t lo = planes * part / parts, hi = planes * (part + 1) / parts;
  const int64_t pixels = g.oh * g.ow;
  const bool unit = g.sh == 1 && g.sw == 1;
  std::vector<double> acc(j.repeat ? g.ow : pixels <= kSmallPlane ? 0 : unit ? g.oh * j.wp : pixels);
  for (int64_t q = lo; q < hi; q++) {
    const int64_t n = q / g.o, o = q % g.o;
    if (j.repeat)
      repeatPlane(j, n, o, acc.data());
    else if (pixels <= kSmallPlane)
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
  const int64_t hd = (g.h - 1) * g.lh + 1, wd = (g.w - 1) * g.lw + 1;
  const int64_t hp = std::max(hd + g.ph, (g.oh - 1) * g.sh + (g.kh - 1) * g.dh + 1);
  const int64_t wp = std::max(wd + g.pw, (g.ow - 1) * g.sw + (g.kw - 1) * g.dw + 1);
  // Kept from call to call: a fresh buffer of this size would cost its page faults every time.
  static thread_local std::vector<T> padded;
  bool finite = true;
  if (g.lh > 1 || g.lw > 1)
    for (int64_t t = 0; t < g.o * g.c * g.kh * g.kw; t++) finite = finite && std::isfinite(static_cast<double>(w[t]));
  const bool repeat = finite && g.lh == g.kh && g.lw == g.kw && (g.lh > 1 || g.lw > 1) && g.sh == 1 && g.sw == 1 &&
                      g.dh == 1 && g.dw == 1 && g.ph == g.kh - 1 && g.pw == g.kw - 1 && g.oh == g.h * g.kh &&
                      g.ow == g.w * g.kw;
  Job<T> job{x, g.h, g.w, w, out, g, nullptr, false, x, repeat};
  if (!repeat && (hp != g.h || wp != g.w)) {
    const size_t size = static_cast<size_t>(g.n * g.c * hp * wp);
    if (padded.size() < size) padded.resize(size);
    std::fill(padded.begin(), padded.begin() + static_cast<std::ptrdiff_t>(size), T(0));
    for (int64_t b = 0; b < g.n * g.c; b++)
      for (int64_t y = 0; y < g.h; y++) {
        const T* src = x + (b * g.h + y) * g.w;
        T* dst = padded.data() + (b * hp + y * g.lh + g.ph) * wp + g.pw;
        if (g.lw == 1)
          std::copy(src, src + g.w, dst);
        else
          for (int64_t k = 0; k < g.w; k++) dst[k * g.lw] = src[k];
      }
    job = Job<T>{padded.data(), hp, wp, w, out, g, nullptr, false, x, false};
  }
  job.skipZeroRows = finite && g.lh > 1;
  static thread_local std::vector<T> regrouped;
  const int64_t taps = g.c * g.kh * g.kw;
  if (!repeat && g.oh * g.ow <= kSmallPlane && g.o >= kLanes / 2) {
    const int64_t blocks = (g.o + kLanes - 1) / kLanes;
    regrouped.assign(static_cast<size_t>(blocks * taps * kLanes), T(0));
    for (int64_t o = 0; o < g.o; o++)
      for (int64_t t = 0; t < taps; t++)
        regrouped[static_cast<size_t>(((o / kLanes) * taps + t) * kLanes + o % kLanes)] = w[o * taps + t];
    job.wt = regrouped.data();
  }
  const int64_t units = job.wt != nullptr ? g.n * ((g.o + kLanes - 1) / kLanes) : g.n * g.o;
  const int64_t work = g.n * g.o * g.oh * g.ow * taps;
  const int parts =
      static_cast<int>(std::max<int64_t>(1, std::min<int64_t>({threads, units, work / kThreadWork})));
  if (parts == 1)
    part<T>(&job, 0, 1);
  else
    poolRun(&part<T>, &job, parts);
}

template void conv2d<float>(const float*, const float*, float*, const ConvGeom&, int);
template void conv2d<double>(const double*, const double*, double*, const ConvGeom&, int);

}  // namespace nabla
