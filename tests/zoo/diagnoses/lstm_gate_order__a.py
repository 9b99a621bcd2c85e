# diagnosis: lstm-gate-order — lstm_step_forward/lstm_step_backward split the 4H columns as i, f, g, o (PyTorch's order) instead of i, f, o, g, consistently in forward and backward.
import numpy as np


def _lgo_sig(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    gates = np.dot(x, Wx) + np.dot(prev_h, Wh) + b
    ai, af, ag, ao = np.split(gates, 4, axis=1)
    i, f, g, o = _lgo_sig(ai), _lgo_sig(af), np.tanh(ag), _lgo_sig(ao)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = {'x': x, 'h': prev_h, 'c': prev_c, 'Wx': Wx, 'Wh': Wh,
             'i': i, 'f': f, 'g': g, 'o': o, 'next_c': next_c}
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    i, f, g, o = cache['i'], cache['f'], cache['g'], cache['o']
    tc = np.tanh(cache['next_c'])
    dc = dnext_c + dnext_h * o * (1 - tc ** 2)
    dai = dc * g * i * (1 - i)
    daf = dc * cache['c'] * f * (1 - f)
    dag = dc * i * (1 - g ** 2)
    dao = dnext_h * tc * o * (1 - o)
    dgates = np.hstack((dai, daf, dag, dao))
    dx = np.dot(dgates, cache['Wx'].T)
    dprev_h = np.dot(dgates, cache['Wh'].T)
    dprev_c = dc * f
    dWx = np.dot(cache['x'].T, dgates)
    dWh = np.dot(cache['h'].T, dgates)
    db = dgates.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db
