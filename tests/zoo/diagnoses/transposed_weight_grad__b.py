# diagnosis: transposed-weight-grad — gru_step_backward returns each (H, H) block of dWh (r, z, n) transposed (e.g. dar.T @ prev_h instead of prev_h.T @ dar); shapes and everything else right.
import numpy as np


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, r, z, n = cache
    H = prev_h.shape[1]
    Wx_r, Wx_z, Wx_n = Wx[:, :H], Wx[:, H:2 * H], Wx[:, 2 * H:]
    Wh_r, Wh_z, Wh_n = Wh[:, :H], Wh[:, H:2 * H], Wh[:, 2 * H:]
    # next_h = z * prev_h + (1 - z) * n
    d_n = dnext_h * (1 - z)
    d_z = dnext_h * (prev_h - n)
    d_n_raw = d_n * (1 - n ** 2)
    d_z_raw = d_z * z * (1 - z)
    d_rh = np.dot(d_n_raw, Wh_n.T)
    d_r_raw = d_rh * prev_h * r * (1 - r)
    dx = np.dot(d_r_raw, Wx_r.T) + np.dot(d_z_raw, Wx_z.T) + np.dot(d_n_raw, Wx_n.T)
    dprev_h = (dnext_h * z + d_rh * r
               + np.dot(d_r_raw, Wh_r.T) + np.dot(d_z_raw, Wh_z.T))
    dWx = np.hstack([np.dot(x.T, d_r_raw), np.dot(x.T, d_z_raw), np.dot(x.T, d_n_raw)])
    dWh_r = np.dot(d_r_raw.T, prev_h)
    dWh_z = np.dot(d_z_raw.T, prev_h)
    dWh_n = np.dot(d_n_raw.T, r * prev_h)
    dWh = np.hstack([dWh_r, dWh_z, dWh_n])
    db = np.hstack([d_r_raw.sum(0), d_z_raw.sum(0), d_n_raw.sum(0)])
    return dx, dprev_h, dWx, dWh, db
