#!/usr/bin/env python3
"""Benchmark worker for PyTorch (CPU, eager autograd, one thread unless TORCH_THREADS says otherwise): B2–B7,
B9 (nn.RNN), B11 and B12 in the JSON-line protocol of bench/libs/common.mjs, on the inputs of the JS workers (pybench.py
rebuilds them bit for bit). Without PyTorch the worker reports itself unavailable. `--fake` runs the protocol
with NumPy stand-ins instead of PyTorch (see pybench.py).
"""

import math
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the workers
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pybench as pb  # noqa: E402

if "--fake" in sys.argv:
    pb.main("torch", ["eager"], pb.fake_build, version="fake", info={"dir": "NumPy stand-in (--fake)"})
    sys.exit(0)

try:
    import torch
    import torch.nn.functional as F
except Exception as e:  # noqa: BLE001 - any import failure means "not available"
    pb.unavailable(f"torch not importable ({type(e).__name__}: {e})")

THREADS = int(os.environ.get("TORCH_THREADS", "1"))
torch.set_num_threads(THREADS)


def t(a):
    return torch.from_numpy(a.copy())


def leaves(params):
    return {k: t(v).requires_grad_() for k, v in params.items()}


def build(workload, size, mode):
    if workload == "B2":
        x = pb.b2_input()
        X = t(x)
        return pb.Case(lambda: (torch.tanh(X) * torch.exp(-X * X)).numpy(), lambda y: pb.rel_err(y, pb.b2_ref(x)))

    if workload in ("B3", "B11"):
        if workload == "B3":
            d, (loss_ref, grads_ref) = pb.REFS.mlp()
            X, labels = t(d["X"]), torch.from_numpy(d["labels"])

            def loss(p):
                h = torch.relu(X @ p["W0"] + p["b0"])
                h = torch.relu(h @ p["W1"] + p["b1"])
                return F.cross_entropy(h @ p["W2"] + p["b2"], labels)

            check = lambda r: pb.check_step(r[0], r[1], d["params"], d["lr"], loss_ref, grads_ref)  # noqa: E731
            extra = None
        else:
            d, _, _ = pb.REFS.cnn()
            X, labels = t(d["x"]), torch.from_numpy(d["labels"])

            def loss(p):
                c = torch.relu(F.conv2d(X, p["cw"], p["cb"], padding=1))
                return F.cross_entropy(F.max_pool2d(c, 2).reshape(64, 1568) @ p["W"] + p["b"], labels)

            check, extra = pb.check_cnn, pb.loss0
        p = leaves(d["params"])

        def run():
            for q in p.values():
                q.grad = None
            l = loss(p)
            l.backward()
            with torch.no_grad():
                for q in p.values():
                    q.sub_(d["lr"] * q.grad)
            return float(l), {k: q.detach().numpy().copy() for k, q in p.items()}

        return pb.Case(run, check, extra)

    if workload == "B4":
        x = pb.rosen_input()
        X = t(x)

        def run():
            v = X.clone().requires_grad_()
            a, b = v[:-1], v[1:]
            (g,) = torch.autograd.grad(torch.sum(100 * (b - a * a) ** 2 + (1 - a) ** 2), v)
            return g.numpy()

        return pb.Case(run, lambda g: pb.rel_err(g, pb.rosen_grad_ref(x)))

    if workload == "B5":
        A, x = pb.tanh_sum_inputs(int(size))
        At, X = t(A), t(x)
        f = lambda v: torch.sum(torch.tanh(At @ v))  # noqa: E731
        if hasattr(torch, "func"):  # PyTorch 2: forward-over-reverse
            hess = torch.func.hessian(f)
        else:  # PyTorch 1.x: torch.autograd.functional (a reverse pass per row)
            hess = lambda v: torch.autograd.functional.hessian(f, v, vectorize=True)  # noqa: E731
        return pb.Case(lambda: hess(X).detach().numpy(), lambda h: pb.rel_err(h, pb.hessian_ref(A, x)))

    if workload in ("B6", "B7") and not hasattr(torch, "func"):
        raise ValueError(f"{workload} needs torch.func (PyTorch 2)")

    if workload == "B6":
        A, x = pb.tanh_sum_inputs(int(size))
        At, X = t(A), t(x)
        tf = torch.func
        d3 = tf.jacfwd(tf.jacfwd(tf.jacrev(lambda v: torch.sum(torch.tanh(At @ v)))))
        return pb.Case(lambda: d3(X).detach().numpy(), lambda r: pb.rel_err(r, pb.third_ref(A, x)))

    if workload == "B7":
        k = int(size)
        x = pb.b7_input()
        X = t(x)
        g = lambda v: torch.sin(v) * torch.exp(-v * v)  # noqa: E731
        for _ in range(k):
            g = torch.func.grad(g)
        gk = torch.func.vmap(g)
        return pb.Case(lambda: gk(X).detach().numpy(), lambda r: pb.rel_err(r, pb.b7_ref(x, k)))

    if workload == "B9":
        # torch.nn.RNN computes tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh): W_ih = Wᵀ, W_hh = Uᵀ, b_ih = b, b_hh = 0 (kept).
        d, _, _ = pb.REFS.rnn()
        rnn = torch.nn.RNN(d["I"], d["H"], nonlinearity="tanh")
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(t(d["params"]["W"].T))
            rnn.weight_hh_l0.copy_(t(d["params"]["U"].T))
            rnn.bias_ih_l0.copy_(t(d["params"]["b"]))
            rnn.bias_hh_l0.zero_()
        rnn.bias_hh_l0.requires_grad_(False)
        X = t(d["xs"])
        trained = [rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0]

        def run():
            for q in trained:
                q.grad = None
            _, hT = rnn(X)
            l = (hT * hT).mean()
            l.backward()
            with torch.no_grad():
                for q in trained:
                    q.sub_(d["lr"] * q.grad)
            new = [q.detach().numpy() for q in trained]
            return float(l), {"W": new[0].T.copy(), "U": new[1].T.copy(), "b": new[2].copy()}

        return pb.Case(run, pb.check_rnn, pb.loss0)

    if workload == "B12":
        d, _, _ = pb.REFS.tf()
        X = t(d["x"])
        p = leaves(d["params"])
        names = list(p)

        def ln(x, g, e):
            return F.layer_norm(x, (pb.D,), g, e, 1e-5)

        def split(v):
            return v.reshape(pb.B, pb.S, pb.H, pb.DH).transpose(1, 2)

        def run():
            a = ln(X, p["g1"], p["e1"])
            q, k, v = split(a @ p["Wq"]), split(a @ p["Wk"]), split(a @ p["Wv"])
            w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(pb.DH), dim=-1)
            o = (w @ v).transpose(1, 2).reshape(pb.B, pb.S, pb.D)
            h = X + o @ p["Wo"]
            y = h + F.gelu(ln(h, p["g2"], p["e2"]) @ p["W1"] + p["b1"], approximate="tanh") @ p["W2"] + p["b2"]
            l = (y * y).mean()
            g = torch.autograd.grad(l, [p[k] for k in names])
            return float(l), {k: gi.numpy() for k, gi in zip(names, g)}

        return pb.Case(run, pb.check_tf, pb.loss0)

    raise ValueError(f"unknown workload {workload}")


pb.main("torch", ["eager"], build, version=torch.__version__, info={"dir": os.path.dirname(torch.__file__), "threads": THREADS})
