#!/usr/bin/env python3
"""Writes test/fixtures/nn/*.json: seeded float64 weights, inputs and the outputs PyTorch's layers give for them.

Run from the repository root: `python3 scripts/nn-fixtures.py`. Deterministic (fixed seed). Needs NumPy 2 only;
the tests (test/nn/nn-fixtures.test.ts) read the committed JSON and never run Python.

The reference is written here in float64 NumPy from the equations PyTorch documents for each module, not from
nabla's code:
- nn.RNN / nn.LSTM / nn.GRU: weight_ih_l{k}[_reverse] [G·H, in], weight_hh_l{k}[_reverse] [G·H, H], biases
  [G·H]; gates stacked i, f, g, o (LSTM) and r, z, n (GRU, with b_hn inside r ⊙ (W_hn h + b_hn)); layer k > 0
  reads the concatenated outputs of layer k − 1; h_0 / h_n are [layers·directions, N, H] with index
  layer·directions + direction. Padded batches follow pack_padded_sequence: each sequence runs over its own
  first `length` steps only (the backward direction starts at its last real step), padded outputs are zeros.
- nn.MultiheadAttention: in_proj_weight [3E, E] (or q/k/v_proj_weight when kdim or vdim differ from E),
  in_proj_bias [3E], out_proj; bool key_padding_mask / attn_mask true = not allowed, float masks added;
  attention weights averaged over heads.
- F.scaled_dot_product_attention: bool attn_mask true = attend, float added, is_causal top-left aligned.
- nn.TransformerEncoderLayer / nn.TransformerDecoderLayer in evaluation mode, post-norm (norm_first=False) and
  pre-norm, ReLU or exact (erf) GELU.
- nn.Conv1d (stride, padding, dilation, padding="same") and nn.ConvTranspose2d (stride, padding,
  output_padding, dilation; weight [in, out, kh, kw]) as explicit gather / scatter loops.
- The sinusoidal positional encoding of "Attention Is All You Need" (PyTorch has no module for it).

Parameter names are PyTorch's state-dict keys; the test renames them to nabla's camel-cased pytrees.

When `import torch` succeeds, every case is also run through the torch module itself (float64, evaluation
mode, dropout 0) with the same weights, and the script stops if any output differs from the NumPy reference
by more than 1e-10. The committed fixtures were generated with torch 2.13.0 (CPU build) present, and every
case agreed; the committed outputs are the NumPy reference. Run it with a Python that has torch
(`python -m pip install torch numpy`) to repeat that check.
"""

import json
import math
import os
import subprocess

import numpy as np

SEED = 20261207
rng = np.random.default_rng(SEED)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "nn")

try:
    import torch  # noqa: F401

    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False


def tolist(x):
    x = np.asarray(x)
    if x.dtype.kind == "b":
        return x.tolist()
    if x.dtype.kind in "iu":
        return x.astype(int).tolist()
    return x.astype(np.float64).tolist()


def randn(*shape, scale=0.5):
    return rng.standard_normal(shape) * scale


def write(name, cases):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"), allow_nan=False)
    print(f"{name}: {len(cases)} cases, {os.path.getsize(path) / 1024:.0f} KiB")


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


erf = np.vectorize(math.erf)


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def relu(x):
    return np.maximum(x, 0.0)


def assert_close(what, got, want, tol=1e-10):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        raise SystemExit(f"{what}: torch shape {got.shape}, NumPy shape {want.shape}")
    err = float(np.max(np.abs(got - want))) if got.size else 0.0
    if err > tol:
        raise SystemExit(f"{what}: torch and the NumPy reference differ by {err:.3g}")


# ----------------------------------------------------------------------------- recurrent layers
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def cell(mode, p, x, h, c):
    """One step for one sequence: x [in], h and c [H]; returns (h', c')."""
    wi, wh, bi, bh = p
    gi = wi @ x + (bi if bi is not None else 0.0)
    gh = wh @ h + (bh if bh is not None else 0.0)
    if mode == "RNN_TANH":
        return np.tanh(gi + gh), None
    if mode == "RNN_RELU":
        return relu(gi + gh), None
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4)
        c1 = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        return sigmoid(o) * np.tanh(c1), c1
    ir, iz, inn = np.split(gi, 3)
    hr, hz, hn = np.split(gh, 3)
    r = sigmoid(ir + hr)
    z = sigmoid(iz + hz)
    n = np.tanh(inn + r * hn)
    return (1.0 - z) * n + z * h, None


