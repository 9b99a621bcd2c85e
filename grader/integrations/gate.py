"""The CI gate: pass or fail a build from the grader's JSON, never from an exit code alone.

A command runner (GitHub Classroom's, a plain ``run:`` step) trusts exit status 0. A submission
that calls ``os._exit(0)`` while it is imported would end *any* grader that imports it in-process
with status 0 and no results. ``rnngrade`` never imports student code in its own process, but the
gate does not rely on that either: it passes only if the results file exists, parses, validates,
adds up, has no infrastructure errors, belongs to the submission (when ``--submission`` is given)
and reaches the minimum score.

Exit status: 0 pass; 1 the score is below the minimum; 2 no usable results (missing, not JSON,
invalid, inconsistent, for another submission, grader infrastructure errors).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["GateVerdict", "parse_min_score", "gate", "PASS", "BELOW", "NO_RESULTS"]

PASS, BELOW, NO_RESULTS = 0, 1, 2
_MIN_SCORE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(%?)\s*$")


@dataclass
class GateVerdict:
    code: int
    message: str

    @property
    def passed(self) -> bool:
        return self.code == PASS


def parse_min_score(text: str | None) -> tuple[float, bool] | None:
    """``"40"`` -> (40.0, False) points; ``"80%"`` -> (80.0, True); None -> None (every point).

    Raises ValueError with the reason for anything else.
    """
    if text is None or str(text).strip() == "":
        return None
    m = _MIN_SCORE.match(str(text))
    if not m:
        raise ValueError(f"Expected a number of points (40) or a percentage (80%) but got min-score={text!r}")
    value, percent = float(m.group(1)), bool(m.group(2))
    if percent and value > 100:
        raise ValueError(f"Expected a percentage of at most 100% but got min-score={text!r}")
    return value, percent


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _consistency(result) -> str | None:
    """Why the numbers do not add up, or None when they do."""
    for c in result.checks:
        if not (0 <= c.score <= c.max_score):
            return f"check {c.id} has score {c.score:g} outside 0..{c.max_score:g}"
        if c.status != "passed" and c.score > 0:
            return f"check {c.id} is {c.status} but has {c.score:g} points"
    for e in result.exercises:
        if not _close(e.score, sum(c.score for c in e.checks)) or not _close(e.max_score, sum(c.max_score for c in e.checks)):
            return f"exercise {e.id}: its score {e.score:g}/{e.max_score:g} is not the sum of its checks"
    if not _close(result.score, sum(e.score for e in result.exercises)) or \
            not _close(result.max_score, sum(e.max_score for e in result.exercises)):
        return f"the total {result.score:g}/{result.max_score:g} is not the sum of the exercises"
    if result.max_score <= 0 or not result.checks:
        return "no points were graded (no checks in the results)"
    return None


def _schema_errors(data: dict) -> str | None:
    try:
        import jsonschema
    except ImportError:  # the structural checks below still run
        return None
    from ..results import SCHEMA_PATH

    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    if not errors:
        return None
    e = errors[0]
    where = "/".join(str(p) for p in e.path) or "(top level)"
    return f"{where}: {e.message}"


def _known_fields(data: dict) -> dict:
    """``data`` without fields this version does not know (1.x only ever adds fields)."""
    from dataclasses import fields

    from ..results import CheckResult, Diagnosis, ExerciseResult, Frame, GradeResult, LoadNote, SubmissionInfo

    def keep(obj, cls):
        return {k: v for k, v in obj.items() if k in {f.name for f in fields(cls)}} if isinstance(obj, dict) else obj

    out = keep(data, GradeResult)
    out["submission"] = keep(out.get("submission"), SubmissionInfo)
    out["load_problems"] = [keep(p, LoadNote) for p in out.get("load_problems") or []]
    exercises = []
    for e in out.get("exercises") or []:
        e = keep(e, ExerciseResult)
        if isinstance(e, dict):
            checks = []
            for c in e.get("checks") or []:
                c = keep(c, CheckResult)
                if isinstance(c, dict):
                    c["traceback"] = [keep(f, Frame) for f in c.get("traceback") or []]
                    if isinstance(c.get("diagnosis"), dict):
                        c["diagnosis"] = keep(c["diagnosis"], Diagnosis)
                checks.append(c)
            e["checks"] = checks
        exercises.append(e)
    out["exercises"] = exercises
    return out


def gate(results_path: str | Path, min_score: str | None = None, submission: str | Path | None = None) -> GateVerdict:
    """Decide pass/fail from the JSON written by ``rnngrade check --json``."""
    from ..results import GradeResult

    threshold = parse_min_score(min_score)
    path = Path(results_path)
    if not path.is_file():
        return GateVerdict(NO_RESULTS, f"FAIL: {path} does not exist: the grader wrote no results (it was not run, "
                                       "or stopped with a usage error: see its output above)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return GateVerdict(NO_RESULTS, f"FAIL: {path} is not valid JSON ({exc})")
    if not isinstance(data, dict):
        return GateVerdict(NO_RESULTS, f"FAIL: {path} does not hold rnngrade results (a JSON object)")
    if str(data.get("schema_version", "")).split(".")[0] != "1":
        return GateVerdict(NO_RESULTS, f"FAIL: {path} has schema_version {data.get('schema_version')!r}; "
                                       "this gate reads version 1.x")
    problem = _schema_errors(data)
    if problem:
        return GateVerdict(NO_RESULTS, f"FAIL: {path} does not match the results schema: {problem}")
    try:
        result = GradeResult.from_dict(_known_fields(data))
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        return GateVerdict(NO_RESULTS, f"FAIL: {path} does not match the results schema: {exc}")
    problem = _consistency(result)
    if problem:
        return GateVerdict(NO_RESULTS, f"FAIL: {path} is inconsistent: {problem}")
    infra = [c.id for c in result.checks if c.metrics.get("infrastructure")]
    if infra:
        return GateVerdict(NO_RESULTS, f"FAIL: the grader could not run {len(infra)} check(s) (infrastructure, "
                                       "not the submission's fault): run the job again")
    if submission is not None:
        from ..loader import LoadError, load

        try:
            actual = load(submission).sha256
        except LoadError as exc:
            return GateVerdict(NO_RESULTS, f"FAIL: cannot read the submission to compare: {exc.message}")
        if actual != result.submission.sha256:
            return GateVerdict(NO_RESULTS, f"FAIL: {path} is for another submission (sha256 "
                                           f"{result.submission.sha256[:12]}), not {submission} (sha256 {actual[:12]})")
    if threshold is None:
        need, shown = result.max_score, f"{result.max_score:g} (every point)"
    elif threshold[1]:
        need, shown = result.max_score * threshold[0] / 100, f"{threshold[0]:g}% = {result.max_score * threshold[0] / 100:g}"
    else:
        need, shown = threshold[0], f"{threshold[0]:g}"
    points = f"{result.score:g}/{result.max_score:g} points"
    if threshold is not None and not threshold[1] and need > result.max_score:
        return GateVerdict(BELOW, f"FAIL: {points}; the minimum {shown} is more than the {result.max_score:g} "
                                  "points graded (check --min-score and the exercises selected)")
    if result.score >= need - 1e-9:
        return GateVerdict(PASS, f"PASS: {points} (minimum {shown})")
    open_checks = sum(c.status in ("failed", "error", "timeout") for c in result.checks)
    return GateVerdict(BELOW, f"FAIL: {points}, below the minimum {shown} ({open_checks} check(s) did not pass)")
