#!/usr/bin/env python3
"""Writes test/fixtures/linalg/*.json: float64 inputs with NumPy / SciPy (LAPACK) results for nb.linalg.

Run from the repository root: `python3 scripts/linalg-fixtures.py`. Deterministic (fixed seed). Needs NumPy 2
and SciPy; the tests only read the committed JSON, they never run Python.

Matrices are built as U diag(s) Vᵀ (U, V Haar-orthogonal) with singular values spread geometrically from 1 to
1/cond: "well" cases have cond ≈ 10 (and some plain Gaussian matrices), "ill" cases cond ≈ 1e8. SPD matrices
are Q diag(s) Qᵀ. Every case stores `cond` (the 2-norm condition number of its main matrix) so that the tests
can scale their tolerances.

Derivative fixtures (grads.json) hold, for scalar functions f of a matrix, the gradient from a closed-form
matrix-calculus formula (checked here against central differences before writing), and a directional second
derivative H[V] = d/dt ∇f(A + tV) at t = 0, computed exactly where a formula is short and otherwise by
Richardson-extrapolated central differences of the analytic gradient (error ~1e-11 relative).
"""

import json
import os
import subprocess

import numpy as np
import scipy.linalg as sl

SEED = 20261207
rng = np.random.default_rng(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "linalg")
EPS = np.finfo(np.float64).eps


def tolist(x):
    x = np.asarray(x)
    if x.dtype.kind in "iub":
        return x.astype(int).tolist()
    return x.astype(np.float64).tolist()


