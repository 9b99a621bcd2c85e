"""LSTM (Hochreiter & Schmidhuber 1997, with forget gate), gate blocks in the order i, f, o, g.

Equations (weights multiply on the right, batch first)::

    a = x @ Wx + prev_h @ Wh + b                  # (N, 4H), column blocks i | f | o | g
    i = sigmoid(a_i)   f = sigmoid(a_f)   o = sigmoid(a_o)   g = tanh(a_g)
    next_c = f * prev_c + i * g
    next_h = o * tanh(next_c)

The sequence functions start from a zero cell state. (PyTorch stores the blocks as
i, f, g, o and transposed.)
"""

import numpy as np

from ._common import check_sequence_length, sigmoid


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    prev_h : ndarray of shape (N, H)
    prev_c : ndarray of shape (N, H)
    Wx : ndarray of shape (D, 4H)
        Blocks i, f, o, g.
    Wh : ndarray of shape (H, 4H)
    b : ndarray of shape (4H,)

    Returns
    -------
    next_h : ndarray of shape (N, H)
    next_c : ndarray of shape (N, H)
    cache : tuple
        Read only by :func:`lstm_step_backward`.
    """
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = (sigmoid(a[:, k * H:(k + 1) * H]) for k in range(3))
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of :func:`lstm_step_forward`.

    The cell receives gradient from both outputs::

        dc = dnext_c + dnext_h * o * (1 - tanh(next_c)**2)
        di = dc * g    df = dc * prev_c    do = dnext_h * tanh(next_c)    dg = dc * i
        dprev_c = dc * f
        da = [di*i*(1-i) | df*f*(1-f) | do*o*(1-o) | dg*(1-g**2)]     # (N, 4H)
        dx = da @ Wx.T   dprev_h = da @ Wh.T   dWx = x.T @ da   dWh = prev_h.T @ da   db = sum_n da

    Parameters
    ----------
    dnext_h : ndarray of shape (N, H)
    dnext_c : ndarray of shape (N, H)
    cache : tuple
        From :func:`lstm_step_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dprev_h : ndarray of shape (N, H)
    dprev_c : ndarray of shape (N, H)
    dWx : ndarray of shape (D, 4H)
    dWh : ndarray of shape (H, 4H)
    db : ndarray of shape (4H,)
    """
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c**2)
    da = np.concatenate([
        dc * g * i * (1.0 - i),
        dc * prev_c * f * (1.0 - f),
        dnext_h * tanh_c * o * (1.0 - o),
        dc * i * (1.0 - g**2),
    ], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b):
    """Run an LSTM over a sequence, with initial cell state c_{-1} = 0.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
        Input sequence, T >= 1.
    h0 : ndarray of shape (N, H)
        Initial hidden state.
    Wx : ndarray of shape (D, 4H)
    Wh : ndarray of shape (H, 4H)
    b : ndarray of shape (4H,)

    Returns
    -------
    h : ndarray of shape (N, T, H)
        Hidden states h_0 .. h_{T-1} (cell states are internal).
    cache : list of length T
        The step caches, read by :func:`lstm_backward`.
    """
    check_sequence_length(x)
    h, c = h0, np.zeros(h0.shape)
    hs, caches = [], []
    for t in range(x.shape[1]):
        h, c, cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), caches


def lstm_backward(dh, cache):
    """Backpropagation through time for :func:`lstm_forward`.

    Both the hidden and the cell gradient are carried from step t+1 to step t; the
    upstream ``dh[:, t]`` is added to the carried hidden gradient. The gradient on the
    initial cell is discarded (c_{-1} is the constant 0).

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Upstream gradient of the loss w.r.t. every hidden state. Not modified.
    cache : list
        From :func:`lstm_forward`.

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0 : ndarray of shape (N, H)
    dWx : ndarray of shape (D, 4H)
    dWh : ndarray of shape (H, 4H)
    db : ndarray of shape (4H,)
    """
    T = dh.shape[1]
    dxs = [None] * T
    dprev_h = dprev_c = np.zeros(dh[:, 0].shape)
    dparams = None
    for t in reversed(range(T)):
        dxs[t], dprev_h, dprev_c, *dstep = lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])
        dparams = dstep if dparams is None else [a + d for a, d in zip(dparams, dstep)]
    return (np.stack(dxs, axis=1), dprev_h, *dparams)
