# diagnosis: forgot-bias — gru_step_forward leaves b_n out of the candidate block (n = tanh(x@Wx_n + (r*prev_h)@Wh_n)); gru_step_backward is consistent with it (db_n = 0); the r and z blocks keep their biases.
import numpy as np


def _fb_sigmoid(v):
    return np.exp(-np.logaddexp(0.0, -v))


def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    xr, xz, xn = np.split(x @ Wx, 3, axis=1)
    hr, hz = np.split(prev_h @ Wh[:, :2 * H], 2, axis=1)
    r = _fb_sigmoid(xr + hr + b[:H])
    z = _fb_sigmoid(xz + hz + b[H:2 * H])
    n = np.tanh(xn + (r * prev_h) @ Wh[:, 2 * H:])
    next_h = z * prev_h + (1 - z) * n
    cache = {'x': x, 'h': prev_h, 'Wx': Wx, 'Wh': Wh, 'r': r, 'z': z, 'n': n}
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh = cache['x'], cache['h'], cache['Wx'], cache['Wh']
    r, z, n = cache['r'], cache['z'], cache['n']
    H = prev_h.shape[1]
    g_n = dnext_h * (1 - z) * (1 - n ** 2)
    g_z = dnext_h * (prev_h - n) * z * (1 - z)
    g_rh = g_n @ Wh[:, 2 * H:].T
    g_r = g_rh * prev_h * r * (1 - r)
    G = np.concatenate([g_r, g_z, g_n], axis=1)
    dx = G @ Wx.T
    dprev_h = dnext_h * z + g_rh * r + g_r @ Wh[:, :H].T + g_z @ Wh[:, H:2 * H].T
    dWx = x.T @ G
    dWh = np.concatenate([prev_h.T @ g_r, prev_h.T @ g_z, (r * prev_h).T @ g_n], axis=1)
    db = np.concatenate([g_r.sum(axis=0), g_z.sum(axis=0), np.zeros(H)])
    return dx, dprev_h, dWx, dWh, db
