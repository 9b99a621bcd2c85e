"""Small helpers shared by the reference modules: a stable sigmoid and argument checks."""

import numbers

import numpy as np


def sigmoid(a):
    """Logistic sigmoid ``1 / (1 + exp(-a))`` without overflow warnings for large ``|a|``."""
    return np.exp(-np.logaddexp(0.0, -a))


def invalid(expected, name, value, error=ValueError):
    """Build the one error shape used here: ``Expected X but got name=value (type=T)``."""
    return error(f"Expected {expected} but got {name}={value!r} (type={type(value).__name__})")


def check_positive(name, value):
    """Require a real number > 0 (``inf`` allowed, ``nan`` and bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise invalid("a positive real number", name, value, TypeError)
    if not value > 0:
        raise invalid("a positive real number", name, value)


def check_non_negative_int(name, value):
    """Require an integer >= 0 (bools rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise invalid("a non-negative integer", name, value, TypeError)
    if value < 0:
        raise invalid("a non-negative integer", name, value)


def check_sequence_length(x):
    """Sequence functions need at least one step: the backward learns shapes from step caches."""
    if x.ndim != 3 or x.shape[1] < 1:
        raise invalid("x of shape (N, T, D) with T >= 1", "x.shape", x.shape)
