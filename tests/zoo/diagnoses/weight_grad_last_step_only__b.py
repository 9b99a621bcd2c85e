# diagnosis: weight-grad-last-step-only — lstm_backward sets dWx, dWh, db only at the first iteration of the reverse loop (t == T-1) and never adds the other steps, so they hold only step T-1's contribution; dx and dh0 right.
import numpy as np


def lstm_backward(dh, cache):
    x, h0, Wx, Wh, h, c, i, f, o, g = cache
    N, T, D = x.shape
    H = h0.shape[1]
    dx = np.zeros((N, T, D))
    dWx = dWh = db = None
    dnext_h = np.zeros((N, H))
    dnext_c = np.zeros((N, H))
    for t in reversed(range(T)):
        h_prev = h[:, t - 1] if t > 0 else h0
        c_prev = c[:, t - 1] if t > 0 else np.zeros((N, H))
        dht = dh[:, t] + dnext_h
        tc = np.tanh(c[:, t])
        dct = dnext_c + dht * o[:, t] * (1 - tc ** 2)
        dgates = np.concatenate((dct * g[:, t] * i[:, t] * (1 - i[:, t]),
                                 dct * c_prev * f[:, t] * (1 - f[:, t]),
                                 dht * tc * o[:, t] * (1 - o[:, t]),
                                 dct * i[:, t] * (1 - g[:, t] ** 2)), axis=1)
        dx[:, t] = dgates @ Wx.T
        if dWx is None:
            dWx = x[:, t].T @ dgates
            dWh = h_prev.T @ dgates
            db = dgates.sum(axis=0)
        dnext_h = dgates @ Wh.T
        dnext_c = dct * f[:, t]
    return dx, dnext_h, dWx, dWh, db
