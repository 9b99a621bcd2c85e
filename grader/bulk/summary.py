"""The class summary: one self-contained HTML page built from the gradebook.

Data first, rendering last: ``summary_view`` reads the gradebook's current rows and computes every
number, label and SVG coordinate; ``templates/summary.html.j2`` only lays them out (autoescaped:
names, reasons and tracebacks are student-controlled). No scripts, no external resources, and no
timestamps other than the gradebook's own, so an unchanged gradebook renders to the same bytes.
Numbers the tests read back carry ``data-*`` attributes.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import jinja2

from ..exercises import exercises_dir
from ..results import STATUSES, GradeResult
from .dedupe import fingerprint, identical_groups
from .outputs import GradeRow, grade_rows, num, write_if_changed

HIST_W, HIST_H, MINI_W, MINI_H = 640, 170, 220, 60
SLOWEST = 10


def summary_view(gradebook) -> dict:
    rows, ex_cols = grade_rows(gradebook)
    results = {r.student: GradeResult.from_dict(json.loads(r.result_json)) for r in rows if r.result_json}
    scored = [r for r in rows if r.score is not None]
    top = max((r.max_score for r in scored), default=0.0) or 0.0
    counts = Counter(r.status for r in rows)
    current = {r["student"]: r for r in gradebook.current()}
    return {
        "meta": _meta(current, results),
        "stats": _stats(rows, scored, counts, top),
        "histogram": histogram([r.score for r in scored], top, HIST_W, HIST_H, bins=10),
        "exercises": [_exercise(ex_id, title, scored) for ex_id, title in ex_cols],
        "checks": _check_rates(rows, results),
        "diagnoses": _diagnoses(results),
        "unloadable": [_link_row(r, reason=r.reason) for r in rows if r.status == "unloadable"],
        "timeouts": _timeouts(rows, results),
        "infra": [_link_row(r, reason=r.reason, error=current[r.student]["error"], attempts=current[r.student]["attempts"],
                            link=False) for r in rows if r.status == "infra_error"],
        "slowest": _slowest(rows, current),
        "identical": _identical(rows, current),
        "skipped": [_link_row(r, reason=r.reason, link=False) for r in rows
                    if r.status in ("skipped", "no_submission", "not_graded")],
    }


# ---------------------------------------------------------------- sections


def _meta(current: dict, results: dict) -> dict:
    any_result = next(iter(results.values()), None)
    graded_at = max((r["graded_at"] for r in current.values() if r["graded_at"]), default="")
    hashes = sorted({r["config_hash"] for r in current.values() if r["config_hash"]})
    return {
        "version": any_result.grader_version if any_result else "",
        "seed": any_result.seed if any_result else "",
        "isolation": any_result.isolation if any_result else "",
        "config": ", ".join(hashes),
        "graded_at": graded_at,
    }


def _stats(rows: list[GradeRow], scored: list[GradeRow], counts: Counter, top: float) -> dict:
    values = [r.score for r in scored]
    return {
        "students": len(rows),
        "scored": len(scored),
        "counts": [{"status": s, "label": s.replace("_", " "), "n": counts.get(s, 0)}
                   for s in ("passed", "graded", "timeout", "unloadable", "infra_error", "not_graded", "skipped",
                             "no_submission") if counts.get(s, 0)],
        "mean": num(round(statistics.fmean(values), 2)) if values else "—",
        "median": num(statistics.median(values)) if values else "—",
        "max_score": num(top),
        "full_marks": sum(1 for v in values if top and v >= top),
    }


def histogram(values: list[float], top: float, width: int, height: int, bins: int) -> dict:
    """Bars of equal-width score bins over [0, top] (the last bin includes ``top``), with SVG geometry."""
    counts = [0] * bins
    for v in values:
        i = min(bins - 1, int(v / top * bins)) if top > 0 else 0
        counts[max(0, i)] += 1
    peak = max(counts) or 1
    pad_b, pad_t = 18, 14
    bw = width / bins
    bars = []
    for i, n in enumerate(counts):
        lo, hi = top * i / bins, top * (i + 1) / bins
        h = (height - pad_b - pad_t) * n / peak
        bars.append({
            "n": n, "x": round(i * bw + 2, 1), "w": round(bw - 4, 1), "y": round(height - pad_b - h, 1), "h": round(h, 1),
            "cx": round(i * bw + bw / 2, 1), "label": f"{num(round(lo, 1))}–{num(round(hi, 1))}",
            "tick": num(round(lo, 1)),
        })
    return {"bars": bars, "width": width, "height": height, "base": height - pad_b, "top": num(top)}


def _exercise(ex_id: str, title: str, scored: list[GradeRow]) -> dict:
    pairs = [r.exercises[ex_id] for r in scored if ex_id in r.exercises]
    values = [s for s, _ in pairs]
    top = max((m for _, m in pairs), default=0.0)
    return {
        "id": ex_id, "title": title, "n": len(values), "max": num(top),
        "mean": num(round(statistics.fmean(values), 2)) if values else "—",
        "median": num(statistics.median(values)) if values else "—",
        "full": sum(1 for v in values if top and v >= top), "zero": sum(1 for v in values if v == 0),
        "histogram": histogram(values, top, MINI_W, MINI_H, bins=5),
    }


def _check_rates(rows: list[GradeRow], results: dict) -> dict:
    """Per check: how many of the loadable, graded submissions got each outcome."""
    table: dict[str, Counter] = defaultdict(Counter)
    order: dict[str, int] = {}
    counted = 0
    for r in rows:
        if r.status in ("unloadable", "infra_error") or r.student not in results:
            continue
        counted += 1
        for c in results[r.student].checks:
            order.setdefault(c.id, len(order))
            table[c.id][c.status] += 1
    out = []
    for cid, cnt in table.items():
        total = sum(cnt.values())
        rate = cnt["passed"] / total if total else 0.0
        out.append({"id": cid, "total": total, "rate": round(100 * rate, 1), "width": round(100 * rate, 1),
                    "counts": [{"status": s, "n": cnt.get(s, 0)} for s in STATUSES], "passed": cnt["passed"],
                    "order": order[cid]})
    out.sort(key=lambda c: (c["rate"], c["order"]))
    return {"rows": out, "submissions": counted, "statuses": list(STATUSES)}


def _diagnoses(results: dict) -> list[dict]:
    found: dict[str, dict] = {}
    for student, result in sorted(results.items()):
        for c in result.checks:
            d = getattr(c, "diagnosis", None)
            if d is None or not getattr(d, "bug", None):
                continue
            entry = found.setdefault(d.bug, {"bug": d.bug, "title": d.title, "students": {}, "checks": 0})
            entry["checks"] += 1
            entry["students"].setdefault(student, []).append(c.id)
    out = []
    for e in found.values():
        students = [{"key": k, "href": _href(k), "checks": ", ".join(v)} for k, v in sorted(e["students"].items())]
        out.append({"bug": e["bug"], "title": e["title"], "n": len(students), "checks": e["checks"], "students": students})
    return sorted(out, key=lambda e: (-e["n"], e["bug"]))


def _timeouts(rows: list[GradeRow], results: dict) -> list[dict]:
    out = []
    for r in rows:
        result = results.get(r.student)
        if result is None:
            continue
        ids = [c.id for c in result.checks if c.status == "timeout"]
        if ids:
            first = next(c for c in result.checks if c.status == "timeout")
            out.append(_link_row(r, reason=first.message, checks=len(ids),
                                 ids=", ".join(ids[:6]) + (f" (+{len(ids) - 6})" if len(ids) > 6 else "")))
    return out


def _slowest(rows: list[GradeRow], current: dict) -> list[dict]:
    timed = [(current[r.student]["duration_s"] or 0.0, r) for r in rows if r.result_json]
    timed.sort(key=lambda t: (-t[0], t[1].student))
    return [_link_row(r, seconds=f"{s:.2f}") for s, r in timed[:SLOWEST]]


def _identical(rows: list[GradeRow], current: dict) -> dict:
    prints = {r.student: current[r.student]["code_hash"] for r in rows if r.status not in ("skipped", "no_submission")}
    starter = _starter_fingerprint()
    groups = identical_groups(prints, exclude={starter} if starter else set())
    return {
        "groups": [{"size": len(g), "pairs": len(g) * (len(g) - 1) // 2,
                    "students": [{"key": k, "href": _href(k)} for k in g]} for g in groups],
        "pairs": sum(len(g) * (len(g) - 1) // 2 for g in groups),
        "starter": [{"key": k, "href": _href(k)} for k, fp in sorted(prints.items()) if starter and fp == starter],
    }


@lru_cache(maxsize=1)
def _starter_fingerprint() -> str | None:
    try:
        return fingerprint((exercises_dir() / "rnn_layers.py").read_text(encoding="utf-8"))
    except OSError:
        return None


def _href(key: str) -> str:
    return f"reports/{quote(key)}.html"


def _link_row(r: GradeRow, link: bool = True, **extra) -> dict:
    return {"key": r.student, "name": r.name, "href": _href(r.student) if link and r.result_json else "",
            "status": r.status, "score": num(r.score), "max": num(r.max_score), **extra}


# ---------------------------------------------------------------- rendering


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("grader.bulk", "templates"),
        autoescape=True,  # always: names, reasons and tracebacks are student-controlled
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_summary(gradebook) -> str:
    return _environment().get_template("summary.html.j2").render(s=summary_view(gradebook))


def write_summary(gradebook, path: Path) -> bool:
    """Write atomically; leaves the file alone when nothing changed. Returns True when written."""
    return write_if_changed(Path(path), render_summary(gradebook))
