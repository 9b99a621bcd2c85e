"""``grader.check(...)``: the self-check a student runs from inside a notebook.

What is graded (in this order of preference):

1. ``path=...`` when given (a ``.ipynb`` or ``.py`` file);
2. otherwise the SAVED notebook this kernel belongs to, found from ``__vsc_ipynb_file__`` (VS
   Code), ``__session__`` (set by ipykernel from ``JPY_SESSION_NAME``, which Jupyter Server sets
   to the notebook's path) or ``JPY_SESSION_NAME`` itself. This is what will be submitted, read
   top to bottom as the grader reads it. When the kernel has run a version of a function that
   differs from the saved one, the report says so: save (Ctrl-S) and check again;
3. otherwise (no notebook file can be found, or ``source="history"``) the code this kernel ran,
   cell by cell in the order it ran (IPython's ``In``), with locations "In [12], line 3".

The grading runs in a separate process (``python -m grader check ... --json``), which starts
the sandboxed worker; the reference and the checks are never imported into the kernel. The
kernel receives the results JSON, i.e. exactly what the report shows, and renders it.
"""

from __future__ import annotations

import ast
import html
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .read import HISTORY_SOURCE

SOURCES = ("auto", "file", "history")
IFRAME_HEIGHT = 720


@dataclass
class SelfCheckReport:
    """What ``check`` returns: the result (plain data) and how it was obtained. Displays as HTML."""

    result: object = None  # grader.results.GradeResult, or None when grading could not run
    graded: str = ""  # e.g. "the saved notebook rnn_layers.ipynb"
    notes: list[str] = field(default_factory=list)
    error: str = ""
    hint: str = ""

    @property
    def score(self) -> float:
        return self.result.score if self.result else 0.0

    @property
    def max_score(self) -> float:
        return self.result.max_score if self.result else 0.0

    @property
    def passed(self) -> bool:
        return bool(self.result) and self.result.all_passed

    def summary_lines(self) -> list[str]:
        if self.error:
            return [f"rnngrade self-check could not grade: {self.error}"] + ([f"hint: {self.hint}"] if self.hint else [])
        r = self.result
        mode = " (public checks only)" if getattr(r, "mode", "full") == "public" else ""
        lines = [f"rnngrade self-check: {r.score:g} / {r.max_score:g}{mode}; graded: {self.graded}"]
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"{'error' if p.fatal else 'warning'}: {p.message}" for p in r.load_problems]
        for c in r.checks:
            if c.status in ("failed", "error", "timeout"):
                lines.append(f"{c.status}: {c.id}: {c.message}")
                if c.hint:
                    lines.append(f"  hint: {c.hint}")
        if r.all_passed:
            lines.append("All checks passed.")
        return lines

    def __repr__(self) -> str:
        return "\n".join(self.summary_lines())

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's plain-text display
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        esc = html.escape
        box = "font:14px/1.45 system-ui,sans-serif;border:1px solid #d0d7de;border-radius:8px;padding:10px 14px;margin:4px 0"
        if self.error:
            hint = f"<div><b>Hint:</b> {esc(self.hint)}</div>" if self.hint else ""
            return (f'<div style="{box};background:#fdecea"><b>rnngrade self-check could not grade:</b> '
                    f"{esc(self.error)}{hint}</div>")
        from ..render.html import render_html

        r = self.result
        colour = "#15803d" if r.all_passed else "#b42318"
        mode = " · public checks only" if getattr(r, "mode", "full") == "public" else ""
        notes = "".join(f'<div style="background:#fff8e6;border:1px solid #f5d58a;border-radius:6px;padding:6px 10px;'
                        f'margin-top:6px">{esc(n)}</div>' for n in self.notes)
        todo = [c for c in r.checks if c.status in ("failed", "error", "timeout")]
        items = "".join(f"<li><code>{esc(c.id)}</code> ({esc(c.status)}): {esc(_clip(c.message))}</li>" for c in todo[:8])
        more = f"<li>… and {len(todo) - 8} more</li>" if len(todo) > 8 else ""
        listing = f'<ul style="margin:6px 0 0 18px;padding:0">{items}{more}</ul>' if todo else ""
        head = (f'<div style="{box}"><b style="color:{colour}">rnngrade self-check: {r.score:g} / {r.max_score:g}</b>'
                f'<span style="color:#5f6b7a"> · graded: {esc(self.graded)}{esc(mode)}</span>{notes}{listing}</div>')
        report = esc(render_html(r), quote=True)
        frame = (f'<iframe title="rnngrade report" sandbox srcdoc="{report}" style="width:100%;height:{IFRAME_HEIGHT}px;'
                 f'border:1px solid #d0d7de;border-radius:8px"></iframe>')
        return head + frame


def _clip(text: str, n: int = 300) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------- finding the code


def _shell():
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None


def notebook_path(shell=None) -> Path | None:
    """The saved notebook of this kernel, when the front end says where it is."""
    ns = getattr(shell, "user_ns", {}) or {}
    for candidate in (ns.get("__vsc_ipynb_file__"), ns.get("__session__"), os.environ.get("JPY_SESSION_NAME")):
        if isinstance(candidate, str) and candidate.endswith(".ipynb"):
            p = Path(candidate).expanduser()
            if p.is_file():
                return p.resolve()
    return None


def history_cells(shell) -> list[tuple[int, str]]:
    """(execution count, source) of every cell this kernel ran, oldest first."""
    inputs = getattr(shell, "user_ns", {}).get("In") if shell is not None else None
    if not isinstance(inputs, list):
        return []
    return [(i, src) for i, src in enumerate(inputs) if i and isinstance(src, str) and src.strip()]


