# diagnosis: activation-derivative-wrong — rnn_step_backward takes the tanh derivative as 1 - tanh(next_h)**2 (tanh applied a second time to the cached output) instead of 1 - next_h**2.
import numpy as np


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dtanh = 1 - np.square(np.tanh(next_h))   # derivative of tanh
    dz = dnext_h * dtanh
    dx = np.dot(dz, Wx.T)
    dprev_h = np.dot(dz, Wh.T)
    dWx = np.dot(x.T, dz)
    dWh = np.dot(prev_h.T, dz)
    db = np.sum(dz, axis=0)
    return dx, dprev_h, dWx, dWh, db
