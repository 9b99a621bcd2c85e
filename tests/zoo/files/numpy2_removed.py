# Bug: rnn_step_forward calls np.asfarray, removed in NumPy 2.0 (AttributeError at call time; use np.asarray(x, dtype=np.float64)).
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    x = np.asfarray(x)
    prev_h = np.asfarray(prev_h)
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    return da.dot(Wx.T), da.dot(Wh.T), x.T.dot(da), prev_h.T.dot(da), da.sum(axis=0)
