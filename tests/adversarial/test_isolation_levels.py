"""The isolation levels themselves: what the sandbox shows, uids per slot, the probe and its fallback,
the command-line option, and infrastructure failures that must never become a student's grade."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from adversarial_helpers import REPO, SUBMISSIONS, make_launcher, sandbox_reason, wait_no_processes

CORRECT = REPO / "examples" / "correct" / "rnn_layers.py"

PEEK = b'''
import os, sys, numpy as np

def rnn_forward(x, h0, Wx, Wh, b):
    raise RuntimeError(repr({
        "uid": os.getuid(), "root": sorted(os.listdir("/")), "tmp_is_small": os.statvfs("/tmp").f_blocks * os.statvfs("/tmp").f_frsize,
        "shm": os.statvfs("/dev/shm").f_blocks * os.statvfs("/dev/shm").f_frsize,
        "site": sorted(os.listdir(os.path.dirname(os.path.dirname(np.__file__)))),
        "procs": sorted(p for p in os.listdir("/proc") if p.isdigit()),
        "env": sorted(os.environ), "caps": open("/proc/self/status").read().split("CapEff:")[1].split()[0],
        "repo": os.path.exists(%r), "hostname": os.uname().nodename,
    }))
''' % str(REPO).encode()


def _peek(level):
    from grader.sandbox.runner import WorkerSession

    launcher = make_launcher(level)
    uid = launcher.uid
    try:
        with WorkerSession({"rnn_layers.py": PEEK}, "rnn_layers.py", launcher=launcher) as s:
            assert s.start().status == "ready"
            out = s.call("rnn_forward", [1, 2, 3, 4, 5])
        assert out.status == "error", out
        import ast

        if level == "process":  # the host's view is long (the message is cut at 2000 characters): the uid only
            import re

            return {"uid": int(re.search(r"'uid': (\d+)", out.exc_msg).group(1))}, uid
        return ast.literal_eval(out.exc_msg), uid
    finally:
        launcher.close()


def test_the_sandbox_shows_only_python_numpy_and_the_submission():
    if sandbox_reason():
        pytest.skip(f"bubblewrap sandbox unavailable here: {sandbox_reason()}")
    seen, uid = _peek("sandbox")
    assert not seen["repo"], "the grader's source tree is visible in the sandbox"
    assert set(seen["root"]) <= {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "tmp", "proc", "dev",
                                 "rnngrade", *[p.split("/")[1] for p in [sys.base_prefix, sys.prefix]]}
    assert set(seen["site"]) <= {"numpy", "numpy.libs"}, seen["site"]  # no grader, no other packages, no .pth hooks
    assert seen["tmp_is_small"] <= 64 << 20 and seen["shm"] <= 1 << 20
    assert len(seen["procs"]) <= 3, "other processes are visible"  # bwrap's init, the worker (and its child)
    assert seen["caps"] == "0000000000000000"
    assert seen["hostname"] == "rnngrade"
    assert "RNNGRADE_TEST_SECRET" not in seen["env"] and "HOME" in seen["env"]
    if os.geteuid() == 0:
        assert uid is not None and seen["uid"] == uid != 0


def test_the_process_level_drops_to_a_slot_uid_when_root():
    if os.geteuid() != 0:
        pytest.skip("only a root grader drops to per-slot uids")
    seen, uid = _peek("process")
    assert uid is not None and seen["uid"] == uid != 0, "student code runs as root at process level"


def test_each_slot_gets_its_own_uid_and_gives_it_back():
    if os.geteuid() != 0:
        pytest.skip("only a root grader drops to per-slot uids")
    from grader.sandbox.uids import SlotProcessLauncher

    a, b = SlotProcessLauncher().for_slot(0), SlotProcessLauncher().for_slot(1)
    try:
        a.describe(), b.describe()
        assert a.uid is not None and b.uid is not None and a.uid != b.uid
        a.close()
        c = SlotProcessLauncher()
        c.describe()
        assert c.uid is not None and c.uid != b.uid
        c.close()
    finally:
        a.close()
        b.close()


def test_results_record_the_level_actually_used():
    from grader.engine import grade
    from grader.sandbox.isolation import choose_launcher

    launcher = choose_launcher("auto")
    expected = "process" if sandbox_reason() else "sandbox"
    assert launcher.level == expected
    result = grade(str(CORRECT), ["clipping"], launcher=launcher)
    assert result.isolation == expected and result.all_passed


def _cli(*args, env_extra=None, cwd=None):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=300,
                          env=env, cwd=cwd)


def test_auto_falls_back_to_process_with_a_warning_and_records_it(tmp_path):
    p = _cli("check", str(CORRECT), "-e", "clipping", "--no-html", "--json", str(tmp_path / "r.json"),
             env_extra={"RNNGRADE_BWRAP": "/nonexistent/bwrap"})
    assert p.returncode == 0, p.stdout + p.stderr
    assert "only the `process` isolation level is in use" in p.stderr and "apt-get install bubblewrap" in p.stderr
    assert json.loads((tmp_path / "r.json").read_text())["isolation"] == "process"


def test_an_explicit_sandbox_that_cannot_run_is_a_usage_error(tmp_path):
    p = _cli("check", str(CORRECT), "-e", "clipping", "--no-html", "--isolation", "sandbox",
             env_extra={"RNNGRADE_BWRAP": "/nonexistent/bwrap"})
    assert p.returncode == 2
    assert "the sandbox level cannot run here" in p.stderr and "--isolation process" in p.stderr


def test_grade_warns_prominently_when_only_process_is_available(tmp_path):
    src = tmp_path / "class"
    src.mkdir()
    (src / "alice.py").write_bytes(CORRECT.read_bytes())
    p = _cli("grade", str(src), "--out", str(tmp_path / "out"), "-e", "clipping", "--isolation", "process",
             "--progress", "none", "--jobs", "1")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "WARNING: only the `process` isolation level is in use" in p.stderr
    assert "!" * 40 in p.stderr
    result = json.loads(next((tmp_path / "out" / "results").glob("*.json")).read_text())
    assert result["isolation"] == "process"


def test_forged_pass_lines_do_not_change_the_verdict_or_exit_code(tmp_path):
    level = "process" if sandbox_reason() else "sandbox"
    p = _cli("check", str(SUBMISSIONS / "output_flood.py"), "-e", "rnn", "--no-html", "--json", str(tmp_path / "r.json"),
             "--isolation", level, cwd=tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "All checks passed" not in p.stdout
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["score"] < result["max_score"]
    assert "All checks passed: 87 / 87" in result["output"]  # kept as the student's output, nothing more


def test_a_sandbox_that_breaks_mid_run_is_an_infrastructure_error_never_a_zero(tmp_path):
    """A worker that dies before it says "started" (bubblewrap refused, numpy missing) is the grader's
    problem; the student cannot forge that, because their code only runs after that message."""
    from grader.engine import grade
    from grader.sandbox.bwrap import SandboxLauncher

    launcher = SandboxLauncher(bwrap="/bin/false")  # "starts", then exits 1 at once, like a refused bwrap
    launcher._ready, launcher.note = True, "broken on purpose"
    launcher.bwrap_args = lambda config: ["/bin/false"]
    result = grade(str(CORRECT), ["clipping"], launcher=launcher)
    assert all(c.metrics.get("infrastructure") for c in result.checks)
    assert all(c.score == 0 and "not your fault" in c.message for c in result.checks)
    assert result.isolation == "sandbox"


def test_exit_at_import_is_the_students_fault_not_the_infrastructures():
    from grader.engine import grade

    for level in ("process",) + (() if sandbox_reason() else ("sandbox",)):
        launcher = make_launcher(level)
        try:
            result = grade(str(SUBMISSIONS / "exit_import_os.py"), ["clipping"], launcher=launcher)
        finally:
            launcher.close()
        assert not any(c.metrics.get("infrastructure") for c in result.checks)
        assert all(c.status == "error" and "could not be imported" in c.message for c in result.checks)


def test_workers_leave_no_process_behind_after_a_normal_run():
    from grader.engine import grade

    for level in ("process",) + (() if sandbox_reason() else ("sandbox",)):
        launcher = make_launcher(level)
        try:
            grade(str(SUBMISSIONS / "setsid_daemon.py"), ["clipping"], launcher=launcher)
            # checked while the uid is still ours: once released, another test may claim it
            assert not wait_no_processes(launcher.uid), level
        finally:
            launcher.close()


def test_a_root_grader_that_cannot_drop_its_uid_says_so_loudly(monkeypatch):
    """When the interpreter cannot run as a slot uid, the uid drop is skipped with the reason, and the
    warning of `rnngrade grade` says that student code runs as root."""
    if os.geteuid() != 0:
        pytest.skip("only a root grader drops to per-slot uids")
    from grader.engine import grade
    from grader.sandbox import uids
    from grader.sandbox.isolation import weak_isolation_warning

    monkeypatch.setattr(uids, "runtime_access", lambda uid: uids.RuntimeAccess("", reason="simulated: no way in"))
    launcher = uids.SlotProcessLauncher()
    try:
        launcher.describe()
        assert launcher.uid is None and "NO uid drop: simulated: no way in; student code runs as root" in launcher.note
        assert "student code runs as root" in weak_isolation_warning(launcher)
        assert grade(str(CORRECT), ["clipping"], launcher=launcher).all_passed  # still grades, at process level
    finally:
        launcher.close()


def test_the_sandbox_works_for_a_python_installed_under_tmp(tmp_path):
    """A virtualenv under /tmp (common in CI) was hidden by the sandbox's own /tmp tmpfs, mounted after
    the interpreter: 'bwrap: execvp /tmp/.../bin/python: No such file or directory', so grading fell back
    to the process level. The venv sees this checkout's grader and numpy through the base site-packages."""
    if sandbox_reason():
        pytest.skip(sandbox_reason())
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rnngrade-venv-", dir="/tmp") as venv:
        os.chmod(venv, 0o755)  # as a venv made by hand would be (the worker's uid must read it)
        subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], check=True)
        python = os.path.join(venv, "bin", "python")
        code = ("import sys; sys.path.insert(0, %r)\n"
                "from grader.sandbox.isolation import sandbox_probe\n"
                "print('PROBE:' + sandbox_probe())" % str(REPO))
        p = subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert p.returncode == 0, p.stderr
        assert sys.prefix != venv and p.stdout.strip().endswith("PROBE:"), p.stdout + p.stderr
