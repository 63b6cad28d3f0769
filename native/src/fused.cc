// The fused-kernel interpreter (see fused.h). The loop is viewed as rows × columns: the innermost dimension
// (after fused.ts drops size-1 dimensions and merges those every operand walks contiguously) is a row, the
// others index rows. A block is up to kBlock consecutive elements, spanning several short rows when a
// thread owns whole rows. Per block, each input is either read in place (contiguous in the block) or
// gathered into its register, every operation runs over the block, stored outputs are written in place,
// and reductions fold the block into their accumulators.
//
// Reductions keep the reference's order where it costs nothing: along kept inner dimensions every output
// element accumulates its values in loop order (in float64), exactly as the reference does. Along a reduced
// row, float64 values, products and short rows are folded in order too; float32 sums, maxima and minima of
// longer rows use 16 lanes (lane = column mod 16, each in order, combined in a fixed order at the row's
// end), which depends only on the data, never on blocks or threads. A maximum or minimum that comes out as
// zero takes the sign of the row's first zero, which is what the sequential reference returns.
//
// Threads split rows when no reduction folds rows together, else columns when no reduction folds a row;
// either way every output element is computed by one thread in the same order as on one.
#include "fused.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

#include "fused_ops.h"
#include "pool.h"

namespace nabla {
namespace {

using fops::Op;
using fops::OpFn;

constexpr int64_t kBlock = 1024;
constexpr int kMaxDims = 16;
constexpr int kLanes = 16;
// Rows shorter than this are reduced in order even in float32: lanes cost more than they save there.
constexpr int64_t kLanesMinColumns = 96;
// Column splits between threads fall on multiples of this (whole cache lines of float32).
constexpr int64_t kColumnAlign = 16;
// Elements per part of a threaded loop: tens of microseconds of work, against about a microsecond to start a
// part (claim it, take a frame, fill its constants).
constexpr int64_t kPartElements = 1 << 15;

// The operations, in this file's own numbering (descriptions name them; see kOpNames): unary ones, then
// binary ones, then comparisons, then the rest.
enum Prim : int {
  kNeg, kSign, kFloor, kCeil, kRound, kAbs, kExp, kLog, kExpm1, kLog1p, kSqrt, kSin, kCos, kTan, kAsin,
  kAcos, kAtan, kSinh, kCosh, kTanh, kLogistic, kStopGradient,
  kAdd, kSub, kMul, kDiv, kPow, kMax, kMin, kAtan2,
  kEq, kNe, kLt, kLe, kGt, kGe,
  kSelectN, kConvert, kPrimCount
};
enum Reduce : int { kStore = -1, kSum, kMaxR, kMinR, kProd };

struct Named {
  const char* name;
  int code;
};

// The names descriptions use (the primitive names of src/core/primitives.ts). Only what runs natively for
// some element type: erf is missing on purpose (the reference computes it with a series of its own that
// libm's erf does not reproduce), so a loop with erf is declined before it reaches the addon.
constexpr Named kOpNames[] = {
    {"neg", kNeg}, {"sign", kSign}, {"floor", kFloor}, {"ceil", kCeil}, {"round", kRound}, {"abs", kAbs},
    {"exp", kExp}, {"log", kLog}, {"expm1", kExpm1}, {"log1p", kLog1p}, {"sqrt", kSqrt}, {"sin", kSin},
    {"cos", kCos}, {"tan", kTan}, {"asin", kAsin}, {"acos", kAcos}, {"atan", kAtan}, {"sinh", kSinh},
    {"cosh", kCosh}, {"tanh", kTanh}, {"logistic", kLogistic}, {"stop_gradient", kStopGradient},
    {"add", kAdd}, {"sub", kSub}, {"mul", kMul}, {"div", kDiv}, {"pow", kPow}, {"max", kMax}, {"min", kMin},
    {"atan2", kAtan2}, {"eq", kEq}, {"ne", kNe}, {"lt", kLt}, {"le", kLe}, {"gt", kGt}, {"ge", kGe},
    {"select_n", kSelectN}, {"convert_element_type", kConvert},
};
constexpr Named kDTypeNames[] = {{"float32", kF32}, {"float64", kF64}, {"int32", kI32}, {"bool", kBool}};
constexpr Named kReduceNames[] = {{"sum", kSum}, {"max", kMaxR}, {"min", kMinR}, {"prod", kProd}};

constexpr bool sameName(const char* a, const char* b) {
  while (*a != 0 && *a == *b) a++, b++;
  return *a == *b;
}

// Every code of a table has exactly one name, and no name two codes.
template <size_t N>
constexpr bool oneNameEach(const Named (&table)[N], int codes) {
  if (N != static_cast<size_t>(codes)) return false;
  for (int c = 0; c < codes; c++) {
    int seen = 0;
    for (const Named& n : table) seen += n.code == c;
    if (seen != 1) return false;
  }
  for (size_t i = 0; i < N; i++)
    for (size_t j = i + 1; j < N; j++)
      if (sameName(table[i].name, table[j].name)) return false;
  return true;
}
static_assert(oneNameEach(kOpNames, kPrimCount), "every operation needs exactly one name");
static_assert(oneNameEach(kDTypeNames, 4), "every element type needs exactly one name");
static_assert(oneNameEach(kReduceNames, 4), "every reduction needs exactly one name");

// The code of `name` in `table`, or -1.
template <size_t N>
int codeOf(const Named (&table)[N], const std::string& name) {
  for (const Named& n : table)
    if (name == n.name) return n.code;
  return -1;
}

// How a value is held in a register: bool as int32 0/1.
enum Repr : int { kRF32, kRF64, kRI32 };
Repr reprOf(int dtype) { return dtype == kF32 ? kRF32 : dtype == kF64 ? kRF64 : kRI32; }
size_t reprBytes(Repr r) { return r == kRF64 ? 8 : 4; }
size_t storageBytes(int dtype) { return dtype == kF64 ? 8 : dtype == kBool ? 1 : 4; }

struct Input {
  int dtype;
  int slot;
  int64_t offset;
  int64_t strides[kMaxDims];
  bool bounded;
  int64_t lo[kMaxDims], hi[kMaxDims];
  bool scalar;  // one element for the whole loop
  bool flat;    // laid out as the loop itself: element e at offset + e
  bool zero;    // padding covers everything: no element is read
  int64_t minIndex, maxIndex;
};

struct Slot {
  int dtype;
  Repr repr;
  int input = -1;        // an input's slot
  bool literal = false;  // a literal's slot (value)
  double value = 0;
  bool direct = false;   // written in place into an output
  size_t reg = SIZE_MAX; // byte offset of its register in a frame, if it has one
};

struct Output {
  int slot;
  int dtype;
  int reduce;
  int64_t size;
  int64_t strides[kMaxDims];
  bool direct;        // the slot is computed straight into this output
  bool innerReduced;  // a reduction along rows
  bool lanes;         // ... by float32 lanes
};

enum Split { kSplitNone, kSplitRows, kSplitColumns };

}  // namespace

struct FusedKernel {
  int dims;
  int64_t shape[kMaxDims];
  int64_t rows, cols, n;
  std::vector<Input> inputs;
  std::vector<Slot> slots;
  std::vector<Op> ops;
  std::vector<Output> outputs;
  size_t frameBytes = 0;
  Split split = kSplitNone;
};

namespace {

// ---- compiling a description -------------------------------------------------------------------------

class Reader {
 public:
  Reader(const double* d, size_t n) : d_(d), n_(n) {}
  bool ok() const { return ok_; }
  double num() {
    if (i_ >= n_) {
      ok_ = false;
      return 0;
    }
    return d_[i_++];
  }
  // An integer in [lo, hi], or failure.
  int64_t integer(int64_t lo, int64_t hi) {
    const double v = num();
    if (!(v >= static_cast<double>(lo) && v <= static_cast<double>(hi)) || v != std::floor(v)) {
      ok_ = false;
      return lo;
    }
    return static_cast<int64_t>(v);
  }
  bool atEnd() const { return i_ == n_; }

