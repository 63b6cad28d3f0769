"""Shared by the Python benchmark workers (jax_bench.py, torch_bench.py): the JSON-line protocol of
bench/libs/common.mjs, the same timer, the same seeded inputs (bit for bit), and float64 references in NumPy.

A worker calls `main(library, modes, build)`. `build(workload, size, mode)` returns a `Case`: `run()` does one
call and returns host values (NumPy arrays or floats), `check(first)` returns the relative error of the first
result. The driver times `run` like common.mjs `measure` and prints one record per unit.

With `--fake` a worker does not import its library: `fake_build` stands in, computing every case with the NumPy
references (B11 and B12: the loss only). That exercises the protocol, the inputs and the parent's parsing on a
machine without JAX or PyTorch; its records carry `"note": "fake: ..."`.
"""

import json
import math
import os
import resource
import sys
import time

import numpy as np

# ---------------------------------------------------------------- protocol

FULL = {"minReps": 5, "maxReps": 30, "budgetMs": 1000, "warmupMs": 800, "capMs": 30_000}
QUICK = {"minReps": 3, "maxReps": 10, "budgetMs": 150, "warmupMs": 250, "capMs": 5_000}
TOL = 1e-3
UNITS = {"B3": ["ms", "steps/s"]}
PY_WORKLOADS = ["B2", "B3", "B4", "B5", "B6", "B7", "B9", "B11", "B12"]


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def parse_args(argv):
    """The worker options of common.mjs parseWorkerArgs, plus --fake."""

    def get(name):
        return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None

    only, skip = get("--only"), get("--skip")
    quick = "--quick" in argv
    return {
        "quick": quick,
        "fake": "--fake" in argv,
        "only": set(only.split(",")) if only else None,
        "skip": set(skip.split(",")) if skip else set(),
        "timing": QUICK if quick else FULL,
    }


def sizes_of(workload, quick):
    return {
        "B2": ["1e6"],
        "B3": ["128"],
        "B4": ["1e6"],
        "B5": ["100"] if quick else ["100", "300"],
        "B6": ["20"],
        "B7": ["1", "2", "3"] if quick else ["1", "2", "3", "4", "5"],
        "B9": ["T100"],
        "B11": ["64"],
        "B12": ["8x64x128"],
    }[workload]


class TooSlow(Exception):
    pass


class Case:
    """One measured case: `run()` is a call with its results read back; `check(first)` its relative error."""

    def __init__(self, run, check, extra=None):
        self.run = run
        self.check = check
        self.extra = extra or (lambda first: {})


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def measure(fn, t):
    """common.mjs `measure`: first call, warm-up, then the median of enough timed calls."""
    now = time.perf_counter
    start = now()
    first = fn()
    first_ms = (now() - start) * 1e3
    if first_ms > t["capMs"]:
        raise TooSlow(f"too slow (one call > {t['capMs'] / 1000:g} s)")
    last_ms, warm, i = first_ms, 0.0, 1
    while i == 1 or (warm < t["warmupMs"] and i < 30):
        start = now()
        fn()
        last_ms = (now() - start) * 1e3
        warm += last_ms
        i += 1
    if last_ms * t["minReps"] > t["capMs"]:
        raise TooSlow(f"too slow ({t['minReps']} reps > {t['capMs'] / 1000:g} s)")
    reps = max(t["minReps"], min(t["maxReps"], math.ceil(t["budgetMs"] / max(last_ms, 1e-6))))
    cpu0, faults0 = time.process_time(), minor_faults()
    times, total = [], 0.0
    while len(times) < reps and not (len(times) >= t["minReps"] and total > t["capMs"]):
        start = now()
        fn()
        dt = (now() - start) * 1e3
        times.append(dt)
        total += dt
    faults = (minor_faults() - faults0) / len(times)
    times.sort()
    mid = len(times) // 2
    ms = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    cpu = round((time.process_time() - cpu0) * 1e3 / total, 2) if total > 0 else 1.0
    return {"ms": ms, "reps": len(times), "cpu": cpu, "faults": float(f"{faults:.3g}"), "first_ms": first_ms, "first": first}


def check_fields(err):
    err = float(err) if math.isfinite(err) else float("inf")
    return {"check": "ok" if err < TOL else "WRONG", "err": float(f"{err:.3g}") if math.isfinite(err) else None}


