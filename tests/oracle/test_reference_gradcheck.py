"""Every reference backward agrees with central finite differences (h = 1e-5) of its forward.

The loss is <dh, h> (+ <dc, c> for the LSTM step) with a random upstream dh, so the backward's
output is exactly its gradient. One test per (case, gradient).
"""

import functools

import pytest

import _ref_cases as rc

TOL = 1e-8  # norm-relative; observed ~1e-10 on these shapes


@functools.cache
def analytic(case):
    c = rc.make_inputs(case, seed=3)
    return c, rc.run_reference(case, c)


@pytest.mark.parametrize("case,key", [(c, k) for c in rc.CASES for k in rc.output_keys(c) if k.startswith("d")])
def test_backward_matches_finite_differences(case, key):
    c, out = analytic(case)
    numeric = rc.numerical_gradient(functools.partial(rc.reference_loss, case), c, rc.input_of(key))
    rc.assert_close(out[key], numeric, TOL, f"{case} {key}")
