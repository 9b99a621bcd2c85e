"""Generate a class of submissions in every LMS layout, and run `rnngrade grade` on it.

``class_members(n)`` is a deterministic mix of correct, buggy, unloadable and misbehaving
submissions (infinite loop, memory bomb, exit at import), each with the status the bulk grader
must give it. ``write_class(root, members, layout)`` lays them out the way Canvas, Moodle,
Gradescope, GitHub Classroom or a plain folder would. Tests grade with ``FAST`` (two quick
exercises, a 1 s call limit) unless the point of the test needs more.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from zoo_helpers import CORRECT, ROOT, ZOO

FAST = ["-e", "clipping", "-e", "tbptt", "--call-seconds", "1", "--progress", "plain"]
LAYOUTS = ("canvas", "moodle", "gradescope", "classroom", "plain")

LOOP = '''

def clip_grad_norm(grads, max_norm):
    total = 0.0
    while True:  # never returns
        total += 1.0
'''
MEMORY_BOMB = '''

def clip_grad_value(grads, clip_value):
    hoard = []
    while True:  # grows until the worker's memory limit (or the call's time limit) stops it
        hoard.append(bytearray(64 * 1024 * 1024))
'''
RENAMED = '''

def clip_grad_value(gradients, limit):
    """A copy of someone's clip_grad_value with other names and comments."""
    # clip every entry
    return {name: np.clip(g, -limit, limit) for name, g in gradients.items()}
'''
ORIGINAL = '''

def clip_grad_value(grads, clip_value):
    return {k: np.clip(v, -clip_value, clip_value) for k, v in grads.items()}
