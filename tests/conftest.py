"""Shared fixtures: grade zoo submissions once per test session."""

from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import pytest

from zoo_helpers import ROOT, ZOO, build_submission

# `rnngrade check` run by the tests keeps its figure cache (grader/render/figure_cache.py) here, not in the
# user's ~/.cache; one folder per test process, so the commands the tests run also exercise cache hits
os.environ.setdefault("RNNGRADE_CACHE_DIR", tempfile.mkdtemp(prefix="rnngrade-test-cache-"))


@functools.lru_cache(maxsize=None)
def _graded(kind: str, name: str, seed: int):
    from grader.engine import grade

    if kind == "bug":
        path = build_submission(Path(tempfile.mkdtemp(prefix="zoo-")), name)
    elif kind == "file":
        path = ZOO / "files" / f"{name}.py"
    else:
        path = ROOT / name
    return grade(str(path), seed=seed)


@pytest.fixture(scope="session")
def graded():
    """graded("bug", "no_bptt_carry_rnn") / graded("file", "python2") / graded("path", "examples/...")."""

    def get(kind: str, name: str, seed: int = 20161):
        return _graded(kind, name, seed)

    return get
