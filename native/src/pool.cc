// Workers wait for a job in two phases: they spin on the job counter for a short while after each job (a
// product in a loop — a training step — then finds them awake: on a virtual machine, waking a thread whose
// core went idle costs 30–100 µs, as long as a 150³ product takes), then sleep on a condition variable. The caller
// likewise spins for the workers' completion, which is near since the parts are of equal size.
#include "pool.h"

#if defined(_WIN32)

namespace nabla {
// No pthreads: everything runs on the calling thread.
int poolRun(PoolTask task, void* arg, int parts) {
  (void)parts;
  task(arg, 0, 1);
  return 1;
}
int poolAwake() { return 0; }
}  // namespace nabla

#else

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <atomic>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NABLA_PAUSE() _mm_pause()
#else
#define NABLA_PAUSE() ((void)0)
#endif

namespace nabla {
namespace {

constexpr int kMaxWorkers = 63;
// How long an idle worker keeps spinning before it sleeps, and how long the caller spins for completion.
constexpr int64_t kWorkerSpinNs = 200'000;
constexpr int64_t kCallerSpinNs = 2'000'000;
// Spinning with only pause instructions (before yielding the core between checks).
constexpr int64_t kPauseNs = 20'000;

int64_t nowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// Spins until pred() holds or `ns` nanoseconds have passed; returns pred(). After the first few
// microseconds it yields between checks, so that on a machine with more runnable threads than cores the
// thread being waited for can run.
template <class Pred>
bool spinFor(int64_t ns, Pred pred) {
  const int64_t start = nowNs();
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (pred()) return true;
      NABLA_PAUSE();
    }
    const int64_t elapsed = nowNs() - start;
    if (elapsed > ns) return pred();
    if (elapsed > kPauseNs) sched_yield();
  }
}

// `busy` serializes callers (a trylock: a second JS thread that finds the pool busy runs alone instead of
// waiting). The job (task, arg, parts) is written before `generation` is bumped (release) and read after
// it is seen (acquire). `mu` and the condition variables are only for sleeping.
struct Pool {
  pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
  pthread_cond_t done = PTHREAD_COND_INITIALIZER;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> pending{0};
  std::atomic<int> awake{0};  // workers not asleep on `wake`
  int sleepers = 0;  // guarded by mu
  int workers = 0;
  PoolTask task = nullptr;
  void* arg = nullptr;
  int parts = 0;
};

struct WorkerStart {
  Pool* pool;
  int part;
  uint64_t seen;  // the generation when it was created: its first job is the next one
};

// Waits (spinning, then sleeping) until the pool's generation differs from `seen`, and returns it.
uint64_t nextJob(Pool& pool, uint64_t seen) {
  auto posted = [&] { return pool.generation.load(std::memory_order_acquire) != seen; };
  if (!spinFor(kWorkerSpinNs, posted)) {
    pthread_mutex_lock(&pool.mu);
    pool.sleepers++;
    pool.awake.fetch_sub(1, std::memory_order_relaxed);
    while (!posted()) pthread_cond_wait(&pool.wake, &pool.mu);
    pool.awake.fetch_add(1, std::memory_order_relaxed);
    pool.sleepers--;
    pthread_mutex_unlock(&pool.mu);
  }
  return pool.generation.load(std::memory_order_acquire);
}

void* workerMain(void* p) {
  const WorkerStart start = *static_cast<WorkerStart*>(p);
  delete static_cast<WorkerStart*>(p);
  Pool& pool = *start.pool;
  pool.awake.fetch_add(1, std::memory_order_relaxed);
  uint64_t seen = start.seen;
  for (;;) {
    seen = nextJob(pool, seen);
    if (start.part >= pool.parts) continue;  // not needed for this job
    pool.task(pool.arg, start.part, pool.parts);
    if (pool.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&pool.mu);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.mu);
    }
  }
  return nullptr;
}

// Never freed: detached workers may still be blocked on its condition variable while the process exits.
Pool* thePool = nullptr;
pthread_mutex_t startMu = PTHREAD_MUTEX_INITIALIZER;

Pool& pool() {
  pthread_mutex_lock(&startMu);
  if (thePool == nullptr) thePool = new Pool();
  pthread_mutex_unlock(&startMu);
  return *thePool;
}

// Starts workers until there are `wanted` (or thread creation fails); returns how many there are. Called
// with `busy` held, so no job runs meanwhile.
int ensureWorkers(Pool& p, int wanted) {
  if (wanted > kMaxWorkers) wanted = kMaxWorkers;
  while (p.workers < wanted) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    auto* start = new WorkerStart{&p, p.workers + 1, p.generation.load(std::memory_order_relaxed)};
    const bool ok = pthread_create(&thread, &attr, workerMain, start) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
      delete start;
      break;
    }
    p.workers++;
  }
  return p.workers;
}

void post(Pool& p, PoolTask task, void* arg, int parts) {
  p.task = task;
  p.arg = arg;
  p.parts = parts;
  p.pending.store(parts - 1, std::memory_order_relaxed);
  pthread_mutex_lock(&p.mu);
  p.generation.fetch_add(1, std::memory_order_release);
  if (p.sleepers > 0) pthread_cond_broadcast(&p.wake);
  pthread_mutex_unlock(&p.mu);
}

void awaitWorkers(Pool& p) {
  auto finished = [&] { return p.pending.load(std::memory_order_acquire) == 0; };
  if (spinFor(kCallerSpinNs, finished)) return;
  pthread_mutex_lock(&p.mu);
  while (!finished()) pthread_cond_wait(&p.done, &p.mu);
  pthread_mutex_unlock(&p.mu);
}

}  // namespace

int poolAwake() { return pool().awake.load(std::memory_order_relaxed); }

int poolRun(PoolTask task, void* arg, int parts) {
  Pool& p = pool();
  if (parts <= 1 || pthread_mutex_trylock(&p.busy) != 0) {
    task(arg, 0, 1);
    return 1;
  }
  const int workers = ensureWorkers(p, parts - 1);
  if (parts > workers + 1) parts = workers + 1;
  if (parts > 1) post(p, task, arg, parts);
  task(arg, 0, parts);
  if (parts > 1) awaitWorkers(p);
  pthread_mutex_unlock(&p.busy);
  return parts;
}

}  // namespace nabla

#endif
