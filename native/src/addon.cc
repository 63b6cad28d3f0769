// The N-API surface of the addon:
//   matmul(a, tA, b, tB, c, B, M, K, N, threads) -> boolean
//     c[b] = op(a[b])·op(b[b]) for Float32Array or Float64Array operands of one type (op transposes when tA
//     or tB: a is then stored [K,M], b [N,K]); false (c untouched) for other array types. Throws on
//     malformed arguments, which only a caller bug produces.
//   fusedCompile(desc: Float64Array, names: string[]) -> kernel | string
//     compiles a fused elementwise kernel (native/src/fused.h; src/backend/native/fused.ts writes desc,
//     whose operations, element types and reductions are indices into names); a string says why the
//     description is not one these kernels run (an unknown name among the reasons).
//   fusedOps() -> string[], the names of the operations fusedCompile knows.
//   fusedRun(kernel, inputs: TypedArray[], outputs: TypedArray[], threads) -> undefined | string
//     runs it, writing every output; a string says why nothing was computed (wrong arrays).
//   potrf(a, batch, n, threads) -> Int32Array info
//   trsm(a, b, batch, n, k, leftSide, lower, transposeA, unitDiagonal, threads) -> undefined
//   getrf(a, batch, m, n, pivots: Int32Array, threads) -> Int32Array info
//   syev(a, batch, n, lower, w, v, threads) -> undefined
//     eigenvalues (ascending, w [batch, n]) and eigenvectors (columns of v [batch, n, n]) of the symmetric
//     matrices in a's lower (or upper) triangle (native/src/eigh.h); a, w and v of one type.
//     the in-place factorizations and solves of native/src/linalg.h on Float32Array or Float64Array data
//     (a and b of one type); they throw on other arrays or arrays shorter than the sizes say. Added
//     without a version bump: src/backend/native/linalg.ts checks that they exist.
//   conv(x, w, out, dims: Int32Array, threads) -> undefined
//     the direct 2-D convolution of native/src/conv.h; dims holds n, c, h, w, o, kh, kw, oh, ow, sh, sw,
//     dh, dw, ph, pw, lh, lw; x, w and out of one type. Added without a version bump: src/backend/native/conv.ts
//     checks that it exists.
//   workersAwake() -> number of pool workers awake (busy or spinning after a job) rather than asleep.
//   isa -> "avx512" | "avx2" | "generic", the instruction set the kernels were compiled for.
//   version -> kVersion, bumped whenever this surface changes, so that a stale build is not used.
// matmul is missing when the CPU lacks an extension the kernels were compiled for (a build copied from
// another machine); the loader then treats the addon as absent.
#include <node_api.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "conv.h"
#include "fused.h"
#include "eigh.h"
#include "gemm.h"
#include "linalg.h"
#include "pool.h"

namespace nabla {
napi_value PeakProbe(napi_env env, napi_callback_info info);  // peak.cc: the float32 FMA peak probe
}

namespace {

constexpr int32_t kVersion = 3;

bool throwType(napi_env env, const char* message) {
  napi_throw_type_error(env, nullptr, message);
  return false;
}

struct Array {
  napi_typedarray_type type;
  size_t length;
  void* data;
};

bool typedArray(napi_env env, napi_value v, Array* out) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is)
    return throwType(env, "expected a typed array");
  napi_value buffer;
  size_t offset;
  return napi_get_typedarray_info(env, v, &out->type, &out->length, &out->data, &buffer, &offset) == napi_ok;
}

bool integer(napi_env env, napi_value v, int64_t* out) {
  if (napi_get_value_int64(env, v, out) != napi_ok || *out < 0)
    return throwType(env, "expected a non-negative integer");
  return true;
}

bool boolean(napi_env env, napi_value v, bool* out) {
  if (napi_get_value_bool(env, v, out) != napi_ok) return throwType(env, "expected a boolean");
  return true;
}

