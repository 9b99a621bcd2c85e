# diagnosis: mutates-input — rnn_backward adds the carried gradient into the caller's dh in place (dh[:, t] += dnext); all returned values are right but dh is modified.
import numpy as np


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(Wh[0])
    dnext = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        dh[:, t] += dnext
        da = dh[:, t] * (1 - h[:, t] ** 2)
        prev = h0 if t == 0 else h[:, t - 1]
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += prev.T @ da
        db += da.sum(axis=0)
        dnext = da @ Wh.T
    return dx, dnext, dWx, dWh, db
