// A pool of already-touched memory for the arrays that kernels write in full (see memory.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace nabla {

// A block of at least `bytes` bytes, 64-byte aligned, its contents unspecified; nullptr when the system
// refuses the memory. `capacity` receives the block's size class, which memoryReturn needs back.
void* memoryTake(size_t bytes, size_t* capacity);

// Gives a block from memoryTake back: it is kept for the next request of its size class, unless the pool
// already holds its limit, in which case it is freed. Safe from any thread.
void memoryReturn(void* block, size_t capacity);

struct MemoryStats {
  uint64_t hits;       // requests served from the pool
  uint64_t misses;     // requests that allocated fresh memory
  uint64_t pooled;     // bytes held in the pool now
  uint64_t limit;      // the most bytes the pool holds
};
MemoryStats memoryStats();

// Sets the most bytes the pool holds (0 empties it and turns pooling off); frees blocks above the limit.
void memorySetLimit(uint64_t bytes);

}  // namespace nabla
