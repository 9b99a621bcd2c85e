"""Gradescope: results.json as a renderer, the autograder zip, and run_autograder on a simulated /autograder."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from integration_helpers import CORRECT, EXIT_AT_IMPORT, HOSTILE, check, graded, synthetic, zoo_path

import grader
from grader.cli import main
from grader.integrations import gradescope as gs
from grader.render.gradescope import gradescope_error, gradescope_results

TEST_KEYS = {"name", "score", "max_score", "status", "output", "output_format", "visibility", "tags", "number"}


def test_one_test_per_check_with_the_reports_advice():
    result = graded("bug", "raises_in_call")
    data = gradescope_results(result)
    assert data["score"] == result.score and len(data["tests"]) == len(result.checks)
    assert data["visibility"] == "visible" and data["stdout_visibility"] == "hidden"
    for t, c in zip(data["tests"], result.checks):
        assert set(t) >= TEST_KEYS and t["name"] == c.id and t["max_score"] == c.max_score
        assert t["status"] == ("passed" if c.status == "passed" else "failed")  # Gradescope knows only these two
        assert t["output_format"] == "md" and t["visibility"] == "visible" and c.exercise in t["tags"]
    t = next(t for t in data["tests"] if t["name"] == "rnn.rnn_step_backward.matches_reference")
    assert t["output"].startswith("**error**: rnn\\_step\\_backward(dnext\\_h, cache) with N=3, D=4, H=5 raised ValueError")
    assert "call: <code>rnn\\_step\\_backward(dnext\\_h, cache)" in t["output"] and "\n\nhint: " in t["output"]
    assert "in \\_affine\\_backward</code>: <code>dinp = dout @ w" in t["output"]
    assert [t["number"] for t in data["tests"][:3]] == ["1", "2", "3"]
    json.dumps(data, allow_nan=False)


def test_statuses_map_to_passed_or_failed_and_say_which():
    result = synthetic(load_problems=[("numpy2-removed", False, "np.float_ was removed", "use np.float64", "rnn_layers.py", 3)],
                       checks=[check("rnn.rnn_forward.api", "passed", score=0, max_score=0, message="defined"),
                        check("rnn.rnn_forward.matches_reference", "timeout", message="did not return in 5 s"),
                        check("rnn.rnn_backward.matches_fd", "skipped", message="not attempted", hint="write it"),
                        check("rnn.rnn_backward.matches_reference", "failed", message=HOSTILE, hint="hint <b>",
                              metrics={"mutated_inputs": ["dh"]})])
    data = gradescope_results(result, output_format="text")
    outputs = [t["output"] for t in data["tests"]]
    assert [t["status"] for t in data["tests"]] == ["passed", "failed", "failed", "failed"]
    assert outputs[0] == "defined" and outputs[1] == "TIMEOUT: did not return in 5 s"
    assert outputs[2] == "SKIPPED: not attempted\nhint: write it"
    assert outputs[3].startswith("FAILED: <script>") and "note: rnn_backward modifies its argument dh in place" in outputs[3]
    assert data["output"].splitlines() == ["rnngrade 0.1.0: 0/3 points", "warning: np.float_ was removed (hint: use np.float64)",
                                           "1 check passed", "1 check failed", "1 check timed out", "1 check skipped"]
    md = gradescope_results(result)["tests"][3]["output"]
    assert "&lt;script&gt;" in md and "\\*\\*bold\\*\\* \\[link\\]" in md and "hint: hint &lt;b&gt;" in md


def test_hidden_cases_after_the_due_date_and_a_summary_that_does_not_leak():
    result = graded("path", "examples/bptt_bug/rnn_layers.py")
    data = gradescope_results(result, hidden="after_due_date")
    vis = {t["name"]: t["visibility"] for t in data["tests"]}
    assert vis["rnn.rnn_step_forward.public_vectors"] == vis["rnn.rnn_backward.api"] == "visible"
    assert vis["rnn.rnn_backward.matches_reference"] == vis["rnn.rnn_backward.matches_fd"] == "after_due_date"
    public = sum(v == "visible" for v in vis.values())
    assert f"{public} public checks passed" in data["output"]
    assert f"{len(vis) - public} checks on hidden cases: results shown later" in data["output"]
    assert "failed" not in data["output"]  # the hidden failures are not summarised before the due date
    diagnosed = next(t for t in data["tests"] if t["name"] == "rnn.rnn_backward.matches_reference")["output"]
    assert "\n\ndiagnosis: " in diagnosed  # the named bug, as in the HTML report
    assert "checks failed" in gradescope_results(result)["output"]


def test_bad_arguments_say_what_was_expected():
    result = synthetic([check("rnn.rnn_forward.api", "passed")])
    with pytest.raises(ValueError, match="Expected hidden to be one of visible, hidden, after_due_date, after_published but got hidden='later'"):
        gradescope_results(result, hidden="later")
    with pytest.raises(ValueError, match="Expected output_format to be one of md, text but got output_format='html'"):
        gradescope_results(result, output_format="html")


def test_unloadable_submission_summary_says_why():
    data = gradescope_results(graded("file", "exit_at_import"))
    assert data["score"] == 0
    assert "Every check: your file could not be imported: the worker process exited with code 0" in data["output"]
    err = gradescope_error("no Python file found", "Put your solution in rnn_layers.py.")
    assert err["output"] == "rnngrade could not grade this submission: no Python file found\nhint: Put your solution in rnn_layers.py."
    assert err["score"] == 0 and err["tests"] == []


# ---------------------------------------------------------------- the zip and run_autograder


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    r = CliRunner().invoke(main, ["gradescope", "build", "--out", str(out), "-e", "clipping", "--hidden-after-due"])
    assert r.exit_code == 0, r.output
    assert f"Gradescope autograder: {out} (" in r.output and "clipping; hidden cases after the due date" in r.output
    assert "Upload it under Configure Autograder (Ubuntu 22.04 or newer base image)." in r.output
    return out


def test_zip_layout_is_what_gradescope_expects(autograder_zip, tmp_path):
    with zipfile.ZipFile(autograder_zip) as zf:
        names = zf.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
        config = json.loads(zf.read(gs.CONFIG_NAME))
    assert names[:3] == ["setup.sh", "run_autograder", gs.CONFIG_NAME]
    assert modes["setup.sh"] & stat.S_IXUSR and modes["run_autograder"] & stat.S_IXUSR
    for required in ("rnngrade/pyproject.toml", "rnngrade/README.md", "rnngrade/grader/cli.py",
                     "rnngrade/grader/schema/results.schema.json", "rnngrade/grader/render/templates/report.html.j2",
                     "rnngrade/reference/__init__.py", "rnngrade/exercises/rnn.toml", "rnngrade/grader/sandbox/worker.py"):
        assert required in names, required
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert config["exercises"] == ["clipping"] and config["hidden"] == "after_due_date"
    again = tmp_path / "again.zip"
    gs.build_autograder(again, ["clipping"], "after_due_date")
    assert again.read_bytes() == autograder_zip.read_bytes()  # reproducible


def test_build_errors_are_explained(tmp_path, monkeypatch):
    r = CliRunner().invoke(main, ["gradescope", "build", "--out", str(tmp_path / "a.zip"), "-e", "transformer"])
    assert r.exit_code == 2 and "error: unknown exercise(s) transformer" in r.output and "rnngrade exercises" in r.output
    with pytest.raises(gs.BuildError, match="unknown visibility 'sometimes'"):
        gs.build_autograder(tmp_path / "a.zip", hidden="sometimes")
    with pytest.raises(gs.BuildError, match="has no pyproject.toml"):
        gs.build_autograder(tmp_path / "a.zip", root=tmp_path)
    monkeypatch.setattr(grader, "__file__", str(tmp_path / "site-packages" / "grader" / "__init__.py"))
    r = CliRunner().invoke(main, ["gradescope", "build", "--out", str(tmp_path / "a.zip")])
    assert r.exit_code == 2 and "error: no rnngrade source tree next to" in r.output
    assert "hint: Build the autograder from a checkout of rnngrade" in r.output
    assert not (tmp_path / "a.zip").exists()


@pytest.fixture(scope="module")
def shipped(autograder_zip, tmp_path_factory) -> Path:
    """The zip extracted once (as /autograder/source); its Python caches are then shared by the runs."""
    source = tmp_path_factory.mktemp("source")
    with zipfile.ZipFile(autograder_zip) as zf:
        zf.extractall(source)
    for name in ("setup.sh", "run_autograder"):
        (source / name).chmod(0o755)
    return source


def _autograder_root(tmp_path: Path, shipped: Path) -> Path:
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "source").symlink_to(shipped)
    return root


def _run_autograder(root: Path, tmp_path: Path) -> dict:
    """run_autograder as Gradescope runs it, with the rnngrade shipped in the zip on the path."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    if not (bindir / "python3").exists():
        (bindir / "python3").symlink_to(sys.executable)
    env = {**os.environ, "RNNGRADE_AUTOGRADER_ROOT": str(root), "PATH": f"{bindir}:/usr/bin:/bin",
           "PYTHONPATH": str(root / "source" / "rnngrade")}
    p = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                       timeout=120, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"rnngrade: wrote {root}/results/results.json" in p.stdout
    data = json.loads((root / "results" / "results.json").read_text())
    assert set(data) >= {"score", "output", "visibility", "stdout_visibility", "tests"}
    return data


