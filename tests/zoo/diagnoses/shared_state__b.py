# diagnosis: shared-state — lstm_forward appends its per-step caches to a module-level list that is never reset and lstm_backward reads steps 0..T-1 of that list, so only the first forward ever called is backpropagated correctly (cache returned is partial).
import numpy as np

_ss_b_step_caches = []


def _ss_b_sigmoid(v):
    return np.exp(-np.logaddexp(0.0, -v))


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h, prev_c = h0, np.zeros((N, H))
    for t in range(T):
        a = x[:, t] @ Wx + prev_h @ Wh + b
        i = _ss_b_sigmoid(a[:, :H])
        f = _ss_b_sigmoid(a[:, H:2 * H])
        o = _ss_b_sigmoid(a[:, 2 * H:3 * H])
        g = np.tanh(a[:, 3 * H:])
        next_c = f * prev_c + i * g
        next_h = o * np.tanh(next_c)
        _ss_b_step_caches.append((x[:, t], prev_h, prev_c, i, f, o, g, next_c))
        h[:, t] = next_h
        prev_h, prev_c = next_h, next_c
    cache = (Wx, Wh)
    return h, cache


def lstm_backward(dh, cache):
    Wx, Wh = cache
    N, T, H = dh.shape
    D = Wx.shape[0]
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(4 * H)
    dh_next = np.zeros((N, H))
    dc_next = np.zeros((N, H))
    for t in reversed(range(T)):
        xt, prev_h, prev_c, i, f, o, g, next_c = _ss_b_step_caches[t]
        dnh = dh[:, t] + dh_next
        tc = np.tanh(next_c)
        dc = dc_next + dnh * o * (1 - tc ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                             dnh * tc * o * (1 - o), dc * i * (1 - g ** 2)], axis=1)
        dx[:, t] = da @ Wx.T
        dWx += xt.T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
        dh_next = da @ Wh.T
        dc_next = dc * f
    return dx, dh_next, dWx, dWh, db
