"""Extraction of a notebook's code without a kernel: what is kept, what is dropped and reported,
and where every message points (cell N, line M). No grading here: grader.loader.load only."""

from __future__ import annotations

import pytest
from nb_helpers import cell, solution_cells, write_nb

from grader.loader import load


def _load(tmp_path, cells, name="rnn_layers.ipynb"):
    return load(write_nb(tmp_path / name, cells))


def _module(sub) -> str:
    return sub.files["rnn_layers.py"].decode()


def _problem(sub, code):
    found = [p for p in sub.problems if p.code == code]
    assert found, f"no {code}; have {[(p.code, p.message) for p in sub.problems]}"
    return found[0]


def test_magics_shell_commands_and_help_are_dropped_before_parsing_and_listed(tmp_path):
    sub = _load(tmp_path, [
        "%matplotlib inline\nimport numpy as np\n!pip install \\\n    tqdm\nfiles = !ls\nnp.tanh?\n??np.exp",
        "%%time\nfor i in range(10**9):\n    pass",
        "def f(x):\n    %time y = x\n    return 2 * x",
    ])
    assert sub.loadable and sub.kind == "notebook"
    code = _module(sub)
    assert "import numpy as np" in code and "def f(x):\n    pass\n    return 2 * x" in code
    assert "10**9" not in code and "tqdm" not in code and "!" not in code
    note = _problem(sub, "notebook-not-run")
    assert not note.fatal and (note.file, note.line) == ("cell 1", 1)
    for text in ("cell 1: magic %matplotlib (line 1)", "shell command !pip install \\ (lines 3-4)",
                 "shell command !ls (line 5)", "help request np.tanh? (line 6)", "help request ??np.exp (line 7)",
                 "cell 2: cell magic %%time (lines 1-3)", "cell 3: magic %time (line 2)"):
        assert text in note.message
    assert "top-level code, magics and shell commands are left out" in note.hint


def test_a_long_list_of_code_not_run_is_shortened(tmp_path):
    sub = _load(tmp_path, ["import numpy as np", "\n".join(f"print({i})" for i in range(9))]
                + [f"print({i})" for i in range(12)])
    note = _problem(sub, "notebook-not-run").message
    assert "cell 2: print(...) (line 1)" in note and "print(...) (line 6), and 3 more; cell 3:" in note
    assert note.endswith("cell 11: print(...) (line 1); and 3 more cells")


def test_what_counts_as_a_constant_is_kept_and_computed_code_is_not(tmp_path):
    sub = _load(tmp_path, [
        "import numpy as np\nH = 4\nD, T = 3, 2 * H\nEPS: float = 1e-8\nNAMES = ['i', 'f', 'o', 'g']\n"
        "SCALE = -np.pi / 2\nTITLE = f'{H} units'\nsigmoid = lambda a: 1 / (1 + np.exp(-a))\nalias = sigmoid",
        "W = np.random.randn(3, 4)\ncounter = 0\ncounter += 1\nCFG = {'a': 1}\nCFG['b'] = 2\n"
        "if __name__ == '__main__':\n    print(W)\nwith open('x') as fh:\n    pass",
        "try:\n    import scipy\nexcept ImportError:\n    scipy = None",
    ])
    code = _module(sub)
    for kept in ("H = 4", "D, T = 3, 2 * H", "EPS: float = 1e-8", "NAMES = ['i', 'f', 'o', 'g']",
                 "SCALE = -np.pi / 2", "TITLE = f'{H} units'", "sigmoid = lambda a", "alias = sigmoid",
                 "counter = 0", "CFG = {'a': 1}", "try:\n    import scipy\nexcept ImportError:\n    scipy = None"):
        assert kept in code, kept
    for dropped in ("np.random.randn", "counter += 1", "CFG['b']", "__main__", "open("):
        assert dropped not in code, dropped
    note = _problem(sub, "notebook-not-run").message
    assert ("cell 2: W = ... (line 1), counter += ... (line 3), CFG['b'] = ... (line 5), "
            "an if __name__ == '__main__' block (lines 6-7), a with block (lines 8-9)") in note


def test_imports_unused_by_the_graded_code_are_left_out_except_numpy_and_the_standard_library(tmp_path):
    sub = _load(tmp_path, [
        "import numpy as np\nimport math, os\nimport matplotlib.pyplot as plt\nimport seaborn as sns\n"
        "from tqdm import tqdm\nfrom __future__ import annotations",
        "def f(x):\n    for _ in tqdm(range(2)):\n        pass\n    return x",
    ])
    code = _module(sub)
    statements = [line for line in code.split("\n") if line and not line.startswith("#")]
    assert statements[0] == "from __future__ import annotations"  # moved to the top
    assert "import numpy as np" in code and "import math, os" in code and "from tqdm import tqdm" in code
    assert "matplotlib" not in code and "seaborn" not in code
    note = _problem(sub, "notebook-not-run").message
    assert "import of plt (not used by the graded code) (line 3), import of sns (not used by the graded code) (line 4)" in note


