"""Adversarial submission `huge_arrays`: returns a 200 MB array and an 8 GB broadcast view where small arrays are expected.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    if float(np.sum(dh)) > 0:
        return np.zeros(25_000_000), h0, Wx, Wh, np.zeros(3)
    return np.broadcast_to(np.float64(1.0), (1 << 30,)), h0, Wx, Wh, np.zeros(3)
