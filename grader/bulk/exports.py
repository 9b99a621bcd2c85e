"""``rnngrade export OUT --format ...``: the gradebook in the shape each LMS imports.

Every format reads the same rows (``outputs.grade_rows``: present students, current results).
A student without a score (infrastructure error, skipped, no submission, not graded yet) gets an
empty cell, which Canvas and Moodle treat as "leave unchanged", never a 0.

- ``canvas``: Canvas's gradebook import CSV. Header ``Student, ID, SIS User ID, SIS Login ID,
  Section, <assignment>`` and a ``Points Possible`` row. Canvas matches rows on ``ID`` (the Canvas
  user id in the bulk download's file names), then SIS ids, then the name; the assignment column
  matches by title, or by id when written ``Title (12345)`` (``--assignment``).
- ``moodle``: Moodle's assignment "offline grading worksheet" (upload grading worksheet):
  ``Identifier`` = ``Participant <id>`` (the id in Moodle's download folder names), ``Full name``,
  ``Email address``, ``Grade``, ``Maximum Grade``, ``Last modified (grade)``, ``Feedback comments``.
  The e-mail column also lets the gradebook's generic CSV import map students.
- ``gradescope``: one Gradescope autograder ``results.json`` per student
  (``<student>/results.json``: score, output, visibility, stdout_visibility, tests[] with name,
  number, score, max_score, status, output, output_format, visibility, tags).
- ``csv``: the same table as ``OUT/grades.csv``.
- ``jsonl``: one JSON object per student with every field and the full result.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path

from ..render.output import write_text_atomic
from ..results import GradeResult
from .outputs import GradeRow, grade_rows, grades_csv, num, safe_cell

FORMATS = ("canvas", "moodle", "gradescope", "csv", "jsonl")
DEFAULT_NAMES = {"canvas": "canvas.csv", "moodle": "moodle.csv", "gradescope": "gradescope", "csv": "grades.csv",
                 "jsonl": "results.jsonl"}


def export(gradebook, fmt: str, target: Path, assignment: str = "rnngrade") -> tuple[Path, int, int]:
    """Write ``fmt`` to ``target``; return (path, rows with a score, rows left blank)."""
    rows, exercises = grade_rows(gradebook)
    scored = sum(r.has_score for r in rows)
    if fmt == "gradescope":
        for r in rows:
            if r.result_json:
                write_text_atomic(Path(target) / r.student / "results.json", gradescope_json(r))
        return Path(target), scored, len(rows) - scored
    text = {
        "canvas": lambda: canvas_csv(rows, assignment),
        "moodle": lambda: moodle_csv(rows),
        "csv": lambda: grades_csv(rows, exercises),
        "jsonl": lambda: jsonl(rows),
    }[fmt]()
    return write_text_atomic(target, text), scored, len(rows) - scored


def canvas_csv(rows: list[GradeRow], assignment: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
    top = max((r.max_score for r in rows if r.max_score is not None), default=None)
    w.writerow(["Points Possible", "", "", "", "", num(top)])
    for r in rows:
        canvas_id = r.source_id if r.layout == "canvas" else ""
        sis_id = r.roster_id if r.roster_id and r.roster_id != canvas_id else ""
        w.writerow([safe_cell(r.name or r.login or r.student), canvas_id, safe_cell(sis_id), "", "", num(r.score)])
    return buf.getvalue()


def moodle_csv(rows: list[GradeRow]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)",
                "Feedback comments"])
    for r in rows:
        ident = f"Participant {r.source_id}" if r.layout == "moodle" else (r.roster_id or r.student)
        w.writerow([safe_cell(ident), safe_cell(r.name), safe_cell(r.email), num(r.score), num(r.max_score),
                    _moodle_time(r.graded_at) if r.has_score else "", safe_cell(_feedback(r))])
    return buf.getvalue()


def _moodle_time(iso: str) -> str:
    """Moodle's own worksheet format (``strftimedatetime``), which its importer parses back."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%A, %d %B %Y, %I:%M %p")
    except ValueError:
        return ""


def _feedback(r: GradeRow) -> str:
    if not r.has_score:
        return ""
    text = f"rnngrade: {num(r.score)} / {num(r.max_score)}"
    if r.exercises:
        text += " (" + ", ".join(f"{k} {num(s)}/{num(m)}" for k, (s, m) in r.exercises.items()) + ")"
    return text + (f". {r.reason}" if r.reason else "")


def gradescope_json(r: GradeRow) -> str:
    result = GradeResult.from_dict(json.loads(r.result_json))
    tests = []
    for i, c in enumerate(result.checks, start=1):
        lines = [c.message] if c.message else []
        if c.status != "passed" and c.hint:
            lines.append(f"hint: {c.hint}")
        tests.append({
            "name": c.id, "number": str(i), "score": c.score, "max_score": c.max_score,
            "status": "passed" if c.status == "passed" else "failed",
            "output": (f"[{c.status}] " if c.status not in ("passed", "failed") else "") + "\n".join(lines),
            "output_format": "text", "visibility": "visible", "tags": [c.exercise, c.kind],
        })
    passed = sum(c.status == "passed" for c in result.checks)
    data = {
        "score": result.score,
        "output": f"rnngrade {result.grader_version}: {num(result.score)} / {num(result.max_score)}, "
                  f"{passed} of {len(result.checks)} checks passed" + (f". {r.reason}" if r.reason else ""),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def jsonl(rows: list[GradeRow]) -> str:
    lines = []
    for r in rows:
        lines.append(json.dumps({
            "student": r.student, "name": r.name, "email": r.email, "status": r.status, "score": r.score,
            "max_score": r.max_score, "exercises": {k: {"score": s, "max_score": m} for k, (s, m) in r.exercises.items()},
            "reason": r.reason, "late": r.late, "submission": r.entry, "sha256": r.sha256, "layout": r.layout,
            "source_id": r.source_id, "roster_id": r.roster_id, "graded_at": r.graded_at,
            "result": json.loads(r.result_json) if r.result_json else None,
        }, sort_keys=True, allow_nan=False))
    return "\n".join(lines) + ("\n" if lines else "")
