# diagnosis: bias-grad-not-summed — rnn_step_backward returns db as the mean over the batch (da.mean(axis=0)) instead of the sum.
import numpy as np


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dout = (1.0 - next_h ** 2) * dnext_h
    dx = np.dot(dout, Wx.T)
    dprev_h = np.dot(dout, Wh.T)
    dWx = np.dot(x.T, dout)
    dWh = np.dot(prev_h.T, dout)
    db = np.mean(dout, axis=0)
    return dx, dprev_h, dWx, dWh, db
