# diagnosis: float32-precision — lstm_forward computes the whole recurrence in float32 (inputs cast with .astype(np.float32)) and only casts h and the cached arrays back to float64 at the end.
import numpy as np


def _f32_sigmoid(v):
    return (1 / (1 + np.exp(-np.abs(v)))) * (v >= 0) + (np.exp(-np.abs(v)) / (1 + np.exp(-np.abs(v)))) * (v < 0)


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    x32 = x.astype(np.float32)
    Wx32 = Wx.astype(np.float32)
    Wh32 = Wh.astype(np.float32)
    b32 = b.astype(np.float32)
    hprev = h0.astype(np.float32)
    cprev = np.zeros((N, H), dtype=np.float32)
    hs, cs, gi, gf, go, gg = [], [], [], [], [], []
    for t in range(T):
        a = x32[:, t] @ Wx32 + hprev @ Wh32 + b32
        it = _f32_sigmoid(a[:, :H])
        ft = _f32_sigmoid(a[:, H:2 * H])
        ot = _f32_sigmoid(a[:, 2 * H:3 * H])
        gt = np.tanh(a[:, 3 * H:])
        cprev = ft * cprev + it * gt
        hprev = ot * np.tanh(cprev)
        hs.append(hprev)
        cs.append(cprev)
        gi.append(it)
        gf.append(ft)
        go.append(ot)
        gg.append(gt)
    stack = lambda seq: np.stack(seq, axis=1).astype(np.float64)
    h = stack(hs)
    cache = (x, h0, Wx, Wh, h, stack(cs), stack(gi), stack(gf), stack(go), stack(gg))
    return h, cache
