"""The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external resources).

Data first, rendering last: ``report_view`` turns a ``GradeResult`` into plain dicts of strings and
numbers (number formats, colour scales and SVG geometry are all computed here), and the template
only lays them out. The template autoescapes everything: messages, tracebacks, paths and printed
output are student-controlled text. The same result always renders to the same bytes.
"""

from __future__ import annotations

import math
import os
import re
from functools import lru_cache
from pathlib import Path

import jinja2

from grader.results import STATUSES, CheckResult, ExerciseResult, GradeResult, finite_or_none

from .figures import check_figure, group_figure
from .output import write_text_atomic
from .plots import error_per_gate_svg, error_per_step_svg

__all__ = ["render_html", "write_html", "report_view"]

WRONG = 1e-6  # a scaled error above this counts as wrong (the threshold the metrics use)
DECADES = 4  # the heatmap colour scale spans at most this many powers of ten
# ColorBrewer OrRd: light = slightly wrong, dark = very wrong
RAMP = ["#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#b30000", "#7f0000"]
RIGHT_FILL = "#e3f1e7"
LOW = 0.2  # where wrong values start on RAMP, kept clear of its near-white end
BAD_FILL = "#4c0519"  # NaN / inf
OPEN = ("failed", "error", "timeout")
GATE_NAMES = {"i": "input", "f": "forget", "o": "output", "g": "candidate", "r": "reset", "z": "update",
              "n": "candidate"}
# metrics drawn as pictures or shown elsewhere, not in the list of numbers
SPECIAL = {"error_map", "error_per_step", "first_wrong_lag", "correct_steps", "error_per_gate", "probes",
           "mutated_inputs", "infrastructure", "array", "worst_index", "tolerance", "tol",
           "curve", "clip_curve", "loss_curve", "knob", "value"}  # drawn by figures.py
LABELS = {
    "rel_error": "relative error",
    "cs231n_rel_error": "CS231n relative error",
    "max_abs_error": "largest |difference|",
    "wrong_fraction": "entries wrong",
    "cases": "cases compared",
    "case": "failing case",
    "dims": "sizes",
    "params": "parameters",
    "expected": "expected parameters",
    "fd_entries": "entries checked by finite differences",
    "decay_rate": "your decay rate b (per step)",
    "reference_decay_rate": "the reference's decay rate b",
    "rho": "your rho = e^b",
    "half_life": "half-life (doubling time if b > 0), steps",
    "bound": "bound ln σ_max(W_h)",
    "val_rmse": "your validation RMSE",
    "final_train_loss": "your final training loss",
}


# ---------------------------------------------------------------- formatting


def fmt_num(x) -> str:
    """Numbers as a student reads them: 0.594, 1.19, 2.42e-16; NaN and inf spelt out."""
    if x is None:
        return "—"
    if hasattr(x, "item") and not isinstance(x, (int, float)):
        try:
            x = x.item()  # a numpy scalar that reached the metrics of an in-memory result
        except (TypeError, ValueError):
            return str(x)
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    return f"{x:.3g}"


def fmt_points(x) -> str:
    x = finite_or_none(x)
    if x is None:
        return "—"
    if x == int(x):
        return str(int(x))
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _pct(score, max_score) -> int:
    try:
        return max(0, min(100, round(100 * float(score) / float(max_score)))) if max_score else 0
    except (TypeError, ValueError, ZeroDivisionError):
        return 0


def _anchor(prefix: str, text: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)).strip("-")


def _is_scalar(v) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def fmt_value(v) -> str:
    """Any metric value in one short line (unknown keys must never break the report)."""
    if _is_scalar(v):
        return v if isinstance(v, str) else fmt_num(v)
    if isinstance(v, dict):
        if len(v) <= 12 and all(_is_scalar(x) for x in v.values()):
            return ", ".join(f"{k}={fmt_value(x)}" for k, x in v.items())
        return f"({len(v)} entries)"
    if isinstance(v, (list, tuple)):
        if len(v) <= 12 and all(_is_scalar(x) for x in v):
            return ", ".join(fmt_value(x) for x in v)
        return f"({len(v)} items)"
    return type(v).__name__


# ---------------------------------------------------------------- colour scale


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgb)


def _ramp(t: float) -> str:
    """Colour at position t in [0, 1] of RAMP (linear in RGB between stops)."""
    t = min(1.0, max(0.0, t)) * (len(RAMP) - 1)
    i = min(int(t), len(RAMP) - 2)
    a = [int(RAMP[i][k:k + 2], 16) for k in (1, 3, 5)]
    b = [int(RAMP[i + 1][k:k + 2], 16) for k in (1, 3, 5)]
    f = t - i
    return _hex([x + (y - x) * f for x, y in zip(a, b)])


class Scale:
    """Log colour scale from the smallest to the largest wrong value (spanning at most DECADES powers
    of ten); right values (<= WRONG) get their own colour so they never read as "a little wrong"."""

    def __init__(self, values: list):
        wrong = [v for v in (finite_or_none(x) for x in values) if v is not None and v > WRONG]
        self.hi = max(wrong, default=0.0)
        self.lo = max(min(wrong, default=WRONG), self.hi / 10 ** DECADES)

    def fill(self, v) -> str:
        v = finite_or_none(v)
        if v is None:
            return BAD_FILL
        if v <= WRONG:
            return RIGHT_FILL
        if self.hi <= self.lo:
            return _ramp(1.0)
        return _ramp(LOW + (1 - LOW) * (math.log10(max(v, self.lo)) - math.log10(self.lo)) /
                     (math.log10(self.hi) - math.log10(self.lo)))

    def legend(self) -> dict:
        return {"right": RIGHT_FILL, "wrong": WRONG_TEXT, "steps": [_ramp(LOW + (1 - LOW) * k / 6) for k in range(7)],
                "lo": fmt_num(self.lo), "hi": fmt_num(self.hi), "log": self.hi > self.lo * 10}


WRONG_TEXT = fmt_num(WRONG)


# ---------------------------------------------------------------- pictures


_PAD = object()  # fills ragged rows; drawn as nothing


def _grid(values) -> list[list] | None:
    if not isinstance(values, list) or not values or not all(isinstance(r, list) and r for r in values):
        return None
    width = max(len(r) for r in values)
    return [list(r) + [_PAD] * (width - len(r)) for r in values]


def _implied(shape, rows: str, n_rows: int, n_cols: int) -> tuple[int, int]:
    """The unpooled size of the map's two axes, when the shape says it (else the grid's own)."""
    try:
        shape = [int(s) for s in shape]
    except (TypeError, ValueError):
        return n_rows, n_cols
    if len(shape) == 3 and n_rows <= shape[1] and n_cols <= shape[2] and rows.startswith("time"):
        return shape[1], shape[2]
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) == 1:
        return 1, shape[0]
    if len(shape) >= 3:
        return shape[0], math.prod(shape[1:])
    return n_rows, n_cols


def _ticks(n_cells: int, n_orig: int) -> list[str]:
    """Tick labels: indices, or index ranges when the map pooled blocks of entries."""
    if n_orig <= n_cells:
        return [str(i) for i in range(n_cells)]
    edges = [int(i * n_orig / n_cells) for i in range(n_cells + 1)]
    return [str(a) if b - a <= 1 else f"{a}–{b - 1}" for a, b in zip(edges, edges[1:])]


def _where(label: str, tick: str) -> str:
    return f"{label} = {tick}" if label else f"[{tick}]"


