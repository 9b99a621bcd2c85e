"""Grade zoo submissions on the dynamics and training exercises only, once per test session."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest

from zoo_helpers import CORRECT, ROOT, build_submission

DYNAMICS = ("dynamics",)


@functools.lru_cache(maxsize=None)
def _graded(bugs: tuple, exercises: tuple, extra: str, path: str, thorough: bool):
    from grader.engine import grade

    if path:
        target = ROOT / path
    else:
        folder = Path(tempfile.mkdtemp(prefix="dyn-"))
        target = build_submission(folder, *bugs)
        if extra:
            target.write_text(target.read_text() + "\n\n" + extra)
    return grade(str(target), list(exercises), thorough=thorough)


@pytest.fixture(scope="session")
def dyn():
    """dyn(*bugs, exercises=DYNAMICS, extra="", path="", thorough=False) -> GradeResult (cached)."""

    def get(*bugs, exercises=DYNAMICS, extra="", path="", thorough=False):
        return _graded(tuple(bugs), tuple(exercises), extra, path, thorough)

    return get


@pytest.fixture(scope="session")
def correct_source() -> str:
    return CORRECT.read_text()
