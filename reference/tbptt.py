"""Truncated backpropagation through time for the tanh RNN, per loss term.

The loss at step t reaches hidden state h_s only when ``s <= t <= s + truncate``
(h0 is step -1). Equivalently, loss term t is differentiated as if h_{t-truncate-1}
were a constant: the truncated objective is ``sum_t <dh_t, h_t>`` with that cut.
This is the "bptt_truncate" of the well-known from-scratch sine-wave RNN tutorial;
it is NOT the "carry the gradient, reset it every k steps" scheme.
"""

import numpy as np

from ._common import check_non_negative_int
from .rnn import rnn_step_backward


def rnn_backward_truncated(dh, cache, truncate):
    """Backward pass of :func:`reference.rnn_forward` with a per-loss-term window.

    For each loss step t, ``dh[:, t]`` is backpropagated through steps
    t, t-1, ..., max(t - truncate, 0); every visited step s adds its share to
    ``dx[:, s]``, dWx, dWh and db, and the gradient leaving the window is dropped.
    h0 (step -1) receives the loss at t only if ``t + 1 <= truncate``. Hence
    ``truncate = 0`` passes no gradient between steps and ``truncate >= T`` is full
    BPTT. Cost: O(T * min(truncate + 1, T)) step backwards.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Upstream gradient of the loss w.r.t. every hidden state. Not modified.
    cache : list
        From :func:`reference.rnn_forward` (the reference's own cache).
    truncate : int
        Window length, >= 0.

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0 : ndarray of shape (N, H)
    dWx : ndarray of shape (D, H)
    dWh : ndarray of shape (H, H)
    db : ndarray of shape (H,)
        Gradients of the truncated objective, all consistent with one another.
    """
    check_non_negative_int("truncate", truncate)
    N, T, _ = dh.shape
    window = min(truncate, T)
    x0 = cache[0][0]
    dx = np.zeros((N, T, x0.shape[1]))
    dh0 = np.zeros(dh[:, 0].shape)
    dWx = dWh = db = 0.0
    for t in range(T):
        g = dh[:, t]  # gradient on h_s, starting at s = t
        for s in range(t, max(t - window, 0) - 1, -1):
            dx_s, g, dWx_s, dWh_s, db_s = rnn_step_backward(g, cache[s])
            dx[:, s] += dx_s
            dWx, dWh, db = dWx + dWx_s, dWh + dWh_s, db + db_s
        if t - window <= -1:  # h0 = h_{-1} is inside this loss term's window
            dh0 += g
    return dx, dh0, dWx, dWh, db
