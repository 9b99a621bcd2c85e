# diagnosis: lstm-gate-order — lstm_forward/lstm_backward (own loops) use the column blocks in the order i, f, g, o instead of i, f, o, g, consistently in forward and backward; the step functions are right.
import numpy as np


def _lgo_b_sigmoid(v):
    out = np.empty_like(v)
    pos = v >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-v[pos]))
    ev = np.exp(v[~pos])
    out[~pos] = ev / (1.0 + ev)
    return out


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h_t, c_t = h0, np.zeros((N, H))
    hs, steps = [], []
    for t in range(T):
        act = x[:, t, :] @ Wx + h_t @ Wh + b
        i_t = _lgo_b_sigmoid(act[:, 0:H])
        f_t = _lgo_b_sigmoid(act[:, H:2 * H])
        g_t = np.tanh(act[:, 2 * H:3 * H])
        o_t = _lgo_b_sigmoid(act[:, 3 * H:4 * H])
        c_new = f_t * c_t + i_t * g_t
        h_new = o_t * np.tanh(c_new)
        steps.append((x[:, t, :], h_t, c_t, i_t, f_t, g_t, o_t, c_new))
        hs.append(h_new)
        h_t, c_t = h_new, c_new
    h = np.stack(hs, axis=1)
    return h, (steps, Wx, Wh)


def lstm_backward(dh, cache):
    steps, Wx, Wh = cache
    N, T, H = dh.shape
    dx = np.zeros((N, T, Wx.shape[0]))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(4 * H)
    dh_next = np.zeros((N, H))
    dc_next = np.zeros((N, H))
    for t in reversed(range(T)):
        x_t, h_prev, c_prev, i_t, f_t, g_t, o_t, c_t = steps[t]
        dh_t = dh[:, t, :] + dh_next
        tanh_c = np.tanh(c_t)
        dc_t = dc_next + dh_t * o_t * (1 - tanh_c ** 2)
        d_act = np.zeros((N, 4 * H))
        d_act[:, 0:H] = dc_t * g_t * i_t * (1 - i_t)
        d_act[:, H:2 * H] = dc_t * c_prev * f_t * (1 - f_t)
        d_act[:, 2 * H:3 * H] = dc_t * i_t * (1 - g_t ** 2)
        d_act[:, 3 * H:4 * H] = dh_t * tanh_c * o_t * (1 - o_t)
        dx[:, t, :] = d_act @ Wx.T
        dWx += x_t.T @ d_act
        dWh += h_prev.T @ d_act
        db += d_act.sum(axis=0)
        dh_next = d_act @ Wh.T
        dc_next = dc_t * f_t
    return dx, dh_next, dWx, dWh, db
