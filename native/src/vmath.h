// float32 math for the fused elementwise kernels, written one element at a time in branch-free form so that
// the loops calling them auto-vectorize (-O3 -march=native). Every function repeats, operation for
// operation, the WebAssembly SIMD version in src/backend/wasm/vmath.ts (Cephes' single-precision
// algorithms; sin and cos reduce and evaluate in float64), and the build keeps each operation separately
// rounded (-ffp-contract=off, no fast-math), so native and WebAssembly kernels give the same bits.
// Constants are written as float(double literal): that is Math.fround of the JavaScript number, as the
// WebAssembly constant table stores it (a float literal could round differently from the double).
#pragma once

#include <cstdint>
#include <cstring>

namespace nabla {
namespace vm {

inline int32_t bitsOf(float x) {
  int32_t i;
  std::memcpy(&i, &x, 4);
  return i;
}
inline float fromBits(int32_t i) {
  float x;
  std::memcpy(&x, &i, 4);
  return x;
}
constexpr int32_t kSign = INT32_MIN;

// WebAssembly's pmin/pmax (b < a ? b : a and a < b ? b : a): NaN in a passes through.
inline float pmin(float a, float b) { return b < a ? b : a; }
inline float pmax(float a, float b) { return a < b ? b : a; }
// Round to nearest even (the default rounding mode; rint vectorizes where roundeven does not).
inline float nearest(float x) { return __builtin_rintf(x); }
inline double nearest(double x) { return __builtin_rint(x); }
// i32x4.trunc_sat_f32x4_s for the values these functions convert: NaN gives 0 (the others are in range).
inline int32_t truncSat(float x) { return static_cast<int32_t>(x == x ? x : 0.0f); }
// 2^e as a float, for a biased exponent e + 127 in [1, 254].
inline float pow2(int32_t e) { return fromBits(static_cast<int32_t>(static_cast<uint32_t>(e + 127) << 23)); }

// ---- exp, expm1, tanh, logistic ----------------------------------------------------------------------

// x = k·ln 2 + r (Cody–Waite, first product exact), x clamped to exp's range.
inline void expReduce(float x, float& k, float& r) {
  const float t = pmin(pmax(x, -104.0f), float(88.73));
  k = nearest(t * float(1.4426950408889634));
  r = t - k * 0.693359375f;
  r = r - k * float(-2.1219444e-4);
}

// r²·P(r): e^r − 1 without its first-order term.
inline float expTail(float r) {
  float p = float(1.98756915e-4);
  p = p * r + float(1.3981999507e-3);
  p = p * r + float(8.3334519073e-3);
  p = p * r + float(4.1665795894e-2);
  p = p * r + float(1.6666665459e-1);
  p = p * r + float(5.0000001201e-1);
  return p * (r * r);
}

// y·2^k as y·2^(k>>1)·2^(k−(k>>1)): both factors stay normal for every k exp reaches.
inline float scaleByPow2(float y, float k) {
  const int32_t ki = truncSat(k);
  const int32_t k1 = ki >> 1;
  return (y * pow2(k1)) * pow2(ki - k1);
}

inline float exp(float x) {
  float k, r;
  expReduce(x, k, r);
  return scaleByPow2((expTail(r) + r) + 1.0f, k);
}

// e^x − 1 = 2^k·((1 − 2^−k) + r + r²·P(r)), exact where cancellation is worst (k = 0, 1).
inline float expm1(float x) {
  float k, r;
  expReduce(x, k, r);
  int32_t kc = truncSat(k);
  kc = kc < -25 ? -25 : kc;
  kc = kc > 60 ? 60 : kc;
  float v = ((1.0f - pow2(-kc)) + r) + expTail(r);
  v = scaleByPow2(v, k);
  v = k < -25.0f ? -1.0f : v;
  return x == 0.0f ? x : v;
}

// An odd polynomial below |x| = 0.625, else 1 − 2/(e^{2|x|} + 1); the sign of x copied onto either.
inline float tanh(float x) {
  const float z = x * x;
  float p = float(-5.70498872745e-3);
  p = p * z + float(2.06390887954e-2);
  p = p * z + float(-5.37397155531e-2);
  p = p * z + float(1.33314422036e-1);
  p = p * z + float(-3.33332819422e-1);
  const float small = ((p * z) * x) + x;
  float e = __builtin_fabsf(x);
  e = exp(e + e) + 1.0f;
  const float large = 1.0f - 2.0f / e;
  const float v = __builtin_fabsf(x) < 0.625f ? small : large;
  return fromBits((bitsOf(v) & 0x7fffffff) | (bitsOf(x) & kSign));
}

// 1/(1 + e^−|x|) for x ≥ 0, e^−|x|/(1 + e^−|x|) below: no overflow, tiny results keep their precision.
inline float logistic(float x) {
  const float e = exp(-__builtin_fabsf(x));
  return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

// ---- log, log1p --------------------------------------------------------------------------------------

// x = m·2^e with m in [√½, √2) from the bits (denormals scaled by 2^23 first), log m by a polynomial in
// m − 1, plus e·ln 2 in two parts; zero, negative, infinite and NaN arguments patched as Math.log has them.
inline float log(float x) {
  const bool tiny = x < float(1.1754943508222875e-38);
  const int32_t b = bitsOf(tiny ? x * 8388608.0f : x);
  int32_t e = static_cast<int32_t>((static_cast<uint32_t>(b) >> 23) & 0xff) - 126 + (tiny ? -23 : 0);
  float m = fromBits((b & static_cast<int32_t>(0x807fffff)) | 0x3f000000);
  const int32_t low = m < float(0.7071067811865476) ? -1 : 0;
  const float ef = static_cast<float>(e + low);
  m = (m + fromBits(bitsOf(m) & low)) - 1.0f;
  const float z = m * m;
  float p = float(7.0376836292e-2);
  p = p * m + float(-1.151461031e-1);
  p = p * m + float(1.167699874e-1);
  p = p * m + float(-1.2420140846e-1);
  p = p * m + float(1.4249322787e-1);
  p = p * m + float(-1.6668057665e-1);
  p = p * m + float(2.0000714765e-1);
  p = p * m + float(-2.4999993993e-1);
  p = p * m + float(3.3333331174e-1);
  float y = (p * m) * z;
  y = y + ef * float(-2.1219444e-4);
  y = y - z * 0.5f;
  y = y + m;
  y = y + ef * 0.693359375f;
  y = x == __builtin_inff() ? __builtin_inff() : y;
  y = x == 0.0f ? -__builtin_inff() : y;
  return x >= 0.0f ? y : __builtin_nanf("");
}

// log(1 + x) = log u + (x − (u − 1))/u for u = 1 + x rounded; x itself where u = 1 (keeps −0).
inline float log1p(float x) {
  const float u = x + 1.0f;
  const float c = (x - (u - 1.0f)) / u;
  // The correction is NaN where u is 0 or ∞ (log u alone is right there) and where x is NaN.
  const float v = log(u) + fromBits(bitsOf(c) & (c == c ? -1 : 0));
  return u == 1.0f ? x : v;
}

// ---- sin, cos ----------------------------------------------------------------------------------------

// Below this |x| the float64 reduction is exact; beyond it (and for ±∞, NaN) callers use libm per element.
constexpr float kSinCosExact = 16777216.0f;

// sin x and cos x (Cephes' octant scheme): |x| = n·π/2 + r reduced in float64 with a three-part π/2,
// both polynomials in float64 rounded once; bit 0 of n swaps them, bit 1 (with x's sign for sin, after
// adding 1 for cos) gives the sign. Lanes with |x| ≥ kSinCosExact are wrong here and must be patched.
inline void sincos(float x, float& s, float& c) {
  const float ax = __builtin_fabsf(x);
  const double ah = ax;
  const double nh = nearest(ah * 0.6366197723675814);
  const uint32_t n = static_cast<uint32_t>(static_cast<int32_t>(ax < kSinCosExact ? nh : 0.0));
  double r = ah - nh * 1.570796325802803;
  r = r - nh * 9.920935808982456e-10;
  r = r - nh * -1.2177051777973966e-18;
  const double z = r * r;
  double ps = -1.9515295891e-4;
  ps = ps * z + 8.3321608736e-3;
  ps = ps * z + -1.6666654611e-1;
  const float sv = static_cast<float>(((ps * z) * r) + r);
  double pc = 2.443315711809948e-5;
  pc = pc * z + -1.388731625493765e-3;
  pc = pc * z + 4.166664568298827e-2;
  const float cv = static_cast<float>((((pc * z) * z) - z * 0.5) + 1.0);
  const bool swap = (n & 1) != 0;
  s = fromBits(bitsOf(swap ? cv : sv) ^ ((static_cast<int32_t>(n << 30) ^ bitsOf(x)) & kSign));
  c = fromBits(bitsOf(swap ? sv : cv) ^ (static_cast<int32_t>((n + 1) << 30) & kSign));
}

// sign x: ±1 with the sign of x where x ≠ 0, else x (±0 and NaN unchanged).
inline float sign(float x) { return x != 0.0f && x == x ? fromBits((bitsOf(x) & kSign) | bitsOf(1.0f)) : x; }

}  // namespace vm
}  // namespace nabla
