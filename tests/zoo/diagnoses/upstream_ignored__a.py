# diagnosis: upstream-ignored — rnn_backward starts from np.ones_like(dh) instead of the upstream gradient dh (BPTT carry otherwise right).
import numpy as np


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    H = h0.shape[1]
    dout = np.ones_like(dh)              # dL/dh at every time step
    dx = np.empty_like(x)
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    dcarry = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        grad_h = dout[:, t, :] + dcarry
        draw = (1 - h[:, t, :] ** 2) * grad_h
        h_before = h[:, t - 1, :] if t else h0
        dx[:, t, :] = draw.dot(Wx.T)
        dWx += x[:, t, :].T.dot(draw)
        dWh += h_before.T.dot(draw)
        db += np.sum(draw, axis=0)
        dcarry = draw.dot(Wh.T)
    return dx, dcarry, dWx, dWh, db