def main(library, modes, build, version=None, info=None):
    """Runs every wanted case of B2–B7, B9, B11 and B12 in each mode `build` accepts; prints the records."""
    args = parse_args(sys.argv[1:])
    emit({"event": "info", "library": library, "version": version, "python": sys.version.split()[0], **(info or {})})
    for w in PY_WORKLOADS:
        if args["only"] is not None and w not in args["only"]:
            continue
        for size in sizes_of(w, args["quick"]):
            for mode in modes:
                key = f"{w}/{size}/{mode}"
                if key in args["skip"]:
                    continue
                emit({"event": "start", "key": key})
                base = {"workload": w, "size": size, "library": library, "mode": mode}
                try:
                    case = build(w, size, mode)
                    m = measure(case.run, args["timing"])
                    fields = {"reps": m["reps"], "cpu": m["cpu"], "faults": m["faults"]}
                    if mode == "jit":
                        fields["first_ms"] = round(m["first_ms"], 1)
                    fields.update(check_fields(case.check(m["first"])))
                    fields.update(case.extra(m["first"]))
                    emit({**base, "value": m["ms"], "unit": "ms", **fields})
                    if w == "B3":
                        emit({**base, "value": 1000 / m["ms"], "unit": "steps/s", **fields})
                except TooSlow as e:
                    for unit in UNITS.get(w, ["ms"]):
                        emit({**base, "value": None, "unit": unit, "error": str(e)})
                except Exception as e:  # noqa: BLE001 - a failing case is a record, not the end of the run
                    for unit in UNITS.get(w, ["ms"]):
                        emit({**base, "value": None, "unit": unit, "error": f"error: {str(e)[:200]}"})
    emit({"event": "done"})


def unavailable(reason):
    emit({"event": "unavailable", "reason": reason})
    emit({"event": "done"})
    sys.exit(0)


# ---------------------------------------------------------------- seeded inputs (common.mjs, bit for bit)

M32 = np.uint64(0xFFFFFFFF)


def mulberry32(seed, size):
    """The first `size` outputs of common.mjs mulberry32(seed) in [0, 1), as float64. After k calls the state is
    seed + k·0x6d2b79f5 (mod 2³²), so the whole stream is one vectorized expression."""
    k = np.arange(1, size + 1, dtype=np.uint64)
    a = (np.uint64(seed) + k * np.uint64(0x6D2B79F5)) & M32
    t = ((a ^ (a >> np.uint64(15))) * (a | np.uint64(1))) & M32
    t = t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & M32)) & M32)
    return ((t ^ (t >> np.uint64(14))) & M32).astype(np.float64) / 4294967296.0


def uniform(seed, size, lo, hi):
    """common.mjs `uniform`: lo + (hi − lo)·r in float64, rounded to float32."""
    return (lo + (hi - lo) * mulberry32(seed, size)).astype(np.float32)


def glorot(seed, fan_in, fan_out, size):
    lim = math.sqrt(6 / (fan_in + fan_out))
    return uniform(seed, size, -lim, lim)


def rnn_inputs(T):
    """common.mjs rnnInputs: B9's tanh RNN (batch 32, hidden 128, input 64) over T steps."""
    B, H, I = 32, 128, 64
    params = {
        "W": uniform(90, I * H, -1 / math.sqrt(I), 1 / math.sqrt(I)).reshape(I, H),
        "U": uniform(91, H * H, -1 / math.sqrt(H), 1 / math.sqrt(H)).reshape(H, H),
        "b": np.zeros(H, np.float32),
    }
    return {"T": T, "B": B, "H": H, "I": I, "params": params, "xs": uniform(92 + T, T * B * I, -1, 1).reshape(T, B, I), "lr": 0.01}


def rnn_ref(d):
    """Loss mean(h_T²) and gradients of B9 in float64, by backpropagation through time."""
    p = {k: v.astype(np.float64) for k, v in d["params"].items()}
    hs = [np.zeros((d["B"], d["H"]))]
    for x in d["xs"].astype(np.float64):
        hs.append(np.tanh(x @ p["W"] + hs[-1] @ p["U"] + p["b"]))
    loss = float(np.mean(hs[-1] ** 2))
    dh = 2 * hs[-1] / hs[-1].size
    grads = {k: np.zeros_like(v) for k, v in p.items()}
    for t in range(d["T"], 0, -1):
        dz = dh * (1 - hs[t] ** 2)
        grads["W"] += d["xs"][t - 1].astype(np.float64).T @ dz
        grads["U"] += hs[t - 1].T @ dz
        grads["b"] += dz.sum(0)
        dh = dz @ p["U"].T
    return loss, grads


