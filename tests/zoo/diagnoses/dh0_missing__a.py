# diagnosis: dh0-missing — rnn_backward initialises dh0 to zeros and never assigns it, so dh0 is returned as zeros (dx, dWx, dWh, db right).
import numpy as np


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    H = Wh.shape[0]
    dx = np.zeros((N, T, D))
    dh0 = np.zeros((N, H))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros((H,))
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev = h0 if t == 0 else h[:, t - 1, :]
        dtanh = (dh[:, t, :] + dh_next) * (1 - h[:, t, :] ** 2)
        dx[:, t, :] = dtanh @ Wx.T
        dWx += x[:, t, :].T @ dtanh
        dWh += h_prev.T @ dtanh
        db += dtanh.sum(axis=0)
        dh_next = dtanh @ Wh.T
    return dx, dh0, dWx, dWh, db
