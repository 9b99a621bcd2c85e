# Bug (a convention, not a slip): the GRU step uses next_h = (1 - z) * prev_h + z * n (Chung et al. 2014 / Coursera)
# instead of z * prev_h + (1 - z) * n; forward and backward are consistent with each other.
import numpy as np


def sigmoid(a):
    e = np.exp(-np.abs(a))                  # stable for large |a|
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    ax = x @ Wx + b
    r = sigmoid(ax[:, :H] + prev_h @ Wh[:, :H])
    z = sigmoid(ax[:, H:2 * H] + prev_h @ Wh[:, H:2 * H])
    n = np.tanh(ax[:, 2 * H:] + (r * prev_h) @ Wh[:, 2 * H:])
    next_h = (1 - z) * prev_h + z * n
    cache = (x, prev_h, Wx, Wh, r, z, n)
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, r, z, n = cache
    H = prev_h.shape[1]
    dz = dnext_h * (n - prev_h)
    dn = dnext_h * z
    dan = dn * (1 - n ** 2)
    drh = dan @ Wh[:, 2 * H:].T
    dar = drh * prev_h * r * (1 - r)
    daz = dz * z * (1 - z)
    da = np.hstack([dar, daz, dan])
    dx = da @ Wx.T
    dprev_h = (dnext_h * (1 - z) + drh * r
               + dar @ Wh[:, :H].T + daz @ Wh[:, H:2 * H].T)
    dWx = x.T @ da
    dWh = np.hstack([prev_h.T @ dar, prev_h.T @ daz, (r * prev_h).T @ dan])
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
