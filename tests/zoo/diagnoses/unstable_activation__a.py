# diagnosis: unstable-activation — rnn_step_forward (and its matching rnn_step_backward) use a hand-written tanh (exp(a) - exp(-a)) / (exp(a) + exp(-a)), which overflows to inf/inf = NaN once |a| > ~710; right for moderate inputs.
import numpy as np


def _ua_tanh(a):
    return (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    a = x @ Wx + prev_h @ Wh + b
    next_h = _ua_tanh(a)
    cache = (x, prev_h, Wx, Wh, a)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, a = cache
    da = dnext_h * (1 - _ua_tanh(a) ** 2)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