def recurrent_ref(mode, params, cfg, x, h0, c0, lengths):
    """x [T, N, in] (time-major here); returns output [T, N, D·H], h_n and c_n [L·D, N, H]."""
    T, N, _ = x.shape
    L, D, H = cfg["num_layers"], 2 if cfg["bidirectional"] else 1, cfg["hidden_size"]
    lens = lengths if lengths is not None else [T] * N
    seq = x
    hn = np.zeros((L * D, N, H))
    cn = np.zeros((L * D, N, H))
    for layer in range(L):
        out = np.zeros((T, N, D * H))
        for d in range(D):
            sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
            p = (
                params["weight_ih" + sfx],
                params["weight_hh" + sfx],
                params.get("bias_ih" + sfx),
                params.get("bias_hh" + sfx),
            )
            k = layer * D + d
            for b in range(N):
                h = h0[k, b].copy()
                c = c0[k, b].copy() if c0 is not None else None
                steps = range(lens[b]) if d == 0 else range(lens[b] - 1, -1, -1)
                for t in steps:
                    h, c = cell(mode, p, seq[t, b], h, c)
                    out[t, b, d * H : (d + 1) * H] = h
                hn[k, b] = h
                if c is not None:
                    cn[k, b] = c
        seq = out
    return seq, hn, cn


def recurrent_torch(mode, params, cfg, x_in, h0, c0, lengths):
    import torch

    kind = {"RNN_TANH": "RNN", "RNN_RELU": "RNN", "LSTM": "LSTM", "GRU": "GRU"}[mode]
    kw = dict(
        num_layers=cfg["num_layers"],
        bias=cfg["bias"],
        batch_first=cfg["batch_first"],
        bidirectional=cfg["bidirectional"],
    )
    if kind == "RNN":
        kw["nonlinearity"] = "tanh" if mode == "RNN_TANH" else "relu"
    m = getattr(torch.nn, kind)(cfg["input_size"], cfg["hidden_size"], **kw).double().eval()
    m.load_state_dict({k: torch.tensor(v) for k, v in params.items()})
    x = torch.tensor(x_in)
    state = torch.tensor(h0) if c0 is None else (torch.tensor(h0), torch.tensor(c0))
    if lengths is not None:
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

        packed = pack_padded_sequence(
            x, torch.tensor(lengths), batch_first=cfg["batch_first"], enforce_sorted=False
        )
        y, st = m(packed, state)
        total = x.shape[1 if cfg["batch_first"] else 0]
        y, _ = pad_packed_sequence(y, batch_first=cfg["batch_first"], total_length=total)
    else:
        y, st = m(x, state)
    h, c = (st, None) if c0 is None else st
    return y.detach().numpy(), h.detach().numpy(), None if c is None else c.detach().numpy()


