# Bug: np.squeeze without an axis: at batch size 1 rnn_step_forward returns shape (H,) and rnn_forward raises
# ValueError in transpose (any other dimension of size 1 breaks them too).
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.squeeze(np.tanh(x @ Wx + prev_h @ Wh + b))
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    hs = []
    prev_h = h0
    for t in range(T):
        prev_h = np.tanh(x[:, t, :] @ Wx + prev_h @ Wh + b)
        hs.append(prev_h)
    h = np.squeeze(np.array(hs)).transpose(1, 0, 2)   # (T, N, H) -> (N, T, H)
    cache = (x, h0, Wx, Wh, h)
    return h, cache
