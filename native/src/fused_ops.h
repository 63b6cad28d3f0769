// The operations of the fused kernels: each applies one primitive to a block of elements in a loop the
// compiler vectorizes. Scalar semantics are the reference backend's (src/backend/fusion.ts): float32 and
// float64 arithmetic rounded once per operation (which is what the reference's float64-then-round gives for
// +, −, ×, ÷ and √), int32 results as JavaScript's `| 0` wraps them, bool as int32 0 or 1.
#pragma once

#include <cmath>
#include <cstdint>

#include "vmath.h"

namespace nabla {
namespace fops {

struct Op;
// Applies `op` to n elements: operands are slot[op.a], slot[op.b], slot[op.c], results slot[op.dst]
// (and slot[op.dst2] for sin and cos of one operand).
using OpFn = void (*)(void* const* slot, const Op& op, int64_t n);

struct Op {
  OpFn fn;  // null: the result is the operand itself (slot[dst] = slot[a])
  int dst, dst2, a, b, c;
};

template <class T>
inline const T* in(void* const* s, int i) {
  return static_cast<const T*>(s[i]);
}
template <class T>
inline T* out(void* const* s, int i) {
  return static_cast<T*>(s[i]);
}

template <class T, class R, R (*F)(T)>
void unary(void* const* s, const Op& op, int64_t n) {
  const T* __restrict a = in<T>(s, op.a);
  R* __restrict o = out<R>(s, op.dst);
  for (int64_t i = 0; i < n; i++) o[i] = F(a[i]);
}

template <class T, class R, R (*F)(T, T)>
void binary(void* const* s, const Op& op, int64_t n) {
  const T* __restrict a = in<T>(s, op.a);
  const T* __restrict b = in<T>(s, op.b);
  R* __restrict o = out<R>(s, op.dst);
  for (int64_t i = 0; i < n; i++) o[i] = F(a[i], b[i]);
}

// select_n(pred, onFalse, onTrue) with a bool or int32 predicate.
template <class T>
void select(void* const* s, const Op& op, int64_t n) {
  const int32_t* __restrict p = in<int32_t>(s, op.a);
  const T* __restrict f = in<T>(s, op.b);
  const T* __restrict t = in<T>(s, op.c);
  T* __restrict o = out<T>(s, op.dst);
  for (int64_t i = 0; i < n; i++) o[i] = p[i] != 0 ? t[i] : f[i];
}

// ---- scalar functions --------------------------------------------------------------------------------

template <class T>
inline T neg(T a) {
  return -a;
}
template <class T>
inline T abs(T a) {
  return std::fabs(a);
}
template <class T>
inline T floor(T a) {
  return std::floor(a);
}
template <class T>
inline T ceil(T a) {
  return std::ceil(a);
}
template <class T>
inline T round(T a) {
  return vm::nearest(a);  // half to even, as the reference's roundHalfEven
}
template <class T>
inline T sqrt(T a) {
  return std::sqrt(a);
}
template <class T>
inline T sign(T a) {
  return a > 0 ? T(1) : a < 0 ? T(-1) : a;
}
template <class T>
inline T add(T a, T b) {
  return a + b;
}
template <class T>
inline T sub(T a, T b) {
  return a - b;
}
template <class T>
inline T mul(T a, T b) {
  return a * b;
}
template <class T>
inline T div(T a, T b) {
  return a / b;
}
// The reference's max and min: a unless b is larger (smaller), so a NaN a wins and max(−0, 0) is −0.
template <class T>
inline T max(T a, T b) {
  return a >= b || a != a ? a : b;
}
template <class T>
inline T min(T a, T b) {
  return a <= b || a != a ? a : b;
}
template <class T>
inline int32_t eq(T a, T b) {
  return a == b;
}
template <class T>
inline int32_t ne(T a, T b) {
  return a != b;
}
template <class T>
inline int32_t lt(T a, T b) {
  return a < b;
}
template <class T>
inline int32_t le(T a, T b) {
  return a <= b;
}
template <class T>
inline int32_t gt(T a, T b) {
  return a > b;
}
template <class T>
inline int32_t ge(T a, T b) {
  return a >= b;
}

// int32: the float64 result of the reference, then ToInt32 (wrapping modulo 2^32).
inline int32_t wrap(uint32_t v) { return static_cast<int32_t>(v); }
// ToInt32 of a float64: NaN, ±∞ and multiples of 2^32 give 0; |t| ≥ 2^63 are such multiples.
inline int32_t toInt32(double t) {
  return __builtin_fabs(t) < 9.2e18 ? static_cast<int32_t>(static_cast<int64_t>(t)) : 0;
}
inline int32_t negI(int32_t a) { return wrap(0u - static_cast<uint32_t>(a)); }
inline int32_t absI(int32_t a) { return a < 0 ? negI(a) : a; }
inline int32_t signI(int32_t a) { return (a > 0) - (a < 0); }
inline int32_t addI(int32_t a, int32_t b) { return wrap(static_cast<uint32_t>(a) + static_cast<uint32_t>(b)); }
inline int32_t subI(int32_t a, int32_t b) { return wrap(static_cast<uint32_t>(a) - static_cast<uint32_t>(b)); }
// The product of two int32 is rounded in float64 beyond 2^53 before it wraps, as in JavaScript.
inline int32_t mulI(int32_t a, int32_t b) { return toInt32(static_cast<double>(a) * static_cast<double>(b)); }
inline int32_t divI(int32_t a, int32_t b) { return toInt32(static_cast<double>(a) / static_cast<double>(b)); }

// float32 functions without a vector form: float64 libm, rounded once (within an ulp of the reference).
inline float tanF(float a) { return static_cast<float>(std::tan(static_cast<double>(a))); }
inline float asinF(float a) { return static_cast<float>(std::asin(static_cast<double>(a))); }
inline float acosF(float a) { return static_cast<float>(std::acos(static_cast<double>(a))); }
inline float atanF(float a) { return static_cast<float>(std::atan(static_cast<double>(a))); }
inline float sinhF(float a) { return static_cast<float>(std::sinh(static_cast<double>(a))); }
inline float coshF(float a) { return static_cast<float>(std::cosh(static_cast<double>(a))); }
inline float atan2F(float a, float b) {
  return static_cast<float>(std::atan2(static_cast<double>(a), static_cast<double>(b)));
}
// Math.pow differs from C's pow where the exponent is NaN (always NaN) and for (±1)^±∞ (NaN, not 1).
inline float powF(float a, float b) {
  if (b != b || (std::fabs(a) == 1.0f && std::isinf(b))) return __builtin_nanf("");
  return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b)));
}

