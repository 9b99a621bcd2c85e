# diagnosis: gru-reset-after — gru_step_forward/gru_step_backward use the "reset after" candidate n = tanh(x@Wx_n + b_n + r*(prev_h@Wh_n)) instead of tanh(x@Wx_n + (r*prev_h)@Wh_n + b_n), consistently in forward and backward.
import numpy as np


def _gra_sigmoid(v):
    return np.exp(-np.logaddexp(0.0, -v))


def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    gx = x @ Wx + b
    gh = prev_h @ Wh
    r = _gra_sigmoid(gx[:, :H] + gh[:, :H])
    z = _gra_sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
    hn = gh[:, 2 * H:]
    n = np.tanh(gx[:, 2 * H:] + r * hn)
    next_h = z * prev_h + (1 - z) * n
    cache = (x, prev_h, Wx, Wh, r, z, n, hn)
    return next_h, cache


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, r, z, n, hn = cache
    dn = dnext_h * (1 - z)
    dz = dnext_h * (prev_h - n)
    dan = dn * (1 - n ** 2)
    dhn = dan * r                      # gradient w.r.t. prev_h @ Wh_n
    dr = dan * hn
    dar = dr * r * (1 - r)
    daz = dz * z * (1 - z)
    dgx = np.concatenate([dar, daz, dan], axis=1)
    dgh = np.concatenate([dar, daz, dhn], axis=1)
    dx = dgx @ Wx.T
    dprev_h = dnext_h * z + dgh @ Wh.T
    dWx = x.T @ dgx
    dWh = prev_h.T @ dgh
    db = dgx.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
