"""The reference agrees with live PyTorch float64 (modules and autograd). Skipped without torch."""

import functools
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

import _ref_cases as rc  # noqa: E402
import _ref_torch as oracle  # noqa: E402
import reference as R  # noqa: E402

TOL = 1e-12
SEEDS = [11, 12]  # fresh inputs, not the fixture's


@functools.cache
def both(case, seed):
    c = rc.make_inputs(case, seed)
    return rc.run_reference(case, c), oracle.run_torch(case, c)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("case,key", [(c, k) for c in rc.CASES for k in rc.output_keys(c)])
def test_matches_torch(case, key, seed):
    ours, theirs = both(case, seed)
    rc.assert_close(ours[key], theirs[key], TOL, f"{case} {key}")


@functools.cache
def tbptt_both(truncate, seed):
    c = rc.make_inputs("rnn", seed)
    _, cache = R.rnn_forward(c["x"], c["h0"], c["Wx"], c["Wh"], c["b"])
    ours = dict(zip(["dx", "dh0", "dWx", "dWh", "db"], R.rnn_backward_truncated(c["dh"], cache, truncate)))
    return ours, oracle.torch_rnn_truncated(c, truncate)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("truncate", rc.TRUNCATES)
@pytest.mark.parametrize("key", ["dx", "dh0", "dWx", "dWh", "db"])
def test_tbptt_matches_detached_torch_objective(key, truncate, seed):
    ours, theirs = tbptt_both(truncate, seed)
    rc.assert_close(ours[key], theirs[key], TOL, f"truncate={truncate} {key}")


@pytest.mark.parametrize("max_norm", [0.3, 1.0, 100.0])
def test_clip_grad_norm_total_matches_torch(max_norm):
    grads = rc.make_clip_grads(seed=7)
    assert R.clip_grad_norm(grads, max_norm)[1] == pytest.approx(oracle.torch_clip_grad_norm(grads, max_norm)[1],
                                                                 rel=1e-12)


@pytest.mark.parametrize("max_norm", [0.3, 1.0, 100.0])
def test_clip_grad_norm_matches_torch(max_norm):
    # torch scales by max_norm / (total_norm + 1e-6): equal up to ~1e-7 relative here
    grads = rc.make_clip_grads(seed=7)
    ours, theirs = R.clip_grad_norm(grads, max_norm)[0], oracle.torch_clip_grad_norm(grads, max_norm)[0]
    assert all(rc.norm_rel_error(ours[k], theirs[k]) < 1e-6 for k in grads)


@pytest.mark.parametrize("clip_value", [0.1, 0.5, 10.0])
def test_clip_grad_value_matches_torch(clip_value):
    grads = rc.make_clip_grads(seed=7)
    ours, theirs = R.clip_grad_value(grads, clip_value), oracle.torch_clip_grad_value(grads, clip_value)
    assert all(np.array_equal(ours[k], theirs[k]) for k in grads)


def test_fixture_file_is_what_the_script_writes_now():
    with np.load(pathlib.Path(__file__).parent / "fixtures" / "torch_golden.npz") as f:
        stored = {k: f[k] for k in f.files if k != "torch_version"}
    fresh = oracle.build_golden()
    assert sorted(stored) == sorted(fresh)
    stale = [k for k in fresh if rc.norm_rel_error(stored[k], fresh[k]) > 1e-12]
    assert not stale, f"regenerate with python tests/oracle/make_torch_fixtures.py: {stale[:5]}"
