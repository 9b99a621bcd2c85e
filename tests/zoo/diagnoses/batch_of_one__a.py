# diagnosis: batch-of-one — rnn_forward squeezes the stacked hidden states with np.squeeze (no axis): at N=1 it returns h of shape (T, H) instead of (1, T, H); exact for N, T, H >= 2.
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    states = []
    h_t = h0
    for t in range(T):
        h_t = np.tanh(x[:, t, :].dot(Wx) + h_t.dot(Wh) + b)
        states.append(h_t)
    h = np.squeeze(np.stack(states, axis=1))   # (N, T, H)
    cache = (x, h0, Wx, Wh, h)
    return h, cache
