"""rnn_backward_truncated: limits, finite differences of the frozen-anchor objective, arguments."""

import numpy as np
import pytest

import _ref_cases as rc
import reference as R

KEYS = ["dx", "dh0", "dWx", "dWh", "db"]


def setup(seed=5):
    c = rc.make_inputs("rnn", seed)
    _, cache = R.rnn_forward(c["x"], c["h0"], c["Wx"], c["Wh"], c["b"])
    return c, cache


@pytest.mark.parametrize("truncate", [5, 6, 1000])  # T = 5
def test_truncate_at_least_T_equals_full_bptt(truncate):
    c, cache = setup()
    for name, a, b in zip(KEYS, R.rnn_backward_truncated(c["dh"], cache, truncate), R.rnn_backward(c["dh"], cache)):
        rc.assert_close(a, b, 1e-13, name)


def test_truncate_zero_equals_step_backwards_without_carry():
    c, cache = setup()
    steps = [R.rnn_step_backward(c["dh"][:, t], cache[t]) for t in range(len(cache))]
    expected = [np.stack([s[0] for s in steps], axis=1), np.zeros_like(c["h0"]),
                sum(s[2] for s in steps), sum(s[3] for s in steps), sum(s[4] for s in steps)]
    for name, a, b in zip(KEYS, R.rnn_backward_truncated(c["dh"], cache, 0), expected):
        rc.assert_close(a, b, 1e-13, name)


def frozen_anchor_objective(c, base, truncate):
    """sum_t <dh_t, h_t>, each h_t recomputed from h_{t-truncate-1} taken from ``base`` (a constant)."""
    T = c["x"].shape[1]
    states = [base["h0"]] + list(np.moveaxis(R.rnn_forward(base["x"], base["h0"], base["Wx"], base["Wh"],
                                                           base["b"])[0], 1, 0))
    total = 0.0
    for t in range(T):
        first = t - truncate
        h = c["h0"] if first <= -1 else states[first]  # states[first] = h_{first-1}
        for s in range(max(first, 0), t + 1):
            h = R.rnn_step_forward(c["x"][:, s], h, c["Wx"], c["Wh"], c["b"])[0]
        total += np.sum(c["dh"][:, t] * h)
    return total


@pytest.mark.parametrize("truncate", [0, 1, 3])
@pytest.mark.parametrize("key", KEYS)
def test_matches_finite_differences_of_frozen_anchor_objective(key, truncate):
    c, cache = setup(seed=6)
    got = dict(zip(KEYS, R.rnn_backward_truncated(c["dh"], cache, truncate)))[key]
    numeric = rc.numerical_gradient(lambda p: frozen_anchor_objective(p, c, truncate), c, rc.input_of(key))
    rc.assert_close(got, numeric, 1e-8, f"truncate={truncate} {key}")


@pytest.mark.parametrize("truncate", range(6))
def test_dh0_is_full_bptt_of_the_losses_before_step_truncate(truncate):
    # h0 is step -1, so only the losses at t <= truncate - 1 reach it, each through every step
    c, cache = setup()
    early = np.where(np.arange(c["dh"].shape[1])[None, :, None] < truncate, c["dh"], 0.0)
    rc.assert_close(R.rnn_backward_truncated(c["dh"], cache, truncate)[1], R.rnn_backward(early, cache)[1],
                    1e-13, "dh0")


@pytest.mark.parametrize("truncate,error", [(-1, ValueError), (1.5, TypeError), (True, TypeError), ("3", TypeError)])
def test_rejects_invalid_truncate(truncate, error):
    c, cache = setup()
    with pytest.raises(error, match=r"^Expected a non-negative integer but got truncate="):
        R.rnn_backward_truncated(c["dh"], cache, truncate)


def test_invalid_truncate_message_names_value_and_type():
    c, cache = setup()
    with pytest.raises(ValueError) as info:
        R.rnn_backward_truncated(c["dh"], cache, -2)
    assert str(info.value) == "Expected a non-negative integer but got truncate=-2 (type=int)"


def test_accepts_numpy_integer_truncate():
    c, cache = setup()
    a, b = R.rnn_backward_truncated(c["dh"], cache, np.int64(2)), R.rnn_backward_truncated(c["dh"], cache, 2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
