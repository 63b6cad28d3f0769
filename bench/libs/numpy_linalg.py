#!/usr/bin/env python3
"""Benchmark worker for NumPy (LAPACK through its bundled OpenBLAS): workload B10 only, in the JSON-line
protocol of the other workers (bench/libs/common.mjs): an info event, then per case a start event and one
record, then a done event. Inputs are B10's (common.mjs b10Inputs), reproduced bit for bit: the mulberry32
state after k calls is seed + k·0x6d2b79f5 (mod 2³²), so the whole stream is computed at once.

OpenBLAS runs on one thread (OPENBLAS_NUM_THREADS=1 unless B10_NUMPY_THREADS says otherwise), like the recorded
single-thread PyTorch columns and nabla's kernels. The timer follows common.mjs `measure`.
"""

import json
import os
import sys
import time

THREADS = os.environ.get("B10_NUMPY_THREADS", "1")
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = THREADS


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


try:
    import numpy as np
except ImportError as e:  # the parent shows "—" for NumPy's cells
    emit({"event": "unavailable", "reason": f"numpy not importable ({e})"})
    emit({"event": "done"})
    sys.exit(0)

OPS = ["cholesky", "solve", "eigh"]
SIZES = [64, 256, 1024]
FULL = {"minReps": 5, "maxReps": 30, "budgetMs": 1000, "warmupMs": 800, "capMs": 30_000}
QUICK = {"minReps": 3, "maxReps": 10, "budgetMs": 150, "warmupMs": 250, "capMs": 5_000}


def args():
    argv = sys.argv[1:]

    def get(name):
        return argv[argv.index(name) + 1] if name in argv else None

    only = get("--only")
    skip = get("--skip")
    quick = "--quick" in argv
    return quick, (set(only.split(",")) if only else None), set(skip.split(",") if skip else [])


def mulberry32_stream(seed, size):
    """The first `size` outputs of common.mjs mulberry32(seed), as float64 in [0, 1)."""
    k = np.arange(1, size + 1, dtype=np.uint64)
    a = (np.uint64(seed) + k * np.uint64(0x6D2B79F5)) & np.uint64(0xFFFFFFFF)
    m32 = np.uint64(0xFFFFFFFF)

    def imul(x, y):
        return (x * y) & m32

    t = a
    t = imul(t ^ (t >> np.uint64(15)), t | np.uint64(1))
    t = t ^ ((t + imul(t ^ (t >> np.uint64(7)), t | np.uint64(61))) & m32)
    return ((t ^ (t >> np.uint64(14))) & m32).astype(np.float64) / 4294967296.0


def uniform64(seed, size, lo, hi):
    return lo + (hi - lo) * mulberry32_stream(seed, size)


def b10_inputs(n):
    m = uniform64(1000 + n, n * n, -1.0, 1.0).reshape(n, n)
    a = m @ m.T / n + np.eye(n)
    a = 0.5 * (a + a.T)
    b = uniform64(2000 + n, n, -1.0, 1.0).reshape(n, 1)
    return a, b


class TooSlow(Exception):
    pass


def measure(fn, t):
    start = time.perf_counter()
    first = fn()
    first_ms = (time.perf_counter() - start) * 1000
    if first_ms > t["capMs"]:
        raise TooSlow(f"too slow (one call > {t['capMs'] / 1000:g} s)")
    last_ms = first_ms
    warm = 0.0
    i = 1
    while i == 1 or (warm < t["warmupMs"] and i < 30):
        start = time.perf_counter()
        fn()
        last_ms = (time.perf_counter() - start) * 1000
        warm += last_ms
        i += 1
    if last_ms * t["minReps"] > t["capMs"]:
        raise TooSlow(f"too slow ({t['minReps']} reps > {t['capMs'] / 1000:g} s)")
    reps = max(t["minReps"], min(t["maxReps"], int(np.ceil(t["budgetMs"] / max(last_ms, 1e-6)))))
    cpu0 = time.process_time()
    times = []
    total = 0.0
    while len(times) < reps and not (len(times) >= t["minReps"] and total > t["capMs"]):
        start = time.perf_counter()
        fn()
        dt = (time.perf_counter() - start) * 1000
        times.append(dt)
        total += dt
    cpu = (time.process_time() - cpu0) * 1000 / total
    return {"ms": float(np.median(times)), "reps": len(times), "cpu": round(cpu, 2), "first": first}


def main():
    quick, only, skip = args()
    cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else {}
    blas = ""
    try:
        blas = cfg["Build Dependencies"]["lapack"]["name"]
    except Exception:
        pass
    emit({"event": "info", "library": "numpy", "version": np.__version__, "dir": f"{blas or 'LAPACK'}, {THREADS} thread(s)"})
    if only is None or "B10" in only:
        for n in [64] if quick else SIZES:
            for op in OPS:
                size = f"{op}-{n}"
                key = f"B10/{size}/eager"
                if key in skip:
                    continue
                emit({"event": "start", "key": key})
                base = {"workload": "B10", "size": size, "library": "numpy", "mode": "eager"}
                try:
                    a, b = b10_inputs(n)
                    if op == "cholesky":
                        fn = lambda: np.linalg.cholesky(a)  # noqa: E731
                    elif op == "solve":
                        fn = lambda: np.linalg.solve(a, b)  # noqa: E731
                    else:
                        fn = lambda: np.linalg.eigh(a)  # noqa: E731
                    m = measure(fn, QUICK if quick else FULL)
                    emit({**base, "value": m["ms"], "unit": "ms", "reps": m["reps"], "cpu": m["cpu"]})
                except TooSlow as e:
                    emit({**base, "value": None, "unit": "ms", "error": str(e)})
                except Exception as e:  # noqa: BLE001
                    emit({**base, "value": None, "unit": "ms", "error": f"error: {str(e)[:200]}"})
    emit({"event": "done"})


if __name__ == "__main__":
    main()
