"""Shared fixtures: build zoo submissions and grade them once per test session."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORRECT = ROOT / "examples" / "correct" / "rnn_layers.py"
ZOO = Path(__file__).resolve().parent / "zoo"


def build_submission(directory: Path, *bugs: str) -> Path:
    """examples/correct + the named bug snippets appended (the last definition wins)."""
    parts = [CORRECT.read_text()] + [(ZOO / "bugs" / f"{b}.py").read_text() for b in bugs]
    path = Path(directory) / "rnn_layers.py"
    path.write_text("\n\n".join(parts))
    return path


@functools.lru_cache(maxsize=None)
def _graded(key: tuple, seed: int):
    import tempfile

    from grader.engine import grade

    kind, name = key
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
        return _graded((kind, name), seed)

    return get


def check(result, check_id: str):
    matches = [c for c in result.checks if c.id == check_id]
    assert matches, f"no check {check_id}; have {[c.id for c in result.checks]}"
    return matches[0]
