"""Adversarial submission `array_interface`: returns objects with lying __array__ / __array_interface__ / __len__ and a sleeping __array__.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
class Fake:
    def __init__(self, shape): self.shape = shape
    def __array__(self, dtype=None, copy=None): return np.full(self.shape, 42.0)
    def __eq__(self, other): return True
    def __len__(self): return self.shape[0]
    def __getitem__(self, i): return 0.0

class Interface:
    def __init__(self, shape):
        self._buf = np.full(shape, 9.0)
        self.__array_interface__ = dict(self._buf.__array_interface__)
    def __eq__(self, other): return True

class Slow:
    def __array__(self, dtype=None, copy=None):
        import time
        time.sleep(3600)

def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    if float(np.sum(dh)) > 0:
        return Slow(), Fake(h0.shape), Fake(Wx.shape), Fake(Wh.shape), Fake((Wh.shape[0],))
    return Fake(x.shape), Interface(h0.shape), Fake(Wx.shape), Interface(Wh.shape), Fake((Wh.shape[0],))
