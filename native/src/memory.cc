// Output arrays of the native kernels come from here rather than from a fresh JavaScript allocation. A
// fresh large ArrayBuffer is new memory: the system maps it page by page on first touch (a page fault per
// 4 KiB, about a microsecond each on a virtual machine) and the engine zero-fills it, and a kernel that
// writes every element needs neither. The blocks of this pool have been touched before, and arrays made
// from them are not zeroed.
//
// An array's block comes back when the engine collects the ArrayBuffer holding it (its backing store's
// deleter, which the collector may run on any thread). Nothing else can still read the block then: an
// ArrayBuffer is collected only when no view of it is reachable. Blocks are grouped in size classes (64 KiB
// multiples up to 1 MiB, then sixteenths of the next power of two, so a class wastes less than an eighth),
// and the pool holds a bounded number of bytes; a block over the bound is freed.
#include "memory.h"

#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace nabla {
namespace {

constexpr size_t kAlign = 64;
constexpr size_t kSmallStep = size_t(1) << 16;
constexpr size_t kSmallMax = size_t(1) << 20;

size_t sizeClass(size_t bytes) {
  if (bytes <= kSmallMax) return (bytes + kSmallStep - 1) / kSmallStep * kSmallStep;
  size_t pow = kSmallMax;
  while (pow < bytes) pow <<= 1;
  const size_t step = pow / 16;
  return (bytes + step - 1) / step * step;
}

struct Pool {
  std::mutex lock;
  std::unordered_map<size_t, std::vector<void*>> free;
  uint64_t pooled = 0;
  uint64_t limit = uint64_t(512) << 20;
  uint64_t hits = 0;
  uint64_t misses = 0;
};

// Never destroyed: deleters may run while the process exits, after static destructors.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

void trimTo(Pool& p, uint64_t limit, std::vector<void*>* out) {
  for (auto it = p.free.begin(); p.pooled > limit && it != p.free.end(); ++it)
    while (p.pooled > limit && !it->second.empty()) {
      out->push_back(it->second.back());
      it->second.pop_back();
      p.pooled -= it->first;
    }
}

}  // namespace

void* memoryTake(size_t bytes, size_t* capacity) {
  const size_t cls = sizeClass(bytes == 0 ? 1 : bytes);
  *capacity = cls;
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> guard(p.lock);
    auto it = p.free.find(cls);
    if (it != p.free.end() && !it->second.empty()) {
      void* block = it->second.back();
      it->second.pop_back();
      p.pooled -= cls;
      p.hits++;
      return block;
    }
    p.misses++;
  }
  return std::aligned_alloc(kAlign, cls);
}

void memoryReturn(void* block, size_t capacity) {
  if (block == nullptr) return;
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> guard(p.lock);
    if (p.pooled + capacity <= p.limit) {
      p.free[capacity].push_back(block);
      p.pooled += capacity;
      return;
    }
  }
  std::free(block);
}

MemoryStats memoryStats() {
  Pool& p = pool();
  std::lock_guard<std::mutex> guard(p.lock);
  return {p.hits, p.misses, p.pooled, p.limit};
}

void memorySetLimit(uint64_t bytes) {
  Pool& p = pool();
  std::vector<void*> release;
  {
    std::lock_guard<std::mutex> guard(p.lock);
    p.limit = bytes;
    trimTo(p, bytes, &release);
  }
  for (void* b : release) std::free(b);
}

}  // namespace nabla
