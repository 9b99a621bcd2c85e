"""The grader against a zoo of broken submissions: each gets exactly the verdict it deserves.

Every case is the correct example with one bug snippet appended (tests/zoo/bugs), so the set of
checks that do NOT pass must be exactly the ones the bug touches, and each message must say
which function, what was called, what came back and what was expected, with a useful hint.
"""

import pytest

from zoo_helpers import check

# bug -> {check id: status} of every check that does not pass
EXPECTED = {
    "no_bptt_carry_rnn": {"rnn.rnn_backward.matches_reference": "failed", "rnn.rnn_backward.matches_fd": "failed"},
    "no_bptt_carry_lstm": {"lstm.lstm_backward.matches_reference": "failed", "lstm.lstm_backward.matches_fd": "failed"},
    "wrong_activation_derivative": {"rnn.rnn_step_backward.matches_reference": "failed",
                                    "rnn.rnn_step_backward.matches_fd": "failed"},
    "lstm_gate_order_ifgo": {"lstm.lstm_step_forward.public_vectors": "failed",
                             "lstm.lstm_step_forward.matches_reference": "failed",
                             "lstm.lstm_step_backward.matches_reference": "skipped"},
    "inplace_upstream": {},
    "wrong_shape": {"rnn.rnn_step_forward.public_vectors": "failed", "rnn.rnn_step_forward.matches_reference": "failed",
                    "rnn.rnn_step_backward.matches_reference": "skipped", "rnn.rnn_step_backward.matches_fd": "skipped"},
    "nan_output": {"rnn.rnn_step_forward.public_vectors": "failed", "rnn.rnn_step_forward.matches_reference": "failed",
                   "rnn.rnn_step_backward.matches_reference": "skipped", "rnn.rnn_step_backward.matches_fd": "skipped"},
    "raises_in_call": {"rnn.rnn_step_backward.matches_reference": "error", "rnn.rnn_step_backward.matches_fd": "error"},
    "infinite_loop": {"gru.gru_step_forward.matches_reference": "timeout",
                      "gru.gru_step_backward.matches_reference": "skipped",
                      "gru.gru_step_backward.matches_fd": "skipped"},
    "sys_exit_in_call": {"clipping.clip_grad_value.matches_reference": "error"},
    "returns_none": {"lstm.lstm_forward.matches_reference": "skipped", "lstm.lstm_backward.matches_reference": "skipped",
                     "lstm.lstm_backward.matches_fd": "skipped"},
    "dh0_zero": {"rnn.rnn_backward.matches_reference": "failed", "rnn.rnn_backward.matches_fd": "failed"},
    "dprev_c_missing_h_path": {"lstm.lstm_step_backward.matches_reference": "failed",
                               "lstm.lstm_step_backward.matches_fd": "failed"},
    "squeeze_batch_one": {"rnn.rnn_step_forward.matches_reference": "failed", "rnn.rnn_forward.matches_reference": "error",
                          "rnn.rnn_backward.matches_reference": "error"},
    "clip_per_tensor": {"clipping.clip_grad_norm.matches_reference": "failed"},
    "tbptt_off_by_one": {"tbptt.rnn_backward_truncated.matches_reference": "failed"},
    "gru_reset_after": {"gru.gru_step_forward.matches_reference": "failed"},
    "gru_update_swapped": {"gru.gru_step_forward.matches_reference": "failed",
                           "gru.gru_step_backward.matches_reference": "skipped"},
}


@pytest.mark.parametrize("bug", sorted(EXPECTED))
def test_exactly_the_touched_checks_do_not_pass(graded, bug):
    result = graded("bug", bug)
    # property, dynamics and training verdicts of the zoo are asserted in test_properties.py and tests/dynamics/
    not_passed = {c.id: c.status for c in result.checks
                  if c.status != "passed" and c.kind not in ("property", "dynamics", "training")}
    assert not_passed == EXPECTED[bug]
    for c in result.checks:
        # not_awarded: behaviour points of a function none of whose value checks passed (docs/scoring.md)
        charged = (c.status != "passed" and not c.metrics.get("not_charged")) or bool(c.metrics.get("not_awarded"))
        assert c.score == (0 if charged else c.max_score)
        if c.status in ("failed", "error", "timeout"):
            assert c.message and c.hint, c.id


