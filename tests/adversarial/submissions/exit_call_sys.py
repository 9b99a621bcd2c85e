"""Adversarial submission `exit_call_sys`: sys.exit(0) inside rnn_backward.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import sys

def rnn_backward(dh, cache):
    print("All checks passed: 87 / 87")
    sys.exit(0)
