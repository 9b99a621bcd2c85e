# Bug: rnn_step_forward returns next_h transposed, shape (H, N) instead of (N, H).
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(Wx.T @ x.T + Wh.T @ prev_h.T + b[:, None])   # column-vector convention
    cache = (x, prev_h, Wx, Wh, next_h.T)
    return next_h, cache