 private:
  const double* d_;
  size_t n_;
  size_t i_ = 0;
  bool ok_ = true;
};

constexpr int64_t kMaxIndex = int64_t(1) << 50;

// Whether a literal is held exactly by a register of `dtype` (the reference uses the number as it is).
bool representable(double v, int dtype) {
  switch (dtype) {
    case kF32:
      return v != v || static_cast<double>(static_cast<float>(v)) == v;
    case kF64:
      return true;
    case kI32:
      return v == std::floor(v) && v >= -2147483648.0 && v <= 2147483647.0;
    default:
      return v == 0 || v == 1;
  }
}

// The operation of a unary primitive on `dtype`, or null: not run natively for that type.
OpFn unaryOp(int prim, int dtype) {
  using namespace fops;
  if (dtype == kF32) switch (prim) {
      case kNeg: return unary<float, float, neg<float>>;
      case kSign: return unary<float, float, vm::sign>;
      case kFloor: return unary<float, float, fops::floor<float>>;
      case kCeil: return unary<float, float, fops::ceil<float>>;
      case kRound: return unary<float, float, fops::round<float>>;
      case kAbs: return unary<float, float, fops::abs<float>>;
      case kSqrt: return unary<float, float, fops::sqrt<float>>;
      case kExp: return unary<float, float, vm::exp>;
      case kLog: return unary<float, float, vm::log>;
      case kExpm1: return unary<float, float, vm::expm1>;
      case kLog1p: return unary<float, float, vm::log1p>;
      case kTanh: return unary<float, float, vm::tanh>;
      case kLogistic: return unary<float, float, vm::logistic>;
      case kSin: return sinCos<true, false>;
      case kCos: return sinCos<false, true>;
      case kTan: return unary<float, float, tanF>;
      case kAsin: return unary<float, float, asinF>;
      case kAcos: return unary<float, float, acosF>;
      case kAtan: return unary<float, float, atanF>;
      case kSinh: return unary<float, float, sinhF>;
      case kCosh: return unary<float, float, coshF>;
      default: return nullptr;
    }
  if (dtype == kF64) switch (prim) {
      // Only what rounds exactly: float64 libm and V8's Math differ in the last bit here and there.
      case kNeg: return unary<double, double, neg<double>>;
      case kSign: return unary<double, double, sign<double>>;
      case kFloor: return unary<double, double, fops::floor<double>>;
      case kCeil: return unary<double, double, fops::ceil<double>>;
      case kRound: return unary<double, double, fops::round<double>>;
      case kAbs: return unary<double, double, fops::abs<double>>;
      case kSqrt: return unary<double, double, fops::sqrt<double>>;
      default: return nullptr;
    }
  if (dtype == kI32) switch (prim) {
      case kNeg: return unary<int32_t, int32_t, negI>;
      case kSign: return unary<int32_t, int32_t, signI>;
      case kAbs: return unary<int32_t, int32_t, absI>;
      default: return nullptr;
    }
  return nullptr;
}

OpFn binaryOp(int prim, int dtype) {
  using namespace fops;
  if (dtype == kF32) switch (prim) {
      case kAdd: return binary<float, float, add<float>>;
      case kSub: return binary<float, float, sub<float>>;
      case kMul: return binary<float, float, mul<float>>;
      case kDiv: return binary<float, float, div<float>>;
      case kMax: return binary<float, float, fops::max<float>>;
      case kMin: return binary<float, float, fops::min<float>>;
      case kPow: return binary<float, float, powF>;
      case kAtan2: return binary<float, float, atan2F>;
      default: return nullptr;
    }
  if (dtype == kF64) switch (prim) {
      case kAdd: return binary<double, double, add<double>>;
      case kSub: return binary<double, double, sub<double>>;
      case kMul: return binary<double, double, mul<double>>;
      case kDiv: return binary<double, double, div<double>>;
      case kMax: return binary<double, double, fops::max<double>>;
      case kMin: return binary<double, double, fops::min<double>>;
      default: return nullptr;
    }
  if (dtype == kI32) switch (prim) {
      case kAdd: return binary<int32_t, int32_t, addI>;
      case kSub: return binary<int32_t, int32_t, subI>;
      case kMul: return binary<int32_t, int32_t, mulI>;
      case kDiv: return binary<int32_t, int32_t, divI>;
      case kMax: return binary<int32_t, int32_t, fops::max<int32_t>>;
      case kMin: return binary<int32_t, int32_t, fops::min<int32_t>>;
      default: return nullptr;
    }
  return nullptr;
}

template <class T>
OpFn compareOpOf(int prim) {
  using namespace fops;
  switch (prim) {
    case kEq: return binary<T, int32_t, eq<T>>;
    case kNe: return binary<T, int32_t, ne<T>>;
    case kLt: return binary<T, int32_t, lt<T>>;
    case kLe: return binary<T, int32_t, le<T>>;
    case kGt: return binary<T, int32_t, gt<T>>;
    case kGe: return binary<T, int32_t, ge<T>>;
    default: return nullptr;
  }
}

OpFn compareOp(int prim, Repr r) {
  return r == kRF32 ? compareOpOf<float>(prim) : r == kRF64 ? compareOpOf<double>(prim) : compareOpOf<int32_t>(prim);
}

OpFn selectOp(Repr r) {
  return r == kRF32 ? fops::select<float> : r == kRF64 ? fops::select<double> : fops::select<int32_t>;
}

// convert_element_type from `from` to `to`; *alias when the value is unchanged (no operation needed).
OpFn convertOp(int from, int to, bool* alias) {
  using namespace fops;
  *alias = from == to || (from == kBool && to == kI32);
  if (*alias) return nullptr;
  switch (to) {
    case kF32:
      return from == kF64 ? unary<double, float, cast<double, float>> : unary<int32_t, float, cast<int32_t, float>>;
    case kF64:
      return from == kF32 ? unary<float, double, cast<float, double>> : unary<int32_t, double, cast<int32_t, double>>;
    case kI32:
      return from == kF32 ? unary<float, int32_t, toI32<float>> : unary<double, int32_t, toI32<double>>;
    default:  // bool
      return from == kF32   ? unary<float, int32_t, toBool<float>>
             : from == kF64 ? unary<double, int32_t, toBool<double>>
                            : unary<int32_t, int32_t, i32ToBool>;
  }
}

class Compiler {
 public:
  Compiler(const double* desc, size_t length, const std::vector<std::string>& names)
      : r_(desc, length), names_(names) {}

