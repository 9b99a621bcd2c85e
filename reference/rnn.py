"""Vanilla tanh RNN: one step and a whole sequence, forward and backward.

Equations (weights multiply on the right, batch first)::

    a_t = x_t @ Wx + h_{t-1} @ Wh + b
    h_t = tanh(a_t)
"""

import numpy as np

from ._sequence import run_backward, run_forward


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One step of a tanh RNN: ``next_h = tanh(x @ Wx + prev_h @ Wh + b)``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Input at this step.
    prev_h : ndarray of shape (N, H)
        Hidden state from the previous step.
    Wx : ndarray of shape (D, H)
        Input-to-hidden weights.
    Wh : ndarray of shape (H, H)
        Hidden-to-hidden weights.
    b : ndarray of shape (H,)
        Bias.

    Returns
    -------
    next_h : ndarray of shape (N, H)
        New hidden state.
    cache : tuple
        ``(x, prev_h, Wx, Wh, next_h)``, read only by :func:`rnn_step_backward`.
    """
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    """Backward pass of :func:`rnn_step_forward`.

    With ``da = dnext_h * (1 - next_h**2)`` (tanh' written through its output)::

        dx = da @ Wx.T        dprev_h = da @ Wh.T
        dWx = x.T @ da        dWh = prev_h.T @ da        db = sum_n da

    Parameters
    ----------
    dnext_h : ndarray of shape (N, H)
        Gradient of the loss w.r.t. ``next_h``.
    cache : tuple
        From :func:`rnn_step_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dprev_h : ndarray of shape (N, H)
    dWx : ndarray of shape (D, H)
    dWh : ndarray of shape (H, H)
    db : ndarray of shape (H,)
    """
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    """Run a tanh RNN over a sequence: ``h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b)``, h_{-1} = h0.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
        Input sequence, T >= 1.
    h0 : ndarray of shape (N, H)
        Initial hidden state.
    Wx : ndarray of shape (D, H)
    Wh : ndarray of shape (H, H)
    b : ndarray of shape (H,)

    Returns
    -------
    h : ndarray of shape (N, T, H)
        Hidden states h_0 .. h_{T-1}.
    cache : list of length T
        The step caches of :func:`rnn_step_forward`, read by :func:`rnn_backward` and
        :func:`reference.rnn_backward_truncated`.
    """
    return run_forward(lambda x_t, prev_h: rnn_step_forward(x_t, prev_h, Wx, Wh, b), x, h0)


def rnn_backward(dh, cache):
    """Full backpropagation through time for :func:`rnn_forward`.

    The gradient reaching h_t is ``dh[:, t]`` plus the ``dprev_h`` sent back by step t+1.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Upstream gradient of the loss w.r.t. every hidden state (not the gradient passed
        between steps). Not modified.
    cache : list
        From :func:`rnn_forward`.

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0 : ndarray of shape (N, H)
    dWx : ndarray of shape (D, H)
    dWh : ndarray of shape (H, H)
    db : ndarray of shape (H,)
    """
    return run_backward(rnn_step_backward, dh, cache)
