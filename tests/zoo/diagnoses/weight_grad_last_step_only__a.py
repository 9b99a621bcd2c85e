# diagnosis: weight-grad-last-step-only — rnn_backward assigns dWx, dWh, db (=) instead of accumulating (+=) in the reverse time loop, so they hold only step 0's contribution; dx and dh0 right.
import numpy as np


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    H = h0.shape[1]
    dx = np.zeros_like(x)
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    dh_prev = np.zeros((N, H))
    for t in reversed(range(T)):
        h_t = h[:, t, :]
        h_before = h[:, t - 1, :] if t > 0 else h0
        dtotal = dh[:, t, :] + dh_prev
        dz = dtotal * (1 - h_t ** 2)
        dx[:, t, :] = dz @ Wx.T
        dh_prev = dz @ Wh.T
        dWx = x[:, t, :].T @ dz
        dWh = h_before.T @ dz
        db = dz.sum(axis=0)
    dh0 = dh_prev
    return dx, dh0, dWx, dWh, db
