# diagnosis: bias-grad-not-summed — lstm_step_backward returns db as the gradient of sample 0 only (da[0]) instead of the sum over the batch.
import numpy as np


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    th = np.tanh(next_c)
    dcell = dnext_c + dnext_h * o * (1 - th ** 2)
    dprev_c = dcell * f
    dA = np.hstack([
        dcell * g * i * (1 - i),
        dcell * prev_c * f * (1 - f),
        dnext_h * th * o * (1 - o),
        dcell * i * (1 - g ** 2),
    ])
    dx = dA.dot(Wx.T)
    dprev_h = dA.dot(Wh.T)
    dWx = x.T.dot(dA)
    dWh = prev_h.T.dot(dA)
    db = dA[0]
    return dx, dprev_h, dprev_c, dWx, dWh, db