@pytest.mark.parametrize("source, expect", [(CORRECT, "full"), ("clip_per_tensor", "partial"), (EXIT_AT_IMPORT, "zero")])
def test_run_autograder_grades_the_submission(shipped, tmp_path, source, expect):
    root = _autograder_root(tmp_path, shipped)
    shutil.copy(zoo_path("bug", source) if isinstance(source, str) else source, root / "submission" / "rnn_layers.py")
    data = _run_autograder(root, tmp_path)
    full = graded("path", "examples/correct/rnn_layers.py", ("clipping",)).max_score
    assert sum(t["max_score"] for t in data["tests"]) == full
    assert {t["name"].split(".")[0] for t in data["tests"]} == {"clipping"}
    if expect == "full":
        assert data["score"] == full and all(t["status"] == "passed" for t in data["tests"])
    elif expect == "partial":
        assert 0 < data["score"] == graded("bug", "clip_per_tensor", ("clipping",)).score < full
        failed = {t["name"]: t for t in data["tests"] if t["status"] == "failed"}
        assert failed["clipping.clip_grad_norm.matches_reference"]["visibility"] == "after_due_date"
        assert "hint: If total\\_norm &gt; max\\_norm, multiply EVERY array" in failed["clipping.clip_grad_norm.matches_reference"]["output"]
    else:  # os._exit(0) at import: 0 points, and every test says why
        assert data["score"] == 0 and all(t["status"] == "failed" for t in data["tests"])
        assert all("your file could not be imported" in t["output"] for t in data["tests"])


