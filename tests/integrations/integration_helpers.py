"""Shared helpers of the integration tests: cached gradings of zoo submissions, synthetic results."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from zoo_helpers import CORRECT, ROOT, ZOO, build_submission

from grader.results import CheckResult, ExerciseResult, Frame, GradeResult, LoadNote, SubmissionInfo

BUGGY = ROOT / "examples" / "bptt_bug" / "rnn_layers.py"
EXIT_AT_IMPORT = ZOO / "files" / "exit_at_import.py"
HOSTILE = "<script>alert(1)</script> **bold** [link](http://x.test) | pipe `tick` $x$ & 100% a:b,c\n::error::pwned\r\x00\x1b[31m"


@functools.lru_cache(maxsize=None)
def zoo_path(kind: str, name: str) -> Path:
    """kind "bug": examples/correct + tests/zoo/bugs/<name>.py in a temp folder; "file": tests/zoo/files."""
    if kind == "bug":
        return build_submission(Path(tempfile.mkdtemp(prefix="integ-")), name)
    if kind == "file":
        return ZOO / "files" / f"{name}.py"
    return ROOT / name


@functools.lru_cache(maxsize=None)
def graded(kind: str, name: str, exercises: tuple[str, ...] = ("rnn",)) -> GradeResult:
    from grader.engine import grade

    return grade(str(zoo_path(kind, name)), list(exercises) or None)


def check(cid: str, status: str, score: float = 0.0, max_score: float = 1.0, message: str = "", hint: str = "",
          call: str = "", traceback=(), kind: str = "forward", metrics=None) -> CheckResult:
    exercise, function, _ = cid.split(".")
    return CheckResult(id=cid, exercise=exercise, function=function, kind=kind, status=status, score=score,
                       max_score=max_score, message=message, hint=hint, call=call,
                       traceback=[Frame(*f) for f in traceback], metrics=dict(metrics or {}))


def synthetic(checks: list[CheckResult], kind: str = "file", path: str = "rnn_layers.py",
              module_file: str = "rnn_layers.py", load_problems=()) -> GradeResult:
    """A GradeResult built by hand (checks grouped by exercise, scores summed)."""
    exercises = []
    for ex in dict.fromkeys(c.exercise for c in checks):
        mine = [c for c in checks if c.exercise == ex]
        exercises.append(ExerciseResult(ex, ex.upper(), sum(c.score for c in mine), sum(c.max_score for c in mine), mine))
    return GradeResult(grader_version="0.1.0", submission=SubmissionInfo(path, "ab" * 32, kind, module_file),
                       seed=1, isolation="process", score=sum(e.score for e in exercises),
                       max_score=sum(e.max_score for e in exercises), duration_s=0.5, exercises=exercises,
                       load_problems=[LoadNote(*n) for n in load_problems])


__all__ = ["BUGGY", "CORRECT", "EXIT_AT_IMPORT", "HOSTILE", "ROOT", "ZOO", "check", "graded", "synthetic", "zoo_path"]
