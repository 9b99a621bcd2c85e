# Bug: correct values, but rnn_backward, lstm_step_backward and lstm_backward modify their upstream gradients in place (dh[:, t] += ..., dnext_c += ...).
import numpy as np


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(Wh.shape[0])
    dh0 = np.zeros_like(h0)
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        da = dh[:, t] * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
        if t > 0:
            dh[:, t - 1] += da @ Wh.T      # pass the gradient on by adding it to dh
        else:
            dh0 = da @ Wh.T
    return dx, dh0, dWx, dWh, db


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tanh_c = np.tanh(next_c)
    do = dnext_h * tanh_c
    dnext_c += dnext_h * o * (1 - tanh_c ** 2)
    di = dnext_c * g
    df = dnext_c * prev_c
    dg = dnext_c * i
    dprev_c = dnext_c * f
    da = np.concatenate([di * i * (1 - i), df * f * (1 - f),
                         do * o * (1 - o), dg * (1 - g ** 2)], axis=1)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_backward(dh, cache):
    x, h0, Wx, Wh, h, c, i, f, o, g = cache
    N, T, D = x.shape
    H = h0.shape[1]
    dx = np.zeros((N, T, D))
    dWx = np.zeros_like(Wx)
    dWh = np.zeros_like(Wh)
    db = np.zeros(4 * H)
    dprev_h = np.zeros((N, H))
    dc = np.zeros((N, H))
    for t in reversed(range(T)):
        prev_h = h[:, t - 1] if t > 0 else h0
        prev_c = c[:, t - 1] if t > 0 else np.zeros((N, H))
        dh[:, t] += dprev_h
        tanh_c = np.tanh(c[:, t])
        do = dh[:, t] * tanh_c
        dc += dh[:, t] * o[:, t] * (1 - tanh_c ** 2)
        di = dc * g[:, t]
        df = dc * prev_c
        dg = dc * i[:, t]
        dc *= f[:, t]                       # becomes dprev_c for step t-1
        da = np.concatenate([di * i[:, t] * (1 - i[:, t]), df * f[:, t] * (1 - f[:, t]),
                             do * o[:, t] * (1 - o[:, t]), dg * (1 - g[:, t] ** 2)], axis=1)
        dx[:, t] = da @ Wx.T
        dprev_h = da @ Wh.T
        dWx += x[:, t].T @ da
        dWh += prev_h.T @ da
        db += da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
