"""What to grade and how: the configuration (and its hash), each unit loaded, each result classified.

Loading uses ``grader.loader.load`` (read and parse only, never execute). A unit the loader
refuses (no ``rnn_layers.py`` among several files, an unreadable zip, ...) still becomes a
``Submission`` carrying the refusal as a fatal load problem, so ``engine.grade`` gives it a full
result (every check an error naming the reason) without starting a worker.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .. import __version__
from ..engine import DEFAULT_SEED
from ..exercises import Exercise, exercises_dir, load_exercises
from ..loader import LoadError, LoadProblem, Submission, load
from ..results import GradeResult
from ..sandbox.launcher import DEFAULT_BLOCKED_IMPORTS, Limits
from .dedupe import fingerprint
from .identity import Unit

STATUSES = ("passed", "graded", "timeout", "unloadable", "infra_error")


@dataclass(frozen=True)
class Config:
    """Everything besides the submission that can change a result: part of every gradebook key."""

    exercise_ids: tuple[str, ...] = ()
    seed: int = DEFAULT_SEED
    call_seconds: float | None = None  # None: each exercise's TOML value
    import_seconds: float | None = None  # None: Limits' default
    budget_seconds: float = 120.0  # the whole grading of one submission
    blocked_imports: tuple[str, ...] = DEFAULT_BLOCKED_IMPORTS
    thorough: bool = False
    api: str = "cs231n"  # the exercise API of the class (docs/dls.md): which exercise set grades it

    def limits(self) -> Limits:
        changes = {}
        if self.call_seconds is not None:
            changes["call_seconds"] = self.call_seconds
        if self.import_seconds is not None:
            changes["import_seconds"] = self.import_seconds
        return replace(Limits(), **changes)

    def exercises(self, directory: Path | None = None) -> dict[str, Exercise]:
        """The exercises, from the bundled TOML files or from ``directory`` (a Dask worker grades
        with the client's TOML contents, written to a private folder: see ``remote``)."""
        found = load_exercises(directory, api=self.api)
        if self.call_seconds is not None:
            found = {k: replace(ex, call_seconds=self.call_seconds) for k, ex in found.items()}
        return found

    def as_dict(self) -> dict:
        tomls = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(exercises_dir().glob("*.toml"))}
        profile = {"api": self.api} if self.api != "cs231n" else {}  # absent for cs231n: earlier keys unchanged
        return {**profile,
            "exercises": list(self.exercise_ids) or "all",
            "seed": self.seed,
            "limits": asdict(self.limits()),
            "call_seconds": self.call_seconds,
            "budget_seconds": self.budget_seconds,
            "blocked_imports": sorted(self.blocked_imports),
            "thorough": self.thorough,
            "exercise_tomls": tomls,
        }

    @staticmethod
    def exercise_tomls() -> dict[str, str]:
        """The contents of every exercise TOML (what ``as_dict`` hashes), to send to another machine."""
        return {p.name: p.read_bytes().decode("utf-8") for p in sorted(exercises_dir().glob("*.toml"))}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True)

    def hash(self) -> str:
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def to_settings(self) -> dict:
        """The fields as plain JSON data (to hand the configuration to a slot process)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "Config":
        data = dict(data)
        data["exercise_ids"] = tuple(data.get("exercise_ids", ()))
        data["blocked_imports"] = tuple(data.get("blocked_imports", DEFAULT_BLOCKED_IMPORTS))
        return cls(**data)


@dataclass
class Prepared:
    """A unit ready to be graded: what to load (``path``) and the key it is graded under."""

    unit: Unit
    path: Path  # the entry itself, or its staged copy
    sha256: str
    code_hash: str | None = None
    refused: str = ""  # the loader's reason, when it refused the unit

    @property
    def key(self) -> str:
        return self.unit.student.key


def prepare(unit: Unit, staging: Path, blocked_imports=DEFAULT_BLOCKED_IMPORTS) -> Prepared:
    """Load one unit once (staging flattened LMS files under their original names first) for its
    content hash and code fingerprint; the slot process that grades it loads it again."""
    path = _materialise(unit, staging)
    # no static findings here: planning needs only the hash and the code; the slot that grades the
    # unit loads it again with them (saves ~8 ms a submission on the critical path before grading)
    sub, refused = load_unit(path, unit.rel, blocked_imports, lambda: _raw_sha256(unit), static_checks=False)
    code = fingerprint(sub.source) if sub.module_file else None
    return Prepared(unit, path, sub.sha256, code, refused)


def load_unit(path: Path, rel: str, blocked_imports, raw_sha256, static_checks: bool = True) -> tuple[Submission, str]:
    """(submission, refusal): what ``grader.loader.load`` reads, shown under ``rel``; a unit it
    refuses becomes a submission with that refusal as a fatal problem (hash from ``raw_sha256()``)."""
    try:
        sub = load(path, blocked_imports, static_checks=static_checks)
    except LoadError as exc:
        kind = "folder" if path.is_dir() else "zip" if path.suffix.lower() == ".zip" else "file"
        message = exc.message.replace(str(path), rel)  # never show a staging path
        problem = LoadProblem("unloadable", True, message, exc.hint)
        return Submission(rel, kind, {}, "", raw_sha256(), [problem]), message
    return replace(sub, path=rel), ""


def _materialise(unit: Unit, staging: Path) -> Path:
    """The path to load: the entry itself, or a folder of the LMS files under their original names."""
    entries = unit.entries
    if len(entries) == 1 and not (entries[0].file_name and entries[0].kind == "py"):
        return entries[0].path
    folder = staging / unit.student.key
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for e in entries:
        shutil.copyfile(e.path, folder / (e.file_name or e.path.name))
    if len(entries) == 1:
        return folder / (entries[0].file_name or entries[0].path.name)
    return folder


def _raw_sha256(unit: Unit) -> str:
    """A content hash of what the student handed in, for units the loader could not read."""
    digest = hashlib.sha256()
    for e in unit.entries:
        files = [e.path] if e.path.is_file() else sorted(p for p in e.path.rglob("*") if p.is_file() and not p.is_symlink())
        for f in files:
            digest.update(str(f.relative_to(e.path.parent)).encode() + b"\0")
            with open(f, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- outcome of one grading


def classify(result: GradeResult) -> tuple[str, str]:
    """(status, reason) of a whole submission from its checks."""
    checks = result.checks
    infra = [c for c in checks if c.metrics.get("infrastructure")]
    if infra:
        return "infra_error", infra[0].message
    fatal = [p for p in result.load_problems if p.fatal]
    if fatal:
        return "unloadable", fatal[0].message
    if checks and all(c.status in ("error", "timeout") for c in checks) and len({c.message for c in checks}) == 1:
        return "unloadable", checks[0].message  # the import failed: every check carries its reason
    timeouts = [c.id for c in checks if c.status == "timeout"]
    if timeouts:
        more = f" (+{len(timeouts) - 3} more)" if len(timeouts) > 3 else ""
        return "timeout", f"timed out: {', '.join(timeouts[:3])}{more}"
    if result.all_passed:
        return "passed", ""
    return "graded", ""


def grader_version() -> str:
    return __version__
