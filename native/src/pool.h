// A persistent pool of worker threads for the matrix product, fused loops and the factorizations. The pool is
// started by the first job that asks for more than one thread, lives as long as the process (its threads are
// detached and, once idle for a moment, block on a condition variable, so they never keep Node from exiting)
// and runs one job at a time.
#pragma once

namespace nabla {

// One share of a job: part `part` of `parts`, with the caller's argument.
using PoolTask = void (*)(void* arg, int part, int parts);

// Runs task(arg, p, parts) once for every p in [0, parts) on up to `threads` threads, the calling thread
// included: each thread claims the next unclaimed part until none is left, so a thread that is slow to start
// or loses its core to another process takes fewer parts instead of holding the job up. Returns `parts`, or
// 1 when the job ran as the single part 0 of 1 on the calling thread: when threads are unavailable, the pool
// is busy with another caller, or recent jobs found the other cores taken (see pool.cc). Callers split by the
// value actually handed to `task`, and should pass several parts per thread where a part is cheap to start.
int poolRun(PoolTask task, void* arg, int parts, int threads);

// One part per thread.
inline int poolRun(PoolTask task, void* arg, int parts) { return poolRun(task, arg, parts, parts); }

// How many workers are awake (working or spinning after a job) rather than asleep: a product handed to an
// awake worker skips the wake-up latency, so smaller products are worth splitting.
int poolAwake();

}  // namespace nabla
