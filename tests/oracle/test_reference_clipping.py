"""clip_grad_value / clip_grad_norm against their definitions (exercise-api.md, Pascanu et al. 2013)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import _ref_cases as rc
import reference as R


def grads():
    return rc.make_clip_grads(seed=1)


def direct_norm(g):
    return float(np.sqrt(sum(np.sum(v**2) for v in g.values())))


def test_clip_grad_value_is_elementwise_clip():
    g = grads()
    out = R.clip_grad_value(g, 0.5)
    assert all(np.array_equal(out[k], np.clip(g[k], -0.5, 0.5)) for k in g)


def test_clip_grad_value_keeps_keys_order_and_shapes():
    g = grads()
    out = R.clip_grad_value(g, 0.5)
    assert list(out) == list(g) and all(out[k].shape == g[k].shape for k in g)


def test_clip_grad_norm_reports_global_norm_before_clipping():
    g = grads()
    assert R.clip_grad_norm(g, 1.0)[1] == pytest.approx(direct_norm(g), rel=1e-14)


def test_clip_grad_norm_output_has_norm_max_norm_when_clipping():
    out, _ = R.clip_grad_norm(grads(), 1.0)
    assert direct_norm(out) == pytest.approx(1.0, rel=1e-14)


def test_clip_grad_norm_scales_every_array_by_one_factor():
    g = grads()
    out, total = R.clip_grad_norm(g, 1.0)
    assert all(np.allclose(out[k], g[k] * (1.0 / total), rtol=1e-15, atol=0) for k in g)


def test_clip_grad_norm_leaves_small_gradients_unchanged():
    g = grads()
    out, _ = R.clip_grad_norm(g, 1e3)
    assert all(np.array_equal(out[k], g[k]) for k in g)


def test_clip_grad_norm_at_exactly_max_norm_does_not_scale():
    g = {"a": np.array([3.0, 4.0])}
    out, total = R.clip_grad_norm(g, 5.0)
    assert total == 5.0 and np.array_equal(out["a"], g["a"])


def test_clip_grad_norm_just_above_max_norm_scales_to_max_norm():
    out, total = R.clip_grad_norm({"a": np.array([3.0, 4.0])}, 4.9)
    assert total == 5.0 and np.allclose(out["a"], [3.0 * 0.98, 4.0 * 0.98], rtol=1e-15, atol=0)


def test_clip_grad_norm_of_zero_gradient_is_zero_without_nan():
    out, total = R.clip_grad_norm({"a": np.zeros((2, 3)), "b": np.zeros(0)}, 1.0)
    assert total == 0.0 and np.array_equal(out["a"], np.zeros((2, 3))) and out["b"].shape == (0,)


def test_clip_grad_norm_of_empty_dict_is_empty_with_zero_norm():
    assert R.clip_grad_norm({}, 1.0) == ({}, 0.0)


def test_clip_grad_norm_does_not_overflow_on_huge_entries():
    out, total = R.clip_grad_norm({"a": np.array([3e200]), "b": np.array([4e200])}, 1.0)
    assert total == pytest.approx(5e200, rel=1e-15) and np.allclose([out["a"][0], out["b"][0]], [0.6, 0.8])


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_clip_grad_norm_reports_non_finite_norm_and_leaves_arrays_unscaled(bad):
    g = {"a": np.array([1.0, bad]), "b": np.array([3.0])}
    out, total = R.clip_grad_norm(g, 1.0)
    assert not np.isfinite(total) and np.array_equal(out["b"], g["b"]) and out["a"][0] == 1.0


@pytest.mark.parametrize("clip", [lambda g: R.clip_grad_value(g, 0.5), lambda g: R.clip_grad_norm(g, 1.0)[0]],
                         ids=["value", "norm"])
def test_does_not_modify_input(clip):
    g = {k: v.copy() for k, v in grads().items()}
    for v in g.values():
        v.setflags(write=False)  # any in-place write would raise
    clip(g)
    assert all(np.array_equal(g[k], v) for k, v in grads().items())


@pytest.mark.parametrize("clip", [lambda g: R.clip_grad_value(g, 1e9), lambda g: R.clip_grad_norm(g, 1e9)[0]],
                         ids=["value", "norm"])
def test_returns_fresh_arrays_even_when_nothing_is_clipped(clip):
    g = grads()
    out = clip(g)
    assert out is not g and not any(np.shares_memory(out[k], g[k]) for k in g)


@pytest.mark.parametrize("fn,name", [(R.clip_grad_value, "clip_value"), (R.clip_grad_norm, "max_norm")])
@pytest.mark.parametrize("bad,error", [(0.0, ValueError), (-1.0, ValueError), (np.nan, ValueError),
                                       ("1", TypeError), (True, TypeError), (None, TypeError)])
def test_rejects_non_positive_threshold(fn, name, bad, error):
    with pytest.raises(error, match=rf"^Expected a positive real number but got {name}="):
        fn(grads(), bad)


def test_threshold_error_message_names_value_and_type():
    with pytest.raises(ValueError) as info:
        R.clip_grad_norm(grads(), -2.5)
    assert str(info.value) == "Expected a positive real number but got max_norm=-2.5 (type=float)"


@pytest.mark.parametrize("fn", [R.clip_grad_value, R.clip_grad_norm])
def test_rejects_grads_that_are_not_a_mapping(fn):
    with pytest.raises(TypeError, match=r"^Expected a dict of name -> ndarray but got grads="):
        fn([np.ones(3)], 1.0)


finite_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=2, max_side=4),
                           elements=st.floats(-1e6, 1e6))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.dictionaries(st.text(min_size=1, max_size=3), finite_arrays, max_size=4),
       st.floats(1e-3, 1e3))
def test_clip_grad_norm_result_never_exceeds_max_norm_and_keeps_direction(g, max_norm):
    out, total = R.clip_grad_norm(g, max_norm)
    scale = min(1.0, max_norm / total) if total > 0 else 1.0
    assert direct_norm(out) <= max_norm * (1 + 1e-12) or total <= max_norm
    assert all(np.allclose(out[k], g[k] * scale, rtol=1e-12, atol=0) for k in g)
