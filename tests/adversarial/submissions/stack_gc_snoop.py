"""Adversarial submission `stack_gc_snoop`: walks the call stack, every thread's frames and gc.get_objects() for expected values.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
import gc, inspect, sys

def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    want = {"dx": x.shape, "dh0": h0.shape, "dWx": Wx.shape, "dWh": Wh.shape, "db": (Wh.shape[0],)}
    mine = {id(a) for a in (dh, x, h0, Wx, Wh, h)}
    found = {}
    frames = [f.frame for f in inspect.stack()] + list(sys._current_frames().values())
    for fr in frames:
        for k, v in list(fr.f_locals.items()) + list(fr.f_globals.items()):
            if "expect" in str(k).lower() or "ref" in str(k).lower():
                print("interesting name in the stack:", k)
            if isinstance(v, np.ndarray) and id(v) not in mine:
                for name, shape in want.items():
                    if v.shape == shape and name not in found:
                        found[name] = v
    for obj in gc.get_objects():
        if isinstance(obj, np.ndarray) and id(obj) not in mine and obj.dtype == np.float64:
            for name, shape in want.items():
                if obj.shape == shape and name not in found:
                    found[name] = obj
    return tuple(np.array(found.get(n, np.zeros(s))) for n, s in want.items())
