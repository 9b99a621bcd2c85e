"""pytest plugin: ``pytest --rnn-submission PATH [--rnn-exercise ID ...]`` runs rnngrade's checks.

Registered through the ``pytest11`` entry point. Without ``--rnn-submission`` it only adds its
options and does nothing else (the grader is not even imported). With it, every check id (e.g.
``lstm.lstm_backward.matches_fd``) becomes one pytest item, so ``-k`` selects checks and a course
repository can add the grader to its own test run; the submission is graded once per session.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("rnngrade", "rnngrade: grade a numpy RNN/LSTM/GRU submission")
    group.addoption("--rnn-submission", metavar="PATH", default=None,
                    help="Grade PATH (rnn_layers.py, a folder or a .zip): one test per check.")
    group.addoption("--rnn-exercise", metavar="ID", action="append", default=[],
                    help="Only this exercise (repeatable; default: all). See `rnngrade exercises`.")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("rnn_submission", None)
    if path is None:
        if config.getoption("rnn_exercise", None):
            raise pytest.UsageError("--rnn-exercise needs --rnn-submission PATH (the submission to grade)")
        return
    from grader.integrations.pytest_checks import RnnGradePlugin

    config.pluginmanager.register(RnnGradePlugin(config, path, config.getoption("rnn_exercise")), "rnngrade-checks")
