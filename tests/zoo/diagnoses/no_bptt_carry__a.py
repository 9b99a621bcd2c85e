# diagnosis: no-bptt-carry — lstm_backward runs each step's backward on dh[:, t] alone with a zero dnext_c: neither dprev_h nor dprev_c is carried to the previous step (dh0 = dprev_h of step 0).
import numpy as np


def _nocarry_lstm_cell_backward(dnext_h, dnext_c, x_t, prev_h, prev_c, c_t, i_t, f_t, o_t, g_t, Wx, Wh):
    tc = np.tanh(c_t)
    dc = dnext_c + dnext_h * o_t * (1 - tc * tc)
    d_i = dc * g_t * i_t * (1 - i_t)
    d_f = dc * prev_c * f_t * (1 - f_t)
    d_o = dnext_h * tc * o_t * (1 - o_t)
    d_g = dc * i_t * (1 - g_t * g_t)
    dA = np.hstack((d_i, d_f, d_o, d_g))
    return dA @ Wx.T, dA @ Wh.T, dc * f_t, x_t.T @ dA, prev_h.T @ dA, dA.sum(0)


def lstm_backward(dh, cache):
    x, h0, Wx, Wh, h, c, i, f, o, g = cache
    N, T, D = x.shape
    H = h0.shape[1]
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H)
    zeros = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        prev_h = h0 if t == 0 else h[:, t - 1]
        prev_c = zeros if t == 0 else c[:, t - 1]
        # backprop this time step with its upstream gradient
        dxt, dprev_h, dprev_c, dWx_t, dWh_t, db_t = _nocarry_lstm_cell_backward(
            dh[:, t], zeros, x[:, t], prev_h, prev_c,
            c[:, t], i[:, t], f[:, t], o[:, t], g[:, t], Wx, Wh)
        dx[:, t] = dxt
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db