  FusedKernel* compile(std::string* why) {
    k_.reset(new FusedKernel());
    const char* fail = shape();
    if (fail == nullptr) fail = inputs();
    if (fail == nullptr) fail = nodes();
    if (fail == nullptr) fail = outputs();
    if (fail == nullptr && !r_.atEnd()) fail = "malformed description";
    if (fail == nullptr) {
      pairSinCos();
      layout();
      return k_.release();
    }
    *why = fail;
    return nullptr;
  }

 private:
  // A field naming something of `table`: its code, or -1 (then the reason is unknownOr()).
  template <size_t N>
  int named(const Named (&table)[N], const char* what) {
    return nameAt(r_.integer(0, static_cast<int64_t>(names_.size()) - 1), table, what);
  }

  template <size_t N>
  int nameAt(int64_t index, const Named (&table)[N], const char* what) {
    if (!r_.ok()) return -1;
    const std::string& name = names_[static_cast<size_t>(index)];
    const int code = codeOf(table, name);
    if (code < 0) unknown_ = std::string(what) + " \"" + name + "\"";
    return code;
  }

  // Why a name was not resolved.
  const char* unknownOr() const { return r_.ok() && !unknown_.empty() ? unknown_.c_str() : "malformed description"; }

  // Loop dims; rows are every index but the last.
  const char* shape() {
    FusedKernel& k = *k_;
    k.dims = static_cast<int>(r_.integer(1, kMaxDims));
    k.n = 1;
    for (int d = 0; d < k.dims; d++) {
      k.shape[d] = r_.integer(1, kMaxIndex);
      if (!r_.ok() || k.n > kMaxIndex / k.shape[d]) return "malformed description";
      k.n *= k.shape[d];
    }
    k.cols = k.shape[k.dims - 1];
    k.rows = k.n / k.cols;
    return r_.ok() ? nullptr : "malformed description";
  }

  const char* inputs() {
    FusedKernel& k = *k_;
    const int64_t count = r_.integer(0, 4096);
    for (int64_t j = 0; j < count && r_.ok(); j++) {
      Input in{};
      in.dtype = named(kDTypeNames, "unknown element type");
      if (in.dtype < 0) return unknownOr();
      in.offset = r_.integer(-kMaxIndex, kMaxIndex);
      for (int d = 0; d < k.dims; d++) in.strides[d] = r_.integer(-kMaxIndex, kMaxIndex);
      in.bounded = r_.integer(0, 1) == 1;
      if (in.bounded) {
        for (int d = 0; d < k.dims; d++) in.lo[d] = r_.integer(0, k.shape[d]);
        for (int d = 0; d < k.dims; d++) in.hi[d] = r_.integer(0, k.shape[d]);
      }
      if (!r_.ok()) break;
      for (int d = 0; d < k.dims; d++)
        if (in.strides[d] > kMaxIndex / k.shape[d] || in.strides[d] < -kMaxIndex / k.shape[d])
          return "malformed description";  // every index stays far from int64 overflow
      classify(in);
      Slot s;
      s.dtype = in.dtype;
      s.repr = reprOf(in.dtype);
      if (in.zero) {
        s.literal = true;
      } else {
        s.input = static_cast<int>(j);
      }
      in.slot = addSlot(s);
      k.inputs.push_back(in);
    }
    return r_.ok() ? nullptr : "malformed description";
  }

  void classify(Input& in) {
    const FusedKernel& k = *k_;
    bool empty = false;
    if (in.bounded)
      for (int d = 0; d < k.dims; d++) empty = empty || in.lo[d] >= in.hi[d];
    in.zero = empty;
    bool scalar = !in.bounded, flat = !in.bounded;
    int64_t contiguous = 1;
    for (int d = k.dims - 1; d >= 0; d--) {
      scalar = scalar && in.strides[d] == 0;
      flat = flat && in.strides[d] == contiguous;
      contiguous *= k.shape[d];
    }
    in.scalar = scalar && !empty;
    in.flat = flat && !empty;
    // The range of elements read: every index of the (bounded) loop.
    in.minIndex = in.maxIndex = in.offset;
    for (int d = 0; d < k.dims && !empty; d++) {
      const int64_t lo = in.bounded ? in.lo[d] : 0;
      const int64_t hi = in.bounded ? in.hi[d] - 1 : k.shape[d] - 1;
      const int64_t a = lo * in.strides[d], b = hi * in.strides[d];
      in.minIndex += std::min(a, b);
      in.maxIndex += std::max(a, b);
    }
  }

  int addSlot(const Slot& s) {
    k_->slots.push_back(s);
    return static_cast<int>(k_->slots.size()) - 1;
  }

  // A literal's slot of `dtype` (shared between uses of one value).
  int literal(double v, int dtype) {
    for (size_t i = 0; i < k_->slots.size(); i++) {
      const Slot& s = k_->slots[i];
      if (s.literal && s.input < 0 && s.dtype == dtype && std::memcmp(&s.value, &v, sizeof v) == 0)
        return static_cast<int>(i);
    }
    Slot s;
    s.dtype = dtype;
    s.repr = reprOf(dtype);
    s.literal = true;
    s.value = v;
    return addSlot(s);
  }

  struct Arg {
    int kind;  // 0 input, 1 node, 2 literal
    double value;
  };

  // The dtype an argument has by itself (literals have none: -1).
  int argDtype(const Arg& a) const {
    if (a.kind == 0) return k_->inputs[static_cast<size_t>(a.value)].dtype;
    if (a.kind == 1) return k_->slots[nodeSlot_[static_cast<size_t>(a.value)]].dtype;
    return -1;
  }

  // The slot of an argument used as `dtype` (literals are made that dtype), or -1 when it cannot be.
  int argSlot(const Arg& a, int dtype) {
    if (a.kind == 2) return representable(a.value, dtype) ? literal(a.value, dtype) : -1;
    const int slot =
        a.kind == 0 ? k_->inputs[static_cast<size_t>(a.value)].slot : nodeSlot_[static_cast<size_t>(a.value)];
    return reprOf(k_->slots[slot].dtype) == reprOf(dtype) && (k_->slots[slot].dtype == dtype || dtype != kBool)
               ? slot
               : -1;
  }

  bool readArg(Arg* a, size_t nodes) {
    a->kind = static_cast<int>(r_.integer(0, 2));
    a->value = r_.num();
    if (!r_.ok()) return false;
    if (a->kind == 2) return true;
    const size_t limit = a->kind == 0 ? k_->inputs.size() : nodes;
    return a->value >= 0 && a->value < static_cast<double>(limit) && a->value == std::floor(a->value);
  }

  const char* nodes() {
    const int64_t count = r_.integer(0, 1 << 16);
    for (int64_t i = 0; i < count; i++) {
      const int prim = named(kOpNames, "unknown operation");
      if (prim < 0) return unknownOr();
      const int dtype = named(kDTypeNames, "unknown element type");
      if (dtype < 0) return unknownOr();
      const int64_t nargs = r_.integer(1, 3);
      Arg args[3];
      for (int64_t j = 0; j < nargs; j++)
        if (!readArg(&args[j], static_cast<size_t>(i))) return "malformed description";
      if (!r_.ok()) return "malformed description";
      const char* fail = node(prim, dtype, args, static_cast<int>(nargs));
      if (fail != nullptr) return fail;
    }
    return r_.ok() ? nullptr : "malformed description";
  }

