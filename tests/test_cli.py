"""The command line: exit codes, outputs and messages, run as a user runs them."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORRECT = str(ROOT / "examples" / "correct" / "rnn_layers.py")
BUGGY = str(ROOT / "examples" / "bptt_bug" / "rnn_layers.py")


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_all_passed_exits_0_and_writes_json_and_html(tmp_path):
    p = run("check", CORRECT, "--json", "out/r.json", "--html", "out/r.html", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "All checks passed: 87 / 87" in p.stdout
    data = json.loads((tmp_path / "out" / "r.json").read_text())
    assert data["score"] == data["max_score"] == 87
    assert f"HTML report: {tmp_path / 'out' / 'r.html'}" in p.stdout
    assert (tmp_path / "out" / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_failures_exit_1_with_message_and_hint(tmp_path):
    p = run("check", BUGGY, "-e", "rnn", "--no-html", cwd=tmp_path)
    assert p.returncode == 1
    assert "rnn.rnn_backward.matches_reference (0/3)" in p.stdout
    assert "time steps 0-3 are wrong, 4 are right (of T=5)" in p.stdout
    assert "hint: The gradient reaching h_t is dh[:, t] PLUS" in p.stdout
    assert "Score 13 / 19  (27 passed, 3 failed)" in p.stdout
    assert not list(tmp_path.iterdir())  # --no-html wrote nothing


def test_default_html_path_is_printed(tmp_path):
    p = run("check", BUGGY, "-e", "rnn", cwd=tmp_path)
    assert p.returncode == 1
    assert f"HTML report: {tmp_path / 'rnngrade-report.html'}" in p.stdout


@pytest.mark.parametrize(
    "args, message, hint",
    [
        (["check", "nope.py"], "error: nope.py: no such file or folder", "hint: Check the path"),
        (["check", CORRECT, "-e", "transformer"], "unknown exercise(s) transformer", "rnngrade exercises"),
    ],
)
def test_usage_errors_exit_2_with_cause_and_fix(tmp_path, args, message, hint):
    p = run(*args, cwd=tmp_path)
    assert p.returncode == 2
    assert message in p.stderr and hint in p.stderr
    assert "Traceback" not in p.stderr


def test_unknown_option_is_a_usage_error():
    p = run("check", CORRECT, "--frobnicate")
    assert p.returncode == 2 and "No such option" in p.stderr


def test_exercises_lists_functions_and_points():
    p = run("exercises")
    assert p.returncode == 0
    assert "lstm       LSTM (19 points)" in p.stdout
    assert "rnn_backward_truncated" in p.stdout and "matches_fd" in p.stdout


def test_help_everywhere():
    assert "Grade SUBMISSION" in run("check", "--help").stdout
    assert "check" in run("--help").stdout and "exercises" in run("--help").stdout


def test_allow_import_lets_an_instructor_permit_a_module(tmp_path):
    sub = tmp_path / "rnn_layers.py"
    sub.write_text("import autograd\n")
    blocked = run("check", str(sub), "-e", "clipping", "--no-html", cwd=tmp_path)
    assert "importing 'autograd' is not allowed" in blocked.stdout
    allowed = run("check", str(sub), "-e", "clipping", "--no-html", "--allow-import", "autograd", cwd=tmp_path)
    assert "not allowed" not in allowed.stdout  # now it fails as a plain missing module (not installed here)


def test_grader_packages_stay_blocked_even_when_allowed(tmp_path):
    sub = tmp_path / "rnn_layers.py"
    sub.write_text("from reference import *\n")
    p = run("check", str(sub), "-e", "clipping", "--no-html", "--allow-import", "reference", cwd=tmp_path)
    assert "importing 'reference' is not allowed" in p.stdout
