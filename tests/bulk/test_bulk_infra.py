"""Infrastructure failures: retried, recorded as such, never a 0, never affecting another student."""

from __future__ import annotations

import csv

import pytest
from bulk_class import (
    MARK,
    assert_files_match,
    class_members,
    current,
    grade_in_process,
    query,
    write_class,
)


def members_with_marked():
    ms = [class_members(13)[i] for i in (0, 1, 5)]  # correct, buggy, renamed copy
    marked = class_members(14)[13]
    marked.files = {"rnn_layers.py": ms[0].files["rnn_layers.py"] + f"\n# {MARK}\n"}
    marked.expect = "infra_error"
    return ms + [marked], marked


def test_a_worker_that_never_starts_is_an_infrastructure_error_never_a_zero(tmp_path):
    members = [class_members(13)[i] for i in (0, 1)]
    src = write_class(tmp_path, members, "plain")
    out = tmp_path / "out"
    report, printed = grade_in_process(src, out, launcher="bulk_class:BrokenLauncher")
    assert report.exit_code == 2
    rows = current(out)
    assert [r["status"] for r in rows] == ["infra_error", "infra_error"]
    assert all(r["score"] is None and r["attempts"] == 3 for r in rows)
    assert all("could not start a worker" in r["reason"] for r in rows)
    assert not list(out.glob("results/*.json")) and not list(out.glob("reports/*.html"))
    grades = list(csv.DictReader((out / "grades.csv").open()))
    assert [(g["score"], g["status"]) for g in grades] == [("", "infra_error")] * 2
    assert "infrastructure error" in printed and "run the same command again" in printed
    assert 'data-infra="' in (out / "summary.html").read_text()
    # the next run retries them (and replaces the rows: no duplicates)
    report, printed = grade_in_process(src, out)
    assert report.exit_code == 0 and "0 already graded and unchanged, 2 to grade" in printed
    assert [r["status"] for r in current(out)] == ["passed", "graded"]
    assert query(out, "SELECT COUNT(*) FROM results") == [(2,)]
    assert_files_match(out)


def test_a_flaky_start_is_retried_and_then_graded(tmp_path):
    members = [class_members(13)[i] for i in (0, 1)]
    report, _ = grade_in_process(write_class(tmp_path, members, "plain"), tmp_path / "out", jobs=1,
                                 launcher="bulk_class:FlakyLauncher")
    assert report.exit_code == 0
    rows = current(tmp_path / "out")
    assert [(r["status"], r["attempts"]) for r in rows] == [("passed", 2), ("graded", 2)]


def test_an_exception_in_the_grader_is_recorded_with_its_traceback(tmp_path):
    members = [class_members(13)[0]]
    report, _ = grade_in_process(write_class(tmp_path, members, "plain"), tmp_path / "out",
                                 launcher="bulk_class:RaisingLauncher")
    (row,) = current(tmp_path / "out")
    assert row["status"] == "infra_error" and row["score"] is None
    assert row["reason"] == "grader error: RuntimeError: simulated grader bug"
    assert "Traceback (most recent call last)" in row["error"] and "bulk_class.py" in row["error"]
    assert report.exit_code == 2


@pytest.mark.parametrize("launcher, reason", [
    ("bulk_class:CrashOnMarkedLauncher", "the grading process exited with code 9"),
    ("bulk_class:HangOnMarkedLauncher", "grading did not finish within 5 s (the grading process was stopped)"),
])
def test_a_crashing_or_hanging_grader_process_only_affects_its_own_submission(tmp_path, launcher, reason):
    members, marked = members_with_marked()
    out = tmp_path / "out"
    report, printed = grade_in_process(write_class(tmp_path, members, "plain"), out, launcher=launcher,
                                       budget=4.0, hard_grace=1.0)
    rows = {r["student"]: r for r in current(out)}
    assert {k: r["status"] for k, r in rows.items()} == {m.user: m.expect for m in members}
    assert rows[marked.user]["reason"].startswith(reason) and rows[marked.user]["score"] is None
    assert report.exit_code == 2
    assert_files_match(out)


def test_grading_processes_that_cannot_set_up_are_reported_not_retried_forever(tmp_path):
    members = [class_members(13)[i] for i in (0, 1, 3, 5)]
    report, _ = grade_in_process(write_class(tmp_path, members, "plain"), tmp_path / "out",
                                 launcher="bulk_class:NoSuchLauncher")
    rows = current(tmp_path / "out")
    assert [r["status"] for r in rows] == ["infra_error"] * 4
    assert all("could not set itself up: AttributeError: module 'bulk_class' has no attribute 'NoSuchLauncher'"
               in r["reason"] for r in rows)
    assert report.exit_code == 2
