"""The numbers behind the dynamics checks: log norms without under/overflow, the fit, the closed form."""

import math

import numpy as np
import pytest

import reference as R
from grader.checks import decay
from grader.checks.clip_dynamics import _dict_problem, as_float, lengths
from grader.render.figures import sci, sci_log10


def test_log_norms_survive_values_float64_cannot_square():
    a = np.array([[3e-200, 4e-200], [3e200, 4e200], [0.0, 0.0]])
    ln = decay.log_norms(a)
    assert ln[0] == pytest.approx(math.log(5e-200), rel=1e-14)
    assert ln[1] == pytest.approx(math.log(5e200), rel=1e-14)
    assert ln[2] == -np.inf


def test_mean_norm_per_lag_puts_the_last_step_at_lag_zero_and_averages_over_the_batch():
    dx = np.zeros((2, 3, 2))
    dx[:, 2] = [[3.0, 4.0], [0.0, 1.0]]  # norms 5 and 1 at the last step
    dx[0, 0] = [1e-300, 0.0]  # one tiny entry at t = 0, the other sample zero there
    logs = decay.log_mean_norm_per_lag(dx)
    assert logs[0] == pytest.approx(math.log(3.0))
    assert logs[1] == -np.inf
    assert logs[2] == pytest.approx(math.log(0.5e-300), rel=1e-12)


def test_fit_recovers_an_exact_geometric_decay_and_skips_zeros():
    k = np.arange(300)
    logs = 2.0 - 0.7 * k  # reaches ln a = -207: a = 1e-90
    fit = decay.fit_rate(logs, 5, 299)
    assert fit.b == pytest.approx(-0.7, abs=1e-12) and fit.rho == pytest.approx(math.exp(-0.7))
    assert fit.half_life == pytest.approx(math.log(2) / 0.7)
    logs[50] = -np.inf
    assert decay.fit_rate(logs, 5, 299).b == pytest.approx(-0.7, abs=1e-12)
    assert decay.fit_rate(np.full(10, -np.inf), 0, 9).b is None
    assert decay.Fit(0.3).half_life == pytest.approx(math.log(2) / 0.3)  # a doubling time when b > 0


def test_fit_window_stops_where_the_reference_underflows():
    logs = -1.0 * np.arange(1000)  # ln a = -k: below 1e-280 (ln = -644.7) from k = 645 on
    assert decay.fit_window(logs) == (decay.SKIP, 644)


def test_first_nonfinite_step_reports_step_index_and_kind():
    a = np.zeros((2, 5, 3))
    a[1, 3, 2] = np.nan
    a[0, 4, 0] = np.inf
    nf = decay.first_nonfinite_step(a)
    assert (nf.t, nf.index, nf.count, nf.kinds) == (3, (1, 3, 2), 2, ["NaN", "inf"])
    assert decay.first_nonfinite_step(np.zeros((2, 5))) is None


def test_array_and_values_problems_say_what_is_wrong():
    assert decay.array_problem("h", [1, 2], (2,)) == "h came back as list, expected a numpy array of shape (2,)"
    assert decay.array_problem("h", np.array(["a"]), (1,)) == "h came back with dtype <U1, expected float64"
    assert decay.array_problem("db", np.zeros((1, 4)), (4,)) == "db has shape (1, 4), expected (4,)"
    assert decay.array_problem("dx", np.array([0.0, np.nan]), (2,)) == (
        "dx contains 1 NaN or inf value(s), the first at index [1]")
    assert decay.array_problem("dx", np.array([0.0, np.nan]), (2,), finite=False) == ""
    msg = decay.values_problem("dWx", np.array([[1.0, -2.0]]), np.array([[1.0, -1.0]]), 1e-8)
    assert msg == ("dWx differs from the expected values: relative error 0.447 (tolerance 1e-08); largest difference "
                   "at dWx[0, 1]: yours -2, expected -1")
    assert decay.values_problem("dWx", np.ones(2), np.ones(2), 1e-8) == ""


def test_clipping_helpers():
    grads = {"dWx": np.ones((2, 2)), "dWh": np.ones((2, 2)), "db": np.ones(2)}
    assert _dict_problem([1], grads) == "returned a list, expected a dict with keys ['dWh', 'dWx', 'db']"
    assert _dict_problem({"dWx": grads["dWx"]}, grads) == (
        "returned keys ['dWx'], expected ['dWh', 'dWx', 'db'] (keep every key of the input)")
    assert _dict_problem(dict(grads, db=np.ones(3)), grads) == "db has shape (3,), expected (2,)"
    assert _dict_problem(grads, grads) == ""
    assert (as_float(np.array([2.5])), as_float(3), as_float(True), as_float("x")) == (2.5, 3.0, None, None)
    assert lengths(200) == [1, 25, 50, 75, 100, 125, 150, 175, 200]
    assert lengths(1000)[-1] == 600  # capped: the norm's square must stay a float64


def test_global_norm_and_cosine_do_not_overflow():
    big = {"a": np.full(3, 1e200), "b": np.full(4, -1e200)}
    assert decay.global_norm(big.values()) == pytest.approx(math.sqrt(7) * 1e200)
    assert decay.cosine(big, big, ["a", "b"]) == pytest.approx(1.0)
    assert math.isnan(decay.cosine(big, {"a": np.zeros(3), "b": np.zeros(4)}, ["a", "b"]))


def test_numbers_in_tables_are_written_out_without_computing_them():
    assert sci_log10(-377.2) == "6.31e-378"
    assert sci_log10(0.0) == "1" and sci_log10(None) == "0" and sci_log10(2.0) == "100"
    assert sci_log10(23.9999999) == "1e+24"
    assert sci(None) == "—" and sci(float("nan")) == "—" and sci(0.0) == "0" and sci(1.19e24) == "1.19e+24"


@pytest.mark.parametrize("T", [200, 1000])
def test_closed_form_alpha_to_the_T_holds_to_rounding(T):
    """Zero inputs, h0 = 0, b = 0: every tanh' is 1, so ||dL/dh0|| = alpha^T for a unit upstream vector."""
    rng = np.random.default_rng(T)
    H, D, alpha = 32, 8, 0.9
    Wh = alpha * decay.orthogonal(rng, H)
    _, cache = R.rnn_forward(np.zeros((1, T, D)), np.zeros((1, H)), rng.standard_normal((D, H)), Wh, np.zeros(H))
    dh = decay.last_step_upstream(rng, (1, T, H))
    dh0 = R.rnn_backward(dh, cache)[1]
    assert abs(float(decay.log_norms(dh0)[0]) - T * math.log(alpha)) < 1e-12


def test_regimes_set_the_knob_they_name():
    rng = np.random.default_rng(0)
    rnn = decay.regime_inputs(rng, decay.Regime("r", "rnn", "alpha", 1.5), 10)
    assert np.linalg.norm(rnn["Wh"], 2) == pytest.approx(1.5)
    assert np.allclose(np.linalg.svd(rnn["Wh"], compute_uv=False), 1.5)
    lstm = decay.regime_inputs(rng, decay.Regime("l", "lstm", "forget_bias", 3.0), 10)
    H = decay.DIMS["H"]
    assert np.all(lstm["b"][H:2 * H] == 3.0) and np.all(np.abs(lstm["b"][:H]) <= 1 / math.sqrt(H))
    dh = decay.last_step_upstream(rng, (4, 10, H))
    assert np.allclose(np.linalg.norm(dh[:, -1], axis=1), 1.0) and not dh[:, :-1].any()
