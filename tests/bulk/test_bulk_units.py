"""The pieces on their own: gradebook (pragmas, keys, migrations), normalised-code dedupe, status
classification, progress lines and the summary's escaping."""

from __future__ import annotations

import io
import json
import sqlite3

import pytest

from grader.bulk import BulkInputError
from grader.bulk import gradebook as gb_module
from grader.bulk.dedupe import fingerprint, identical_groups, normalise
from grader.bulk.gradebook import Gradebook, ResultRow
from grader.bulk.plan import classify
from grader.bulk.progress import PlainProgress, fmt_duration, make_progress
from grader.bulk.summary import render_summary, summary_view
from grader.results import (
    CheckResult,
    Diagnosis,
    ExerciseResult,
    GradeResult,
    LoadNote,
    SubmissionInfo,
)


def result(statuses, sha="a" * 64, message="m", diagnosis=None, metrics=None, load_problems=()):
    checks = [CheckResult(id=f"rnn.f.c{i}", exercise="rnn", function="f", kind="forward", status=s,
                          score=1.0 if s == "passed" else 0.0, max_score=1.0, message=message,
                          diagnosis=diagnosis if s == "failed" else None, metrics=dict(metrics or {}))
              for i, s in enumerate(statuses)]
    score = sum(c.score for c in checks)
    return GradeResult("0.1.0", SubmissionInfo("x.py", sha), 1, "process", score, float(len(checks)), 0.5,
                       [ExerciseResult("rnn", "Vanilla RNN", score, float(len(checks)), checks)], list(load_problems))


def student(key, sha="a" * 64, **extra):
    return dict(dict(student=key, state="submitted", layout="plain", source_id=key, roster_id="", name=key.title(),
                     email="", login="", late=0, entry=f"{key}.py", note="", sha256=sha, grader_version="0.1.0",
                     config_hash="cfg", code_hash=None), **extra)


def record(gb, key, res, status=None, run_id=1):
    status = status or classify(res)[0]
    return gb.record(ResultRow(key, res.submission.sha256, "0.1.0", "cfg", status, res.score, res.max_score,
                               classify(res)[1], res.duration_s, 1, res.to_json()), res, run_id)


# ---------------------------------------------------------------- gradebook


def test_gradebook_is_wal_with_full_sync_and_versioned(tmp_path):
    gb = Gradebook(tmp_path / "g.sqlite")
    assert gb.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert gb.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert gb.version == len(gb_module.MIGRATIONS)
    gb.close()
    assert Gradebook(tmp_path / "g.sqlite").version == len(gb_module.MIGRATIONS)  # reopening applies nothing


def test_one_row_per_key_and_the_current_view(tmp_path):
    gb = Gradebook(tmp_path / "g.sqlite")
    run = gb.begin_run("0.1.0", "cfg", "{}", "src", False)
    gb.sync_students([student("ann"), student("bob", sha="b" * 64)], run)
    record(gb, "ann", result(["passed", "failed"]))
    record(gb, "ann", result(["passed", "passed"]))  # the same key again: replaced
    record(gb, "bob", result(["passed"], sha="c" * 64))  # an older submission of bob's: not current
    assert gb.db.execute("SELECT COUNT(*) FROM results WHERE student = 'ann'").fetchone()[0] == 1
    assert gb.db.execute("SELECT COUNT(*) FROM checks").fetchone()[0] == 3  # old check rows went with the old row
    cur = {r["student"]: r for r in gb.current()}
    assert cur["ann"]["status"] == "passed" and cur["ann"]["score"] == 2
    assert cur["bob"]["result_id"] is None  # bob's current submission (sha b...) has no result yet
    gb.sync_students([student("ann")], run)  # bob is gone from the download
    assert [r["student"] for r in gb.current()] == ["ann"]
    assert gb.mark_stale() == 1
    assert gb.current()[0]["stale"] == 1


def test_migrations_are_applied_in_order_and_keep_data(tmp_path, monkeypatch):
    gb = Gradebook(tmp_path / "g.sqlite")
    run = gb.begin_run("0.1.0", "cfg", "{}", "src", False)
    gb.sync_students([student("ann")], run)
    record(gb, "ann", result(["passed"]))
    gb.close()
    monkeypatch.setattr(gb_module, "MIGRATIONS", gb_module.MIGRATIONS + [
        "ALTER TABLE students ADD COLUMN section TEXT NOT NULL DEFAULT '';"])
    gb = Gradebook(tmp_path / "g.sqlite")
    assert gb.version == 2
    assert gb.db.execute("SELECT student, section FROM students").fetchall()[0][:] == ("ann", "")
    assert gb.current()[0]["score"] == 1


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    Gradebook(tmp_path / "g.sqlite").close()
    monkeypatch.setattr(gb_module, "MIGRATIONS", gb_module.MIGRATIONS + [
        "CREATE TABLE extra (x INTEGER); INSERT INTO no_such_table VALUES (1);"])
    with pytest.raises(BulkInputError, match="could not upgrade the gradebook .* from schema 1 .*no such table"):
        Gradebook(tmp_path / "g.sqlite")
    db = sqlite3.connect(tmp_path / "g.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'extra'").fetchall()