def test_no_carry_message_names_the_array_and_the_time_steps(graded):
    c = check(graded("bug", "no_bptt_carry_rnn"), "rnn.rnn_backward.matches_reference")
    assert c.message.startswith("rnn_backward(dh, cache) with N=2, T=5, D=3, H=4: dx: differs from the expected values")
    assert "time steps 0-3 are wrong, 4 are right (of T=5)" in c.message
    assert "carry dprev_h" in c.hint
    assert c.metrics["first_wrong_lag"] == 1 and c.metrics["error_map"]["array"] == "dx"


def test_fd_message_compares_directional_derivatives(graded):
    c = check(graded("bug", "dh0_zero"), "rnn.rnn_backward.matches_fd")
    assert "dh0 disagrees with finite differences of your own rnn_forward" in c.message
    assert "your gradient gives 0," in c.message
    assert c.metrics["probes"]["dh0"]["analytic"] == 0.0
    assert "dh0 is the dprev_h" in c.hint


def test_activation_derivative_hint_points_at_next_h(graded):
    c = check(graded("bug", "wrong_activation_derivative"), "rnn.rnn_step_backward.matches_reference")
    assert "1 - next_h**2" in c.hint


def test_gate_order_public_vector_message_shows_expected_row(graded):
    c = check(graded("bug", "lstm_gate_order_ifgo"), "lstm.lstm_step_forward.public_vectors")
    assert "Expected next_h[0] = [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904]" in c.message
    assert "i, f, o, g" in c.hint
    skipped = check(graded("bug", "lstm_gate_order_ifgo"), "lstm.lstm_step_backward.matches_reference")
    assert "does not match the reference yet" in skipped.message
    # the backward is consistent with its own forward, so the finite-difference points are earned
    assert check(graded("bug", "lstm_gate_order_ifgo"), "lstm.lstm_step_backward.matches_fd").status == "passed"


def test_in_place_upstream_is_graded_correct_and_noted(graded):
    result = graded("bug", "inplace_upstream")
    assert [c.id for c in result.checks if c.status != "passed"] == [
        "rnn.rnn_backward.no_mutation", "lstm.lstm_step_backward.no_mutation", "lstm.lstm_backward.no_mutation"]
    assert check(result, "lstm.lstm_step_backward.matches_reference").metrics["mutated_inputs"] == ["dnext_c"]
    assert check(result, "rnn.rnn_backward.matches_fd").metrics["mutated_inputs"] == ["dh"]
    # the dynamics and training exercises grade no mutation, so their calls do not ask for the arguments back
    # (the training run alone sent 80 MB of them): the layer exercises above report it
    later = [c for c in result.checks if c.kind in ("dynamics", "training") and c.function == "rnn_backward"]
    assert later and all(c.status == "passed" and "mutated_inputs" not in c.metrics for c in later)


def test_wrong_shape_says_transposed(graded):
    c = check(graded("bug", "wrong_shape"), "rnn.rnn_step_forward.matches_reference")
    assert "next_h: has shape (5, 3), expected (3, 5) (it looks transposed)" in c.message


def test_nan_output_is_reported_with_its_index(graded):
    c = check(graded("bug", "nan_output"), "rnn.rnn_step_forward.matches_reference")
    assert "contains 5 NaN or inf value(s), the first at index [0, 0]" in c.message
    fd = check(graded("bug", "nan_output"), "rnn.rnn_step_backward.matches_fd")
    assert "does not return a finite next_h" in fd.message


def test_exception_shows_student_frame_and_shape_hint(graded):
    c = check(graded("bug", "raises_in_call"), "rnn.rnn_step_backward.matches_reference")
    assert c.message.startswith("rnn_step_backward(dnext_h, cache) with N=3, D=4, H=5 raised ValueError: matmul")
    assert "in _affine_backward (rnn_layers.py, line" in c.message
    assert [f.func for f in c.traceback][-2:] == ["rnn_step_backward", "_affine_backward"] or \
        c.traceback[-1].func == "_affine_backward"
    assert all(f.file == "rnn_layers.py" for f in c.traceback)
    assert "shape" in c.hint and "transpose" in c.hint


def test_infinite_loop_times_out_and_other_functions_still_graded(graded):
    result = graded("bug", "infinite_loop")
    c = check(result, "gru.gru_step_forward.matches_reference")
    assert c.status == "timeout" and "did not return: no answer within 5 s" in c.message
    assert "loop" in c.hint
    assert "an earlier call to gru_step_forward timed out" in check(result, "gru.gru_step_backward.matches_fd").message
    assert check(result, "gru.gru_backward.matches_fd").status == "passed"