napi_value jsBool(napi_env env, bool v) {
  napi_value r;
  napi_get_boolean(env, v, &r);
  return r;
}

template <class T>
void run(const Array& a, bool ta, const Array& b, bool tb, const Array& c, int64_t B, int64_t M, int64_t K,
         int64_t N, int threads) {
  nabla::Gemm<T> g{static_cast<const T*>(a.data), ta, static_cast<const T*>(b.data), tb,
                   static_cast<T*>(c.data), B, M, K, N};
  nabla::gemm<T>(g, threads);
}

napi_value Matmul(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 10) {
    throwType(env, "matmul: expected 10 arguments");
    return nullptr;
  }
  Array a, b, c;
  bool ta, tb;
  int64_t B, M, K, N, threads;
  if (!typedArray(env, argv[0], &a) || !boolean(env, argv[1], &ta) || !typedArray(env, argv[2], &b) ||
      !boolean(env, argv[3], &tb) || !typedArray(env, argv[4], &c) || !integer(env, argv[5], &B) ||
      !integer(env, argv[6], &M) || !integer(env, argv[7], &K) || !integer(env, argv[8], &N) ||
      !integer(env, argv[9], &threads))
    return nullptr;
  if (a.type != c.type || b.type != c.type ||
      (c.type != napi_float32_array && c.type != napi_float64_array))
    return jsBool(env, false);
  // Every count must be indexable without overflow in 64-bit arithmetic.
  const int64_t limit = int64_t(1) << 50;
  if (B > limit || M > limit || K > limit || N > limit || (M != 0 && K != 0 && B * M > limit / K) ||
      (K != 0 && N != 0 && B * K > limit / N) || (M != 0 && N != 0 && B * M > limit / N)) {
    throwType(env, "matmul: sizes out of range");
    return nullptr;
  }
  if (a.length < static_cast<size_t>(B * M * K) || b.length < static_cast<size_t>(B * K * N) ||
      c.length < static_cast<size_t>(B * M * N)) {
    throwType(env, "matmul: an array is shorter than its sizes say");
    return nullptr;
  }
  const int t = static_cast<int>(threads < 1 ? 1 : threads > 64 ? 64 : threads);
  if (c.type == napi_float32_array)
    run<float>(a, ta, b, tb, c, B, M, K, N, t);
  else
    run<double>(a, ta, b, tb, c, B, M, K, N, t);
  return jsBool(env, true);
}

napi_value jsString(napi_env env, const char* s) {
  napi_value r;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &r);
  return r;
}

