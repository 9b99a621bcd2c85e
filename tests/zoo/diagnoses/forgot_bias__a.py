# diagnosis: forgot-bias — rnn_step_forward computes tanh(x @ Wx + prev_h @ Wh) without + b; rnn_step_backward is consistent with it and returns db = zeros.
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    z = np.dot(x, Wx) + np.dot(prev_h, Wh)
    next_h = np.tanh(z)
    cache = (x, prev_h, Wx, Wh, b, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, b, next_h = cache
    dz = dnext_h * (1 - next_h ** 2)
    dx = np.dot(dz, Wx.T)
    dprev_h = np.dot(dz, Wh.T)
    dWx = np.dot(x.T, dz)
    dWh = np.dot(prev_h.T, dz)
    db = np.zeros_like(b)            # b does not enter the forward pass
    return dx, dprev_h, dWx, dWh, db
