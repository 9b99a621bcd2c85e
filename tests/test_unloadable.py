"""Submissions that cannot be loaded or imported: every check accounted for, with the reason."""

import pytest

from zoo_helpers import check


def _all(result, status):
    assert result.checks and {c.status for c in result.checks} == {status}
    assert result.score == 0


def test_syntax_error_names_file_line_and_fix(graded):
    result = graded("file", "syntax_error")
    _all(result, "error")
    [problem] = result.load_problems
    assert problem.code == "syntax-error" and problem.fatal and problem.line == 10
    assert problem.message.startswith("IndentationError (unexpected indent) at syntax_error.py, line 10:")
    assert "Indent every line" in problem.hint
    c = check(result, "rnn.rnn_step_forward.matches_reference")
    assert c.message.startswith("your file could not be loaded: IndentationError")


def test_python2_gets_its_own_message(graded):
    result = graded("file", "python2")
    _all(result, "error")
    [problem] = result.load_problems
    assert problem.code == "python2"
    assert "is Python 2 syntax: print" in problem.message
    assert "print(x)" in problem.hint and "xrange" in problem.hint


def test_pasted_output_is_recognised(graded):
    [problem] = graded("file", "pasted_output").load_problems
    assert problem.code == "pasted-output" and "In [3]:" in problem.message
    assert "Delete the pasted prompts" in problem.hint


def test_numpy2_removed_call_names_the_replacement(graded):
    result = graded("file", "numpy2_removed")
    notes = [p for p in result.load_problems if p.code == "numpy2-removed"]
    assert notes and not notes[0].fatal
    assert "np.asfarray was removed in NumPy 2" in notes[0].message
    assert "np.asarray(x, dtype=np.float64)" in notes[0].hint
    c = check(result, "rnn.rnn_step_forward.matches_reference")
    assert c.status == "error" and "asfarray" in c.message
    assert "removed in NumPy 2: use np.asarray(x, dtype=np.float64)" in c.hint


def test_exit_at_import_scores_nothing(graded):
    result = graded("file", "exit_at_import")
    _all(result, "error")
    c = check(result, "rnn.rnn_step_forward.matches_reference")
    assert "the worker process exited with code 0" in c.message
    assert "move it under `if __name__ == '__main__':`" in c.hint


def test_forbidden_import_is_flagged_and_fails_in_the_worker(graded):
    result = graded("file", "forbidden_import")
    [note] = result.load_problems
    assert note.code == "forbidden-import" and "imports torch" in note.message
    _all(result, "error")
    c = check(result, "rnn.rnn_step_forward.matches_reference")
    assert "importing 'torch' is not allowed" in c.message
    assert c.traceback and c.traceback[-1].line == note.line


@pytest.mark.parametrize("status", ["timeout"])
def test_import_that_never_finishes_times_out(tmp_path, status):
    from grader.engine import grade
    from grader.sandbox.launcher import Limits

    p = tmp_path / "rnn_layers.py"
    p.write_text("import time\nwhile True:\n    time.sleep(0.01)\n")
    result = grade(str(p), ["clipping"], limits=Limits(import_seconds=1.0))
    _all(result, status)
    assert "importing your file did not finish" in result.checks[0].message