napi_value undefined(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

// Marks the externals that hold compiled kernels, so that fusedRun never takes another external for one.
const napi_type_tag kKernelTag = {0x6e61626c615f6675ULL, 0x7365645f6b726e6cULL};

void freeKernel(napi_env, void* data, void*) { nabla::fusedFree(static_cast<nabla::FusedKernel*>(data)); }

// The strings of a JS array.
bool strings(napi_env env, napi_value list, std::vector<std::string>* out) {
  bool isArray = false;
  uint32_t n = 0;
  if (napi_is_array(env, list, &isArray) != napi_ok || !isArray || napi_get_array_length(env, list, &n) != napi_ok)
    return throwType(env, "fusedCompile: expected an array of names");
  out->resize(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value v;
    char buf[64];  // names are short: one call reads them whole
    size_t length = 0;
    if (napi_get_element(env, list, i, &v) != napi_ok ||
        napi_get_value_string_utf8(env, v, buf, sizeof buf, &length) != napi_ok)
      return throwType(env, "fusedCompile: expected an array of names");
    std::string& s = (*out)[i];
    if (length + 1 < sizeof buf) {
      s.assign(buf, length);
      continue;
    }
    napi_get_value_string_utf8(env, v, nullptr, 0, &length);
    s.resize(length + 1);
    napi_get_value_string_utf8(env, v, &s[0], length + 1, &length);
    s.resize(length);
  }
  return true;
}

napi_value FusedCompile(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  Array desc;
  std::vector<std::string> names;
  if (argc < 2) {
    throwType(env, "fusedCompile: expected a description and its names");
    return nullptr;
  }
  if (!typedArray(env, argv[0], &desc) || !strings(env, argv[1], &names)) return nullptr;
  if (desc.type != napi_float64_array) {
    throwType(env, "fusedCompile: expected a Float64Array");
    return nullptr;
  }
  std::string why = "unsupported";
  nabla::FusedKernel* k = nabla::fusedCompile(static_cast<const double*>(desc.data), desc.length, names, &why);
  if (k == nullptr) return jsString(env, why.c_str());
  napi_value ext;
  if (napi_create_external(env, k, freeKernel, nullptr, &ext) != napi_ok) {
    nabla::fusedFree(k);
    return nullptr;
  }
  if (napi_type_tag_object(env, ext, &kKernelTag) != napi_ok) return nullptr;
  return ext;
}

napi_value FusedOps(napi_env env, napi_callback_info) {
  const std::vector<std::string> names = nabla::fusedOps();
  napi_value list;
  if (napi_create_array_with_length(env, names.size(), &list) != napi_ok) return nullptr;
  for (size_t i = 0; i < names.size(); i++)
    if (napi_set_element(env, list, static_cast<uint32_t>(i), jsString(env, names[i].c_str())) != napi_ok)
      return nullptr;
  return list;
}

int dtypeOf(napi_typedarray_type t) {
  switch (t) {
    case napi_float32_array: return nabla::kF32;
    case napi_float64_array: return nabla::kF64;
    case napi_int32_array: return nabla::kI32;
    case napi_uint8_array: return nabla::kBool;
    default: return nabla::kOtherType;
  }
}

// The typed arrays of a JS array: in place for the usual few, on the heap beyond. (Not thread_local: TLS in
// a dlopen()ed module costs a __tls_get_addr call, and fusedRun's own time is a few µs at the least.)
class FusedArrays {
 public:
  bool read(napi_env env, napi_value list) {
    bool isArray = false;
    uint32_t n = 0;
    if (napi_is_array(env, list, &isArray) != napi_ok || !isArray ||
        napi_get_array_length(env, list, &n) != napi_ok)
      return throwType(env, "fusedRun: expected an array of typed arrays");
    if (n > kInline) heap_.resize(n);
    data_ = n > kInline ? heap_.data() : inline_;
    size_ = n;
    for (uint32_t i = 0; i < n; i++) {
      napi_value v;
      Array a;
      if (napi_get_element(env, list, i, &v) != napi_ok || !typedArray(env, v, &a)) return false;
      data_[i] = nabla::FusedArray{a.data, a.length, dtypeOf(a.type)};
    }
    return true;
  }
  const nabla::FusedArray* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  static constexpr uint32_t kInline = 16;
  nabla::FusedArray inline_[kInline];
  std::vector<nabla::FusedArray> heap_;
  nabla::FusedArray* data_ = inline_;
  size_t size_ = 0;
};

napi_value FusedRun(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  bool tagged = false;
  void* kernel = nullptr;
  if (argc < 4 || napi_check_object_type_tag(env, argv[0], &kKernelTag, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, argv[0], &kernel) != napi_ok) {
    throwType(env, "fusedRun: expected a compiled kernel");
    return nullptr;
  }
  FusedArrays ins, outs;
  int64_t threads;
  if (!ins.read(env, argv[1]) || !outs.read(env, argv[2]) || !integer(env, argv[3], &threads)) return nullptr;
  const int t = static_cast<int>(threads < 1 ? 1 : threads > 64 ? 64 : threads);
  const char* why = nabla::fusedRun(*static_cast<const nabla::FusedKernel*>(kernel), ins.data(), ins.size(),
                                    outs.data(), outs.size(), t);
  return why == nullptr ? undefined(env) : jsString(env, why);
}

// ------------------------------------------------------------------ linear algebra
// Every size must be indexable without overflow, and every array long enough: `need` elements.
bool sized(napi_env env, const char* what, const Array& a, int64_t need) {
  if (a.length < static_cast<size_t>(need)) return throwType(env, what);
  return true;
}

bool countsFit(std::initializer_list<int64_t> counts) {
  const int64_t limit = int64_t(1) << 50;
  int64_t product = 1;
  for (int64_t c : counts) {
    if (c > limit) return false;
    if (c != 0 && product > limit / c) return false;
    product *= c;
  }
  return true;
}

bool floatArray(const Array& a) { return a.type == napi_float32_array || a.type == napi_float64_array; }

int threadsArg(int64_t threads) { return static_cast<int>(threads < 1 ? 1 : threads > 64 ? 64 : threads); }

napi_value int32Array(napi_env env, int64_t length, int32_t** data) {
  napi_value buffer, array;
  void* raw = nullptr;
  if (napi_create_arraybuffer(env, static_cast<size_t>(length) * 4, &raw, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, static_cast<size_t>(length), buffer, 0, &array) != napi_ok)
    return nullptr;
  *data = static_cast<int32_t*>(raw);
  for (int64_t i = 0; i < length; i++) (*data)[i] = 0;
  return array;
}

napi_value Potrf(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  Array a;
  int64_t batch, n, threads;
  if (argc < 4) return throwType(env, "potrf: expected 4 arguments"), nullptr;
  if (!typedArray(env, argv[0], &a) || !integer(env, argv[1], &batch) || !integer(env, argv[2], &n) ||
      !integer(env, argv[3], &threads))
    return nullptr;
  if (!floatArray(a)) return throwType(env, "potrf: expected a Float32Array or Float64Array"), nullptr;
  if (!countsFit({batch, n, n}) || !sized(env, "potrf: the array is shorter than its sizes say", a, batch * n * n))
    return nullptr;
  int32_t* out;
  napi_value result = int32Array(env, batch, &out);
  if (result == nullptr) return nullptr;
  if (a.type == napi_float32_array)
    nabla::potrf(static_cast<float*>(a.data), batch, n, out, threadsArg(threads));
  else
    nabla::potrf(static_cast<double*>(a.data), batch, n, out, threadsArg(threads));
  return result;
}

napi_value Trsm(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 10) return throwType(env, "trsm: expected 10 arguments"), nullptr;
  Array a, b;
  int64_t batch, n, k, threads;
  nabla::TrsmOptions o;
  if (!typedArray(env, argv[0], &a) || !typedArray(env, argv[1], &b) || !integer(env, argv[2], &batch) ||
      !integer(env, argv[3], &n) || !integer(env, argv[4], &k) || !boolean(env, argv[5], &o.leftSide) ||
      !boolean(env, argv[6], &o.lower) || !boolean(env, argv[7], &o.transposeA) ||
      !boolean(env, argv[8], &o.unitDiagonal) || !integer(env, argv[9], &threads))
    return nullptr;
  if (!floatArray(a) || a.type != b.type)
    return throwType(env, "trsm: expected two Float32Arrays or two Float64Arrays"), nullptr;
  if (!countsFit({batch, n, n}) || !countsFit({batch, n, k}) ||
      !sized(env, "trsm: a is shorter than its sizes say", a, batch * n * n) ||
      !sized(env, "trsm: b is shorter than its sizes say", b, batch * n * k))
    return nullptr;
  if (a.type == napi_float32_array)
    nabla::trsm(static_cast<const float*>(a.data), static_cast<float*>(b.data), batch, n, k, o,
                threadsArg(threads));
  else
    nabla::trsm(static_cast<const double*>(a.data), static_cast<double*>(b.data), batch, n, k, o,
                threadsArg(threads));
  return undefined(env);
}

