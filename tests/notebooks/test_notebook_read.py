"""Malformed, old, odd and huge notebooks: each gets a clear message, none crashes the grader."""

from __future__ import annotations

import json
import zipfile

import nbformat
import pytest
from nb_helpers import cell, solution_cells, write_nb

from grader import loader
from grader.engine import grade
from grader.loader import LoadError, load


def _fatal(sub):
    fatal = [p for p in sub.problems if p.fatal]
    assert fatal and not sub.loadable, sub.problems
    return fatal[0]


def _write(tmp_path, data: bytes | str, name="rnn_layers.ipynb"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def test_invalid_json_names_the_line_and_column(tmp_path):
    p = _fatal(load(_write(tmp_path, '{"cells": [\n  {"cell_type": "code",, }\n]}')))
    assert p.code == "notebook-invalid" and p.file == "rnn_layers.ipynb"
    assert p.message == "rnn_layers.ipynb is not valid notebook JSON: Expecting property name enclosed in double quotes at line 2, column 24"
    assert "damaged" in p.hint and ".ipynb_checkpoints/" in p.hint


def test_a_merge_conflict_and_python_saved_as_ipynb_get_their_own_hints(tmp_path):
    good = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))
    conflict = good.replace('"x = 1"', '\n<<<<<<< HEAD\n"x = 1"\n=======\n"x = 2"\n>>>>>>> branch\n')
    assert "merge-conflict markers" in _fatal(load(_write(tmp_path, conflict))).hint
    python = "import numpy as np\n\ndef rnn_forward(x, h0, Wx, Wh, b):\n    pass\n"
    assert _fatal(load(_write(tmp_path, python, "py.ipynb"))).hint == \
        "This is Python source, not a notebook: rename the file to rnn_layers.py."


@pytest.mark.parametrize("text,message", [
    ("[1, 2]", "rnn_layers.ipynb is JSON but not a notebook (it is a list, not an object with 'cells')"),
    ('{"nbformat": 4, "metadata": {}}', "rnn_layers.ipynb is JSON but not a notebook: it has no list of 'cells' (nbformat 4)"),
    ('{"cells": [3]}', "rnn_layers.ipynb: cell 1 is not a notebook cell (a int)"),
    ('{"cells": [{"cell_type": "code", "source": 7}]}',
     "rnn_layers.ipynb: cell 1 is not a valid notebook cell (its source is not text)"),
    ('{"cells": [{"cell_type": "widget", "source": ""}]}',
     "rnn_layers.ipynb: cell 1 is not a valid notebook cell (its cell_type is 'widget')"),
    ("[" * 100000 + "]" * 100000, "rnn_layers.ipynb is not a notebook: its JSON is nested too deeply to read"),
    ('{"cells": [], "x": ' + "9" * 5000 + "}", "rnn_layers.ipynb is not valid notebook JSON (Exceeds the limit"),
])
def test_json_that_is_not_a_notebook(tmp_path, text, message):
    p = _fatal(load(_write(tmp_path, text)))
    assert p.code == "notebook-invalid" and p.message.startswith(message)


def test_a_notebook_with_absurdly_many_cells_is_refused(tmp_path, monkeypatch):
    from grader.notebooks import read

    monkeypatch.setattr(read, "MAX_CELLS", 5)
    p = _fatal(load(write_nb(tmp_path / "rnn_layers.ipynb", ["x = 1"] * 6)))
    assert p.code == "notebook-invalid" and p.message == "rnn_layers.ipynb has 6 cells, more than 5"
    assert p.hint == "Submit only the exercise notebook."


def test_not_utf8_is_explained_and_utf16_with_a_bom_is_read(tmp_path):
    good = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("X = 'é'\ndef f():\n    return X")]))
    p = _fatal(load(_write(tmp_path, good.encode("latin-1"))))
    assert p.code == "not-utf8" and p.message.startswith("rnn_layers.ipynb is not UTF-8 text (byte ")
    assert "another encoding" in p.hint
    sub = load(_write(tmp_path, good.encode("utf-16"), "u16.ipynb"))
    assert sub.loadable and "X = 'é'" in sub.files["rnn_layers.py"].decode()


def test_a_notebook_for_another_language_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x <- 1")],
                                  metadata={"language_info": {"name": "R"}})
    p = _fatal(load(_write(tmp_path, nbformat.writes(nb))))
    assert p.code == "notebook-not-python" and p.message == "rnn_layers.ipynb is a r notebook; these exercises are Python"


@pytest.mark.parametrize("cells,what", [
    ([], "no cells at all"),
    ([("md", "# notes only")], "1 markdown"),
    ([("md", "# title"), "", "   \n\n", ("md", "more")], "2 code, 2 markdown"),
])
def test_an_empty_notebook_says_there_is_no_code(tmp_path, cells, what):
    sub = load(write_nb(tmp_path / "rnn_layers.ipynb", cells))
    p = _fatal(sub)
    assert p.code == "notebook-empty"
    assert p.message == f"rnn_layers.ipynb has no code to grade ({what}; no code cell has code in it)"
    assert "a notebook that was never saved is empty on disk" in p.hint
    result = grade(sub, ["rnn"])
    assert {c.status for c in result.checks} == {"error"}
    assert result.checks[0].message == f"your notebook could not be loaded: {p.message}"


