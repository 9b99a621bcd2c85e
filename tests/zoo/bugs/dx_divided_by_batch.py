# Bug: rnn_backward divides dx by the batch size (as if the loss were averaged again): right direction, wrong size.
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
        dx[:, t] = da @ Wx.T / N
        dprev_h = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