def b2_input():
    return uniform(2, 1_000_000, -2, 2)


def rosen_input():
    return uniform(4, 1_000_000, -1, 1)


def tanh_sum_inputs(n):
    s = 1 / math.sqrt(n)
    return uniform(500 + n, n * n, -s, s).reshape(n, n), uniform(600 + n, n, -1, 1)


MLP_NAMES = ["W0", "b0", "W1", "b1", "W2", "b2"]


def mlp_inputs():
    sizes = [784, 256, 128, 10]
    params = {}
    for l in range(3):
        params[f"W{l}"] = glorot(30 + l, sizes[l], sizes[l + 1], sizes[l] * sizes[l + 1]).reshape(sizes[l], sizes[l + 1])
        params[f"b{l}"] = np.zeros(sizes[l + 1], np.float32)
    X = uniform(33, 128 * 784, -1, 1).reshape(128, 784)
    labels = np.floor(mulberry32(34, 128) * 10).astype(np.int64)
    Y = np.zeros((128, 10), np.float32)
    Y[np.arange(128), labels] = 1
    return {"params": params, "X": X, "Y": Y, "labels": labels, "lr": 0.01}


CNN_NAMES = ["cw", "cb", "W", "b"]


def cnn_inputs():
    u = uniform(1004, 64, 0, 10)
    return {
        "x": uniform(1001, 64 * 28 * 28, 0, 1).reshape(64, 1, 28, 28),
        "labels": np.minimum(9, np.floor(u)).astype(np.int64),
        "params": {
            "cw": glorot(1002, 9, 72, 72).reshape(8, 1, 3, 3),
            "cb": np.zeros(8, np.float32),
            "W": glorot(1003, 1568, 10, 15680).reshape(1568, 10),
            "b": np.zeros(10, np.float32),
        },
        "lr": 0.01,
    }


TF_NAMES = ["Wq", "Wk", "Wv", "Wo", "W1", "b1", "W2", "b2", "g1", "e1", "g2", "e2"]
TF_GROUPS = [["Wq", "Wk", "Wv", "Wo"], ["W1", "b1", "W2", "b2"], ["g1", "e1", "g2", "e2"]]
B, S, D, H, DH = 8, 64, 128, 4, 32


def tf_inputs():
    p = {k: glorot(2002 + i, 128, 128, 128 * 128).reshape(128, 128) for i, k in enumerate(["Wq", "Wk", "Wv", "Wo"])}
    p["W1"] = glorot(2010, 128, 512, 128 * 512).reshape(128, 512)
    p["b1"] = np.zeros(512, np.float32)
    p["W2"] = glorot(2011, 512, 128, 512 * 128).reshape(512, 128)
    p["b2"] = np.zeros(128, np.float32)
    for g, e in (("g1", "e1"), ("g2", "e2")):
        p[g] = np.ones(128, np.float32)
        p[e] = np.zeros(128, np.float32)
    return {"x": uniform(2001, B * S * D, -1, 1).reshape(B, S, D), "params": p}


# ---------------------------------------------------------------- float64 references

def rel_err(got, ref):
    got = np.asarray(got, np.float64).ravel()
    ref = np.asarray(ref, np.float64).ravel()
    if got.shape != ref.shape:
        return float("inf")
    e = float(np.max(np.abs(got - ref))) if ref.size else 0.0
    m = float(np.max(np.abs(ref))) if ref.size else 0.0
    return e / (m or 1.0) if math.isfinite(e) else float("inf")


def b2_ref(x):
    x = x.astype(np.float64)
    return np.tanh(x) * np.exp(-x * x)


def rosen_grad_ref(x):
    x = x.astype(np.float64)
    g = np.zeros_like(x)
    t = x[1:] - x[:-1] ** 2
    g[:-1] += -400 * x[:-1] * t - 2 * (1 - x[:-1])
    g[1:] += 200 * t
    return g


def b7_input():
    return uniform(7, 100_000, -2, 2)


def third_ref(A, x):
    """T[i,j,k] = Σ_r tanh‴(z_r) A[r,i] A[r,j] A[r,k], z = A x, in float64."""
    A = A.astype(np.float64)
    t = np.tanh(A @ x.astype(np.float64))
    d3 = (1 - t * t) * (6 * t * t - 2)
    return np.einsum("r,ri,rj,rk->ijk", d3, A, A, A)


