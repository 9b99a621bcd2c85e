# Bug: rnn_forward uses a hand-written tanh (exp(2a) - 1) / (exp(2a) + 1): exp overflows and gives NaN once a > ~355.
# Correct wherever the pre-activations stay moderate; rnn_backward (from the correct file) reads the cached h.
import numpy as np


def my_tanh(a):
    e = np.exp(2 * a)
    return (e - 1) / (e + 1)


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev_h = h0
    for t in range(T):
        prev_h = my_tanh(x[:, t] @ Wx + prev_h @ Wh + b)
        h[:, t] = prev_h
    return h, (x, h0, Wx, Wh, h)
