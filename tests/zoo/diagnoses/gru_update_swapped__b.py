# diagnosis: gru-update-swapped — gru_forward/gru_backward (own loops) use h_t = (1 - z)*h_{t-1} + z*n instead of z*h_{t-1} + (1 - z)*n, consistently in forward and backward; step functions right.
import numpy as np


def _gus_b_sig(v):
    return np.where(v >= 0, 1 / (1 + np.exp(-np.abs(v))), np.exp(-np.abs(v)) / (1 + np.exp(-np.abs(v))))


def gru_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    xw = np.einsum('ntd,dk->ntk', x, Wx) + b          # input projections of all steps
    h = np.zeros((N, T, H))
    r = np.zeros((N, T, H))
    z = np.zeros((N, T, H))
    n = np.zeros((N, T, H))
    prev = h0
    for t in range(T):
        r[:, t] = _gus_b_sig(xw[:, t, :H] + prev @ Wh[:, :H])
        z[:, t] = _gus_b_sig(xw[:, t, H:2 * H] + prev @ Wh[:, H:2 * H])
        n[:, t] = np.tanh(xw[:, t, 2 * H:] + (r[:, t] * prev) @ Wh[:, 2 * H:])
        h[:, t] = (1 - z[:, t]) * prev + z[:, t] * n[:, t]
        prev = h[:, t]
    return h, (x, h0, Wx, Wh, h, r, z, n)


def gru_backward(dh, cache):
    x, h0, Wx, Wh, h, r, z, n = cache
    N, T, D = x.shape
    H = h0.shape[1]
    hprev = np.concatenate([h0[:, None], h[:, :-1]], axis=1)
    da = np.zeros((N, T, 3 * H))
    g = np.zeros((N, H))
    for t in reversed(range(T)):
        gt = dh[:, t] + g
        dan = gt * z[:, t] * (1 - n[:, t] ** 2)
        drh = dan @ Wh[:, 2 * H:].T
        da[:, t, :H] = drh * hprev[:, t] * r[:, t] * (1 - r[:, t])
        da[:, t, H:2 * H] = gt * (n[:, t] - hprev[:, t]) * z[:, t] * (1 - z[:, t])
        da[:, t, 2 * H:] = dan
        g = (gt * (1 - z[:, t]) + drh * r[:, t]
             + da[:, t, :H] @ Wh[:, :H].T + da[:, t, H:2 * H] @ Wh[:, H:2 * H].T)
    dx = da @ Wx.T
    dWx = np.einsum('ntd,ntk->dk', x, da)
    dWh = np.concatenate([np.einsum('nti,ntj->ij', hprev, da[:, :, :2 * H]),
                          np.einsum('nti,ntj->ij', r * hprev, da[:, :, 2 * H:])], axis=1)
    db = da.sum(axis=(0, 1))
    return dx, g, dWx, dWh, db