def test_sys_exit_in_call_is_an_error_not_a_pass(graded):
    c = check(graded("bug", "sys_exit_in_call"), "clipping.clip_grad_value.matches_reference")
    assert "raised SystemExit: sys.exit(0)" in c.message
    assert "sys.exit()" in c.hint


def test_returns_none_is_not_attempted(graded):
    c = check(graded("bug", "returns_none"), "lstm.lstm_forward.matches_reference")
    assert c.message == "lstm_forward returned None: not attempted yet"
    assert c.hint == "Implement lstm_forward to earn these points."


def test_squeeze_gets_its_hint(graded):
    c = check(graded("bug", "squeeze_batch_one"), "rnn.rnn_forward.matches_reference")
    assert "N=1, T=1" in c.message and "np.squeeze" in c.hint


def test_clip_norm_message_and_hint(graded):
    c = check(graded("bug", "clip_per_tensor"), "clipping.clip_grad_norm.matches_reference")
    assert "max_norm=1.0" in c.message and "relative error" in c.message
    assert "same factor" in c.hint


def test_tbptt_message_names_the_window(graded):
    c = check(graded("bug", "tbptt_off_by_one"), "tbptt.rnn_backward_truncated.matches_reference")
    assert "truncate=0" in c.message
    assert "s <= t <= s + truncate" in c.hint


def test_dprev_c_hint_mentions_the_h_path(graded):
    c = check(graded("bug", "dprev_c_missing_h_path"), "lstm.lstm_step_backward.matches_reference")
    assert c.message.split(": ")[1] == "dprev_c"
    assert "dnext_h * o * (1 - tanh(next_c)**2)" in c.hint


@pytest.mark.parametrize("path", ["examples/correct/rnn_layers.py", "tests/zoo/alt_style_correct.py"])
@pytest.mark.parametrize("seed", [1, 20161, 987654])
def test_correct_submissions_score_full_marks(graded, path, seed):
    result = graded("path", path, seed)
    assert [c.id for c in result.checks if c.status != "passed"] == []
    assert result.score == result.max_score > 0


def test_unmodified_starter_is_not_attempted_everywhere(graded):
    result = graded("path", "exercises/rnn_layers.py")
    graded_checks = [c for c in result.checks if c.kind != "api"]
    assert all(c.diagnosis is None for c in result.checks)
    assert {c.status for c in graded_checks} == {"skipped"}
    assert all("not attempted" in c.message for c in graded_checks)
    assert {c.status for c in result.checks if c.kind == "api"} == {"passed"}  # the stubs have the right signatures
    assert result.score == 0


def test_bptt_bug_example_attempts_only_the_rnn(graded):
    result = graded("path", "examples/bptt_bug/rnn_layers.py")
    rnn = next(e for e in result.exercises if e.id == "rnn")
    assert {c.id for c in rnn.checks if c.status != "passed"} == {"rnn.rnn_backward.matches_reference",
                                                                  "rnn.rnn_backward.matches_fd",
                                                                  "rnn.rnn_backward.equals_chained_steps"}
    assert {c.diagnosis.bug for c in rnn.checks if c.diagnosis} == {"no-bptt-carry"}
    # the dynamics and training exercises measure the RNN too (asserted in tests/dynamics/)
    others = [c for e in result.exercises if e.id not in ("rnn", "dynamics", "training") for c in e.checks]
    assert others and {c.status for c in others} == {"skipped"}


def test_fd_joint_disagreement_that_no_single_array_shows_is_still_a_failure(monkeypatch):
    """matches_fd decides a pass on joint directions; if one disagrees but every array alone agrees (small
    errors adding up), the check fails with the joint numbers instead of passing silently."""
    from grader.checks import layers
    from grader.engine import grade
    from zoo_helpers import CORRECT

    joint = {"all inputs #1": {"numeric": 1.0, "analytic": 1.5, "rel_error": 1 / 3}}
    monkeypatch.setattr(layers, "_joint_probes", lambda *a, **k: (joint, False))
    c = check(grade(str(CORRECT), ["rnn"]), "rnn.rnn_step_backward.matches_fd")
    assert c.status == "failed" and c.score == 0
    assert c.message.startswith("rnn_step_backward(dnext_h, cache) with ")
    assert ("your gradients disagree with finite differences of your own rnn_step_forward along a random direction "
            "through all inputs at once: your gradients give 1.5, the numerical derivative 1 (relative error 0.333"
            in c.message)
    assert "although each array on its own is within the tolerance" in c.message
    assert set(c.metrics["probes"]) == {"all inputs #1", "dx", "dprev_h", "dWx", "dWh", "db"}
    assert c.hint