'''


def bug(name: str) -> str:
    return (ZOO / "bugs" / f"{name}.py").read_text()


@dataclass
class Member:
    user: str  # login-like name: doejane
    first: str
    last: str
    uid: int  # LMS numeric id
    files: dict  # relative path -> text (one submission)
    expect: str  # status the grader must give: passed | graded | timeout | unloadable | skipped
    older: dict | None = None  # an earlier version (Canvas resubmission): must NOT be graded
    late: bool = False
    diagnosis: str = ""  # a named bug the summary must count
    email: str = ""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


def _kinds() -> list[tuple[str, dict, str, str]]:
    """(label, files, expected status, diagnosis) -- one cycle of the class mix."""
    correct = CORRECT.read_text()
    return [
        ("correct", {"rnn_layers.py": correct}, "passed", ""),
        ("clip_per_tensor", {"rnn_layers.py": correct + "\n\n" + bug("clip_per_tensor")}, "graded", "clip-per-tensor"),
        ("tbptt_off_by_one", {"rnn_layers.py": correct + "\n\n" + bug("tbptt_off_by_one")}, "graded", "tbptt-off-by-one"),
        ("correct_original", {"rnn_layers.py": correct + ORIGINAL}, "passed", ""),
        ("syntax_error", {"rnn_layers.py": (ZOO / "files" / "syntax_error.py").read_text()}, "unloadable", ""),
        ("correct_renamed", {"rnn_layers.py": correct + RENAMED}, "passed", ""),
        ("infinite_loop", {"rnn_layers.py": correct + LOOP}, "timeout", ""),
        ("exit_at_import", {"rnn_layers.py": (ZOO / "files" / "exit_at_import.py").read_text()}, "unloadable", ""),
        ("memory_bomb", {"rnn_layers.py": correct + MEMORY_BOMB}, "timeout", ""),
        ("sys_exit_in_call", {"rnn_layers.py": correct + "\n\n" + bug("sys_exit_in_call")}, "graded", ""),
        ("no_module", {"helpers.py": "X = 1\n", "notes.py": "Y = 2\n"}, "unloadable", ""),
        ("python2", {"rnn_layers.py": (ZOO / "files" / "python2.py").read_text()}, "unloadable", ""),
        ("correct_multi", {"rnn_layers.py": correct, "utils.py": "HELPER = 1\n"}, "passed", ""),
    ]


FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim", "Margaret", "Linus",
         "Katherine", "Dennis", "Shafi", "Leslie", "Sophie", "Guido"]
LAST = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Perlman", "Berners",
        "Hamilton", "Torvalds", "Johnson", "Ritchie", "Goldwasser", "Lamport", "Wilson", "Rossum"]


def _notebook(source: str) -> str:
    """The solution in one notebook cell, next to junk cells that must not run."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# RNN exercise"), nbformat.v4.new_code_cell(source),
                nbformat.v4.new_code_cell("!pip install torch\nfor step in range(10**9):\n    pass")]
    return nbformat.writes(nb)


def class_members(n: int = 52, notebook: bool = True, resubmission: bool = True,
                  text_entry: bool = False) -> list[Member]:
    kinds = _kinds()
    members = []
    for i in range(n):
        label, files, expect, diagnosis = kinds[i % len(kinds)]
        first, last = FIRST[i % len(FIRST)], f"{LAST[(i * 7) % len(LAST)]}{i}"
        user = f"{last}{first}".lower()
        members.append(Member(user, first, last, 1000 + i, dict(files), expect, diagnosis=diagnosis,
                              late=i % 11 == 3, email=f"{user}@example.edu"))
    if resubmission:  # the newest version is correct; an older, broken one must be ignored
        m = members[0]
        m.older = {"rnn_layers.py": (ZOO / "files" / "syntax_error.py").read_text()}
    if notebook:  # graded like a .py (its junk cell is not run)
        members.append(Member("notebookpat", "Pat", "Notebook", 1998, {"rnn_layers.ipynb": _notebook(CORRECT.read_text())},
                              "passed", email="pat@example.edu"))
    if text_entry:  # a Canvas online-text entry: nothing to grade, so skipped (and left blank in exports)
        members.append(Member("textkim", "Kim", "Text", 1999, {"online_text.html": "<p>see my code</p>"}, "skipped",
                              email="kim@example.edu"))
    return members


def write_class(root: Path, members: list[Member], layout: str, as_zip: bool = False) -> Path:
    """Lay the class out as ``layout`` under ``root``; return the SUBMISSIONS path (folder or zip)."""
    files: dict[str, str] = {}
    meta_lines: list[str] = []
    for i, m in enumerate(members):
        multi = len(m.files) > 1
        if layout == "canvas":
            late = "_LATE" if m.late else ""
            if m.older:
                for rel, text in m.older.items():
                    files[f"{m.user}{late}_{m.uid}_{50000 + i}_{rel}"] = text
            for j, (rel, text) in enumerate(sorted(m.files.items())):
                name = rel.replace(".py", "-1.py") if m.older else rel
                files[f"{m.user}{late}_{m.uid}_{60000 + 10 * i + j}_{name}"] = text
        elif layout == "moodle":
            for rel, text in m.files.items():
                files[f"{m.name}_{m.uid}_assignsubmission_file_/{rel}"] = text
        elif layout == "gradescope":
            for rel, text in m.files.items():
                files[f"submission_{900000 + i}/{rel}"] = text
            meta_lines += [f"submission_{900000 + i}:", "  :submitters:", f"  - :name: {m.name}",
                           f"    :sid: '{m.uid}'", f"    :email: {m.email}",
                           "  :created_at: 2024-03-01 10:00:00.000000000 -08:00", "  :score: 0.0"]
        elif layout == "classroom":
            for rel, text in m.files.items():
                files[f"rnn-assignment-{m.user}/{rel}"] = text
            files[f"rnn-assignment-{m.user}/README.md"] = "# RNN assignment\n"
        elif layout == "plain":
            if multi:
                for rel, text in m.files.items():
                    files[f"{m.user}/{rel}"] = text
            else:
                (rel, text), = m.files.items()
                files[f"{m.user}{Path(rel).suffix}"] = text
        else:
            raise ValueError(layout)
    if meta_lines:
        files["submission_metadata.yml"] = "\n".join(meta_lines) + "\n"
    files[".DS_Store"] = "junk"
    root.mkdir(parents=True, exist_ok=True)
    if as_zip:
        target = root / f"{layout}.zip"
        with zipfile.ZipFile(target, "w") as zf:
            for rel, text in sorted(files.items()):
                zf.writestr(rel, text)
        return target
    target = root / layout
    for rel, text in files.items():
        p = target / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    if layout == "canvas":  # a resubmission is newer on disk too
        for p in target.glob("*-1.py"):
            os.utime(p, (2e9, 2e9))
    return target


def student_key(m: Member, layout: str) -> str:
    """The key the grader must give ``m`` (no roster)."""
    return {"canvas": f"{m.user}_{m.uid}", "moodle": f"{m.first}_{m.last}_{m.uid}", "gradescope": str(m.uid),
            "classroom": m.user, "plain": m.user}[layout]


def roster_csv(members: list[Member], extra: list[tuple[str, str, str]] = ()) -> str:
    lines = ["id,name,email"] + [f"s{m.uid},{m.name},{m.email}" for m in members]
    lines += [",".join(row) for row in extra]
    return "\n".join(lines) + "\n"


def rnngrade(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout)


def grade_in_process(src: Path, out: Path, jobs: int = 2, roster: Path | None = None, force: bool = False,
                     launcher: str | None = None, budget: float = 120.0, **options):
    """``run_batch`` with the FAST settings, in this process: (report, printed text)."""
    from rich.console import Console

    from grader.bulk.batch import BatchOptions, run_batch
    from grader.bulk.plan import Config

    config = Config(("clipping", "tbptt"), call_seconds=1.0, budget_seconds=budget)
    console = Console(file=io.StringIO(), width=200, highlight=False, soft_wrap=True)
    opts = BatchOptions(src, out, jobs, force, roster, config, "none", launcher, retry_delay=0.01, **options)
    report = run_batch(opts, console)
    return report, console.file.getvalue()


def _connect(out: Path) -> sqlite3.Connection:
    """Read-only: never creates a gradebook while a run is starting."""
    return sqlite3.connect(f"file:{out / 'gradebook.sqlite'}?mode=ro", uri=True, timeout=30)


def current(out: Path) -> list[sqlite3.Row]:
    db = _connect(out)
    db.row_factory = sqlite3.Row
    try:
        return db.execute("SELECT * FROM current ORDER BY student").fetchall()
    finally:
        db.close()


def query(out: Path, sql: str, *params) -> list[tuple]:
    db = _connect(out)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def assert_files_match(out: Path, exact: bool = True) -> None:
    """Every current result has its files, byte for byte; with ``exact``, no other result files
    (after a kill there may be files of a grading that was never committed: they get regraded)."""
    rows = [r for r in current(out) if r["result_json"] is not None]
    for r in rows:
        assert (out / "results" / f"{r['student']}.json").read_text() == r["result_json"], r["student"]
        report = (out / "reports" / f"{r['student']}.html").read_text()
        assert report.startswith("<!DOCTYPE html>"), r["student"]
        assert json.loads(r["result_json"])["submission"]["sha256"] == r["sha256"]
    if exact:
        keys = {r["student"] for r in rows}
        assert {p.stem for p in (out / "results").glob("*.json")} == keys
        assert {p.stem for p in (out / "reports").glob("*.html")} == keys


class BrokenLauncher:
    """A sandbox launcher that can never start a worker (the executable does not exist)."""

    level = "process"

    def command(self, config):
        return ["/nonexistent/python-for-rnngrade"], {}, config.workdir


class RaisingLauncher:
    """Works, but the grader trips over it while assembling the result: a grader bug, never the
    student's fault."""

    @property
    def level(self):
        raise RuntimeError("simulated grader bug")

    def command(self, config):
        from grader.sandbox.launcher import ProcessLauncher

        return ProcessLauncher().command(config)


class CrashingLauncher:
    """Kills the grading process itself (as an OOM kill would)."""

    level = "process"

    def command(self, config):
        os._exit(9)


class FlakyLauncher:
    """Every other worker start fails (the first try of each submission), the next one works."""

    level = "process"
    calls = 0

    def command(self, config):
        from grader.sandbox.launcher import ProcessLauncher

        FlakyLauncher.calls += 1
        if FlakyLauncher.calls % 2:
            return ["/nonexistent/python-for-rnngrade"], {}, config.workdir
        return ProcessLauncher().command(config)


def zip_bytes(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for rel, text in files.items():
            zf.writestr(rel, text)
    return buf.getvalue()


__all__ = ["ROOT", "FAST", "LAYOUTS", "Member", "class_members", "write_class", "student_key", "rnngrade",
           "grade_in_process", "current", "query", "assert_files_match", "roster_csv"]


MARK = "CRASH_THE_GRADER"  # a submission containing this makes the *Marked launchers misbehave


def _marked(config) -> bool:
    return any(MARK in p.read_text(errors="replace") for p in Path(config.student_dir).rglob("*.py"))


class CrashOnMarkedLauncher:
    """Kills the grading process (as an OOM kill would) while grading a marked submission."""

    level = "process"

    def command(self, config):
        from grader.sandbox.launcher import ProcessLauncher

        if _marked(config):
            os._exit(9)
        return ProcessLauncher().command(config)


class HangOnMarkedLauncher:
    """Hangs the grading process itself (a grader bug the per-submission budget cannot see)."""

    level = "process"

    def command(self, config):
        import time

        from grader.sandbox.launcher import ProcessLauncher

        if _marked(config):
            time.sleep(3600)
        return ProcessLauncher().command(config)
