// Work is handed out in parts claimed one at a time from a shared counter, by the workers and by the caller
// alike, so whoever has a core does the work: on a machine whose other cores are busy with another process, a
// worker that is not running takes no part (or few) and the caller does the rest itself. What remains is the
// part a worker had claimed when it lost its core, which holds the caller up until the scheduler runs that
// worker again — a time slice, milliseconds, many times a typical job. The caller times its own parts: when
// the job took nearly as long as the caller would have taken alone, the cores are contended, and the next
// jobs run on the caller alone (no worker woken, nothing spinning) for a while that doubles with each such
// stall, after which threads are tried again. Every part computes what it would on one thread, so results do not
// depend on who ran which part.
//
// Workers wait for a job in two phases: they spin on the job word for a short while after each job (a
// product in a loop — a training step — then finds them awake: on a virtual machine, waking a thread whose
// core went idle costs 30–100 µs, as long as a 150³ product takes), yielding the core between checks after
// the first few microseconds, then sleep on a condition variable. The caller, once no part is left to
// claim, spins only about as long as a part takes, then sleeps until the last part is done.
#include "pool.h"

#if defined(_WIN32)

namespace nabla {
// No pthreads: everything runs on the calling thread.
int poolRun(PoolTask task, void* arg, int parts, int threads) {
  (void)parts;
  (void)threads;
  task(arg, 0, 1);
  return 1;
}
int poolAwake() { return 0; }
}  // namespace nabla

#else

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
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
// Parts per job: the job word holds the count and the next part in 16 bits each.
constexpr int kMaxParts = 4096;
// How long an idle worker keeps spinning before it sleeps.
constexpr int64_t kWorkerSpinNs = 200'000;
// Spinning with only pause instructions (before yielding the core between checks).
constexpr int64_t kPauseNs = 20'000;
// The caller's spin for the last parts: about two parts' time, within these bounds.
constexpr int64_t kCallerSpinMinNs = 20'000;
constexpr int64_t kCallerSpinMaxNs = 1'000'000;
// A stall: the job took more than 7/8 of the time the caller alone would have taken (its own parts' time,
// times the parts), plus this (waking a sleeping worker). With free cores a job takes about half that, so
// only a job that threads hardly sped up comes near it: one that a worker held up, or one that workers
// without a core took little of — a gain too small for the risk of the next one being held up.
constexpr int64_t kStallSlackNs = 20'000;
// After a stall, jobs run on the caller alone for this long, doubled at each stall that follows and halved
// after each run of at least kPaying threaded jobs that pay and that lasts as long as the wait itself,
// within these bounds: under a steady load the probes grow rare (a stall costs about a time slice, so at the
// maximum well under 1%), while when the load comes and goes the threads are back from the first job that
// pays. A stall costs as much as several jobs gain, so jobs that pay between stalls, for a time slice of a
// competitor's, are not enough to shorten the wait.
constexpr int64_t kBackoffMinNs = 20'000'000;
constexpr int64_t kBackoffMaxNs = 640'000'000;
constexpr int kPaying = 8;

int64_t nowNs() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// Spins until pred() holds or `ns` nanoseconds have passed; returns pred(). After the first few
// microseconds it yields between checks, so that on a machine with more runnable threads than cores the
// thread being waited for (or another process) can run.
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

// The job word: generation (32 bits) | parts (16) | next part to claim (16). A part is claimed by a
// compare-and-swap that also checks the generation, so a worker still holding an old job's word can never
// claim a part of the next one.
constexpr uint64_t jobWord(uint64_t gen, int parts, int next) {
  return gen << 32 | uint64_t(parts) << 16 | uint64_t(next);
}
constexpr uint32_t genOf(uint64_t w) { return uint32_t(w >> 32); }
constexpr int partsOf(uint64_t w) { return int(w >> 16 & 0xffff); }
constexpr int nextOf(uint64_t w) { return int(w & 0xffff); }

// `busy` serializes callers (a trylock: a second JS thread that finds the pool busy runs alone instead of
// waiting). The job (task, arg, threads) is written before the job word is published (release); a worker
// reads it after claiming a part, when the job cannot end before that part is done. `mu` and the condition
// variables are only for sleeping.
struct Pool {
  pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
  pthread_cond_t done = PTHREAD_COND_INITIALIZER;
  std::atomic<uint64_t> word{0};
  std::atomic<int> finished{0};          // parts of the current job done
  std::atomic<bool> callerAsleep{false};  // the caller waits on `done`
  std::atomic<int> awake{0};              // workers not asleep on `wake`
  std::atomic<PoolTask> task{nullptr};
  std::atomic<void*> arg{nullptr};
  std::atomic<int> threads{0};  // workers 1 … threads − 1 take part
  int sleepers = 0;             // guarded by mu
  int workers = 0;
  uint32_t gen = 0;
  // Contention (guarded by busy): jobs run alone until serialUntil.
  int64_t serialUntil = 0, backoff = 0;
  int paying = 0;  // threaded jobs that paid since the last stall or halving
  int64_t payingSince = 0;  // when the first of them ran
};

struct WorkerStart {
  Pool* pool;
  int index;     // 1, 2, …: the caller is 0
  uint32_t seen;  // the generation when it was created: its first job is the next one
};

// Waits (spinning, then sleeping) until the pool's generation differs from `seen`, and returns it.
uint32_t nextJob(Pool& pool, uint32_t seen) {
  auto posted = [&] { return genOf(pool.word.load(std::memory_order_acquire)) != seen; };
  if (!spinFor(kWorkerSpinNs, posted)) {
    pthread_mutex_lock(&pool.mu);
    pool.sleepers++;
    pool.awake.fetch_sub(1, std::memory_order_relaxed);
    while (!posted()) pthread_cond_wait(&pool.wake, &pool.mu);
    pool.awake.fetch_add(1, std::memory_order_relaxed);
    pool.sleepers--;
    pthread_mutex_unlock(&pool.mu);
  }
  return genOf(pool.word.load(std::memory_order_acquire));
}

