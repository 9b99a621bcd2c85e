"""Helpers for the grader's own tests: build zoo submissions, find a check by id."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORRECT = ROOT / "examples" / "correct" / "rnn_layers.py"
ZOO = Path(__file__).resolve().parent / "zoo"


def build_submission(directory: Path, *bugs: str) -> Path:
    """examples/correct + the named bug snippets appended (the last definition wins)."""
    parts = [CORRECT.read_text()] + [(ZOO / "bugs" / f"{b}.py").read_text() for b in bugs]
    path = Path(directory) / "rnn_layers.py"
    path.write_text("\n\n".join(parts))
    return path


def check(result, check_id: str):
    matches = [c for c in result.checks if c.id == check_id]
    assert matches, f"no check {check_id}; have {[c.id for c in result.checks]}"
    return matches[0]
