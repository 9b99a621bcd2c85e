"""Gradescope's ``results.json``: one test per check, with the same advice as the HTML report.

``gradescope_results(result, hidden=...)`` is a renderer over ``GradeResult`` (the autograder's
``run_autograder`` and the bulk export both use it); ``gradescope_error(...)`` is the results.json
for a submission that could not be graded at all (no file found, unreadable zip), so a student
always gets a valid result with a clear message instead of Gradescope's generic failure.

Gradescope knows two test statuses: ``passed`` is our ``passed``, everything else is ``failed``
and the output says which of our statuses it was. Checks on hidden seeded cases (every check but
``api`` and ``public_vectors``) get the visibility ``hidden``, default ``"visible"``; the
top-level output then summarises the public checks only, so it does not leak what the hidden
ones found.
"""

from __future__ import annotations

from ..results import CheckResult, GradeResult
from .markdown import md_code, md_points, md_text

__all__ = ["gradescope_results", "gradescope_error", "is_public", "VISIBILITIES", "PUBLIC_CHECKS"]

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
PUBLIC_CHECKS = ("api", "public_vectors")  # checks whose inputs students know; all others use hidden cases
FORMATS = ("md", "text")


def is_public(c: CheckResult) -> bool:
    return c.id.rsplit(".", 1)[-1] in PUBLIC_CHECKS


def _test_output(c: CheckResult, fmt: str) -> str:
    md = fmt == "md"
    text = md_text if md else str
    code = md_code if md else str
    lines = []
    if c.status != "passed":
        lines.append(f"{'**' + c.status + '**' if md else c.status.upper()}: {text(c.message)}")
    else:
        lines.append(text(c.message) if c.message else "passed")
    if c.diagnosis:
        lines.append(f"diagnosis: {text(c.diagnosis.title)}: {text(c.diagnosis.explanation)}")
    if c.call:
        lines.append(f"call: {code(c.call)}")
    for f in c.traceback[-3:]:
        lines.append(f"{code(f'{f.file}:{f.line} in {f.func}')}: {code(f.code.strip())}")
    if c.hint and c.status != "passed":
        lines.append(f"hint: {text(c.hint)}")
    for arg in c.metrics.get("mutated_inputs", []) or []:
        lines.append(f"note: {text(c.function)} modifies its argument {text(arg)} in place; your values were "
                     "graded, but copy before += so callers are not surprised.")
    return ("\n\n" if md else "\n").join(lines)


def _summary(result: GradeResult, checks: list[CheckResult], hidden_count: int, fmt: str) -> str:
    md = fmt == "md"
    text = md_text if md else str
    lines = [f"rnngrade {result.grader_version}: {md_points(result.score, result.max_score)} points"]
    for note in result.load_problems:
        lines.append(f"{'error' if note.fatal else 'warning'}: {text(note.message)} (hint: {text(note.hint)})")
    if checks and all(c.status == checks[0].status and c.message == checks[0].message for c in checks) \
            and checks[0].status != "passed":
        lines.append(f"Every check: {text(checks[0].message)}")
        if checks[0].hint:
            lines.append(f"hint: {text(checks[0].hint)}")
    else:
        for status, verb in (("passed", "passed"), ("failed", "failed"), ("error", "raised an error"),
                             ("timeout", "timed out"), ("skipped", "skipped")):
            n = sum(c.status == status for c in checks)
            if n:
                lines.append(f"{n} {'public ' if hidden_count else ''}check{'s' if n != 1 else ''} {verb}")
    if hidden_count:
        lines.append(f"{hidden_count} check{'s' if hidden_count != 1 else ''} on hidden cases: results shown "
                     "later (after the due date or when grades are published).")
    return ("\n\n" if md else "\n").join(lines)


def gradescope_results(result: GradeResult, hidden: str = "visible", output_format: str = "md") -> dict:
    """Gradescope results.json data for one graded submission.

    ``hidden``: the visibility of checks on hidden cases (``"after_due_date"`` keeps their
    outcome from students until the due date); public checks are always ``"visible"``.
    ``output_format``: ``"md"`` (escaped Markdown) or ``"text"``.
    """
    if hidden not in VISIBILITIES:
        raise ValueError(f"Expected hidden to be one of {', '.join(VISIBILITIES)} but got hidden={hidden!r}")
    if output_format not in FORMATS:
        raise ValueError(f"Expected output_format to be one of {', '.join(FORMATS)} but got "
                         f"output_format={output_format!r}")
    tests = []
    for number, c in enumerate(result.checks, start=1):
        tests.append({
            "name": c.id,
            "number": str(number),
            "score": c.score,
            "max_score": c.max_score,
            "status": "passed" if c.status == "passed" else "failed",
            "output": _test_output(c, output_format),
            "output_format": output_format,
            "visibility": "visible" if is_public(c) else hidden,
            "tags": [c.exercise, c.function, c.kind, c.status],
        })
    shown = result.checks if hidden == "visible" else [c for c in result.checks if is_public(c)]
    return {
        "score": result.score,
        "output": _summary(result, shown, len(result.checks) - len(shown), output_format),
        "output_format": output_format,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "execution_time": result.duration_s,
        "extra_data": {"rnngrade_version": result.grader_version, "sha256": result.submission.sha256,
                       "seed": result.seed, "max_score": result.max_score},
        "tests": tests,
    }


def gradescope_error(message: str, hint: str = "", output_format: str = "text") -> dict:
    """results.json for a submission that could not be graded: score 0 and the reason."""
    output = f"rnngrade could not grade this submission: {message}"
    if hint:
        output += f"\nhint: {hint}"
    if output_format == "md":
        output = md_text(output)
    return {"score": 0.0, "output": output, "output_format": output_format, "visibility": "visible",
            "stdout_visibility": "hidden", "tests": []}