  // Appends the node's slot and operation.
  const char* node(int prim, int dtype, const Arg* args, int nargs) {
    Op op{nullptr, -1, -1, -1, -1, -1};
    bool alias = false;
    if (prim < kAdd) {  // unary
      if (nargs != 1 || dtype == kBool) return "unsupported node";
      op.a = argSlot(args[0], dtype);
      alias = prim == kStopGradient || (dtype == kI32 && (prim == kFloor || prim == kCeil || prim == kRound));
      if (!alias) op.fn = unaryOp(prim, dtype);
    } else if (prim < kEq) {  // binary
      if (nargs != 2 || dtype == kBool) return "unsupported node";
      op.a = argSlot(args[0], dtype);
      op.b = argSlot(args[1], dtype);
      op.fn = binaryOp(prim, dtype);
    } else if (prim < kSelectN) {  // comparison
      if (nargs != 2 || dtype != kBool) return "unsupported node";
      int t = argDtype(args[0]);
      if (t < 0) t = argDtype(args[1]);
      if (t < 0) return "unsupported node";
      op.a = argSlot(args[0], t);
      op.b = argSlot(args[1], t);
      op.fn = compareOp(prim, reprOf(t));
    } else if (prim == kSelectN) {
      if (nargs != 3) return "unsupported node";
      const int pt = argDtype(args[0]);
      op.a = argSlot(args[0], pt == kI32 ? kI32 : kBool);
      op.b = argSlot(args[1], dtype);
      op.c = argSlot(args[2], dtype);
      op.fn = selectOp(reprOf(dtype));
    } else {  // convert_element_type
      if (nargs != 1) return "unsupported node";
      const int from = argDtype(args[0]);
      if (from < 0) return "unsupported node";
      op.a = argSlot(args[0], from);
      op.fn = convertOp(from, dtype, &alias);
    }
    if (op.a < 0 || (op.b < 0 && prim >= kAdd && prim < kSelectN) || (prim == kSelectN && (op.b < 0 || op.c < 0)))
      return "unsupported operand";
    if (op.fn == nullptr && !alias) return "unsupported primitive";
    Slot s;
    s.dtype = dtype;
    s.repr = reprOf(dtype);
    op.dst = addSlot(s);
    nodeSlot_.push_back(op.dst);
    nodePrim_.push_back(prim);
    k_->ops.push_back(op);
    return nullptr;
  }

  const char* outputs() {
    FusedKernel& k = *k_;
    const int64_t count = r_.integer(1, 1024);
    for (int64_t j = 0; j < count && r_.ok(); j++) {
      Arg a;
      if (!readArg(&a, nodeSlot_.size())) return "malformed description";
      Output o{};
      o.dtype = named(kDTypeNames, "unknown element type");
      if (o.dtype < 0) return unknownOr();
      // −1: a store; else the reduction's name.
      const int64_t reduce = r_.integer(-1, static_cast<int64_t>(names_.size()) - 1);
      o.reduce = reduce < 0 ? kStore : nameAt(reduce, kReduceNames, "unknown reduction");
      if (reduce >= 0 && o.reduce < 0) return unknownOr();
      o.size = r_.integer(1, kMaxIndex);
      if (o.reduce != kStore)
        for (int d = 0; d < k.dims; d++) o.strides[d] = r_.integer(0, kMaxIndex);
      if (!r_.ok()) break;
      const int t = a.kind == 2 ? o.dtype : argDtype(a);
      if (t != o.dtype) return "unsupported output";
      o.slot = argSlot(a, t);
      if (o.slot < 0) return "unsupported output";
      if (o.reduce == kStore) {
        if (o.size != k.n) return "malformed description";
      } else {

        int64_t last = 0;
        for (int d = 0; d < k.dims; d++) {
          if (o.strides[d] > kMaxIndex / k.shape[d]) return "malformed description";
          last += (k.shape[d] - 1) * o.strides[d];
        }
        if (last >= o.size) return "malformed description";
        o.innerReduced = o.strides[k.dims - 1] == 0;
        o.lanes = o.innerReduced && o.dtype == kF32 && o.reduce != kProd && k.cols >= kLanesMinColumns;
      }
      k.outputs.push_back(o);
    }
    if (!r_.ok()) return "malformed description";
    directWrites();
    chooseSplit();
    return nullptr;
  }

  // A stored output whose value an operation computes (not an alias) in the output's own representation
  // receives that operation's results directly.
  void directWrites() {
    FusedKernel& k = *k_;
    std::vector<bool> computed(k.slots.size(), false);
    for (const Op& op : k.ops)
      if (op.fn != nullptr) computed[static_cast<size_t>(op.dst)] = true;
    for (Output& o : k.outputs) {
      Slot& s = k.slots[static_cast<size_t>(o.slot)];
      if (o.reduce == kStore && computed[static_cast<size_t>(o.slot)] && !s.direct && o.dtype != kBool &&
          s.dtype == o.dtype) {
        s.direct = true;
        o.direct = true;
      }
    }
  }

  void chooseSplit() {
    FusedKernel& k = *k_;
    bool foldsRows = false, foldsColumns = false;
    for (const Output& o : k.outputs) {
      if (o.reduce == kStore) continue;
      foldsColumns = foldsColumns || o.innerReduced;
      for (int d = 0; d + 1 < k.dims; d++) foldsRows = foldsRows || o.strides[d] == 0;
    }
    if (!foldsRows && k.rows >= 2)
      k.split = kSplitRows;
    else if (!foldsColumns && k.cols >= 2 * kColumnAlign)
      k.split = kSplitColumns;
    else
      k.split = kSplitNone;
  }

  // sin and cos of one operand become one operation (one argument reduction), at the earlier one's place.
  void pairSinCos() {
    FusedKernel& k = *k_;
    std::vector<bool> paired(k.ops.size(), false);
    for (size_t i = 0; i < k.ops.size(); i++) {
      if (nodePrim_[i] != kSin || paired[i]) continue;
      for (size_t j = 0; j < k.ops.size(); j++) {
        if (nodePrim_[j] != kCos || paired[j] || k.ops[j].a != k.ops[i].a) continue;
        const size_t first = std::min(i, j), second = std::max(i, j);
        const Op both{fops::sinCos<true, true>, k.ops[i].dst, k.ops[j].dst, k.ops[i].a, -1, -1};
        k.ops[first] = both;
        k.ops[second].dst = -1;  // computed with the other
        paired[i] = paired[j] = true;
        break;
      }
    }
    std::vector<Op> kept;
    for (const Op& op : k.ops)
      if (op.dst >= 0) kept.push_back(op);
    k.ops.swap(kept);
  }

