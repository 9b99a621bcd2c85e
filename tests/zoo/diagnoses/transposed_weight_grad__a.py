# diagnosis: transposed-weight-grad — rnn_step_backward returns dWh transposed (da.T @ prev_h instead of prev_h.T @ da); same (H, H) shape, everything else right.
import numpy as np


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h * next_h)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = da.T @ prev_h
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
