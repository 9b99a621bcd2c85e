"""Adversarial submission `patch_worker`: patches the worker itself (its reply encoder and shape checks) through the stack, then returns zeros.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import inspect, sys

def rnn_backward(dh, cache):
    for info in inspect.stack():
        cand = info.frame.f_locals.get("self")
        if cand is not None and hasattr(cand, "shape_return"):
            cls = type(cand)
            cls.shape_return = lambda self, result, returns: (None, [{"status": "passed"}] * 5)
            cls.as_array = lambda self, item: np.full((3,), 1.0)
            wire = cand.wire
            wire.encode_value = lambda value, arrays, keep=None, depth=0: {"t": "str", "v": "PASSED"}
    return _zeros_backward(dh, cache)
