// A persistent pool of worker threads for the matrix product. The pool is started by the first product that
// asks for more than one thread, lives as long as the process (its threads are detached and, once idle for
// a moment, block on a condition variable, so they never keep Node from exiting) and runs one job at a time.
#pragma once

namespace nabla {

// One share of a job: part `part` of `parts`, with the caller's argument.
using PoolTask = void (*)(void* arg, int part, int parts);

// Runs task(arg, p, parts) for p in [0, parts): part 0 on the calling thread, the others on workers. Returns
// the number of parts run, which is 1 (only part 0 of 1, on this thread) when threads are unavailable or the
// pool is busy with another caller; callers pass `parts` as an upper bound and split by the value actually
// handed to `task`.
int poolRun(PoolTask task, void* arg, int parts);

// How many workers are awake (working or spinning after a job) rather than asleep: a product handed to an
// awake worker skips the wake-up latency, so smaller products are worth splitting.
int poolAwake();

}  // namespace nabla
