# diagnosis: lstm-cell-grad-missing-h-path — lstm_backward (own loop) passes dprev_c = dnext_c * f back, ignoring the path from dnext_h through tanh(c_t) (so the carried cell gradient stays zero); step functions right.
import numpy as np


def lstm_backward(dh, cache):
    x, h0, Wx, Wh, h, c, i, f, o, g = cache
    N, T, D = x.shape
    H = h0.shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(4 * H)
    dh_carry = np.zeros((N, H))
    dc_carry = np.zeros((N, H))
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        prev_c = c[:, t - 1] if t > 0 else np.zeros((N, H))
        it, ft, ot, gt = i[:, t], f[:, t], o[:, t], g[:, t]
        dnext_h = dh[:, t] + dh_carry
        dnext_c = dc_carry
        tc = np.tanh(c[:, t])
        dc = dnext_c + dnext_h * ot * (1 - tc ** 2)
        da = np.concatenate([dc * gt * it * (1 - it),
                             dc * prev_c * ft * (1 - ft),
                             dnext_h * tc * ot * (1 - ot),
                             dc * it * (1 - gt ** 2)], axis=1)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
        dh_carry = da @ Wh.T
        dc_carry = dnext_c * ft
    return dx, dh_carry, dWx, dWh, db
