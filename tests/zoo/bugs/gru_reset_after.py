# Bug (a convention, not a slip): the GRU step uses PyTorch's "reset after" candidate n = tanh(x @ Wx_n + b_n + r * (prev_h @ Wh_n))
# instead of reset before the matmul; forward and backward are consistent with each other.
import numpy as np


def sigmoid(a):
    e = np.exp(-np.abs(a))                  # stable for large |a|
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def gru_step_forward(x, prev_h, Wx, Wh, b):
    xr, xz, xn = np.split(x @ Wx + b, 3, axis=1)
    hr, hz, hn = np.split(prev_h @ Wh, 3, axis=1)
    r = sigmoid(xr + hr)
    z = sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    next_h = z * prev_h + (1 - z) * n
    cache = (x, prev_h, Wx, Wh, r, z, n, hn)
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, r, z, n, hn = cache
    dz = dnext_h * (prev_h - n)
    dn = dnext_h * (1 - z)
    dan = dn * (1 - n ** 2)
    dr = dan * hn
    dhn = dan * r
    dar = dr * r * (1 - r)
    daz = dz * z * (1 - z)
    dax = np.hstack([dar, daz, dan])
    dah = np.hstack([dar, daz, dhn])
    dx = dax @ Wx.T
    dprev_h = dnext_h * z + dah @ Wh.T
    dWx = x.T @ dax
    dWh = prev_h.T @ dah
    db = dax.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
