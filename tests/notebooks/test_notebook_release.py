"""`rnngrade release`: the student bundle has no reference code and no hidden seed, and its grader
runs the public checks without the reference."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from nb_helpers import API, write_nb
from zoo_helpers import CORRECT, ROOT, ZOO

from grader.engine import DEFAULT_SEED, grade
from grader.release.build import scan_bundle
from grader.release.public import DATA, public_vectors_text

# Runs the bundle's own grader with `reference` made unimportable (this machine has the real one
# installed in editable mode), then says which grader ran.
BOOTSTRAP = textwrap.dedent("""
    import atexit, sys, runpy
    bundle = sys.argv[1]
    sys.path.insert(0, bundle)
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] == "reference":
                raise ModuleNotFoundError(f"No module named {name!r}", name="reference")
    sys.meta_path.insert(0, Block())
    atexit.register(lambda: print("GRADER", sys.modules["grader"].__file__, file=sys.stderr))
    sys.argv = ["rnngrade"] + sys.argv[2:]
    runpy.run_module("grader", run_name="__main__", alter_sys=True)
""")


def rnngrade(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def in_bundle(bundle: Path, *args, cwd=None):
    return subprocess.run([sys.executable, "-c", BOOTSTRAP, str(bundle), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd or bundle, timeout=300)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    dest = tmp_path_factory.mktemp("release") / "handout"
    p = rnngrade("release", dest)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.startswith("wrote ") and "(scanned: no reference code, no hidden seed)" in p.stdout
    return dest


def test_the_bundle_has_the_starter_notebook_readmes_and_a_public_grader(bundle):
    for name in ("README.md", "rnn_layers.py", "rnn_layers.ipynb", "pyproject.toml", "exercises/__init__.py",
                 "grader/cli.py", "grader/release/bundle.json", "grader/release/public_vectors.json"):
        assert (bundle / name).is_file(), name
    assert sorted(p.stem for p in (bundle / "exercises").glob("*.md")) == sorted(API)
    assert sorted(p.stem for p in (bundle / "exercises").glob("*.toml")) == sorted(API)  # no dynamics, no training
    assert (bundle / "rnn_layers.py").read_text() == (ROOT / "exercises" / "rnn_layers.py").read_text()
    assert not (bundle / "reference").exists()
    assert "Not part of a student release" in (bundle / "grader" / "diagnoses" / "mutants.py").read_text()
    assert "DEFAULT_SEED = 0  # a student release" in (bundle / "grader" / "engine.py").read_text()
    assert json.loads((bundle / "grader" / "release" / "bundle.json").read_text())["release"] is True


def test_no_reference_implementation_and_no_hidden_seed_anywhere_in_the_bundle(bundle):
    assert scan_bundle(bundle) == []
    seed = str(DEFAULT_SEED)
    for path in bundle.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert seed not in text, path
            assert "import reference" not in text or path.name in ("spec.py", "build.py", "public.py", "clipping.py",
                                                                   "tbptt.py", "training.py", "clip_dynamics.py",
                                                                   "detect.py"), path


@pytest.mark.parametrize("plant, finding", [
    (lambda b: shutil.copytree(ROOT / "reference", b / "reference"), "reference/__init__.py: a reference package or module"),
    (lambda b: (b / "solution.py").write_text(CORRECT.read_text()), "solution.py, line 27: defines rnn_step_forward with an implementation"),
    (lambda b: (b / "helper.py").write_text(
        "import numpy as np\n\n" + (ROOT / "reference" / "clipping.py").read_text().split("def clip_grad_norm")[1]
        .replace("(grads, max_norm):", "def renamed(grads, max_norm):", 1)),
     "helper.py, line 3: renamed has the body of clipping.py:clip_grad_norm"),
    (lambda b: (b / "notes.md").write_text(f"graded with seed {DEFAULT_SEED}\n"), f"notes.md: contains the grading seed {DEFAULT_SEED}"),
    (lambda b: write_nb(b / "solved.ipynb", ["import numpy as np", "def step(x, h, Wx, Wh, b):\n    return np.tanh(x @ Wx + h @ Wh + b)"]),
     "solved.ipynb (code cell 2), line 2: a matrix product with a weight matrix (the recurrent step)"),
])
def test_the_scan_finds_reference_code_planted_in_a_bundle(bundle, tmp_path, plant, finding):
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    plant(copy)
    assert finding in scan_bundle(copy)


def test_the_bundles_grader_runs_the_public_checks_without_the_reference(bundle, tmp_path):
    p = in_bundle(bundle, "check", CORRECT, "--no-html", "--json", tmp_path / "r.json")
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"GRADER {bundle / 'grader' / '__init__.py'}" in p.stderr
    assert "public checks only (they need no reference solution" in p.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["mode"] == "public" and data["seed"] == 0
    ids = {c["id"]: c["status"] for e in data["exercises"] for c in e["checks"]}
    assert set(ids.values()) == {"passed"} and "rnn.rnn_step_forward.public_vectors" in ids
    assert not [i for i in ids if i.endswith("matches_reference")] and {e["id"] for e in data["exercises"]} == set(API)
    # the instructor's install in public mode runs exactly the same checks
    full = grade(str(CORRECT), API, seed=0, public=True)
    assert {c.id: c.status for c in full.checks} == ids and full.mode == "public"


def test_a_wrong_public_vector_fails_with_the_published_values_and_no_diagnosis(bundle, tmp_path):
    wrong = tmp_path / "rnn_layers.py"
    wrong.write_text(CORRECT.read_text() + "\n\n" + (ZOO / "bugs" / "rnn_forward_sigmoid.py").read_text() + textwrap.dedent("""

        def rnn_step_forward(x, prev_h, Wx, Wh, b):
            next_h = np.tanh(x @ Wx + prev_h @ Wh)
            return next_h, (x, prev_h, Wx, Wh, next_h)
    """))
    p = in_bundle(bundle, "check", wrong, "-e", "rnn", "--no-html", "--json", tmp_path / "r.json")
    assert p.returncode == 1, p.stdout + p.stderr
    checks = {c["id"]: c for e in json.loads((tmp_path / "r.json").read_text())["exercises"] for c in e["checks"]}
    c = checks["rnn.rnn_step_forward.public_vectors"]
    expected = json.loads((bundle / "grader" / "release" / "public_vectors.json").read_text())
    first = ", ".join(f"{v:.8f}" for v in expected["rnn_step_forward"]["next_h"][0])
    assert c["status"] == "failed" and f"Expected next_h[0] = [{first}]" in c["message"]
    assert c["diagnosis"] is None  # diagnoses from mutants need the reference


def test_the_bundle_notebook_and_starter_are_graded_as_not_attempted(bundle, tmp_path):
    p = in_bundle(bundle, "check", "rnn_layers.ipynb", "--no-html", "--json", tmp_path / "r.json")
    assert p.returncode == 1, p.stdout + p.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["load_problems"] == [] and data["score"] == 0
    statuses = {c["status"] for e in data["exercises"] for c in e["checks"] if c["max_score"]}
    assert statuses == {"skipped"}


def test_the_published_vectors_are_the_reference_outputs():
    assert DATA.read_text() == public_vectors_text(), "grader/release/public_vectors.json is stale"


def test_the_readmes_document_the_public_hidden_split(bundle):
    readme = (bundle / "README.md").read_text()
    assert "| [LSTM](exercises/lstm.md) (`lstm`) | api, batch_independent, causal" in readme
    assert "stable_large_inputs | matches_reference | 9 / 19 |" in readme  # points: public / total
    lstm = (bundle / "exercises" / "lstm.md").read_text()
    assert lstm.startswith("# LSTM (`lstm`)")
    assert "| `lstm_backward` | `matches_reference` | values on seeded random cases match the reference implementation" in lstm
    assert "no: hidden, graded after the deadline |" in lstm and "| `lstm_backward` | `matches_fd` |" in lstm
    assert "### `lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)`" in lstm


def test_release_refuses_a_non_empty_folder_and_replaces_it_with_force(tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    p = rnngrade("release", dest)
    assert p.returncode == 2
    assert f"error: {dest} exists and is not empty" in p.stderr
    assert "hint: Choose a new folder, or pass --force to replace it." in p.stderr
    assert (dest / "keep.txt").exists()
    p = rnngrade("release", dest, "--force")
    assert p.returncode == 0 and not (dest / "keep.txt").exists() and (dest / "README.md").exists()


def test_release_inside_a_release_is_refused(bundle):
    p = in_bundle(bundle, "release", bundle.parent / "again")
    assert p.returncode == 2 and "error: this grader is itself a student release" in p.stderr


def test_release_refuses_to_write_a_bundle_the_scan_objects_to(tmp_path, monkeypatch):
    from grader.release import build

    monkeypatch.setattr(build, "scan_bundle", lambda root: ["grader/x.py, line 3: defines rnn_forward with an implementation"])
    with pytest.raises(build.ReleaseError) as err:
        build.build_release(tmp_path / "out")
    assert err.value.message == ("the release would contain reference code: grader/x.py, line 3: defines rnn_forward "
                                 "with an implementation")
    assert err.value.hint == "This is a bug in rnngrade release; nothing was written."
    assert not (tmp_path / "out").exists() and not list(tmp_path.iterdir())
    monkeypatch.setattr(build, "_SEED_LINE", __import__("re").compile("^NO SUCH LINE$"))
    with pytest.raises(build.ReleaseError, match="could not find DEFAULT_SEED in grader/engine.py"):
        build.build_release(tmp_path / "out")


def test_the_reference_stub_says_what_is_missing():
    from grader.release.stub import ReferenceUnavailable, unavailable

    with pytest.raises(ReferenceUnavailable, match="rnn_forward: the reference implementation is not part of a "
                                                   "student release; only the public checks run here"):
        unavailable("rnn_forward")
    with pytest.raises(AttributeError):
        unavailable("__file__")


def test_reports_say_when_only_public_checks_ran():
    from grader.render.html import render_html

    result = grade(str(CORRECT), ["clipping"], seed=0, public=True)
    assert "Public checks only: the checks that need no reference solution." in render_html(result)
    assert [c.id.rsplit(".", 1)[1] for c in result.checks if c.function == "clip_grad_norm"] == [
        "api", "norm_bounded_direction_kept", "no_mutation"]
