"""The pytest plugin, black-box through pytester: one item per check, -k selects, graded once."""

from __future__ import annotations

import pytest
from integration_helpers import BUGGY, CORRECT, graded

import grader.integrations.pytest_checks  # noqa: F401  (in-process pytester runs drop modules first imported inside them; numpy cannot be imported twice)

pytest_plugins = ["pytester"]


def _expected(result, exercises=None):
    checks = [c for c in result.checks if exercises is None or c.exercise in exercises]
    passed = sum(c.status == "passed" for c in checks)
    skipped = sum(c.status == "skipped" for c in checks)
    return {"passed": passed, "skipped": skipped, "failed": len(checks) - passed - skipped}


def test_without_the_option_the_plugin_does_nothing(pytester):
    pytester.makepyfile(test_own="""
        import sys

        def test_grader_not_loaded():
            assert "grader.engine" not in sys.modules and "grader.integrations.pytest_checks" not in sys.modules
    """)
    r = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    r.assert_outcomes(passed=1)
    r.stdout.fnmatch_lines(["plugins: *rnngrade-*"])  # registered through the pytest11 entry point
    assert "rnngrade: grading" not in r.stdout.str()


def test_options_are_listed_in_their_own_group(pytester):
    r = pytester.runpytest("--help")
    r.stdout.fnmatch_lines(["rnngrade: grade a numpy RNN/LSTM/GRU submission:", "*--rnn-submission=PATH*",
                            "*--rnn-exercise=ID*"])


def test_one_item_per_check_and_failures_carry_the_advice(pytester):
    r = pytester.runpytest("--rnn-submission", str(BUGGY), "--rnn-exercise", "rnn", "-p", "no:cacheprovider")
    r.assert_outcomes(**_expected(graded("path", "examples/bptt_bug/rnn_layers.py")))
    out = r.stdout.str()
    assert f"rnngrade: grading {BUGGY} (rnn)" in out
    r.stdout.fnmatch_lines([
        "*rnngrade rnn.rnn_backward.matches_reference*",
        "failed (0/* points): rnn_backward(dh, cache) with N=2, T=5, D=3, H=4: dx: differs from the expected values*",
        "call: rnn_backward(dh, cache) with N=2, T=5, D=3, H=4",
        "hint: The gradient reaching h_t is dh[[]:, t] PLUS the gradient flowing back from step t+1*",
        "FAILED *bptt_bug/rnn_layers.py::rnn.rnn_backward.matches_fd*",
    ])
    assert "Traceback" not in out and "CheckNotPassed" not in out


def test_k_selects_checks_and_m_selects_all_of_them(pytester):
    r = pytester.runpytest("--rnn-submission", str(BUGGY), "--rnn-exercise", "rnn", "-k", "rnn_backward and matches",
                           "-p", "no:cacheprovider", "--collect-only", "-q")
    r.stdout.fnmatch_lines(["*bptt_bug/rnn_layers.py::rnn.rnn_backward.matches_reference",
                            "*bptt_bug/rnn_layers.py::rnn.rnn_backward.matches_fd", "2/* tests collected (* deselected)*"])
    pytester.makepyfile(test_own="def test_other(): pass")
    r = pytester.runpytest("--rnn-submission", str(CORRECT), "--rnn-exercise", "clipping", "-m", "rnngrade",
                           "-p", "no:cacheprovider")
    r.assert_outcomes(**_expected(graded("path", "examples/correct/rnn_layers.py", ("clipping",))), deselected=1)


def test_not_attempted_checks_are_skipped_with_the_reason(pytester):
    r = pytester.runpytest("--rnn-submission", str(BUGGY), "--rnn-exercise", "lstm", "-rs", "-p", "no:cacheprovider")
    result = graded("path", "examples/bptt_bug/rnn_layers.py", ("lstm",))
    r.assert_outcomes(**_expected(result))
    r.stdout.fnmatch_lines(["SKIPPED [[]1[]] *lstm.lstm_step_forward.api: lstm_step_forward is not defined in your "
                            "file: not attempted"])


def test_the_submission_is_graded_once_per_session(pytester, monkeypatch):
    import grader.integrations.pytest_checks as checks

    calls = []
    real = checks.grade
    monkeypatch.setattr(checks, "grade", lambda *a, **k: calls.append(a) or real(*a, **k))
    r = pytester.runpytest("--rnn-submission", str(CORRECT), "--rnn-exercise", "clipping", "-p", "no:cacheprovider")
    assert r.ret == 0 and len(calls) == 1
    r.assert_outcomes(passed=len(graded("path", "examples/correct/rnn_layers.py", ("clipping",)).checks))


def test_collect_only_grades_nothing(pytester, monkeypatch):
    import grader.integrations.pytest_checks as checks

    monkeypatch.setattr(checks, "grade", lambda *a, **k: pytest.fail("graded during collection"))
    r = pytester.runpytest("--rnn-submission", str(CORRECT), "--collect-only", "-q", "-p", "no:cacheprovider")
    r.stdout.fnmatch_lines(["*::rnn.rnn_step_forward.api", "*::tbptt.rnn_backward_truncated.api"])
    assert r.ret == 0


@pytest.mark.parametrize("args, message", [
    (["--rnn-submission", "nope.py"], "ERROR: --rnn-submission: nope.py: no such file or folder (Check the path*"),
    (["--rnn-submission", str(CORRECT), "--rnn-exercise", "transformer"],
     "ERROR: --rnn-exercise: unknown exercise(s) transformer; available: rnn*"),
    (["--rnn-exercise", "rnn"], "ERROR: --rnn-exercise needs --rnn-submission PATH (the submission to grade)"),
])
def test_usage_errors_say_what_is_wrong(pytester, args, message):
    r = pytester.runpytest(*args, "-p", "no:cacheprovider")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines([message])


def test_broken_exercise_configuration_is_a_usage_error(pytester, monkeypatch):
    import grader.integrations.pytest_checks as checks
    from grader.exercises import ExerciseConfigError

    def broken():
        raise ExerciseConfigError("rnn.toml: points must be numbers")

    monkeypatch.setattr(checks, "load_exercises", broken)
    r = pytester.runpytest("--rnn-submission", str(CORRECT), "-p", "no:cacheprovider")
    assert r.ret == pytest.ExitCode.USAGE_ERROR
    r.stderr.fnmatch_lines(["ERROR: rnngrade exercise configuration: rnn.toml: points must be numbers"])
