"""Property checks: the smallest failing input, a snippet that reproduces it, and the scoring policy."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from grader.engine import grade
from zoo_helpers import build_submission, check


@pytest.fixture(scope="module")
def rnn_graded():
    cache = {}

    def get(bug):
        if bug not in cache:
            cache[bug] = grade(str(build_submission(Path(tempfile.mkdtemp()), bug)), ["rnn", "clipping", "tbptt"])
        return cache[bug]
    return get


def _run_snippet(snippet: str, submission: Path) -> str:
    """The student's experience: paste the snippet next to their own file and run it."""
    script = submission.parent / "repro.py"
    script.write_text(snippet)
    p = subprocess.run([sys.executable, str(script)], cwd=submission.parent, capture_output=True, text=True, timeout=60)
    return p.stdout + p.stderr


def test_batch_of_one_is_shrunk_to_the_smallest_case_and_reproducible(rnn_graded, tmp_path):
    c = check(rnn_graded("squeeze_batch_one"), "rnn.rnn_step_forward.batch_independent")
    assert c.status == "failed" and c.diagnosis.bug == "batch-of-one"
    ce = c.counterexample
    assert ce["shapes"]["x"] == [2, 1] and ce["description"].startswith("fails when N=2, D=1, H=2:")
    assert "sample 0 computed alone (N=1)" in c.message and "(smallest case found)" in c.message
    sub = build_submission(tmp_path, "squeeze_batch_one")
    out = _run_snippet(ce["snippet"], sub)
    assert "(2,) vs (1, 2)" in out


def test_unstable_activation_found_at_large_inputs_with_overflow_warning(rnn_graded, tmp_path):
    c = check(rnn_graded("unstable_tanh"), "rnn.rnn_step_forward.stable_large_inputs")
    assert c.status == "failed" and c.score == 0 and c.max_score == 1
    assert "overflow encountered in exp" in c.message
    assert c.diagnosis.bug == "unstable-activation"
    assert "N=1, D=1, H=1" in c.counterexample["description"]
    out = _run_snippet(c.counterexample["snippet"], build_submission(tmp_path, "unstable_tanh"))
    assert "False" in out


def test_backward_snippet_imports_what_it_calls(rnn_graded, tmp_path):
    c = check(rnn_graded("unstable_tanh"), "rnn.rnn_step_backward.stable_large_inputs")
    assert "from rnn_layers import rnn_step_forward, rnn_step_backward" in c.counterexample["snippet"]
    out = _run_snippet(c.counterexample["snippet"], build_submission(tmp_path, "unstable_tanh"))
    assert "False" in out and "Error" not in out


def test_loop_bug_is_pinned_to_the_loop_not_the_step(rnn_graded):
    c = check(rnn_graded("no_bptt_carry_rnn"), "rnn.rnn_backward.equals_chained_steps")
    assert c.status == "failed"
    assert "differs from backpropagating through your own rnn_step_backward step by step" in c.message
    assert "the bug is in the loop of rnn_backward" in c.message


def test_mutation_costs_a_point_and_is_diagnosed(rnn_graded):
    result = rnn_graded("inplace_upstream")
    c = check(result, "rnn.rnn_backward.no_mutation")
    assert c.status == "failed" and c.score == 0 and c.max_score == 1
    assert "modified its argument(s) dh in place" in c.message
    assert c.diagnosis.bug == "mutates-input"
    assert check(result, "rnn.rnn_backward.matches_reference").status == "passed"


def test_property_failure_is_not_charged_twice(rnn_graded):
    # matches_fd of this backward passes, matches_reference fails: the property's point is kept
    c = check(rnn_graded("squeeze_batch_one"), "rnn.rnn_backward.no_hidden_state")
    assert c.status == "error" and c.score == c.max_score == 1
    assert c.metrics["not_charged"] == "rnn.rnn_backward.matches_reference"
    assert "(not charged: rnn.rnn_backward.matches_reference already failed for this function)" in c.message


def test_behaviour_points_need_values_that_are_at_least_partly_right(rnn_graded):
    # NaN everywhere: no value check of this step forward is even partly right, so its behaviour point is
    # not awarded (adversarial corpus: functions that crash, exit or return zeros earned these points)
    c = check(rnn_graded("nan_output"), "rnn.rnn_step_forward.stable_large_inputs")
    assert c.status == "failed" and c.score == 0 and c.max_score == 1
    assert c.metrics["not_awarded"] == "no value check of rnn_step_forward is even partly right"
    assert "(no points: none of the value checks of rnn_step_forward is even partly right)" in c.message
    assert c.diagnosis is None  # NaN for ordinary inputs is not an overflow at large ones


def test_clip_norm_property_describes_arrays_and_diagnoses(rnn_graded):
    c = check(rnn_graded("clip_per_tensor"), "clipping.clip_grad_norm.norm_bounded_direction_kept")
    assert c.status == "failed" and c.diagnosis.bug == "clip-per-tensor"
    assert "array0 of shape" in c.counterexample["description"]
    assert "the direction is kept" in c.message


def test_tbptt_window_property(rnn_graded):
    c = check(rnn_graded("tbptt_off_by_one"), "tbptt.rnn_backward_truncated.window_properties")
    assert c.status == "failed" and "with truncate=" in c.message


def test_properties_are_deterministic_across_runs(tmp_path):
    sub = build_submission(tmp_path, "unstable_tanh")
    a, b = (json.loads(grade(str(sub), ["rnn"]).to_json()) for _ in range(2))
    strip = lambda r: [(c["id"], c["status"], c["message"], c.get("counterexample")) for e in r["exercises"] for c in e["checks"]]  # noqa: E731
    assert strip(a) == strip(b)


def test_thorough_runs_more_examples(tmp_path, monkeypatch):
    from grader.checks import properties

    calls = []
    real = properties.grading_settings

    def counting(ctx):
        calls.append(real(ctx).max_examples)
        return real(ctx)

    monkeypatch.setattr(properties, "grading_settings", counting)
    grade("examples/correct/rnn_layers.py", ["clipping"], thorough=True)
    assert calls and set(calls) == {properties.THOROUGH_EXAMPLES}


def test_counterexample_and_not_charged_reach_the_reports(rnn_graded):
    from markupsafe import escape

    from grader.render.html import render_html

    html = render_html(rnn_graded("nan_output"))
    assert "Smallest failing input found" in html and "Reproduce it with your own file" in html
    assert str(escape("from rnn_layers import rnn_step_forward")) in html
    html = render_html(rnn_graded("squeeze_batch_one"))
    assert "already failed for this function, so these points were not taken twice" in html


def test_terminal_shows_the_snippet(rnn_graded):
    from rich.console import Console

    from grader.render.terminal import render_terminal

    console = Console(record=True, width=200, color_system=None)
    render_terminal(rnn_graded("unstable_tanh"), console)
    text = console.export_text()
    assert "smallest failing input (paste next to your file to reproduce):" in text
    assert "x = x * 1000" in text
    assert "diagnosis: An activation that overflows on large inputs" in text


def test_an_exception_inside_a_property_keeps_the_smallest_input(rnn_graded):
    c = check(rnn_graded("squeeze_batch_one"), "rnn.rnn_forward.causal")
    assert c.status == "error"
    assert c.message.startswith("rnn_forward(x, h0, Wx, Wh, b) with N=1, T=2, D=1, H=1 (smallest failing case found) raised ValueError")
    assert c.counterexample["shapes"]["x"] == [1, 2, 1]
    assert "np.squeeze" in c.hint
