"""A correct submission written very differently from examples/correct/rnn_layers.py.

Vectorised over time where the recurrence allows it (input projections for every step in
one einsum, all weight gradients in one einsum after the backward loop), gates read from a
(N, k, H) view instead of column slices, sigmoid written through logaddexp, namedtuple and dict
caches, shared cell helpers, and a banded truncated BPTT that runs backwards once.
"""
from collections import namedtuple

import numpy as np

RnnStep = namedtuple("RnnStep", "x h_prev h Wx Wh")
LstmStep = namedtuple("LstmStep", "x h_prev c_prev c gates Wx Wh")   # gates: (N, 4, H) = i, f, o, g
GruStep = namedtuple("GruStep", "x h_prev gates Wx Wh")              # gates: (N, 3, H) = r, z, n

I, F, O, G = range(4)
R, Z, NEW = range(3)


def _sigm(a):
    # sigma(a) = exp(-log(1 + exp(-a))); logaddexp never overflows
    return np.exp(-np.logaddexp(0.0, -a))


def _blocks(a, k):
    """(N, k*H) -> (N, k, H) view of the k column blocks."""
    return a.reshape(a.shape[0], k, -1)


def _previous_states(h0, h):
    """(N, T, H) array whose step t holds h_{t-1} (h0 at t = 0)."""
    return np.concatenate([h0[:, None, :], h[:, :-1, :]], axis=1)


def _param_grads(x, h_prev, da):
    """Weight gradients summed over batch and time (works for steps and sequences)."""
    if da.ndim == 2:
        x, h_prev, da = x[:, None], h_prev[:, None], da[:, None]
    dWx = np.einsum("ntd,nth->dh", x, da)
    dWh = np.einsum("ntk,nth->kh", h_prev, da)
    db = da.sum(axis=(0, 1))
    return dWx, dWh, db


