"""GitHub Actions: escaped workflow commands at the student's lines, and the Markdown job summary."""

from __future__ import annotations

import re

from click.testing import CliRunner
from integration_helpers import BUGGY, CORRECT, HOSTILE, check, graded, synthetic, zoo_path
from markdown_it import MarkdownIt

from grader.cli import main
from grader.engine import grade
from grader.integrations.ci import github_enabled
from grader.render.github import annotation_path, escape_data, escape_property, job_summary, workflow_commands

COMMAND = re.compile(r"^::(error|warning)( [^:]*)?::(.*)$")


def _props(line: str) -> dict:
    m = COMMAND.match(line)
    assert m, line
    return dict(p.split("=", 1) for p in (m.group(2) or "").strip().split(",") if p)


def test_escaping_follows_the_runner_rules():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_error_points_at_the_raising_line_of_the_file_the_user_passed(tmp_path):
    result = graded("bug", "raises_in_call")
    lines = workflow_commands(result, "student/rnn_layers.py")
    errors = [line for line in lines if line.startswith("::error ")]
    assert errors, lines
    props = _props(errors[0])
    deepest = next(c for c in result.checks if c.status == "error").traceback[-1]
    assert props["file"] == "student/rnn_layers.py" and props["line"] == str(deepest.line)
    first = next(c for c in result.checks if c.status == "error")
    assert props["title"].startswith(f"{first.id}%3A error (0/{first.max_score:g}) and ")  # identical advice merged
    assert "raised ValueError" in errors[0] and "%0Ahint: " in errors[0]
    assert all("\n" not in line and "\r" not in line for line in lines)


def test_paths_are_made_relative_to_the_workspace(tmp_path):
    result = graded("bug", "raises_in_call")
    sub = tmp_path / "repo" / "hw" / "rnn_layers.py"
    assert annotation_path(result, "rnn_layers.py", str(sub), str(tmp_path / "repo")) == "hw/rnn_layers.py"
    assert annotation_path(result, "rnn_layers.py", str(sub), "/elsewhere") == sub.as_posix()
    assert annotation_path(result, "helpers.py", str(sub)) is None  # not the graded file


def test_folder_maps_frames_into_it_and_zip_has_no_location(tmp_path, monkeypatch):
    (tmp_path / "hw" / "cs231n").mkdir(parents=True)
    (tmp_path / "hw" / "cs231n" / "rnn_layers.py").write_text("import numpy as np\n\nraise ValueError('boom')\n")
    monkeypatch.chdir(tmp_path)
    result = grade("hw", ["clipping"])
    lines = workflow_commands(result, "hw", workspace=str(tmp_path))
    assert len(lines) == 1 and _props(lines[0])["file"] == "hw/cs231n/rnn_layers.py" and _props(lines[0])["line"] == "3"
    assert "importing your file raised ValueError: boom" in lines[0]
    zipped = synthetic([check("rnn.rnn_forward.matches_reference", "error", message="raised",
                              traceback=[("rnn_layers.py", 4, "rnn_forward", "x")])], kind="zip", path="sub.zip")
    [line] = workflow_commands(zipped, "sub.zip")
    assert line.startswith("::warning title=") and "file=" not in line


def test_failures_without_a_location_are_warnings_and_merged():
    lines = workflow_commands(graded("file", "exit_at_import"), "exit_at_import.py")
    assert len(lines) == 1 and lines[0].startswith("::warning title=rnn.")
    assert re.search(r" and \d+ more checks::your file could not be imported", lines[0])


def test_syntax_errors_and_load_warnings_have_lines():
    [err] = workflow_commands(graded("file", "syntax_error"), "hw/rnn_layers.py")
    assert _props(err) | {} and _props(err)["file"] == "hw/rnn_layers.py" and _props(err)["line"] == "10"
    lines = workflow_commands(graded("file", "numpy2_removed"), "rnn_layers.py")
    notes = [line for line in lines if "title=rnngrade%3A numpy2-removed" in line]
    assert notes and _props(notes[0])["file"] == "rnn_layers.py" and "%0Ahint: " in notes[0]


def test_student_text_stays_inside_its_command():
    result = synthetic([check("rnn.rnn_forward.matches_reference", "failed", message=HOSTILE, hint="h,i:nt")])
    [line] = workflow_commands(result, "rnn_layers.py")
    assert line.startswith("::warning title=rnn.rnn_forward.matches_reference%3A failed (0/1)::<script>")
    assert "%0A::error::pwned%0D" in line and "100%25" in line and line.endswith("%0Ahint: h,i:nt")


