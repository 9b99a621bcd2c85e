"""The reference package's surface: exports, purity, no input mutation, GRU conventions."""

import ast
import pathlib
import sys

import numpy as np
import pytest

import _ref_cases as rc
import reference as R

PACKAGE = pathlib.Path(R.__file__).parent
FORWARDS = [R.rnn_forward, R.lstm_forward, R.gru_forward, R.gru_reset_after_forward, R.gru_update_on_candidate_forward]


def test_all_names_are_exported():
    assert all(hasattr(R, name) for name in R.__all__)


def test_all_exports_are_functions_except_gru_variants():
    assert all(callable(getattr(R, n)) for n in R.__all__ if n != "GRU_VARIANTS")


def test_gru_variants_keys():
    assert list(R.GRU_VARIANTS) == ["course", "reset_after", "update_on_candidate"]


@pytest.mark.parametrize("variant", ["course", "reset_after", "update_on_candidate"])
def test_gru_variant_has_the_four_functions(variant):
    v = R.GRU_VARIANTS[variant]
    assert all(callable(getattr(v, f)) for f in ("step_forward", "step_backward", "forward", "backward"))


def test_course_variant_is_the_plain_gru_api():
    v = R.GRU_VARIANTS["course"]
    assert (v.step_forward, v.step_backward, v.forward, v.backward) == (
        R.gru_step_forward, R.gru_step_backward, R.gru_forward, R.gru_backward)


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_imports_only_numpy_and_the_standard_library(path):
    tops = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            tops |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            tops.add(node.module.split(".")[0])
    assert tops <= set(sys.stdlib_module_names) | {"numpy"}, tops


def read_only(c):
    c = {k: v.copy() for k, v in c.items()}
    for v in c.values():
        v.setflags(write=False)  # any in-place write raises
    return c


@pytest.mark.parametrize("case", rc.CASES)
def test_forward_and_backward_do_not_modify_inputs(case):
    c = rc.make_inputs(case, seed=4)
    rc.run_reference(case, read_only(c))  # would raise on a write


def test_truncated_backward_does_not_modify_dh():
    c = read_only(rc.make_inputs("rnn", seed=4))
    _, cache = R.rnn_forward(c["x"], c["h0"], c["Wx"], c["Wh"], c["b"])
    R.rnn_backward_truncated(c["dh"], cache, 2)


@pytest.mark.parametrize("case", rc.CASES)
def test_outputs_are_float64(case):
    out = rc.run_reference(case, rc.make_inputs(case, seed=4))
    assert {v.dtype for v in out.values()} == {np.dtype(np.float64)}


@pytest.mark.parametrize("forward", FORWARDS, ids=lambda f: f.__name__)
def test_batch_rows_are_independent(forward):
    case = "lstm" if forward is R.lstm_forward else "rnn" if forward is R.rnn_forward else "gru_course"
    c = rc.make_inputs(case, seed=8)
    args = (c["Wx"], c["Wh"], c["b"])
    whole = forward(c["x"], c["h0"], *args)[0]
    rows = [forward(c["x"][n:n + 1], c["h0"][n:n + 1], *args)[0] for n in range(len(c["x"]))]
    np.testing.assert_allclose(whole, np.concatenate(rows), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("forward", FORWARDS, ids=lambda f: f.__name__)
def test_sequence_forward_rejects_empty_sequence(forward):
    G = 4 if forward is R.lstm_forward else 3
    with pytest.raises(ValueError, match=r"^Expected x of shape \(N, T, D\) with T >= 1 but got x.shape=\(2, 0, 3\)"):
        forward(np.zeros((2, 0, 3)), np.zeros((2, 4)), np.zeros((3, G * 4)), np.zeros((4, G * 4)), np.zeros(G * 4))


def negate_update_gate(c):
    """Flip the sign of the z-block pre-activation, so z becomes 1 - z."""
    H = c["h0"].shape[1]
    c = dict(c)
    for k in ("Wx", "Wh", "b"):
        c[k] = c[k].copy()
        c[k][..., H:2 * H] *= -1
    return c


@pytest.mark.parametrize("key", ["h", "dx", "dh0"])
def test_update_on_candidate_is_course_with_z_replaced_by_one_minus_z(key):
    c = rc.make_inputs("gru_update_on_candidate", seed=9)
    theirs = rc.run_reference("gru_course", negate_update_gate(c))
    rc.assert_close(rc.run_reference("gru_update_on_candidate", c)[key], theirs[key], 1e-13, key)


@pytest.mark.parametrize("key", ["h", "dx", "dh0", "dWx", "db"])
def test_reset_after_equals_course_when_Wh_n_is_diagonal(key):
    # (r * h) @ diag(w) == r * (h @ diag(w)): the two reset placements coincide
    c = rc.make_inputs("gru_course", seed=10)
    H = c["h0"].shape[1]
    c["Wh"] = c["Wh"].copy()
    c["Wh"][:, 2 * H:] = np.diag(np.diag(c["Wh"][:, 2 * H:]))
    rc.assert_close(rc.run_reference("gru_reset_after_nobhn", c)[key], rc.run_reference("gru_course", c)[key],
                    1e-13, key)


@pytest.mark.parametrize("which", ["step", "sequence"])
def test_reset_after_backward_returns_db_hn_when_b_hn_is_given(which):
    c = rc.make_inputs("gru_reset_after", seed=2)
    v = R.GRU_VARIANTS["reset_after"]
    if which == "step":
        grads = v.step_backward(c["dh"][:, 0], v.step_forward(c["x"][:, 0], c["h0"], c["Wx"], c["Wh"], c["b"],
                                                               b_hn=c["b_hn"])[1])
    else:
        grads = v.backward(c["dh"], v.forward(c["x"], c["h0"], c["Wx"], c["Wh"], c["b"], c["b_hn"])[1])
    assert len(grads) == 6 and grads[5].shape == c["b_hn"].shape


@pytest.mark.parametrize("which", ["step", "sequence"])
def test_reset_after_backward_returns_five_gradients_without_b_hn(which):
    c = rc.make_inputs("gru_reset_after_nobhn", seed=2)
    v = R.GRU_VARIANTS["reset_after"]
    if which == "step":
        grads = v.step_backward(c["dh"][:, 0], v.step_forward(c["x"][:, 0], c["h0"], c["Wx"], c["Wh"], c["b"])[1])
    else:
        grads = v.backward(c["dh"], v.forward(c["x"], c["h0"], c["Wx"], c["Wh"], c["b"])[1])
    assert len(grads) == 5


def test_reset_after_b_hn_none_equals_zero_b_hn():
    c = rc.make_inputs("gru_reset_after_nobhn", seed=2)
    v = R.GRU_VARIANTS["reset_after"]
    args = (c["x"], c["h0"], c["Wx"], c["Wh"], c["b"])
    assert np.array_equal(v.forward(*args)[0], v.forward(*args, b_hn=np.zeros(c["h0"].shape[1]))[0])


def test_reset_after_rejects_b_hn_of_wrong_shape():
    c = rc.make_inputs("gru_reset_after_nobhn", seed=2)
    with pytest.raises(ValueError, match=r"^Expected b_hn of shape \(H,\) or None but got b_hn.shape=\(12,\)"):
        R.gru_reset_after_step_forward(c["x"][:, 0], c["h0"], c["Wx"], c["Wh"], c["b"], c["b"])
