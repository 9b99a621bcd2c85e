# Bug: rnn_backward_truncated lets the loss at step t reach truncate + 1 steps back instead of truncate
# (window t-truncate-1 .. t); identical to the correct result once truncate >= T.
import numpy as np


def rnn_backward_truncated(dh, cache, truncate):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dh0 = np.zeros_like(h0)
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(Wh.shape[0])
    for t in range(T):
        delta = dh[:, t]
        first = t - truncate - 1              # should be t - truncate
        for s in range(t, max(first, 0) - 1, -1):
            prev_h = h[:, s - 1] if s > 0 else h0
            da = delta * (1 - h[:, s] ** 2)
            dx[:, s] += da @ Wx.T
            dWx += x[:, s].T @ da
            dWh += prev_h.T @ da
            db += da.sum(axis=0)
            delta = da @ Wh.T
        if first <= -1:
            dh0 += delta
    return dx, dh0, dWx, dWh, db
