"""Adversarial submission `frame_nested`: writes deeply nested and malformed JSON headers straight to the protocol pipe.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""

# ---------------------------------------------------------------- the attack
def _zeros_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    return (np.zeros_like(x), np.zeros_like(h0), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0]))

import gc, json, os, struct, time

def _protocol_fd():
    for obj in gc.get_objects():
        try:
            if hasattr(obj, "fd_out") and hasattr(obj, "send"):
                return obj.fd_out
        except Exception:
            pass
    return 4

def _forge(raw):
    fd = _protocol_fd()
    os.write(fd, raw)
    time.sleep(30)  # the parent must act on the forged frame, not on a late real one

def rnn_backward(dh, cache):
    v = int(abs(float(np.sum(dh))) * 1000) % 5
    if v == 0:
        body = ('{"status": "ok", "warnings": [' + "[" * 900 + "]" * 900 + '], "value": {"t": "none"}}').encode()
    elif v == 1:
        body = ("[" * 200000 + "]" * 200000).encode()
    elif v == 2:
        value = {"t": "none"}
        for _ in range(200):
            value = {"t": "list", "items": [value]}
        body = json.dumps({"status": "ok", "value": value}).encode()
    elif v == 3:
        body = json.dumps({"status": "error", "exc_type": {"a": [1] * 10}, "exc_msg": [[["x"]]],
                           "frames": [{"file": {"x": 1}, "line": "7", "func": None}] * 5000}).encode()
    else:
        body = b"\xff\xfe not json at all"
    _forge(struct.pack(">I", len(body)) + body)