# ---------------------------------------------------------------------- vanilla RNN

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    h = np.tanh(np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", prev_h, Wh) + b)
    return h, RnnStep(x, prev_h, h, Wx, Wh)


def rnn_step_backward(dnext_h, cache):
    da = (1.0 - np.square(cache.h)) * dnext_h
    dWx, dWh, db = _param_grads(cache.x, cache.h_prev, da)
    return da @ cache.Wx.T, da @ cache.Wh.T, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    xw = np.einsum("ntd,dh->nth", x, Wx) + b       # every step's input term at once
    hs = []
    state = h0
    for xw_t in np.moveaxis(xw, 1, 0):
        state = np.tanh(xw_t + state @ Wh)
        hs.append(state)
    h = np.stack(hs, axis=1)
    return h, {"x": x, "h0": h0, "h": h, "Wx": Wx, "Wh": Wh}


def _rnn_pre_activation_grads(dh, cache):
    """da for every step, (N, T, H), plus the gradient reaching h0."""
    h, Wh = cache["h"], cache["Wh"]
    one_minus_h2 = 1.0 - h * h
    da = np.empty_like(h)
    carry = np.zeros_like(cache["h0"])
    for t in range(h.shape[1] - 1, -1, -1):
        da[:, t] = (dh[:, t] + carry) * one_minus_h2[:, t]
        carry = da[:, t] @ Wh.T
    return da, carry


def rnn_backward(dh, cache):
    da, dh0 = _rnn_pre_activation_grads(dh, cache)
    dx = np.einsum("nth,dh->ntd", da, cache["Wx"])
    dWx, dWh, db = _param_grads(cache["x"], _previous_states(cache["h0"], cache["h"]), da)
    return dx, dh0, dWx, dWh, db


# ---------------------------------------------------------------------- LSTM

def _lstm_cell(a, c_prev):
    gates = _blocks(a, 4).copy()
    gates[:, [I, F, O]] = _sigm(gates[:, [I, F, O]])
    gates[:, G] = np.tanh(gates[:, G])
    c = gates[:, F] * c_prev + gates[:, I] * gates[:, G]
    return gates[:, O] * np.tanh(c), c, gates


def _lstm_cell_backward(dh, dc, gates, c_prev, c):
    """Returns da (N, 4H) and the gradient reaching c_prev."""
    i, f, o, g = (gates[:, k] for k in (I, F, O, G))
    tc = np.tanh(c)
    dc_total = dc + dh * o * (1.0 - tc * tc)
    dgates = np.stack([dc_total * g, dc_total * c_prev, dh * tc, dc_total * i], axis=1)
    local = np.stack([i * (1 - i), f * (1 - f), o * (1 - o), 1 - g * g], axis=1)
    da = (dgates * local).reshape(dh.shape[0], -1)
    return da, dc_total * f


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    a = np.einsum("nd,dk->nk", x, Wx) + np.einsum("nh,hk->nk", prev_h, Wh) + b
    h, c, gates = _lstm_cell(a, prev_c)
    return h, c, LstmStep(x, prev_h, prev_c, c, gates, Wx, Wh)


def lstm_step_backward(dnext_h, dnext_c, cache):
    da, dprev_c = _lstm_cell_backward(dnext_h, dnext_c, cache.gates, cache.c_prev, cache.c)
    dWx, dWh, db = _param_grads(cache.x, cache.h_prev, da)
    return da @ cache.Wx.T, da @ cache.Wh.T, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    H = h0.shape[1]
    xw = np.einsum("ntd,dk->ntk", x, Wx) + b
    h = np.empty((N, T, H))
    c = np.empty((N, T + 1, H))                    # c[:, 0] is the zero initial cell
    c[:, 0] = 0.0
    gates = np.empty((N, T, 4, H))
    state = h0
    for t in range(T):
        state, c[:, t + 1], gates[:, t] = _lstm_cell(xw[:, t] + state @ Wh, c[:, t])
        h[:, t] = state
    return h, {"x": x, "h0": h0, "h": h, "c": c, "gates": gates, "Wx": Wx, "Wh": Wh}


def lstm_backward(dh, cache):
    h, c, gates, Wh = cache["h"], cache["c"], cache["gates"], cache["Wh"]
    N, T, H = h.shape
    da = np.empty((N, T, 4 * H))
    carry_h = np.zeros((N, H))
    carry_c = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        da[:, t], carry_c = _lstm_cell_backward(dh[:, t] + carry_h, carry_c,
                                                gates[:, t], c[:, t], c[:, t + 1])
        carry_h = da[:, t] @ Wh.T
    dx = np.einsum("ntk,dk->ntd", da, cache["Wx"])
    dWx, dWh, db = _param_grads(cache["x"], _previous_states(cache["h0"], h), da)
    return dx, carry_h, dWx, dWh, db


# ---------------------------------------------------------------------- GRU

def _gru_cell(xw, h_prev, Wh):
    """xw = x @ Wx + b, (N, 3H). Returns next_h and the (N, 3, H) gates r, z, n."""
    H = h_prev.shape[1]
    rz = _sigm(_blocks(xw[:, :2 * H] + h_prev @ Wh[:, :2 * H], 2))
    r, z = rz[:, 0], rz[:, 1]
    n = np.tanh(xw[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:])
    return n + z * (h_prev - n), np.stack([r, z, n], axis=1)


def _gru_cell_backward(dh, gates, h_prev, Wh):
    """Returns da (N, 3H), dWh for this step, and the gradient reaching h_prev."""
    H = h_prev.shape[1]
    r, z, n = gates[:, R], gates[:, Z], gates[:, NEW]
    dan = dh * (1.0 - z) * (1.0 - n * n)
    drh = dan @ Wh[:, 2 * H:].T
    daz = dh * (h_prev - n) * z * (1.0 - z)
    dar = drh * h_prev * r * (1.0 - r)
    da_rz = np.concatenate([dar, daz], axis=1)
    da = np.concatenate([da_rz, dan], axis=1)
    dWh = np.concatenate([h_prev.T @ da_rz, (r * h_prev).T @ dan], axis=1)
    dh_prev = dh * z + drh * r + da_rz @ Wh[:, :2 * H].T
    return da, dWh, dh_prev


def gru_step_forward(x, prev_h, Wx, Wh, b):
    h, gates = _gru_cell(np.einsum("nd,dk->nk", x, Wx) + b, prev_h, Wh)
    return h, GruStep(x, prev_h, gates, Wx, Wh)


def gru_step_backward(dnext_h, cache):
    da, dWh, dprev_h = _gru_cell_backward(dnext_h, cache.gates, cache.h_prev, cache.Wh)
    return da @ cache.Wx.T, dprev_h, np.einsum("nd,nk->dk", cache.x, da), dWh, da.sum(axis=0)


def gru_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    xw = np.einsum("ntd,dk->ntk", x, Wx) + b
    h = np.empty((N, T, h0.shape[1]))
    gates = np.empty((N, T, 3, h0.shape[1]))
    state = h0
    for t in range(T):
        state, gates[:, t] = _gru_cell(xw[:, t], state, Wh)
        h[:, t] = state
    return h, {"x": x, "h0": h0, "h": h, "gates": gates, "Wx": Wx, "Wh": Wh}


def gru_backward(dh, cache):
    h, gates, Wh = cache["h"], cache["gates"], cache["Wh"]
    h_prev = _previous_states(cache["h0"], h)
    N, T, H = h.shape
    da = np.empty((N, T, 3 * H))
    dWh = np.zeros_like(Wh)
    carry = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        da[:, t], dWh_t, carry = _gru_cell_backward(dh[:, t] + carry, gates[:, t], h_prev[:, t], Wh)
        dWh += dWh_t
    dx = np.einsum("ntk,dk->ntd", da, cache["Wx"])
    dWx = np.einsum("ntd,ntk->dk", cache["x"], da)
    return dx, carry, dWx, dWh, da.sum(axis=(0, 1))


# ---------------------------------------------------------------------- clipping

def clip_grad_value(grads, clip_value):
    out = {}
    for name in grads:
        out[name] = np.minimum(np.maximum(grads[name], -clip_value), clip_value)
    return out


def clip_grad_norm(grads, max_norm):
    flat = np.concatenate([np.ravel(g) for g in grads.values()]) if grads else np.zeros(0)
    total_norm = float(np.linalg.norm(flat))
    factor = max_norm / total_norm if total_norm > max_norm else 1.0
    return {name: np.multiply(g, factor) for name, g in grads.items()}, total_norm


# ---------------------------------------------------------------------- truncated BPTT

def rnn_backward_truncated(dh, cache, truncate):
    """One backward sweep carrying a band of gradients, one per originating step.

    band[j] is the gradient reaching the current state h_s from the loss at step s + j;
    it is dropped once j would exceed `truncate`.
    """
    h, Wh = cache["h"], cache["Wh"]
    N, T, H = h.shape
    width = min(truncate, T) + 1
    band = np.zeros((width, N, H))
    da = np.empty_like(h)
    for s in range(T - 1, -1, -1):
        band = np.concatenate([dh[None, :, s], band[:-1]], axis=0)   # shift: origin s enters at j=0
        band_da = band * (1.0 - h[:, s] ** 2)                         # every origin through step s
        da[:, s] = band_da.sum(axis=0)
        band = band_da @ Wh.T                                         # now reaching h_{s-1}
    # entering h_{-1} = h0 the offset grows by one; keep only offsets that are still <= truncate
    dh0 = band[:width - 1].sum(axis=0) if width > 1 else np.zeros((N, H))
    dx = np.einsum("nth,dh->ntd", da, cache["Wx"])
    dWx, dWh, db = _param_grads(cache["x"], _previous_states(cache["h0"], h), da)
    return dx, dh0, dWx, dWh, db
