# diagnosis: unstable-activation — lstm_step_forward uses a hand-written sigmoid exp(a) / (1 + exp(a)), which gives inf/inf = NaN once a > ~709; right for moderate inputs (cache layout unchanged).
import numpy as np


def _ua_b_sigmoid(a):
    e = np.exp(a)
    return e / (1 + e)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    act = np.dot(x, Wx) + np.dot(prev_h, Wh) + b
    i = _ua_b_sigmoid(act[:, :H])
    f = _ua_b_sigmoid(act[:, H:2 * H])
    o = _ua_b_sigmoid(act[:, 2 * H:3 * H])
    g = np.tanh(act[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)
    return next_h, next_c, cache
