"""The dynamics checks against correct code and the bug zoo: each verdict and each message."""

import math

import pytest

from zoo_helpers import check

RNN_DECAY = ["decay_alpha_0_5", "decay_alpha_1_0", "decay_alpha_1_5", "decay_alpha_3_0"]
DECAY = ([f"dynamics.rnn_backward.{n}" for n in RNN_DECAY]
         + [f"dynamics.lstm_backward.forget_bias_{b}" for b in (0, 1, 3)] + ["dynamics.gru_backward.decay_default_init"])
REQUIRED = ("decay_rate", "reference_decay_rate", "rho", "half_life")


@pytest.mark.parametrize("path", ["examples/correct/rnn_layers.py", "tests/zoo/alt_style_correct.py"])
def test_correct_code_matches_the_reference_rates(dyn, path):
    result = dyn(path=path)
    assert [c.id for c in result.checks if c.status != "passed"] == []
    assert result.score == result.max_score == 16
    for cid in DECAY:
        m = check(result, cid).metrics
        assert set(REQUIRED) <= set(m)
        assert abs(m["decay_rate"] - m["reference_decay_rate"]) < 1e-9, cid
        assert m["rho"] == pytest.approx(math.exp(m["decay_rate"]))
        assert m["half_life"] == pytest.approx(math.log(2) / abs(m["decay_rate"]))
    for n in RNN_DECAY:
        m = check(result, f"dynamics.rnn_backward.{n}").metrics
        assert m["bound"] == pytest.approx(math.log(float(n[-3:].replace("_", "."))))
        assert m["decay_rate"] <= m["bound"] + 0.02  # Pascanu: b cannot exceed ln sigma_max


@pytest.mark.parametrize("seed", [1, 77, 987654])
def test_a_differently_rounding_correct_file_passes_the_chaotic_regime(seed):
    """At alpha = 3 the tanh RNN is chaotic: two correct implementations follow different trajectories after
    ~100 steps. The reference's backward therefore runs along the student's own hidden states."""
    from grader.engine import grade
    from zoo_helpers import ROOT

    r = grade(str(ROOT / "tests" / "zoo" / "alt_style_correct.py"), ["dynamics"], seed=seed)
    c = check(r, "dynamics.rnn_backward.decay_alpha_3_0")
    assert c.status == "passed" and c.metrics["rate_difference"] < 1e-9
    assert c.metrics["reference_along"] == "your hidden states" and c.metrics["max_log10_gap"] < 1e-9


def test_correct_rates_show_the_expected_regimes(dyn):
    result = dyn(path="examples/correct/rnn_layers.py")
    b = {cid.split(".")[-1]: check(result, cid).metrics["decay_rate"] for cid in DECAY}
    assert b["decay_alpha_0_5"] < b["decay_alpha_1_0"] < b["decay_alpha_1_5"] < 0 < b["decay_alpha_3_0"]
    assert b["forget_bias_0"] < b["forget_bias_1"] < b["forget_bias_3"] and abs(b["forget_bias_3"]) < 0.02
    assert b["decay_default_init"] < -0.2
    text = check(result, "dynamics.rnn_backward.decay_alpha_0_5").message
    assert ("the largest singular value of W_h is 0.5 < 1, so b cannot exceed ln 0.5 = -0.693: vanishing is "
            "guaranteed (Pascanu et al. 2013)") in text
    assert "your gradient norm decays at b = -0.9247 per step (rho = 0.3966, half-life 0.75 steps); " in text
    assert "the reference's at b = -0.9247 on the same inputs (difference 0, tolerance 0.02)" in text
    assert "is 3 >= 1, so the bound b <= 1.099 does not force vanishing" in check(
        result, "dynamics.rnn_backward.decay_alpha_3_0").message
    assert "doubling time 2.8 steps" in check(result, "dynamics.rnn_backward.decay_alpha_3_0").message
    assert "the cell path alone decays at mean ln f = -0.058 per step" in check(
        result, "dynamics.lstm_backward.forget_bias_3").message
    assert "alone decays at mean ln z = " in check(result, "dynamics.gru_backward.decay_default_init").message