def b7_ref(xs, k):
    """k-th derivative of sin(x)·exp(−x²) at each point from Taylor coefficients, in float64."""
    x = xs.astype(np.float64)
    cyc = [np.sin(x), np.cos(x), -np.sin(x), -np.cos(x)]
    s = [cyc[j % 4] / math.factorial(j) for j in range(k + 1)]
    w = [np.ones_like(x)]
    for j in range(1, k + 1):
        w.append((-2 * x * w[j - 1] - (2 * w[j - 2] if j >= 2 else 0)) / j)
    c = sum(s[i] * w[k - i] for i in range(k + 1))
    return math.factorial(k) * np.exp(-x * x) * c


def hessian_ref(A, x):
    A = A.astype(np.float64)
    t = np.tanh(A @ x.astype(np.float64))
    return A.T @ ((-2 * t * (1 - t * t))[:, None] * A)


def mlp_ref(d):
    """Loss and gradients of B3 in float64, by hand."""
    p = {k: v.astype(np.float64) for k, v in d["params"].items()}
    hs, zs = [d["X"].astype(np.float64)], []
    for l in range(3):
        z = hs[l] @ p[f"W{l}"] + p[f"b{l}"]
        zs.append(z)
        if l < 2:
            hs.append(np.maximum(z, 0))
    z = zs[2]
    lse = z.max(1, keepdims=True) + np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True))
    logp = z - lse
    Y = d["Y"].astype(np.float64)
    loss = float(-(Y * logp).sum() / 128)
    dz = (np.exp(logp) - Y) / 128
    grads = {}
    for l in (2, 1, 0):
        grads[f"W{l}"] = hs[l].T @ dz
        grads[f"b{l}"] = dz.sum(0)
        if l > 0:
            dz = (dz @ p[f"W{l}"].T) * (zs[l - 1] > 0)
    return loss, grads


def check_step(loss, new_params, p0, lr, loss_ref, grads_ref):
    """A training step: the loss, and every update against −lr·∇ in float64."""
    err = rel_err([loss], [loss_ref])
    for k, g in grads_ref.items():
        upd = np.asarray(new_params[k], np.float64) - p0[k].astype(np.float64)
        err = max(err, rel_err(upd, -lr * g))
    return err


def cnn_loss64(x, labels, p):
    x = x.astype(np.float64)[:, 0]
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    cw = p["cw"].astype(np.float64)
    c = np.zeros((64, 8, 28, 28))
    for di in range(3):
        for dj in range(3):
            c += cw[None, :, 0, di, dj, None, None] * xp[:, None, di : di + 28, dj : dj + 28]
    c = np.maximum(c + p["cb"].astype(np.float64)[None, :, None, None], 0)
    h = c.reshape(64, 8, 14, 2, 14, 2).max(axis=(3, 5)).reshape(64, 1568)
    z = h @ p["W"].astype(np.float64) + p["b"].astype(np.float64)
    m = z.max(1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(z - m).sum(1))
    return float(np.mean(lse - z[np.arange(64), labels]))


