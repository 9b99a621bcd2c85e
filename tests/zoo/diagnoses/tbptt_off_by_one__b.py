# diagnosis: tbptt-off-by-one — rnn_backward_truncated lets the loss at step t reach only max(truncate - 1, 0) steps back instead of truncate (one step too few); identical to the correct result at truncate = 0 and once truncate - 1 >= T.
import numpy as np


def rnn_backward_truncated(dh, cache, truncate):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dh0 = np.zeros_like(h0)
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(Wh.shape[1])
    k = max(truncate - 1, 0)
    for t in range(T):
        g = dh[:, t]
        s = t
        steps = 0
        while s >= 0 and steps <= k:
            h_prev = h[:, s - 1] if s > 0 else h0
            da = g * (1 - h[:, s] ** 2)
            dx[:, s] += da @ Wx.T
            dWx += x[:, s].T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
            g = da @ Wh.T
            s -= 1
            steps += 1
        if t - k <= -1:                  # the window reached h0
            dh0 += g
    return dx, dh0, dWx, dWh, db
