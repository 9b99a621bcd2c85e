"""Results as plain data: what every renderer, exporter and gradebook reads.

Nothing here knows about checks or the sandbox; renderers import this module only. The JSON form
is versioned (``SCHEMA_VERSION``) and described by ``grader/schema/results.schema.json``; see
docs/results-schema.md for the changelog. Field names are a public interface: add, never rename.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

SCHEMA_VERSION = "1.2"
STATUSES = ("passed", "failed", "error", "timeout", "skipped")
KINDS = ("api", "forward", "gradient", "fd", "property", "dynamics", "training")
SCHEMA_PATH = Path(__file__).with_name("schema") / "results.schema.json"


@dataclass
class Diagnosis:
    bug: str
    title: str
    explanation: str
    evidence: str = ""


@dataclass
class Frame:
    """One traceback frame in the student's own file (paths relative to the submission)."""

    file: str
    line: int
    func: str
    code: str


@dataclass
class CheckResult:
    id: str
    exercise: str
    function: str
    kind: str
    status: str
    score: float
    max_score: float
    message: str = ""
    hint: str = ""
    metrics: dict = field(default_factory=dict)
    diagnosis: Diagnosis | None = None
    call: str = ""
    traceback: list[Frame] = field(default_factory=list)
    seconds: float = 0.0
    counterexample: dict | None = None  # {shapes, snippet, description}: the smallest failing input found
    calls: dict = field(default_factory=dict)  # student function -> calls this check made into the worker (1.2)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")


@dataclass
class ExerciseResult:
    id: str
    title: str
    score: float
    max_score: float
    checks: list[CheckResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(c.status == status for c in self.checks)

    def to_dict(self) -> dict:
        return _plain(asdict(self))

    @classmethod
    def from_dict(cls, data: dict) -> "ExerciseResult":
        checks = []
        for c in data["checks"]:
            c = dict(c)
            c["diagnosis"] = Diagnosis(**c["diagnosis"]) if c.get("diagnosis") else None
            c["traceback"] = [Frame(**f) for f in c.get("traceback", [])]
            checks.append(CheckResult(**c))
        return cls(**dict(data, checks=checks))


@dataclass
class LoadNote:
    """A static finding about the submission (syntax error, Python 2, NumPy 2 removals ...)."""

    code: str
    fatal: bool
    message: str
    hint: str
    file: str = ""
    line: int = 0


@dataclass
class SubmissionInfo:
    path: str
    sha256: str
    kind: str = "file"
    module_file: str = ""


@dataclass
class GradeResult:
    grader_version: str
    submission: SubmissionInfo
    seed: int
    isolation: str
    score: float
    max_score: float
    duration_s: float
    exercises: list[ExerciseResult] = field(default_factory=list)
    load_problems: list[LoadNote] = field(default_factory=list)
    output: str = ""
    schema_version: str = SCHEMA_VERSION
    mode: str = "full"  # full | public (only the checks that need no reference: docs/release.md)
    timings: dict = field(default_factory=dict)  # phase -> seconds: load, worker_start, one per check kind, total (1.2)
    api: str = "cs231n"  # the API profile graded: cs231n | dls (docs/dls.md) (1.2)

    @property
    def checks(self) -> list[CheckResult]:
        return [c for e in self.exercises for c in e.checks]

    @property
    def all_passed(self) -> bool:
        return all(c.status == "passed" for c in self.checks) and bool(self.checks)

    def to_dict(self) -> dict:
        """Plain JSON-ready data: numpy values become Python ones, NaN and inf become null."""
        return _plain(asdict(self))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict) -> "GradeResult":
        data = dict(data)
        data["submission"] = SubmissionInfo(**data["submission"])
        data["load_problems"] = [LoadNote(**p) for p in data.get("load_problems", [])]
        data["exercises"] = [ExerciseResult.from_dict(e) for e in data.get("exercises", [])]
        return cls(**data)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not hasattr(value, "dtype"):
        return value
    if hasattr(value, "tolist"):  # numpy scalars and arrays that slipped into metrics
        return _plain(value.tolist())
    if isinstance(value, float):
        return finite_or_none(value)
    return str(value)


def finite_or_none(x) -> float | None:
    """A finite float, or None for anything else (NaN, inf, bools, strings, None). JSON has no NaN
    or inf, so metrics store such values as null; renderers use the same rule to read them back."""
    if isinstance(x, bool):
        return None
    try:
        x = float(x)
    except (TypeError, ValueError, OverflowError):
        return None
    return x if x == x and abs(x) != float("inf") else None