napi_value Getrf(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 6) return throwType(env, "getrf: expected 6 arguments"), nullptr;
  Array a, pivots;
  int64_t batch, m, n, threads;
  if (!typedArray(env, argv[0], &a) || !integer(env, argv[1], &batch) || !integer(env, argv[2], &m) ||
      !integer(env, argv[3], &n) || !typedArray(env, argv[4], &pivots) || !integer(env, argv[5], &threads))
    return nullptr;
  if (!floatArray(a)) return throwType(env, "getrf: expected a Float32Array or Float64Array"), nullptr;
  if (pivots.type != napi_int32_array) return throwType(env, "getrf: expected Int32Array pivots"), nullptr;
  if (m > INT32_MAX) return throwType(env, "getrf: too many rows for int32 pivots"), nullptr;
  const int64_t r = m < n ? m : n;
  if (!countsFit({batch, m, n}) || !sized(env, "getrf: the array is shorter than its sizes say", a, batch * m * n) ||
      !sized(env, "getrf: pivots is shorter than batch·min(m, n)", pivots, batch * r))
    return nullptr;
  int32_t* out;
  napi_value result = int32Array(env, batch, &out);
  if (result == nullptr) return nullptr;
  int32_t* piv = static_cast<int32_t*>(pivots.data);
  if (a.type == napi_float32_array)
    nabla::getrf(static_cast<float*>(a.data), batch, m, n, piv, out, threadsArg(threads));
  else
    nabla::getrf(static_cast<double*>(a.data), batch, m, n, piv, out, threadsArg(threads));
  return result;
}

