"""Adversarial submission `import_reference`: imports the reference solution and the grader by name (falls back to zeros).

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

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
