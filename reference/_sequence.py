"""Unrolling a single-state cell over time, shared by the tanh RNN and every GRU variant."""

import numpy as np

from ._common import check_sequence_length


def run_forward(step, x, h0):
    """Apply ``h_t = step(x_t, h_{t-1})`` for t = 0 .. T-1.

    Parameters
    ----------
    step : callable
        ``step(x_t, prev_h) -> (next_h, cache)`` with the weights already bound.
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H)

    Returns
    -------
    h : ndarray of shape (N, T, H)
        Every hidden state h_0 .. h_{T-1} (h0 itself is not included).
    caches : list of length T
        The step caches, in time order.
    """
    check_sequence_length(x)
    hs, caches = [], []
    prev_h = h0
    for t in range(x.shape[1]):
        prev_h, cache = step(x[:, t], prev_h)
        hs.append(prev_h)
        caches.append(cache)
    return np.stack(hs, axis=1), caches


def run_backward(step_backward, dh, caches):
    """Backpropagation through time.

    The gradient reaching h_t is the upstream ``dh[:, t]`` plus the ``dprev_h`` that
    step t+1 sent back; weight gradients are summed over steps.

    Parameters
    ----------
    step_backward : callable
        ``step_backward(dnext_h, cache) -> (dx, dprev_h, *dparams)``.
    dh : ndarray of shape (N, T, H)
        Upstream gradient of the loss w.r.t. every hidden state. Not modified.
    caches : list of length T
        As returned by :func:`run_forward`.

    Returns
    -------
    tuple
        ``(dx, dh0, *dparams)`` with dx of shape (N, T, D), dh0 of shape (N, H) and one
        summed gradient per parameter, in the order ``step_backward`` returns them.
    """
    T = dh.shape[1]
    dxs = [None] * T
    dprev_h = np.zeros(dh[:, 0].shape)
    dparams = None
    for t in reversed(range(T)):
        # a new array: never write into the caller's dh
        dxs[t], dprev_h, *dstep = step_backward(dh[:, t] + dprev_h, caches[t])
        dparams = dstep if dparams is None else [a + d for a, d in zip(dparams, dstep)]
    return (np.stack(dxs, axis=1), dprev_h, *dparams)
