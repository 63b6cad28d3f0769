#!/usr/bin/env python3
"""Benchmark worker for JAX (CPU, eager and jax.jit): B2–B7, B9, B11 and B12 in the JSON-line protocol of
bench/libs/common.mjs, on the inputs of the JS workers (pybench.py rebuilds them bit for bit).

XLA is kept to one thread (the parent also pins the process to one core with taskset when it can), as in the
recorded "JAX jit 1c" numbers. Without JAX the worker reports itself unavailable. `--fake` runs the protocol
with NumPy stand-ins instead of JAX (see pybench.py).
"""

import math
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
sys.dont_write_bytecode = True  # no __pycache__ beside the workers
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pybench as pb  # noqa: E402

if "--fake" in sys.argv:
    pb.main("jax", ["eager", "jit"], pb.fake_build, version="fake", info={"dir": "NumPy stand-in (--fake)"})
    sys.exit(0)

try:
    import jax
    import jax.numpy as jnp
except Exception as e:  # noqa: BLE001 - any import failure means "not available"
    pb.unavailable(f"jax not importable ({type(e).__name__}: {e})")

import numpy as np  # noqa: E402


def host(tree):
    """Reads every array of a result back to NumPy (this waits for the computation)."""
    return jax.tree_util.tree_map(np.asarray, tree)


def sgd_steps(loss, params, lr, X, Y, wrap):
    """A call that takes one SGD step on `loss` (params updated in place of the last) and reads it back."""

    def step(p, x, y):
        l, g = jax.value_and_grad(loss)(p, x, y)
        return l, {k: p[k] - lr * g[k] for k in p}

    f = wrap(step)
    state = {"p": {k: jnp.asarray(v) for k, v in params.items()}}

    def run():
        l, state["p"] = f(state["p"], X, Y)
        return float(l), host(state["p"])

    return run