def history_notebook(cells: list[tuple[int, str]]) -> str:
    """A notebook file holding a kernel's history (cells named "In [k]" in reports)."""
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"rnngrade": {"source": HISTORY_SOURCE}, "language_info": {"name": "python"}},
        "cells": [{"cell_type": "code", "id": f"in-{n}", "execution_count": n, "metadata": {}, "outputs": [],
                   "source": src} for n, src in cells],
    })


def _functions(sources: list[str]) -> dict[str, str]:
    """name -> ast dump of the last top-level definition (the kernel's or the file's version)."""
    from .extract import _CellSyntax, parse_cell

    out = {}
    for src in sources:
        try:
            tree, _, _ = parse_cell(src)
        except _CellSyntax:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                out[node.name] = ast.dump(node)
    return out


def unsaved_changes(path: Path, cells: list[tuple[int, str]]) -> list[str]:
    """Functions whose last version run in the kernel differs from (or is missing in) the saved file."""
    if not cells or path.suffix != ".ipynb":
        return []
    from .read import NotebookInvalid, read_cells

    try:
        saved = read_cells(path.read_bytes(), path.name)
    except (NotebookInvalid, OSError):
        return []
    mine = _functions([c.source for c in saved if c.kind == "code" and not c.skipped])
    ran = _functions([src for _, src in cells])
    return sorted(n for n, dump in ran.items() if mine.get(n) != dump)


# ---------------------------------------------------------------- grading in another process


def _grade(target: Path, exercise_ids, public: bool | None, timeout: float) -> tuple[object, str, str]:
    """Run ``python -m grader check`` on ``target``; (result, error, hint)."""
    import grader

    from ..results import GradeResult

    package_root = str(Path(grader.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([package_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env.pop("GITHUB_ACTIONS", None)
    with tempfile.TemporaryDirectory(prefix="rnngrade-selfcheck-") as tmp:
        out = Path(tmp, "results.json")
        argv = [sys.executable, "-m", "grader", "check", str(target), "--no-html", "--no-github", "--json", str(out)]
        for ex in exercise_ids:
            argv += ["-e", str(ex)]
        if public:
            argv.append("--public")
        try:
            proc = subprocess.run(argv, cwd=str(target.parent), env=env, capture_output=True, text=True,
                                  timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return None, f"grading took longer than {timeout:g} s", "Run `rnngrade check` in a terminal to see where it stops."
        if proc.returncode in (0, 1) and out.is_file():
            return GradeResult.from_dict(json.loads(out.read_text(encoding="utf-8"))), "", ""
        lines = [x.strip() for x in (proc.stderr or "").splitlines() if x.strip()]
        error = next((x[len("error: "):] for x in lines if x.startswith("error: ")), "") or (lines[-1] if lines else
                                                                                          f"exit status {proc.returncode}")
        hint = next((x[len("hint: "):] for x in lines if x.startswith("hint: ")), "")
        return None, error, hint


def check(*exercise_ids: str, path: str | os.PathLike | None = None, source: str = "auto",
          public: bool | None = None, timeout: float = 600.0) -> SelfCheckReport:
    """Grade this notebook's code (see the module docstring for which code) and show the report.

    ``check()`` grades every exercise, ``check("lstm")`` or ``check("rnn", "gru")`` only those.
    ``path`` names the file to grade; ``source`` is "auto", "file" (the saved notebook only) or
    "history" (the code this kernel ran); ``public=True`` runs only the public checks (always so
    inside a student release).
    """
    if source not in SOURCES:
        return SelfCheckReport(error=f"source must be one of {', '.join(SOURCES)}, not {source!r}",
                               hint='Use check("rnn"), check("rnn", path="my.ipynb") or check("rnn", source="history").')
    shell = _shell()
    cells = history_cells(shell)
    notes: list[str] = []
    if path is not None:
        target = Path(path).expanduser()
        if not target.exists():
            return SelfCheckReport(error=f"{path}: no such file", hint="Give the path of your notebook or .py file, "
                                   "relative to the folder this notebook runs in.")
        graded = f"the file {target.name}" + _saved_at(target)
    else:
        target = notebook_path(shell) if source != "history" else None
        graded = f"the saved notebook {target.name}" + _saved_at(target) if target else ""
    if target is not None and cells and target.suffix == ".ipynb":
        changed = unsaved_changes(target, cells)
        if changed:
            notes.append(f"your kernel ran a version of {', '.join(changed)} that differs from the saved notebook: "
                         "the saved one was graded. Save (Ctrl-S) and run the check again.")
    with tempfile.TemporaryDirectory(prefix="rnngrade-history-") as tmp:
        if target is None:
            if source == "file":
                return SelfCheckReport(error="the saved notebook of this kernel could not be found",
                                       hint='Pass its path: check("rnn", path="rnn_layers.ipynb").')
            if not cells:
                return SelfCheckReport(error="not running in a notebook kernel, and no path was given",
                                       hint='Pass the file to grade: check("rnn", path="rnn_layers.ipynb").')
            target = Path(tmp, "kernel-history.ipynb")
            target.write_text(history_notebook(cells), encoding="utf-8")
            graded = (f"the code this kernel ran (In [{cells[0][0]}] to In [{cells[-1][0]}], in the order it ran), "
                      "not a saved file")
            if source == "auto":
                notes.append("the saved notebook could not be found, so the kernel's history was graded; what you "
                             "submit is graded top to bottom: Restart & Run All before you submit.")
        result, error, hint = _grade(target, exercise_ids, public, timeout)
    return SelfCheckReport(result, graded, notes, error, hint)


def _saved_at(path: Path) -> str:
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return ""
    if age < 90:
        return f" (saved {age:.0f} s ago)"
    return f" (saved {age / 60:.0f} min ago)" if age < 5400 else f" (saved {age / 3600:.1f} h ago)"
