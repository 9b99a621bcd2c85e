"""One check's advice as plain text: the failure text of JUnit XML and of the pytest plugin."""

from __future__ import annotations

from ..results import CheckResult

__all__ = ["check_details"]


def check_details(c: CheckResult, heading: bool = True) -> str:
    """Status and points, message, diagnosis, call, the student's traceback lines, hint.

    ``heading=False`` starts with ``<status>: <message>`` instead of a line naming the check (for
    reports that name it already, such as pytest's, whose one-line summary shows the first line).
    """
    if heading:
        lines = [f"{c.id}: {c.status} ({c.score:g}/{c.max_score:g} points)", c.message]
    else:
        lines = [f"{c.status} ({c.score:g}/{c.max_score:g} points): {c.message}"]
    if c.diagnosis:
        lines.append(f"diagnosis: {c.diagnosis.title}: {c.diagnosis.explanation}")
    if c.call:
        lines.append(f"call: {c.call}")
    for f in c.traceback:
        lines.append(f"  {f.file}:{f.line} in {f.func}: {f.code.strip()}")
    if c.hint:
        lines.append(f"hint: {c.hint}")
    return "\n".join(line for line in lines if line)
