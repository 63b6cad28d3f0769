// A float32 peak probe for the benchmarks: every core runs independent chains of fused multiply-adds at
// once, and the probe reports the FLOP rate they reach. Each thread is timed by its own CPU time, so a
// thread that the OS parks while other processes run does not lower the number (the wall-clock rate is
// reported beside it). The widest instruction set the CPU has is chosen at run time: AVX-512, AVX2 with
// FMA, or a scalar loop of separate multiplies and adds.
#include <node_api.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NABLA_PEAK_X86 1
#endif

namespace nabla {
namespace {

// Twelve independent chains: enough to cover an FMA latency of 4 cycles on two pipes with room to spare.
constexpr int kChains = 12;
// Inner iterations between clock reads.
constexpr long kBlock = 1 << 16;

double wallSeconds() {
  using C = std::chrono::steady_clock;
  return std::chrono::duration<double>(C::now().time_since_epoch()).count();
}

// The calling thread's CPU time where the platform has a clock for it; elsewhere (Windows) the wall clock.
#ifdef CLOCK_THREAD_CPUTIME_ID
constexpr const char* kClock = "thread CPU time";
double threadSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}
#else
constexpr const char* kClock = "wall clock";
double threadSeconds() { return wallSeconds(); }
#endif

// Each kernel runs `blocks` × kBlock iterations of kChains FMAs and returns a value that depends on all of
// them, so the compiler cannot drop the work. acc·m + a with 0 < m < 1 stays finite and normal.
#ifdef NABLA_PEAK_X86
__attribute__((target("avx512f"))) float chainsAvx512(long blocks) {
  const __m512 m = _mm512_set1_ps(0.999999f);
  const __m512 a = _mm512_set1_ps(1e-6f);
  __m512 c[kChains];
  for (int i = 0; i < kChains; i++) c[i] = _mm512_set1_ps(static_cast<float>(i));
  for (long b = 0; b < blocks; b++)
    for (long it = 0; it < kBlock; it++) {
#pragma GCC unroll 12
      for (int i = 0; i < kChains; i++) c[i] = _mm512_fmadd_ps(c[i], m, a);
    }
  __m512 s = c[0];
  for (int i = 1; i < kChains; i++) s = _mm512_add_ps(s, c[i]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float chainsAvx2(long blocks) {
  const __m256 m = _mm256_set1_ps(0.999999f);
  const __m256 a = _mm256_set1_ps(1e-6f);
  __m256 c[kChains];
  for (int i = 0; i < kChains; i++) c[i] = _mm256_set1_ps(static_cast<float>(i));
  for (long b = 0; b < blocks; b++)
    for (long it = 0; it < kBlock; it++) {
#pragma GCC unroll 12
      for (int i = 0; i < kChains; i++) c[i] = _mm256_fmadd_ps(c[i], m, a);
    }
  __m256 s = c[0];
  for (int i = 1; i < kChains; i++) s = _mm256_add_ps(s, c[i]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, s);
  float r = 0;
  for (float v : lanes) r += v;
  return r;
}
#endif

// Plain C++: a multiply and an add per step (2 FLOPs), whatever the compiler makes of it.
float chainsScalar(long blocks) {
  volatile float mv = 0.999999f, av = 1e-6f;
  const float m = mv, a = av;
  float c[kChains];
  for (int i = 0; i < kChains; i++) c[i] = static_cast<float>(i);
  for (long b = 0; b < blocks; b++)
    for (long it = 0; it < kBlock; it++)
      for (int i = 0; i < kChains; i++) c[i] = c[i] * m + a;
  float s = 0;
  for (float v : c) s += v;
  return s;
}

struct PeakResult {
  const char* isa = "scalar";
  int threads = 0;
  int chains = 0;
  double gflops = 0;      // the sum over threads of FLOPs / thread CPU time
  double wallGflops = 0;  // all FLOPs / the longest thread's wall time
  std::vector<double> perThread;
};

struct Kernel {
  const char* isa;
  int lanes;  // float32 lanes per chain
  float (*run)(long);
};

// The widest kernel the CPU runs, or no wider than `cap` ("avx2" or "scalar"; empty: no cap).
Kernel pickKernel(const std::string& cap) {
#ifdef NABLA_PEAK_X86
  __builtin_cpu_init();
  if (cap.empty() && __builtin_cpu_supports("avx512f")) return {"avx512", 16, chainsAvx512};
  if (cap != "scalar" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {"avx2+fma", 8, chainsAvx2};
#endif
  return {"scalar", 1, chainsScalar};
}

PeakResult measurePeak(int threads, double seconds, const std::string& cap) {
  const Kernel k = pickKernel(cap);
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  if (!(seconds > 0)) seconds = 0.25;
  const double flopsPerBlock = 2.0 * k.lanes * kChains * static_cast<double>(kBlock);

  // A short single-thread calibration picks how many blocks fill about `seconds` per thread.
  const double c0 = threadSeconds();
  volatile float sink = k.run(4);
  const double per = (threadSeconds() - c0) / 4;
  long blocks = per > 0 ? static_cast<long>(seconds / per) : 1000;
  if (blocks < 4) blocks = 4;

  std::vector<double> cpu(threads), wall(threads);
  std::vector<float> out(threads);
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; t++)
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      const double w0 = wallSeconds();
      const double t0 = threadSeconds();
      out[t] = k.run(blocks);
      cpu[t] = threadSeconds() - t0;
      wall[t] = wallSeconds() - w0;
    });
  while (ready.load() < threads) {
  }
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  for (float v : out) sink = sink + v;
  (void)sink;

  PeakResult r;
  r.isa = k.isa;
  r.threads = threads;
  r.chains = kChains;
  double longestWall = 0;
  for (int t = 0; t < threads; t++) {
    const double g = cpu[t] > 0 ? flopsPerBlock * static_cast<double>(blocks) / cpu[t] / 1e9 : 0;
    r.perThread.push_back(g);
    r.gflops += g;
    if (wall[t] > longestWall) longestWall = wall[t];
  }
  r.wallGflops = longestWall > 0 ? flopsPerBlock * static_cast<double>(blocks) * threads / longestWall / 1e9 : 0;
  return r;
}

bool setNumber(napi_env env, napi_value obj, const char* name, double v) {
  napi_value x;
  return napi_create_double(env, v, &x) == napi_ok && napi_set_named_property(env, obj, name, x) == napi_ok;
}

}  // namespace

