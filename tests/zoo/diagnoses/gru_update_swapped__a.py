# diagnosis: gru-update-swapped — gru_step_forward/gru_step_backward use next_h = (1 - z)*prev_h + z*n (z on the candidate) instead of z*prev_h + (1 - z)*n, consistently in forward and backward.
import numpy as np


def _gus_sigmoid(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))


def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    Wx_r, Wx_z, Wx_n = np.hsplit(Wx, 3)
    Wh_r, Wh_z, Wh_n = np.hsplit(Wh, 3)
    b_r, b_z, b_n = np.split(b, 3)
    r = _gus_sigmoid(x.dot(Wx_r) + prev_h.dot(Wh_r) + b_r)
    z = _gus_sigmoid(x.dot(Wx_z) + prev_h.dot(Wh_z) + b_z)
    n = np.tanh(x.dot(Wx_n) + (r * prev_h).dot(Wh_n) + b_n)
    next_h = (1 - z) * prev_h + z * n
    cache = (x, prev_h, Wx, Wh, r, z, n)
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, r, z, n = cache
    Wh_r, Wh_z, Wh_n = np.hsplit(Wh, 3)
    dn = dnext_h * z
    dz = dnext_h * (n - prev_h)
    d_n_pre = dn * (1 - n * n)
    d_rh = d_n_pre.dot(Wh_n.T)
    d_r_pre = d_rh * prev_h * r * (1 - r)
    d_z_pre = dz * z * (1 - z)
    d_pre = np.hstack([d_r_pre, d_z_pre, d_n_pre])
    dx = d_pre.dot(Wx.T)
    dprev_h = dnext_h * (1 - z) + d_rh * r + d_r_pre.dot(Wh_r.T) + d_z_pre.dot(Wh_z.T)
    dWx = x.T.dot(d_pre)
    dWh = np.hstack([prev_h.T.dot(d_r_pre), prev_h.T.dot(d_z_pre), (r * prev_h).T.dot(d_n_pre)])
    db = d_pre.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