def haar(n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def with_cond(m, n, cond):
    k = min(m, n)
    s = np.logspace(0, -np.log10(cond), k) if k > 1 else np.ones(1)
    u = haar(m)[:, :k]
    v = haar(n)[:, :k]
    scale = 10.0 ** rng.uniform(-1, 1)
    return scale * (u * s) @ v.T


def spd(n, cond):
    q = haar(n)
    s = np.logspace(0, -np.log10(cond), n) if n > 1 else np.ones(1)
    rng.shuffle(s)
    a = (q * s) @ q.T
    return 0.5 * (a + a.T) * 10.0 ** rng.uniform(-1, 1)


def sym_indef(n, cond):
    q = haar(n)
    s = np.logspace(0, -np.log10(cond), n) if n > 1 else np.ones(1)
    s = s * rng.choice([-1.0, 1.0], n)
    a = (q * s) @ q.T
    return 0.5 * (a + a.T)


def cond2(a):
    s = np.linalg.svd(a, compute_uv=False)
    return float(s[0] / s[-1]) if s[-1] > 0 else float("inf")


def kinds(sizes_well, sizes_ill):
    for n in sizes_well:
        yield n, "well", 10.0
    for n in sizes_ill:
        yield n, "ill", 1e8


SMALL = list(range(1, 9))
ILL = [2, 3, 4, 5, 6, 8]


def write(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"), allow_nan=False)
    print(f"{name}: {os.path.getsize(path) / 1024:.0f} KiB")


def lapack_pivot_margin(a):
    """Simulates getrf's partial pivoting; returns (pivots, the smallest relative gap between the chosen pivot
    and the runner-up over all steps). A large margin means the pivot choice is not a near-tie."""
    a = a.copy()
    m, n = a.shape
    piv = []
    margin = np.inf
    for k in range(min(m, n)):
        col = np.abs(a[k:, k])
        p = int(np.argmax(col)) + k
        if col.size > 1:
            srt = np.sort(col)[::-1]
            margin = min(margin, (srt[0] - srt[1]) / srt[0] if srt[0] > 0 else 0.0)
        piv.append(p)
        a[[k, p]] = a[[p, k]]
        if a[k, k] != 0:
            a[k + 1 :, k] /= a[k, k]
            a[k + 1 :, k + 1 :] -= np.outer(a[k + 1 :, k], a[k, k + 1 :])
    return piv, float(min(margin, 1.0))


# ----------------------------------------------------------------------------- factorizations
def decomp():
    out = {"cholesky": [], "lu": [], "qr": [], "eigh": [], "svd": []}
    for n, kind, c in kinds(SMALL + [16, 32], ILL + [16]):
        a = spd(n, c)
        low = np.linalg.cholesky(a)
        out["cholesky"].append({"kind": kind, "cond": cond2(a), "a": tolist(a), "l": tolist(low)})
    for (m, n), kind, c in [((n, n), k, c) for n, k, c in kinds(SMALL + [16], ILL)] + [
        ((5, 3), "well", 10.0),
        ((3, 5), "well", 10.0),
        ((7, 4), "ill", 1e8),
        ((2, 6), "well", 10.0),
    ]:
        a = with_cond(m, n, c)
        lu, piv = sl.lu_factor(a) if m == n else (None, None)
        if m != n:
            p, low, up = sl.lu(a)
            # scipy.linalg.lu_factor is square-only; build getrf's packed form and pivots for rectangular a
            # from LAPACK directly.
            lu, piv, info = sl.lapack.dgetrf(a)
        sim, margin = lapack_pivot_margin(a)
        assert margin < 1e-9 or list(map(int, piv)) == sim
        perm = np.arange(m)
        for i, p in enumerate(piv):
            perm[[i, p]] = perm[[p, i]]
        out["lu"].append(
            {
                "kind": kind,
                "cond": cond2(a),
                "a": tolist(a),
                "lu": tolist(lu),
                "pivots": tolist(piv),
                "permutation": tolist(perm),
                "pivotMargin": margin,
            }
        )
    for (m, n), kind, c in [((n, n), k, c) for n, k, c in kinds(SMALL + [16], ILL)] + [
        ((6, 3), "well", 10.0),
        ((8, 5), "ill", 1e8),
        ((3, 6), "well", 10.0),
        ((4, 1), "well", 10.0),
        ((1, 4), "well", 10.0),
    ]:
        a = with_cond(m, n, c)
        qr_r = np.linalg.qr(a, mode="reduced")
        qr_c = np.linalg.qr(a, mode="complete")
        out["qr"].append(
            {
                "kind": kind,
                "cond": cond2(a),
                "a": tolist(a),
                "q": tolist(qr_r.Q),
                "r": tolist(qr_r.R),
                "qComplete": tolist(qr_c.Q),
                "rComplete": tolist(qr_c.R),
            }
        )
    for n, kind, c in kinds(SMALL + [16, 32], ILL + [16]):
        a = sym_indef(n, c) * 10.0 ** rng.uniform(-1, 1)
        w, v = np.linalg.eigh(a)
        # Poison the strict upper triangle: eigh must read only the lower one (the default).
        poisoned = a.copy()
        poisoned[np.triu_indices(n, 1)] = rng.standard_normal(n * (n - 1) // 2) * 100
        out["eigh"].append(
            {
                "kind": kind,
                "cond": cond2(a),
                "a": tolist(a),
                "aLowerOnly": tolist(poisoned),
                "eigenvalues": tolist(w),
                "eigenvectors": tolist(v),
            }
        )
    for (m, n), kind, c in [((n, n), k, c) for n, k, c in kinds(SMALL + [16], ILL)] + [
        ((6, 3), "well", 10.0),
        ((3, 6), "well", 10.0),
        ((8, 5), "ill", 1e8),
        ((5, 8), "ill", 1e8),
        ((5, 1), "well", 10.0),
    ]:
        a = with_cond(m, n, c)
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        out["svd"].append({"kind": kind, "cond": cond2(a), "a": tolist(a), "u": tolist(u), "s": tolist(s), "vh": tolist(vh)})
    # Cholesky reads only the lower triangle: a copy with a poisoned upper triangle gives the same factor.
    for case in out["cholesky"][:8]:
        a = np.array(case["a"])
        n = a.shape[0]
        p = a.copy()
        p[np.triu_indices(n, 1)] = -1e3
        case["aLowerOnly"] = tolist(p)
    write("decomp.json", out)


# ----------------------------------------------------------------------------- solves and friends
def solves():
    out = {"triangular": [], "solve": [], "inv": [], "det": [], "choSolve": [], "lstsq": [], "pinv": []}
    for n, kind, c in kinds([1, 2, 3, 5, 8, 16], [3, 6, 8]):
        for lower in (True, False):
            for left in (True, False):
                for trans in (False, True):
                    for unit in (False, True):
                        if n > 8 and (unit or trans):
                            continue
                        # Triangular factor of a matrix with the given cond (R of a QR), other triangle poisoned.
                        t = np.linalg.qr(with_cond(n, n, c)).R
                        if unit:
                            t = t / np.diag(t)[:, None]
                        if lower:
                            t = t.T
                        k = 2
                        b = rng.standard_normal((n, k) if left else (k, n))
                        op = t.T if trans else t
                        opu = op.copy()
                        if unit:
                            np.fill_diagonal(opu, 1.0)
                        x = sl.solve_triangular(opu, b, lower=(lower != trans), unit_diagonal=unit) if left else (
                            sl.solve_triangular(opu.T, b.T, lower=(lower == trans), unit_diagonal=unit).T
                        )
                        ap = t.copy()
                        mask = np.triu_indices(n, 1) if lower else np.tril_indices(n, -1)
                        ap[mask] = 7.5
                        if unit:
                            np.fill_diagonal(ap, 3.0)  # must not be read either
                        out["triangular"].append(
                            {
                                "kind": kind,
                                "cond": cond2(opu),
                                "a": tolist(ap),
                                "b": tolist(b),
                                "lower": lower,
                                "leftSide": left,
                                "transposeA": trans,
                                "unitDiagonal": unit,
                                "x": tolist(x),
                            }
                        )
    for n, kind, c in kinds(SMALL + [16, 32], ILL + [16]):
        a = with_cond(n, n, c)
        b1 = rng.standard_normal(n)
        b2 = rng.standard_normal((n, 3))
        out["solve"].append(
            {
                "kind": kind,
                "cond": cond2(a),
                "a": tolist(a),
                "b1": tolist(b1),
                "x1": tolist(np.linalg.solve(a, b1)),
                "b2": tolist(b2),
                "x2": tolist(np.linalg.solve(a, b2)),
            }
        )
    for n, kind, c in kinds(SMALL + [16], ILL):
        a = with_cond(n, n, c)
        out["inv"].append({"kind": kind, "cond": cond2(a), "a": tolist(a), "inv": tolist(np.linalg.inv(a))})
    for n, kind, c in kinds(SMALL + [16], ILL):
        a = with_cond(n, n, c)
        if rng.random() < 0.5 and n > 1:
            a[[0, 1]] = a[[1, 0]]
        sign, logabs = np.linalg.slogdet(a)
        out["det"].append(
            {"kind": kind, "cond": cond2(a), "a": tolist(a), "det": float(np.linalg.det(a)), "sign": float(sign), "logabsdet": float(logabs)}
        )
    # Large and tiny determinants: det overflows / underflows float64 range-wise only in slogdet's favour.
    for scale in (1e-30, 1e30):
        a = with_cond(20, 20, 10.0) / np.abs(with_cond(20, 20, 10.0)).max() * scale
        sign, logabs = np.linalg.slogdet(a)
        d = float(np.linalg.det(a))
        out["det"].append({"kind": "scaled", "cond": cond2(a), "a": tolist(a), "det": d if np.isfinite(d) else None, "sign": float(sign), "logabsdet": float(logabs)})
    for n, kind, c in kinds([1, 2, 3, 5, 8], [4, 8]):
        a = spd(n, c)
        low = np.linalg.cholesky(a)
        b = rng.standard_normal((n, 2))
        x = sl.cho_solve((low, True), b)
        out["choSolve"].append({"kind": kind, "cond": cond2(a), "l": tolist(low), "u": tolist(low.T), "b": tolist(b), "x": tolist(x)})
    lstsq_cases = [((6, 3), 10.0, 1, "well"), ((6, 3), 10.0, 2, "well"), ((5, 5), 10.0, 2, "well"), ((3, 6), 10.0, 1, "well"),
                   ((3, 6), 10.0, 2, "well"), ((8, 4), 1e8, 2, "ill"), ((7, 2), 10.0, 2, "well"), ((1, 3), 10.0, 1, "well")]
    for (m, n), c, bdim, kind in lstsq_cases:
        a = with_cond(m, n, c)
        b = rng.standard_normal(m) if bdim == 1 else rng.standard_normal((m, 2))
        x, res, rank, sv = np.linalg.lstsq(a, b)
        out["lstsq"].append({"kind": kind, "cond": cond2(a), "a": tolist(a), "b": tolist(b), "solution": tolist(x), "residuals": tolist(res), "rank": int(rank), "singularValues": tolist(sv)})
    # Rank-deficient: residuals are empty (NumPy), rank < n, solution is the minimum-norm one.
    for m, n, r in ((6, 4, 2), (5, 5, 3)):
        a = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
        b = rng.standard_normal((m, 2))
        x, res, rank, sv = np.linalg.lstsq(a, b)
        out["lstsq"].append({"kind": "rank-deficient", "cond": 1.0, "a": tolist(a), "b": tolist(b), "solution": tolist(x), "residuals": tolist(res), "rank": int(rank), "singularValues": tolist(sv)})
    for (m, n), kind, c in [((n, n), k, c) for n, k, c in kinds([1, 2, 3, 5, 8], [4, 6])] + [((6, 3), "well", 10.0), ((3, 6), "well", 10.0)]:
        a = with_cond(m, n, c)
        out["pinv"].append({"kind": kind, "cond": cond2(a), "a": tolist(a), "pinv": tolist(np.linalg.pinv(a))})
    for m, n, r in ((6, 4, 2), (4, 4, 3)):
        a = rng.standard_normal((m, r)) @ rng.standard_normal((r, n))
        out["pinv"].append({"kind": "rank-deficient", "cond": 1.0, "a": tolist(a), "pinv": tolist(np.linalg.pinv(a))})
    write("solve.json", out)


# ----------------------------------------------------------------------------- everything else
def misc():
    out = {"eigvalsh": [], "svdvals": [], "matrixRank": [], "cond": [], "matrixPower": [], "expm": [], "norm": []}
    for n, kind, c in kinds([1, 2, 4, 7], [5, 8]):
        a = sym_indef(n, c)
        out["eigvalsh"].append({"kind": kind, "cond": cond2(a), "a": tolist(a), "w": tolist(np.linalg.eigvalsh(a))})
    for (m, n), kind, c in [((3, 3), "well", 10.0), ((4, 6), "well", 10.0), ((6, 4), "ill", 1e8), ((8, 8), "ill", 1e8)]:
        a = with_cond(m, n, c)
        out["svdvals"].append({"kind": kind, "cond": cond2(a), "a": tolist(a), "s": tolist(np.linalg.svd(a, compute_uv=False))})
    for m, n, r in ((4, 4, 4), (4, 4, 2), (6, 3, 3), (6, 3, 1), (3, 7, 2), (5, 5, 0), (8, 8, 7)):
        a = rng.standard_normal((m, r)) @ rng.standard_normal((r, n)) if r > 0 else np.zeros((m, n))
        out["matrixRank"].append({"kind": "rank", "a": tolist(a), "rank": int(np.linalg.matrix_rank(a))})
    a = with_cond(6, 6, 1e8)
    out["matrixRank"].append({"kind": "ill", "a": tolist(a), "rank": int(np.linalg.matrix_rank(a))})
    a = with_cond(6, 6, 1e8)
    out["matrixRank"].append({"kind": "ill-tol", "a": tolist(a), "tol": 1e-5 * np.abs(a).max(), "rank": int(np.linalg.matrix_rank(a, tol=1e-5 * np.abs(a).max()))})
    out["matrixRank"][-1]["tol"] = float(out["matrixRank"][-1]["tol"])
    for n, kind, c in kinds([2, 3, 5, 8], [4, 8]):
        a = with_cond(n, n, c)
        entry = {"kind": kind, "cond": cond2(a), "a": tolist(a), "values": {}}
        for name, p in (("2", 2), ("-2", -2), ("1", 1), ("-1", -1), ("inf", np.inf), ("-inf", -np.inf), ("fro", "fro")):
            entry["values"][name] = float(np.linalg.cond(a, p))
        out["cond"].append(entry)
    for n in (1, 2, 3, 5, 8):
        a = with_cond(n, n, 10.0)
        a = a / np.linalg.norm(a, 2) * 1.3
        entry = {"kind": "well", "cond": cond2(a), "a": tolist(a), "powers": {}}
        for p in (0, 1, 2, 3, 4, 7, 16, -1, -2, -3):
            entry["powers"][str(p)] = tolist(np.linalg.matrix_power(a, p))
        out["matrixPower"].append(entry)
    for n, scale in ((1, 1.0), (2, 0.5), (3, 1e-3), (4, 2.0), (5, 5.0), (6, 30.0), (8, 1.0), (8, 0.01), (16, 3.0)):
        a = rng.standard_normal((n, n))
        a = a / np.linalg.norm(a, 1) * scale
        out["expm"].append({"kind": "well", "norm1": scale, "a": tolist(a), "expm": tolist(sl.expm(a))})
    # Nilpotent and symmetric inputs (exactly known structure).
    a = np.triu(rng.standard_normal((5, 5)), 1)
    out["expm"].append({"kind": "nilpotent", "norm1": float(np.linalg.norm(a, 1)), "a": tolist(a), "expm": tolist(sl.expm(a))})
    a = sym_indef(5, 10.0) * 4
    out["expm"].append({"kind": "symmetric", "norm1": float(np.linalg.norm(a, 1)), "a": tolist(a), "expm": tolist(sl.expm(a))})

    def norms(x, cases):
        for ordv, axis, keep in cases:
            val = np.linalg.norm(x, ord=ordv, axis=axis, keepdims=keep)
            oname = None if ordv is None else ("Infinity" if ordv == np.inf else "-Infinity" if ordv == -np.inf else ordv)
            out["norm"].append(
                {"x": tolist(x), "ord": oname, "axis": list(axis) if isinstance(axis, tuple) else axis, "keepdims": keep, "value": tolist(val)}
            )

    v = rng.standard_normal(7)
    v[3] = 0.0
    vec_ords = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1, -2]
    norms(v, [(o, None, False) for o in vec_ords] + [(2, 0, True)])
    m = rng.standard_normal((4, 5))
    mat_ords = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]
    norms(m, [(o, None, False) for o in mat_ords])
    norms(m, [(o, (0, 1), True) for o in ("fro", 2, "nuc")])
    norms(m, [(o, (1, 0), False) for o in (1, np.inf, -2)])
    norms(m, [(o, 1, False) for o in (None, 1, np.inf, 0, 3)] + [(2, 0, True), (-np.inf, -1, False)])
    t = rng.standard_normal((2, 3, 4))
    norms(t, [(None, None, False), (None, None, True), (2, -1, False), ("fro", (1, 2), False), ("nuc", (1, 2), False),
              (2, (1, 2), True), (-2, (2, 1), False), (1, (0, 2), False), (np.inf, (-2, -1), False)])
    ill = with_cond(5, 5, 1e8)
    norms(ill, [(o, None, False) for o in (2, -2, "nuc", "fro")])
    write("misc.json", out)


# ----------------------------------------------------------------------------- batching
def batched():
    out = []
    n = 4
    shape = (2, 3, n, n)
    a_gen = np.stack([np.stack([with_cond(n, n, 10.0) for _ in range(3)]) for _ in range(2)])
    a_spd = np.stack([np.stack([spd(n, 100.0) for _ in range(3)]) for _ in range(2)])
    a_sym = np.stack([np.stack([sym_indef(n, 10.0) for _ in range(3)]) for _ in range(2)])
    b = rng.standard_normal((2, 3, n, 2))
    assert a_gen.shape == shape
    sign, logabs = np.linalg.slogdet(a_gen)
    w, v = np.linalg.eigh(a_sym)
    u, s, vh = np.linalg.svd(a_gen, full_matrices=False)
    qr = np.linalg.qr(a_gen)
    lus = [[sl.lu_factor(a_gen[i, j]) for j in range(3)] for i in range(2)]
    out = {
        "aGeneral": tolist(a_gen),
        "aSpd": tolist(a_spd),
        "aSym": tolist(a_sym),
        "b": tolist(b),
        "cholesky": tolist(np.linalg.cholesky(a_spd)),
        "solve": tolist(np.linalg.solve(a_gen, b)),
        "solveBroadcastB": tolist(np.linalg.solve(a_gen, b[0, 0])),
        "inv": tolist(np.linalg.inv(a_gen)),
        "det": tolist(np.linalg.det(a_gen)),
        "sign": tolist(sign),
        "logabsdet": tolist(logabs),
        "eigenvalues": tolist(w),
        "eigenvectors": tolist(v),
        "s": tolist(s),
        "u": tolist(u),
        "vh": tolist(vh),
        "q": tolist(qr.Q),
        "r": tolist(qr.R),
        "lu": tolist(np.array([[lus[i][j][0] for j in range(3)] for i in range(2)])),
        "pivots": tolist(np.array([[lus[i][j][1] for j in range(3)] for i in range(2)])),
        "expm": tolist(np.array([[sl.expm(a_gen[i, j]) for j in range(3)] for i in range(2)])),
        "triangularSolve": tolist(
            np.array([[sl.solve_triangular(np.linalg.cholesky(a_spd[i, j]), b[i, j], lower=True) for j in range(3)] for i in range(2)])
        ),
    }
    write("batched.json", out)


# ----------------------------------------------------------------------------- derivatives
def sym(x):
    return 0.5 * (x + x.T)


def phi(x):
    return np.tril(x) - 0.5 * np.diag(np.diag(x))


def step(a):
    # Finite-difference step: small against the smallest singular value, so ill-conditioned inputs stay valid.
    return 1e-3 * min(1.0, float(np.linalg.svd(a, compute_uv=False)[-1]))


def fd_directional(grad, a, v):
    h = step(a)

    def d(hh):
        return (grad(a + hh * v) - grad(a - hh * v)) / (2 * hh)

    return (4 * d(h / 2) - d(h)) / 3


def fd_check(f, grad, a, v, symmetric, rtol):
    """Checks <∇f, V> against a Richardson central difference of f; aborts the script on a mismatch."""
    g = grad(a)

    def d(hh):
        return (f(a + hh * v) - f(a - hh * v)) / (2 * hh)

    h = 0.1 * step(a)
    num = (4 * d(h / 2) - d(h)) / 3
    ana = float(np.sum(g * v))
    assert abs(num - ana) <= rtol * max(1.0, abs(ana)), (num, ana)
    if symmetric:
        assert np.allclose(g, g.T, rtol=1e-10, atol=1e-12)


def grads():
    out = []

    def add(name, a, f, grad, w=None, extra=None, symmetric=False, hvp=None, kind="well"):
        n = a.shape[0]
        v = rng.standard_normal(a.shape)
        if symmetric:
            v = sym(v)
        v /= np.linalg.norm(v)
        rtol = 1e-6 if kind == "well" else 1e-4
        # cond 1e8: finite differences are too inaccurate to check against; the same formulas are checked on
        # the better-conditioned cases, and only exact second derivatives are stored.
        if kind != "ill8":
            fd_check(f, grad, a, v, symmetric, rtol)
        hv = hvp(a, v) if hvp is not None else fd_directional(grad, a, v) if kind != "ill8" else None
        if hvp is not None and kind == "well":
            assert np.allclose(hv, fd_directional(grad, a, v), rtol=rtol, atol=1e-8 * max(1.0, np.abs(hv).max()))
        case = {"fn": name, "kind": kind, "n": n, "cond": cond2(a),
                "a": tolist(a), "value": float(f(a)), "grad": tolist(grad(a)), "v": tolist(v), "hv": None if hv is None else tolist(hv),
                "hvExact": hvp is not None}
        if w is not None:
            case["w"] = tolist(w)
        if extra:
            case.update(extra)
        out.append(case)

    for n, kind, c in [(1, "well", 1.0), (2, "well", 10.0), (3, "well", 10.0), (5, "well", 10.0), (8, "well", 10.0), (4, "ill", 1e6), (4, "ill8", 1e8)]:
        # logdet of SPD via slogdet and via Cholesky: ∇ = A⁻¹; H[V] = −A⁻¹ V A⁻¹.
        a = spd(n, c)
        inv = np.linalg.inv
        for fn in ("logdetSlogdet", "logdetCholesky"):
            add(fn, a, lambda x: np.linalg.slogdet(x)[1], lambda x: inv(x).T, symmetric=True,
                hvp=lambda x, v: -inv(x).T @ v.T @ inv(x).T, kind=kind)
    for n, kind, c in [(1, "well", 1.0), (2, "well", 10.0), (3, "well", 10.0), (6, "well", 10.0), (4, "ill", 1e6), (4, "ill8", 1e8)]:
        a = with_cond(n, n, c)
        inv = np.linalg.inv
        # slogdet of a general matrix: ∇ = A⁻ᵀ.
        add("logabsdet", a, lambda x: np.linalg.slogdet(x)[1], lambda x: inv(x).T,
            hvp=lambda x, v: -inv(x).T @ v.T @ inv(x).T, kind=kind)
        # det: ∇ = det(A) A⁻ᵀ; H[V] = det·(tr(A⁻¹V) A⁻ᵀ − A⁻ᵀ Vᵀ A⁻ᵀ).
        add("det", a, np.linalg.det, lambda x: np.linalg.det(x) * inv(x).T,
            hvp=lambda x, v: np.linalg.det(x) * (np.trace(inv(x) @ v) * inv(x).T - inv(x).T @ v.T @ inv(x).T), kind=kind)
        # sum(W ⊙ A⁻¹): ∇ = −A⁻ᵀ W A⁻ᵀ.
        w = rng.standard_normal((n, n))

        def g_inv(x, w=w):
            xi = inv(x).T
            return -xi @ w @ xi

        def h_inv(x, v, w=w):
            xi = inv(x).T
            d = -xi @ v.T @ xi
            return -(d @ w @ xi + xi @ w @ d)

        add("invWeighted", a, lambda x, w=w: float(np.sum(w * inv(x))), g_inv, w=w, hvp=h_inv, kind=kind)
        # sum(solve(A, B)) with B [n, 2] fixed: ∇_A = −A⁻ᵀ 1 Xᵀ; and ∇_B = A⁻ᵀ 1.
        bm = rng.standard_normal((n, 2))
        ones = np.ones((n, 2))
        add("sumSolve", a, lambda x, bm=bm: float(np.sum(np.linalg.solve(x, bm))),
            lambda x, bm=bm: -np.linalg.solve(x.T, ones) @ np.linalg.solve(x, bm).T,
            extra={"b": tolist(bm), "gradB": tolist(np.linalg.solve(a.T, ones))}, kind=kind)
        # sum(W ⊙ Aᵏ) for k = 3: ∇ = Σᵢ (Aᵀ)ⁱ W (Aᵀ)²⁻ⁱ.
        if kind == "well":
            a3 = a / np.linalg.norm(a, 2)
            w3 = rng.standard_normal((n, n))
            mp = np.linalg.matrix_power
            add("matrixPower3Weighted", a3, lambda x, w=w3: float(np.sum(w * mp(x, 3))),
                lambda x, w=w3: sum(mp(x.T, i) @ w @ mp(x.T, 2 - i) for i in range(3)), w=w3)
    for n, kind, c in [(1, "well", 1.0), (2, "well", 10.0), (3, "well", 10.0), (5, "well", 10.0), (4, "ill", 1e6), (4, "ill8", 1e8)]:
        a = spd(n, c)
        w = rng.standard_normal((n, n))

        def g_chol(x, w=w):
            low = np.linalg.cholesky(x)
            li = np.linalg.inv(low)
            return sym(li.T @ phi(low.T @ np.tril(w)) @ li)

        # sum(W ⊙ L), L = cholesky(A): ∇ = sym(L⁻ᵀ Φ(Lᵀ W̃) L⁻¹), Φ = lower triangle with half diagonal (Murray 2016).
        add("choleskyWeighted", a, lambda x, w=w: float(np.sum(np.tril(w) * np.linalg.cholesky(x))), g_chol, w=w, symmetric=True, kind=kind)

        def g_chol2(x):
            low = np.linalg.cholesky(x)
            li = np.linalg.inv(low)
            return sym(li.T @ phi(low.T @ (2 * low)) @ li)

        # ‖L‖_F² = tr(A): ∇ = I exactly (a check that needs no formula), H = 0.
        add("choleskyFro2", a, lambda x: float(np.sum(np.linalg.cholesky(x) ** 2)), g_chol2, symmetric=True,
            hvp=lambda x, v: np.zeros_like(x), kind=kind)
        # sum(W ⊙ cho_solve(L, B)) with L fixed... and as a function of A through cholesky: x = A⁻¹B.
        bm = rng.standard_normal((n, 2))
        wb = rng.standard_normal((n, 2))

        def g_cs(x, bm=bm, wb=wb):
            ai = np.linalg.inv(x)
            return sym(-ai @ wb @ (ai @ bm).T)

        add("choSolveWeighted", a, lambda x, bm=bm, wb=wb: float(np.sum(wb * np.linalg.solve(x, bm))), g_cs, symmetric=True,
            extra={"b": tolist(bm), "wb": tolist(wb), "gradB": tolist(np.linalg.solve(a, wb))}, kind=kind)
    for n, kind, c in [(1, "well", 1.0), (2, "well", 10.0), (3, "well", 10.0), (6, "well", 10.0), (4, "ill", 1e6), (4, "ill8", 1e8)]:
        a = sym_indef(n, c) * 3
        w = rng.standard_normal(n)

        def g_eig(x, w=w):
            _, vv = np.linalg.eigh(x)
            return (vv * w) @ vv.T

        # sum(w · eigvalsh(A)): ∇ = V diag(w) Vᵀ (symmetric).
        add("eigvalshWeighted", a, lambda x, w=w: float(np.sum(w * np.linalg.eigvalsh(x))), g_eig, w=w, symmetric=True, kind=kind)
        if n >= 2:
            j = n // 2
            wp = rng.standard_normal((n, n))

            def f_proj(x, wp=wp, j=j):
                _, vv = np.linalg.eigh(x)
                return float(vv[:, j] @ wp @ vv[:, j])

            def g_proj(x, wp=wp, j=j):
                lam, vv = np.linalg.eigh(x)
                vj = vv[:, j]
                ws = wp + wp.T
                g = np.zeros_like(x)
                for k in range(n):
                    if k != j:
                        vk = vv[:, k]
                        g += (vk @ ws @ vj) / (lam[j] - lam[k]) * np.outer(vk, vj)
                return sym(g)

            # vⱼᵀ W vⱼ for eigenvector j (sign-free): ∇ = sym(Σₖ≠ⱼ vₖᵀ(W+Wᵀ)vⱼ/(λⱼ−λₖ) vₖ vⱼᵀ).
            add("eighVectorQuadratic", a, f_proj, g_proj, w=wp, symmetric=True, extra={"j": j}, kind=kind)
    for (m, n), kind, c in [((1, 1), "well", 1.0), ((2, 2), "well", 10.0), ((3, 3), "well", 10.0), ((5, 3), "well", 10.0), ((3, 5), "well", 10.0), ((4, 4), "ill", 1e6), ((4, 4), "ill8", 1e8)]:
        a = with_cond(m, n, c)
        k = min(m, n)
        w = rng.standard_normal(k)

        def g_sv(x, w=w):
            u, _, vh = np.linalg.svd(x, full_matrices=False)
            return (u * w) @ vh

        # sum(w · svdvals(A)): ∇ = U diag(w) Vᵀ; nuclear norm: ∇ = U Vᵀ; spectral norm: ∇ = u₁ v₁ᵀ.
        add("svdvalsWeighted", a, lambda x, w=w: float(np.sum(w * np.linalg.svd(x, compute_uv=False))), g_sv, w=w, kind=kind)
        if kind == "well":
            add("normNuc", a, lambda x: float(np.linalg.norm(x, "nuc")), lambda x: g_sv(x, np.ones(k)))
            add("norm2", a, lambda x: float(np.linalg.norm(x, 2)), lambda x: g_sv(x, np.eye(k)[0]))
            add("normFro", a, lambda x: float(np.linalg.norm(x, "fro")), lambda x: x / np.linalg.norm(x),
                hvp=lambda x, v: v / np.linalg.norm(x) - x * np.sum(x * v) / np.linalg.norm(x) ** 3)
    for n, scale in [(1, 1.0), (2, 0.7), (3, 1.5), (4, 3.0), (6, 0.3)]:
        a = rng.standard_normal((n, n))
        a = a / np.linalg.norm(a, 1) * scale
        w = rng.standard_normal((n, n))

        def frechet_adj(x, w):
            # ∇ sum(W ⊙ expm(A)) = L(Aᵀ, W): the upper-right block of expm([[Aᵀ, W], [0, Aᵀ]]).
            big = np.block([[x.T, w], [np.zeros_like(x), x.T]])
            return sl.expm(big)[:n, n:]

        # tr(expm(A)): ∇ = expm(A)ᵀ.  H[V] = L(Aᵀ, Vᵀ).
        add("traceExpm", a, lambda x: float(np.trace(sl.expm(x))), lambda x: sl.expm(x).T, hvp=lambda x, v: frechet_adj(x, v.T))
        add("expmWeighted", a, lambda x, w=w: float(np.sum(w * sl.expm(x))), lambda x, w=w: frechet_adj(x, w), w=w)
    for (m, n) in [(2, 2), (3, 3), (5, 3), (4, 4)]:
        a = with_cond(m, n, 10.0)
        wq = rng.standard_normal((m, n))
        wr = rng.standard_normal((n, n))

        def f_qr(x, wq=wq, wr=wr):
            q, r = np.linalg.qr(x)
            return float(np.sum(wq * q) + np.sum(wr * r))

        def g_qr(x, wq=wq, wr=wr):
            # Reverse mode of reduced QR for m ≥ n (full rank): M = R R̄ᵀ − Q̄ᵀ Q,
            # Ā = (Q̄ + Q copyltu(M)) R⁻ᵀ with copyltu(M) = tril(M) + tril(M, −1)ᵀ.
            q, r = np.linalg.qr(x)
            mm = r @ wr.T - wq.T @ q
            cl = np.tril(mm) + np.tril(mm, -1).T
            return np.linalg.solve(r, (wq + q @ cl).T).T

        add("qrWeighted", a, f_qr, g_qr, extra={"wq": tolist(wq), "wr": tolist(wr)})
    for n in (2, 3, 5):
        low = np.linalg.cholesky(spd(n, 10.0))
        bm = rng.standard_normal((n, 2))
        wx = rng.standard_normal((n, 2))

        def f_ts(x, bm=bm, wx=wx):
            return float(np.sum(wx * sl.solve_triangular(np.tril(x), bm, lower=True)))

        def g_ts(x, bm=bm, wx=wx):
            t = np.tril(x)
            gb = sl.solve_triangular(t, wx, lower=True, trans="T")
            return -np.tril(gb @ sl.solve_triangular(t, bm, lower=True).T)

        # sum(W ⊙ L⁻¹B): ∇_L = −tril(L⁻ᵀ W Xᵀ) (the strict upper triangle is not read: zero gradient).
        add("triangularSolveWeighted", low, f_ts, g_ts, w=wx, extra={"b": tolist(bm),
            "gradB": tolist(sl.solve_triangular(low, wx, lower=True, trans="T"))})
    for (m, n) in [(4, 4), (5, 3), (3, 5)]:
        a = with_cond(m, n, 10.0)
        w = rng.standard_normal((n, m))

        def g_pinv(x, w=w):
            # d(A⁺) = −A⁺ dA A⁺ + A⁺A⁺ᵀ dAᵀ (I − AA⁺) + (I − A⁺A) dAᵀ A⁺ᵀA⁺ (Golub & Pereyra 1973), so
            # ∇ sum(W ⊙ A⁺) = −A⁺ᵀWA⁺ᵀ + (I − AA⁺) Wᵀ A⁺A⁺ᵀ + A⁺ᵀA⁺ Wᵀ (I − A⁺A).
            p = np.linalg.pinv(x)
            mm, nn = x.shape
            return -p.T @ w @ p.T + (np.eye(mm) - x @ p) @ w.T @ p @ p.T + p.T @ p @ w.T @ (np.eye(nn) - p @ x)

        # sum(W ⊙ pinv(A)) for full-rank square, tall and wide A.
        add("pinvWeighted", a, lambda x, w=w: float(np.sum(w * np.linalg.pinv(x))), g_pinv, w=w)
    for (m, n) in [(5, 3), (6, 2)]:
        a = with_cond(m, n, 10.0)
        bm = rng.standard_normal((m, 2))
        w = rng.standard_normal((n, 2))

        def g_lstsq(x, w=w, bm=bm):
            p = np.linalg.pinv(x)
            wb = w @ bm.T
            return -p.T @ wb @ p.T + (np.eye(x.shape[0]) - x @ p) @ wb.T @ p @ p.T

        # sum(W ⊙ lstsq(A, B).solution) = sum((W Bᵀ) ⊙ A⁺) for full column rank A.
        add("lstsqWeighted", a, lambda x, w=w, bm=bm: float(np.sum(w * np.linalg.lstsq(x, bm)[0])), g_lstsq, w=w,
            extra={"b": tolist(bm)})
    for n in (2, 3, 4):
        a = rng.standard_normal((n, n))

        def g_cond(x):
            u, s, vh = np.linalg.svd(x)
            return np.outer(u[:, 0], vh[0]) / s[-1] - s[0] / s[-1] ** 2 * np.outer(u[:, -1], vh[-1])

        # cond(A) = σ₁/σₙ: ∇ = u₁v₁ᵀ/σₙ − σ₁/σₙ² uₙvₙᵀ.
        add("cond2", a, lambda x: float(np.linalg.cond(x)), g_cond)
    for (m, n), kind, c in [((4, 4), "ill", 1e6), ((4, 4), "ill8", 1e8), ((6, 4), "ill8", 1e8)]:
        a = with_cond(m, n, c)
        wq = rng.standard_normal((m, n))
        wr = rng.standard_normal((n, n))
        add("qrWeighted", a, lambda x, wq=wq, wr=wr: f_qr(x, wq, wr), lambda x, wq=wq, wr=wr: g_qr(x, wq, wr),
            extra={"wq": tolist(wq), "wr": tolist(wr)}, kind=kind)
    for n, kind, c in [(4, "ill", 1e6), (4, "ill8", 1e8)]:
        low = np.linalg.cholesky(spd(n, c))
        bm = rng.standard_normal((n, 2))
        wx = rng.standard_normal((n, 2))
        add("triangularSolveWeighted", low, lambda x, bm=bm, wx=wx: f_ts(x, bm, wx), lambda x, bm=bm, wx=wx: g_ts(x, bm, wx),
            w=wx, extra={"b": tolist(bm), "gradB": tolist(sl.solve_triangular(low, wx, lower=True, trans="T"))}, kind=kind)

    def fd_grad(f, a):
        # Richardson-extrapolated central differences, entry by entry (error ~1e-11 relative on these inputs).
        h = step(a)
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            e = np.zeros_like(a)
            e[idx] = 1.0

            def d(hh):
                return (f(a + hh * e) - f(a - hh * e)) / (2 * hh)

            g[idx] = (4 * d(h / 2) - d(h)) / 3
        return g

    for (m, n), j in [((3, 3), 0), ((4, 4), 1), ((5, 3), 2), ((3, 5), 1)]:
        a = with_cond(m, n, 10.0)
        w = rng.standard_normal((m, n))

        def f_sv(x, w=w, j=j):
            u, _, vh = np.linalg.svd(x, full_matrices=False)
            return float(u[:, j] @ w @ vh[j])

        # uⱼᵀ W vⱼ (sign-free: uⱼ and vⱼ flip together). Gradient by differences (no short closed form), so the
        # stored Hessian-vector product is left out.
        g = fd_grad(f_sv, a)
        v = rng.standard_normal(a.shape)
        v /= np.linalg.norm(v)
        out.append({"fn": "svdVectorBilinear", "kind": "well", "n": max(m, n), "cond": cond2(a),
                    "a": tolist(a), "value": f_sv(a), "grad": tolist(g), "v": tolist(v), "hv": None, "hvExact": False,
                    "w": tolist(w), "j": j})
    for n in (3, 4):
        a = with_cond(n, n, 10.0)
        w = rng.standard_normal((n, n))
        _, piv0 = sl.lu_factor(a)

        def f_lu(x, w=w, piv0=piv0):
            lu, piv = sl.lu_factor(x)
            assert (piv == piv0).all()  # the pivots stay fixed inside the difference stencil
            return float(np.sum(w * lu))

        # sum(W ⊙ packed LU factors) with fixed pivots: gradient by differences.
        g = fd_grad(f_lu, a)
        v = rng.standard_normal(a.shape)
        v /= np.linalg.norm(v)
        out.append({"fn": "luWeighted", "kind": "well", "n": n, "cond": cond2(a), "a": tolist(a), "value": f_lu(a),
                    "grad": tolist(g), "v": tolist(v), "hv": None, "hvExact": False, "w": tolist(w)})
    for n in (2, 3, 5):
        a = with_cond(n, n, 10.0)
        w = rng.standard_normal((n, n))

        def g_mpn(x, w=w):
            b = np.linalg.inv(x)
            gb = b.T @ w + w @ b.T  # ∇_B sum(W ⊙ B²)
            return -b.T @ gb @ b.T

        # sum(W ⊙ A⁻²): ∇ = −A⁻ᵀ (B ᵀW + W Bᵀ) A⁻ᵀ with B = A⁻¹.
        add("matrixPowerNeg2Weighted", a, lambda x, w=w: float(np.sum(w * np.linalg.matrix_power(x, -2))), g_mpn, w=w)
        bm = rng.standard_normal((n, 2))
        wb = rng.standard_normal((n, 2))
        # sum(W ⊙ luSolve(lu(A), B)): ∇ = −A⁻ᵀ W Xᵀ, as for solve.
        add("luSolveWeighted", a, lambda x, bm=bm, wb=wb: float(np.sum(wb * np.linalg.solve(x, bm))),
            lambda x, bm=bm, wb=wb: -np.linalg.solve(x.T, wb) @ np.linalg.solve(x, bm).T, extra={"b": tolist(bm), "wb": tolist(wb)})

        def g_inf(x):
            r = int(np.argmax(np.abs(x).sum(axis=1)))
            g = np.zeros_like(x)
            g[r] = np.sign(x[r])
            return g

        # ‖A‖_∞ (largest absolute row sum, unique here) and ‖A‖₁ = ‖Aᵀ‖_∞; ‖A‖₋₂ = σₙ: ∇ = uₙvₙᵀ.
        add("normInf", a, lambda x: float(np.linalg.norm(x, np.inf)), g_inf)
        add("norm1", a, lambda x: float(np.linalg.norm(x, 1)), lambda x: g_inf(x.T).T)

        def g_min2(x):
            u, _, vh = np.linalg.svd(x)
            return np.outer(u[:, -1], vh[-1])

        add("normMinus2", a, lambda x: float(np.linalg.norm(x, -2)), g_min2)
    for n, scale in [(3, 10.0), (4, 40.0)]:
        a = rng.standard_normal((n, n))
        a = a / np.linalg.norm(a, 1) * scale
        w = rng.standard_normal((n, n))

        def frechet_adj2(x, w):
            k = x.shape[0]
            big = np.block([[x.T, w], [np.zeros_like(x), x.T]])
            return sl.expm(big)[:k, k:]

        # Larger norms: the derivative goes through several squarings.
        add("traceExpm", a, lambda x: float(np.trace(sl.expm(x))), lambda x: sl.expm(x).T,
            hvp=lambda x, v: frechet_adj2(x, v.T))
        add("expmWeighted", a, lambda x, w=w: float(np.sum(w * sl.expm(x))), lambda x, w=w: frechet_adj2(x, w), w=w)
    write("grads.json", out)


# ----------------------------------------------------------------------------- options (rtol, tol, rcond)
def options():
    out = {"pinv": [], "matrixRank": [], "lstsq": []}
    for (m, n), c in (((6, 6), 1e8), ((6, 4), 1e8), ((4, 6), 1e7)):
        a = with_cond(m, n, c)
        sv = np.linalg.svd(a, compute_uv=False)

        def clear(cut):
            # No singular value within a factor 2 of the cut-off: rank decisions are not ties.
            return all(abs(np.log(x / (cut * sv[0]))) > np.log(2) for x in sv)

        for rtol in (1e-4, 1e-6, 1e-10):
            assert clear(rtol)
            out["pinv"].append({"cond": cond2(a), "a": tolist(a), "rtol": rtol, "pinv": tolist(np.linalg.pinv(a, rtol=rtol))})
            out["matrixRank"].append({"cond": cond2(a), "a": tolist(a), "rtol": rtol, "rank": int(np.linalg.matrix_rank(a, rtol=rtol))})
        b = rng.standard_normal((m, 2))
        for rcond in (1e-4, 1e-6):
            assert clear(rcond)
            x, res, rank, sv = np.linalg.lstsq(a, b, rcond=rcond)
            out["lstsq"].append({"cond": cond2(a), "a": tolist(a), "b": tolist(b), "rcond": rcond, "solution": tolist(x),
                                 "residuals": tolist(res), "rank": int(rank), "singularValues": tolist(sv)})
    write("options.json", out)


# ----------------------------------------------------------------------------- larger sizes, inputs not stored
def mulberry32_uniform(seed, size, lo, hi):
    """The stream of test/linalg/lapack-util.ts `uniform64` (bench/libs/common.mjs mulberry32): state k is
    seed + k·0x6d2b79f5 mod 2³², so all values come at once. The tests rebuild the inputs from the seed."""
    m32 = np.uint64(0xFFFFFFFF)
    k = np.arange(1, size + 1, dtype=np.uint64)
    t = (np.uint64(seed) + k * np.uint64(0x6D2B79F5)) & m32
    t = ((t ^ (t >> np.uint64(15))) * (t | np.uint64(1))) & m32
    t = t ^ ((t + (((t ^ (t >> np.uint64(7))) * (t | np.uint64(61))) & m32)) & m32)
    r = ((t ^ (t >> np.uint64(14))) & m32).astype(np.float64) / 4294967296.0
    return lo + (hi - lo) * r


def large():
    """Sizes past typical block sizes (33, 64, 65, 100, 130, 200): general M uniform in [−1, 1) (seed 500 + n),
    SPD = M Mᵀ/n + I, symmetric = (M + Mᵀ)/2, b uniform (seed 700 + n). Only compact LAPACK results are stored."""
    out = []
    for n in (33, 64, 65, 100, 130, 200):
        m = mulberry32_uniform(500 + n, n * n, -1.0, 1.0).reshape(n, n)
        b = mulberry32_uniform(700 + n, n, -1.0, 1.0)
        spd_m = m @ m.T / n + np.eye(n)
        sym_m = 0.5 * (m + m.T)
        sign, logabs = np.linalg.slogdet(m)
        lu, piv = sl.lu_factor(m)
        _, margin = lapack_pivot_margin(m)
        r = np.linalg.qr(m, mode="r")
        out.append({
            "n": n,
            "condGeneral": cond2(m),
            "condSpd": cond2(spd_m),
            "sign": float(sign),
            "logabsdet": float(logabs),
            "pivots": tolist(piv),
            "pivotMargin": margin,
            "luDiag": tolist(np.diag(lu)),
            "rDiag": tolist(np.diag(r)),
            "choleskyDiag": tolist(np.diag(np.linalg.cholesky(spd_m))),
            "logdetSpd": float(np.linalg.slogdet(spd_m)[1]),
            "eigvalsSpd": tolist(np.linalg.eigvalsh(spd_m)),
            "eigvalsSym": tolist(np.linalg.eigvalsh(sym_m)),
            "singularValues": tolist(np.linalg.svd(m, compute_uv=False)),
            "solve": tolist(np.linalg.solve(m, b)),
            "solveSpd": tolist(np.linalg.solve(spd_m, b)),
        })
    write("large.json", out)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    decomp()
    solves()
    misc()
    batched()
    grads()
    options()
    large()
    # The repository lints every JSON file with Biome: format the fixtures the way it wants them.
    subprocess.run(["npx", "biome", "format", "--write", OUT], check=True)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"total {total / 1024:.0f} KiB")
