"""Gradient clipping over a dict of named gradient arrays.

* by value (the sine-wave tutorial): clamp every entry to [-clip_value, clip_value];
  this changes the direction of the gradient.
* by global norm (Pascanu, Mikolov & Bengio 2013): one L2 norm over all arrays; if it
  exceeds max_norm every array is scaled by max_norm / total_norm; the direction is kept.

Both return new float64 arrays in a new dict (same keys, same order) and never touch
their input.
"""

from collections.abc import Mapping

import numpy as np

from ._common import check_positive, invalid


def _as_arrays(grads):
    if not isinstance(grads, Mapping):
        raise invalid("a dict of name -> ndarray", "grads", grads, TypeError)
    return {name: np.array(g, dtype=np.float64) for name, g in grads.items()}  # copies


def clip_grad_value(grads, clip_value):
    """Clamp every gradient entry to ``[-clip_value, clip_value]``.

    Parameters
    ----------
    grads : dict of str -> ndarray
        Any shapes. Not modified.
    clip_value : float
        Positive (``inf`` means no clipping).

    Returns
    -------
    dict of str -> ndarray
        New float64 arrays, ``clip(g, -clip_value, clip_value)``, same shapes.

    Raises
    ------
    TypeError, ValueError
        If ``grads`` is not a mapping or ``clip_value`` is not a positive real number.
    """
    check_positive("clip_value", clip_value)
    out = _as_arrays(grads)
    for g in out.values():
        np.clip(g, -clip_value, clip_value, out=g)
    return out


def _global_norm(arrays):
    """``sqrt(sum_k ||g_k||^2)``; scaled by the largest entry so the squares cannot overflow."""
    peaks = [np.max(np.abs(g)) for g in arrays if g.size]
    peak = float(np.max(peaks)) if peaks else 0.0  # np.max, unlike max(), propagates nan
    if peak == 0.0 or not np.isfinite(peak):
        return peak  # 0, inf or nan
    return peak * float(np.sqrt(sum(np.sum(np.square(g / peak)) for g in arrays)))


def clip_grad_norm(grads, max_norm):
    """Rescale all gradients together so that their global L2 norm is at most ``max_norm``.

    ``total_norm = sqrt(sum over arrays and entries of g**2)``; if
    ``total_norm > max_norm`` every array is multiplied by ``max_norm / total_norm``,
    otherwise the arrays are returned unchanged (as copies). In particular an all-zero
    gradient (total_norm == 0) is returned as zeros with ``total_norm = 0.0``: there is
    no direction to keep and nothing to divide. A non-finite total norm (inf or nan
    entries) is reported as such and the arrays are left unscaled, so the caller sees
    the overflow instead of silently getting zeros or nans.

    Parameters
    ----------
    grads : dict of str -> ndarray
        Any shapes. Not modified.
    max_norm : float
        Positive (``inf`` means no clipping).

    Returns
    -------
    clipped : dict of str -> ndarray
        New float64 arrays, same shapes.
    total_norm : float
        The global norm BEFORE clipping.

    Raises
    ------
    TypeError, ValueError
        If ``grads`` is not a mapping or ``max_norm`` is not a positive real number.
    """
    check_positive("max_norm", max_norm)
    out = _as_arrays(grads)
    total_norm = _global_norm(out.values())
    if np.isfinite(total_norm) and total_norm > max_norm:
        scale = max_norm / total_norm
        for g in out.values():
            g *= scale
    return out, total_norm