def test_a_gradebook_from_a_newer_rnngrade_or_not_a_gradebook_is_refused(tmp_path):
    db = sqlite3.connect(tmp_path / "new.sqlite")
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(BulkInputError, match="written by a newer rnngrade"):
        Gradebook(tmp_path / "new.sqlite")
    (tmp_path / "junk.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(BulkInputError, match="is not a readable rnngrade gradebook"):
        Gradebook(tmp_path / "junk.sqlite")


# ---------------------------------------------------------------- classification


@pytest.mark.parametrize("res, status", [
    (result(["passed", "passed"]), "passed"),
    (result(["passed", "failed"]), "graded"),
    (result(["passed", "timeout"]), "timeout"),
    (result(["error", "error"], message="importing your file raised ValueError: x"), "unloadable"),
    (result(["timeout", "timeout"], message="importing your file did not finish"), "unloadable"),
    (result(["error"], load_problems=[LoadNote("syntax-error", True, "bad", "fix")]), "unloadable"),
    (result(["error", "passed"], metrics={"infrastructure": True}), "infra_error"),
])
def test_classify(res, status):
    assert classify(res)[0] == status


# ---------------------------------------------------------------- dedupe


BASE = '''
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """Docstring."""
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)  # the step
    return next_h, (x, prev_h, Wx, Wh, next_h)
'''
COPY = '''import numpy as np
def rnn_step_forward(inp, h0, A, B, c):

    # my own work!!
    out = np.tanh(inp @ A + h0 @ B + c)
    return out, (inp, h0, A, B, out)
'''
DIFFERENT = BASE.replace("np.tanh", "np.sinh")


def test_normalised_code_ignores_comments_docstrings_spacing_and_names():
    assert fingerprint(BASE) == fingerprint(COPY)
    assert fingerprint(BASE) != fingerprint(DIFFERENT)
    assert normalise("def f(:\n") is None
    assert "tanh" in normalise(BASE) and "next_h" not in normalise(BASE)


def test_identical_groups():
    prints = {"ann": fingerprint(BASE), "bob": fingerprint(COPY), "cy": fingerprint(DIFFERENT), "dee": None,
              "eve": fingerprint(DIFFERENT), "fay": "starter"}
    assert identical_groups(prints, exclude={"starter"}) == [["ann", "bob"], ["cy", "eve"]]


# ---------------------------------------------------------------- progress


def test_plain_progress_lines_for_logs():
    stream = io.StringIO()
    p = PlainProgress(3, stream, every=0)
    for status in ("passed", "unloadable", "graded"):
        p.advance(status)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("graded 1/3  failed 0  remaining 2  ")
    assert lines[-1].startswith("graded 3/3  failed 1  remaining 0  ") and lines[-1].endswith("ETA 0s")
    assert fmt_duration(59) == "59s" and fmt_duration(61) == "1m01s" and fmt_duration(3720) == "1h02m"
    assert isinstance(make_progress(1, "auto", stream=io.StringIO()), PlainProgress)  # not a terminal


# ---------------------------------------------------------------- summary


def test_summary_escapes_student_controlled_text_and_handles_missing_diagnoses(tmp_path):
    gb = Gradebook(tmp_path / "g.sqlite")
    run = gb.begin_run("0.1.0", "cfg", "{}", "src", False)
    evil = "<script>alert(1)</script>"
    gb.sync_students([student("ann", name=f"Ann {evil}"), student("bob", sha="b" * 64)], run)
    record(gb, "ann", result(["passed", "failed"], message=f"raised {evil}",
                             diagnosis=Diagnosis("no-bptt-carry", f"title {evil}", "why")))
    record(gb, "bob", result(["failed", "failed"], sha="b" * 64, message=f"importing your file raised {evil}"))
    html = render_summary(gb)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    view = summary_view(gb)
    assert [d["bug"] for d in view["diagnoses"]] == ["no-bptt-carry"]
    assert view["stats"]["students"] == 2 and view["stats"]["mean"] == "0.5"
    assert json.loads(gb.current()[0]["result_json"])["score"] == 1


def test_a_slot_reads_the_clients_exercise_tomls_and_keeps_no_folder_of_them(tmp_path, monkeypatch):
    """A Dask worker grades with the client's TOMLs: they are parsed at once and their folder removed, so
    a slot the scheduler kills later (its hard time limit) leaves nothing behind in the temp folder."""
    import tempfile

    from grader.bulk.plan import Config
    from grader.bulk.work import Slot

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    tomls = Config.exercise_tomls()
    tomls["clipping.toml"] = tomls["clipping.toml"].replace('title = "', 'title = "Client: ', 1)
    slot = Slot({"config": Config().to_settings(), "exercise_tomls": tomls})
    assert slot.exercises["clipping"].title.startswith("Client: ")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="not an exercise TOML file name"):
        Slot({"config": Config().to_settings(), "exercise_tomls": {"../evil.toml": ""}})
    assert list(tmp_path.iterdir()) == []