def test_an_nbformat_3_notebook_is_converted_and_graded(tmp_path):
    v3 = nbformat.v3
    ws = v3.new_worksheet(cells=[v3.new_heading_cell("RNN"), v3.new_text_cell("markdown", "notes")]
                          + [v3.new_code_cell(src) for src in solution_cells()] + [v3.new_code_cell("print(1)")])
    path = _write(tmp_path, v3.writes_json(v3.new_notebook(worksheets=[ws])))
    assert json.loads(path.read_text())["nbformat"] == 3
    sub = load(path)
    assert sub.loadable and sub.kind == "notebook"
    assert [p.message for p in sub.problems] == [f"not run when grading: cell {len(solution_cells()) + 3}: print(...) (line 1)"]
    result = grade(sub, ["rnn"])
    assert result.all_passed and result.submission.module_file == "rnn_layers.ipynb"


def test_a_broken_nbformat_3_notebook_is_explained(tmp_path):
    p = _fatal(load(_write(tmp_path, '{"nbformat": 3, "nbformat_minor": 0, "worksheets": 5, "metadata": {}}')))
    assert p.code == "notebook-invalid"
    assert p.message.startswith("rnn_layers.ipynb is an nbformat 3 notebook that could not be converted to nbformat 4")


def test_giant_outputs_are_ignored_and_a_giant_file_is_refused_with_a_reason(tmp_path, monkeypatch):
    cells = [cell(src) for src in solution_cells()]
    cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (12 * 2**20))]
    cells[2].outputs = [nbformat.v4.new_output("display_data", data={"image/png": "A" * (8 * 2**20)})]
    path = tmp_path / "rnn_layers.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(path))
    assert path.stat().st_size > 20 * 2**20
    sub = load(path)
    assert sub.loadable and not sub.problems and len(sub.files["rnn_layers.py"]) < 40_000
    monkeypatch.setattr(loader, "MAX_NOTEBOOK_BYTES", 16 * 2**20)
    p = _fatal(load(path))
    assert p.code == "notebook-too-large" and p.message == "rnn_layers.ipynb is more than 16 MiB, the most a notebook may have"
    assert "Clear All Outputs" in p.hint


def test_code_cells_holding_megabytes_of_text_are_refused(tmp_path):
    sub = load(write_nb(tmp_path / "rnn_layers.ipynb", ["DATA = '" + "1," * (1_100_000) + "'"]))
    p = _fatal(sub)
    assert p.code == "notebook-too-large"
    assert p.message == "the code cells of rnn_layers.ipynb hold more than 2 MiB of text"


def test_a_folder_or_zip_whose_only_candidate_is_a_notebook_is_graded_as_one(tmp_path):
    folder = tmp_path / "sub"
    write_nb(folder / "homework.ipynb", solution_cells())
    write_nb(folder / ".ipynb_checkpoints" / "homework-checkpoint.ipynb", ["print('old')"])
    (folder / "helpers.py").write_text("def helper():\n    return 1\n")
    sub = load(folder)
    assert sub.kind == "notebook" and sub.notebook.name == "homework.ipynb"
    assert set(sub.files) == {"helpers.py", "rnn_layers.py"}
    archive = tmp_path / "sub.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in folder.rglob("*"):
            if p.is_file():
                zf.write(p, "sub/" + p.relative_to(folder).as_posix())
    zipped = load(archive)
    assert zipped.kind == "notebook" and zipped.notebook.name == "homework.ipynb"
    assert zipped.files["rnn_layers.py"] == sub.files["rnn_layers.py"]


def test_rnn_layers_py_beats_a_notebook_and_an_ambiguous_folder_is_refused(tmp_path):
    folder = tmp_path / "cs231n-style"
    write_nb(folder / "RNN_Captioning.ipynb", ["print(1)"])
    (folder / "rnn_layers.py").write_text("import numpy as np\n")
    sub = load(folder)
    assert sub.kind == "folder" and sub.module_file == "rnn_layers.py" and sub.notebook is None
    two = tmp_path / "two"
    write_nb(two / "a.ipynb", ["x = 1"])
    write_nb(two / "b.ipynb", ["x = 2"])
    with pytest.raises(LoadError) as err:
        load(two)
    assert err.value.message == f"{two}: cannot tell which file is the solution (a.ipynb, b.ipynb)"
    assert err.value.hint == "Name the file to grade rnn_layers.py (or, for a notebook, rnn_layers.ipynb)."
    mine = tmp_path / "mine"
    write_nb(mine / "scratch.ipynb", ["x = 1"])
    (mine / "solution.py").write_text("def rnn_forward(x, h0, Wx, Wh, b):\n    pass\n")
    assert load(mine).module_file == "solution.py"  # the file that defines exercise functions
    named = tmp_path / "named"
    write_nb(named / "a.ipynb", ["x = 1"])
    write_nb(named / "rnn_layers.ipynb", ["x = 2"])
    assert load(named).notebook.name == "rnn_layers.ipynb"