  // Registers: every slot that is neither written in place nor the same as another slot has one while it
  // is live, and slots whose lives do not overlap share one, so a long loop's registers stay in the L1
  // cache (a register is a block of kBlock values). An input's register is live from the block's start,
  // an operation's result from that operation, each until its last reader; a literal's and a scalar
  // input's (filled once per frame) for the whole run, and a slot an output stores or reduces until the
  // block's end. A result never shares with an operand of its own operation.
  void layout() {
    FusedKernel& k = *k_;
    const size_t ns = k.slots.size();
    const int end = static_cast<int>(k.ops.size());
    // An alias reads its source's register: follow aliases to the slot that owns the register.
    std::vector<int> owner(ns);
    for (size_t i = 0; i < ns; i++) owner[i] = static_cast<int>(i);
    for (const Op& op : k.ops)
      if (op.fn == nullptr) owner[static_cast<size_t>(op.dst)] = owner[static_cast<size_t>(op.a)];
    std::vector<int> last(ns, -1);
    const auto read = [&](int slot, int at) {
      if (slot < 0) return;
      int& l = last[static_cast<size_t>(owner[static_cast<size_t>(slot)])];
      l = std::max(l, at);
    };
    for (int i = 0; i < end; i++) {
      const Op& op = k.ops[static_cast<size_t>(i)];
      if (op.fn == nullptr) continue;
      read(op.a, i), read(op.b, i), read(op.c, i);
    }
    for (const Output& o : k.outputs) read(o.slot, end);
    std::vector<bool> pinned(ns, false);
    for (size_t i = 0; i < ns; i++) pinned[i] = k.slots[i].literal;
    for (const Input& x : k.inputs)
      if (x.scalar) pinned[static_cast<size_t>(x.slot)] = true;
    // Free registers by size in bytes (4 or 8 per value), and the registers to free after each operation.
    std::vector<size_t> free4, free8;
    std::vector<std::vector<int>> dies(static_cast<size_t>(end) + 2);
    size_t at = 0;
    const auto assign = [&](int slot, int defined) {
      Slot& s = k.slots[static_cast<size_t>(slot)];
      if (s.direct || owner[static_cast<size_t>(slot)] != slot || s.reg != SIZE_MAX) return;
      const size_t bytes = reprBytes(s.repr);
      std::vector<size_t>& pool = bytes == 8 ? free8 : free4;
      if (!pinned[static_cast<size_t>(slot)] && !pool.empty()) {
        s.reg = pool.back();
        pool.pop_back();
      } else {
        s.reg = at;
        at += static_cast<size_t>(kBlock) * bytes;
      }
      if (!pinned[static_cast<size_t>(slot)])
        dies[static_cast<size_t>(std::max(last[static_cast<size_t>(slot)], defined) + 1)].push_back(slot);
    };
    const auto release = [&](int when) {
      for (int slot : dies[static_cast<size_t>(when)]) {
        const Slot& s = k.slots[static_cast<size_t>(slot)];
        (reprBytes(s.repr) == 8 ? free8 : free4).push_back(s.reg);
      }
    };
    for (size_t i = 0; i < ns; i++)
      if (pinned[i]) assign(static_cast<int>(i), -1);
    for (const Input& x : k.inputs)
      if (!x.zero && !x.scalar) assign(x.slot, -1);
    // A slot dying at index j (its last reader is operation j − 1) is free for operation j's result.
    release(0);
    for (int i = 0; i < end; i++) {
      const Op& op = k.ops[static_cast<size_t>(i)];
      if (op.fn != nullptr) {
        assign(op.dst, i);
        if (op.dst2 >= 0) assign(op.dst2, i);
      }
      release(i + 1);
    }
    k.frameBytes = at;
  }

  Reader r_;
  const std::vector<std::string>& names_;
  std::string unknown_;  // why a name was not resolved
  std::unique_ptr<FusedKernel> k_;
  std::vector<int> nodeSlot_;
  std::vector<int> nodePrim_;
};

// ---- running -----------------------------------------------------------------------------------------

// Whether a padded input has data in the row of multi-index idx (its bounds along every row dimension).
bool rowInside(const Input& x, const int64_t* idx, int dims) {
  for (int d = 0; d + 1 < dims; d++)
    if (idx[d] < x.lo[d] || idx[d] >= x.hi[d]) return false;
  return true;
}

// The position of a block's first row: its multi-index and, per input and per reduction, the element of
// column 0 (RowWalk follows one operand through the block's further rows).
struct Cursor {
  int64_t row = 0;
  int64_t idx[kMaxDims];
  std::vector<int64_t> in;
  std::vector<int64_t> out;

  void seek(const FusedKernel& k, int64_t r) {
    row = r;
    for (int d = k.dims - 2; d >= 0; d--) {
      idx[d] = r % k.shape[d];
      r /= k.shape[d];
    }
    in.resize(k.inputs.size());
    out.resize(k.outputs.size());
    for (size_t j = 0; j < k.inputs.size(); j++) {
      int64_t b = k.inputs[j].offset;
      for (int d = 0; d + 1 < k.dims; d++) b += idx[d] * k.inputs[j].strides[d];
      in[j] = b;
    }
    for (size_t j = 0; j < k.outputs.size(); j++) {
      int64_t b = 0;
      if (k.outputs[j].reduce != kStore)
        for (int d = 0; d + 1 < k.dims; d++) b += idx[d] * k.outputs[j].strides[d];
      out[j] = b;
    }
  }

};

struct Segment {
  int64_t row, col, len, pos;  // columns [col, col + len) of `row` at block position pos
};

// Per-thread state: slot pointers for the current block, registers, reduction lanes.
struct Frame {
  std::vector<void*> slot;
  std::vector<Segment> segs;
  Cursor cur;
  std::vector<double> lanes;      // kLanes per output
  std::vector<uint8_t> zeroSeen;  // per output: the current row has had a zero
  std::vector<double> firstZero;  // ... and the first one was this (±0)
  char* regs = nullptr;
  size_t capacity = 0;

  ~Frame() { std::free(regs); }

  bool prepare(const FusedKernel& k) {
    if (capacity < k.frameBytes) {
      std::free(regs);
      capacity = 0;
      regs = static_cast<char*>(std::aligned_alloc(64, (k.frameBytes + 63) & ~size_t(63)));
      if (regs == nullptr) return false;
      capacity = k.frameBytes;
    }
    slot.assign(k.slots.size(), nullptr);
    for (size_t i = 0; i < k.slots.size(); i++)
      if (k.slots[i].reg != SIZE_MAX) slot[i] = regs + k.slots[i].reg;
    segs.resize(static_cast<size_t>(kBlock));
    lanes.resize(k.outputs.size() * kLanes);
    zeroSeen.assign(k.outputs.size(), 0);
    firstZero.assign(k.outputs.size(), 0);
    return true;
  }
};

// The values of every array of a run.
struct Job {
  const FusedKernel* k;
  const FusedArray* ins;
  const FusedArray* outs;
  std::vector<double*> acc;  // per reduction: its float64 accumulators
  std::atomic<bool> failed{false};
};

template <class T>
void fill(void* dst, T v, int64_t n) {
  T* p = static_cast<T*>(dst);
  for (int64_t i = 0; i < n; i++) p[i] = v;
}

// A register holding one value everywhere (literals, scalar inputs).
void fillSlot(void* reg, Repr r, double v, int64_t n) {
  if (r == kRF32)
    fill(reg, static_cast<float>(v), n);
  else if (r == kRF64)
    fill(reg, v, n);
  else
    fill(reg, static_cast<int32_t>(v), n);
}

double elementAt(const FusedArray& a, int64_t i) {
  switch (a.dtype) {
    case kF32: return static_cast<const float*>(a.data)[i];
    case kF64: return static_cast<const double*>(a.data)[i];
    case kI32: return static_cast<const int32_t*>(a.data)[i];
    default: return static_cast<const uint8_t*>(a.data)[i];
  }
}

// The successive rows of one operand: the multi-index of the row and the element of its column 0.
struct RowWalk {
  int64_t row;
  int64_t base;
  int64_t idx[kMaxDims];

  RowWalk(const Cursor& c, int dims, int64_t base0) : row(c.row), base(base0) {
    std::copy(c.idx, c.idx + std::max(dims - 1, 0), idx);
  }

