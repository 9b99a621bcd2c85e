"""Workers forked from a preloaded template (grader/sandbox/template.py).

No student's state may reach the next worker, the fallback to spawning must work whenever the
template cannot, and a forked worker is fenced in like a spawned one.
"""

import os

import numpy as np
import pytest

from grader.sandbox import template as tpl
from grader.sandbox.launcher import Limits, ProcessLauncher
from grader.sandbox.runner import WorkerSession

SOURCE = b'''
import os, sys
import numpy as np

COUNT = [0]

def bump(x):
    COUNT[0] += 1
    return COUNT[0]

def taint(x):
    # everything a student could leave behind in their own process
    np.add = lambda a, b: 42
    import collections
    collections.TAINT = "tainted"
    os.environ["RNNGRADE_TAINT"] = "1"
    sys.path.insert(0, "/tainted")
    with open("left-behind.txt", "w") as fh:
        fh.write("x")
    import builtins
    builtins.TAINT = True
    return 1

def state(x):
    import builtins, collections
    return [float(np.add(1, 1)), getattr(collections, "TAINT", 1), os.environ.get("RNNGRADE_TAINT", ""),
            "/tainted" in sys.path, os.path.exists("left-behind.txt"), hasattr(builtins, "TAINT")]

def fds(x):
    return sorted(int(f) for f in os.listdir("/proc/self/fd"))

def ids(x):
    return [os.getuid(), os.geteuid(), os.getsid(0) == os.getpid(), os.getpgid(0) == os.getpid(), os.getppid()]

def where(x):
    import json
    return [os.getcwd(), os.environ.get("HOME", ""), os.environ.get("RNNGRADE_TEST_SECRET", ""), len(sys.argv),
            json.loads(sys.argv[1])["workdir"]]

def rand(x):
    return float(np.random.rand())

def spin(x):
    while True:
        pass

def hard_exit(x):
    os._exit(3)

def segv(x):
    import ctypes
    ctypes.string_at(0)

def sneaky_import(x):
    import importlib
    return importlib.import_module("reference")
'''


def _session(launcher, **kw):
    return WorkerSession({"rnn_layers.py": SOURCE}, "rnn_layers.py", launcher=launcher,
                         limits=Limits(call_seconds=3.0), **kw)


@pytest.fixture
def launcher(monkeypatch):
    monkeypatch.setenv("RNNGRADE_TEMPLATE", "1")
    lau = ProcessLauncher()
    with _session(lau) as first:  # the first worker of a launcher is spawned; the template comes with the second
        assert first.start().status == "ready" and not first.forked
    yield lau
    lau.close()


def _forked(launcher):
    s = _session(launcher)
    assert s.start().status == "ready"
    assert s.forked, "expected a worker forked from the template"
    return s


def test_a_students_state_never_reaches_the_next_worker(launcher):
    with _forked(launcher) as a:
        assert a.call("bump", [0]).value == [1]
        assert a.call("bump", [0]).value == [2]
        assert a.call("taint", [0]).status == "ok"
        assert a.call("state", [0]).value == [42.0, "tainted", "1", True, True, True]
    with _forked(launcher) as b:
        assert b.call("bump", [0]).value == [1]
        assert b.call("state", [0]).value == [2.0, 1, "", False, False, False]


def test_each_worker_is_a_new_process_with_fresh_random_seeds(launcher):
    pids, draws = set(), set()
    for _ in range(3):
        with _forked(launcher) as s:
            pids.add(s.proc.pid)
            draws.add(s.call("rand", [0]).value[0])
    assert len(pids) == 3 and len(draws) == 3


