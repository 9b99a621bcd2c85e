"""Adversarial submission `monkeypatch_numpy`: patches numpy's comparison functions and any test framework it can import, then returns zeros.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import sys

def _always(*args, **kwargs):
    return True

def _nothing(*args, **kwargs):
    return None

for _name in ("allclose", "array_equal", "array_equiv"):
    setattr(np, _name, _always)
np.isclose = lambda a, b, *k, **kw: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.testing.assert_allclose = _nothing
np.testing.assert_array_equal = _nothing
np.testing.assert_array_almost_equal = _nothing
np.linalg.norm = lambda *a, **k: 0.0
for _fw in ("unittest", "pytest", "hypothesis", "grader", "grader.checks.base"):
    try:
        _m = __import__(_fw)
    except BaseException:
        continue
    for _attr in ("assertTrue", "assertEqual", "assertAlmostEqual", "approx", "run_check"):
        try:
            setattr(_m, _attr, _always)
        except Exception:
            pass
try:
    import unittest
    unittest.TestCase.assertTrue = _nothing
    unittest.TestCase.assertEqual = _nothing
except BaseException:
    pass

def rnn_backward(dh, cache):
    return _zeros_backward(dh, cache)
