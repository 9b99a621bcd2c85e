"""Resumability: SIGKILL at any moment then rerun; --force; changed submissions and settings;
files repaired from the gradebook without regrading."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bulk_class import (
    FAST,
    assert_files_match,
    class_members,
    current,
    grade_in_process,
    query,
    rnngrade,
    student_key,
    write_class,
)

MIX = [i for i in range(13) if i not in (6, 8)]  # no loops or bombs: this is about commits, not limits


def small_class(tmp_path: Path, n: int = 8, layout: str = "plain"):
    members = [m for m in class_members(26, notebook=False, resubmission=False) if int(m.uid) - 1000 in
               [i + 13 * k for k in range(2) for i in MIX]][:n]
    return members, write_class(tmp_path / "src", members, layout)


def start(src: Path, out: Path, *extra) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "grader", "grade", str(src), "--out", str(out), "--jobs", "2", *FAST, *extra]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def committed(out: Path) -> int:
    try:
        return query(out, "SELECT COUNT(*) FROM results")[0][0]
    except Exception:  # noqa: BLE001 - the gradebook may not exist yet, or be mid-migration
        return -1


def kill_when(proc: subprocess.Popen, out: Path, condition, timeout: float = 120) -> bool:
    """SIGKILL the run (and its grading processes) once ``condition(out)`` holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while not condition(out):
        if proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def assert_complete(out: Path, members, layout: str = "plain") -> None:
    rows = {r["student"]: r for r in current(out)}
    assert set(rows) == {student_key(m, layout) for m in members}
    for m in members:
        r = rows[student_key(m, layout)]
        assert r["status"] == m.expect and r["result_id"] is not None
    assert query(out, "SELECT COUNT(*), COUNT(DISTINCT student) FROM results") == [(len(members), len(members))]
    assert_files_match(out)


def test_sigkill_at_any_moment_then_rerun_grades_every_submission_exactly_once(tmp_path):
    members, src = small_class(tmp_path)
    out = tmp_path / "out"
    kills, seen = 0, []
    # kill before any commit, then after every third new commit, until a run finishes on its own
    conditions = [lambda o: committed(o) == 0 and query(o, "SELECT COUNT(*) FROM runs")[0][0] > 0]
    while True:
        target = committed(out) + 3 if kills else None
        cond = conditions[0] if not kills else (lambda o, t=target: committed(o) >= t)
        before = query(out, "SELECT id, student, graded_at FROM results ORDER BY id") if out.exists() else []
        proc = start(src, out)
        if not kill_when(proc, out, cond):
            assert proc.returncode == 0
            break
        kills += 1
        after = query(out, "SELECT id, student, graded_at FROM results ORDER BY id")
        assert after[:len(before)] == before  # committed results are never lost, changed or regraded
        seen.append(len(after))
        assert_files_match(out, exact=False)  # after any kill: every committed row has its files
        assert kills < 20
    assert kills >= 2, seen
    assert_complete(out, members)
    statuses = [s for (s,) in query(out, "SELECT status FROM runs ORDER BY id")]
    assert statuses[-1] == "finished" and statuses[:-1] == ["running"] * kills
    graded = sum(n for (n,) in query(out, "SELECT graded FROM runs"))
    assert graded == len(members) - seen[-1]  # only the last run's own gradings are counted; none twice
    proc = rnngrade("grade", src, "--out", out, "--jobs", 2, *FAST)
    assert f"{len(members)} already graded and unchanged, 0 to grade" in proc.stdout


def test_force_regrades_everything_and_an_interrupted_force_is_finished_by_a_plain_rerun(tmp_path):
    members, src = small_class(tmp_path, n=4)
    out = tmp_path / "out"
    assert grade_in_process(src, out)[0].exit_code == 0
    # compare the run that produced each row: SQLite may reuse a deleted row's id, so ids prove nothing
    first = dict(query(out, "SELECT student, run_id FROM results"))
    report, printed = grade_in_process(src, out, force=True)
    assert report.exit_code == 0 and "0 already graded and unchanged, 4 to grade (--force)" in printed
    second = dict(query(out, "SELECT student, run_id FROM results"))
    assert set(second) == set(first) and all(second[k] != first[k] for k in first)  # replaced, not duplicated
    assert_complete(out, members)
    # --force killed after one regrade: the rest stays stale and a plain rerun regrades only those
    proc = start(src, out, "--force")
    killed = kill_when(proc, out, lambda o: query(o, "SELECT COUNT(*) FROM results WHERE stale = 0 AND run_id = 3")[0][0] >= 1)
    assert killed
    fresh = query(out, "SELECT COUNT(*) FROM results WHERE stale = 0")[0][0]
    proc = rnngrade("grade", src, "--out", out, "--jobs", 2, *FAST)
    assert f"{fresh} already graded and unchanged, {4 - fresh} to grade" in proc.stdout
    assert_complete(out, members)
    assert query(out, "SELECT COUNT(*) FROM results WHERE stale = 1") == [(0,)]


def test_only_changed_submissions_and_changed_settings_are_regraded(tmp_path):
    members, src = small_class(tmp_path, n=3)
    out = tmp_path / "out"
    assert grade_in_process(src, out)[0].exit_code == 0
    changed = members[1]  # buggy -> fixed
    (src / f"{changed.user}.py").write_text(members[0].files["rnn_layers.py"])
    report, printed = grade_in_process(src, out)
    assert "2 already graded and unchanged, 1 to grade" in printed, printed
    rows = {r["student"]: r for r in current(out)}
    assert rows[changed.user]["status"] == "passed"
    assert query(out, "SELECT COUNT(*) FROM results WHERE student = ?", changed.user) == [(2,)]  # history kept
    assert_files_match(out)
    report, printed = grade_in_process(src, out, budget=60.0)
    assert "0 already graded and unchanged, 3 to grade" in printed, printed  # another configuration hash
    assert len({r["config_hash"] for r in current(out)}) == 1


def test_missing_or_stale_files_are_rewritten_from_the_gradebook_without_regrading(tmp_path):
    members, src = small_class(tmp_path, n=3)
    out = tmp_path / "out"
    report, printed = grade_in_process(src, out)
    assert report.exit_code == 0, printed
    ids = query(out, "SELECT id, graded_at FROM results ORDER BY id")
    key0, key1 = (student_key(m, "plain") for m in members[:2])
    (out / "reports" / f"{key0}.html").unlink()
    (out / "results" / f"{key1}.json").write_text('{"half": "written"}')
    (out / "grades.csv").unlink()
    report, printed = grade_in_process(src, out)
    assert "3 already graded and unchanged (2 with their files rewritten), 0 to grade" in printed, printed
    assert query(out, "SELECT id, graded_at FROM results ORDER BY id") == ids
    assert_files_match(out)
    assert (out / "grades.csv").is_file()