// Claims the next part of generation `gen`; returns it, or −1 when that job has no part left (or is over).
int claim(Pool& p, uint32_t gen, int* parts) {
  uint64_t w = p.word.load(std::memory_order_acquire);
  for (;;) {
    if (genOf(w) != gen || nextOf(w) >= partsOf(w)) return -1;
    if (p.word.compare_exchange_weak(w, w + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
      *parts = partsOf(w);
      return nextOf(w);
    }
  }
}

// Counts a part done; the thread finishing the job's last part wakes the caller if it sleeps. (Both sides
// use sequentially consistent operations, so either the caller sees the count or this thread sees it asleep.)
void partDone(Pool& p, int parts) {
  if (p.finished.fetch_add(1) + 1 != parts || !p.callerAsleep.load()) return;
  pthread_mutex_lock(&p.mu);
  pthread_cond_signal(&p.done);
  pthread_mutex_unlock(&p.mu);
}

void* workerMain(void* s) {
  const WorkerStart start = *static_cast<WorkerStart*>(s);
  delete static_cast<WorkerStart*>(s);
  Pool& p = *start.pool;
  p.awake.fetch_add(1, std::memory_order_relaxed);
  uint32_t seen = start.seen;
  for (;;) {
    seen = nextJob(p, seen);
    // (A count read from a later job only makes this worker join or skip the wrong one, which is harmless.)
    if (start.index >= p.threads.load(std::memory_order_relaxed)) continue;
    int parts, part;
    while ((part = claim(p, seen, &parts)) >= 0) {
      p.task.load(std::memory_order_relaxed)(p.arg.load(std::memory_order_relaxed), part, parts);
      partDone(p, parts);
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
    auto* start = new WorkerStart{&p, p.workers + 1, p.gen};
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

void post(Pool& p, PoolTask task, void* arg, int parts, int threads) {
  p.task.store(task, std::memory_order_relaxed);
  p.arg.store(arg, std::memory_order_relaxed);
  p.threads.store(threads, std::memory_order_relaxed);
  p.finished.store(0, std::memory_order_relaxed);
  p.gen++;
  pthread_mutex_lock(&p.mu);
  p.word.store(jobWord(p.gen, parts, 0), std::memory_order_release);
  if (p.sleepers > 0) pthread_cond_broadcast(&p.wake);
  pthread_mutex_unlock(&p.mu);
}

// Waits for the parts the workers still run: a short spin (they are near their end unless descheduled), then
// sleep.
void awaitWorkers(Pool& p, int parts, int64_t spinNs) {
  auto finished = [&] { return p.finished.load() == parts; };
  if (spinFor(spinNs, finished)) return;
  pthread_mutex_lock(&p.mu);
  p.callerAsleep.store(true);
  while (!finished()) pthread_cond_wait(&p.done, &p.mu);
  p.callerAsleep.store(false);
  pthread_mutex_unlock(&p.mu);
}

// Updates the contention state after a threaded job of `parts` that took `jobNs`, of which the caller ran
// `own` parts in `ownNs`: threads are given up for a while when they did not make the job clearly faster.
void judge(Pool& p, int parts, int own, int64_t ownNs, int64_t jobNs, int64_t now) {
  if (own == 0) return;
  const int64_t alone = ownNs / own * parts;
  if (jobNs > alone - alone / 8 + kStallSlackNs) {
    p.backoff = std::min(std::max(2 * p.backoff, kBackoffMinNs), kBackoffMaxNs);
    p.serialUntil = now + p.backoff;
    p.paying = 0;
  } else {
    if (p.paying++ == 0) p.payingSince = now;
    // Halved only after threads have paid for as long as the wait: under a competitor that shares a core by
    // time slices, jobs pay for a slice and stall in the next, and the wait must keep growing.
    if (p.paying >= kPaying && now - p.payingSince >= p.backoff) {
      p.backoff /= 2;
      p.paying = 0;
    }
  }
}

}  // namespace

int poolAwake() { return pool().awake.load(std::memory_order_relaxed); }

int poolRun(PoolTask task, void* arg, int parts, int threads) {
  parts = std::min(parts, kMaxParts);
  threads = std::min(threads, parts);
  Pool& p = pool();
  if (threads <= 1 || pthread_mutex_trylock(&p.busy) != 0) {
    task(arg, 0, 1);
    return 1;
  }
  const int64_t start = nowNs();
  if (start < p.serialUntil || ensureWorkers(p, threads - 1) == 0) {
    pthread_mutex_unlock(&p.busy);
    task(arg, 0, 1);
    return 1;
  }
  post(p, task, arg, parts, std::min(threads, p.workers + 1));
  int own = 0, got, part;
  while ((part = claim(p, p.gen, &got)) >= 0) {
    task(arg, part, parts);
    partDone(p, parts);
    own++;
  }
  const int64_t claimed = nowNs();
  const int64_t perPart = own > 0 ? (claimed - start) / own : 0;
  awaitWorkers(p, parts, std::clamp(2 * perPart, kCallerSpinMinNs, kCallerSpinMaxNs));
  const int64_t end = nowNs();
  judge(p, parts, own, claimed - start, end - start, end);
  pthread_mutex_unlock(&p.busy);
  return parts;
}

}  // namespace nabla

#endif
