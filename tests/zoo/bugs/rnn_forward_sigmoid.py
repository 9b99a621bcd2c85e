# Bug: rnn_forward uses the logistic sigmoid instead of tanh (rnn_backward still uses tanh' = 1 - h**2).
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h = h0
    for t in range(T):
        prev_h = 1.0 / (1.0 + np.exp(-(x[:, t] @ Wx + prev_h @ Wh + b)))
        h[:, t] = prev_h
    return h, (x, h0, Wx, Wh, h)