def recurrent():
    cases = []
    specs = [
        # mode, input, hidden, layers, bidirectional, batch_first, bias, T, N, lengths
        ("RNN_TANH", 3, 4, 2, True, False, True, 5, 2, None),
        ("RNN_RELU", 3, 4, 1, False, True, True, 4, 2, None),
        ("LSTM", 3, 4, 2, True, True, True, 5, 3, [5, 3, 1]),
        ("LSTM", 2, 3, 1, False, False, False, 4, 2, None),
        ("GRU", 3, 4, 2, True, False, True, 5, 2, None),
        ("GRU", 2, 3, 1, True, True, True, 4, 3, [2, 4, 3]),
    ]
    for mode, I, H, L, bidi, bf, bias, T, N, lengths in specs:
        D = 2 if bidi else 1
        G = GATES[mode]
        cfg = dict(
            mode=mode,
            input_size=I,
            hidden_size=H,
            num_layers=L,
            bidirectional=bidi,
            batch_first=bf,
            bias=bias,
        )
        params = {}
        for layer in range(L):
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d == 1 else "")
                params["weight_ih" + sfx] = randn(G * H, I if layer == 0 else D * H)
                params["weight_hh" + sfx] = randn(G * H, H)
                if bias:
                    params["bias_ih" + sfx] = randn(G * H)
                    params["bias_hh" + sfx] = randn(G * H)
        x_tm = randn(T, N, I, scale=1.0)
        h0 = randn(L * D, N, H)
        c0 = randn(L * D, N, H) if mode == "LSTM" else None
        y, hn, cn = recurrent_ref(mode, params, cfg, x_tm, h0, c0, lengths)
        x_in = x_tm.transpose(1, 0, 2) if bf else x_tm
        y_out = y.transpose(1, 0, 2) if bf else y
        if HAVE_TORCH:
            ty, th, tc = recurrent_torch(mode, params, cfg, x_in, h0, c0, lengths)
            assert_close(f"{mode} output", ty, y_out)
            assert_close(f"{mode} h_n", th, hn)
            if c0 is not None:
                assert_close(f"{mode} c_n", tc, cn)
        case = {
            "config": cfg,
            "params": {k: tolist(v) for k, v in params.items()},
            "input": tolist(x_in),
            "h0": tolist(h0),
            "output": tolist(y_out),
            "hn": tolist(hn),
        }
        if c0 is not None:
            case["c0"] = tolist(c0)
            case["cn"] = tolist(cn)
        if lengths is not None:
            case["lengths"] = lengths
        cases.append(case)
    write("recurrent.json", cases)


# ----------------------------------------------------------------------------- attention
def softmax_rows(s, allowed):
    """Softmax over the last axis, entries with allowed False left out."""
    s = np.where(allowed, s, -np.inf)
    m = np.max(s, axis=-1, keepdims=True)
    e = np.where(allowed, np.exp(s - m), 0.0)
    return e / np.sum(e, axis=-1, keepdims=True)


def sdpa_ref(q, k, v, mask, causal, scale):
    """F.scaled_dot_product_attention: mask bool (True = attend) or float (added); is_causal top-left."""
    L, S = q.shape[-2], k.shape[-2]
    sc = scale if scale is not None else 1.0 / math.sqrt(q.shape[-1])
    s = np.einsum("...le,...se->...ls", q, k) * sc
    allowed = np.ones(s.shape, dtype=bool)
    if causal:
        allowed &= np.tril(np.ones((L, S), dtype=bool))
    if mask is not None:
        if mask.dtype == bool:
            allowed &= mask
        else:
            s = s + mask
    return np.einsum("...ls,...se->...le", softmax_rows(s, allowed), v)


def sdpa():
    cases = []
    specs = [
        # batch dims, L, S, E, Ev, mask kind, causal, scale
        ((2,), 3, 4, 4, 5, None, False, None),
        ((2, 2), 3, 3, 4, 4, "bool", False, None),
        ((2,), 3, 4, 4, 3, "float", False, 0.3),
        ((1, 2), 3, 5, 2, 2, None, True, None),
    ]
    for bd, L, S, E, Ev, mk, causal, scale in specs:
        q, k, v = randn(*bd, L, E, scale=1.0), randn(*bd, S, E, scale=1.0), randn(*bd, S, Ev, scale=1.0)
        mask = None
        if mk == "bool":
            mask = rng.random((L, S)) < 0.7
            mask[:, 0] = True  # every query sees some key (PyTorch gives NaN otherwise)
        elif mk == "float":
            mask = randn(L, S, scale=1.0)
        out = sdpa_ref(q, k, v, mask, causal, scale)
        if HAVE_TORCH:
            import torch
            import torch.nn.functional as F

            t = F.scaled_dot_product_attention(
                torch.tensor(q),
                torch.tensor(k),
                torch.tensor(v),
                attn_mask=None if mask is None else torch.tensor(mask),
                is_causal=causal,
                scale=scale,
            )
            assert_close("scaled_dot_product_attention", t.numpy(), out)
        case = {"q": tolist(q), "k": tolist(k), "v": tolist(v), "causal": causal, "output": tolist(out)}
        if scale is not None:
            case["scale"] = scale
        if mask is not None:
            case["mask"] = tolist(mask)
        cases.append(case)
    write("sdpa.json", cases)


