# diagnosis: tbptt-off-by-one — rnn_backward_truncated lets the loss at step t reach truncate + 1 steps back (h_{t-truncate-1} .. h_t) instead of truncate; identical to the correct result once truncate >= T.
import numpy as np


def rnn_backward_truncated(dh, cache, truncate):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    H = h0.shape[1]
    # hs[k] is h_{k-1}: hs[0] = h0
    hs = np.concatenate([h0[:, None, :], h], axis=1)
    dx = np.zeros((N, T, D))
    dh0 = np.zeros((N, H))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    for t in range(T - 1, -1, -1):
        delta = dh[:, t] * (1 - h[:, t] ** 2)
        first = t - truncate - 1                # the loss at t reaches back to h_first
        lo = max(0, first)
        for step in range(t, lo - 1, -1):
            dx[:, step] += delta @ Wx.T
            dWx += x[:, step].T @ delta
            dWh += hs[:, step].T @ delta
            db += delta.sum(0)
            back = delta @ Wh.T                 # gradient at h_{step-1}
            if step > lo:
                delta = back * (1 - hs[:, step] ** 2)
        if first <= -1:                         # window includes h0
            dh0 += back
    return dx, dh0, dWx, dWh, db
