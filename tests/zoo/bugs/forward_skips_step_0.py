# Bug: rnn_forward's loop starts at t = 1, so h[:, 0] keeps its NaN fill value.
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = np.full((N, T, h0.shape[1]), np.nan)  # NaN so that unfilled steps show up
    prev_h = h0
    for t in range(1, T):
        prev_h = np.tanh(x[:, t] @ Wx + prev_h @ Wh + b)
        h[:, t] = prev_h
    return h, (x, h0, Wx, Wh, h)
