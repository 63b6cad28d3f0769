// Fused elementwise kernels: an interpreter of the FusedSpec of src/backend/fusion.ts. A spec is compiled
// once (src/backend/native/fused.ts encodes it, normalized, as a flat list of numbers that name operations,
// element types and reductions by their index in a list of names) into slots and a list of operations; a run walks the loop in blocks of up to 1024 elements and applies each operation to a
// whole block in one auto-vectorized loop, reading inputs in place (strided, broadcast or zero-padded ones are
// gathered into a block-sized register) and writing outputs in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nabla {

// Element types (descriptions name them: "float32", "float64", "int32", "bool"; addon.cc maps typed arrays).
enum FusedDType : int { kF32 = 0, kF64 = 1, kI32 = 2, kBool = 3, kOtherType = -1 };

struct FusedKernel;

// Compiles a description (the layout is fused.ts's encode); its fields that name an operation, an element
// type or a reduction hold an index into `names`, each looked up here, once. Returns null, with the reason in
// *why, when the description is malformed or asks for something these kernels do not do (an unknown name
// among them).
FusedKernel* fusedCompile(const double* desc, size_t length, const std::vector<std::string>& names,
                          std::string* why);
void fusedFree(FusedKernel* kernel);

// The names of the operations descriptions may use: those run natively for at least one element type.
std::vector<std::string> fusedOps();

struct FusedArray {
  void* data;
  size_t length;  // in elements
  int dtype;      // a FusedDType
};

// Runs the kernel on up to `threads` threads (the caller's included). Outputs are written whole (every
// element of a stored output, every element of a reduced one). Returns null, or the reason nothing was
// computed (arrays of the wrong number, type or length).
const char* fusedRun(const FusedKernel& kernel, const FusedArray* ins, size_t nIn, const FusedArray* outs,
                     size_t nOut, int threads);

}  // namespace nabla
