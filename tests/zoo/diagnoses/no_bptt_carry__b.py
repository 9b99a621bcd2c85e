# diagnosis: no-bptt-carry — gru_backward handles all time steps at once from dh alone, so no gradient flows from step t to step t-1 (dh0 = dprev_h of step 0).
import numpy as np


def gru_backward(dh, cache):
    x, h0, Wx, Wh, h, r, z, n = cache
    N, T, D = x.shape
    H = h0.shape[1]
    Wh_r, Wh_z, Wh_n = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:]
    h_prev = np.concatenate([h0[:, None, :], h[:, :-1, :]], axis=1)   # (N, T, H)

    # vectorised over time: every step at once
    dz = dh * (h_prev - n)
    dn = dh * (1 - z)
    dan = dn * (1 - n ** 2)
    drh = dan @ Wh_n.T
    dar = drh * h_prev * r * (1 - r)
    daz = dz * z * (1 - z)
    da = np.concatenate([dar, daz, dan], axis=2)                      # (N, T, 3H)

    dx = da @ Wx.T
    dh_prev = dh * z + drh * r + dar @ Wh_r.T + daz @ Wh_z.T
    dWx = np.einsum('ntd,ntk->dk', x, da)
    dWh = np.concatenate([np.einsum('nti,ntj->ij', h_prev, dar),
                          np.einsum('nti,ntj->ij', h_prev, daz),
                          np.einsum('nti,ntj->ij', r * h_prev, dan)], axis=1)
    db = da.sum(axis=(0, 1))
    dh0 = dh_prev[:, 0, :]
    return dx, dh0, dWx, dWh, db