// convert_element_type: float → int32 truncates then wraps; anything → bool is "nonzero and not NaN".
template <class T>
inline int32_t toI32(T a) {
  return toInt32(static_cast<double>(a));
}
template <class T>
inline int32_t toBool(T a) {
  return a < 0 || a > 0;
}
inline int32_t i32ToBool(int32_t a) { return a != 0; }
template <class T, class R>
inline R cast(T a) {
  return static_cast<R>(a);
}

// ---- sin and cos -------------------------------------------------------------------------------------

// Elements beyond the vector reduction's exact range (and ±∞, NaN) through libm, one at a time: rare.
template <bool S, bool C>
void sinCosSlow(const float* a, float* s, float* c, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (!(std::fabs(a[i]) < vm::kSinCosExact)) {
      if (S) s[i] = static_cast<float>(std::sin(static_cast<double>(a[i])));
      if (C) c[i] = static_cast<float>(std::cos(static_cast<double>(a[i])));
    }
}

// sin (S), cos (C) or both (dst = sin, dst2 = cos) of one operand from one reduction.
template <bool S, bool C>
void sinCos(void* const* slot, const Op& op, int64_t n) {
  const float* __restrict a = in<float>(slot, op.a);
  float* __restrict s = S ? out<float>(slot, op.dst) : nullptr;
  float* __restrict c = C ? out<float>(slot, S ? op.dst2 : op.dst) : nullptr;
  int slow = 0;
  for (int64_t i = 0; i < n; i++) {
    float sv, cv;
    vm::sincos(a[i], sv, cv);
    if (S) s[i] = sv;
    if (C) c[i] = cv;
    slow |= !(std::fabs(a[i]) < vm::kSinCosExact);
  }
  if (slow) sinCosSlow<S, C>(a, s, c, n);
}

}  // namespace fops
}  // namespace nabla
