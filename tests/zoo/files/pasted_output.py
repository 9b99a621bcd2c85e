# Bug: notebook prompts and printed output pasted into the file; parsing fails at line 11 (the "In [3]: ..." prompt line).
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


In [3]: next_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
In [4]: print('next_h error: ', rel_error(expected_next_h, next_h))

next_h error:  6.292421426471037e-09
Out[5]:
array([[-0.58172089, -0.50182032, -0.41232771, -0.31410098],
       [ 0.66854692,  0.79562378,  0.87755553,  0.92795967],
       [ 0.97934501,  0.99144213,  0.99646691,  0.99854353]])


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)
