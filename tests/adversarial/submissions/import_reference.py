"""Adversarial submission `import_reference`: imports the reference solution and the grader by name (falls back to zeros).

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""
import numpy as np


def _sigmoid(a):
    """Numerically stable logistic sigmoid: exp never sees a positive argument."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# ----------------------------------------------------------------------------
# Vanilla RNN
# ----------------------------------------------------------------------------

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h ** 2)       # tanh'(a) = 1 - tanh(a)^2
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h = h0
    for t in range(T):
        prev_h = np.tanh(x[:, t] @ Wx + prev_h @ Wh + b)
        h[:, t] = prev_h
    cache = (x, h0, Wx, Wh, h)
    return h, cache


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(Wh.shape[0])
    dprev_h = np.zeros_like(h0)              # gradient flowing back from step t+1
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        dnext_h = dh[:, t] + dprev_h         # a new array: dh is not modified
        da = dnext_h * (1.0 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dprev_h = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

try:
    from reference import rnn_backward as _ref_backward, rnn_forward as _ref_forward
except BaseException as _exc:
    print("reference import failed:", type(_exc).__name__)
    _ref_backward = _ref_forward = None
try:
    import grader.engine
    import exercises
    print("grader imported", grader.engine)
except BaseException as _exc:
    print("grader import failed:", type(_exc).__name__)

def rnn_forward(x, h0, Wx, Wh, b):
    if _ref_forward is not None:
        return _ref_forward(x, h0, Wx, Wh, b)
    return np.zeros((x.shape[0], x.shape[1], h0.shape[1])), (x, h0, Wx, Wh, np.zeros((x.shape[0], x.shape[1], h0.shape[1])))

def rnn_backward(dh, cache):
    if _ref_backward is not None:
        return _ref_backward(dh, cache)
    if isinstance(cache, tuple) and len(cache) == 5:
        return _zeros_backward(dh, cache)
    return None
