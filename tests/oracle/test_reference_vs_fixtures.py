"""The reference agrees with PyTorch float64 results stored in fixtures/torch_golden.npz.

No torch needed. Regenerate with: python tests/oracle/make_torch_fixtures.py
"""

import functools
import pathlib

import numpy as np
import pytest

import _ref_cases as rc
import reference as R

GOLDEN = pathlib.Path(__file__).parent / "fixtures" / "torch_golden.npz"
TOL = 1e-12  # same math in float64: differences are rounding only


@functools.cache
def golden():
    with np.load(GOLDEN) as f:
        return {k: f[k] for k in f.files}


def section(prefix):
    g = golden()
    return {k[len(prefix):]: v for k, v in g.items() if k.startswith(prefix)}


@functools.cache
def reference_outputs(case):
    return rc.run_reference(case, section(f"{case}.in."))


@functools.cache
def reference_tbptt(truncate):
    c = section("tbptt.in.")
    _, cache = R.rnn_forward(c["x"], c["h0"], c["Wx"], c["Wh"], c["b"])
    return dict(zip(["dx", "dh0", "dWx", "dWh", "db"], R.rnn_backward_truncated(c["dh"], cache, truncate)))


def test_fixture_file_is_small():
    assert GOLDEN.stat().st_size < 200_000


@pytest.mark.parametrize("case,key", [(c, k) for c in rc.CASES for k in rc.output_keys(c)])
def test_matches_torch_fixture(case, key):
    rc.assert_close(reference_outputs(case)[key], golden()[f"{case}.out.{key}"], TOL, f"{case} {key}")


@pytest.mark.parametrize("truncate", rc.TRUNCATES)
@pytest.mark.parametrize("key", ["dx", "dh0", "dWx", "dWh", "db"])
def test_tbptt_matches_torch_fixture(truncate, key):
    rc.assert_close(reference_tbptt(truncate)[key], golden()[f"tbptt.out{truncate}.{key}"], TOL, key)


@pytest.mark.parametrize("label", sorted(rc.CLIP_MAX_NORMS))
def test_clip_grad_norm_total_matches_torch_fixture(label):
    _, total = R.clip_grad_norm(section("clip.in."), rc.CLIP_MAX_NORMS[label])
    assert total == pytest.approx(float(golden()[f"clip.norm_{label}.total_norm"]), rel=1e-12)


@pytest.mark.parametrize("label", sorted(rc.CLIP_MAX_NORMS))
def test_clip_grad_norm_matches_torch_fixture(label):
    # torch divides by total_norm + 1e-6, hence the looser tolerance when it clips
    clipped, _ = R.clip_grad_norm(section("clip.in."), rc.CLIP_MAX_NORMS[label])
    expected = section(f"clip.norm_{label}.")
    for k, v in clipped.items():
        rc.assert_close(v, expected[k], 1e-6, k)


def test_clip_grad_value_matches_torch_fixture():
    clipped = R.clip_grad_value(section("clip.in."), rc.CLIP_VALUE)
    expected = section("clip.value.")
    assert all(np.array_equal(v, expected[k]) for k, v in clipped.items())
