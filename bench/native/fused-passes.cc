// One pass per operation against one pass per loop, for B2's y = tanh(x)·exp(−x·x) over 1e6 float32 values
// with the fused kernels' own math (native/src/vmath.h): the first loop is what the native interpreter does
// (each operation over a block of 1024 values), the second the same expression written as one loop.
//
//   g++ -O3 -std=gnu++17 -fno-math-errno -ffp-contract=off -fno-trapping-math -march=native \
//       bench/native/fused-passes.cc -o /tmp/fused-passes && /tmp/fused-passes
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "../../native/src/vmath.h"

using nabla::vm::exp;
using nabla::vm::tanh;

static void perOperation(const float* x, float* y, long n) {
  alignas(64) static float a[1024], b[1024], c[1024];
  for (long s = 0; s < n; s += 1024) {
    const long m = std::min(1024L, n - s);
    const float* xs = x + s;
    for (long i = 0; i < m; i++) a[i] = tanh(xs[i]);
    for (long i = 0; i < m; i++) b[i] = xs[i] * xs[i];
    for (long i = 0; i < m; i++) b[i] = -b[i];
    for (long i = 0; i < m; i++) c[i] = exp(b[i]);
    for (long i = 0; i < m; i++) y[s + i] = a[i] * c[i];
  }
}

static void onePass(const float* x, float* y, long n) {
  for (long i = 0; i < n; i++) y[i] = tanh(x[i]) * exp(-(x[i] * x[i]));
}

template <class F>
static double best(F f, const float* x, float* y, long n) {
  double ms = 1e9;
  for (int r = 0; r < 50; r++) {
    const auto t0 = std::chrono::steady_clock::now();
    f(x, y, n);
    ms = std::min(ms, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return ms;
}

int main() {
  const long n = 1000000;
  std::vector<float> x(n), y(n);
  for (long i = 0; i < n; i++) x[i] = -2.0f + 4.0f * static_cast<float>((i * 2654435761u) % 1000003u) / 1000003.0f;
  const double blocks = best(perOperation, x.data(), y.data(), n);
  const double fused = best(onePass, x.data(), y.data(), n);
  std::printf("per operation %.3f ms, one pass %.3f ms: one pass saves %.0f%%\n", blocks, fused,
              100.0 * (1.0 - fused / blocks));
}
