# Bug: rnn_step_forward leaves row 0 of next_h at its NaN fill value (the batch loop starts at 1).
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    N, H = prev_h.shape
    next_h = np.full((N, H), np.nan)        # NaN so that unfilled rows show up
    for n in range(1, N):
        next_h[n] = np.tanh(x[n] @ Wx + prev_h[n] @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache
