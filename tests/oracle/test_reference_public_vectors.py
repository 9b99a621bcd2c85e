"""The public CS231n notebook vectors (exercise-api.md, "Fixed public vectors"), to 1e-7 absolute."""

import numpy as np

import reference as R

ATOL = 1e-7  # the published values carry 8 decimals


def lstm_step_case():
    N, D, H = 3, 4, 5
    x = np.linspace(-0.4, 1.2, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.3, 0.7, num=N * H).reshape(N, H)
    prev_c = np.linspace(-0.4, 0.9, num=N * H).reshape(N, H)
    Wx = np.linspace(-2.1, 1.3, num=4 * D * H).reshape(D, 4 * H)
    Wh = np.linspace(-0.7, 2.2, num=4 * H * H).reshape(H, 4 * H)
    b = np.linspace(0.3, 0.7, num=4 * H)
    return R.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)


def test_rnn_step_forward_public_vector():
    N, D, H = 3, 10, 4
    x = np.linspace(-0.4, 0.7, num=N * D).reshape(N, D)
    prev_h = np.linspace(-0.2, 0.5, num=N * H).reshape(N, H)
    Wx = np.linspace(-0.1, 0.9, num=D * H).reshape(D, H)
    Wh = np.linspace(-0.3, 0.7, num=H * H).reshape(H, H)
    b = np.linspace(-0.2, 0.4, num=H)
    next_h, _ = R.rnn_step_forward(x, prev_h, Wx, Wh, b)
    np.testing.assert_allclose(next_h[0], [-0.58172089, -0.50182032, -0.41232771, -0.31410098], rtol=0, atol=ATOL)


def test_lstm_step_forward_public_vector_next_h():
    next_h, _, _ = lstm_step_case()
    np.testing.assert_allclose(next_h[0], [0.24635157, 0.28610883, 0.32240467, 0.35525807, 0.38474904],
                               rtol=0, atol=ATOL)


def test_lstm_step_forward_public_vector_next_c():
    _, next_c, _ = lstm_step_case()
    np.testing.assert_allclose(next_c[0], [0.32986176, 0.39145139, 0.451556, 0.51014116, 0.56717407],
                               rtol=0, atol=ATOL)
