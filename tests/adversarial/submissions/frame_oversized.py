"""Adversarial submission `frame_oversized`: writes frames with lying sizes straight to the protocol pipe: a 4 GiB header, arrays of 2**64 bytes, truncated bodies.

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
    v = int(abs(float(np.sum(dh))) * 1000) % 4
    if v == 0:
        _forge(struct.pack(">I", 0xFFFFFFF0) + b"{")
    elif v == 1:
        head = json.dumps({"status": "ok", "arrays": [{"dtype": "<f8", "shape": [2**32, 2**32]}],
                           "value": {"t": "array", "i": 0}}).encode()
        _forge(struct.pack(">I", len(head)) + head)
    elif v == 2:
        head = json.dumps({"status": "ok", "arrays": [{"dtype": "<f8", "shape": [1 << 36]}],
                           "value": {"t": "array", "i": 0}}).encode()
        _forge(struct.pack(">I", len(head)) + head + b"\0" * 1024)
    else:
        head = json.dumps({"status": "ok", "value": {"t": "array", "i": 0},
                           "arrays": [{"dtype": "<f8", "shape": [8]}]}).encode()
        _forge(struct.pack(">I", len(head) + 100) + head)
