"""GRU in three real conventions, built from one core cell.

Column blocks of Wx (D, 3H), Wh (H, 3H) and b (3H,) are in the order r, z, n.

``course`` (this course's API: Cho et al. 2014, d2l, Keras ``reset_after=False``)::

    r = sigmoid(x @ Wx_r + prev_h @ Wh_r + b_r)          # reset gate
    z = sigmoid(x @ Wx_z + prev_h @ Wh_z + b_z)          # update gate
    n = tanh(x @ Wx_n + (r * prev_h) @ Wh_n + b_n)       # reset BEFORE the matmul
    next_h = z * prev_h + (1 - z) * n                    # z keeps the old state

``reset_after`` (PyTorch ``nn.GRU``, cuDNN, Keras default), optional b_hn (H,), zero if None::

    n = tanh(x @ Wx_n + b_n + r * (prev_h @ Wh_n + b_hn))

``update_on_candidate`` (Chung et al. 2014, Coursera lectures)::

    next_h = (1 - z) * prev_h + z * n

Every step cache records its convention, so a single :func:`gru_step_backward` and
:func:`gru_backward` serve all three. A backward returns one gradient per argument of
the forward, in order: ``(dx, dprev_h, dWx, dWh, db)``, and, only when the forward
was given a ``b_hn`` array, a sixth entry ``db_hn`` (H,).
"""

import types

import numpy as np

from ._common import invalid, sigmoid
from ._sequence import run_backward, run_forward


def _gru_step_forward(x, prev_h, Wx, Wh, b, b_hn, reset_after, update_on_candidate):
    """The core cell; see the module docstring for the equations of each flag."""
    H = prev_h.shape[1]
    ax = x @ Wx + b  # input part of all three blocks
    a_rz = ax[:, :2 * H] + prev_h @ Wh[:, :2 * H]
    r, z = sigmoid(a_rz[:, :H]), sigmoid(a_rz[:, H:])
    if reset_after:
        hn = prev_h @ Wh[:, 2 * H:] + (0.0 if b_hn is None else b_hn)
        n = np.tanh(ax[:, 2 * H:] + r * hn)
    else:
        hn = r * prev_h  # the Wh_n matmul reads the reset state
        n = np.tanh(ax[:, 2 * H:] + hn @ Wh[:, 2 * H:])
    keep, take = (1.0 - z, z) if update_on_candidate else (z, 1.0 - z)
    next_h = keep * prev_h + take * n
    flags = (reset_after, update_on_candidate, b_hn is not None)
    return next_h, (x, prev_h, Wx, Wh, r, z, n, hn, keep, take, flags)


def gru_step_backward(dnext_h, cache):
    """Backward pass of one GRU step, for any of the three conventions.

    With ``s = +1`` when z keeps the old state and ``s = -1`` for update_on_candidate::

        dprev_h = keep * dnext_h            dn = take * dnext_h
        dz = s * dnext_h * (prev_h - n)     dan = dn * (1 - n**2)
        course:       dWh_n = (r*prev_h).T @ dan,  d(r*prev_h) = dan @ Wh_n.T,
                      dr = d(r*prev_h) * prev_h,  dprev_h += d(r*prev_h) * r
        reset_after:  u = prev_h @ Wh_n + b_hn,  du = dan * r,  dr = dan * u,
                      dWh_n = prev_h.T @ du,  dprev_h += du @ Wh_n.T,  db_hn = sum_n du
        da = [dr*r*(1-r) | dz*z*(1-z) | dan]           # gradient of x @ Wx + b, (N, 3H)
        dx = da @ Wx.T   dWx = x.T @ da   db = sum_n da
        dprev_h += da_rz @ Wh_rz.T   dWh = [prev_h.T @ da_rz | dWh_n]

    Parameters
    ----------
    dnext_h : ndarray of shape (N, H)
    cache : tuple
        From any GRU step forward in this module.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dprev_h : ndarray of shape (N, H)
    dWx : ndarray of shape (D, 3H)
    dWh : ndarray of shape (H, 3H)
    db : ndarray of shape (3H,)
    db_hn : ndarray of shape (H,)
        Only if the forward was given ``b_hn`` (reset_after variant).
    """
    x, prev_h, Wx, Wh, r, z, n, hn, keep, take, flags = cache
    reset_after, update_on_candidate, has_b_hn = flags
    H = prev_h.shape[1]
    dprev_h = keep * dnext_h
    dz = dnext_h * (prev_h - n)
    if update_on_candidate:
        dz = -dz
    dan = take * dnext_h * (1.0 - n**2)
    if reset_after:
        du = dan * r
        dr = dan * hn
        dWh_n = prev_h.T @ du
        dprev_h = dprev_h + du @ Wh[:, 2 * H:].T
    else:
        dhn = dan @ Wh[:, 2 * H:].T
        dr = dhn * prev_h
        dWh_n = hn.T @ dan
        dprev_h = dprev_h + dhn * r
    da_rz = np.concatenate([dr * r * (1.0 - r), dz * z * (1.0 - z)], axis=1)
    da = np.concatenate([da_rz, dan], axis=1)
    dprev_h = dprev_h + da_rz @ Wh[:, :2 * H].T
    dWh = np.concatenate([prev_h.T @ da_rz, dWh_n], axis=1)
    grads = (da @ Wx.T, dprev_h, x.T @ da, dWh, da.sum(axis=0))
    return grads + (du.sum(axis=0),) if has_b_hn else grads


