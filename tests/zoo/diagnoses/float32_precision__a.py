# diagnosis: float32-precision — rnn_step_forward and rnn_step_backward cast their inputs to float32 (.astype(np.float32)), compute in single precision and return float32 arrays.
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    x = x.astype(np.float32)
    prev_h = prev_h.astype(np.float32)
    Wx = Wx.astype(np.float32)
    Wh = Wh.astype(np.float32)
    b = b.astype(np.float32)
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dnext_h = dnext_h.astype(np.float32)
    da = dnext_h * (np.float32(1) - next_h * next_h)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
