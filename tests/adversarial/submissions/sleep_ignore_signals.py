"""Adversarial submission `sleep_ignore_signals`: ignores SIGTERM, SIGINT, SIGALRM, SIGHUP and SIGUSR1, then sleeps forever.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import signal, time

def rnn_backward(dh, cache):
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGHUP, signal.SIGUSR1, signal.SIGQUIT):
        signal.signal(s, signal.SIG_IGN)
    while True:
        try:
            time.sleep(3600)
        except BaseException:
            pass