def build(workload, size, mode):
    wrap = jax.jit if mode == "jit" else (lambda f: f)
    if workload == "B2":
        x = pb.b2_input()
        X = jnp.asarray(x)
        f = wrap(lambda v: jnp.tanh(v) * jnp.exp(-v * v))
        return pb.Case(lambda: host(f(X)), lambda y: pb.rel_err(y, pb.b2_ref(x)))

    if workload == "B3":
        d, (loss_ref, grads_ref) = pb.REFS.mlp()
        X, Y = jnp.asarray(d["X"]), jnp.asarray(d["Y"])

        def loss(p, x, y):
            h = jax.nn.relu(x @ p["W0"] + p["b0"])
            h = jax.nn.relu(h @ p["W1"] + p["b1"])
            return -jnp.sum(jax.nn.log_softmax(h @ p["W2"] + p["b2"], axis=-1) * y) / 128

        run = sgd_steps(loss, d["params"], d["lr"], X, Y, wrap)

        check = lambda r: pb.check_step(r[0], r[1], d["params"], d["lr"], loss_ref, grads_ref)  # noqa: E731
        return pb.Case(run, check)

    if workload == "B4":
        x = pb.rosen_input()
        X = jnp.asarray(x)

        def rosen(v):
            a, b = v[:-1], v[1:]
            return jnp.sum(100 * (b - a * a) ** 2 + (1 - a) ** 2)

        g = wrap(jax.grad(rosen))
        return pb.Case(lambda: host(g(X)), lambda r: pb.rel_err(r, pb.rosen_grad_ref(x)))

    if workload == "B5":
        A, x = pb.tanh_sum_inputs(int(size))
        At, X = jnp.asarray(A), jnp.asarray(x)
        h = wrap(jax.hessian(lambda v: jnp.sum(jnp.tanh(At @ v))))
        return pb.Case(lambda: host(h(X)), lambda r: pb.rel_err(r, pb.hessian_ref(A, x)))

    if workload == "B6":
        A, x = pb.tanh_sum_inputs(int(size))
        At, X = jnp.asarray(A), jnp.asarray(x)
        d3 = wrap(jax.jacfwd(jax.jacfwd(jax.jacrev(lambda v: jnp.sum(jnp.tanh(At @ v))))))
        return pb.Case(lambda: host(d3(X)), lambda r: pb.rel_err(r, pb.third_ref(A, x)))

    if workload == "B7":
        k = int(size)
        x = pb.b7_input()
        X = jnp.asarray(x)
        g = lambda v: jnp.sin(v) * jnp.exp(-v * v)  # noqa: E731
        for _ in range(k):
            g = jax.grad(g)
        gk = wrap(jax.vmap(g))
        return pb.Case(lambda: host(gk(X)), lambda r: pb.rel_err(r, pb.b7_ref(x, k)))

    if workload == "B9":
        d, _, _ = pb.REFS.rnn()
        X = jnp.asarray(d["xs"])
        h0 = jnp.zeros((d["B"], d["H"]), jnp.float32)

        def loss(p, xs, _):
            def cell(h, x):
                return jnp.tanh(x @ p["W"] + h @ p["U"] + p["b"]), None

            hT, _ = jax.lax.scan(cell, h0, xs)
            return jnp.mean(hT * hT)

        run = sgd_steps(loss, d["params"], d["lr"], X, None, wrap)
        return pb.Case(run, pb.check_rnn, pb.loss0)

    if workload == "B11":
        d, _, _ = pb.REFS.cnn()
        X, Y = jnp.asarray(d["x"]), jnp.asarray(d["labels"].astype(np.int32))

        def loss(p, x, y):
            nchw = ("NCHW", "OIHW", "NCHW")
            c = jax.lax.conv_general_dilated(x, p["cw"], (1, 1), [(1, 1), (1, 1)], dimension_numbers=nchw)
            c = jax.nn.relu(c + p["cb"].reshape(1, 8, 1, 1))
            pooled = jax.lax.reduce_window(c, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
            logp = jax.nn.log_softmax(pooled.reshape(64, 1568) @ p["W"] + p["b"], axis=-1)
            return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

        run = sgd_steps(loss, d["params"], d["lr"], X, Y, wrap)

        return pb.Case(run, pb.check_cnn, pb.loss0)

    if workload == "B12":
        d, _, _ = pb.REFS.tf()
        X = jnp.asarray(d["x"])
        P = {k: jnp.asarray(v) for k, v in d["params"].items()}

        def ln(x, g, e):
            mu = jnp.mean(x, -1, keepdims=True)
            var = jnp.mean((x - mu) ** 2, -1, keepdims=True)
            return (x - mu) * jax.lax.rsqrt(var + 1e-5) * g + e

        def split(t):
            return t.reshape(pb.B, pb.S, pb.H, pb.DH).transpose(0, 2, 1, 3)

        def loss(p, x):
            a = ln(x, p["g1"], p["e1"])
            q, k, v = split(a @ p["Wq"]), split(a @ p["Wk"]), split(a @ p["Wv"])
            w = jax.nn.softmax(jnp.einsum("bhid,bhjd->bhij", q, k) / math.sqrt(pb.DH), axis=-1)
            o = jnp.einsum("bhij,bhjd->bihd", w, v).reshape(pb.B, pb.S, pb.D)
            h = x + o @ p["Wo"]
            z = jax.nn.gelu(ln(h, p["g2"], p["e2"]) @ p["W1"] + p["b1"], approximate=True)
            y = h + z @ p["W2"] + p["b2"]
            return jnp.mean(y * y)

        f = wrap(jax.value_and_grad(loss))

        def run():
            l, g = f(P, X)
            return float(l), host(g)

        return pb.Case(run, pb.check_tf, pb.loss0)

    raise ValueError(f"unknown workload {workload}")


info = {"dir": os.path.dirname(jax.__file__), "devices": str(jax.devices())}
pb.main("jax", ["eager", "jit"], build, version=jax.__version__, info=info)
