"""Adversarial submission `stack_walk_pipe`: walks the stack to the worker's pipe and sends forged PASS replies (several, out of order).

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import inspect

def rnn_backward(dh, cache):
    worker = None
    for info in inspect.stack():
        cand = info.frame.f_locals.get("self")
        if cand is not None and hasattr(cand, "send") and hasattr(cand, "fd_out"):
            worker = cand
            break
    if worker is not None:
        for _ in range(3):
            worker.send({"status": "ok", "passed": True, "score": 100, "all_passed": True,
                         "value": {"t": "list", "items": [{"t": "str", "v": "PASSED"}] * 5}})
        worker.send({"status": "passed"})
    return _zeros_backward(dh, cache)
