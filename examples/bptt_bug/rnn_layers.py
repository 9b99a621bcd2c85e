# Demo submission: a student midway through the assignment. Only the vanilla RNN is done.
# Bug: rnn_backward carries no gradient between time steps: each step's backward gets only
# dh[:, t], so dprev_h is thrown away (dh0 only sees step 0, and dWh misses every path
# longer than one step). The step functions and rnn_forward are correct.
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    # affine part, then the nonlinearity
    z = np.dot(x, Wx) + np.dot(prev_h, Wh) + b
    next_h = np.tanh(z)
    cache = {"x": x, "prev_h": prev_h, "Wx": Wx, "Wh": Wh, "next_h": next_h}
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    # tanh'(z) = 1 - tanh(z)^2 and tanh(z) is next_h
    dz = (1 - cache["next_h"] ** 2) * dnext_h
    dx = np.dot(dz, cache["Wx"].T)
    dprev_h = np.dot(dz, cache["Wh"].T)
    dWx = np.dot(cache["x"].T, dz)
    dWh = np.dot(cache["prev_h"].T, dz)
    db = np.sum(dz, axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    caches = []
    h_t = h0
    for t in range(T):
        h_t, step_cache = rnn_step_forward(x[:, t, :], h_t, Wx, Wh, b)
        h[:, t, :] = h_t
        caches.append(step_cache)
    return h, caches


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0]["x"].shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros((D, H))
    dWh = np.zeros((H, H))
    db = np.zeros(H)
    dh0 = np.zeros((N, H))
    for t in reversed(range(T)):
        # each step gets its own upstream gradient
        dx_t, dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :], cache[t])
        dx[:, t, :] = dx_t
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
        if t == 0:
            dh0 = dprev_h
    return dx, dh0, dWx, dWh, db
