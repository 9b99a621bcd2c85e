"""Per-student files in OUT and the grades table every export starts from.

``OUT/results/<student>.json`` is exactly the gradebook's ``result_json`` and
``OUT/reports/<student>.html`` is the ``rnngrade check`` report of the same result. Files are
written atomically and in an order that makes a half-finished write detectable: the JSON goes
away first and comes back last, so "the JSON equals the gradebook row" implies "the report
belongs to it too". On every run, files of already graded students are checked that way and
rewritten from the gradebook when they do not match (a run killed between writing and commit).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..render.html import render_html
from ..render.output import write_text_atomic
from ..results import GradeResult

GRADES_CSV = "grades.csv"
NO_SCORE = ("infra_error",)


def json_path(out: Path, key: str) -> Path:
    return out / "results" / f"{key}.json"


def report_path(out: Path, key: str) -> Path:
    return out / "reports" / f"{key}.html"


def write_result_files(out: Path, key: str, result_json: str, html: str) -> None:
    json_path(out, key).unlink(missing_ok=True)
    write_text_atomic(report_path(out, key), html)
    write_text_atomic(json_path(out, key), result_json)


def remove_result_files(out: Path, key: str) -> None:
    json_path(out, key).unlink(missing_ok=True)
    report_path(out, key).unlink(missing_ok=True)


def files_match(out: Path, key: str, result_json: str) -> bool:
    try:
        return json_path(out, key).read_text(encoding="utf-8") == result_json and report_path(out, key).is_file()
    except (OSError, UnicodeDecodeError):
        return False


def repair_result_files(out: Path, key: str, result_json: str) -> None:
    """Rewrite both files from the gradebook (no regrading)."""
    html = render_html(GradeResult.from_dict(json.loads(result_json)))
    write_result_files(out, key, result_json, html)


# ---------------------------------------------------------------- the grades table


@dataclass
class GradeRow:
    student: str
    name: str
    email: str
    status: str  # passed | graded | timeout | unloadable | infra_error | skipped | no_submission | not_graded
    score: float | None
    max_score: float | None
    exercises: dict = field(default_factory=dict)  # id -> (score, max)
    reason: str = ""
    late: bool = False
    entry: str = ""
    layout: str = ""
    source_id: str = ""
    roster_id: str = ""
    login: str = ""
    graded_at: str = ""
    result_json: str | None = None
    sha256: str = ""

    @property
    def has_score(self) -> bool:
        return self.score is not None


def grade_rows(gradebook) -> tuple[list[GradeRow], list[tuple[str, str]]]:
    """(rows of present students, [(exercise id, title)] in teaching order) from the gradebook."""
    scores = gradebook.exercise_scores()
    order: dict[str, str] = {}
    rows = []
    for r in gradebook.current():
        per = scores.get(r["result_id"], {}) if r["result_id"] is not None else {}
        if r["result_json"]:
            for e in json.loads(r["result_json"]).get("exercises", []):
                order.setdefault(e["id"], e["title"])
        if r["state"] != "submitted":
            status, reason = r["state"], r["note"]
        elif r["status"] is None:
            status, reason = "not_graded", "not graded yet (run `rnngrade grade` again)"
        else:
            status, reason = r["status"], r["reason"]
        scored = r["status"] is not None and r["status"] not in NO_SCORE
        rows.append(GradeRow(
            student=r["student"], name=r["name"], email=r["email"], status=status,
            score=r["score"] if scored else None, max_score=r["max_score"] if scored else None,
            exercises={k: (v["score"], v["max_score"]) for k, v in per.items()} if scored else {},
            reason=reason or "", late=bool(r["late"]), entry=r["entry"], layout=r["layout"], source_id=r["source_id"],
            roster_id=r["roster_id"], login=r["login"], graded_at=r["graded_at"] or "", result_json=r["result_json"],
            sha256=r["sha256"] or ""))
    return rows, list(order.items())


def num(x) -> str:
    if x is None:
        return ""
    x = float(x)
    return str(int(x)) if x == int(x) else f"{x:.4g}"


def safe_cell(text) -> str:
    """Spreadsheet-safe text: a cell starting with = + - @ would run as a formula in Excel."""
    text = "" if text is None else str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def grades_csv(rows: list[GradeRow], exercises: list[tuple[str, str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student", "name", "email", "score", "max_score", *[e for e, _ in exercises], "status", "reason",
                "late", "submission", "report"])
    for r in rows:
        report = f"reports/{r.student}.html" if r.result_json else ""
        w.writerow([safe_cell(r.student), safe_cell(r.name), safe_cell(r.email), num(r.score), num(r.max_score),
                    *[num(r.exercises[e][0]) if e in r.exercises else "" for e, _ in exercises],
                    r.status, safe_cell(r.reason), "yes" if r.late else "", safe_cell(r.entry), report])
    return buf.getvalue()


def write_if_changed(path: Path, text: str) -> bool:
    """Atomic write, skipped when the file already holds exactly ``text`` (reruns leave mtimes alone)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except (OSError, UnicodeDecodeError):
        pass
    write_text_atomic(path, text)
    return True