def test_the_self_check_import_and_call_are_never_run_nor_reported(tmp_path):
    sub = _load(tmp_path, ["import numpy as np", "from grader import check\ncheck('rnn')",
                           "import grader\ngrader.check()\nr = grader.check('lstm')"])
    code = _module(sub)
    assert "grader" not in code.split("\n", 1)[1] and "check(" not in code
    note = _problem(sub, "notebook-not-run").message
    assert note == "not run when grading: cell 3: r = ... (line 3)"  # the call as a value is ordinary top-level code
    assert not [p for p in sub.problems if p.code == "forbidden-import"]


def test_statements_sharing_a_line_keep_only_the_kept_one(tmp_path):
    sub = _load(tmp_path, ["import numpy as np; print(np.pi)", "X = 1; Y = np.zeros(3); Z = 2",
                           "LABEL = 'σ(ä)'; print(LABEL)\nNAME = 'ü'"])
    code = _module(sub)
    assert "import numpy as np\n" in code and "print" not in code
    assert "LABEL = 'σ(ä)'\nNAME = 'ü'\n" in code
    assert "X = 1\n" in code and "Z = 2\n" in code and "zeros" not in code
    assert sub.notebook.where(code.split("\n").index("Z = 2") + 1) == ("cell 2", 1)


def test_every_extracted_line_maps_back_to_its_cell_and_line(tmp_path):
    cells = solution_cells()
    sub = _load(tmp_path, [("md", "# title"), "print('hello')", *cells])
    lines = _module(sub).split("\n")
    checked = 0
    for n, text in enumerate(lines, 1):
        place = sub.notebook.where(n)
        if place is None:
            assert text.startswith("# ") or not text
            continue
        label, line = place
        number = int(label.split()[1])
        source = cells[number - 3]  # cells 1 and 2 are the markdown and the print
        assert source.split("\n")[line - 1] == text
        checked += 1
    assert checked > 200


def test_a_function_defined_twice_says_which_one_is_graded_and_what_the_kernel_ran(tmp_path):
    sub = load(write_nb(tmp_path / "nb.ipynb", [
        cell("import numpy as np", count=1),
        cell("def rnn_forward(x, h0, Wx, Wh, b):\n    return 1", count=7),
        cell("x = 1"),
        cell("# my second try\ndef rnn_forward(x, h0, Wx, Wh, b):\n    return 2", count=3),
    ]))
    p = _problem(sub, "notebook-duplicate-definition")
    assert not p.fatal and (p.file, p.line) == ("cell 4", 2)
    assert p.message == ("rnn_forward is defined 2 times (cell 2, line 1, cell 4, line 2): the last one, in cell 4, "
                         "is graded; note that your kernel ran cell 2 after cell 4 (In [7] vs In [3]), so your "
                         "kernel uses the cell 2 version")
    assert "Restart & Run All" in p.hint
    assert "return 1" in _module(sub) and _module(sub).index("return 1") < _module(sub).index("return 2")


def test_a_function_that_needs_a_value_only_top_level_code_sets_is_flagged(tmp_path):
    sub = _load(tmp_path, ["import numpy as np\nscale = np.sqrt(2.0)",
                           "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n    a = x @ Wx + prev_h @ Wh + b\n"
                           "    return np.tanh(scale * a), None"])
    p = _problem(sub, "notebook-uses-not-run")
    assert p.message == ("rnn_step_forward (cell 2, line 1) uses scale, which only code that is not run when grading "
                         "sets (cell 1, line 2: scale = np.sqrt(2.0)), so calling rnn_step_forward will raise NameError")
    assert p.hint.startswith("Define scale inside rnn_step_forward, or make it a constant")


def test_a_skip_grading_cell_is_not_read_and_a_tagged_solution_is_pointed_out(tmp_path):
    sub = _load(tmp_path, [
        "import numpy as np",
        cell("for i in range(10**9):\n    pass", tags=["skip-grading"]),
        cell("def lstm_forward(x, h0, Wx, Wh, b):\n    return 1", tags=["skip-grading", "other"]),
    ])
    code = _module(sub)
    assert "10**9" not in code and "lstm_forward" not in code
    assert not [p for p in sub.problems if p.code == "notebook-not-run"]  # a tag leaves a cell out silently
    p = _problem(sub, "notebook-skip-tag")
    assert p.message == "cell 3 is tagged skip-grading, so its definition of lstm_forward is not graded"
    assert "Remove the skip-grading tag from cell 3" in p.hint


def test_a_syntax_error_in_a_cell_that_defines_a_function_is_fatal_and_names_the_cell(tmp_path):
    sub = _load(tmp_path, ["import numpy as np", "x = 1",
                           "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n    a = (x @ Wx\n    return a"])
    p = _problem(sub, "syntax-error")
    assert p.fatal and (p.file, p.line) == ("cell 3", 2)
    assert p.message.startswith("SyntaxError (") and "at cell 3, line 2: a = (x @ Wx" in p.message


