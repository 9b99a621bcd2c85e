"""Large arrays from the heap, not a fresh mmap each (grader/memtune.py): set for the worker through
its environment and for the grader through mallopt. Speed is measured by benchmarks/run.py, not here."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

from grader.engine import grade
from grader.memtune import WORKER_ENV, tune_this_process
from grader.sandbox.isolation import choose_launcher

ROOT = Path(__file__).resolve().parent.parent
GLIBC = platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="mallopt and GLIBC_TUNABLES are glibc's")
def test_the_grader_process_accepts_the_thresholds():
    assert tune_this_process() is True


def test_the_worker_starts_with_the_tunables(tmp_path):
    source = (ROOT / "examples" / "correct" / "rnn_layers.py").read_text()
    source += "\nimport os\nprint('TUNABLES=' + repr(os.environ.get('GLIBC_TUNABLES')))\n"
    (tmp_path / "rnn_layers.py").write_text(source)
    result = grade(str(tmp_path / "rnn_layers.py"), ["clipping"], launcher=choose_launcher("process"))
    assert result.score == result.max_score
    assert f"TUNABLES={WORKER_ENV['GLIBC_TUNABLES']!r}" in result.output
