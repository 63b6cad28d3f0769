// A small timer: warm up, then repeat until enough time has passed, and report the median.

export interface Timing {
  medianMs: number;
  reps: number;
}

export function timeit(fn: () => void, { warmup = 3, minReps = 5, minTimeMs = 500 } = {}): Timing {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minReps || performance.now() - start < minTimeMs) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)]!, reps: times.length };
}
