# diagnosis: upstream-ignored — gru_backward uses np.ones_like(dh) as the per-step upstream gradient instead of dh (BPTT carry otherwise right).
import numpy as np


def gru_backward(dh, cache):
    x, h0, Wx, Wh, h, r, z, n = cache
    N, T, D = x.shape
    H = h0.shape[1]
    upstream = np.ones_like(dh)
    Whr, Whz, Whn = np.split(Wh, 3, axis=1)
    dxs = [None] * T
    grads = {'Wx': np.zeros_like(Wx), 'Wh': np.zeros_like(Wh), 'b': np.zeros(3 * H)}
    dnext = np.zeros((N, H))
    for t in reversed(range(T)):
        hp = h0 if t == 0 else h[:, t - 1]
        rt, zt, nt = r[:, t], z[:, t], n[:, t]
        gh = upstream[:, t] + dnext
        d_an = gh * (1 - zt) * (1 - nt * nt)
        d_rh = d_an @ Whn.T
        d_ar = d_rh * hp * rt * (1 - rt)
        d_az = gh * (hp - nt) * zt * (1 - zt)
        da = np.hstack([d_ar, d_az, d_an])
        dxs[t] = da @ Wx.T
        grads['Wx'] += x[:, t].T @ da
        grads['Wh'] += np.hstack([hp.T @ d_ar, hp.T @ d_az, (rt * hp).T @ d_an])
        grads['b'] += da.sum(axis=0)
        dnext = gh * zt + d_rh * rt + d_ar @ Whr.T + d_az @ Whz.T
    dx = np.stack(dxs, axis=1)
    return dx, dnext, grads['Wx'], grads['Wh'], grads['b']
