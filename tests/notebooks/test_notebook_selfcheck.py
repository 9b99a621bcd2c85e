"""`from grader import check; check("lstm")` inside a notebook: what it grades, what it shows, and
that the kernel never receives more than the report. The last test runs it in a real Jupyter
kernel (nbclient + ipykernel, test extras; skipped when they are absent)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from nb_helpers import bug, solution_cells, write_nb

from grader import check
from grader.engine import grade
from grader.loader import load
from grader.notebooks import selfcheck


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    return write_nb(tmp_path_factory.mktemp("selfcheck") / "rnn_layers.ipynb", solution_cells())


def test_check_with_a_path_grades_that_file_and_displays_the_report(saved):
    r = check("rnn", path=saved)
    assert not r.error and r.passed and r.score == r.max_score == 19
    assert r.graded.startswith("the file rnn_layers.ipynb (saved ")
    html = r._repr_html_()
    assert "rnngrade self-check: 19 / 19" in html and '<iframe title="rnngrade report" sandbox srcdoc="&lt;!DOCTYPE html&gt;' in html
    assert repr(r).startswith("rnngrade self-check: 19 / 19; graded: the file rnn_layers.ipynb") and "All checks passed." in repr(r)


def test_a_failing_check_is_listed_in_the_summary(tmp_path):
    cells = [c for c in solution_cells() if "def rnn_backward(" not in c] + solution_cells(bug("no_bptt_carry_rnn"))[1:]
    r = check("rnn", path=write_nb(tmp_path / "nb.ipynb", cells), public=True)
    assert not r.passed and r.result.mode == "public"
    assert "(public checks only)" in repr(r) and "failed: rnn.rnn_backward.matches_fd:" in repr(r)
    assert "rnn.rnn_backward.matches_fd</code> (failed)" in r._repr_html_()


@pytest.mark.parametrize("kwargs, error, hint", [
    ({"path": "missing.ipynb"}, "missing.ipynb: no such file", "Give the path of your notebook"),
    ({"source": "kernel"}, "source must be one of auto, file, history, not 'kernel'", 'check("rnn", source="history")'),
    ({}, "not running in a notebook kernel, and no path was given", 'check("rnn", path="rnn_layers.ipynb")'),
    ({"source": "file"}, "the saved notebook of this kernel could not be found", 'check("rnn", path="rnn_layers.ipynb")'),
])
def test_what_check_says_when_it_cannot_grade(monkeypatch, kwargs, error, hint):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    r = check("rnn", **kwargs)
    assert (r.error, r.result) == (error, None) and hint in r.hint
    assert repr(r).startswith(f"rnngrade self-check could not grade: {error}")
    assert "could not grade:</b>" in r._repr_html_()


def test_an_unknown_exercise_is_reported_from_the_grader(saved):
    r = check("transformer", path=saved)
    assert r.error.startswith("unknown exercise(s) transformer") and "rnngrade exercises" in r.hint


def _shell(ns):
    return types.SimpleNamespace(user_ns=ns)


def test_without_a_saved_notebook_the_kernel_history_is_graded_and_the_report_says_so(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    history = ["", *solution_cells(), "from grader import check\ncheck('rnn')"]
    monkeypatch.setattr(selfcheck, "_shell", lambda: _shell({"In": history, "__session__": None}))
    r = check("rnn")
    assert r.passed and r.graded == f"the code this kernel ran (In [1] to In [{len(history) - 1}], in the order it ran), not a saved file"
    assert r.notes == ["the saved notebook could not be found, so the kernel's history was graded; what you submit "
                       "is graded top to bottom: Restart & Run All before you submit."]
    assert "note: the saved notebook could not be found" in repr(r) and "Restart &amp; Run All" in r._repr_html_()


def test_a_check_that_takes_too_long_is_stopped(saved):
    r = check("rnn", path=saved, timeout=0.05)
    assert r.error == "grading took longer than 0.05 s" and "rnngrade check" in r.hint


def test_importing_check_is_cheap():
    code = ("import sys; from grader import check; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'jinja2', 'rich', 'reference') "
            "or m.startswith('grader.')))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "[]", p.stdout + p.stderr


def test_the_saved_notebook_is_found_from_the_front_end(saved, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert selfcheck.notebook_path(_shell({"__session__": str(saved)})) == saved.resolve()
    assert selfcheck.notebook_path(_shell({"__vsc_ipynb_file__": str(saved)})) == saved.resolve()
    assert selfcheck.notebook_path(_shell({"__session__": "/nowhere/x.ipynb"})) is None
    monkeypatch.setenv("JPY_SESSION_NAME", str(saved))
    assert selfcheck.notebook_path(None) == saved.resolve()


def test_unsaved_changes_are_the_functions_the_kernel_ran_differently(saved):
    cells = [(1, "import numpy as np"), (2, solution_cells()[1]), (3, "def rnn_forward(x, h0, Wx, Wh, b):\n    return 0"),
             (4, "def my_helper():\n    return 1"), (5, "%matplotlib inline")]
    assert selfcheck.unsaved_changes(saved, cells) == ["my_helper", "rnn_forward"]
    assert selfcheck.unsaved_changes(saved, cells[:2]) == []


def test_a_kernel_history_is_graded_with_locations_in_execution_counts(tmp_path):
    history = [(1, "import numpy as np"), *[(i + 2, c) for i, c in enumerate(solution_cells()[1:])],
               (40, "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n    a = x @ Wx\n    return a.T.T.T[5], None"),
               (41, "from grader import check\ncheck('rnn')")]
    path = tmp_path / "kernel-history.ipynb"
    path.write_text(selfcheck.history_notebook(history))
    sub = load(path)
    assert sub.loadable and [p.message for p in sub.problems] == [
        "rnn_step_forward is defined 2 times (In [3], line 1, In [40], line 1): the last one, in In [40], is graded"]
    c = next(c for c in grade(sub, ["rnn"]).checks if c.id == "rnn.rnn_step_forward.matches_reference")
    assert c.status == "error" and (c.traceback[-1].file, c.traceback[-1].line) == ("In [40]", 3)
    assert "(In [40], line 3: return a.T.T.T[5], None)" in c.message


KERNEL_TEST_CELLS = [
    "import sys\nfrom grader import check\nr = check('rnn')\nr",
    "print(r.score, r.max_score, '|', r.graded)",
    # an edit the student ran but did not save
    "def rnn_forward(x, h0, Wx, Wh, b):\n    raise ValueError('work in progress')",
    "r2 = check('rnn')\nprint(r2.score, '|', r2.notes)",
    "r3 = check('rnn', source='history')\nprint(r3.score, '|', r3.graded)\n"
    "print([c.traceback[-1].file for c in r3.result.checks if c.id == 'rnn.rnn_forward.matches_reference'])",
    "print(sorted(m for m in sys.modules if m.partition('.')[0] == 'reference' or m.startswith(('grader.checks', "
    "'grader.engine', 'grader.sandbox.runner', 'grader.diagnoses'))))",
]


def test_check_inside_a_real_jupyter_kernel(tmp_path):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    import nbformat

    path = write_nb(tmp_path / "rnn_layers.ipynb", solution_cells() + KERNEL_TEST_CELLS[:2])  # what is saved
    nb = nbformat.read(str(path), as_version=4)
    for source in KERNEL_TEST_CELLS[2:]:  # ... and what the kernel runs on top of it, unsaved
        nb.cells.append(nbformat.v4.new_code_cell(source))
    root = str(Path(__import__("grader").__file__).resolve().parent.parent)
    env = dict(os.environ, JPY_SESSION_NAME=str(path), PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)
    outputs = {i: c.outputs for i, c in enumerate(nb.cells)}
    first = len(solution_cells())

    def text(i):
        return "".join(o.get("text", "") for o in outputs[i] if o.output_type == "stream")

    shown = next(o for o in outputs[first] if o.output_type == "execute_result")
    assert "rnngrade self-check: 19 / 19" in shown.data["text/html"] and "<iframe" in shown.data["text/html"]
    assert shown.data["text/plain"].startswith("rnngrade self-check: 19 / 19; graded: the saved notebook rnn_layers.ipynb")
    assert text(first + 1).startswith("19.0 19.0 | the saved notebook rnn_layers.ipynb (saved ")
    score, notes = text(first + 3).split("|")
    assert score.strip() == "19.0"  # the saved file is graded...
    assert "your kernel ran a version of rnn_forward that differs from the saved notebook" in notes  # ...and said so
    line, files = text(first + 4).strip().split("\n")
    score, graded = line.split("|")
    assert float(score) < 19 and graded.strip().startswith("the code this kernel ran (In [1] to In [")
    assert files.startswith("['In [") and files.endswith("]']")
    assert text(first + 5).strip() == "[]"  # no reference, checks or engine ever reached the kernel
    assert not any(o.output_type == "error" for cell_outputs in outputs.values() for o in cell_outputs)
    assert sys.modules.get("grader") is not None