def _run_in_process(root: Path, said: str = "") -> dict:
    out = io.StringIO()
    assert gs.run_gradescope(root, echo=lambda s: out.write(s + "\n")) == 0, out.getvalue()
    assert said in out.getvalue()
    return json.loads((root / "results" / "results.json").read_text())


def test_a_submission_that_cannot_be_loaded_still_gets_results(shipped, tmp_path):
    root = _autograder_root(tmp_path, shipped)
    (root / "submission" / "notes.txt").write_text("forgot the code")
    data = _run_in_process(root, said=f"rnngrade: cannot load the submission: {root}/submission: no Python file found")
    assert data["score"] == 0 and data["tests"] == []
    assert data["output"] == (f"rnngrade could not grade this submission: {root}/submission: no Python file found\n"
                              "hint: Put your solution in rnn_layers.py.")


def test_an_uploaded_zip_is_graded(shipped, tmp_path):
    root = _autograder_root(tmp_path, shipped)
    with zipfile.ZipFile(root / "submission" / "hw.zip", "w") as zf:
        zf.write(CORRECT, "hw/rnn_layers.py")
    assert _run_in_process(root)["score"] == graded("path", "examples/correct/rnn_layers.py", ("clipping",)).max_score


def test_internal_and_infrastructure_errors_are_reported(tmp_path, monkeypatch):
    root = tmp_path / "ag"
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    shutil.copy(CORRECT, root / "submission" / "rnn_layers.py")
    (root / "source" / gs.CONFIG_NAME).write_text(json.dumps({"exercises": ["transformer"]}))
    out = io.StringIO()
    monkeypatch.setenv("RNNGRADE_AUTOGRADER_ROOT", str(root))
    assert gs.run_gradescope(echo=lambda s: out.write(s + "\n")) == 1
    data = json.loads((root / "results" / "results.json").read_text())
    assert data["score"] == 0 and "the autograder failed (an internal error, not a problem in your code)" in data["output"]
    assert "KeyError" in out.getvalue()  # the details, for staff, in the autograder output

    (root / "source" / gs.CONFIG_NAME).write_text(json.dumps({"exercises": ["clipping"], "output_format": "text"}))
    broken = synthetic([check("clipping.clip_grad_norm.api", "error", message="worker pipe broke",
                              metrics={"infrastructure": True})])
    monkeypatch.setattr("grader.engine.grade", lambda *a, **k: broken)
    out = io.StringIO()
    assert gs.run_gradescope(echo=lambda s: out.write(s + "\n")) == 0
    data = json.loads((root / "results" / "results.json").read_text())
    assert "error: the grader could not run 1 check(s) (infrastructure): use 'Regrade' on Gradescope" in out.getvalue()
    assert data["output"].endswith("could not run 1 check(s) because of a problem on its side, not in your code; "
                                   "your course staff can regrade this submission.")


def test_setup_sh_refuses_an_old_python(shipped, tmp_path):
    root = _autograder_root(tmp_path, shipped)
    assert subprocess.run(["bash", "-n", str(root / "source" / "setup.sh")]).returncode == 0
    fake = tmp_path / "fakebin"
    fake.mkdir()
    (fake / "python3").write_text('#!/bin/sh\n[ "$1" = "-V" ] && { echo "Python 3.8.10"; exit 0; }\n'
                                  '[ "$1" = "-c" ] && exit 1\nexit 0\n')
    (fake / "python3").chmod(0o755)
    p = subprocess.run(["bash", str(root / "source" / "setup.sh")], capture_output=True, text=True, timeout=30,
                       env={"PATH": f"{fake}:/usr/bin:/bin", "RNNGRADE_AUTOGRADER_ROOT": str(root)})
    assert p.returncode == 1
    assert "error: rnngrade needs Python 3.10 or newer, this image has Python 3.8.10" in p.stderr
    assert "hint: choose the Ubuntu 22.04 (or newer) base image" in p.stderr
