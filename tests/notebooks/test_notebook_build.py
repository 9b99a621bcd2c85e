"""The exercise notebook: generated from the starter (one source of truth), never stale."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import tomllib
from zoo_helpers import ROOT

from grader.exercises import exercises_dir, load_exercises
from grader.loader import load
from grader.notebooks.build import build, notebook_text

STARTER = exercises_dir() / "rnn_layers.py"
NOTEBOOK = exercises_dir() / "rnn_layers.ipynb"


def test_the_exercise_notebook_is_not_stale():
    assert NOTEBOOK.read_text(encoding="utf-8") == notebook_text(STARTER.read_text(encoding="utf-8")), \
        "exercises/rnn_layers.ipynb is stale: run `rnngrade build-notebooks`"


def test_the_notebook_holds_exactly_the_starter_functions():
    starter = {n.name: ast.dump(n) for n in ast.parse(STARTER.read_text()).body if isinstance(n, ast.FunctionDef)}
    sub = load(NOTEBOOK)
    assert sub.loadable and not sub.problems  # nothing "not run": the self-check cells are tagged
    extracted = ast.parse(sub.files["rnn_layers.py"].decode())
    assert {n.name: ast.dump(n) for n in extracted.body if isinstance(n, ast.FunctionDef)} == starter


def test_each_function_has_an_explanation_with_shapes_and_each_exercise_a_self_check():
    nb = json.loads(NOTEBOOK.read_text())
    cells = {c["id"]: "".join(c["source"]) for c in nb["cells"]}
    doc = cells["lstm_step_forward-doc"]
    assert doc.startswith("### `lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)`")
    assert "| `Wx` | (D, 4H) |" in doc and "| `next_c` | (N, H) |" in doc and "```text" in doc
    assert cells["lstm_step_forward-code"].startswith("def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):")
    for ex in ("rnn", "lstm", "gru", "clipping", "tbptt"):
        check_cell = next(c for c in nb["cells"] if c["id"] == f"check-{ex}")
        assert check_cell["metadata"]["tags"] == ["skip-grading"]
        assert "".join(check_cell["source"]).endswith(f'from grader import check\ncheck("{ex}")')
    api = {f for e in load_exercises().values() if e.kind == "api" for f in e.functions}
    assert {c["id"][:-5] for c in nb["cells"] if c["id"].endswith("-code")} == api


def test_build_notebooks_rewrites_and_check_reports_staleness(tmp_path):
    out = tmp_path / "nb.ipynb"
    run = lambda *a: subprocess.run([sys.executable, "-m", "grader", "build-notebooks", *a],
                                    capture_output=True, text=True, timeout=120)
    p = run("--check", "--out", str(out))
    assert p.returncode == 1 and f"error: {out} is stale (or missing): run `rnngrade build-notebooks`" in p.stderr
    p = run("--out", str(out))
    assert p.returncode == 0 and p.stdout.strip() == f"{out} written"
    p = run("--check", "--out", str(out))
    assert p.returncode == 0 and p.stdout.strip() == f"{out} is up to date"
    assert build(out) == (out, True)


def test_the_notebook_ships_with_the_package():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "*.ipynb" in data["tool"]["setuptools"]["package-data"]["exercises"]
    assert "release/*.json" in data["tool"]["setuptools"]["package-data"]["grader"]