// Whether this CPU has every extension the kernels were compiled to use (see gemmFeatures).
bool cpuRunsKernels() {
#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
  using namespace nabla;
  const unsigned want = gemmFeatures();
  __builtin_cpu_init();
  const struct {
    unsigned bit;
    bool has;
  } checks[] = {
      {kSse41, __builtin_cpu_supports("sse4.1") != 0},
      {kAvx, __builtin_cpu_supports("avx") != 0},
      {kAvx2, __builtin_cpu_supports("avx2") != 0},
      {kFma, __builtin_cpu_supports("fma") != 0},
      {kAvx512f, __builtin_cpu_supports("avx512f") != 0},
      {kAvx512vl, __builtin_cpu_supports("avx512vl") != 0},
      {kAvx512bw, __builtin_cpu_supports("avx512bw") != 0},
      {kAvx512dq, __builtin_cpu_supports("avx512dq") != 0},
  };
  for (const auto& c : checks)
    if ((want & c.bit) != 0 && !c.has) return false;
#endif
  return true;
}

// Exports matmul only when this CPU can run the kernels; `isa` and `version` always (for diagnostics).
napi_value WorkersAwake(napi_env env, napi_callback_info info) {
  napi_value r;
  napi_create_int32(env, nabla::poolAwake(), &r);
  return r;
}

napi_value Syev(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 7) return throwType(env, "syev: expected 7 arguments"), nullptr;
  Array a, w, v;
  int64_t batch, n, threads;
  bool lower;
  if (!typedArray(env, argv[0], &a) || !integer(env, argv[1], &batch) || !integer(env, argv[2], &n) ||
      !boolean(env, argv[3], &lower) || !typedArray(env, argv[4], &w) || !typedArray(env, argv[5], &v) ||
      !integer(env, argv[6], &threads))
    return nullptr;
  if (!floatArray(a) || w.type != a.type || v.type != a.type)
    return throwType(env, "syev: expected three Float32Arrays or three Float64Arrays"), nullptr;
  if (!countsFit({batch, n, n}) || !sized(env, "syev: a is shorter than its sizes say", a, batch * n * n) ||
      !sized(env, "syev: w is shorter than its sizes say", w, batch * n) ||
      !sized(env, "syev: v is shorter than its sizes say", v, batch * n * n))
    return nullptr;
  if (a.type == napi_float32_array)
    nabla::syev(static_cast<const float*>(a.data), batch, n, lower, static_cast<float*>(w.data),
                static_cast<float*>(v.data), threadsArg(threads));
  else
    nabla::syev(static_cast<const double*>(a.data), batch, n, lower, static_cast<double*>(w.data),
                static_cast<double*>(v.data), threadsArg(threads));
  return undefined(env);
}

