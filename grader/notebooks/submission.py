"""A notebook as a ``Submission``: the extracted module for the worker, and the map back to cells.

The worker imports the extracted module as ``rnn_layers.py`` like any other submission. Its
frames come back with that file name and a module line; ``NotebookInfo.map_frames`` (handed to
the ``WorkerSession`` as its ``frame_map``) turns them into ``cell N, line M`` in the trusted
parent before any message is built, and ``NotebookInfo.adapt`` words the rest of the result for
a notebook (import hints, reproduction snippets, the file name shown).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..loader import LoadProblem, Submission
from ..sandbox.launcher import DEFAULT_BLOCKED_IMPORTS
from .extract import MODULE_NAME, extract
from .read import NotebookInvalid, read_cells

IMPORT_HINT = ("A graded cell raises while the notebook's definitions are run: Restart the kernel and Run All "
               "(Kernel > Restart & Run All) and fix the first error. Only imports, definitions and constant "
               "assignments are run when grading, in notebook order (top to bottom).")
TIMEOUT_HINT = ("A constant or a class body in your notebook does work that never finishes: keep only definitions "
                "and simple constants at the top level of your cells.")


@dataclass
class NotebookInfo:
    name: str  # the notebook's path inside the submission, e.g. "rnn_layers.ipynb"
    line_map: list = field(default_factory=list)  # module line -> (cell label, line) or None
    module_file: str = MODULE_NAME
    code_cells: int = 0

    def where(self, line: int) -> tuple[str, int] | None:
        if isinstance(line, int) and 0 < line < len(self.line_map):
            return self.line_map[line]
        return None

    def map_frames(self, frames: list[dict]) -> list[dict]:
        """Worker frames in the extracted module -> frames naming the cell and its line."""
        out = []
        for f in frames:
            place = self.where(f.get("line")) if f.get("file") == self.module_file else None
            out.append(dict(f, file=place[0], line=place[1]) if place else f)
        return out

    def adapt(self, result) -> None:
        """Word a finished ``GradeResult`` for a notebook (never changes a status or a score)."""
        result.submission.module_file = self.name
        for c in result.checks:
            if c.message.startswith("importing your file raised"):
                c.message = c.message.replace("importing your file", "running the graded cells of your notebook", 1)
                if "not allowed" not in c.message:
                    c.hint = IMPORT_HINT
            elif c.message.startswith("importing your file did not finish"):
                c.message = c.message.replace("importing your file", "running the graded cells of your notebook", 1)
                c.hint = TIMEOUT_HINT
            elif c.message.startswith("your file could not be loaded"):
                c.message = c.message.replace("your file", "your notebook", 1)
            if c.counterexample and isinstance(c.counterexample.get("snippet"), str):
                c.counterexample["snippet"] = notebook_snippet(c.counterexample["snippet"])


def notebook_snippet(snippet: str) -> str:
    """A reproduction snippet imports from rnn_layers.py; in a notebook it runs in a new cell instead."""
    lines = []
    for line in snippet.split("\n"):
        if line.startswith("from rnn_layers import "):
            used = line[len("from rnn_layers import "):]
            line = f"# run in a new cell at the end of your notebook (it calls your {used})"
        lines.append(line)
    return "\n".join(lines)


def notebook_submission(path: str, notebook_rel: str, data: bytes, helpers: dict[str, bytes], sha256: str,
                        blocked_imports=DEFAULT_BLOCKED_IMPORTS) -> Submission:
    """Read and extract a notebook; every way it can fail is a fatal ``LoadProblem``, never an exception."""
    info = NotebookInfo(notebook_rel)
    files = dict(helpers)
    files[MODULE_NAME] = b""
    sub = Submission(path, "notebook", files, MODULE_NAME, sha256, notebook=info)
    try:
        cells = read_cells(data, notebook_rel)
    except NotebookInvalid as exc:
        sub.problems = [LoadProblem(exc.code, True, exc.message, exc.hint, notebook_rel, 0)]
        return sub
    return fill(sub, cells, blocked_imports)


def fill(sub: Submission, cells, blocked_imports=DEFAULT_BLOCKED_IMPORTS) -> Submission:
    """Put the code extracted from ``cells`` into ``sub`` (a notebook submission)."""
    info = sub.notebook
    ex = extract(cells, info.name, blocked_imports)
    info.line_map, info.code_cells = ex.line_map, ex.code_cells
    sub.files[MODULE_NAME] = ex.module.encode("utf-8")
    sub.problems = list(ex.problems)
    if not ex.code_cells:
        kinds = {}
        for c in cells:
            kinds[c.kind] = kinds.get(c.kind, 0) + 1
        what = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no cells at all"
        sub.problems.insert(0, LoadProblem(
            "notebook-empty", True, f"{info.name} has no code to grade ({what}; no code cell has code in it)",
            "Write your functions in code cells (start from the exercise notebook) and save the notebook before "
            "you submit it: a notebook that was never saved is empty on disk.", info.name, 0))
    return sub