def mha_ref(p, prefix, H, q, k, v, kpm=None, attn_mask=None):
    """nn.MultiheadAttention on batch-first arrays q [N, L, E], k [N, S, kdim], v [N, S, vdim].

    kpm [N, S] bool (True = ignore); attn_mask [L, S] bool (True = not allowed) or float (added).
    Returns (output [N, L, E], weights averaged over heads [N, L, S]).
    """
    E = q.shape[-1]
    hd = E // H
    if prefix + "in_proj_weight" in p:
        wq, wk, wv = np.split(p[prefix + "in_proj_weight"], 3)
    else:
        wq, wk, wv = p[prefix + "q_proj_weight"], p[prefix + "k_proj_weight"], p[prefix + "v_proj_weight"]
    b = p.get(prefix + "in_proj_bias")
    bq, bk, bv = np.split(b, 3) if b is not None else (0.0, 0.0, 0.0)
    Q = q @ wq.T + bq
    K = k @ wk.T + bk
    V = v @ wv.T + bv
    N, L, S = q.shape[0], q.shape[1], k.shape[1]

    def heads(t):  # [N, T, E] -> [N, H, T, hd]
        return t.reshape(N, t.shape[1], H, hd).transpose(0, 2, 1, 3)

    s = heads(Q) @ heads(K).transpose(0, 1, 3, 2) / math.sqrt(hd)
    allowed = np.ones((N, H, L, S), dtype=bool)
    if kpm is not None:
        allowed &= ~kpm[:, None, None, :]
    if attn_mask is not None:
        if attn_mask.dtype == bool:
            allowed &= ~attn_mask[None, None]
        else:
            s = s + attn_mask
    w = softmax_rows(s, allowed)
    ctx = (w @ heads(V)).transpose(0, 2, 1, 3).reshape(N, L, E)
    out = ctx @ p[prefix + "out_proj.weight"].T
    if prefix + "out_proj.bias" in p:
        out = out + p[prefix + "out_proj.bias"]
    return out, w.mean(axis=1)


def mha_params(prefix, E, kdim, vdim, bias):
    p = {}
    if kdim == E and vdim == E:
        p[prefix + "in_proj_weight"] = randn(3 * E, E)
    else:
        p[prefix + "q_proj_weight"] = randn(E, E)
        p[prefix + "k_proj_weight"] = randn(E, kdim)
        p[prefix + "v_proj_weight"] = randn(E, vdim)
    if bias:
        p[prefix + "in_proj_bias"] = randn(3 * E)
    p[prefix + "out_proj.weight"] = randn(E, E)
    if bias:
        p[prefix + "out_proj.bias"] = randn(E)
    return p


def causal_blocked(L, S):
    """PyTorch's bool attn_mask for causal attention with the queries at the end: True above the diagonal."""
    return np.triu(np.ones((L, S), dtype=bool), k=1 + S - L)


