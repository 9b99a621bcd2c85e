"""Grading one submission in several processes (``rnngrade check --jobs``, grader/split.py).

The promise: the same result as one process, whatever happens to a forked copy.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from grader import engine, split
from grader.exercises import load_exercises
from grader.sandbox.isolation import choose_launcher
from zoo_helpers import ROOT

pytestmark = pytest.mark.skipif(not split.can_fork(), reason="forking is not used on this platform")


def _comparable(result) -> list[dict]:
    """Everything a student or a gradebook sees of each check, as JSON has it (not how long it took)."""
    return [{k: v for k, v in c.items() if k != "seconds"}
            for e in result.to_dict()["exercises"] for c in e["checks"]]


# ---------------------------------------------------------------- planning


def test_plan_balances_keeps_order_and_never_leaves_a_group_empty():
    assert split.plan([0.65, 0.5, 0.27, 0.24, 0.24, 0.07, 0.04], 2) == [[0, 3, 5, 6], [1, 2, 4]]
    assert split.plan([1.0, 1.0], 5) == [[0], [1]]  # more jobs than exercises
    assert split.plan([3.0], 2) == [[0]]
    assert split.plan([1.0, 2.0, 3.0], 1) == [[0, 1, 2]]


def test_the_default_exercise_set_splits_into_two_halves_of_about_equal_cost():
    groups = split.plan_groups(list(load_exercises().values()), 2)
    costs = [sum(split.cost(ex) for ex in g) for g in groups]
    assert len(groups) == 2 and max(costs) / min(costs) < 1.2
    assert sorted(ex.id for g in groups for ex in g) == sorted(load_exercises())


def test_no_copy_is_forked_when_it_could_not_have_a_launcher_of_its_own():
    run = engine._Run(None, list(load_exercises().values()), False, 1, None, (), False, False, "cs231n", 0.0, None)
    run.sub = type("Sub", (), {"problems": []})()
    assert engine._fork_helpers(run, None, 2) == {}  # the plain default launcher: no sibling
    assert engine._fork_helpers(run, choose_launcher("process", slot=3), 2) == {}  # a bulk slot: one job each
    assert engine._fork_helpers(run, choose_launcher("process"), 1) == {}


# ---------------------------------------------------------------- the forked copy itself


def test_forked_returns_the_value_and_reports_any_failure_as_none():
    assert split.Forked(lambda: {"a": [1, 2]}).result() == {"a": [1, 2]}
    assert split.Forked(lambda: 1 / 0).result() is None
    assert split.Forked(lambda: os._exit(3)).result() is None
    assert split.Forked(lambda: float("nan")).result() is None  # not JSON: never half a result


def test_a_copy_that_does_not_answer_in_time_is_stopped():
    helper = split.Forked(lambda: time.sleep(60))
    started = time.monotonic()
    assert helper.result(timeout=0.5) is None
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(helper.pid, os.WNOHANG)


def test_cancel_stops_and_reaps_a_busy_copy():
    helper = split.Forked(lambda: time.sleep(60))
    started = time.monotonic()
    helper.cancel()
    assert time.monotonic() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(helper.pid, os.WNOHANG)  # already reaped: no zombie left behind


# ---------------------------------------------------------------- whole submissions


@pytest.fixture(scope="module")
def launcher():
    return choose_launcher("process")


def test_two_jobs_give_the_same_result_as_one(launcher):
    path = ROOT / "examples" / "bptt_bug" / "rnn_layers.py"  # passes some checks, fails others
    one = engine.grade(str(path), launcher=launcher, jobs=1)
    before = split.fallbacks
    two = engine.grade(str(path), launcher=launcher, jobs=2)
    assert split.fallbacks == before  # the copy delivered its group
    assert [e.id for e in two.exercises] == [e.id for e in one.exercises]
    assert _comparable(two) == _comparable(one)
    assert (two.score, two.max_score) == (one.score, one.max_score) and one.score < one.max_score
    assert set(two.timings) >= {"property", "dynamics", "training"}


def test_a_copy_that_fails_costs_time_not_results(launcher, monkeypatch):
    class Broken:
        def __init__(self, fn):
            pass

        def result(self, timeout=None):
            return None

        def cancel(self):
            pass

    path = ROOT / "examples" / "correct" / "rnn_layers.py"
    ids = ["rnn", "clipping", "tbptt"]
    one = engine.grade(str(path), ids, launcher=launcher, jobs=1)
    monkeypatch.setattr(split, "Forked", Broken)
    before = split.fallbacks
    two = engine.grade(str(path), ids, launcher=launcher, jobs=2)
    assert _comparable(two) == _comparable(one) and two.score == two.max_score
    assert split.fallbacks == before + 1


def test_printed_output_of_every_process_is_kept_and_import_output_once(launcher, tmp_path: Path):
    source = (ROOT / "examples" / "correct" / "rnn_layers.py").read_text()
    source = source.replace("def clip_grad_norm(", "print('imported!')\n\n\ndef clip_grad_norm(", 1)
    source = source.replace("def rnn_step_forward(x, prev_h, Wx, Wh, b):\n",
                            "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n    print('rnn step!')\n", 1)
    source = source.replace("def lstm_step_forward(", "def _unused():\n    pass\n\n\ndef lstm_step_forward(", 1)
    (tmp_path / "rnn_layers.py").write_text(source)
    before = split.fallbacks
    result = engine.grade(str(tmp_path / "rnn_layers.py"), ["rnn", "clipping"], launcher=launcher, jobs=2)
    assert split.fallbacks == before and result.score == result.max_score
    assert result.output.count("imported!") == 1
    assert "rnn step!" in result.output  # printed in whichever process graded rnn


def test_the_command_refuses_zero_jobs_with_a_usage_error():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "grader", "check", str(ROOT / "examples" / "correct" / "rnn_layers.py"),
                           "--jobs", "0", "--no-html"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "--jobs" in proc.stderr and "0" in proc.stderr


def test_three_jobs_with_one_failed_copy_keep_every_result_and_all_printed_output(launcher, tmp_path, monkeypatch):
    source = (ROOT / "examples" / "correct" / "rnn_layers.py").read_text()
    for name, args in (("rnn_step_forward", "x, prev_h, Wx, Wh, b"), ("clip_grad_norm", "grads, max_norm"),
                       ("rnn_backward_truncated", "dh, cache, truncate")):
        source = source.replace(f"def {name}({args}):\n", f"def {name}({args}):\n    print('in {name}')\n", 1)
    (tmp_path / "rnn_layers.py").write_text(source)

    class SecondCopyFails(split.Forked):
        def __init__(self, fn):
            super().__init__(lambda: None if fn.args[2] == 2 else fn())  # (run, launcher, index, jobs)

    ids = ["rnn", "clipping", "tbptt"]
    assert [[ex.id for ex in g] for g in split.plan_groups([load_exercises()[i] for i in ids], 3)] == [
        ["rnn"], ["clipping"], ["tbptt"]]
    one = engine.grade(str(tmp_path / "rnn_layers.py"), ids, launcher=launcher, jobs=1)
    monkeypatch.setattr(split, "Forked", SecondCopyFails)
    before = split.fallbacks
    three = engine.grade(str(tmp_path / "rnn_layers.py"), ids, launcher=launcher, jobs=3)
    assert split.fallbacks == before + 1  # the copy for tbptt returned nothing: graded by the first process
    assert _comparable(three) == _comparable(one) and three.score == three.max_score
    for name in ("rnn_step_forward", "clip_grad_norm", "rnn_backward_truncated"):
        assert f"in {name}" in three.output, name