  // Moves on to row r (≥ row) of an operand with these strides.
  void to(const FusedKernel& k, const int64_t* strides, int64_t r) {
    for (; row < r; row++)
      for (int d = k.dims - 2; d >= 0; d--) {
        base += strides[d];
        if (++idx[d] < k.shape[d]) break;
        base -= strides[d] * k.shape[d];
        idx[d] = 0;
      }
  }

};

// n elements src[0], src[stride], … into dst (bool bytes widen to int32). Rows can be a few elements long,
// so the call stays light.
template <class S, class D>
inline void copyStrided(const S* __restrict src, int64_t stride, D* __restrict dst, int64_t n) {
  if (stride == 1)
    for (int64_t i = 0; i < n; i++) dst[i] = static_cast<D>(src[i]);
  else if (stride == 0)
    fill(dst, static_cast<D>(src[0]), n);
  else
    for (int64_t i = 0; i < n; i++) dst[i] = static_cast<D>(src[i * stride]);
}

// An input's part of the block, segment by segment, into its register; zeros where padding hides it.
template <class S, class D>
void gatherInput(const FusedKernel& k, const Input& x, RowWalk w, const S* src, const Segment* segs, int nseg,
                 D* dst) {
  const int last = k.dims - 1;
  const int64_t stride = x.strides[last];
  for (int i = 0; i < nseg; i++) {
    const Segment& g = segs[i];
    w.to(k, x.strides, g.row);
    int64_t lo = g.col, hi = g.col + g.len;
    if (x.bounded) {
      const bool inside = rowInside(x, w.idx, k.dims);
      lo = std::max(lo, x.lo[last]);
      hi = std::min(hi, x.hi[last]);
      if (!inside || lo >= hi) {
        fill(dst + g.pos, D(0), g.len);
        continue;
      }
      fill(dst + g.pos, D(0), lo - g.col);
      fill(dst + g.pos + (hi - g.col), D(0), g.col + g.len - hi);
    }
    copyStrided(src + w.base + lo * stride, stride, dst + g.pos + (lo - g.col), hi - lo);
  }
}

void gather(const FusedKernel& k, const Input& x, const RowWalk& w, const FusedArray& a, const Segment* segs,
            int nseg, void* reg) {
  switch (x.dtype) {
    case kF32:
      return gatherInput(k, x, w, static_cast<const float*>(a.data), segs, nseg, static_cast<float*>(reg));
    case kF64:
      return gatherInput(k, x, w, static_cast<const double*>(a.data), segs, nseg, static_cast<double*>(reg));
    case kI32:
      return gatherInput(k, x, w, static_cast<const int32_t*>(a.data), segs, nseg, static_cast<int32_t*>(reg));
    default:
      return gatherInput(k, x, w, static_cast<const uint8_t*>(a.data), segs, nseg, static_cast<int32_t*>(reg));
  }
}

// Points every input's slot at its part of the block: in place when the block is contiguous in the array
// (in the array's own type), else gathered into the input's register.
void loadInputs(const FusedKernel& k, Frame& f, const Job& job, int nseg, int64_t flatStart) {
  const Segment& s0 = f.segs[0];
  const int last = k.dims - 1;
  for (size_t j = 0; j < k.inputs.size(); j++) {
    const Input& x = k.inputs[j];
    if (x.zero || x.scalar) continue;
    const int64_t bytes = static_cast<int64_t>(storageBytes(x.dtype));
    char* base = static_cast<char*>(job.ins[j].data);
    if (x.dtype != kBool) {
      if (x.flat) {
        f.slot[x.slot] = base + (x.offset + flatStart) * bytes;
        continue;
      }
      const bool whole = !x.bounded || (rowInside(x, f.cur.idx, k.dims) && x.lo[last] <= s0.col &&
                                         s0.col + s0.len <= x.hi[last]);
      if (nseg == 1 && x.strides[last] == 1 && whole) {
        f.slot[x.slot] = base + (f.cur.in[j] + s0.col) * bytes;
        continue;
      }
    }
    void* reg = f.regs + k.slots[x.slot].reg;
    f.slot[x.slot] = reg;
    gather(k, x, RowWalk(f.cur, k.dims, f.cur.in[j]), job.ins[j], f.segs.data(), nseg, reg);
  }
}

// A stored output that is not written in place: the slot's block, converted to the output's storage.
template <class S, class D>
void copyRun(const void* src, void* dst, int64_t n) {
  const S* __restrict p = static_cast<const S*>(src);
  D* __restrict q = static_cast<D*>(dst);
  for (int64_t i = 0; i < n; i++) q[i] = static_cast<D>(p[i]);
}

void store(const Output& o, const void* src, const FusedArray& a, int64_t at, int64_t n) {
  char* dst = static_cast<char*>(a.data) + at * static_cast<int64_t>(storageBytes(o.dtype));
  switch (o.dtype) {
    case kF32: return copyRun<float, float>(src, dst, n);
    case kF64: return copyRun<double, double>(src, dst, n);
    case kI32: return copyRun<int32_t, int32_t>(src, dst, n);
    default: return copyRun<int32_t, uint8_t>(src, dst, n);
  }
}

// ---- reductions --------------------------------------------------------------------------------------

template <int R>
inline double step(double a, double v) {
  if (R == kSum) return a + v;
  if (R == kProd) return a * v;
  if (R == kMaxR) return v > a || v != v ? v : a;
  return v < a || v != v ? v : a;
}

template <int R>
constexpr double initial() {
  return R == kSum ? 0.0 : R == kProd ? 1.0 : R == kMaxR ? -__builtin_inf() : __builtin_inf();
}

double initialOf(int reduce) {
  switch (reduce) {
    case kSum: return initial<kSum>();
    case kProd: return initial<kProd>();
    case kMaxR: return initial<kMaxR>();
    default: return initial<kMinR>();
  }
}

// acc[i·stride] ← acc[i·stride] ⊕ v[i]: one more value for each of n output elements, in loop order.
template <int R, class T>
void foldKept(const T* __restrict v, double* __restrict acc, int64_t stride, int64_t n) {
  if (stride == 1)
    for (int64_t i = 0; i < n; i++) acc[i] = step<R>(acc[i], static_cast<double>(v[i]));
  else
    for (int64_t i = 0; i < n; i++) acc[i * stride] = step<R>(acc[i * stride], static_cast<double>(v[i]));
}

// a ⊕ v[0] ⊕ … ⊕ v[n−1] in order: a chain of dependent operations, which vector code only slows down on
// the short rows that take this path.
template <int R, class T>
__attribute__((optimize("no-tree-vectorize"))) double foldInOrder(const T* v, double a, int64_t n) {
  for (int64_t i = 0; i < n; i++) a = step<R>(a, static_cast<double>(v[i]));
  return a;
}

// Columns col … col + n − 1 of a row into lanes[column mod kLanes].
template <int R>
void foldLanes(const float* __restrict v, int64_t col, int64_t n, double* __restrict lanes) {
  double l[kLanes];
  std::memcpy(l, lanes, sizeof l);
  int64_t i = 0;
  for (; i < n && ((col + i) % kLanes) != 0; i++) l[(col + i) % kLanes] = step<R>(l[(col + i) % kLanes], v[i]);
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; j++) l[j] = step<R>(l[j], static_cast<double>(v[i + j]));
  for (; i < n; i++) l[(col + i) % kLanes] = step<R>(l[(col + i) % kLanes], v[i]);
  std::memcpy(lanes, l, sizeof l);
}

// The lanes combined in a fixed order (pairwise for sums).
template <int R>
double combineLanes(const double* l) {
  if (R == kSum) {
    double t[kLanes];
    std::memcpy(t, l, sizeof t);
    for (int w = kLanes / 2; w >= 1; w /= 2)
      for (int j = 0; j < w; j++) t[j] = t[j] + t[j + w];
    return t[0];
  }
  double m = l[0];
  for (int j = 1; j < kLanes; j++) m = step<R>(m, l[j]);
  return m;
}

// Records the row's first zero (its sign decides a maximum or minimum that comes out as zero).
void trackZero(const float* v, int64_t n, uint8_t* seen, double* first) {
  int any = 0;
  for (int64_t i = 0; i < n; i++) any |= v[i] == 0.0f;
  if (!any) return;
  for (int64_t i = 0; i < n; i++)
    if (v[i] == 0.0f) {
      *seen = 1;
      *first = v[i];
      return;
    }
}

// One segment of a reduction's values; w is the output element of the segment's column 0.
template <int R, class T>
void reduceSegment(const FusedKernel& k, size_t oi, Frame& f, double* acc, const Segment& s, const T* v,
                   int64_t w) {
  const Output& o = k.outputs[oi];
  if (!o.innerReduced) {
    const int64_t stride = o.strides[k.dims - 1];
    foldKept<R>(v, acc + w + s.col * stride, stride, s.len);
    return;
  }
  if constexpr (std::is_same<T, float>::value && R != kProd) {
    if (o.lanes) {
      double* l = &f.lanes[oi * kLanes];
      foldLanes<R>(v, s.col, s.len, l);
      if (R != kSum && !f.zeroSeen[oi]) trackZero(v, s.len, &f.zeroSeen[oi], &f.firstZero[oi]);
      if (s.col + s.len < k.cols) return;  // the row goes on in the next block
      double m = combineLanes<R>(l);
      if (R != kSum && m == 0 && f.zeroSeen[oi]) m = f.firstZero[oi];
      acc[w] = step<R>(acc[w], m);
      std::fill(l, l + kLanes, initial<R>());
      f.zeroSeen[oi] = 0;
      return;
    }
  }
  acc[w] = foldInOrder<R>(v, acc[w], s.len);
}

template <int R, class T>
void reduceOutput(const FusedKernel& k, size_t oi, Frame& f, double* acc, const T* v, int nseg) {
  const Output& o = k.outputs[oi];
  RowWalk w(f.cur, k.dims, f.cur.out[oi]);
  if (o.innerReduced && !o.lanes) {
    // Each row into one output element, in order (the common case of many short rows).
    for (int i = 0; i < nseg; i++) {
      const Segment& s = f.segs[static_cast<size_t>(i)];
      w.to(k, o.strides, s.row);
      acc[w.base] = foldInOrder<R>(v + s.pos, acc[w.base], s.len);
    }
    return;
  }
  for (int i = 0; i < nseg; i++) {
    const Segment& s = f.segs[static_cast<size_t>(i)];
    w.to(k, o.strides, s.row);
    reduceSegment<R>(k, oi, f, acc, s, v + s.pos, w.base);
  }
}

template <int R>
void reduceOutputOf(const FusedKernel& k, size_t oi, Frame& f, double* acc, int nseg) {
  const Output& o = k.outputs[oi];
  const void* v = f.slot[o.slot];
  if (o.dtype == kF32)
    reduceOutput<R>(k, oi, f, acc, static_cast<const float*>(v), nseg);
  else if (o.dtype == kF64)
    reduceOutput<R>(k, oi, f, acc, static_cast<const double*>(v), nseg);
  else
    reduceOutput<R>(k, oi, f, acc, static_cast<const int32_t*>(v), nseg);
}

void reduceBlock(const FusedKernel& k, Frame& f, const Job& job, int nseg) {
  for (size_t oi = 0; oi < k.outputs.size(); oi++) {
    double* acc = job.acc[oi];
    switch (k.outputs[oi].reduce) {
      case kSum: reduceOutputOf<kSum>(k, oi, f, acc, nseg); break;
      case kMaxR: reduceOutputOf<kMaxR>(k, oi, f, acc, nseg); break;
      case kMinR: reduceOutputOf<kMinR>(k, oi, f, acc, nseg); break;
      case kProd: reduceOutputOf<kProd>(k, oi, f, acc, nseg); break;
      default: break;
    }
  }
}

// ---- blocks, regions, threads ------------------------------------------------------------------------

// One block: f.segs[0, nseg) hold `filled` elements, consecutive in the loop's order.
void runBlock(const FusedKernel& k, Frame& f, const Job& job, int nseg, int64_t filled) {
  const int64_t flatStart = f.segs[0].row * k.cols + f.segs[0].col;
  bool reduces = false;
  for (size_t oi = 0; oi < k.outputs.size(); oi++) {
    const Output& o = k.outputs[oi];
    reduces = reduces || o.reduce != kStore;
    if (o.direct)
      f.slot[o.slot] = static_cast<char*>(job.outs[oi].data) + flatStart * static_cast<int64_t>(storageBytes(o.dtype));
  }
  loadInputs(k, f, job, nseg, flatStart);
  void* const* slot = f.slot.data();
  for (const Op& op : k.ops) {
    if (op.fn != nullptr)
      op.fn(slot, op, filled);
    else
      f.slot[op.dst] = f.slot[op.a];
  }
  for (size_t oi = 0; oi < k.outputs.size(); oi++) {
    const Output& o = k.outputs[oi];
    if (o.reduce == kStore && !o.direct) store(o, f.slot[o.slot], job.outs[oi], flatStart, filled);
  }
  if (reduces) reduceBlock(k, f, job, nseg);
}

// Rows [r0, r1) × columns [c0, c1). Blocks run on across rows only when the region has whole rows, so
// every block is one run of consecutive loop elements.
void runRegion(const FusedKernel& k, Frame& f, const Job& job, int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
  if (r0 >= r1 || c0 >= c1) return;
  const bool wholeRows = c0 == 0 && c1 == k.cols;
  f.cur.seek(k, r0);
  int64_t col = c0;
  while (f.cur.row < r1) {
    int nseg = 0;
    int64_t filled = 0, row = f.cur.row;
    while (filled < kBlock && row < r1) {
      const int64_t take = std::min(c1 - col, kBlock - filled);
      f.segs[static_cast<size_t>(nseg++)] = Segment{row, col, take, filled};
      filled += take;
      col += take;
      if (col == c1) {
        row++;
        col = c0;
      }
      if (!wholeRows) break;
    }
    runBlock(k, f, job, nseg, filled);
    if (row >= r1) break;
    if (row != f.cur.row) f.cur.seek(k, row);
  }
}

// Per thread: registers holding one value (literals, scalar inputs) and reduction lanes.
void initFrame(const FusedKernel& k, Frame& f, const Job& job) {
  const int64_t n = std::min(kBlock, k.n);
  for (const Slot& s : k.slots) {
    if (s.reg == SIZE_MAX) continue;
    if (s.literal) fillSlot(f.regs + s.reg, s.repr, s.value, n);
  }
  for (size_t j = 0; j < k.inputs.size(); j++) {
    const Input& x = k.inputs[j];
    if (x.scalar) {
      const Slot& s = k.slots[x.slot];
      fillSlot(f.regs + s.reg, s.repr, elementAt(job.ins[j], x.offset), n);
      f.slot[x.slot] = f.regs + s.reg;
    }
  }
  for (size_t oi = 0; oi < k.outputs.size(); oi++)
    if (k.outputs[oi].reduce != kStore)
      std::fill(&f.lanes[oi * kLanes], &f.lanes[oi * kLanes] + kLanes, initialOf(k.outputs[oi].reduce));
}

// Frames are kept for reuse (their registers stay allocated and their pages touched). A free list rather
// than thread_local storage: TLS in a dlopen()ed module goes through __tls_get_addr, which can take a lock,
// and costs more than a small kernel.
class FramePool {
 public:
  std::unique_ptr<Frame> take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::unique_ptr<Frame>(new Frame());
    std::unique_ptr<Frame> f = std::move(free_.back());
    free_.pop_back();
    return f;
  }
  void give(std::unique_ptr<Frame> f) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(f));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<Frame>> free_;
};

