# Bug: rnn_backward multiplies by Wh.T once more after the loop: dh0 = dprev_h @ Wh.T (dprev_h already is dh0).
import numpy as np


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(Wh.shape[0])
    dprev_h = np.zeros_like(h0)
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dprev_h) * (1.0 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dprev_h = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    dh0 = dprev_h @ Wh.T
    return dx, dh0, dWx, dWh, db