def test_closed_form_alpha_to_the_T_is_exact(dyn):
    c = check(dyn(path="examples/correct/rnn_layers.py"), "dynamics.rnn_backward.closed_form_alpha_pow_t")
    assert c.status == "passed" and c.metrics["log_error"] < 1e-12
    assert c.metrics["decay_rate"] == pytest.approx(math.log(0.9), abs=1e-13)
    assert "||dL/dh0|| = 7.05507910" in c.message and "exactly 0.9^200 = 7.05508e-10" in c.message


def test_closed_form_at_T_1000_with_thorough():
    import dataclasses

    from grader.engine import grade
    from grader.exercises import load_exercises
    from zoo_helpers import CORRECT

    rnn_only = dataclasses.replace(load_exercises()["dynamics"], functions=("rnn_backward",))
    result = grade(str(CORRECT), ["dynamics"], exercises={"dynamics": rnn_only}, thorough=True)
    assert all(c.status == "passed" for c in result.checks)
    c = check(result, "dynamics.rnn_backward.closed_form_alpha_pow_t")
    assert c.status == "passed" and c.metrics["T"] == 1000 and c.metrics["log_error"] < 1e-11
    assert check(result, "dynamics.rnn_backward.decay_alpha_0_5").metrics["T"] == 1000


def test_no_carry_shows_the_cliff_and_says_so(dyn):
    result = dyn("no_bptt_carry_rnn")
    for n in RNN_DECAY:
        c = check(result, f"dynamics.rnn_backward.{n}")
        assert c.status == "failed" and c.metrics["stops_after_lag"] == 0 and c.metrics["decay_rate"] is None
        assert ("your gradient stops after lag 0 (a cliff): dx[:, t] is exactly zero for every step before the last "
                "(t < 199), while the reference's decays at b = ") in c.message
        assert c.message.endswith("No gradient is carried from one step to the next.")
        assert "PLUS the dprev_h sent back by step t+1" in c.hint
        assert c.metrics["curve"]["yours"][0] is not None and c.metrics["curve"]["yours"][1] is None
    closed = check(result, "dynamics.rnn_backward.closed_form_alpha_pow_t")
    assert closed.status == "failed" and "dh0 is all zeros, expected ||dh0|| = 0.9^200 = 7.05508e-10" in closed.message
    lstm = dyn("no_bptt_carry_lstm")
    for b in (0, 1, 3):
        c = check(lstm, f"dynamics.lstm_backward.forget_bias_{b}")
        assert c.status == "failed" and "(a cliff)" in c.message and "Carry BOTH dprev_h and dprev_c" in c.hint


def test_a_gradient_cut_off_after_some_lags(dyn):
    c = check(dyn("bptt_window_5"), "dynamics.rnn_backward.decay_alpha_1_0")
    assert c.status == "failed" and c.metrics["stops_after_lag"] == 4
    assert ("your gradient stops after lag 4: dx[:, t] is exactly zero from lag 5 on (t < 195), while the reference's "
            "decays at b = ") in c.message and c.message.endswith("The gradient is carried only part of the way back.")
    closed = check(dyn("bptt_window_5"), "dynamics.rnn_backward.closed_form_alpha_pow_t")
    assert "That is 0.9^5: your backward applies W_h^T 5 times instead of 200." in closed.message


def test_dx_never_filled(dyn):
    c = check(dyn("dx_never_filled"), "dynamics.rnn_backward.decay_alpha_0_5")
    assert c.status == "failed"
    assert "your dx is exactly zero at 200 of the 200 lags 0 to 199, so no decay rate can be fitted" in c.message
    assert c.message.endswith("Fill dx[:, t] = da @ Wx.T at every step.")


def test_rate_differs_because_the_forward_differs(dyn):
    c = check(dyn("rnn_forward_sigmoid"), "dynamics.rnn_backward.decay_alpha_0_5")
    assert c.status == "failed" and c.metrics["forward_rel_error"] > 1
    assert ("Your rnn_forward already differs from the reference on this sequence (h over the first 20 steps: relative "
            "error 1.21), so the two runs do not compute the same thing: fix rnn_forward first.") in c.message


