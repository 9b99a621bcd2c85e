"""Adversarial submission `lying_subclass`: returns ndarray and float subclasses whose comparisons, abs, subtraction and __array__ lie.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

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
