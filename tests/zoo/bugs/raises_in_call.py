# Bug: rnn_step_backward raises ValueError (matmul shape mismatch) two helper calls deep:
# _affine_backward computes dx = dout @ w instead of dout @ w.T, which fails whenever D != H.
import numpy as np


def _affine_backward(dout, inp, w):
    dinp = dout @ w                          # should be dout @ w.T
    dw = inp.T @ dout
    return dinp, dw


def _tanh_layer_backward(dnext_h, x, prev_h, Wx, Wh, next_h):
    da = dnext_h * (1 - next_h ** 2)
    dx, dWx = _affine_backward(da, x, Wx)
    dprev_h, dWh = _affine_backward(da, prev_h, Wh)
    return dx, dprev_h, dWx, dWh, da.sum(axis=0)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    return _tanh_layer_backward(dnext_h, x, prev_h, Wx, Wh, next_h)
