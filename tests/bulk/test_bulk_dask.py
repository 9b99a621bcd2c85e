"""`rnngrade grade --dask ADDRESS`: the same grades as a local run, on a real multi-process Dask
cluster (``LocalCluster(processes=True)``: the payload and the JSON reply really cross process
boundaries and the wire; the workers import rnngrade themselves), with the gradebook still written
by the client alone. Skipped without the optional ``dask`` extra."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from bulk_class import FAST, assert_files_match, class_members, current, grade_in_process, query, write_class  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from grader.bulk import BulkInputError  # noqa: E402
from grader.cli import main  # noqa: E402

PROCESS = "grader.sandbox.isolation:process_launcher"
SANDBOX = "grader.sandbox.isolation:sandbox_launcher"
# correct, buggy, syntax error, no rnn_layers.py (a folder), correct in a folder with a helper
PICK = (0, 1, 4, 10, 12)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c


@pytest.fixture
def client(cluster):
    from distributed import Client

    with Client(cluster.scheduler_address, set_as_default=False) as c:
        yield c


def small(tmp_path: Path, layout: str = "plain"):
    members = [class_members(13)[i] for i in PICK]
    return members, write_class(tmp_path / "src", members, layout)


def comparable(out: Path) -> list[tuple]:
    """Everything about each current grade that must not depend on where it was graded."""
    rows = []
    for r in current(out):
        checks = query(out, "SELECT check_id, status, score, max_score, diagnosis FROM checks WHERE result_id = ? "
                            "ORDER BY check_id", r["result_id"])
        result = json.loads(r["result_json"]) if r["result_json"] else None
        verdicts = sorted((c["id"], c["status"], c["score"], c["message"]) for e in result["exercises"]
                          for c in e["checks"]) if result else None
        rows.append((r["student"], r["status"], r["score"], r["max_score"], r["reason"], r["sha256"], r["config_hash"],
                     r["grader_version"], tuple(checks), verdicts))
    return rows


def test_a_class_graded_on_dask_gets_exactly_the_local_grades_and_resume_skips(tmp_path, cluster):
    members, src = small(tmp_path)
    local, remote = tmp_path / "local", tmp_path / "dask"
    report, printed = grade_in_process(src, local, launcher=PROCESS)
    assert report.exit_code == 0, printed
    report, printed = grade_in_process(src, remote, launcher=PROCESS, dask=cluster.scheduler_address)
    assert report.exit_code == 0, printed
    assert f"Dask {cluster.scheduler_address}: 2 workers, 2 threads" in printed
    assert comparable(remote) == comparable(local)
    assert [r["status"] for r in current(remote)] == sorted_expect(members)
    assert_files_match(remote)
    # the reports and result files are those a local run writes (the same renderer, the same data)
    for r in current(remote):
        result = json.loads((remote / "results" / f"{r['student']}.json").read_text())
        assert result["submission"]["path"] == json.loads((local / "results" / f"{r['student']}.json")
                                                          .read_text())["submission"]["path"]
    # resume: nothing graded again, nothing rewritten
    before = query(remote, "SELECT id, graded_at FROM results ORDER BY id")
    mtimes = {p: p.stat().st_mtime_ns for p in remote.rglob("*") if p.is_file() and "gradebook" not in p.name and p.name != ".rnngrade.lock"}
    report, printed = grade_in_process(src, remote, launcher=PROCESS, dask=cluster.scheduler_address)
    assert report.exit_code == 0 and f"{len(members)} already graded and unchanged, 0 to grade" in printed, printed
    assert query(remote, "SELECT id, graded_at FROM results ORDER BY id") == before
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes
    # --force regrades every one of them on the cluster, replacing (not duplicating) the rows
    report, printed = grade_in_process(src, remote, launcher=PROCESS, dask=cluster.scheduler_address, force=True)
    assert report.exit_code == 0 and f"0 already graded and unchanged, {len(members)} to grade (--force)" in printed
    assert query(remote, "SELECT COUNT(*), COUNT(DISTINCT student) FROM results") == [(len(members), len(members))]
    assert comparable(remote) == comparable(local)


def sorted_expect(members) -> list[str]:
    return [m.expect for m in sorted(members, key=lambda m: m.user)]


def test_the_submission_travels_as_bytes_and_the_payload_is_plain_data(tmp_path, cluster):
    from grader.bulk.cluster import DaskPool
    from grader.bulk.plan import Config

    members, src = small(tmp_path)
    pool = DaskPool(cluster.scheduler_address, {"config": Config().to_settings(), "launcher": PROCESS}, "process")
    try:
        folder = src / members[4].user  # a folder submission: rnn_layers.py + utils.py
        payload = pool.payload({"id": 7, "key": "k", "path": str(folder), "rel": "k", "sha256": "x"}, 180.0, 3)
    finally:
        pool.close()
    assert payload["kind"] == "folder" and set(payload["files"]) == {"rnn_layers.py", "utils.py"}
    assert payload["files"]["rnn_layers.py"] == (folder / "rnn_layers.py").read_bytes()
    assert str(tmp_path) not in repr({k: v for k, v in payload.items() if k != "files"})  # no client path travels
    assert set(payload["settings"]["exercise_tomls"]) >= {"rnn.toml", "clipping.toml"}  # workers need no course files

    def plain(x):
        return x is None or isinstance(x, (str, bytes, int, float, bool)) or (
            isinstance(x, (list, tuple)) and all(map(plain, x))) or (
            isinstance(x, dict) and all(isinstance(k, str) and plain(v) for k, v in x.items()))

    assert plain(payload)


def test_a_worker_with_another_rnngrade_is_an_infrastructure_error_never_a_score_and_a_rerun_grades(
        tmp_path, cluster, monkeypatch):
    import grader.bulk.cluster as cl

    members, src = small(tmp_path)
    out = tmp_path / "out"
    monkeypatch.setattr(cl, "identity", lambda: {"version": "0.0.1", "code_hash": "0123456789abcdef"})
    report, printed = grade_in_process(src, out, launcher=PROCESS, dask=cluster.scheduler_address)
    assert report.exit_code == 2
    rows = current(out)
    assert [r["status"] for r in rows] == ["infra_error"] * len(members)
    assert all(r["score"] is None for r in rows)
    assert all("the client rnngrade 0.0.1" in r["reason"] and "install the same rnngrade" in r["reason"] for r in rows)
    assert not list(out.glob("results/*.json"))
    assert "run the same command again" in printed
    monkeypatch.undo()
    report, printed = grade_in_process(src, out, launcher=PROCESS, dask=cluster.scheduler_address)
    assert report.exit_code == 0 and f"0 already graded and unchanged, {len(members)} to grade" in printed, printed
    assert [r["status"] for r in current(out)] == sorted_expect(members)


def test_a_worker_without_the_sandbox_refuses_a_sandboxed_run(tmp_path, cluster, client):
    def no_sandbox():
        import grader.sandbox.isolation as iso

        iso._saved_probe = getattr(iso, "_saved_probe", iso.sandbox_probe)
        iso.sandbox_probe = lambda: "bubblewrap is blocked on this machine (test)"

    def restore():
        import grader.sandbox.isolation as iso

        iso.sandbox_probe = getattr(iso, "_saved_probe", iso.sandbox_probe)

    members, src = small(tmp_path)
    out = tmp_path / "out"
    client.run(no_sandbox)
    try:
        report, printed = grade_in_process(src, out, launcher=SANDBOX, dask=cluster.scheduler_address)
    finally:
        client.run(restore)
    assert report.exit_code == 2
    rows = current(out)
    assert [r["status"] for r in rows] == ["infra_error"] * len(members) and all(r["score"] is None for r in rows)
    assert all("sandbox isolation level cannot run on the Dask worker" in r["reason"] for r in rows)
    assert all("bubblewrap" in r["reason"] for r in rows)


def _before_grading(student: str, action):
    """For ``client.run``: on every Dask worker, run ``action()`` before grading ``student`` (the others as usual)."""

    def patch(student=student, action=action):
        from grader.bulk import remote

        remote._saved = grade, encode = getattr(remote, "_saved", (remote._grade, remote._encode))

        def _grade(payload, task):
            if task.get("key") == student:
                action()
            return grade(payload, task)

        remote._grade = _grade

    return patch


def _restore_worker():
    from grader.bulk import remote

    if hasattr(remote, "_saved"):
        remote._grade, remote._encode = remote._saved


def test_a_task_that_fails_on_the_worker_costs_only_its_submission(tmp_path, cluster, client):
    members, src = small(tmp_path)
    out = tmp_path / "out"
    broken = members[1].user

    def sabotage(broken=broken):
        from grader.bulk import remote

        remote._saved = grade, encode = getattr(remote, "_saved", (remote._grade, remote._encode))

        def _grade(payload, task):
            return dict(grade(payload, task), _break=task.get("key") == broken)

        def _encode(reply):
            if reply.pop("_break", False):
                raise RuntimeError("the worker broke while answering (test)")  # escapes grade_remote: a task error
            return encode(reply)

        remote._grade, remote._encode = _grade, _encode

    client.run(sabotage)
    try:
        report, printed = grade_in_process(src, out, launcher=PROCESS, dask=cluster.scheduler_address)
    finally:
        client.run(_restore_worker)
    rows = {r["student"]: r for r in current(out)}
    assert rows[broken]["status"] == "infra_error" and rows[broken]["score"] is None  # after Dask's retries
    assert "the Dask task failed" in rows[broken]["reason"] and "the worker broke while answering" in rows[broken]["reason"]
    assert all(rows[m.user]["status"] == m.expect for m in members if m.user != broken)
    assert report.exit_code == 2 and not (out / "results" / f"{broken}.json").exists()


def test_a_worker_dying_mid_task_is_retried_elsewhere(tmp_path, cluster, client):
    members, src = small(tmp_path)
    out = tmp_path / "out"
    doomed = members[0].user

    def die():
        import os

        os._exit(1)  # the whole Dask worker process dies; its nanny starts a fresh (unpatched) one

    # both original workers die on this student (at most 2 deaths, within Dask's allowed-failures of 3);
    # a restarted worker grades it
    client.run(_before_grading(doomed, die))
    try:
        report, printed = grade_in_process(src, out, launcher=PROCESS, dask=cluster.scheduler_address)
    finally:
        client.run(_restore_worker)
    assert report.exit_code == 0, printed
    assert [r["status"] for r in current(out)] == sorted_expect(members)
    assert_files_match(out)


def test_a_task_stuck_on_a_worker_is_given_up_and_the_rest_of_the_class_is_graded(tmp_path, cluster, client,
                                                                                   monkeypatch):
    from grader.bulk import cluster as dask_pool

    members, src = small(tmp_path)
    out = tmp_path / "out"
    stuck = members[2].user

    def hang():
        import time

        time.sleep(600)  # a worker that stops answering: no error, no reply

    monkeypatch.setattr(dask_pool, "stuck_after", lambda hard_seconds, attempts: 4.0)
    monkeypatch.setattr(dask_pool, "CHECK_STUCK_EVERY", 0.2)
    client.run(_before_grading(stuck, hang))
    try:
        report, printed = grade_in_process(src, out, launcher=PROCESS, dask=cluster.scheduler_address)
    finally:
        client.restart()  # the sleeping worker process is replaced (a restarted worker is unpatched)
    rows = {r["student"]: r for r in current(out)}
    assert rows[stuck]["status"] == "infra_error" and rows[stuck]["score"] is None
    assert "did not finish within 4 s of starting on the cluster" in rows[stuck]["reason"]
    assert all(rows[m.user]["status"] == m.expect for m in members if m.user != stuck)
    assert report.exit_code == 2
    # the next run grades it
    report, printed = grade_in_process(src, out, launcher=PROCESS, dask=cluster.scheduler_address)
    assert report.exit_code == 0, printed
    assert [r["status"] for r in current(out)] == sorted_expect(members)


def test_an_unreachable_scheduler_names_the_address_and_the_fix_and_touches_nothing(tmp_path, monkeypatch):
    import grader.bulk.cluster as cl

    monkeypatch.setattr(cl, "CONNECT_SECONDS", 1.0)
    members, src = small(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["grade", str(src), "--out", str(out), "--dask", "tcp://127.0.0.1:1",
                                       "--isolation", "process", *FAST], catch_exceptions=False)
    assert result.exit_code == 2
    assert "error: cannot reach the Dask scheduler at tcp://127.0.0.1:1" in result.stderr
    assert "`dask scheduler`" in result.stderr and "`dask worker tcp://127.0.0.1:1" in result.stderr
    assert not out.exists()  # nothing written, no gradebook


def test_dask_and_jobs_are_exclusive(tmp_path):
    members, src = small(tmp_path)
    result = CliRunner().invoke(main, ["grade", str(src), "--out", str(tmp_path / "out"), "--dask", "tcp://h:8786",
                                       "--jobs", "2", *FAST], catch_exceptions=False)
    assert result.exit_code == 2
    assert "error: --dask and --jobs cannot be used together" in result.stderr
    assert "hint: " in result.stderr and not (tmp_path / "out").exists()


def test_without_the_extra_dask_names_the_pip_command(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    members, src = small(tmp_path)
    result = CliRunner().invoke(main, ["grade", str(src), "--out", str(tmp_path / "out"), "--dask", "tcp://h:8786",
                                       *FAST], catch_exceptions=False)
    assert result.exit_code == 2
    assert "pip install 'rnngrade[dask]'" in result.stderr and not (tmp_path / "out").exists()
    with pytest.raises(BulkInputError):
        from grader.bulk.cluster import require_distributed

        require_distributed()


def test_invalid_replies_are_refused():
    from grader.bulk.cluster import validate_reply

    task = {"id": 3, "sha256": "abc"}
    for text in (b"{}", json.dumps({"id": 4, "status": "passed"}), json.dumps({"id": 3, "status": "excellent"}),
                 json.dumps({"id": 3, "status": "passed", "result_json": "{}", "html": "<html>"}),
                 json.dumps({"id": 3, "status": "passed", "result_json": None, "html": None})):
        with pytest.raises(ValueError):
            validate_reply(text, task)
    ok = validate_reply(json.dumps({"id": 3, "status": "infra_error", "reason": "r", "error": "e", "attempts": 1,
                                    "sha256": "abc", "html": "ignored"}), task)
    assert ok["status"] == "infra_error" and "html" not in ok


def test_ctrl_c_keeps_what_arrived_and_a_rerun_finishes(tmp_path, cluster):
    # loops make the class slow enough to interrupt (1 s per call into the looping function)
    members = [class_members(13)[i] for i in (0, 1, 6, 6, 6)]
    for j, m in enumerate(members[2:]):
        m.user = f"{m.user}x{j}"
    src = write_class(tmp_path / "src", members, "plain")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "grader", "grade", str(src), "--out", str(out), "--dask", cluster.scheduler_address,
           "--isolation", "process", *FAST]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while _committed(out) < 1:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    printed, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, printed
    kept = _committed(out)
    assert 1 <= kept < len(members) and "interrupted" in printed
    assert query(out, "SELECT status FROM runs") == [("interrupted",)]
    assert_files_match(out)
    report, printed = grade_in_process(src, out, launcher=PROCESS, dask=cluster.scheduler_address)
    assert f"{kept} already graded and unchanged, {len(members) - kept} to grade" in printed, printed
    assert report.exit_code == 0 and len(current(out)) == len(members)


def _committed(out: Path) -> int:
    try:
        return query(out, "SELECT COUNT(*) FROM results")[0][0]
    except Exception:  # noqa: BLE001 - not created yet
        return 0


def test_lost_workers_and_cancelled_tasks_become_infrastructure_errors():
    from distributed.scheduler import KilledWorker

    from grader.bulk.cluster import DaskPool

    pool = DaskPool.__new__(DaskPool)  # _outcome only needs the address
    pool.address = "tcp://h:8786"

    class Done:
        def __init__(self, status):
            self.status = status

    task = {"id": 1, "sha256": "abc"}
    class Worker:
        address = "tcp://w:1"

    reply, why = pool._outcome(Done("error"), KilledWorker("rnngrade-x-1", Worker(), 3), task)
    assert reply is None and "the Dask workers grading it kept dying on the Dask cluster at tcp://h:8786" in why
    assert "tcp://w:1" in why
    reply, why = pool._outcome(Done("error"), KilledWorker("rnngrade-x-1", "no address", 3), task)  # str() fails
    assert reply is None and "KilledWorker: (no message)" in why
    reply, why = pool._outcome(Done("cancelled"), None, task)
    assert reply is None and "cancelled" in why
    reply, why = pool._outcome(Done("finished"), {"not": "text"}, task)
    assert reply is None and "invalid reply" in why


def test_the_worker_writes_only_inside_its_private_folder(tmp_path):
    from grader.bulk.remote import write_submission

    path = write_submission(tmp_path, "alice", "folder", {"rnn_layers.py": b"x = 1\n", "pkg/util.py": b"y = 2\n"})
    assert path == tmp_path / "alice" and (path / "pkg" / "util.py").read_bytes() == b"y = 2\n"
    assert write_submission(tmp_path, "bob.zip", "file", {"bob.zip": b"PK"}).read_bytes() == b"PK"
    for name, files in (("../evil", {"a.py": b""}), ("carol", {"../a.py": b""}), ("dave", {"/etc/x.py": b""}),
                        ("..", {"a.py": b""})):
        with pytest.raises(ValueError):
            write_submission(tmp_path, name, "folder", files)
    assert not (tmp_path.parent / "evil").exists() and not (tmp_path / "a.py").exists()


def test_a_scheduler_without_workers_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    from distributed import LocalCluster

    import grader.bulk.cluster as cl

    monkeypatch.setattr(cl, "WORKERS_SECONDS", 1.0)
    members, src = small(tmp_path)
    out = tmp_path / "out"
    with LocalCluster(n_workers=0, processes=True, dashboard_address=None) as empty:
        with pytest.raises(BulkInputError) as err:
            grade_in_process(src, out, launcher=PROCESS, dask=empty.scheduler_address)
    assert f"the Dask scheduler at {empty.scheduler_address} has no workers" in err.value.message
    assert f"dask worker {empty.scheduler_address}" in err.value.hint
    assert not out.exists()