def test_forked_worker_is_fenced_in_like_a_spawned_one(launcher, monkeypatch):
    monkeypatch.setenv("RNNGRADE_TEST_SECRET", "hunter2")
    with _forked(launcher) as s:
        opened = s.call("fds", [0]).value
        # 0-2, the two protocol descriptors, the listing's own descriptor, and (root with a slot uid
        # reaching the interpreter through a descriptor) that descriptor: nothing of the template or grader
        assert opened[:5] == [0, 1, 2, 3, 4] and len(opened) <= 7
        uid, euid, session_leader, group_leader, ppid = s.call("ids", [0]).value
        assert session_leader and group_leader and ppid != os.getpid()  # its own session; the template's child
        cwd, home, secret, argc, workdir = s.call("where", [0]).value
        assert "rnngrade-" in cwd and home == cwd and secret == ""
        assert argc == 2 and workdir == cwd  # argv as a spawned worker's: the script and its config
        assert "not allowed" in s.call("sneaky_import", [0]).exc_msg


def test_timeouts_and_crashes_of_a_forked_worker(launcher):
    with _forked(launcher) as s:
        pid = s.proc.pid
        assert s.call("spin", [0], seconds=0.5).status == "timeout"
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        out = s.call("hard_exit", [0])
        assert out.status == "crashed" and "exited with code 3" in out.detail
        assert s.forked  # the restart was forked too
        out = s.call("segv", [0])
        assert out.status == "crashed" and "SIGSEGV" in out.detail
        assert s.call("bump", [0]).value == [1]


def test_fallback_when_templates_are_off(monkeypatch):
    monkeypatch.setenv("RNNGRADE_TEMPLATE", "0")
    lau = ProcessLauncher()
    for _ in range(2):
        with _session(lau) as s:
            assert s.start().status == "ready" and not s.forked
            assert s.call("bump", [0]).value == [1]
    assert getattr(lau, "_template", None) is None


def test_fallback_when_the_template_cannot_start(monkeypatch):
    monkeypatch.setenv("RNNGRADE_TEMPLATE", "1")

    class Broken:
        def __init__(self, *a, **k):
            raise tpl.TemplateError("no template today")

    monkeypatch.setattr(tpl, "Template", Broken)
    lau = ProcessLauncher()
    for _ in range(3):
        with _session(lau) as s:
            assert s.start().status == "ready" and not s.forked
            assert s.call("bump", [0]).value == [1]


def test_fallback_when_the_template_died(launcher):
    _forked(launcher).close()
    launcher._template.proc.kill()
    launcher._template.proc.wait()
    with _session(launcher) as s:  # the dead template is noticed: this worker gets a new one (or is spawned)
        assert s.start().status == "ready"
        assert s.call("bump", [0]).value == [1]
    with _forked(launcher) as s:
        assert s.call("bump", [0]).value == [1]


def test_a_template_that_stops_answering_is_dropped(launcher):
    import signal

    _forked(launcher).close()
    stopped = launcher._template.proc
    stopped.send_signal(signal.SIGSTOP)
    with _session(launcher) as s:
        assert s.start().status == "ready" and not s.forked  # spawned after the answer timeout
        assert s.call("bump", [0]).value == [1]
    assert stopped.poll() is not None  # the stopped template was ended, not left behind
    with _forked(launcher) as s:  # and the next one comes from a new template
        assert s.call("bump", [0]).value == [1]


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid drop needs root")
def test_slot_uid_drop_applies_to_forked_workers(monkeypatch):
    from grader.sandbox.uids import SlotProcessLauncher

    monkeypatch.setenv("RNNGRADE_TEMPLATE", "1")
    lau = SlotProcessLauncher()
    try:
        for i in range(2):
            with _session(lau) as s:
                assert s.start().status == "ready"
                assert s.forked == (i == 1)
                uid, euid, *_ = s.call("ids", [0]).value
                if lau.uid is not None:
                    assert uid == euid == lau.uid
                    assert s.call("fds", [0]).status == "ok"
        if lau.uid is not None:
            with open(f"/proc/{lau._template.proc.pid}/status") as fh:
                assert "Uid:\t0\t" in fh.read()  # the template stays the grader's: workers cannot signal or trace it
    finally:
        lau.close()


def test_start_seconds_is_recorded(launcher):
    with _forked(launcher) as s:
        assert isinstance(s.start_seconds, float) and s.start_seconds > 0
