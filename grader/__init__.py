"""rnngrade: grade numpy RNN, LSTM and GRU exercises safely, with feedback that teaches.

The public API is small: ``grade`` (one submission -> ``GradeResult``), the result types, and
``check`` (the self-check a student runs inside a notebook; docs/notebooks.md).
Student code never runs in this process; see ``grader.sandbox``.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "check", "grade"]


def grade(*args, **kwargs):
    """Grade one submission (see ``grader.engine.grade``)."""
    from .engine import grade as _grade

    return _grade(*args, **kwargs)


def check(*exercise_ids, **options):
    """Grade the notebook you are working in and show the report inline, e.g. ``check("lstm")``.

    Grading runs in a separate, sandboxed process; see ``grader.notebooks.selfcheck.check``.
    """
    from .notebooks.selfcheck import check as _check

    return _check(*exercise_ids, **options)
