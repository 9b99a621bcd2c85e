"""rnngrade: grade numpy RNN, LSTM and GRU exercises safely, with feedback that teaches.

The public API is small: ``grade`` (one submission -> ``GradeResult``) and the result types.
Student code never runs in this process; see ``grader.sandbox``.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "grade"]


def grade(*args, **kwargs):
    """Grade one submission (see ``grader.engine.grade``)."""
    from .engine import grade as _grade

    return _grade(*args, **kwargs)
