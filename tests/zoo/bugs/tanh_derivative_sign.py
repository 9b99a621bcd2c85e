# Bug: rnn_backward writes the tanh derivative as h**2 - 1 (sign flipped): every gradient has the wrong sign.
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
        da = (dh[:, t] + dprev_h) * (h[:, t] ** 2 - 1.0)
        dx[:, t] = da @ Wx.T
        dprev_h = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
