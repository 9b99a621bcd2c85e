"""A bulk run with attackers beside correct submissions: the correct ones get exactly the results
they get without the attackers (same checks, statuses, points and messages), the attackers get no
credit for what they attack and a real grade (never an infrastructure error), and nothing of any
worker survives.

Uses the bulk grading API (``grader.bulk.batch.run_batch``: two slot processes, each with its own
launcher and so its own uid), once per isolation level. The attackers chosen are the ones that
could reach another slot: a fork bomb (the process limit is per uid), kill(-1), setsid daemons,
an output flood and results-file overwriting.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from adversarial_helpers import LEVELS, REPO, SUBMISSIONS, sandbox_reason, unclaimed_uid_leftovers

CORRECT = {"correct-a": REPO / "examples" / "correct" / "rnn_layers.py",
           "correct-b": REPO / "tests" / "zoo" / "alt_style_correct.py"}
ATTACKERS = ("fork_bomb", "kill_parent", "setsid_daemon", "output_flood", "write_results_files")


def _grade_class(root: Path, members: dict[str, Path], level: str) -> tuple[object, dict]:
    from rich.console import Console

    from grader.bulk.batch import BatchOptions, run_batch
    from grader.bulk.plan import Config

    src, out = root / "class", root / "out"
    src.mkdir(parents=True)
    for student, path in members.items():
        shutil.copyfile(path, src / f"{student}.py")
    config = Config(("rnn",), call_seconds=1.0, import_seconds=10.0, budget_seconds=15.0)
    opts = BatchOptions(src, out, 2, False, None, config, "none", f"grader.sandbox.isolation:{level}_launcher",
                        retry_delay=0.01)
    report = run_batch(opts, Console(file=io.StringIO(), width=200))
    results = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    db = sqlite3.connect(f"file:{out / 'gradebook.sqlite'}?mode=ro", uri=True)
    try:
        report.rows = db.execute("SELECT student, status, reason FROM current ORDER BY student").fetchall()
    finally:
        db.close()
    return report, results


def _view(result: dict) -> list:
    return [(c["id"], c["status"], c["score"], c["message"]) for e in result["exercises"] for c in e["checks"]]


@pytest.mark.parametrize("level", LEVELS)
def test_attackers_beside_correct_submissions_change_nothing_for_them(level, tmp_path):
    if level == "sandbox" and sandbox_reason():
        pytest.skip(f"bubblewrap sandbox unavailable here: {sandbox_reason()}")
    attackers = {f"attacker-{a.replace('_', '-')}": SUBMISSIONS / f"{a}.py" for a in ATTACKERS}
    _, alone = _grade_class(tmp_path / "alone", CORRECT, level)
    report, mixed = _grade_class(tmp_path / "mixed", {**CORRECT, **attackers}, level)

    assert set(mixed) == set(CORRECT) | set(attackers), f"every student has a result (no infrastructure errors): {report.rows}"
    for student in CORRECT:
        assert mixed[student]["isolation"] == level
        assert mixed[student]["score"] == mixed[student]["max_score"]
        assert _view(mixed[student]) == _view(alone[student]), f"{student}'s result changed beside the attackers"
    for student in attackers:
        r = mixed[student]
        assert r["isolation"] == level
        earned = [c["id"] for e in r["exercises"] for c in e["checks"] if c["function"] == "rnn_backward" and c["score"]]
        assert not earned, f"{student} earned points for the function it attacks: {earned}"
        assert not any(c.get("metrics", {}).get("infrastructure") for e in r["exercises"] for c in e["checks"])
    assert report.exit_code == 0
    assert not unclaimed_uid_leftovers()