def test_rate_above_the_pascanu_bound(dyn):
    c = check(dyn("dprev_h_accumulates"), "dynamics.rnn_backward.decay_alpha_0_5")
    assert c.status == "failed" and c.metrics["decay_rate"] > c.metrics["bound"]
    assert ("Your rate is above the bound ln sigma_max(W_h) = -0.693, which no correct backward can exceed: the "
            "gradient you pass back from step t+1 to step t is amplified somewhere.") in c.message
    closed = check(dyn("dprev_h_accumulates"), "dynamics.rnn_backward.closed_form_alpha_pow_t")
    assert "||dh0|| is 3.23547926e+54, expected exactly 0.9^200" in closed.message and "That is" not in closed.message


def test_rate_differs_and_the_curves_part(dyn):
    c = check(dyn("wrong_activation_derivative_sequence"), "dynamics.rnn_backward.decay_alpha_1_0")
    assert c.status == "failed"
    assert "(difference 0.0704, tolerance 0.02). The curves part at lag 0 (t = 199): your mean ||dx[n, t]||" in c.message


def test_rate_agrees_but_the_size_is_wrong(dyn):
    c = check(dyn("dx_divided_by_batch"), "dynamics.rnn_backward.decay_alpha_0_5")
    assert c.status == "passed"
    assert c.message.endswith("The rate agrees, but your norms differ from the reference's by up to a factor 16 at "
                              "some lag: the gradient checks show where.")


def test_non_finite_backward_is_reported_with_the_lag(dyn):
    c = check(dyn("backward_skips_step_0"), "dynamics.rnn_backward.decay_alpha_0_5")
    assert c.status == "failed" and c.call.startswith("rnn_backward(dh, cache) with N=16, T=200")
    assert c.message.endswith("dx becomes NaN at lag 199 back from the last step (t=0; 512 non-finite entries in all)")
    assert "never written" in c.hint


def test_non_finite_forward_is_reported_with_the_step(dyn):
    result = dyn("forward_skips_step_0")
    c = check(result, "dynamics.rnn_backward.decay_alpha_0_5")
    assert c.status == "failed" and c.call.startswith("rnn_forward(x, h0, Wx, Wh, b) with N=16, T=200")
    assert c.message.endswith("h becomes NaN at step t=0 of 200 (first at h[0, 0, 0]; 512 non-finite entries in all)")
    finite = check(result, "dynamics.rnn_forward.finite_large_inputs")
    assert finite.status == "failed" and finite.metrics["first_nonfinite_step"] == 0
    assert "far from overflowing, so look for a step that is never computed." in finite.message


def test_overflowing_hand_written_tanh_is_caught_with_the_step(dyn):
    c = check(dyn("unstable_tanh_sequence"), "dynamics.rnn_forward.finite_large_inputs")
    assert c.status == "failed" and c.metrics["first_nonfinite_step"] == 150
    assert c.message.startswith("rnn_forward(x, h0, Wx, Wh, b) with N=16, T=200, D=32, H=32, inputs growing from 1 to "
                                "10^3 times the usual size along the sequence: h becomes NaN at step t=150 of 200")
    assert ("the largest |pre-activation| x_t Wx + h_(t-1) Wh + b at that step is 360.1 (np.exp overflows above 709, "
            "so exp(2a) above a = 354); numpy warned: RuntimeWarning: overflow encountered in exp.") in c.message
    assert "use np.tanh" in c.hint
    # the usual regimes never reach such pre-activations: the same code passes them
    assert check(dyn("unstable_tanh_sequence"), "dynamics.rnn_backward.decay_alpha_3_0").status == "passed"