// Never freed: worker threads may use it while the process exits.
FramePool& framePool() {
  static FramePool* pool = new FramePool();
  return *pool;
}

// Part `part` of `parts` of the loop, as rows [r0, r1) × columns [c0, c1).
void regionOf(const FusedKernel& k, int part, int parts, int64_t* r, int64_t* c) {
  const int64_t p = part, q = parts;
  r[0] = 0, r[1] = k.rows, c[0] = 0, c[1] = k.cols;
  if (k.split == kSplitRows) {
    r[0] = k.rows * p / q;
    r[1] = k.rows * (p + 1) / q;
  } else if (k.split == kSplitColumns) {
    const int64_t units = (k.cols + kColumnAlign - 1) / kColumnAlign;
    c[0] = std::min(k.cols, units * p / q * kColumnAlign);
    c[1] = std::min(k.cols, units * (p + 1) / q * kColumnAlign);
  }
}

void runPart(void* arg, int part, int parts) {
  Job& job = *static_cast<Job*>(arg);
  const FusedKernel& k = *job.k;
  std::unique_ptr<Frame> frame = framePool().take();
  if (frame->prepare(k)) {
    int64_t r[2], c[2];
    regionOf(k, part, parts, r, c);
    initFrame(k, *frame, job);
    runRegion(k, *frame, job, r[0], r[1], c[0], c[1]);
  } else {
    job.failed = true;
  }
  framePool().give(std::move(frame));
}

