"""The sandbox probe's success is remembered on disk (grader/sandbox/probe_cache.py): the probe is
skipped while nothing it depends on changed, and runs again when anything did."""

import os
import time

import numpy as np
import pytest

from grader.sandbox import isolation, probe_cache
from grader.sandbox.bwrap import SandboxLauncher


@pytest.fixture
def probes(tmp_path, monkeypatch):
    """Counts real probes; the sandbox 'works' unless the test says otherwise."""
    fake_bwrap = tmp_path / "bwrap"
    fake_bwrap.write_text("#!/bin/sh\n")
    monkeypatch.setenv("RNNGRADE_BWRAP", str(fake_bwrap))
    monkeypatch.setenv("RNNGRADE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNGRADE_PROBE_CACHE", raising=False)
    state = {"calls": 0, "reason": "", "bwrap": fake_bwrap}

    def probe(self, timeout=30.0):
        state["calls"] += 1
        return state["reason"]

    monkeypatch.setattr(SandboxLauncher, "probe", probe)

    def run():
        isolation.sandbox_probe.cache_clear()  # as a new `check` process would
        return isolation.sandbox_probe()

    state["run"] = run
    yield state
    isolation.sandbox_probe.cache_clear()


def test_a_success_is_remembered_and_the_next_run_skips_the_probe(probes):
    assert probes["run"]() == "" and probes["calls"] == 1
    assert probes["run"]() == "" and probes["calls"] == 1
    assert len(list((probe_cache.directory()).glob("sandbox-works-*"))) == 1


def test_a_failure_is_not_remembered(probes):
    probes["reason"] = "bubblewrap is blocked (test)"
    assert probes["run"]() == "bubblewrap is blocked (test)"
    assert probes["run"]() == "bubblewrap is blocked (test)" and probes["calls"] == 2


def test_a_changed_bubblewrap_or_an_old_entry_probes_again(probes):
    probes["run"]()
    later = time.time() + 5
    os.utime(probes["bwrap"], (later, later))  # e.g. bubblewrap upgraded
    probes["run"]()
    assert probes["calls"] == 2
    probes["run"]()
    assert probes["calls"] == 2  # the new facts are remembered too
    day_ago = time.time() - probe_cache.MAX_AGE_SECONDS - 60
    for entry in probe_cache.directory().glob("sandbox-works-*"):
        os.utime(entry, (day_ago, day_ago))
    probes["run"]()
    assert probes["calls"] == 3


def test_the_cache_can_be_turned_off(probes, monkeypatch):
    monkeypatch.setenv("RNNGRADE_PROBE_CACHE", "0")
    probes["run"]()
    probes["run"]()
    assert probes["calls"] == 2 and probe_cache.directory() is None


def test_a_sandboxed_worker_that_cannot_start_forgets_the_success(probes):
    from grader.sandbox.runner import WorkerSession

    probes["run"]()
    assert list(probe_cache.directory().glob("sandbox-works-*"))
    launcher = SandboxLauncher(bwrap="/bin/false")  # "starts", then exits 1 at once, like a refused bwrap
    launcher._ready, launcher.note = True, "broken on purpose"
    launcher.bwrap_args = lambda config: ["/bin/false"]
    try:
        with WorkerSession({"rnn_layers.py": b"import numpy as np\n"}, "rnn_layers.py", launcher=launcher) as s:
            assert s.start().status == "infra_error"
            assert s.call("f", [np.zeros(1)]).status == "infra_error"
    finally:
        launcher.close()
    assert not list(probe_cache.directory().glob("sandbox-works-*"))
    probes["run"]()
    assert probes["calls"] == 2  # probed again