def test_finite_but_warning_sigmoid_passes_with_a_note(dyn):
    result = dyn("naive_sigmoid")
    for arch in ("lstm", "gru"):
        c = check(result, f"dynamics.{arch}_forward.finite_large_inputs")
        assert c.status == "passed"
        assert c.message.endswith("numpy warned: RuntimeWarning: overflow encountered in exp (harmless here, but a "
                                  "sign of an unstable formula).")
    ok = check(dyn(path="examples/correct/rnn_layers.py"), "dynamics.lstm_forward.finite_large_inputs")
    assert ok.message.startswith("lstm_forward stays finite with pre-activations up to ") and "warned" not in ok.message


def test_clip_norm_in_action(dyn):
    c = check(dyn(path="examples/correct/rnn_layers.py"), "dynamics.clip_grad_norm.exploding_alpha_3")
    curve = c.metrics["clip_curve"]
    assert all(a == pytest.approx(min(b, 5.0), rel=1e-12) for a, b in zip(curve["after"], curve["before"]))
    assert min(curve["cosine"]) > 1 - 1e-12 and curve["before"][-1] > 1e20
    assert c.metrics["unclipped_growth_rate"] > 0.2 and abs(c.metrics["decay_rate"]) < 1e-9
    assert set(REQUIRED) <= set(c.metrics)
    assert "after your clip_grad_norm(max_norm=5) it stays at the threshold at every length above it" in c.message


@pytest.mark.parametrize("bug, text", [
    ("clip_per_tensor", "the gradient's norm is 18.5031 before clipping and 5.71654 after your clip_grad_norm, "
                        "expected 5 (the threshold)."),
    ("clip_equal_share", "your clipping changes the gradient's direction: the cosine similarity of the clipped and the "
                         "unclipped gradient is 0.80503, expected 1"),
    ("clip_norm_returns_clipped_total", "total_norm came back as 5, expected the global norm before clipping, 18.5031."),
])
def test_clip_norm_failures(dyn, bug, text):
    c = check(dyn(bug), "dynamics.clip_grad_norm.exploding_alpha_3")
    assert c.status == "failed" and text in c.message and "ONE norm over all arrays" in c.hint
    assert c.message.startswith("clip_grad_norm(grads, max_norm) with the reference's gradients dWx[32, 32], "
                                "dWh[32, 32], db[32] of a tanh RNN with W_h = 3·Q, loss on step 0 (sequence length 1)")


def test_clip_value_turns_the_direction(dyn):
    c = check(dyn(path="examples/correct/rnn_layers.py"), "dynamics.clip_grad_value.direction_alpha_3")
    cos = c.metrics["clip_curve"]["cosine"]
    assert c.status == "passed" and cos[0] > 0.95 and cos[-1] < 0.8 and cos == c.metrics["clip_curve"]["reference_cosine"]
    assert "clipping every entry to [-1, 1] turns the gradient more and more as it explodes" in c.message
    bad = check(dyn("clip_value_one_sided"), "dynamics.clip_grad_value.direction_alpha_3")
    assert bad.status == "failed" and "dWx differs from the expected values: relative error 0.11" in bad.message
    assert "np.clip(g, -clip_value, clip_value)" in bad.hint


def test_missing_architectures_are_skipped_as_not_attempted(dyn):
    result = dyn(path="examples/bptt_bug/rnn_layers.py")
    c = check(result, "dynamics.lstm_backward.forget_bias_1")
    assert c.status == "skipped" and c.message == (
        "lstm_forward is not defined in your file: not attempted (this check needs lstm_forward and lstm_backward)")
    assert check(result, "dynamics.clip_grad_norm.exploding_alpha_3").status == "skipped"
    starter = dyn(path="exercises/rnn_layers.py")
    assert {c.status for c in starter.checks} == {"skipped"}
    assert check(starter, "dynamics.rnn_backward.decay_alpha_0_5").message == (
        "rnn_forward raises NotImplementedError: not attempted yet (this check needs rnn_forward and rnn_backward)")
    assert check(dyn("returns_none"), "dynamics.lstm_backward.forget_bias_0").message == (
        "lstm_forward returned None: not attempted yet (this check needs lstm_forward and lstm_backward)")