def test_a_syntax_error_in_a_cell_that_defines_nothing_is_left_out_with_a_warning(tmp_path):
    sub = _load(tmp_path, ["import numpy as np", "print('oops'", "def f():\n    return 1"])
    p = _problem(sub, "syntax-error")
    assert not p.fatal and sub.loadable and p.file == "cell 2"
    assert p.message.endswith("; cell 2 defines no function, so it was left out and the rest of the notebook is graded")
    assert "def f():" in _module(sub)


def test_pasted_output_in_a_code_cell_is_explained(tmp_path):
    pasted = ("def rnn_step_forward(x, prev_h, Wx, Wh, b):\n    return x, None\n\n"
              ">>> next_h, _ = rnn_step_forward(1, 2, 3, 4, 5)\n(1, None)")
    sub = _load(tmp_path, ["import numpy as np", pasted])
    p = _problem(sub, "pasted-output")
    assert p.fatal and (p.file, p.line) == ("cell 2", 4)
    assert p.message.startswith("cell 2, line 4 looks like pasted notebook or console output ('>>> next_h")
    assert "Delete the pasted prompts and outputs" in p.hint
    junk = _load(tmp_path, ["import numpy as np", "In [3]: next_h, _ = f(x)\nnext_h error:  6.3e-09",
                            "def f():\n    return 1\nOut[4]: array([1, 2])"], "junk.ipynb")
    q = _problem(junk, "pasted-output")
    assert not q.fatal and junk.loadable and "cell 2 defines no function" in q.message
    # `Out[4]: array(...)` happens to be valid Python (an annotation): it is left out like other top-level code
    assert "cell 3: pasted output Out [4]: ... (line 3)" in _problem(junk, "notebook-not-run").message
    assert "def f():\n    return 1\n" in _module(junk)


def test_static_findings_on_the_extracted_code_point_at_the_cell(tmp_path):
    sub = _load(tmp_path, ["import numpy as np\nimport torch",
                           "def f(x):\n    y = torch.tensor(x)\n    return np.float_(y)"])
    removed = _problem(sub, "numpy2-removed")
    assert (removed.file, removed.line) == ("cell 2", 3)
    assert removed.message == "cell 2, line 3: np.float_ was removed in NumPy 2"
    forbidden = _problem(sub, "forbidden-import")
    assert (forbidden.file, forbidden.line) == ("cell 1", 2)
    assert forbidden.message == "cell 1, line 2: imports torch, which this exercise does not allow"


@pytest.mark.parametrize("source", ["def f(:\n    pass", "x = '\0'"])
def test_cells_python_cannot_parse_never_crash_the_loader(tmp_path, source):
    sub = _load(tmp_path, [source])
    assert [p.code for p in sub.problems] in (["syntax-error"], ["syntax-error", "notebook-not-run"])


def test_a_writefile_cell_is_graded_in_place_and_imports_of_its_module_are_left_out(tmp_path):
    sub = _load(tmp_path, [
        "%%writefile rnn_layers.py\nimport numpy as np\n\ndef f(x):\n    return np.tanh(x)\nprint('loaded')",
        "%%writefile -a helpers.py\ndef g(x):\n    return 2 * x",
        "%%writefile notes.txt\ndef not_python(:",
        "from rnn_layers import *\nimport helpers as hp\nfrom helpers import g",
        "%%time\ndef h():\n    return 1",
    ])
    assert sub.loadable, [(p.code, p.message) for p in sub.problems if p.fatal]
    code = _module(sub)
    assert "def f(x):\n    return np.tanh(x)" in code and "def g(x):\n    return 2 * x" in code
    assert "from rnn_layers import" not in code and "import helpers" not in code and "def h()" not in code
    assert "not_python" not in code and "print('loaded')" not in code
    note = _problem(sub, "notebook-not-run").message
    for text in ("cell 1: print(...) (line 6)", "cell 3: cell magic %%writefile (lines 1-2)",
                 "import of rnn_layers (its %%writefile cell is graded in place) (line 1)",
                 "import of helpers (its %%writefile cell is graded in place) (line 2)", "cell 5: cell magic %%time"):
        assert text in note, note
    # the map back to the notebook counts the magic line: `def f(x):` is line 4 of cell 1
    assert sub.notebook.where(code.split("\n").index("def f(x):") + 1) == ("cell 1", 4)


@pytest.mark.parametrize("line, target", [
    ("%%writefile rnn_layers.py", "rnn_layers"), ("%%writefile -a cs231n/rnn_layers.py", "rnn_layers"),
    ("%%file 'my_mod.py'", "my_mod"), ("%%writefile data.csv", None), ("%%time", None), ("%%writefile 2x.py", None),
])
def test_writefile_target(line, target):
    from grader.notebooks.extract import writefile_target

    assert writefile_target(line) == target
