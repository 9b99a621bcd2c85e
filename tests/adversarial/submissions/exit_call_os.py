"""Adversarial submission `exit_call_os`: os._exit(0) inside rnn_backward.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import os

def rnn_backward(dh, cache):
    print("PASSED", flush=True)
    os._exit(0)
