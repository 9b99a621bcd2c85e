"""Adversarial submission `ctypes_segfault`: a segmentation fault through ctypes inside rnn_backward.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import ctypes

def rnn_backward(dh, cache):
    return ctypes.string_at(0, 64)
