"""Adversarial submission `object_pickle`: returns object arrays holding a malicious __reduce__, pickled bytes, structured dtypes and non-str dict keys.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import os, pickle

class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/rnngrade-pwned-pickle",))
    def __eq__(self, other):
        return True

def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    obj = np.empty(x.shape, dtype=object)
    obj[...] = Evil()
    structured = np.zeros(Wx.shape, dtype=[("a", "<f8")])
    return obj, pickle.dumps(Evil()), structured, {1: Evil()}, np.array([Evil()], dtype=object)

def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    return pickle.dumps((x, prev_h)), Evil(), np.zeros(Wx.shape, dtype="<U3"), np.zeros(Wh.shape, dtype="m8[s]"), {"db": 1}