def cnn_ref(d):
    """Loss and gradients of B11 in float64, by hand (common.mjs cnnRef): the gradient of a pooling window goes
    to its first maximum, and through ReLU only where the convolution was positive."""
    p = {k: v.astype(np.float64) for k, v in d["params"].items()}
    xp = np.pad(d["x"].astype(np.float64)[:, 0], ((0, 0), (1, 1), (1, 1)))
    c = np.zeros((64, 8, 28, 28))
    for di in range(3):
        for dj in range(3):
            c += p["cw"][None, :, 0, di, dj, None, None] * xp[:, None, di : di + 28, dj : dj + 28]
    c += p["cb"][None, :, None, None]
    windows = np.maximum(c, 0).reshape(64, 8, 14, 2, 14, 2).transpose(0, 1, 2, 4, 3, 5).reshape(64, 8, 14, 14, 4)
    arg = windows.argmax(-1)
    h = np.take_along_axis(windows, arg[..., None], -1)[..., 0].reshape(64, 1568)
    z = h @ p["W"] + p["b"]
    m = z.max(1, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(1, keepdims=True))
    labels = d["labels"]
    loss = float(np.mean(lse[:, 0] - z[np.arange(64), labels]))
    dz = np.exp(z - lse)
    dz[np.arange(64), labels] -= 1
    dz /= 64
    grads = {"W": h.T @ dz, "b": dz.sum(0)}
    dwin = np.zeros((64, 8, 14, 14, 4))
    np.put_along_axis(dwin, arg[..., None], (dz @ p["W"].T).reshape(64, 8, 14, 14, 1), -1)
    dc = dwin.reshape(64, 8, 14, 14, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(64, 8, 28, 28) * (c > 0)
    grads["cb"] = dc.sum((0, 2, 3))
    gcw = np.zeros((8, 1, 3, 3))
    for di in range(3):
        for dj in range(3):
            gcw[:, 0, di, dj] = np.einsum("nohw,nhw->o", dc, xp[:, di : di + 28, dj : dj + 28])
    grads["cw"] = gcw
    return loss, grads


def layer_norm64(x, g, e):
    mu = x.mean(-1, keepdims=True)
    xc = x - mu
    return xc / np.sqrt((xc * xc).mean(-1, keepdims=True) + 1e-5) * g + e


def tf_loss64(x, p):
    p = {k: np.asarray(v, np.float64) for k, v in p.items()}
    x = x.astype(np.float64)
    heads = lambda t: t.reshape(B, S, H, DH).transpose(0, 2, 1, 3)  # noqa: E731
    a = layer_norm64(x, p["g1"], p["e1"])
    q, k, v = heads(a @ p["Wq"]), heads(a @ p["Wk"]), heads(a @ p["Wv"])
    s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(DH)
    w = np.exp(s - s.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    o = (w @ v).transpose(0, 2, 1, 3).reshape(B, S, D)
    h = x + o @ p["Wo"]
    z = layer_norm64(h, p["g2"], p["e2"]) @ p["W1"] + p["b1"]
    gz = 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))
    y = h + gz @ p["W2"] + p["b2"]
    return float((y * y).mean())


def directional_ref(loss64, params, groups, seed):
    """Per group, a direction v uniform in [−1, 1) and ⟨∇L, v⟩ by float64 central differences (step 1e-4)."""
    base = {k: np.asarray(v, np.float64) for k, v in params.items()}
    out = []
    for gi, group in enumerate(groups):
        v = {k: mulberry32(seed + 16 * gi + j, base[k].size).reshape(base[k].shape) * 2 - 1 for j, k in enumerate(group)}

        def shifted(sign, group=group, v=v):
            return loss64({**base, **{k: base[k] + sign * 1e-4 * v[k] for k in group}})

        out.append((group, v, (shifted(1) - shifted(-1)) / 2e-4))
    return out


def check_grads(loss, grads, loss_ref, dirs):
    """The loss against float64, and per group ⟨g, v⟩ against the central difference, scaled by Σ|g_i v_i|."""
    err = rel_err([loss], [loss_ref])
    for group, v, slope in dirs:
        terms = np.concatenate([(np.asarray(grads[k], np.float64) * v[k]).ravel() for k in group])
        e = abs(float(terms.sum()) - slope) / (float(np.abs(terms).sum()) or 1.0)
        err = max(err, e if math.isfinite(e) else float("inf"))
    return err


# ---------------------------------------------------------------- workloads shared by the workers

class Refs:
    """Inputs and float64 references, built once per process and only when a case needs them."""

    def __init__(self):
        self._cache = {}

    def get(self, name, make):
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    def mlp(self):
        return self.get("mlp", lambda: (lambda d: (d, mlp_ref(d)))(mlp_inputs()))

    def cnn(self):
        def make():
            d = cnn_inputs()
            loss, grads = cnn_ref(d)
            return d, loss, grads

        return self.get("cnn", make)

    def rnn(self):
        def make():
            d = rnn_inputs(100)
            loss, grads = rnn_ref(d)
            return d, loss, grads

        return self.get("rnn", make)

    def tf(self):
        def make():
            d = tf_inputs()
            f = lambda p: tf_loss64(d["x"], p)  # noqa: E731
            return d, f(d["params"]), directional_ref(f, d["params"], TF_GROUPS, 5000)

        return self.get("tf", make)


REFS = Refs()


def check_cnn(first):
    """first = (loss, new params): the loss and the four updates against float64 (ReLU and max-pool kinks make
    central differences unreliable here, so the reference gradient is exact)."""
    d, loss_ref, grads = REFS.cnn()
    return check_step(first[0], first[1], d["params"], d["lr"], loss_ref, grads)


