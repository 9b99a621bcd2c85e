# diagnosis: shared-state — rnn_step_forward keeps what the backward needs in a module-level variable and returns cache=None; rnn_step_backward reads that variable, so it only matches the most recent forward (two forwards, then their backwards in reverse order, give a wrong first-step gradient).
import numpy as np

_ss_last_step = {}


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    _ss_last_step['x'] = x
    _ss_last_step['prev_h'] = prev_h
    _ss_last_step['Wx'] = Wx
    _ss_last_step['Wh'] = Wh
    _ss_last_step['next_h'] = next_h
    return next_h, None


def rnn_step_backward(dnext_h, cache):
    s = _ss_last_step
    da = dnext_h * (1 - s['next_h'] ** 2)
    dx = da @ s['Wx'].T
    dprev_h = da @ s['Wh'].T
    dWx = s['x'].T @ da
    dWh = s['prev_h'].T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
