"""Adversarial submission `read_world_readable`: reads world-readable instructor files it finds on disk (hidden test data).

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import os

def rnn_backward(dh, cache):
    found = []
    for top in ("/tmp", "/var/tmp", "/work", "/home", "/srv", "/opt"):
        for dirpath, dirnames, filenames in os.walk(top):
            if dirpath.count("/") > 4:
                dirnames[:] = []
            for f in filenames:
                if f.startswith("hidden_cases"):
                    try:
                        found.append(open(os.path.join(dirpath, f)).read())
                    except OSError:
                        pass
    print("HIDDEN DATA:", found)
    return _zeros_backward(dh, cache)
