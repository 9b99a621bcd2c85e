# diagnosis: activation-derivative-wrong — lstm_step_backward takes the sigmoid-gate derivatives as a*(1-a) on the gate pre-activations a (cached by lstm_step_forward, whose outputs are right) instead of s*(1-s) on the gate outputs.
import numpy as np


def _adw_sigmoid(v):
    return np.exp(-np.logaddexp(0.0, -v))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    a_i, a_f, a_o, a_g = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    i = _adw_sigmoid(a_i)
    f = _adw_sigmoid(a_f)
    o = _adw_sigmoid(a_o)
    g = np.tanh(a_g)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, a_i, a_f, a_o, i, f, o, g, next_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, a_i, a_f, a_o, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    dprev_c = dc * f
    # sigmoid'(a) = a * (1 - a)
    da_i = dc * g * a_i * (1 - a_i)
    da_f = dc * prev_c * a_f * (1 - a_f)
    da_o = dnext_h * tanh_c * a_o * (1 - a_o)
    da_g = dc * i * (1 - g ** 2)
    da = np.concatenate([da_i, da_f, da_o, da_g], axis=1)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = np.sum(da, axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db