napi_value Conv(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) return nullptr;
  if (argc < 5) return throwType(env, "conv: expected 5 arguments"), nullptr;
  Array x, w, out, dims;
  int64_t threads;
  if (!typedArray(env, argv[0], &x) || !typedArray(env, argv[1], &w) || !typedArray(env, argv[2], &out) ||
      !typedArray(env, argv[3], &dims) || !integer(env, argv[4], &threads))
    return nullptr;
  if (!floatArray(x) || w.type != x.type || out.type != x.type)
    return throwType(env, "conv: expected three Float32Arrays or three Float64Arrays"), nullptr;
  if (dims.type != napi_int32_array || dims.length < 17)
    return throwType(env, "conv: expected an Int32Array of 17 sizes"), nullptr;
  const int32_t* d = static_cast<const int32_t*>(dims.data);
  for (int i = 0; i < 17; i++)
    if (d[i] < 0 || ((i >= 9 && i < 13) || i >= 15) && d[i] < 1) return throwType(env, "conv: bad sizes"), nullptr;
  if (d[2] < 1 || d[3] < 1) return throwType(env, "conv: an empty input"), nullptr;
  const nabla::ConvGeom g{d[0], d[1], d[2],  d[3],  d[4],  d[5],  d[6],  d[7], d[8],
                          d[9], d[10], d[11], d[12], d[13], d[14], d[15], d[16]};
  if (!countsFit({g.n, g.c, g.h, g.w}) || !countsFit({g.o, g.c, g.kh, g.kw}) || !countsFit({g.n, g.o, g.oh, g.ow}) ||
      !sized(env, "conv: x is shorter than its sizes say", x, g.n * g.c * g.h * g.w) ||
      !sized(env, "conv: w is shorter than its sizes say", w, g.o * g.c * g.kh * g.kw) ||
      !sized(env, "conv: out is shorter than its sizes say", out, g.n * g.o * g.oh * g.ow))
    return nullptr;
  if (x.type == napi_float32_array)
    nabla::conv2d(static_cast<const float*>(x.data), static_cast<const float*>(w.data),
                  static_cast<float*>(out.data), g, threadsArg(threads));
  else
    nabla::conv2d(static_cast<const double*>(x.data), static_cast<const double*>(w.data),
                  static_cast<double*>(out.data), g, threadsArg(threads));
  return undefined(env);
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn, awake, isa, version;
  if (napi_create_string_utf8(env, nabla::gemmIsa(), NAPI_AUTO_LENGTH, &isa) != napi_ok ||
      napi_set_named_property(env, exports, "isa", isa) != napi_ok ||
      napi_create_int32(env, kVersion, &version) != napi_ok ||
      napi_set_named_property(env, exports, "version", version) != napi_ok)
    return nullptr;
  if (!cpuRunsKernels()) return exports;
  if (napi_create_function(env, "matmul", NAPI_AUTO_LENGTH, Matmul, nullptr, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "matmul", fn) != napi_ok ||
      napi_create_function(env, "workersAwake", NAPI_AUTO_LENGTH, WorkersAwake, nullptr, &awake) != napi_ok ||
      napi_set_named_property(env, exports, "workersAwake", awake) != napi_ok)
    return nullptr;
  const struct {
    const char* name;
    napi_callback fn;
  } fused[] = {{"fusedCompile", FusedCompile}, {"fusedRun", FusedRun}, {"fusedOps", FusedOps},
               {"potrf", Potrf},           {"trsm", Trsm},         {"getrf", Getrf},
               {"syev", Syev},             {"conv", Conv},
               {"peakProbe", nabla::PeakProbe}};
  for (const auto& f : fused)
    if (napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &fn) != napi_ok ||
        napi_set_named_property(env, exports, f.name, fn) != napi_ok)
      return nullptr;
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
