"""The composite action and the examples: the gate, not the exit status, decides."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from integration_helpers import CORRECT, EXIT_AT_IMPORT, ROOT, zoo_path

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS = {s.get("name") or s.get("uses"): s for s in ACTION["runs"]["steps"]}
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def test_action_inputs_and_steps():
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"submission", "exercises", "min-score", "python-version", "report-name"}
    uses = [s.get("uses", "") for s in ACTION["runs"]["steps"]]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    upload = next(s for s in ACTION["runs"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "${{ always() }}" and upload["with"]["name"] == "${{ inputs.report-name }}"
    assert "${{ github.action_path }}" in STEPS["Install rnngrade"]["env"]["RNNGRADE_SOURCE"]
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), f"{step.get('name')}: expressions go through env, never into scripts"
    assert "rnngrade ci-gate" in STEPS["Gate on the score"]["run"]


def _bin(tmp_path: Path) -> Path:
    """An `rnngrade` command on PATH, as `pip install` puts it there."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    shim = bindir / "rnngrade"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m grader "$@"\n')
    shim.chmod(0o755)
    return bindir


def _run_step(name: str, inputs: dict, tmp_path: Path, workspace: Path) -> subprocess.CompletedProcess:
    """Run one `run:` step of the action the way the runner does (bash -eo pipefail, env expressions)."""
    step = STEPS[name]
    values = {f"inputs.{k}": str(inputs.get(k, v.get("default", ""))) for k, v in ACTION["inputs"].items()}
    values |= {"runner.temp": str(tmp_path / "runner-temp"), "github.action_path": str(ROOT)}
    env = {"PATH": f"{_bin(tmp_path)}:/usr/bin:/bin", "HOME": str(tmp_path), "GITHUB_ACTIONS": "true",
           "GITHUB_WORKSPACE": str(workspace), "GITHUB_OUTPUT": str(tmp_path / "output"),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    for key, value in step.get("env", {}).items():
        env[key] = EXPR.sub(lambda m: values[m.group(1)], value)
    script = tmp_path / f"{name}.sh"
    script.write_text(step["run"])
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("source, inputs, passes", [
    (CORRECT, {"exercises": "clipping tbptt"}, True),
    ("clip_per_tensor", {"exercises": "clipping", "min-score": "100%"}, False),
    (EXIT_AT_IMPORT, {"exercises": "clipping"}, False),  # os._exit(0) at import must not pass
])
def test_grade_then_gate(tmp_path, source, inputs, passes):
    workspace = tmp_path / "repo"
    workspace.mkdir()
    shutil.copy(zoo_path("bug", source) if isinstance(source, str) else source, workspace / "rnn_layers.py")
    graded = _run_step("Grade", inputs, tmp_path, workspace)
    assert graded.returncode == 0, graded.stdout + graded.stderr  # grading never fails the job by itself
    assert re.search(r"rnngrade check exited with status [01] \(the gate decides\)", graded.stdout)
    out = dict(line.split("=", 1) for line in (tmp_path / "output").read_text().splitlines())
    results = json.loads(Path(out["results"]).read_text())
    assert [e["id"] for e in results["exercises"]] == inputs["exercises"].split()
    assert Path(out["junit"]).is_file() and (Path(out["results"]).parent / "report.html").is_file()
    assert (tmp_path / "summary.md").read_text().startswith("## rnngrade: ")
    gated = _run_step("Gate on the score", inputs, tmp_path, workspace)
    assert (gated.returncode == 0) == passes, gated.stdout + gated.stderr
    assert ("rnngrade ci-gate: PASS" if passes else "rnngrade ci-gate: FAIL") in gated.stdout


def test_stale_results_are_removed_before_grading(tmp_path):
    workspace = tmp_path / "repo"
    workspace.mkdir()
    stale = tmp_path / "runner-temp" / "rnngrade" / "results.json"
    stale.parent.mkdir(parents=True)
    stale.write_text('{"score": 56, "max_score": 56}')
    graded = _run_step("Grade", {"submission": "missing.py"}, tmp_path, workspace)
    assert "rnngrade check exited with status 2" in graded.stdout and not stale.exists()
    gated = _run_step("Gate on the score", {"submission": "missing.py"}, tmp_path, workspace)
    assert gated.returncode == 2 and "does not exist: the grader wrote no results" in gated.stdout


def test_example_workflow_uses_the_actions_inputs():
    workflow = yaml.safe_load((ROOT / "docs" / "examples" / "grade.yml").read_text())
    step = next(s for s in workflow["jobs"]["grade"]["steps"] if "rnngrade" in s.get("uses", ""))
    assert set(step["with"]) <= set(ACTION["inputs"])


def test_classroom_example_is_generated_from_the_exercises():
    from grader.integrations.classroom import classroom_tests
    from grader.exercises import load_exercises

    example = json.loads((ROOT / "docs" / "examples" / "autograding.json").read_text())
    assert example == classroom_tests(load_exercises()), (
        "docs/examples/autograding.json is stale: python -m grader.integrations.classroom > docs/examples/autograding.json")
    assert [t["name"].rsplit("(", 1)[1].rstrip(")") for t in example["tests"]] == list(load_exercises())


def test_classroom_commands_pass_only_on_full_marks_from_the_json(tmp_path):
    tests = json.loads((ROOT / "docs" / "examples" / "autograding.json").read_text())["tests"]
    for t in tests:
        assert {"name", "setup", "run", "timeout", "points"} <= set(t) and "rnngrade ci-gate" in t["run"]
    clipping = next(t for t in tests if "-e clipping" in t["run"])
    env = {"PATH": f"{_bin(tmp_path)}:/usr/bin:/bin", "HOME": str(tmp_path)}
    for source, passes in ((CORRECT, True), (EXIT_AT_IMPORT, False)):
        shutil.copy(source, tmp_path / "rnn_layers.py")
        p = subprocess.run(["sh", "-c", clipping["run"]], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
        assert (p.returncode == 0) == passes, p.stdout + p.stderr


def test_classroom_file_for_a_dls_course_grades_the_dls_exercises(tmp_path):
    from grader.integrations.classroom import main as classroom_main

    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        classroom_main(["--api", "dls", "--submission", "rnn_utils.py"])
    tests = json.loads(buf.getvalue())["tests"]
    assert [t["name"] for t in tests] == ["DLS: RNN step by step (dls_rnn)", "DLS: LSTM step by step (dls_lstm)"]
    lstm = tests[1]
    correct = ROOT / "examples" / "dls_correct" / "rnn_utils_dls.py"
    buggy = correct.read_text() + "\n\n" + (ROOT / "tests" / "dls" / "bugs" / "lstm_backward_old_official.py").read_text()
    env = {"PATH": f"{_bin(tmp_path)}:/usr/bin:/bin", "HOME": str(tmp_path)}
    for source, passes in ((correct.read_text(), True), (buggy, False)):
        (tmp_path / "rnn_utils.py").write_text(source)
        p = subprocess.run(["sh", "-c", lstm["run"]], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=180)
        assert (p.returncode == 0) == passes, p.stdout + p.stderr