def check_rnn(first):
    """first = (loss, new params): the loss and the three updates of the first T = 100 step against float64."""
    d, loss_ref, grads = REFS.rnn()
    return check_step(first[0], first[1], d["params"], d["lr"], loss_ref, grads)


def check_tf(first):
    d, loss_ref, dirs = REFS.tf()
    loss, grads = first
    return check_grads(loss, grads, loss_ref, dirs)


def loss0(first):
    return {"loss0": float(first[0])}


def fake_build(workload, size, mode):
    """NumPy stand-ins for --fake: float64 references computed as if they were the library's results."""
    note = {"note": "fake: NumPy float64 reference, not the library"}
    if workload == "B2":
        x = b2_input()
        return Case(lambda: b2_ref(x), lambda y: rel_err(y, b2_ref(x)), lambda _: note)
    if workload == "B3":
        d, (loss_ref, grads) = REFS.mlp()

        def step():
            loss, g = mlp_ref(d)
            return loss, {k: d["params"][k] - d["lr"] * g[k] for k in MLP_NAMES}

        return Case(step, lambda f: check_step(f[0], f[1], d["params"], d["lr"], loss_ref, grads), lambda _: note)
    if workload == "B4":
        x = rosen_input()
        return Case(lambda: rosen_grad_ref(x), lambda g: rel_err(g, rosen_grad_ref(x)), lambda _: note)
    if workload == "B5":
        A, x = tanh_sum_inputs(int(size))
        return Case(lambda: hessian_ref(A, x), lambda h: rel_err(h, hessian_ref(A, x)), lambda _: note)
    if workload == "B6":
        A, x = tanh_sum_inputs(int(size))
        return Case(lambda: third_ref(A, x), lambda r: rel_err(r, third_ref(A, x)), lambda _: note)
    if workload == "B7":
        x = b7_input()
        return Case(lambda: b7_ref(x, int(size)), lambda r: rel_err(r, b7_ref(x, int(size))), lambda _: note)
    if workload == "B9":
        d, loss_ref, grads = REFS.rnn()

        def rnn_step():
            loss, g = rnn_ref(d)
            return loss, {k: d["params"][k] - d["lr"] * g[k] for k in g}

        return Case(rnn_step, check_rnn, lambda _: note)
    if workload == "B11":
        d, loss_ref, _ = REFS.cnn()
        run = lambda: (cnn_loss64(d["x"], d["labels"], d["params"]),)  # noqa: E731
        return Case(run, lambda f: rel_err([f[0]], [loss_ref]), lambda f: {**loss0(f), **note, "note": note["note"] + " (loss only)"})
    if workload == "B12":
        d, loss_ref, _ = REFS.tf()
        run = lambda: (tf_loss64(d["x"], d["params"]),)  # noqa: E731
        return Case(run, lambda f: rel_err([f[0]], [loss_ref]), lambda f: {**loss0(f), "note": note["note"] + " (loss only)"})
    raise ValueError(f"unknown workload {workload}")


if __name__ == "__main__":
    # `python3 bench/libs/pybench.py --selftest`: prints the first values of the shared inputs and the
    # float64 losses, for the comparison with common.mjs in bench/selftest.ts.
    d = cnn_inputs()
    t = tf_inputs()
    r = rnn_inputs(100)
    rnn_loss, rnn_grads = rnn_ref(r)
    emit(
        {
            "b2": [float(v) for v in b2_input()[:4]],
            "mlp_labels": [int(v) for v in mlp_inputs()["labels"][:8]],
            "cnn_labels": [int(v) for v in d["labels"][:8]],
            "cnn_W": [float(v) for v in d["params"]["W"].ravel()[:4]],
            "tf_x": [float(v) for v in t["x"].ravel()[:4]],
            "cnn_loss64": cnn_loss64(d["x"], d["labels"], d["params"]),
            "cnn_grads64": {k: [float(v) for v in g.ravel()[:3]] for k, g in cnn_ref(d)[1].items()},
            "tf_loss64": tf_loss64(t["x"], t["params"]),
            "rnn_xs": [float(v) for v in r["xs"].ravel()[:4]],
            "rnn_U": [float(v) for v in r["params"]["U"].ravel()[:4]],
            "rnn_loss64": rnn_loss,
            "rnn_grads64": {k: [float(v) for v in g.ravel()[:3]] for k, g in rnn_grads.items()},
        }
    )
