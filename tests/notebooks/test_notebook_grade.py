"""Grading notebooks end to end: full marks through the junk, errors that name the cell and line,
the same verdicts as the .py, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
from nb_helpers import API, bug, junk_notebook, solution_cells, write_nb
from zoo_helpers import build_submission, check

from grader.engine import grade
from grader.notebooks.submission import IMPORT_HINT, NotebookInfo, notebook_snippet
from grader.render.html import render_html
from grader.results import SCHEMA_PATH, CheckResult, ExerciseResult, GradeResult, SubmissionInfo


@pytest.fixture(scope="module")
def junk_result(tmp_path_factory):
    path = junk_notebook(tmp_path_factory.mktemp("junk") / "rnn_layers.ipynb")
    return grade(str(path), API)


def test_a_correct_notebook_full_of_junk_scores_full_marks(junk_result):
    r = junk_result
    assert r.all_passed and r.score == r.max_score > 60
    assert r.submission.kind == "notebook" and r.submission.module_file == "rnn_layers.ipynb"
    assert "final loss" not in r.output  # the training loop never ran
    (note,) = r.load_problems
    assert note.code == "notebook-not-run" and not note.fatal
    for text in ("cell 2: shell command !pip install numpy matplotlib (line 1)",
                 "cell 3: magic %matplotlib (line 1), import of plt (not used by the graded code) (line 2)",
                 "a for loop (lines 6-12), print(...) (line 13)", "plt.plot(...) (line 1), plt.show(...) (line 2)",
                 "help request rnn_forward? (line 2)"):
        assert text in note.message


def test_the_results_json_of_a_notebook_validates(junk_result):
    data = json.loads(junk_result.to_json())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    assert data["submission"]["kind"] == "notebook" and data["mode"] == "full"
    assert data["load_problems"][0]["file"] == "cell 2" and data["load_problems"][0]["line"] == 1


def _with_bug_cells(*bug_cells: str, replace: str) -> list[str]:
    """The solution's cells with the cell defining ``replace`` swapped for ``bug_cells``."""
    out = []
    for c in solution_cells():
        if f"def {replace}(" in c:
            out.extend(bug_cells)
        else:
            out.append(c)
    return out


def test_an_error_points_to_the_cell_and_line_that_raised(tmp_path):
    helpers, entry = bug("raises_in_call").split("\n\n\ndef rnn_step_backward")
    helpers = helpers.split("import numpy as np\n", 1)[1].strip()
    cells = [("md", "# intro"), *_with_bug_cells(helpers, "def rnn_step_backward" + entry, replace="rnn_step_backward")]
    path = write_nb(tmp_path / "rnn_layers.ipynb", cells)
    number = next(i for i, c in enumerate(cells) if isinstance(c, str) and "_affine_backward(dout" in c) + 1
    result = grade(str(path), ["rnn"])
    c = check(result, "rnn.rnn_step_backward.matches_reference")
    assert c.status == "error"
    last = c.traceback[-1]
    assert (last.file, last.line, last.func) == (f"cell {number}", 2, "_affine_backward")
    assert last.code.strip().startswith("dinp = dout @ w")
    assert [f.file for f in c.traceback] == [f"cell {number + 1}", f"cell {number}", f"cell {number}"]
    assert f"in _affine_backward (cell {number}, line 2: dinp = dout @ w" in c.message
    assert c.message.startswith("rnn_step_backward(dnext_h, cache) with N=")
    html = render_html(result)
    assert f'<span class="mono">cell {number}</span>, line 2, in <code>_affine_backward</code>' in html


def test_an_error_while_running_the_definitions_names_the_cell(tmp_path):
    cells = solution_cells()
    cells.insert(2, "EPS = 1e-8\nSCALE = 1 / 0")
    path = write_nb(tmp_path / "rnn_layers.ipynb", cells)
    result = grade(str(path), ["rnn"])
    assert {c.status for c in result.checks} == {"error"}
    c = result.checks[0]
    assert c.message == ("running the graded cells of your notebook raised ZeroDivisionError: division by zero "
                         "(cell 3, line 2: SCALE = 1 / 0)")
    assert c.hint == IMPORT_HINT
    assert (c.traceback[-1].file, c.traceback[-1].line) == ("cell 3", 2)


def test_a_fatal_problem_in_a_cell_reaches_every_check_with_its_place(tmp_path):
    cells = solution_cells()
    cells[3] = cells[3].replace("):", ")", 1)
    result = grade(str(write_nb(tmp_path / "rnn_layers.ipynb", cells)), ["rnn"])
    c = result.checks[0]
    assert c.status == "error" and c.message.startswith("your notebook could not be loaded: SyntaxError (")
    assert "at cell 4, line 1" in c.message
    assert (c.traceback[0].file, c.traceback[0].line) == ("cell 4", 1)


def test_a_buggy_notebook_gets_the_same_verdicts_as_the_same_code_in_a_py(tmp_path):
    text = bug("no_bptt_carry_rnn")
    cells = _with_bug_cells(*solution_cells(text)[1:], replace="rnn_backward")
    nb = grade(str(write_nb(tmp_path / "rnn_layers.ipynb", cells)), ["rnn"])
    py = grade(str(build_submission(tmp_path, "no_bptt_carry_rnn")), ["rnn"])
    want = {c.id: (c.status, c.score, c.message) for c in py.checks}
    assert {c.id: (c.status, c.score, c.message) for c in nb.checks} == want
    assert check(nb, "rnn.rnn_backward.matches_reference").diagnosis.bug == "no-bptt-carry"


def test_a_reproduction_snippet_runs_in_a_new_cell_instead_of_importing_rnn_layers():
    snippet = "import numpy as np\nfrom rnn_layers import rnn_forward, rnn_backward\nh, cache = rnn_forward(x, h0, Wx, Wh, b)"
    assert notebook_snippet(snippet) == ("import numpy as np\n# run in a new cell at the end of your notebook (it calls "
                                         "your rnn_forward, rnn_backward)\nh, cache = rnn_forward(x, h0, Wx, Wh, b)")
    c = CheckResult("rnn.rnn_forward.causal", "rnn", "rnn_forward", "property", "failed", 0, 1,
                    counterexample={"snippet": snippet, "shapes": {}, "description": ""})
    t = CheckResult("rnn.rnn_forward.api", "rnn", "rnn_forward", "api", "error", 0, 0,
                    message="importing your file did not finish: import took longer than 10 s", hint="x")
    result = GradeResult("0", SubmissionInfo("nb.ipynb", "0" * 64, "notebook", "rnn_layers.py"), 1, "process", 0, 1,
                         0.1, [ExerciseResult("rnn", "RNN", 0, 1, [c, t])])
    NotebookInfo("nb.ipynb").adapt(result)
    assert "from rnn_layers" not in c.counterexample["snippet"]
    assert t.message == "running the graded cells of your notebook did not finish: import took longer than 10 s"
    assert t.hint.startswith("A constant or a class body in your notebook does work that never finishes")
    assert result.submission.module_file == "nb.ipynb"


def test_rnngrade_check_accepts_a_notebook(tmp_path, junk_result):
    path = junk_notebook(tmp_path / "rnn_layers.ipynb")
    p = subprocess.run([sys.executable, "-m", "grader", "check", str(path), "-e", "rnn", "--json", "r.json",
                        "--no-html"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "warning: not run when grading: cell 2: shell command !pip install" in p.stdout
    assert "All checks passed: 19 / 19" in p.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["submission"]["kind"] == "notebook"