def mha():
    cases = []
    specs = [
        # E, H, kdim, vdim, bias, batch_first, L, S, N, self-attention, kpm, attn mask ("bool", "float", "causal")
        (6, 2, 6, 6, True, True, 4, 4, 2, True, True, None),
        (6, 3, 6, 6, True, False, 4, 4, 2, True, False, "causal"),
        (4, 2, 3, 5, True, True, 3, 5, 2, False, True, "bool"),
        (4, 1, 4, 4, False, False, 3, 4, 2, False, False, "float"),
    ]
    for E, H, kdim, vdim, bias, bf, L, S, N, selfattn, use_kpm, mk in specs:
        p = mha_params("", E, kdim, vdim, bias)
        q = randn(N, L, E, scale=1.0)
        k = q if selfattn else randn(N, S, kdim, scale=1.0)
        v = q if selfattn else randn(N, S, vdim, scale=1.0)
        kpm = None
        if use_kpm:
            kpm = np.zeros((N, S), dtype=bool)
            kpm[1, S - 2 :] = True
        am = None
        if mk == "bool":
            am = rng.random((L, S)) < 0.3
            am[:, 0] = False
        elif mk == "float":
            am = randn(L, S, scale=1.0)
        elif mk == "causal":
            am = causal_blocked(L, S)
        out, w = mha_ref(p, "", H, q, k, v, kpm, am)
        tr = (lambda t: t) if bf else (lambda t: t.transpose(1, 0, 2))
        if HAVE_TORCH:
            import torch

            m = torch.nn.MultiheadAttention(E, H, bias=bias, batch_first=bf, kdim=kdim, vdim=vdim)
            m = m.double().eval()
            m.load_state_dict({kk: torch.tensor(vv) for kk, vv in p.items()})
            to, tw = m(
                torch.tensor(tr(q)),
                torch.tensor(tr(k)),
                torch.tensor(tr(v)),
                key_padding_mask=None if kpm is None else torch.tensor(kpm),
                attn_mask=None if am is None else torch.tensor(am),
            )
            assert_close("MultiheadAttention output", to.detach().numpy(), tr(out))
            assert_close("MultiheadAttention weights", tw.detach().numpy(), w)
        case = {
            "config": dict(embed_dim=E, num_heads=H, kdim=kdim, vdim=vdim, bias=bias, batch_first=bf),
            "params": {kk: tolist(vv) for kk, vv in p.items()},
            "query": tolist(tr(q)),
            "output": tolist(tr(out)),
            "weights": tolist(w),
        }
        if not selfattn:
            case["key"] = tolist(tr(k))
            case["value"] = tolist(tr(v))
        if kpm is not None:
            case["key_padding_mask"] = tolist(kpm)
        if mk == "causal":
            case["causal"] = True
        elif am is not None:
            case["attn_mask"] = tolist(am)
        cases.append(case)
    write("mha.json", cases)


# ----------------------------------------------------------------------------- transformer layers
def layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def ff_ref(p, x, act):
    h = act(x @ p["linear1.weight"].T + p["linear1.bias"])
    return h @ p["linear2.weight"].T + p["linear2.bias"]


def norm(p, name, x):
    return layer_norm(x, p[name + ".weight"], p[name + ".bias"])


def encoder_ref(p, H, x, norm_first, act, kpm, am):
    def sa(h):
        return mha_ref(p, "self_attn.", H, h, h, h, kpm, am)[0]

    if norm_first:
        y = x + sa(norm(p, "norm1", x))
        return y + ff_ref(p, norm(p, "norm2", y), act)
    y = norm(p, "norm1", x + sa(x))
    return norm(p, "norm2", y + ff_ref(p, y, act))


def decoder_ref(p, H, x, mem, norm_first, act, tgt_mask, mem_kpm):
    def sa(h):
        return mha_ref(p, "self_attn.", H, h, h, h, None, tgt_mask)[0]

    def ca(h):
        return mha_ref(p, "multihead_attn.", H, h, mem, mem, mem_kpm, None)[0]

    if norm_first:
        y = x + sa(norm(p, "norm1", x))
        y = y + ca(norm(p, "norm2", y))
        return y + ff_ref(p, norm(p, "norm3", y), act)
    y = norm(p, "norm1", x + sa(x))
    y = norm(p, "norm2", y + ca(y))
    return norm(p, "norm3", y + ff_ref(p, y, act))


def layer_params(E, F, decoder):
    p = mha_params("self_attn.", E, E, E, True)
    if decoder:
        p.update(mha_params("multihead_attn.", E, E, E, True))
    p["linear1.weight"] = randn(F, E)
    p["linear1.bias"] = randn(F)
    p["linear2.weight"] = randn(E, F)
    p["linear2.bias"] = randn(E)
    for i in range(1, 4 if decoder else 3):
        p[f"norm{i}.weight"] = 1.0 + randn(E, scale=0.2)
        p[f"norm{i}.bias"] = randn(E, scale=0.2)
    return p


