# Bug: imports torch at top level and uses it in rnn_step_forward (the numbers are right, but only numpy is allowed).
import numpy as np
import torch


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    a = torch.from_numpy(x) @ torch.from_numpy(Wx) + torch.from_numpy(prev_h) @ torch.from_numpy(Wh) + torch.from_numpy(b)
    next_h = torch.tanh(a).numpy()
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)
