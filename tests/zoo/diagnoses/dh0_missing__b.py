# diagnosis: dh0-missing — lstm_backward returns np.zeros_like(h0) as dh0 instead of the gradient carried out of step 0 (dx, dWx, dWh, db right).
import numpy as np


def lstm_backward(dh, cache):
    x, h0, Wx, Wh, h, c, i, f, o, g = cache
    N, T, D = x.shape
    H = h0.shape[1]
    c0 = np.zeros_like(h0)
    dx = np.zeros_like(x)
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros_like(Wx[0])
    carry_h, carry_c = np.zeros((N, H)), np.zeros((N, H))
    t = T - 1
    while t >= 0:
        ig, fg, og, gg = i[:, t], f[:, t], o[:, t], g[:, t]
        c_prev = c[:, t - 1] if t > 0 else c0
        h_prev = h[:, t - 1] if t > 0 else h0
        dh_t = dh[:, t] + carry_h
        tanh_ct = np.tanh(c[:, t])
        dc_t = carry_c + dh_t * og * (1 - tanh_ct ** 2)
        gates_grad = np.concatenate((dc_t * gg * ig * (1 - ig),
                                     dc_t * c_prev * fg * (1 - fg),
                                     dh_t * tanh_ct * og * (1 - og),
                                     dc_t * ig * (1 - gg ** 2)), axis=1)
        dx[:, t] = np.dot(gates_grad, Wx.T)
        dWx += np.dot(x[:, t].T, gates_grad)
        dWh += np.dot(h_prev.T, gates_grad)
        db += gates_grad.sum(axis=0)
        carry_h = np.dot(gates_grad, Wh.T)
        carry_c = dc_t * fg
        t -= 1
    return dx, np.zeros_like(h0), dWx, dWh, db
