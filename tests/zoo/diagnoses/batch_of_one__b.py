# diagnosis: batch-of-one — lstm_step_forward np.squeeze-s the (N, 4H) activations without an axis before splitting on axis 1, so at N=1 the split raises; exact for N >= 2.
import numpy as np


def _bo1_sigmoid(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    a = np.squeeze(x @ Wx + prev_h @ Wh + b)
    a_i, a_f, a_o, a_g = np.split(a, 4, axis=1)
    i = _bo1_sigmoid(a_i)
    f = _bo1_sigmoid(a_f)
    o = _bo1_sigmoid(a_o)
    g = np.tanh(a_g)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache
