# Bug: lstm_backward carries neither dprev_h nor dprev_c between steps (each step starts from dh[:, t] and a zero dnext_c).
import numpy as np


def lstm_backward(dh, cache):
    x, h0, Wx, Wh, h, c, i, f, o, g = cache
    N, T, D = x.shape
    H = h0.shape[1]
    dx = np.zeros((N, T, D))
    dh0 = np.zeros((N, H))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(4 * H)
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        prev_c = c[:, t - 1] if t > 0 else np.zeros((N, H))
        dnext_h = dh[:, t]
        dnext_c = np.zeros((N, H))
        tanh_c = np.tanh(c[:, t])
        do = dnext_h * tanh_c
        dc = dnext_c + dnext_h * o[:, t] * (1 - tanh_c ** 2)
        di = dc * g[:, t]
        df = dc * prev_c
        dg = dc * i[:, t]
        da = np.hstack([di * i[:, t] * (1 - i[:, t]),
                        df * f[:, t] * (1 - f[:, t]),
                        do * o[:, t] * (1 - o[:, t]),
                        dg * (1 - g[:, t] ** 2)])
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
        if t == 0:
            dh0 = da @ Wh.T
    return dx, dh0, dWx, dWh, db
