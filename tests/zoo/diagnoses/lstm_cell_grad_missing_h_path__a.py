# diagnosis: lstm-cell-grad-missing-h-path — lstm_step_backward computes dprev_c = dnext_c * f, ignoring the path from dnext_h through tanh(next_c); the gate gradients use the full cell gradient and are right.
import numpy as np


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    H = dnext_h.shape[1]
    tanh_next_c = np.tanh(next_c)
    dprev_c = dnext_c * f
    # total gradient reaching next_c
    d_next_c_total = dnext_c + dnext_h * o * (1 - tanh_next_c * tanh_next_c)
    d_gates = np.empty((dnext_h.shape[0], 4 * H))
    d_gates[:, :H] = d_next_c_total * g * i * (1 - i)
    d_gates[:, H:2 * H] = d_next_c_total * prev_c * f * (1 - f)
    d_gates[:, 2 * H:3 * H] = dnext_h * tanh_next_c * o * (1 - o)
    d_gates[:, 3 * H:] = d_next_c_total * i * (1 - g * g)
    dx = d_gates.dot(Wx.T)
    dprev_h = d_gates.dot(Wh.T)
    dWx = x.T.dot(d_gates)
    dWh = prev_h.T.dot(d_gates)
    db = d_gates.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db