def test_job_summary_is_a_table_per_exercise_with_escaped_student_text():
    result = synthetic([
        check("rnn.rnn_forward.matches_reference", "failed", message=HOSTILE, hint="Use **np.tanh** | <b>",
              traceback=[("rnn_layers.py", 7, "rnn_forward", "h = [x](y) | `z`")]),
        check("rnn.rnn_forward.api", "passed", score=1),
        check("lstm.lstm_forward.api", "skipped", message="not attempted"),
    ], path="<img src=x>.py", load_problems=[("numpy2-removed", False, "np.float_ | *x*", "use np.float64", "rnn_layers.py", 3)])
    text = job_summary(result)
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert "<h2>rnngrade: 1/3 points</h2>" in html
    assert html.count("<table>") == 2 and html.count("<tr>") == 2 + 3  # header rows + one row per check
    for forbidden in ("<script", "<img", "<a ", "<strong>bold", "<b>", "<em>x", "<code>tick"):
        assert forbidden not in html, forbidden
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** [link](http://x.test) | pipe `tick` $x$ &amp; 100%" in html
    assert "hint: Use **np.tanh** | &lt;b&gt;" in html and "rnn_layers.py:7" in html
    assert "What to fix" in html and "warning" in html and "np.float_ | *x*" in html


def test_github_mode_follows_the_environment_unless_forced():
    assert github_enabled(None, {"GITHUB_ACTIONS": "true"}) and not github_enabled(None, {})
    assert not github_enabled(False, {"GITHUB_ACTIONS": "true"}) and github_enabled(True, {})


def test_check_on_github_writes_summary_and_annotations(tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(BUGGY.parents[2])}
    r = CliRunner().invoke(main, ["check", str(BUGGY), "-e", "rnn", "--no-html"], env=env)
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    token = lines[0].removeprefix("::stop-commands::")
    assert len(token) == 32 and f"::{token}::" in lines  # terminal output cannot issue commands
    inside = lines[:lines.index(f"::{token}::")]
    assert any("What to fix" in line for line in inside) and not any(COMMAND.match(line) for line in inside)
    after = lines[lines.index(f"::{token}::") + 1:]
    assert any(line.startswith("::warning title=rnn.rnn_backward.matches_reference") for line in after)
    text = summary.read_text()
    result = graded("path", "examples/bptt_bug/rnn_layers.py")
    assert text.startswith(f"earlier step\n## rnngrade: {result.score:g}/{result.max_score:g} points")
    assert "rnn.rnn\\_backward.matches\\_fd" in text


def test_no_github_and_missing_or_unwritable_summary(tmp_path):
    args = ["check", str(CORRECT), "-e", "clipping", "--no-html"]
    r = CliRunner().invoke(main, args + ["--no-github"], env={"GITHUB_ACTIONS": "true"})
    assert r.exit_code == 0 and "::" not in r.output
    r = CliRunner().invoke(main, args + ["--github"], env={"GITHUB_STEP_SUMMARY": ""})
    assert "note: GITHUB_STEP_SUMMARY is not set, so no job summary was written" in r.output
    r = CliRunner().invoke(main, args + ["--github"], env={"GITHUB_STEP_SUMMARY": str(tmp_path)})
    assert f"warning: could not append the job summary to {tmp_path}: Is a directory" in r.output
    assert r.exit_code == 0


def test_a_notebook_is_annotated_on_the_ipynb_with_the_cell_and_line_in_the_message(tmp_path, monkeypatch):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    cells = ["import numpy as np", "print('experiments')",
             "def clip_grad_value(grads, clip_value):\n    x = 1\n    raise ValueError('boom in a cell')"]
    hw = tmp_path / "repo" / "hw"
    hw.mkdir(parents=True)
    nbformat.write(new_notebook(cells=[new_code_cell(c) for c in cells]), str(hw / "rnn_layers.ipynb"))
    monkeypatch.chdir(tmp_path / "repo")
    result = grade("hw/rnn_layers.ipynb", ["clipping"])
    lines = workflow_commands(result, "hw/rnn_layers.ipynb", workspace=str(tmp_path / "repo"))
    errors = [line for line in lines if line.startswith("::error ")]
    assert errors, lines
    props = _props(errors[0])
    assert props["file"] == "hw/rnn_layers.ipynb" and "line" not in props  # ipynb JSON lines are not cell lines
    assert "::cell 3, line 3: clip_grad_value(grads, clip_value)" in errors[0] and "boom in a cell" in errors[0]
    [note] = [line for line in lines if "notebook-not-run" in line]
    assert _props(note)["file"] == "hw/rnn_layers.ipynb" and "::cell 2, line 1: " in note
    # a folder holding the notebook points at the notebook inside it; a zip has no file to point at
    folder = grade("hw", ["clipping"])
    assert annotation_path(folder, "cell 3", "hw", str(tmp_path / "repo")) == "hw/rnn_layers.ipynb"
    assert annotation_path(folder, "rnn_layers.py", "hw") is None
    folder.submission.path = "hw.zip"
    assert annotation_path(folder, "cell 3", "hw.zip") is None