def transformer():
    cases = []
    E, H, F = 4, 2, 6
    acts = {"relu": relu, "gelu": gelu}
    for decoder in (False, True):
        for norm_first in (False, True):
            for act in ("relu", "gelu"):
                bf = act == "relu"
                N, L, S = 2, 3, 4
                p = layer_params(E, F, decoder)
                x = randn(N, L, E, scale=1.0)
                tr = (lambda t: t) if bf else (lambda t: t.transpose(1, 0, 2))
                case = {
                    "config": dict(
                        d_model=E,
                        nhead=H,
                        dim_feedforward=F,
                        norm_first=norm_first,
                        activation=act,
                        batch_first=bf,
                        decoder=decoder,
                    ),
                    "params": {kk: tolist(vv) for kk, vv in p.items()},
                    "input": tolist(tr(x)),
                }
                if decoder:
                    mem = randn(N, S, E, scale=1.0)
                    mem_kpm = np.zeros((N, S), dtype=bool)
                    mem_kpm[0, S - 1] = True
                    tgt_mask = causal_blocked(L, L)
                    out = decoder_ref(p, H, x, mem, norm_first, acts[act], tgt_mask, mem_kpm)
                    case.update(memory=tolist(tr(mem)), memory_key_padding_mask=tolist(mem_kpm), causal=True)
                else:
                    kpm = np.zeros((N, L), dtype=bool)
                    kpm[1, L - 1] = True
                    out = encoder_ref(p, H, x, norm_first, acts[act], kpm, None)
                    case["src_key_padding_mask"] = tolist(kpm)
                if HAVE_TORCH:
                    import torch

                    cls = torch.nn.TransformerDecoderLayer if decoder else torch.nn.TransformerEncoderLayer
                    m = cls(
                        E,
                        H,
                        dim_feedforward=F,
                        dropout=0.0,
                        activation=act,
                        batch_first=bf,
                        norm_first=norm_first,
                    )
                    m = m.double().eval()
                    m.load_state_dict({kk: torch.tensor(vv) for kk, vv in p.items()})
                    # Parameters require grad, so PyTorch's inference fast path (nested tensors) stays off.
                    if decoder:
                        t = m(
                            torch.tensor(tr(x)),
                            torch.tensor(tr(mem)),
                            tgt_mask=torch.tensor(causal_blocked(L, L)),
                            memory_key_padding_mask=torch.tensor(mem_kpm),
                        )
                    else:
                        t = m(torch.tensor(tr(x)), src_key_padding_mask=torch.tensor(kpm))
                    assert_close("Transformer layer", t.detach().numpy(), tr(out))
                case["output"] = tolist(tr(out))
                cases.append(case)
    write("transformer.json", cases)


# ----------------------------------------------------------------------------- convolutions
def conv1d_ref(x, w, b, stride, padding, dilation):
    """out[n, o, l] = b[o] + Σ_c Σ_j w[o, c, j] · x[n, c, l·stride + j·dilation − pad_left] (zeros outside)."""
    N, C, Lin = x.shape
    O, _, K = w.shape
    span = dilation * (K - 1)
    if padding == "same":
        left, right = span // 2, span - span // 2
    else:
        left = right = padding
    Lout = (Lin + left + right - span - 1) // stride + 1
    out = np.zeros((N, O, Lout))
    for l in range(Lout):
        for j in range(K):
            i = l * stride + j * dilation - left
            if 0 <= i < Lin:
                out[:, :, l] += x[:, :, i] @ w[:, :, j].T
    return out + (b[None, :, None] if b is not None else 0.0)


def conv_transpose2d_ref(x, w, b, stride, padding, output_padding, dilation):
    """out[n, o, i·s − p + k·d] += x[n, c, i] · w[c, o, k] on each axis, cropped to PyTorch's output size."""
    N, C, Hin, Win = x.shape
    _, O, KH, KW = w.shape
    size = [
        (n - 1) * stride[a] - 2 * padding[a] + dilation[a] * (k - 1) + output_padding[a] + 1
        for a, (n, k) in enumerate([(Hin, KH), (Win, KW)])
    ]
    out = np.zeros((N, O, size[0], size[1]))
    for i in range(Hin):
        for j in range(Win):
            for u in range(KH):
                for v in range(KW):
                    r = i * stride[0] - padding[0] + u * dilation[0]
                    c = j * stride[1] - padding[1] + v * dilation[1]
                    if 0 <= r < size[0] and 0 <= c < size[1]:
                        out[:, :, r, c] += x[:, :, i, j] @ w[:, :, u, v]
    return out + (b[None, :, None, None] if b is not None else 0.0)


