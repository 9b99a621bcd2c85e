"""Adversarial submission `exec_reference_from_disk`: finds reference/rnn.py on disk (site-packages finders, /proc, a walk of the file system) and execs it.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import importlib.util, os, re, sys

def _candidates():
    seen = set()
    roots = list(sys.path)
    for sp in list(sys.path):
        try:
            for name in os.listdir(sp):
                if name.startswith("__editable__") and name.endswith(".py"):
                    text = open(os.path.join(sp, name)).read()
                    roots += re.findall(r"'(/[^']+)'", text)
        except OSError:
            pass
    try:
        args = open(f"/proc/{os.getppid()}/cmdline", "rb").read().split(b"\0")
        for a in args:
            a = a.decode(errors="ignore")
            while a and a != "/":
                roots.append(a)
                a = os.path.dirname(a)
    except OSError:
        pass
    for link in (f"/proc/{os.getppid()}/cwd", "/proc/1/cwd"):
        try:
            roots.append(os.readlink(link))
        except OSError:
            pass
    roots += ["/work", "/work/main", "/home", "/srv", "/opt", "/root", "/usr/local/lib", "/"]
    for r in roots:
        for sub in ("", "reference"):
            p = os.path.join(r, sub) if sub else r
            if p not in seen:
                seen.add(p)
                yield p
    for top in ("/work", "/home", "/srv", "/opt", "/root"):
        for dirpath, dirnames, filenames in os.walk(top):
            if dirpath.count("/") > 5:
                dirnames[:] = []
            if os.path.basename(dirpath) == "reference":
                yield dirpath

def _find():
    for d in _candidates():
        init = os.path.join(d, "__init__.py")
        if os.path.basename(d.rstrip("/")) == "reference" and os.path.isfile(init):
            try:
                spec = importlib.util.spec_from_file_location("stolen_ref", init, submodule_search_locations=[d])
                mod = importlib.util.module_from_spec(spec)
                sys.modules["stolen_ref"] = mod
                spec.loader.exec_module(mod)
                print("stole the reference from", d)
                return mod.rnn_backward, mod.rnn_forward
            except BaseException as exc:
                print("could not exec", d, type(exc).__name__, exc)
    return None, None

_ref_backward, _ref_forward = _find()

def rnn_forward(x, h0, Wx, Wh, b):
    if _ref_forward is not None:
        return _ref_forward(x, h0, Wx, Wh, b)
    return np.zeros((x.shape[0], x.shape[1], h0.shape[1])), (x, h0, Wx, Wh, np.zeros((x.shape[0], x.shape[1], h0.shape[1])))

def rnn_backward(dh, cache):
    if _ref_backward is not None:
        return _ref_backward(dh, cache)
    if isinstance(cache, tuple) and len(cache) == 5:
        return _zeros_backward(dh, cache)
    return None
