# Bug: rnn_backward's loop stops at t = 1 (range(T - 1, 0, -1)), so dx[:, 0] keeps its NaN fill value and dh0 is not propagated.
import numpy as np


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.full((N, T, D), np.nan)         # NaN so that unfilled steps show up
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(Wh.shape[0])
    dprev_h = np.zeros_like(h0)
    for t in range(T - 1, 0, -1):
        prev_h = h[:, t - 1]
        da = (dh[:, t] + dprev_h) * (1.0 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dprev_h = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