def convs():
    cases = []
    for C, O, K, L, stride, padding, dilation, bias in [
        (2, 3, 3, 7, 1, 0, 1, True),
        (2, 3, 3, 9, 2, 1, 2, True),
        (3, 2, 2, 6, 3, 2, 1, False),
        (2, 2, 4, 6, 1, "same", 1, True),
        (1, 2, 3, 7, 1, "same", 2, True),
    ]:
        x = randn(2, C, L, scale=1.0)
        w = randn(O, C, K)
        b = randn(O) if bias else None
        out = conv1d_ref(x, w, b, stride, padding, dilation)
        if HAVE_TORCH:
            import torch

            m = torch.nn.Conv1d(C, O, K, stride=stride, padding=padding, dilation=dilation, bias=bias).double()
            sd = {"weight": torch.tensor(w)}
            if bias:
                sd["bias"] = torch.tensor(b)
            m.load_state_dict(sd)
            assert_close("Conv1d", m(torch.tensor(x)).detach().numpy(), out)
        case = {
            "layer": "Conv1d",
            "config": dict(
                in_channels=C, out_channels=O, kernel_size=K, stride=stride, padding=padding, dilation=dilation
            ),
            "params": {"weight": tolist(w)},
            "input": tolist(x),
            "output": tolist(out),
        }
        if bias:
            case["params"]["bias"] = tolist(b)
        cases.append(case)
    for C, O, K, H, W, stride, padding, output_padding, dilation, bias in [
        (2, 3, (3, 3), 3, 3, (1, 1), (0, 0), (0, 0), (1, 1), True),
        (2, 2, (3, 3), 3, 4, (2, 2), (1, 1), (1, 1), (1, 1), True),
        (1, 2, (2, 3), 3, 2, (2, 3), (0, 1), (1, 0), (2, 1), True),
        (2, 1, (2, 3), 3, 3, (3, 1), (2, 1), (0, 0), (1, 2), False),
    ]:
        x = randn(2, C, H, W, scale=1.0)
        w = randn(C, O, *K)
        b = randn(O) if bias else None
        out = conv_transpose2d_ref(x, w, b, stride, padding, output_padding, dilation)
        if HAVE_TORCH:
            import torch

            m = torch.nn.ConvTranspose2d(
                C,
                O,
                K,
                stride=stride,
                padding=padding,
                output_padding=output_padding,
                dilation=dilation,
                bias=bias,
            ).double()
            sd = {"weight": torch.tensor(w)}
            if bias:
                sd["bias"] = torch.tensor(b)
            m.load_state_dict(sd)
            assert_close("ConvTranspose2d", m(torch.tensor(x)).detach().numpy(), out)
        case = {
            "layer": "ConvTranspose2d",
            "config": dict(
                in_channels=C,
                out_channels=O,
                kernel_size=list(K),
                stride=list(stride),
                padding=list(padding),
                output_padding=list(output_padding),
                dilation=list(dilation),
            ),
            "params": {"weight": tolist(w)},
            "input": tolist(x),
            "output": tolist(out),
        }
        if bias:
            case["params"]["bias"] = tolist(b)
        cases.append(case)
    write("conv.json", cases)


# ----------------------------------------------------------------------------- positional encoding
def positional():
    cases = []
    for length, dim in [(5, 6), (4, 7)]:
        pe = np.zeros((length, dim))
        pos = np.arange(length)[:, None]
        for i in range(dim):
            angle = pos[:, 0] / 10000.0 ** (2 * (i // 2) / dim)
            pe[:, i] = np.sin(angle) if i % 2 == 0 else np.cos(angle)
        cases.append({"length": length, "dim": dim, "output": tolist(pe)})
    write("positional.json", cases)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    print("checking against torch" if HAVE_TORCH else "torch not importable: NumPy reference only")
    recurrent()
    sdpa()
    mha()
    transformer()
    convs()
    positional()
    # The repository lints every JSON file with Biome: format the fixtures the way it wants them.
    subprocess.run(["npx", "biome", "format", "--write", OUT], check=True)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"total {total / 1024:.0f} KiB")