// Parts of about kPartElements each, at least one per thread: parts are claimed by whichever thread is free
// (pool.h), so many small ones keep a thread that loses its core from holding the loop up. A part of a column
// split keeps at least a block's width of columns, since its blocks cannot run on across rows.
int partsFor(const FusedKernel& k, int threads) {
  if (threads <= 1 || k.split == kSplitNone) return 1;
  int64_t most = k.rows, want = k.n / kPartElements;
  if (k.split == kSplitColumns) {
    most = (k.cols + kColumnAlign - 1) / kColumnAlign;
    want = std::min(want, k.cols / kBlock);
  }
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(std::max<int64_t>(threads, want), most)));
}

// The float64 accumulators rounded or cast as the reference casts them (castArray: int32 truncates and
// wraps, bool is "nonzero").
void finishReduction(const Output& o, const double* acc, void* out) {
  const int64_t n = o.size;
  switch (o.dtype) {
    case kF32: return copyRun<double, float>(acc, out, n);
    case kI32: {
      int32_t* q = static_cast<int32_t*>(out);
      for (int64_t i = 0; i < n; i++) q[i] = fops::toInt32(acc[i]);
      return;
    }
    default: {
      uint8_t* q = static_cast<uint8_t*>(out);
      for (int64_t i = 0; i < n; i++) q[i] = acc[i] != 0;
      return;
    }
  }
}

bool overlap(const FusedArray& a, const FusedArray& b) {
  const uintptr_t a0 = reinterpret_cast<uintptr_t>(a.data), b0 = reinterpret_cast<uintptr_t>(b.data);
  const uintptr_t a1 = a0 + a.length * storageBytes(a.dtype), b1 = b0 + b.length * storageBytes(b.dtype);
  return a0 < b1 && b0 < a1;
}

const char* checkArrays(const FusedKernel& k, const FusedArray* ins, size_t nIn, const FusedArray* outs,
                        size_t nOut) {
  if (nIn != k.inputs.size() || nOut != k.outputs.size()) return "wrong number of arrays";
  for (size_t j = 0; j < nIn; j++) {
    const Input& x = k.inputs[j];
    if (ins[j].dtype != x.dtype) return "an input has the wrong type";
    if (!x.zero && (x.minIndex < 0 || x.maxIndex >= static_cast<int64_t>(ins[j].length)))
      return "an input is shorter than the loop reads";
  }
  for (size_t j = 0; j < nOut; j++) {
    const Output& o = k.outputs[j];
    if (outs[j].dtype != o.dtype) return "an output has the wrong type";
    if (static_cast<int64_t>(outs[j].length) < (o.reduce == kStore ? k.n : o.size)) return "an output is too short";
    // Blocks are computed into outputs in place, ahead of later operations' reads of the inputs.
    for (size_t i = 0; i < nIn; i++)
      if (overlap(outs[j], ins[i])) return "an output overlaps an input";
  }
  return nullptr;
}

}  // namespace

FusedKernel* fusedCompile(const double* desc, size_t length, const std::vector<std::string>& names,
                          std::string* why) {
  return Compiler(desc, length, names).compile(why);
}

std::vector<std::string> fusedOps() {
  std::vector<std::string> names;
  for (const Named& n : kOpNames) names.push_back(n.name);
  return names;
}

void fusedFree(FusedKernel* kernel) { delete kernel; }

const char* fusedRun(const FusedKernel& k, const FusedArray* ins, size_t nIn, const FusedArray* outs, size_t nOut,
                     int threads) {
  const char* bad = checkArrays(k, ins, nIn, outs, nOut);
  if (bad != nullptr) return bad;
  Job job;
  job.k = &k;
  job.ins = ins;
  job.outs = outs;
  // Reductions accumulate in float64: in the output itself for float64, else in scratch rounded at the end.
  std::vector<std::vector<double>> scratch(nOut);
  job.acc.assign(nOut, nullptr);
  for (size_t oi = 0; oi < nOut; oi++) {
    const Output& o = k.outputs[oi];
    if (o.reduce == kStore) continue;
    if (o.dtype == kF64) {
      job.acc[oi] = static_cast<double*>(outs[oi].data);
      std::fill(job.acc[oi], job.acc[oi] + o.size, initialOf(o.reduce));
    } else {
      scratch[oi].assign(static_cast<size_t>(o.size), initialOf(o.reduce));
      job.acc[oi] = scratch[oi].data();
    }
  }
  poolRun(runPart, &job, partsFor(k, threads), threads);
  if (job.failed) return "out of memory";
  for (size_t oi = 0; oi < nOut; oi++)
    if (!scratch[oi].empty()) finishReduction(k.outputs[oi], scratch[oi].data(), outs[oi].data);
  return nullptr;
}

}  // namespace nabla
