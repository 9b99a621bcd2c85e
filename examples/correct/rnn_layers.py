# A complete, correct student solution of the rnn_layers.py exercises.
#
# Every API function is self-contained: the sequence functions loop over time
# themselves instead of calling the step functions, so overriding one function
# (as the bug zoo in tests/zoo/bugs/ does) changes that function only.
#
# Caches (tuples):
#   rnn_step_forward   (x, prev_h, Wx, Wh, next_h)
#   rnn_forward        (x, h0, Wx, Wh, h)                 h: (N, T, H)
#   lstm_step_forward  (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
#   lstm_forward       (x, h0, Wx, Wh, h, c, i, f, o, g)  every array (N, T, H) except x, h0
#   gru_step_forward   (x, prev_h, Wx, Wh, r, z, n)
#   gru_forward        (x, h0, Wx, Wh, h, r, z, n)        every array (N, T, H) except x, h0
import numpy as np


def _sigmoid(a):
    """Numerically stable logistic sigmoid: exp never sees a positive argument."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# ----------------------------------------------------------------------------
# Vanilla RNN
# ----------------------------------------------------------------------------

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h ** 2)       # tanh'(a) = 1 - tanh(a)^2
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h = h0
    for t in range(T):
        prev_h = np.tanh(x[:, t] @ Wx + prev_h @ Wh + b)
        h[:, t] = prev_h
    cache = (x, h0, Wx, Wh, h)
    return h, cache


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(Wh.shape[0])
    dprev_h = np.zeros_like(h0)              # gradient flowing back from step t+1
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        dnext_h = dh[:, t] + dprev_h         # a new array: dh is not modified
        da = dnext_h * (1.0 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dprev_h = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


# ----------------------------------------------------------------------------
# LSTM (gate blocks in the order i, f, o, g)
# ----------------------------------------------------------------------------

def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i = _sigmoid(a[:, 0 * H:1 * H])
    f = _sigmoid(a[:, 1 * H:2 * H])
    o = _sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:4 * H])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    do = dnext_h * tanh_c
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c ** 2)   # both paths into next_c
    di = dc * g
    df = dc * prev_c
    dg = dc * i
    dprev_c = dc * f
    da = np.concatenate([di * i * (1.0 - i),
                         df * f * (1.0 - f),
                         do * o * (1.0 - o),
                         dg * (1.0 - g ** 2)], axis=1)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    c = np.zeros((N, T, H))
    i = np.zeros((N, T, H))
    f = np.zeros((N, T, H))
    o = np.zeros((N, T, H))
    g = np.zeros((N, T, H))
    prev_h = h0
    prev_c = np.zeros_like(h0)               # the initial cell state is zero
    for t in range(T):
        a = x[:, t] @ Wx + prev_h @ Wh + b
        i[:, t] = _sigmoid(a[:, 0 * H:1 * H])
        f[:, t] = _sigmoid(a[:, 1 * H:2 * H])
        o[:, t] = _sigmoid(a[:, 2 * H:3 * H])
        g[:, t] = np.tanh(a[:, 3 * H:4 * H])
        c[:, t] = f[:, t] * prev_c + i[:, t] * g[:, t]
        h[:, t] = o[:, t] * np.tanh(c[:, t])
        prev_h = h[:, t]
        prev_c = c[:, t]
    cache = (x, h0, Wx, Wh, h, c, i, f, o, g)
    return h, cache


def lstm_backward(dh, cache):
    x, h0, Wx, Wh, h, c, i, f, o, g = cache
    N, T, D = x.shape
    H = h0.shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(4 * H)
    dprev_h = np.zeros((N, H))
    dprev_c = np.zeros((N, H))
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        prev_c = c[:, t - 1] if t > 0 else np.zeros((N, H))
        dnext_h = dh[:, t] + dprev_h
        dnext_c = dprev_c
        tanh_c = np.tanh(c[:, t])
        do = dnext_h * tanh_c
        dc = dnext_c + dnext_h * o[:, t] * (1.0 - tanh_c ** 2)
        di = dc * g[:, t]
        df = dc * prev_c
        dg = dc * i[:, t]
        dprev_c = dc * f[:, t]
        da = np.concatenate([di * i[:, t] * (1.0 - i[:, t]),
                             df * f[:, t] * (1.0 - f[:, t]),
                             do * o[:, t] * (1.0 - o[:, t]),
                             dg * (1.0 - g[:, t] ** 2)], axis=1)
        dx[:, t] = da @ Wx.T
        dprev_h = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


# ----------------------------------------------------------------------------
# GRU (gate blocks in the order r, z, n; reset applied before the matmul;
# z keeps the old state)
# ----------------------------------------------------------------------------

def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    ax = x @ Wx + b                          # input part of all three blocks
    r = _sigmoid(ax[:, 0 * H:1 * H] + prev_h @ Wh[:, 0 * H:1 * H])
    z = _sigmoid(ax[:, 1 * H:2 * H] + prev_h @ Wh[:, 1 * H:2 * H])
    n = np.tanh(ax[:, 2 * H:3 * H] + (r * prev_h) @ Wh[:, 2 * H:3 * H])
    next_h = z * prev_h + (1.0 - z) * n
    cache = (x, prev_h, Wx, Wh, r, z, n)
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, r, z, n = cache
    H = prev_h.shape[1]
    Wh_r = Wh[:, 0 * H:1 * H]
    Wh_z = Wh[:, 1 * H:2 * H]
    Wh_n = Wh[:, 2 * H:3 * H]
    dz = dnext_h * (prev_h - n)
    dn = dnext_h * (1.0 - z)
    dan = dn * (1.0 - n ** 2)
    drh = dan @ Wh_n.T                       # gradient w.r.t. r * prev_h
    dr = drh * prev_h
    daz = dz * z * (1.0 - z)
    dar = dr * r * (1.0 - r)
    da = np.concatenate([dar, daz, dan], axis=1)
    dx = da @ Wx.T
    dprev_h = dnext_h * z + drh * r + dar @ Wh_r.T + daz @ Wh_z.T
    dWx = x.T @ da
    dWh = np.concatenate([prev_h.T @ dar,
                          prev_h.T @ daz,
                          (r * prev_h).T @ dan], axis=1)
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def gru_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    r = np.zeros((N, T, H))
    z = np.zeros((N, T, H))
    n = np.zeros((N, T, H))
    prev_h = h0
    for t in range(T):
        ax = x[:, t] @ Wx + b
        r[:, t] = _sigmoid(ax[:, 0 * H:1 * H] + prev_h @ Wh[:, 0 * H:1 * H])
        z[:, t] = _sigmoid(ax[:, 1 * H:2 * H] + prev_h @ Wh[:, 1 * H:2 * H])
        n[:, t] = np.tanh(ax[:, 2 * H:3 * H] + (r[:, t] * prev_h) @ Wh[:, 2 * H:3 * H])
        h[:, t] = z[:, t] * prev_h + (1.0 - z[:, t]) * n[:, t]
        prev_h = h[:, t]
    cache = (x, h0, Wx, Wh, h, r, z, n)
    return h, cache


def gru_backward(dh, cache):
    x, h0, Wx, Wh, h, r, z, n = cache
    N, T, D = x.shape
    H = h0.shape[1]
    Wh_r = Wh[:, 0 * H:1 * H]
    Wh_z = Wh[:, 1 * H:2 * H]
    Wh_n = Wh[:, 2 * H:3 * H]
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(3 * H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        r_t, z_t, n_t = r[:, t], z[:, t], n[:, t]
        dnext_h = dh[:, t] + dprev_h
        dz = dnext_h * (prev_h - n_t)
        dn = dnext_h * (1.0 - z_t)
        dan = dn * (1.0 - n_t ** 2)
        drh = dan @ Wh_n.T
        dr = drh * prev_h
        daz = dz * z_t * (1.0 - z_t)
        dar = dr * r_t * (1.0 - r_t)
        da = np.concatenate([dar, daz, dan], axis=1)
        dx[:, t] = da @ Wx.T
        dprev_h = dnext_h * z_t + drh * r_t + dar @ Wh_r.T + daz @ Wh_z.T
        dWx += x[:, t].T @ da
        dWh[:, 0 * H:1 * H] += prev_h.T @ dar
        dWh[:, 1 * H:2 * H] += prev_h.T @ daz
        dWh[:, 2 * H:3 * H] += (r_t * prev_h).T @ dan
        db += da.sum(axis=0)
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


# ----------------------------------------------------------------------------
# Gradient clipping
# ----------------------------------------------------------------------------

def clip_grad_value(grads, clip_value):
    return {name: np.clip(g, -clip_value, clip_value) for name, g in grads.items()}


def clip_grad_norm(grads, max_norm):
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    if total_norm > max_norm:
        scale = max_norm / total_norm
        clipped = {name: g * scale for name, g in grads.items()}
    else:
        clipped = {name: g.copy() for name, g in grads.items()}
    return clipped, total_norm


# ----------------------------------------------------------------------------
# Truncated BPTT
# ----------------------------------------------------------------------------

def rnn_backward_truncated(dh, cache, truncate):
    # The loss at step t reaches the hidden states h_t, h_{t-1}, ..., h_{t-truncate}
    # (h0 counts as h_{-1}); backpropagate each dh[:, t] through that window only.
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dh0 = np.zeros_like(h0)
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(Wh.shape[0])
    for t in range(T):
        grad = dh[:, t]                      # gradient arriving at h_s, starting at s = t
        for s in range(t, max(t - truncate, 0) - 1, -1):
            prev_h = h[:, s - 1] if s > 0 else h0
            da = grad * (1.0 - h[:, s] ** 2)
            dx[:, s] += da @ Wx.T
            dWx += x[:, s].T @ da
            dWh += prev_h.T @ da
            db += da.sum(axis=0)
            grad = da @ Wh.T                 # now arriving at h_{s-1}
        if t - truncate <= -1:               # the window reaches h0
            dh0 += grad
    return dx, dh0, dWx, dWh, db