def gru_backward(dh, cache):
    """Backpropagation through time for any GRU sequence forward in this module.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Upstream gradient of the loss w.r.t. every hidden state. Not modified.
    cache : list
        From ``gru_forward`` or a variant's forward.

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0 : ndarray of shape (N, H)
    dWx : ndarray of shape (D, 3H)
    dWh : ndarray of shape (H, 3H)
    db : ndarray of shape (3H,)
    db_hn : ndarray of shape (H,)
        Only if the forward was given ``b_hn`` (reset_after variant).
    """
    return run_backward(gru_step_backward, dh, cache)


def gru_step_forward(x, prev_h, Wx, Wh, b):
    """One GRU step, course convention (reset before the matmul, z keeps the old state).

    Parameters
    ----------
    x : ndarray of shape (N, D)
    prev_h : ndarray of shape (N, H)
    Wx : ndarray of shape (D, 3H)
        Blocks r, z, n.
    Wh : ndarray of shape (H, 3H)
    b : ndarray of shape (3H,)

    Returns
    -------
    next_h : ndarray of shape (N, H)
        ``z * prev_h + (1 - z) * tanh(x @ Wx_n + (r * prev_h) @ Wh_n + b_n)``.
    cache : tuple
        Read only by :func:`gru_step_backward`.
    """
    return _gru_step_forward(x, prev_h, Wx, Wh, b, None, reset_after=False, update_on_candidate=False)


def gru_forward(x, h0, Wx, Wh, b):
    """Run the course GRU over a sequence (x (N, T, D), h0 (N, H)) -> (h (N, T, H), cache)."""
    return run_forward(lambda x_t, prev_h: gru_step_forward(x_t, prev_h, Wx, Wh, b), x, h0)


def gru_reset_after_step_forward(x, prev_h, Wx, Wh, b, b_hn=None):
    """One GRU step, PyTorch convention: ``n = tanh(x @ Wx_n + b_n + r * (prev_h @ Wh_n + b_hn))``.

    Same shapes as :func:`gru_step_forward`, plus ``b_hn`` (H,) or None (= zero). PyTorch's
    separate r and z biases (b_ih + b_hh) are summed into ``b``; its ``b_in`` is ``b_n``.
    :func:`gru_step_backward` returns a sixth gradient ``db_hn`` iff ``b_hn`` is an array.
    """
    if b_hn is not None and np.shape(b_hn) != (prev_h.shape[1],):
        raise invalid("b_hn of shape (H,) or None", "b_hn.shape", np.shape(b_hn))
    return _gru_step_forward(x, prev_h, Wx, Wh, b, b_hn, reset_after=True, update_on_candidate=False)


def gru_reset_after_forward(x, h0, Wx, Wh, b, b_hn=None):
    """Run the reset_after GRU over a sequence; ``gru_backward`` adds ``db_hn`` iff b_hn is given."""
    return run_forward(lambda x_t, prev_h: gru_reset_after_step_forward(x_t, prev_h, Wx, Wh, b, b_hn), x, h0)


def gru_update_on_candidate_step_forward(x, prev_h, Wx, Wh, b):
    """One GRU step with the update gate on the candidate: ``next_h = (1 - z) * prev_h + z * n``.

    Otherwise identical to :func:`gru_step_forward` (reset before the matmul), same shapes.
    """
    return _gru_step_forward(x, prev_h, Wx, Wh, b, None, reset_after=False, update_on_candidate=True)


def gru_update_on_candidate_forward(x, h0, Wx, Wh, b):
    """Run the update_on_candidate GRU over a sequence; backward with :func:`gru_backward`."""
    return run_forward(lambda x_t, prev_h: gru_update_on_candidate_step_forward(x_t, prev_h, Wx, Wh, b), x, h0)


def _variant(step_forward, forward):
    return types.SimpleNamespace(step_forward=step_forward, step_backward=gru_step_backward,
                                 forward=forward, backward=gru_backward)


#: The three GRU conventions, each with ``step_forward, step_backward, forward, backward``.
GRU_VARIANTS = {
    "course": _variant(gru_step_forward, gru_forward),
    "reset_after": _variant(gru_reset_after_step_forward, gru_reset_after_forward),
    "update_on_candidate": _variant(gru_update_on_candidate_step_forward, gru_update_on_candidate_forward),
}
