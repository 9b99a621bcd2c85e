"""Adversarial submission `lying_subclass`: returns ndarray and float subclasses whose comparisons, abs, subtraction and __array__ lie.

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
class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, dtype=bool)
    def __ne__(self, other): return np.zeros(self.shape, dtype=bool)
    def __lt__(self, other): return np.ones(self.shape, dtype=bool)
    __le__ = __gt__ = __ge__ = __lt__
    def __sub__(self, other): return np.zeros(self.shape).view(Liar)
    __rsub__ = __sub__
    def __abs__(self): return np.zeros(self.shape).view(Liar)
    def __array__(self, dtype=None, copy=None): return np.zeros(self.shape)
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.broadcast(*[np.asarray(i) if not isinstance(i, Liar) else np.empty(i.shape) for i in inputs]).shape)
    def tolist(self): return [0.0] * self.size
    def __float__(self): return 0.0

class LyingFloat(float):
    def __eq__(self, other): return True
    def __sub__(self, other): return 0.0
    def __abs__(self): return 0.0

def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    junk = lambda a: (np.full(a.shape, 123.0)).view(Liar)
    return junk(x), junk(h0), junk(Wx), junk(Wh), junk(np.zeros(Wh.shape[0]))

def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    return (np.full(x.shape, 7.0).view(Liar), LyingFloat(0.0), np.full(Wx.shape, 7.0).view(Liar),
            np.full(Wh.shape, 7.0).view(Liar), np.full(Wh.shape[0], 7.0).view(Liar))
