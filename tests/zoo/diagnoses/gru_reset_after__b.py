# diagnosis: gru-reset-after — gru_forward/gru_backward (own loops) use the "reset after" candidate n = tanh(x@Wx_n + b_n + r*(prev_h@Wh_n)), consistently in forward and backward; step functions right.
import numpy as np


def gru_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    Wx_r, Wx_z, Wx_n = Wx[:, :H], Wx[:, H:2 * H], Wx[:, 2 * H:]
    Wh_r, Wh_z, Wh_n = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:]
    b_r, b_z, b_n = b[:H], b[H:2 * H], b[2 * H:]
    h = np.zeros((N, T, H))
    saved = []
    hp = h0
    for t in range(T):
        xt = x[:, t, :]
        r = 1.0 / (1.0 + np.exp(-np.clip(xt @ Wx_r + hp @ Wh_r + b_r, -500, 500)))
        z = 1.0 / (1.0 + np.exp(-np.clip(xt @ Wx_z + hp @ Wh_z + b_z, -500, 500)))
        hW = hp @ Wh_n
        cand = np.tanh(xt @ Wx_n + b_n + r * hW)
        hp = z * hp + (1.0 - z) * cand
        h[:, t, :] = hp
        saved.append({'r': r, 'z': z, 'n': cand, 'hW': hW})
    cache = (x, h0, Wx, Wh, h, saved)
    return h, cache


def gru_backward(dh, cache):
    x, h0, Wx, Wh, h, saved = cache
    N, T, D = x.shape
    H = h0.shape[1]
    Wh_r, Wh_z, Wh_n = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:]
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(3 * H)
    dnext = np.zeros((N, H))
    for t in range(T - 1, -1, -1):
        s = saved[t]
        r, z, cand, hW = s['r'], s['z'], s['n'], s['hW']
        hp = h[:, t - 1, :] if t > 0 else h0
        dht = dh[:, t, :] + dnext
        d_pre_n = dht * (1.0 - z) * (1.0 - cand ** 2)
        d_pre_z = dht * (hp - cand) * z * (1.0 - z)
        d_pre_r = d_pre_n * hW * r * (1.0 - r)
        d_hW = d_pre_n * r
        dx[:, t, :] = (d_pre_r @ Wx[:, :H].T + d_pre_z @ Wx[:, H:2 * H].T
                       + d_pre_n @ Wx[:, 2 * H:].T)
        dWx[:, :H] += x[:, t, :].T @ d_pre_r
        dWx[:, H:2 * H] += x[:, t, :].T @ d_pre_z
        dWx[:, 2 * H:] += x[:, t, :].T @ d_pre_n
        dWh[:, :H] += hp.T @ d_pre_r
        dWh[:, H:2 * H] += hp.T @ d_pre_z
        dWh[:, 2 * H:] += hp.T @ d_hW
        db[:H] += d_pre_r.sum(0)
        db[H:2 * H] += d_pre_z.sum(0)
        db[2 * H:] += d_pre_n.sum(0)
        dnext = dht * z + d_pre_r @ Wh_r.T + d_pre_z @ Wh_z.T + d_hW @ Wh_n.T
    return dx, dnext, dWx, dWh, db