// peakProbe(threads?, seconds?, cap?) → { gflops, wallGflops, perThread, threads, chains, isa, clock }. threads
// defaults to the number of hardware threads, seconds (per thread) to 0.25; cap ("avx2" or "scalar") forbids
// wider kernels, to compare them. It blocks the calling thread meanwhile.
napi_value PeakProbe(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  double threads = 0, seconds = 0;
  std::string cap;
  napi_valuetype type;
  if (argc > 0 && napi_typeof(env, argv[0], &type) == napi_ok && type == napi_number)
    napi_get_value_double(env, argv[0], &threads);
  if (argc > 1 && napi_typeof(env, argv[1], &type) == napi_ok && type == napi_number)
    napi_get_value_double(env, argv[1], &seconds);
  if (argc > 2 && napi_typeof(env, argv[2], &type) == napi_ok && type == napi_string) {
    char buf[16] = {0};
    size_t len = 0;
    napi_get_value_string_utf8(env, argv[2], buf, sizeof buf, &len);
    cap.assign(buf, len);
  }
  if (!(threads >= 0) || threads > 1024) threads = 0;
  if (seconds > 10) seconds = 10;
  const PeakResult r = measurePeak(static_cast<int>(threads), seconds, cap);
  napi_value obj, isa, list;
  napi_value clock;
  if (napi_create_object(env, &obj) != napi_ok ||
      napi_create_string_utf8(env, r.isa, NAPI_AUTO_LENGTH, &isa) != napi_ok ||
      napi_set_named_property(env, obj, "isa", isa) != napi_ok ||
      napi_create_string_utf8(env, kClock, NAPI_AUTO_LENGTH, &clock) != napi_ok ||
      napi_set_named_property(env, obj, "clock", clock) != napi_ok ||
      napi_create_array_with_length(env, r.perThread.size(), &list) != napi_ok)
    return nullptr;
  for (size_t i = 0; i < r.perThread.size(); i++) {
    napi_value x;
    if (napi_create_double(env, r.perThread[i], &x) != napi_ok ||
        napi_set_element(env, list, static_cast<uint32_t>(i), x) != napi_ok)
      return nullptr;
  }
  if (napi_set_named_property(env, obj, "perThread", list) != napi_ok || !setNumber(env, obj, "gflops", r.gflops) ||
      !setNumber(env, obj, "wallGflops", r.wallGflops) || !setNumber(env, obj, "threads", r.threads) ||
      !setNumber(env, obj, "chains", r.chains))
    return nullptr;
  return obj;
}

}  // namespace nabla
