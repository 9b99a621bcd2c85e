"""The Coursera DLS API profile (grader/dls.py, docs/dls.md) on DLS-style submissions.

Every buggy submission is the correct DLS solution (examples/dls_correct/rnn_utils_dls.py) with one
snippet from tests/dls/bugs/ appended (the last definition wins), graded once per module.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import pytest

from zoo_helpers import ROOT, check

CORRECT = ROOT / "examples" / "dls_correct" / "rnn_utils_dls.py"
BUGS = Path(__file__).resolve().parent / "bugs"
TOTAL = 41.0  # dls_rnn 18 + dls_lstm 23


@functools.lru_cache(maxsize=None)
def _grade(bug: str, api: str = "auto"):
    from grader.engine import grade

    path = Path(tempfile.mkdtemp(prefix="dls-")) / "dls_solution.py"
    parts = [CORRECT.read_text()] + ([(BUGS / f"{bug}.py").read_text()] if bug else [])
    path.write_text("\n\n".join(parts))
    return grade(str(path), api=api)


@pytest.fixture(scope="module")
def graded():
    return _grade


def not_passed(result) -> dict:
    return {c.id: c.status for c in result.checks if c.status != "passed"}


# ----------------------------------------------------------------------------- the correct solution


def test_correct_solution_gets_every_point_under_auto_detection(graded):
    result = graded("")
    assert [e.id for e in result.exercises] == ["dls_rnn", "dls_lstm"]
    assert result.api == "dls" and result.to_dict()["api"] == "dls"
    assert result.score == result.max_score == TOTAL
    assert not_passed(result) == {}
    assert all(c.diagnosis is None for c in result.checks)
    ids = {c.id for c in result.checks}
    assert {"dls_rnn.rnn_cell_forward.matches_reference", "dls_rnn.rnn_backward.matches_fd",
            "dls_lstm.lstm_backward.matches_reference", "dls_lstm.lstm_cell_backward.matches_fd",
            "dls_lstm.lstm_backward.no_mutation"} <= ids
    c = check(result, "dls_rnn.rnn_cell_forward.api")
    assert c.message == "rnn_cell_forward(xt, a_prev, parameters) is defined"
    assert check(result, "dls_lstm.lstm_cell_backward.api").message == \
        "lstm_cell_backward(da_next, dc_next, cache) is defined"


def test_explicit_dls_profile_is_the_same(graded):
    assert graded("", "dls").score == TOTAL


def test_cs231n_profile_on_a_dls_file_grades_nothing_of_it(graded):
    result = graded("", "cs231n")
    assert "dls_rnn" not in [e.id for e in result.exercises] and "rnn" in [e.id for e in result.exercises]
    assert result.score == 0 and result.api == "cs231n"
    step = check(result, "rnn.rnn_step_forward.matches_reference")
    assert step.status == "skipped" and "not defined in your file" in step.message


def test_detect_api():
    from grader.dls import detect_api

    dls = ["rnn_cell_forward", "rnn_forward", "lstm_cell_backward", "softmax"]
    assert detect_api(dls) == "dls"
    assert detect_api(["rnn_forward", "lstm_forward", "lstm_backward"]) == "cs231n"  # names both APIs share
    assert detect_api(dls + ["rnn_step_forward"]) == "cs231n"  # a CS231n-only name wins
    assert detect_api(["clip_grad_norm", "rnn_cell_forward"]) == "cs231n"
    assert detect_api((), "import numpy as np\n\ndef rnn_cell_forward(xt, a_prev, parameters):\n    pass\n") == "dls"
    assert detect_api((), "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n    pass\n") == "cs231n"


def test_a_dls_file_that_does_not_import_gets_dls_errors():
    from grader.engine import grade

    path = Path(tempfile.mkdtemp(prefix="dls-")) / "dls_solution.py"
    path.write_text(CORRECT.read_text() + "\n\nraise RuntimeError('top-level code')\n")
    result = grade(str(path))
    assert [e.id for e in result.exercises] == ["dls_rnn", "dls_lstm"]
    assert {c.status for c in result.checks} == {"error"}
    assert "importing your file raised RuntimeError: top-level code" in result.checks[0].message


def test_cli_api_option(tmp_path):
    from click.testing import CliRunner

    from grader.cli import main

    run = CliRunner().invoke(main, ["check", str(CORRECT), "--api", "dls", "--no-html"])
    assert run.exit_code == 0, run.output
    assert "DLS: RNN step by step" in run.output and "DLS: LSTM step by step" in run.output
    bad = CliRunner().invoke(main, ["check", str(CORRECT), "--api", "keras", "--no-html"])
    assert bad.exit_code == 2


def test_default_exercise_set_is_unchanged():
    from grader.checks.registry import checks_for
    from grader.exercises import load_exercises

    default = load_exercises()
    assert not any(i.startswith("dls_") for i in default)
    assert all(ex.api == "cs231n" for ex in default.values())
    every = load_exercises(api=None)
    assert {"dls_rnn", "dls_lstm"} <= set(every)
    assert sum(every["dls_rnn"].points_for(d.function, d.name) for d in checks_for(every["dls_rnn"])) == 18
    assert sum(every["dls_lstm"].points_for(d.function, d.name) for d in checks_for(every["dls_lstm"])) == 23


# ----------------------------------------------------------------------------- buggy submissions

# statuses other than passed, and the score, of each buggy submission; property checks (Hypothesis, in DLS
# names) fail next to the value checks that see the same bug, worth points only as docs/scoring.md says
EXPECTED = {
    "lstm_backward_no_carry": (33.0, {"dls_lstm.lstm_backward.matches_reference": "failed",
        "dls_lstm.lstm_backward.matches_fd": "failed",
        "dls_lstm.lstm_backward.equals_chained_steps": "failed"}),
    "lstm_backward_old_official": (33.0, {"dls_lstm.lstm_backward.matches_reference": "failed",
        "dls_lstm.lstm_backward.matches_fd": "failed",
        "dls_lstm.lstm_backward.equals_chained_steps": "failed"}),
    "softmax_wrong_axis": (30.0, {"dls_rnn.rnn_cell_forward.matches_reference": "failed",
        "dls_rnn.rnn_cell_forward.batch_independent": "failed",
        "dls_rnn.rnn_forward.matches_reference": "failed",
        "dls_rnn.rnn_forward.batch_independent": "failed",
        "dls_lstm.lstm_cell_forward.matches_reference": "failed",
        "dls_lstm.lstm_cell_forward.batch_independent": "failed",
        "dls_lstm.lstm_forward.matches_reference": "failed",
        "dls_lstm.lstm_forward.batch_independent": "failed"}),
    "rnn_cell_forgot_bias": (24.0, {"dls_rnn.rnn_cell_forward.matches_reference": "failed",
        "dls_rnn.rnn_forward.matches_reference": "failed",
        "dls_rnn.rnn_cell_backward.matches_reference": "skipped",
        "dls_rnn.rnn_cell_backward.matches_fd": "failed",
        "dls_rnn.rnn_backward.matches_reference": "skipped",
        "dls_rnn.rnn_backward.matches_fd": "failed"}),
    "transposed_dWaa": (29.0, {"dls_rnn.rnn_cell_backward.matches_reference": "failed",
        "dls_rnn.rnn_cell_backward.matches_fd": "failed",
        "dls_rnn.rnn_backward.matches_reference": "failed",
        "dls_rnn.rnn_backward.matches_fd": "failed"}),
    "missing_key": (13.0, {"dls_rnn.rnn_cell_backward.matches_reference": "failed",
        "dls_rnn.rnn_cell_backward.matches_fd": "failed",
        "dls_rnn.rnn_cell_backward.linear_in_upstream": "failed",
        "dls_rnn.rnn_cell_backward.no_hidden_state": "failed",
        "dls_rnn.rnn_cell_backward.stable_large_inputs": "failed",
        "dls_rnn.rnn_backward.matches_reference": "error",
        "dls_rnn.rnn_backward.matches_fd": "error",
        "dls_rnn.rnn_backward.linear_in_upstream": "error",
        "dls_rnn.rnn_backward.no_hidden_state": "error",
        "dls_rnn.rnn_backward.stable_large_inputs": "error",
        "dls_rnn.rnn_backward.equals_chained_steps": "error",
        "dls_rnn.rnn_backward.no_mutation": "skipped",
        "dls_lstm.lstm_cell_backward.matches_reference": "failed",
        "dls_lstm.lstm_cell_backward.matches_fd": "failed",
        "dls_lstm.lstm_cell_backward.linear_in_upstream": "failed",
        "dls_lstm.lstm_cell_backward.no_hidden_state": "failed",
        "dls_lstm.lstm_cell_backward.stable_large_inputs": "failed",
        "dls_lstm.lstm_cell_backward.no_mutation": "skipped",
        "dls_lstm.lstm_backward.matches_reference": "error",
        "dls_lstm.lstm_backward.matches_fd": "error",
        "dls_lstm.lstm_backward.linear_in_upstream": "error",
        "dls_lstm.lstm_backward.no_hidden_state": "error",
        "dls_lstm.lstm_backward.stable_large_inputs": "error",
        "dls_lstm.lstm_backward.equals_chained_steps": "error",
        "dls_lstm.lstm_backward.no_mutation": "skipped"}),
    "rnn_backward_global_caches": (40.0, {"dls_rnn.rnn_backward.no_hidden_state": "failed"}),
    "rnn_cell_forward_counter": (30.0, {"dls_rnn.rnn_cell_forward.matches_reference": "failed",
        "dls_rnn.rnn_cell_forward.batch_independent": "failed",
        "dls_rnn.rnn_cell_forward.deterministic": "failed",
        "dls_rnn.rnn_cell_forward.stable_large_inputs": "failed",
        "dls_rnn.rnn_forward.matches_reference": "failed",
        "dls_rnn.rnn_forward.batch_independent": "failed",
        "dls_rnn.rnn_forward.deterministic": "failed",
        "dls_rnn.rnn_forward.stable_large_inputs": "failed",
        "dls_rnn.rnn_forward.causal": "failed",
        "dls_rnn.rnn_forward.equals_chained_steps": "failed",
        "dls_rnn.rnn_cell_backward.matches_fd": "failed",
        "dls_rnn.rnn_backward.matches_reference": "skipped",
        "dls_rnn.rnn_backward.linear_in_upstream": "failed",
        "dls_rnn.rnn_backward.no_hidden_state": "failed",
        "dls_rnn.rnn_backward.equals_chained_steps": "failed"}),
    "rnn_backward_ones_start": (35.0, {"dls_rnn.rnn_backward.matches_reference": "failed",
        "dls_rnn.rnn_backward.matches_fd": "failed",
        "dls_rnn.rnn_backward.linear_in_upstream": "failed",
        "dls_rnn.rnn_backward.equals_chained_steps": "failed"}),
    "rnn_forward_reversed_time": (35.0, {"dls_rnn.rnn_forward.matches_reference": "failed",
        "dls_rnn.rnn_forward.causal": "failed",
        "dls_rnn.rnn_forward.equals_chained_steps": "failed",
        "dls_rnn.rnn_backward.matches_fd": "failed",
        "dls_rnn.rnn_backward.equals_chained_steps": "failed"}),
    "lstm_forward_c_not_carried": (34.0, {"dls_lstm.lstm_forward.matches_reference": "failed",
        "dls_lstm.lstm_forward.equals_chained_steps": "failed",
        "dls_lstm.lstm_backward.matches_fd": "failed",
        "dls_lstm.lstm_backward.equals_chained_steps": "failed"}),
    "rnn_cell_exp_tanh": (40.0, {"dls_rnn.rnn_cell_forward.stable_large_inputs": "failed",
        "dls_rnn.rnn_forward.stable_large_inputs": "failed",
        "dls_rnn.rnn_cell_backward.stable_large_inputs": "failed",
        "dls_rnn.rnn_backward.stable_large_inputs": "failed"}),
}


@pytest.mark.parametrize("bug", sorted(EXPECTED))
def test_exactly_the_touched_checks_do_not_pass(graded, bug):
    result = graded(bug)
    score, statuses = EXPECTED[bug]
    assert [e.id for e in result.exercises] == ["dls_rnn", "dls_lstm"]
    assert not_passed(result) == statuses
    assert result.score == score and result.max_score == TOTAL
    for c in result.checks:
        if c.status in ("failed", "error", "timeout"):
            assert c.message and c.hint, c.id
        # a DLS student never wrote the CS231n API: no CS231n name in anything they read
        text = " ".join([c.message, c.hint, c.call] + ([c.diagnosis.explanation, c.diagnosis.evidence]
                                                        if c.diagnosis else [])
                        + ([c.counterexample["description"], c.counterexample["snippet"]] if c.counterexample else []))
        for cs231n in ("prev_h", "dnext_h", "dprev_h", "dh0", "Wx,", "rnn_step_", "lstm_step_", "N=", "dh[:, t]"):
            assert cs231n not in text, (c.id, cs231n, text)


@pytest.mark.parametrize("bug", ["lstm_backward_no_carry", "lstm_backward_old_official"])
def test_lstm_backward_without_carry_is_diagnosed(graded, bug):
    result = graded(bug)
    c = check(result, "dls_lstm.lstm_backward.matches_reference")
    assert c.call == "lstm_backward(da, caches) with m=2, T_x=5, n_x=3, n_a=4, n_y=3"
    assert c.message.startswith("lstm_backward(da, caches) with m=2, T_x=5, n_x=3, n_a=4, n_y=3: dx: differs "
                                "from the expected values: relative error ")
    assert "largest difference at dx[" in c.message and ", expected " in c.message
    assert "time steps 0-3 are wrong, 4 are right (of T=5)" in c.message
    assert c.hint.startswith("At step t call the cell backward with da[:, :, t] + da_prevt")
    assert "dc_prevt" in c.hint
    assert c.metrics["error_per_step"][-1] < 1e-9 < c.metrics["error_per_step"][0]
    for d in (c.diagnosis, check(result, "dls_lstm.lstm_backward.matches_fd").diagnosis):
        assert d is not None and d.bug == "no-bptt-carry"
        assert d.evidence.startswith("your dx, da0, dWf, dWi, dWc, dWo, dbf, dbi, dbc, dbo equal BPTT ")
        assert "da[:, :, t] + da_prevt" in d.explanation and "expected output" in d.explanation
    what = "carries dc_prev but not da_prev" if bug.endswith("official") else "no gradient carried between steps"
    assert what in c.diagnosis.evidence
    fd = check(result, "dls_lstm.lstm_backward.matches_fd")
    assert "dx disagrees with finite differences of your own lstm_forward" in fd.message


def test_softmax_over_the_wrong_axis(graded):
    result = graded("softmax_wrong_axis")
    c = check(result, "dls_rnn.rnn_cell_forward.matches_reference")
    assert c.message.startswith("rnn_cell_forward(xt, a_prev, parameters) with m=3, n_x=4, n_a=5, n_y=3: yt_pred: "
                                "differs from the expected values")
    assert "largest difference at yt_pred[" in c.message
    assert c.hint.startswith("yt_pred = softmax(Wya @ a_next + by) with the softmax over axis 0")
    seq = check(result, "dls_lstm.lstm_forward.matches_reference")
    assert seq.message.startswith("lstm_forward(x, a0, parameters) with m=2, T_x=5, n_x=3, n_a=4, n_y=3: y: differs")
    assert seq.hint.startswith("y[:, :, t] = softmax(Wy @ a[:, :, t] + by) with the softmax over axis 0")
    # the backward differentiates a, not y: it is still graded against the reference
    assert check(result, "dls_lstm.lstm_backward.matches_reference").status == "passed"


def test_cell_forward_without_bias(graded):
    result = graded("rnn_cell_forgot_bias")
    c = check(result, "dls_rnn.rnn_cell_forward.matches_reference")
    assert c.message.startswith("rnn_cell_forward(xt, a_prev, parameters) with m=3, n_x=4, n_a=5, n_y=3: a_next: differs")
    assert c.hint.startswith("a_next = np.tanh(Waa @ a_prev + Wax @ xt + ba)")
    assert c.diagnosis.bug == "forgot-bias" and c.diagnosis.evidence.startswith("your a_next equal a zero bias")
    assert check(result, "dls_rnn.rnn_forward.matches_reference").diagnosis.evidence.startswith("your a equal a zero bias")
    skipped = check(result, "dls_rnn.rnn_cell_backward.matches_reference")
    assert skipped.message.startswith("rnn_cell_forward does not match the reference yet, so rnn_cell_backward")
    fd = check(result, "dls_rnn.rnn_cell_backward.matches_fd")
    assert "dba disagrees with finite differences of your own rnn_cell_forward" in fd.message
    assert "the numerical derivative 0 " in fd.message


def test_transposed_weight_gradient(graded):
    result = graded("transposed_dWaa")
    c = check(result, "dls_rnn.rnn_cell_backward.matches_reference")
    assert c.message.startswith("rnn_cell_backward(da_next, cache) with m=3, n_x=4, n_a=5, n_y=3: dWaa: differs")
    assert c.hint == "dWaa = dtanh @ a_prev.T, shape (n_a, n_a), with dtanh = da_next * (1 - a_next**2)."
    assert c.diagnosis.bug == "transposed-weight-grad"
    assert c.diagnosis.evidence == "your dWaa equals the expected dWaa transposed"
    assert "dWaa = dtanh @ a_prev.T" in c.diagnosis.explanation
    seq = check(result, "dls_rnn.rnn_backward.matches_reference")
    assert "dWaa: differs" in seq.message and seq.diagnosis.bug == "transposed-weight-grad"


def test_wrong_return_structures(graded):
    result = graded("missing_key")
    c = check(result, "dls_rnn.rnn_cell_backward.matches_reference")
    assert c.message == ("rnn_cell_backward(da_next, cache) with m=3, n_x=4, n_a=5, n_y=3 returned a dict without the "
                         "key(s) 'dba' (it has 'dxt', 'da_prev', 'dWax', 'dWaa')")
    assert c.hint == "Return exactly what the API lists: a dict with the keys 'dxt', 'da_prev', 'dWax', 'dWaa', 'dba'."
    t = check(result, "dls_lstm.lstm_cell_backward.matches_reference")
    assert t.message.endswith("returned a tuple where a dict was expected")
    assert t.hint.startswith("Return exactly what the API lists: a dict with the keys 'dxt', 'da_prev', 'dc_prev', ")
    e = check(result, "dls_lstm.lstm_backward.matches_reference")
    assert "raised TypeError: tuple indices must be integers or slices, not str" in e.message
    assert "returns a tuple where the caller expects a dict" in e.hint
    k = check(result, "dls_rnn.rnn_backward.matches_reference")
    assert "raised KeyError: 'dba'" in k.message


def test_in_place_upstream_is_reported(tmp_path):
    from grader.engine import grade

    path = tmp_path / "dls_solution.py"
    path.write_text(CORRECT.read_text() + "\n\n_right = rnn_backward\n\n\ndef rnn_backward(da, caches):\n"
                    "    g = _right(da, caches)\n    da[:, :, 0] = 0.0\n    return g\n")
    result = grade(str(path), ["dls_rnn"])
    c = check(result, "dls_rnn.rnn_backward.no_mutation")
    assert c.status == "failed" and c.score == 0
    assert c.message.startswith("rnn_backward(da, caches) modified its argument(s) da in place")
    assert c.diagnosis.bug == "mutates-input" and "da[:, :, t] += ..." in c.diagnosis.explanation
    assert check(result, "dls_rnn.rnn_backward.matches_reference").status == "passed"


@pytest.mark.parametrize("bug", ["", "lstm_backward_old_official", "missing_key"])
def test_results_validate_against_the_schema_and_round_trip(graded, bug):
    import json

    import jsonschema

    from grader.results import SCHEMA_PATH, GradeResult

    result = graded(bug)
    data = json.loads(result.to_json())
    jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))
    assert GradeResult.from_dict(data).to_json() == result.to_json()


def test_public_mode_runs_the_reference_free_checks():
    from grader.engine import grade

    result = grade(str(CORRECT), public=True)
    assert [e.id for e in result.exercises] == ["dls_rnn", "dls_lstm"]
    assert {c.id.rsplit(".", 1)[1] for c in result.checks} == {
        "api", "matches_fd", "no_mutation", "batch_independent", "deterministic", "stable_large_inputs",
        "linear_in_upstream", "no_hidden_state", "causal", "equals_chained_steps"}
    assert result.score == result.max_score == 18.0


def test_wrong_signature_and_missing_functions(tmp_path):
    from grader.engine import grade

    path = tmp_path / "dls_solution.py"
    path.write_text("import numpy as np\n\n\ndef rnn_cell_forward(xt, parameters):\n    return None\n\n\n"
                    "def rnn_forward(x, a0, parameters):\n    raise NotImplementedError\n")
    result = grade(str(path))
    assert [e.id for e in result.exercises] == ["dls_rnn", "dls_lstm"]
    api = check(result, "dls_rnn.rnn_cell_forward.api")
    assert api.status == "failed"
    assert api.message == ("rnn_cell_forward takes 2 positional parameter(s) (xt, parameters), but the grader calls it "
                           "with 3: rnn_cell_forward(xt, a_prev, parameters)")
    assert api.hint == "Use exactly the signature of the DLS assignment: def rnn_cell_forward(xt, a_prev, parameters)."
    fwd = check(result, "dls_rnn.rnn_forward.matches_reference")
    assert fwd.status == "skipped" and fwd.message == "rnn_forward raises NotImplementedError: not attempted yet"
    lstm = check(result, "dls_lstm.lstm_backward.matches_fd")
    assert lstm.status == "skipped" and lstm.message == "lstm_forward is not defined in your file: not attempted"
    assert result.score == 0
