"""Closed form from gradient-dynamics.md: zero inputs, h0 = 0, b = 0, Wh = alpha * Q (Q orthogonal).

Every tanh' is 1, so the gradient of a loss on the last step with a unit upstream vector reaches
h0 as e @ (Wh.T)^T, whose norm is exactly alpha^T.
"""

import numpy as np
import pytest

import reference as R

T, H, D = 50, 8, 3


@pytest.mark.parametrize("alpha", [0.5, 0.9, 1.0, 1.5])
def test_dh0_norm_is_alpha_to_the_T(alpha):
    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    Wx = rng.standard_normal((D, H))
    _, cache = R.rnn_forward(np.zeros((1, T, D)), np.zeros((1, H)), Wx, alpha * Q, np.zeros(H))
    dh = np.zeros((1, T, H))
    dh[0, -1] = rng.standard_normal(H)
    dh[0, -1] /= np.linalg.norm(dh[0, -1])
    dh0 = R.rnn_backward(dh, cache)[1]
    assert np.linalg.norm(dh0) == pytest.approx(alpha**T, rel=1e-10)
