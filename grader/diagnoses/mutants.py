"""Mutants: the reference computation with exactly one well-known mistake switched on.

A diagnosis fits when the student's numbers equal a mutant's on the same inputs (and differ from
the correct ones). Mutants are small, separate numpy implementations with bug switches, written
for clarity rather than speed; they run only in the trusted parent, only after a check failed.
Gate blocks: LSTM i, f, o, g; GRU from ``reference.GRU_VARIANTS``.
"""

from __future__ import annotations

import numpy as np

import reference


def _sigmoid(a):
    return np.where(a >= 0, 1 / (1 + np.exp(-np.abs(a))), np.exp(-np.abs(a)) / (1 + np.exp(-np.abs(a))))


# ----------------------------------------------------------------------------- steps with bug switches


def rnn_step(x, prev_h, Wx, Wh, b):
    h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return h, (x, prev_h, Wx, Wh, h)


def rnn_step_back(dnext_h, cache, bug=None):
    x, prev_h, Wx, Wh, h = cache
    deriv = 1 - np.tanh(h) ** 2 if bug == "tanh_twice" else 1 - h**2
    da = dnext_h * deriv
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_step(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = (_sigmoid(a[:, k * H:(k + 1) * H]) for k in range(3))
    g = np.tanh(a[:, 3 * H:])
    c = f * prev_c + i * g
    h = o * np.tanh(c)
    return h, c, (x, prev_h, prev_c, Wx, Wh, a, i, f, o, g, c)


def lstm_step_back(dnext_h, dnext_c, cache, bug=None):
    x, prev_h, prev_c, Wx, Wh, a, i, f, o, g, c = cache
    H = prev_h.shape[1]
    tc = np.tanh(c)
    dc = dnext_c + dnext_h * o * (1 - tc**2)
    do = dnext_h * tc
    di, df, dg = dc * g, dc * prev_c, dc * i
    if bug == "sigmoid_preact":
        ai, af, ao = (a[:, k * H:(k + 1) * H] for k in range(3))
        dai, daf, dao = di * ai * (1 - ai), df * af * (1 - af), do * ao * (1 - ao)
    else:
        dai, daf, dao = di * i * (1 - i), df * f * (1 - f), do * o * (1 - o)
    da = np.concatenate([dai, daf, dao, dg * (1 - g**2)], axis=1)
    dprev_c = dnext_c * f if bug == "dprev_c_no_h_path" else dc * f
    return da @ Wx.T, da @ Wh.T, dprev_c, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def _gru_step(x, prev_h, Wx, Wh, b):
    return reference.gru_step_forward(x, prev_h, Wx, Wh, b)


def _gru_back(dnext_h, cache, bug=None):
    return reference.gru_step_backward(dnext_h, cache)


STEPS = {  # architecture -> (step forward, step backward with bug switch, is_lstm)
    "rnn": (rnn_step, rnn_step_back, False),
    "lstm": (lstm_step, lstm_step_back, True),
    "gru": (_gru_step, _gru_back, False),
}

# ----------------------------------------------------------------------------- forwards


def step_forward(arch: str, inputs: dict):
    fwd, _, lstm = STEPS[arch]
    names = ("x", "prev_h", "prev_c", "Wx", "Wh", "b") if lstm else ("x", "prev_h", "Wx", "Wh", "b")
    return fwd(*[inputs[n] for n in names])[:-1]


def sequence_forward(arch: str, inputs: dict):
    """(h,) of the whole sequence, plus the step caches for a backward."""
    fwd, _, lstm = STEPS[arch]
    x, h, W = inputs["x"], inputs["h0"], (inputs["Wx"], inputs["Wh"], inputs["b"])
    c = np.zeros_like(h)
    hs, caches = [], []
    for t in range(x.shape[1]):
        if lstm:
            h, c, cache = fwd(x[:, t], h, c, *W)
        else:
            h, cache = fwd(x[:, t], h, *W)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), caches


def sequence_backward(arch: str, inputs: dict, dh: np.ndarray, carry: bool = True, ones: bool = False,
                      weights: str = "all", bug=None):
    """(dx, dh0, dWx, dWh, db) of BPTT with the given mistakes.

    carry=False: no gradient between steps; carry="c": only the LSTM cell gradient is carried (the
    old Coursera DLS notebook's lstm_backward); ones: dh replaced by ones; weights: "all" (correct),
    "first" (only step 0's contribution, as `dW = ...` in a reverse loop leaves), "last" (step T-1).
    """
    _, back, lstm = STEPS[arch]
    _, caches = sequence_forward(arch, inputs)
    dh = np.ones_like(dh) if ones else dh
    T = dh.shape[1]
    dxs = [None] * T
    dnext_h = np.zeros_like(dh[:, 0])
    dnext_c = np.zeros_like(dh[:, 0])
    dW = None
    for t in reversed(range(T)):
        upstream = dh[:, t] + (dnext_h if carry is True else 0)
        if lstm:
            dx, dprev_h, dprev_c, *dparams = back(upstream, dnext_c if carry else 0 * dnext_c, caches[t], bug)
            dnext_c = dprev_c
        else:
            dx, dprev_h, *dparams = back(upstream, caches[t], bug)
        dxs[t], dnext_h = dx, dprev_h
        keep = weights == "all" or (weights == "first" and t == 0) or (weights == "last" and t == T - 1)
        if keep:
            dW = dparams if dW is None or weights != "all" else [a + p for a, p in zip(dW, dparams)]
    return (np.stack(dxs, axis=1), dnext_h, *dW)


def step_backward(arch: str, inputs: dict, upstream: dict, bug=None):
    fwd, back, lstm = STEPS[arch]
    if lstm:
        *_, cache = fwd(*[inputs[n] for n in ("x", "prev_h", "prev_c", "Wx", "Wh", "b")])
        return back(upstream["dnext_h"], upstream["dnext_c"], cache, bug)
    *_, cache = fwd(*[inputs[n] for n in ("x", "prev_h", "Wx", "Wh", "b")])
    return back(upstream["dnext_h"], cache, bug)


def lstm_ifgo_inputs(inputs: dict) -> dict:
    """Weights laid out so the correct LSTM computes what an i, f, g, o reader computes."""
    def swap(w):
        H = w.shape[-1] // 4
        return np.concatenate([w[..., :2 * H], w[..., 3 * H:], w[..., 2 * H:3 * H]], axis=-1)

    return dict(inputs, Wx=swap(inputs["Wx"]), Wh=swap(inputs["Wh"]), b=swap(inputs["b"]))


def gru_variant_forward(variant: str, sequence: bool, inputs: dict):
    ns = reference.GRU_VARIANTS[variant]
    if sequence:
        return ns.forward(inputs["x"], inputs["h0"], inputs["Wx"], inputs["Wh"], inputs["b"])[:-1]
    return ns.step_forward(inputs["x"], inputs["prev_h"], inputs["Wx"], inputs["Wh"], inputs["b"])[:-1]


def zero_bias_variants(inputs: dict, gates: int):
    """The inputs with the whole bias zeroed, then with each gate block's bias zeroed."""
    b = inputs["b"]
    yield dict(inputs, b=np.zeros_like(b))
    if gates > 1:
        H = b.shape[0] // gates
        for k in range(gates):
            nb = b.copy()
            nb[k * H:(k + 1) * H] = 0
            yield dict(inputs, b=nb)


def clip_per_tensor(grads: dict, max_norm: float) -> dict:
    out = {}
    for k, g in grads.items():
        n = float(np.linalg.norm(g))
        out[k] = g * (max_norm / n) if n > max_norm else g.copy()
    return out
