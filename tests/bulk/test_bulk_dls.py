"""A Coursera DLS class graded in bulk: `rnngrade grade --api dls` grades every submission against
the DLS exercises (docs/dls.md), and the default stays the CS231n set."""

from __future__ import annotations

import csv

from bulk_class import rnngrade
from zoo_helpers import ROOT

CORRECT = ROOT / "examples" / "dls_correct" / "rnn_utils_dls.py"
BUG = ROOT / "tests" / "dls" / "bugs" / "lstm_backward_old_official.py"


def _class(tmp_path):
    src = tmp_path / "class"
    src.mkdir()
    (src / "ada.py").write_text(CORRECT.read_text())
    (src / "bob.py").write_text(CORRECT.read_text() + "\n\n" + BUG.read_text())
    return src


def test_a_dls_class_is_graded_against_the_dls_exercises(tmp_path):
    src = _class(tmp_path)
    p = rnngrade("grade", src, "--out", tmp_path / "out", "--api", "dls", "--jobs", "2", "--progress", "none",
                 "--call-seconds", "2")
    assert p.returncode in (0, 1), p.stdout + p.stderr
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "out" / "grades.csv").open())}
    assert set(rows) == {"ada", "bob"}
    assert list(rows["ada"])[3:7] == ["score", "max_score", "dls_rnn", "dls_lstm"]
    assert float(rows["ada"]["score"]) == float(rows["ada"]["max_score"]) == 41
    assert float(rows["bob"]["score"]) == 33 and float(rows["bob"]["dls_rnn"]) == 18
    # a rerun with the same profile grades nothing again; the CS231n default is another configuration
    again = rnngrade("grade", src, "--out", tmp_path / "out", "--api", "dls", "--progress", "none",
                     "--call-seconds", "2")
    assert "0 to grade" in again.stdout, again.stdout
    default = rnngrade("grade", src, "--out", tmp_path / "cs", "--progress", "none", "-e", "clipping",
                       "--call-seconds", "1")
    rows = {r["student"]: r for r in csv.DictReader((tmp_path / "cs" / "grades.csv").open())}
    assert float(rows["ada"]["score"]) == 0 and "clipping" in rows["ada"], default.stdout
