"""The worker session: whatever the student's code does, the parent keeps control."""

import os
import time

import numpy as np
import pytest

from grader.sandbox import runner
from grader.sandbox.launcher import Limits
from grader.sandbox.runner import WorkerSession

SOURCE = b'''
import os, sys, time
import numpy as np
print("imported")

def add(x, y):
    return x + y

def spin(x):
    while True:
        pass

def sleepy(x):
    import signal
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        signal.signal(s, signal.SIG_IGN)
    time.sleep(60)

def hard_exit(x):
    os._exit(0)

def soft_exit(x):
    sys.exit(0)

def env(x):
    return np.array([len(os.environ.get("RNNGRADE_TEST_SECRET", ""))], dtype=np.float64)

def where(x):
    return os.getcwd()

def hog(x):
    return np.ones((1 << 31,))  # 16 GiB: must hit the address-space limit

def flood(x):
    sys.stdout.write("PASSED 100/100\\n" * 2_000_000)
    sys.stdout.flush()
    return x

def shout(n):
    print("x" * int(n) + "|end of call")
    return n

def mutate(x):
    x += 1
    return x

def make_cache(x):
    return x, [x.copy(), x.copy()]

def touch_cache(dx, cache, grads):
    cache[0] += 1  # the student's own kept object: never sent back
    dx += 1
    grads["a"] *= 2
    return dx

def sneaky_import(x):
    import importlib
    return importlib.import_module("reference")
'''


@pytest.fixture
def session():
    s = WorkerSession({"rnn_layers.py": SOURCE}, "rnn_layers.py", limits=Limits(call_seconds=2.0))
    assert s.start().status == "ready"
    yield s
    s.close()


def test_calls_return_arrays_and_prints_are_captured(session):
    out = session.call("add", [np.ones(2), np.ones(2)], returns=["array"])
    assert out.status == "ok" and np.array_equal(out.value[0], [2.0, 2.0])
    assert "imported" in session.output


def test_output_is_complete_the_moment_start_or_a_call_returns(monkeypatch):
    # A forked grading copy subtracts the import's output by its length right after start(), and the
    # result's output is read before the worker closes: neither may depend on when the thread that
    # drains the pipe gets to run (on a loaded machine it ran late and the import output came twice).
    drain = runner._OutputDrain.run

    def late(self):
        time.sleep(0.5)
        drain(self)

    monkeypatch.setattr(runner._OutputDrain, "run", late)
    limits = Limits(call_seconds=10.0, output_kept_bytes=1 << 20)
    for _ in range(2):
        with WorkerSession({"rnn_layers.py": SOURCE}, "rnn_layers.py", limits=limits) as s:
            assert s.start().status == "ready" and s.output == "imported\n"
            for n in (10, 5000, 60_000):
                assert s.call("shout", [n]).status == "ok"
                assert s.output.endswith("x" * n + "|end of call\n")


def test_spin_loop_times_out_and_the_next_call_gets_a_fresh_worker(session):
    t0 = time.monotonic()
    assert session.call("spin", [1]).status == "timeout"
    assert time.monotonic() - t0 < 5
    assert session.call("add", [1, 2]).value == [3]
    assert session.restarts == 1


def test_signals_ignored_still_killed(session):
    pid = session.proc.pid
    assert session.call("sleepy", [1], seconds=0.5).status == "timeout"
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_exits_are_errors_not_answers(session):
    soft = session.call("soft_exit", [1])
    assert soft.status == "error" and soft.exc_type == "SystemExit"
    hard = session.call("hard_exit", [1])
    assert hard.status == "crashed" and "exited with code 0" in hard.detail
    assert session.call("add", [1, 2]).status == "ok"


def test_environment_is_scrubbed_and_cwd_is_a_temp_dir(monkeypatch):
    monkeypatch.setenv("RNNGRADE_TEST_SECRET", "hunter2")
    with WorkerSession({"rnn_layers.py": SOURCE}, "rnn_layers.py") as s:
        s.start()
        assert s.call("env", [1], returns=["array"]).value[0][0] == 0.0
        cwd = s.call("where", [1]).value[0]
        assert "rnngrade-" in cwd and cwd != os.getcwd()


def test_memory_limit_turns_a_hog_into_an_error(session):
    out = session.call("hog", [1], returns=["array"])
    assert out.status == "error" and out.exc_type == "MemoryError"


def test_output_flood_is_capped_and_kills_the_worker():
    limits = Limits(call_seconds=10.0, output_kept_bytes=1000, output_kill_bytes=100_000)
    with WorkerSession({"rnn_layers.py": SOURCE}, "rnn_layers.py", limits=limits) as s:
        s.start()
        out = s.call("flood", [1])
        assert out.status in ("crashed", "timeout")
        assert s.flooded
        assert "more bytes of output not kept" in s.output
        assert len(s.output) < 2000


def test_inputs_are_copies_and_mutation_is_visible_in_the_echo(session):
    x = np.zeros(3)
    out = session.call("mutate", [x], returns=["array"], echo=True)
    assert np.array_equal(x, np.zeros(3))  # the parent's array is untouched
    assert np.array_equal(out.echo[0], np.ones(3))


def test_the_echo_leaves_out_what_the_parent_sent_as_a_handle(session):
    _, cache = session.call("make_cache", [np.zeros(4)], returns=["array", "handle"]).value
    out = session.call("touch_cache", [np.zeros(4), cache, {"a": np.ones(2), "b": np.ones(2)}], returns=["array"],
                       echo=True)
    assert out.status == "ok"
    dx, kept, grads = out.echo
    assert np.array_equal(dx, np.ones(4)) and kept is None  # a cache of every step's arrays cost more than the call
    assert np.array_equal(grads["a"], [2.0, 2.0]) and np.array_equal(grads["b"], [1.0, 1.0])


def test_grader_packages_cannot_be_imported_even_dynamically(session):
    out = session.call("sneaky_import", [1])
    assert out.status == "error" and "not allowed" in out.exc_msg


def test_isolation_level_is_reported(session):
    assert session.isolation == "process"
