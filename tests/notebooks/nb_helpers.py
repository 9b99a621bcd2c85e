"""Helpers for the notebook tests: real .ipynb files written with nbformat."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from zoo_helpers import CORRECT, ZOO

API = ["rnn", "lstm", "gru", "clipping", "tbptt"]  # the exercise-API exercises (no dynamics, no training)


def cell(source: str, tags=(), kind: str = "code", count=None):
    if kind == "markdown":
        return new_markdown_cell(source)
    c = new_code_cell(source, execution_count=count)
    if tags:
        c.metadata["tags"] = list(tags)
    return c


def write_nb(path: Path, cells, metadata=None) -> Path:
    """Write a v4 notebook; a str in ``cells`` is a code cell, ("md", text) a markdown cell."""
    built = [c if not isinstance(c, (str, tuple)) else
             (cell(c) if isinstance(c, str) else cell(c[1], kind="markdown")) for c in cells]
    nb = new_notebook(cells=built, metadata=metadata or {"kernelspec": {"name": "python3", "language": "python",
                                                                         "display_name": "Python 3"}})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def solution_cells(text: str | None = None) -> list[str]:
    """A solution as a student's notebook has it: the imports, then one cell per top-level function."""
    text = text if text is not None else CORRECT.read_text()
    tree = ast.parse(text)
    lines = text.split("\n")
    imports = [ast.get_source_segment(text, n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    cells = ["\n".join(imports)]
    for n in tree.body:
        if isinstance(n, ast.FunctionDef):
            cells.append("\n".join(lines[n.lineno - 1: n.end_lineno]))
    return cells


def bug(name: str) -> str:
    return (ZOO / "bugs" / f"{name}.py").read_text()


TRAINING_LOOP = """\
# a small training loop that calls the student's own functions (never run when grading)
N, T, D, H = 2, 5, 3, 4
rng = np.random.default_rng(0)
Wx, Wh, b = rng.standard_normal((D, H)), rng.standard_normal((H, H)), np.zeros(H)
losses = []
for step in range(200):
    x = rng.standard_normal((N, T, D))
    h, cache = rnn_forward(x, np.zeros((N, H)), Wx, Wh, b)
    loss = (h ** 2).sum()
    dx, dh0, dWx, dWh, db = rnn_backward(2 * h, cache)
    Wx -= 1e-3 * dWx
    losses.append(loss)
print("final loss", losses[-1])
"""

JUNK = [
    "!pip install numpy matplotlib",
    "%matplotlib inline\nimport matplotlib.pyplot as plt",
    TRAINING_LOOP,
    "plt.plot(losses)\nplt.show()",
    "print('done')\nrnn_forward?",
]


def junk_notebook(path: Path) -> Path:
    """The correct solution split into cells, with the junk a real notebook has between them."""
    sol = solution_cells()
    cells = [("md", "# My RNN homework"), *JUNK[:2], sol[0], *sol[1:6], JUNK[2], *sol[6:], JUNK[3], JUNK[4]]
    return write_nb(path, cells)
