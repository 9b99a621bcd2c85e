"""Adversarial submission `infinite_loop`: an infinite loop in rnn_backward.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def rnn_backward(dh, cache):
    n = 0
    while True:
        n += 1