def heatmap(em) -> dict | None:
    """``metrics["error_map"]`` as SVG cells (x, y, fill, tooltip), axis ticks, legend and a table."""
    if not isinstance(em, dict):
        return None
    grid = _grid(em.get("values"))
    if grid is None:
        return None
    n_rows, n_cols = len(grid), len(grid[0])
    rows, cols = str(em.get("rows") or ""), str(em.get("cols") or "")
    array = str(em.get("array") or "the array")
    shape = em.get("shape") if isinstance(em.get("shape"), list) else []
    o_rows, o_cols = _implied(shape, rows, n_rows, n_cols)
    rticks, cticks = _ticks(n_rows, o_rows), _ticks(n_cols, o_cols)
    pooled = o_rows > n_rows or o_cols > n_cols
    scale = Scale([v for r in grid for v in r])

    cell = max(10, min(34, 330 // max(n_cols, 1), 330 // max(n_rows, 1)))
    ml = 30 + (7 * max(len(t) for t in rticks) if rows else 0)
    mt = 34 if cols else 20
    width, height = ml + n_cols * cell + 4, mt + n_rows * cell + 4
    every = max(1, math.ceil(14 / cell)) if n_cols > 1 else 1
    show_rows = n_rows > 1 or bool(rows)
    cells, worst, worst_key, right = [], "", -1.0, 0
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v is _PAD:
                continue
            num = finite_or_none(v)
            where = ", ".join(w for w in (_where(rows, rticks[i]) if show_rows else "", _where(cols, cticks[j])) if w)
            cells.append({"x": ml + j * cell, "y": mt + i * cell, "fill": scale.fill(v),
                          "title": f"{array} {where}: {'not finite' if num is None else fmt_num(num)}"})
            right += num is not None and num <= WRONG
            if (math.inf if num is None else num) > worst_key:
                worst, worst_key = where, math.inf if num is None else num
    shape_text = " × ".join(str(s) for s in shape)
    aria = (f"Error map of {array}" + (f" (shape {shape_text})" if shape_text else "") + f": {n_rows} × {n_cols} cells"
            + (f", rows {rows}" if rows else "") + (f", columns {cols}" if cols else "")
            + (f"; largest error {fmt_num(scale.hi)} at {worst}" if worst and scale.hi > WRONG else "")
            + f"; {right} of {len(cells)} cells right.")
    table = {"cols": cticks, "rows": [{"label": rticks[i], "nums": ["" if v is _PAD else fmt_num(v) for v in r]}
                                      for i, r in enumerate(grid)]}
    return {
        "array": array, "rows": rows, "cols": cols, "shape": shape_text, "pooled": pooled,
        "width": width, "height": height, "cell": cell, "ml": ml, "mt": mt, "cells": cells,
        "rticks": [{"y": mt + i * cell + cell / 2 + 4, "text": t} for i, t in enumerate(rticks)] if show_rows else [],
        "cticks": [{"x": ml + j * cell + cell / 2, "text": t} for j, t in enumerate(cticks) if j % every == 0],
        "rows_label_y": mt + n_rows * cell / 2, "legend": scale.legend(), "aria": aria, "table": table,
        "right": right, "total": len(cells),
    }


def step_strip(steps, first_wrong_lag=None) -> dict | None:
    """``metrics["error_per_step"]`` as a bar per time step t; lag 0 is the last step."""
    if not isinstance(steps, list) or not steps:
        return None
    nums = [finite_or_none(v) for v in steps]
    T = len(steps)
    hi = max((v for v in nums if v is not None), default=0.0)
    bw = max(8, min(30, 330 // T))
    gap = 3 if bw > 10 else 1
    ml, h, mt = 6, 64, 6
    bars = []
    for t, v in enumerate(nums):
        ok = v is not None and v <= WRONG
        bh = h if v is None else (0 if ok or hi <= 0 else max(3.0, h * v / hi))
        title = f"t = {t} (lag {T - 1 - t}): largest error {'not finite' if v is None else fmt_num(v)}"
        bars.append({"x": ml + t * bw, "y": mt + h - bh, "w": bw - gap, "h": bh, "ok": ok, "t": t,
                     "label": t % max(1, math.ceil(16 / bw)) == 0 or t == T - 1,
                     "title": title + (" (right)" if ok else "")})
    right = [b["t"] for b in bars if b["ok"]]
    wrong = [b["t"] for b in bars if not b["ok"]]
    lag = first_wrong_lag if isinstance(first_wrong_lag, int) and not isinstance(first_wrong_lag, bool) else None
    note = ""
    if lag is not None and 0 <= lag < T:
        note = f"The latest wrong step is t = {T - 1 - lag} (lag {lag} back from the last step)."
    aria = (f"Largest error per time step, t = 0 to {T - 1}: " +
            "; ".join(f"t = {t}: {fmt_num(s)}" for t, s in enumerate(steps)) +
            f". Right at t = {_ranges(right) or 'none'}; wrong at t = {_ranges(wrong) or 'none'}.")
    table = [{"t": t, "lag": T - 1 - t, "value": fmt_num(s), "ok": bars[t]["ok"]} for t, s in enumerate(steps)]
    return {"bars": bars, "width": ml + T * bw + 4, "height": mt + h + 34, "base": mt + h, "ml": ml, "T": T,
            "aria": aria, "right": _ranges(right), "wrong": _ranges(wrong), "note": note, "hi": fmt_num(hi),
            "table": table}


def _ranges(ts: list[int]) -> str:
    out, start = [], None
    for i, t in enumerate(ts):
        start = t if start is None else start
        if i + 1 == len(ts) or ts[i + 1] != t + 1:
            out.append(str(start) if start == t else f"{start}–{t}")
            start = None
    return ", ".join(out)


def gate_table(gates) -> list[dict] | None:
    """``metrics["error_per_gate"]`` as rows: gate, its name, largest error, bar width, right or wrong."""
    if not isinstance(gates, dict) or not gates:
        return None
    nums = {str(k): finite_or_none(v) for k, v in gates.items()}
    hi = max((v for v in nums.values() if v is not None), default=0.0)
    rows = []
    for k, v in gates.items():
        n = nums[str(k)]
        ok = n is not None and n <= WRONG
        rows.append({"gate": str(k), "name": GATE_NAMES.get(str(k), ""), "value": fmt_num(v), "ok": ok,
                     "pct": 100 if n is None else (0 if ok or hi <= 0 else max(3, round(100 * n / hi)))})
    return rows


def probe_table(probes) -> list[dict] | None:
    """``metrics["probes"]``: per array, your directional derivative against the numerical one."""
    if not isinstance(probes, dict) or not probes:
        return None
    rows = []
    for name, p in probes.items():
        if not isinstance(p, dict):
            continue
        rows.append({"array": str(name), "analytic": fmt_num(p.get("analytic")), "numeric": fmt_num(p.get("numeric")),
                     "rel_error": fmt_num(p.get("rel_error"))})
    return rows or None


# ---------------------------------------------------------------- checks


def metric_rows(m: dict) -> list[dict]:
    """The numbers of a check as (label, value) rows; relative error first, against the tolerance."""
    rows = []
    tol = m.get("tolerance", m.get("tol"))
    if "rel_error" in m:
        rel, t = finite_or_none(m["rel_error"]), finite_or_none(tol)
        note = ""
        if t is not None:
            side = "" if rel is None else ("within the " if rel <= t else "above the ")
            note = f"{side}tolerance {fmt_num(t)}"
        rows.append({"label": LABELS["rel_error"], "value": fmt_num(m["rel_error"]), "note": note})
    elif tol is not None:
        rows.append({"label": "tolerance", "value": fmt_value(tol), "note": ""})
    if "worst_index" in m:
        idx = m["worst_index"]
        idx = ", ".join(fmt_value(i) for i in idx) if isinstance(idx, (list, tuple)) else fmt_value(idx)
        rows.append({"label": "largest difference at", "value": f"{m.get('array', '')}[{idx}]", "note": ""})
    elif "array" in m:
        rows.append({"label": "array", "value": fmt_value(m["array"]), "note": ""})
    for key, v in m.items():
        if key in SPECIAL or key == "rel_error":
            continue
        if key == "wrong_fraction" and finite_or_none(v) is not None:
            value = f"{100 * finite_or_none(v):.0f}%"
        elif key == "case" and isinstance(v, int):
            value = f"#{v}"
        else:
            value = fmt_value(v)
        rows.append({"label": LABELS.get(key, str(key).replace("_", " ")), "value": value, "note": ""})
    return rows


def _counterexample(ce) -> dict | None:
    """The smallest failing input of a property check: a sentence, the shapes and a snippet to paste."""
    if not isinstance(ce, dict):
        return None
    shapes = ce.get("shapes") if isinstance(ce.get("shapes"), dict) else {}
    return {"description": str(ce.get("description", "")), "snippet": str(ce.get("snippet", "")),
            "shapes": ", ".join(f"{k} {tuple(v) if isinstance(v, list) else v}" for k, v in shapes.items())}


def _diagnosis(d) -> dict | None:
    if not d:
        return None
    get = d.get if isinstance(d, dict) else (lambda k, default="": getattr(d, k, default))
    out = {k: str(get(k, "") or "") for k in ("bug", "title", "explanation", "evidence")}
    return out if any(out.values()) else None


def check_view(c: CheckResult) -> dict:
    m = c.metrics if isinstance(c.metrics, dict) else {}
    mutated = m.get("mutated_inputs")
    mutated = [str(x) for x in mutated] if isinstance(mutated, (list, tuple)) else ([str(mutated)] if mutated else [])
    frames = [{"file": f.file, "line": f.line, "func": f.func, "code": (f.code or "").strip()}
              for f in c.traceback or []]
    steps = step_strip(m.get("error_per_step"), m.get("first_wrong_lag"))
    if steps:
        steps["svg"] = error_per_step_svg(m.get("error_per_step"))
    gates = gate_table(m.get("error_per_gate"))
    return {
        "id": c.id, "anchor": _anchor("check-", c.id), "status": c.status, "kind": c.kind, "function": c.function,
        "points": f"{fmt_points(c.score)} / {fmt_points(c.max_score)}", "graded": bool(c.max_score),
        "open": c.status in OPEN, "message": c.message or "", "hint": c.hint or "", "call": c.call or "",
        "frames": frames, "metrics": metric_rows(m), "mutated": mutated,
        "infrastructure": bool(m.get("infrastructure")),
        "diagnosis": _diagnosis(c.diagnosis), "heatmap": heatmap(m.get("error_map")), "steps": steps,
        "gates": gates, "gates_svg": error_per_gate_svg(m.get("error_per_gate")) if gates else None,
        "probes": probe_table(m.get("probes")), "figure": check_figure(m, c.kind),
        "counterexample": _counterexample(c.counterexample), "not_charged": str(m.get("not_charged") or ""),
        "seconds": fmt_num(c.seconds) if c.seconds else "",
    }


def _counts(checks) -> list[dict]:
    return [{"status": s, "n": sum(c.status == s for c in checks)} for s in STATUSES]


def _mark_repeats(views: list[dict]) -> list[dict]:
    """A crash usually fails every check of a function the same way: say so once, link the rest."""
    first: dict[tuple, dict] = {}
    for v in views:
        v["repeat_of"] = None
        if v["status"] in ("error", "timeout") and v["frames"]:
            key = (v["status"], v["message"], v["hint"], v["call"], tuple(tuple(f.values()) for f in v["frames"]))
            seen = first.setdefault(key, v)
            if seen is not v:
                v["repeat_of"] = {"id": seen["id"], "anchor": seen["anchor"]}
    return views


def exercise_view(e: ExerciseResult) -> dict:
    functions: dict[str, list] = {}
    for c in e.checks:
        functions.setdefault(c.function, []).append(c)
    groups = []
    for name, checks in functions.items():
        statuses = {c.status for c in checks}
        worst = next((s for s in ("error", "timeout", "failed", "skipped") if s in statuses), "passed")
        groups.append({"name": name, "status": worst, "checks": _mark_repeats([check_view(c) for c in checks]),
                       "figure": group_figure(checks),
                       "score": fmt_points(sum(c.score for c in checks)),
                       "max_score": fmt_points(sum(c.max_score for c in checks))})
    return {"id": e.id, "anchor": _anchor("ex-", e.id), "title": e.title or e.id, "score": fmt_points(e.score),
            "max_score": fmt_points(e.max_score), "pct": _pct(e.score, e.max_score),
            "counts": [x for x in _counts(e.checks) if x["n"]], "functions": groups, "n_checks": len(e.checks),
            "all_passed": bool(e.checks) and all(c.status == "passed" for c in e.checks)}


def report_view(result: GradeResult) -> dict:
    """Everything the template shows, as plain strings, numbers, lists and dicts."""
    sub = result.submission
    checks = result.checks
    output = result.output or ""
    return {
        "title": sub.module_file or os.path.basename(sub.path) or "submission",
        "path": sub.path, "sha256": sub.sha256 or "", "sha_short": (sub.sha256 or "")[:12], "kind": sub.kind,
        "module_file": sub.module_file, "isolation": result.isolation, "seed": result.seed,
        "version": result.grader_version, "schema": result.schema_version,
        "duration": f"{fmt_num(result.duration_s)} s",
        "score": fmt_points(result.score), "max_score": fmt_points(result.max_score),
        "pct": _pct(result.score, result.max_score), "counts": _counts(checks), "n_checks": len(checks),
        "all_passed": result.all_passed, "public": getattr(result, "mode", "full") == "public",
        "attention": [{"id": c.id, "anchor": _anchor("check-", c.id), "status": c.status, "message": c.message}
                      for c in checks if c.status != "passed"],
        "load_problems": [{"code": p.code, "fatal": p.fatal, "message": p.message, "hint": p.hint,
                           "where": f"{p.file}:{p.line}" if p.file and p.line else (p.file or "")}
                          for p in result.load_problems],
        "exercises": [exercise_view(e) for e in result.exercises],
        "output": output, "output_lines": len(output.splitlines()),
    }


# ---------------------------------------------------------------- rendering


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("grader.render", "templates"),
        autoescape=True,  # always: the report embeds student-controlled text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(result: GradeResult) -> str:
    """The whole report as one self-contained HTML document."""
    return _environment().get_template("report.html.j2").render(r=report_view(result))


def write_html(result: GradeResult, path: str | os.PathLike) -> Path:
    """Render, then write atomically: a failed render never touches an existing report."""
    return write_text_atomic(path, render_html(result))
